package org.xapijava.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xapijava.db.internal.Schema.TableSchema;
import org.xapijava.model.Datamodel;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;
import org.xapijava.model.types.XType;

/**
 * A master gets random transactions over several classes (creates, writes of persistent and non-persistent fields
 * of every type, set and map edits, deletions, uuids reused by new rows, ref fields with back-pointers, touches);
 * replicas follow through the wire form at random points, incrementally and by full images, and after each step
 * answer every read as the master does.
 */
class ReplicaFeedRandomTest {
    private static final Datamodel DM = TestSupport.DM;
    private static final List<String> CLASSES =
            List.of("VM", "VBD", "VDI", "SR", "network", "VIF", "task", "session", "host", "VM_metrics");
    private static final String[] LABELS = {"l1", "l2", "l3", "", "l1"};
    private static final String[] TEXT = {
        "", "a", "l1", "it's \\ 'quoted' (x y)", "é ü ß", "\uD83D\uDE00 smile", "tab\there", "line\nnext", "(('k' 'v'))"
    };
    private static final double[] FLOATS = {
        0.0, -0.0, 1.5, 0.1, 1e-300, -2.5e300, Double.NaN, Double.POSITIVE_INFINITY, Double.MIN_VALUE, 123456.789
    };
    private static final ZoneOffset[] ZONES = {
        null, ZoneOffset.UTC, ZoneOffset.ofHoursMinutes(5, 30), ZoneOffset.ofHours(-8)
    };

    private final List<String> freedUuids = new ArrayList<>();
    private Random rnd;

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4})
    void replicasFollowRandomTransactions(long seed) {
        rnd = new Random(seed);
        Database master = Database.empty(DM);
        Database replica = Database.replica(DM);
        Database late = null;
        int applied = 0;
        int fulls = 0;
        int trimFulls = 0;
        int transactions = 2000;
        for (int n = 0; n < transactions; n++) {
            if (rnd.nextInt(80) == 0) burst(master);
            int ops = 1 + rnd.nextInt(4);
            try {
                master.transact(tx -> {
                    for (int k = 0; k < ops; k++) randomOp(tx);
                });
            } catch (ApiError | IllegalArgumentException e) {
                // refused as a whole (uniqueness, duplicate map key, ...): nothing changed
            }
            if (rnd.nextInt(12) == 0 || n == transactions - 1) {
                boolean forced = rnd.nextInt(15) == 0; // a full image over a live replica
                FeedBatch b = master.feed(forced ? null : replica.feedEpoch(), replica.generation());
                if (b.full()) fulls++;
                if (b.full() && !forced && master.feedEpoch().equals(replica.feedEpoch())) trimFulls++;
                replica.applyFeed(rnd.nextInt(5) == 0 ? b : ReplicaAssert.wire(b));
                applied++;
                ReplicaAssert.assertSameState(master, replica);
            }
            if (n == transactions / 2) late = Database.replica(DM);
            if (late != null && rnd.nextInt(40) == 0) {
                late.applyFeed(ReplicaAssert.wire(master.feed(late.feedEpoch(), late.generation())));
                ReplicaAssert.assertSameState(master, late);
            }
        }
        assertTrue(applied > 100, "applied " + applied);
        assertTrue(fulls >= 2, "fulls " + fulls);
        System.out.printf("seed %d: %d batches applied, %d full (%d after trims)%n", seed, applied, fulls, trimFulls);
        int rows = 0;
        for (String c : CLASSES) rows += master.snapshot().count(c);
        assertTrue(rows > 20, "rows " + rows);
        assertEquals(master.generation(), replica.generation());
        boolean trimmed = false;
        for (org.xapijava.db.internal.Table t : master.snapshot().tables)
            trimmed |= t.deleted().droppedUpTo() >= 0;
        assertTrue(trimmed, "some tombstone list was trimmed");
        assertTrue(trimFulls > 0, "a full image after a trim");
    }

    // ------------------------------------------------------------------ random operations

    private void randomOp(Transaction tx) {
        String cls = CLASSES.get(rnd.nextInt(CLASSES.size()));
        TableSchema ts = tx.schema.table(cls);
        List<String> refs = tx.all(cls);
        int op = rnd.nextInt(20);
        if (refs.isEmpty() || op < 5 || (refs.size() < 3 && op < 10)) {
            create(tx, ts);
            return;
        }
        String ref = refs.get(rnd.nextInt(refs.size()));
        if (op < 7) {
            Object u = ts.uuid >= 0 ? tx.get(cls, ref, "uuid") : null;
            tx.delete(cls, ref);
            if (u instanceof String s && !s.isEmpty()) freedUuids.add(s);
        } else if (op == 7) {
            tx.touch(cls, ref);
        } else if (op < 10 && ts.uuid >= 0 && op == 9) {
            tx.set(cls, ref, "uuid", UUID.randomUUID().toString());
        } else {
            int i = writableField(ts);
            XType t = ts.types[i];
            String f = ts.fields[i].name();
            if (t instanceof XType.SetType st && rnd.nextBoolean()) {
                List<?> cur = (List<?>) tx.get(cls, ref, f);
                if (!cur.isEmpty() && rnd.nextBoolean())
                    tx.removeFromSet(cls, ref, f, cur.get(rnd.nextInt(cur.size())));
                else tx.addToSet(cls, ref, f, value(tx, st.element()));
            } else if (t instanceof XType.MapType mt && rnd.nextBoolean()) {
                Map<?, ?> cur = (Map<?, ?>) tx.get(cls, ref, f);
                if (!cur.isEmpty() && rnd.nextBoolean()) {
                    tx.removeFromMap(cls, ref, f, new ArrayList<>(cur.keySet()).get(rnd.nextInt(cur.size())));
                } else {
                    tx.addToMap(cls, ref, f, key(tx, mt.key()), value(tx, mt.value()));
                }
            } else {
                tx.set(cls, ref, f, value(tx, t));
            }
        }
    }

    /** Short-lived rows of one class: tombstone trims inside incremental windows, and full images after them. */
    private void burst(Database master) {
        String cls = List.of("VBD", "task", "VDI").get(rnd.nextInt(3));
        int n = 150 + rnd.nextInt(450);
        master.transact(tx -> {
            for (int k = 0; k < n; k++) {
                String r = Refs.fresh();
                tx.create(cls, r, Map.of("uuid", UUID.randomUUID().toString()));
                tx.delete(cls, r);
            }
        });
    }

    private void create(Transaction tx, TableSchema ts) {
        Map<String, Object> vs = new LinkedHashMap<>();
        if (ts.uuid >= 0) {
            boolean reuse = !freedUuids.isEmpty() && rnd.nextBoolean();
            vs.put(
                    "uuid",
                    reuse
                            ? freedUuids.remove(freedUuids.size() - 1)
                            : UUID.randomUUID().toString());
        }
        if (ts.nameLabel >= 0) vs.put("name_label", LABELS[rnd.nextInt(LABELS.length)]);
        int extra = rnd.nextInt(4);
        for (int k = 0; k < extra; k++) {
            int i = writableField(ts);
            vs.put(ts.fields[i].name(), value(tx, ts.types[i]));
        }
        tx.create(ts.name, Refs.fresh(), vs);
    }

    /** A field a writer may set: not uuid (written apart), not a back-pointer set (the database keeps those). */
    private int writableField(TableSchema ts) {
        // ref fields half the time, so that relations (VBD.VM, VIF.network, ...) move often
        List<Integer> refFields = new ArrayList<>();
        for (int i = 0; i < ts.types.length; i++) if (ts.relationField[i] && !ts.backPointer[i]) refFields.add(i);
        if (!refFields.isEmpty() && rnd.nextBoolean()) return refFields.get(rnd.nextInt(refFields.size()));
        while (true) {
            int i = rnd.nextInt(ts.types.length);
            if (i != ts.uuid && !ts.backPointer[i]) return i;
        }
    }

    private Object key(Transaction tx, XType t) {
        Object k = value(tx, t);
        return k instanceof String s && s.isEmpty() ? "k" + rnd.nextInt(5) : k;
    }

    private Object value(Transaction tx, XType t) {
        return switch (t) {
            case XType.Prim p ->
                switch (p.kind()) {
                    case STRING, VOID -> rnd.nextInt(3) == 0 ? "s" + rnd.nextInt(1000) : TEXT[rnd.nextInt(TEXT.length)];
                    case INT -> rnd.nextBoolean() ? (long) rnd.nextInt(100) : rnd.nextLong();
                    case FLOAT -> rnd.nextBoolean() ? rnd.nextDouble() * 1e6 : FLOATS[rnd.nextInt(FLOATS.length)];
                    case BOOL -> rnd.nextBoolean();
                    case DATETIME ->
                        new DateTime(
                                LocalDateTime.of(
                                        1970 + rnd.nextInt(130),
                                        1 + rnd.nextInt(12),
                                        1 + rnd.nextInt(28),
                                        rnd.nextInt(24),
                                        rnd.nextInt(60),
                                        rnd.nextInt(60)),
                                ZONES[rnd.nextInt(ZONES.length)]);
                };
            case XType.EnumType e -> {
                List<String> vs = DM.enumDef(e.name()).values();
                yield vs.get(rnd.nextInt(vs.size()));
            }
            case XType.RefType r -> {
                List<String> refs = tx.schema.table(r.cls()) == null ? List.of() : tx.all(r.cls());
                if (refs.isEmpty() || rnd.nextInt(6) == 0) yield rnd.nextBoolean() ? Refs.NULL : Refs.fresh();
                yield refs.get(rnd.nextInt(refs.size()));
            }
            case XType.SetType s -> {
                List<Object> l = new ArrayList<>();
                int n = rnd.nextInt(4);
                for (int k = 0; k < n; k++) {
                    Object x = value(tx, s.element());
                    if (!l.contains(x)) l.add(x);
                }
                yield l;
            }
            case XType.MapType m -> {
                Map<Object, Object> mv = new LinkedHashMap<>();
                int n = rnd.nextInt(4);
                for (int k = 0; k < n; k++) mv.put(key(tx, m.key()), value(tx, m.value()));
                yield mv;
            }
            case XType.OptionType o -> rnd.nextBoolean() ? null : value(tx, o.inner());
            case XType.RecordType r -> throw new IllegalArgumentException("no record columns");
        };
    }
}
