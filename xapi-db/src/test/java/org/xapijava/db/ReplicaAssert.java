package org.xapijava.db;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.xapijava.db.internal.Row;
import org.xapijava.db.internal.Schema.TableSchema;
import org.xapijava.db.internal.Table;
import org.xapijava.db.internal.Tombstones;
import org.xapijava.model.api.VBD;
import org.xapijava.model.types.DbStrings;

/** Checks that a replica's snapshot answers every read exactly as the master's does. */
final class ReplicaAssert {
    static final FeedCodec CODEC = new FeedCodec(TestSupport.DM);

    private ReplicaAssert() {}

    /** {@code b} through the wire form and back. */
    static FeedBatch wire(FeedBatch b) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            CODEC.encode(b, out);
            return CODEC.decode(new ByteArrayInputStream(out.toByteArray()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void assertSameState(Database master, Database replica) {
        Snapshot m = master.snapshot();
        Snapshot r = replica.snapshot();
        assertEquals(m.generation(), r.generation(), "generation");
        assertEquals(m.generation(), replica.generation());
        assertEquals(master.feedEpoch(), replica.feedEpoch(), "epoch");
        assertEquals(m.refs.size(), r.refs.size(), "refs");
        assertEquals(m.uuids.size(), r.uuids.size(), "uuids");
        LocalDb rdb = new LocalDb(replica);
        List<String> classes = new ArrayList<>();
        for (TableSchema ts : m.schema.tables) {
            classes.add(ts.name);
            Table mt = m.tables[ts.index];
            Table rt = r.tables[ts.index];
            assertEquals(mt.rows().keys(), rt.rows().keys(), ts.name + " refs in order");
            mt.rows().forEach((ref, mr) -> {
                Row rr = rt.rows().get(ref);
                String where = ts.name + " " + ref;
                assertEquals(mr.created(), rr.created(), where + " created");
                assertEquals(mr.modified(), rr.modified(), where + " modified");
                assertEquals(mr.created(), rdb.created(ts.name, ref), where + " created through Db");
                assertEquals(mr.modified(), rdb.modified(ts.name, ref), where + " modified through Db");
                for (int i = 0; i < ts.columns.length; i++) {
                    Object a = mr.values()[i];
                    Object b = rr.values()[i];
                    String col = where + " " + ts.columns[i];
                    assertEquals(a, b, col);
                    if (a instanceof List<?> || a instanceof java.util.Map<?, ?>) {
                        assertEquals(a instanceof List<?>, b instanceof List<?>, col + " kind");
                    } else {
                        assertEquals(a == null ? null : a.getClass(), b == null ? null : b.getClass(), col + " class");
                    }
                    if (a instanceof Double d)
                        assertEquals(Double.doubleToRawLongBits(d), Double.doubleToRawLongBits((Double) b), col);
                    assertEquals(DbStrings.toDb(ts.types[i], a), DbStrings.toDb(ts.types[i], b), col + " db string");
                }
                assertEquals(m.getRecord(ts.name, ref), r.getRecord(ts.name, ref), where + " record");
                if (ts.uuid >= 0 && !((String) mr.values()[ts.uuid]).isEmpty()) {
                    String u = (String) mr.values()[ts.uuid];
                    assertEquals(ref, r.getByUuid(ts.name, u), where + " by uuid");
                }
            });
            assertTombs(ts.name, mt.deleted(), rt.deleted());
            assertEquals(ReplicaFeed.nameIndex(m, ts.name), ReplicaFeed.nameIndex(r, ts.name), ts.name + " names");
            if (ts.nameLabel >= 0) {
                for (String label : ReplicaFeed.nameIndex(m, ts.name).keySet()) {
                    assertEquals(m.getByNameLabel(ts.name, label), replica.getByNameLabel(ts.name, label));
                }
                assertEquals(
                        m.getAllWhere(ts.name, "field \"name__label\" = \"l1\""),
                        replica.getAllWhere(ts.name, "field \"name__label\" = \"l1\""));
            }
        }
        assertEquals(m.validRefCounts(), replica.validRefCounts());
        for (String vm : m.all("VM")) assertEquals(m.where(VBD.VM, vm), r.where(VBD.VM, vm), "where VBD.VM");
        long g = m.generation();
        for (long since : new long[] {-1, 0, g / 3, g / 2, g - 5, g - 2, g - 1, g}) {
            Changes a = m.changesSince(classes, since);
            Changes b = replica.changesSince(classes, since);
            assertEquals(a.changes(), b.changes(), "changes since " + since);
            assertEquals(a.token(), b.token(), "token since " + since);
        }
        assertFalse(replica.snapshot() != r, "no change while comparing");
    }

    private static void assertTombs(String table, Tombstones a, Tombstones b) {
        assertEquals(a.xapiLen(), b.xapiLen(), table + " tombstone length");
        assertEquals(a.droppedUpTo(), b.droppedUpTo(), table + " tombstones dropped");
        assertEquals(a.size(), b.size(), table + " tombstones");
        List<Tombstones.Tomb> x = a.entries();
        List<Tombstones.Tomb> y = b.entries();
        for (int i = 0; i < x.size(); i++) {
            assertArrayEquals(
                    new Object[] {
                        x.get(i).created(), x.get(i).deleted(), x.get(i).ref()
                    },
                    new Object[] {
                        y.get(i).created(), y.get(i).deleted(), y.get(i).ref()
                    },
                    table + " tombstone " + i);
        }
    }
}
