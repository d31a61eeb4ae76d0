package org.xapijava.db;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.xapijava.db.internal.Row;
import org.xapijava.db.internal.Schema.TableSchema;
import org.xapijava.model.types.DbStrings;
import org.xapijava.model.types.Refs;

/**
 * Figures for the report, not assertions on time: encode, decode and apply of an incremental batch of 100 changed
 * rows, and of a full image of a 10,000-row database; and, for comparison, the cost of only turning the full
 * image's values into database strings and back (what a text form such as JSON of {@code DbStrings} would pay
 * before any JSON work). Prints medians of several runs.
 */
class ReplicaFeedMeasureTest {
    private static final int RUNS = 11;
    private static final int WARMUP = 4;

    @Test
    void measure() throws IOException {
        Database master = Database.empty(TestSupport.DM);
        String[] vms = new String[1250];
        master.transact(tx -> {
            for (int i = 0; i < vms.length; i++) {
                vms[i] = Refs.fresh();
                Map<String, Object> oc = new LinkedHashMap<>();
                for (int k = 0; k < 5; k++) oc.put("key" + k, "value " + i + "/" + k);
                tx.create(
                        "VM",
                        vms[i],
                        Map.of(
                                "uuid",
                                UUID.randomUUID().toString(),
                                "name_label",
                                "vm " + i,
                                "other_config",
                                oc,
                                "tags",
                                List.of("t1", "t2"),
                                "memory_static_max",
                                4L << 30,
                                "VCPUs_max",
                                4L));
                String metrics = Refs.fresh();
                tx.create(
                        "VM_metrics",
                        metrics,
                        Map.of(
                                "uuid",
                                UUID.randomUUID().toString(),
                                "VCPUs_CPU",
                                Map.of(0L, 1L, 1L, 0L),
                                "VCPUs_flags",
                                Map.of(0L, List.of("online", "x")),
                                "start_time",
                                org.xapijava.model.types.DateTime.now(),
                                "memory_actual",
                                1L << 30));
                for (int d = 0; d < 2; d++) {
                    tx.create(
                            "VIF",
                            Refs.fresh(),
                            Map.of(
                                    "uuid",
                                    UUID.randomUUID().toString(),
                                    "VM",
                                    vms[i],
                                    "MAC",
                                    "00:16:3e:00:00:0" + d,
                                    "device",
                                    String.valueOf(d)));
                    String vdi = Refs.fresh();
                    tx.create(
                            "VDI",
                            vdi,
                            Map.of(
                                    "uuid",
                                    UUID.randomUUID().toString(),
                                    "name_label",
                                    "disk " + d,
                                    "virtual_size",
                                    20L << 30,
                                    "sm_config",
                                    Map.of("vhd-parent", "x")));
                    tx.create(
                            "VBD",
                            Refs.fresh(),
                            Map.of(
                                    "uuid",
                                    UUID.randomUUID().toString(),
                                    "VM",
                                    vms[i],
                                    "VDI",
                                    vdi,
                                    "userdevice",
                                    String.valueOf(d)));
                }
            }
        });
        int rows = 0;
        for (String c : List.of("VM", "VM_metrics", "VIF", "VDI", "VBD"))
            rows += master.snapshot().count(c);
        assertEquals(10_000, rows);

        FeedCodec codec = new FeedCodec(TestSupport.DM);
        long[][] full = new long[4][RUNS];
        long[] json = new long[RUNS];
        int fullBytes = 0;
        int jsonBytes = 0;
        Database replica = null;
        for (int r = -WARMUP; r < RUNS; r++) {
            long j0 = now();
            jsonBytes = jsonRoundTrip(master.snapshot());
            long j1 = now();
            long t0 = now();
            FeedBatch b = master.feed(null, 0);
            long t1 = now();
            ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 20);
            codec.encode(b, out);
            long t2 = now();
            FeedBatch d = codec.decode(new ByteArrayInputStream(out.toByteArray()));
            long t3 = now();
            replica = Database.replica(TestSupport.DM);
            replica.applyFeed(d);
            long t4 = now();
            fullBytes = out.size();
            if (r < 0) continue;
            json[r] = j1 - j0;
            full[0][r] = t1 - t0;
            full[1][r] = t2 - t1;
            full[2][r] = t3 - t2;
            full[3][r] = t4 - t3;
        }
        ReplicaAssert.assertSameState(master, replica);

        long[][] inc = new long[4][RUNS * 3];
        int incBytes = 0;
        for (int r = -WARMUP; r < RUNS * 3; r++) {
            int round = r + WARMUP;
            master.transact(tx -> {
                for (int k = 0; k < 100; k++) {
                    String vm = vms[(round * 100 + k) % vms.length];
                    tx.set("VM", vm, "name_label", "renamed " + round + " " + k);
                }
            });
            long t0 = now();
            FeedBatch b = master.feed(replica.feedEpoch(), replica.generation());
            long t1 = now();
            ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 16);
            codec.encode(b, out);
            long t2 = now();
            FeedBatch d = codec.decode(new ByteArrayInputStream(out.toByteArray()));
            long t3 = now();
            replica.applyFeed(d);
            long t4 = now();
            assertEquals(100, d.rowCount());
            incBytes = out.size();
            if (r < 0) continue;
            inc[0][r] = t1 - t0;
            inc[1][r] = t2 - t1;
            inc[2][r] = t3 - t2;
            inc[3][r] = t4 - t3;
        }
        ReplicaAssert.assertSameState(master, replica);

        System.out.printf(
                "replica feed, full image of 10,000 rows: %d bytes; feed %.1f ms, encode %.1f ms, decode %.1f ms,"
                        + " apply %.1f ms, encode+decode+apply %.1f ms (CPU ms of this thread, medians of %d)%n",
                fullBytes, ms(full[0]), ms(full[1]), ms(full[2]), ms(full[3]), ms(sum(full)), RUNS);
        System.out.printf(
                "replica feed, incremental batch of 100 rows (of 10,000): %d bytes; feed %.2f ms, encode %.2f ms,"
                        + " decode %.2f ms, apply %.2f ms, encode+decode+apply %.2f ms (CPU ms of this thread, medians of %d)%n",
                incBytes, ms(inc[0]), ms(inc[1]), ms(inc[2]), ms(inc[3]), ms(sum(inc)), RUNS * 3);
        System.out.printf(
                "for comparison, the same full image as JSON of database strings (Jackson streaming, DbStrings):"
                        + " %d bytes, encode+decode %.1f ms (medians of %d)%n",
                jsonBytes, ms(json), RUNS);
    }

    /**
     * The text alternative, for comparison: every row of the snapshot as JSON holding each column's database string
     * (what state.db stores), written with Jackson's streaming generator and read back with its parser and
     * {@link DbStrings#fromDb}. Returns the size in bytes.
     */
    private static int jsonRoundTrip(Snapshot s) throws IOException {
        com.fasterxml.jackson.core.JsonFactory f = new com.fasterxml.jackson.core.JsonFactory();
        ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 20);
        StringBuilder b = new StringBuilder();
        try (com.fasterxml.jackson.core.JsonGenerator g = f.createGenerator(out)) {
            g.writeStartArray();
            for (TableSchema ts : s.schema.tables) {
                for (Row row : s.tables[ts.index].rows().values()) {
                    g.writeStartArray();
                    g.writeString(ts.name);
                    g.writeString(row.ref());
                    g.writeNumber(row.created());
                    g.writeNumber(row.modified());
                    for (int i = 0; i < ts.types.length; i++) {
                        b.setLength(0);
                        DbStrings.append(b, ts.types[i], row.values()[i]);
                        g.writeString(b.toString());
                    }
                    g.writeEndArray();
                }
            }
            g.writeEndArray();
        }
        int rows = 0;
        try (com.fasterxml.jackson.core.JsonParser p = f.createParser(out.toByteArray())) {
            p.nextToken(); // [
            while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.START_ARRAY) {
                p.nextToken();
                TableSchema ts = s.schema.table(p.getText());
                p.nextToken();
                String ref = p.getText();
                p.nextToken();
                long created = p.getLongValue();
                p.nextToken();
                long modified = p.getLongValue();
                Object[] vs = new Object[ts.types.length];
                for (int i = 0; i < vs.length; i++) {
                    p.nextToken();
                    vs[i] = DbStrings.fromDb(ts.types[i], p.getText());
                }
                p.nextToken(); // ]
                if (new Row(ref, created, modified, vs).values().length > 0) rows++;
            }
        }
        if (rows != 10_000) throw new AssertionError(rows);
        return out.size();
    }

    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();

    /**
     * This thread's CPU time: the build machine is shared (other builds run beside this one), so wall time would
     * measure the neighbours; allocation and GC on other threads are not counted.
     */
    private static long now() {
        return THREADS.getCurrentThreadCpuTime();
    }

    /** encode + decode + apply per run. */
    private static long[] sum(long[][] phases) {
        long[] out = new long[phases[0].length];
        for (int r = 0; r < out.length; r++) out[r] = phases[1][r] + phases[2][r] + phases[3][r];
        return out;
    }

    private static double ms(long[] nanos) {
        long[] c = nanos.clone();
        Arrays.sort(c);
        return c[c.length / 2] / 1e6;
    }
}
