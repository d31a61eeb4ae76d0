package org.xapijava.db;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.db.internal.PMap;
import org.xapijava.db.internal.Row;
import org.xapijava.db.internal.Schema;
import org.xapijava.db.internal.Schema.TableSchema;
import org.xapijava.db.internal.Table;
import org.xapijava.db.internal.Tombstones;
import org.xapijava.db.internal.Tombstones.Tomb;

/**
 * The two halves of the replica feed over snapshots: {@link #batch} (master: what changed in a snapshot since a
 * generation, or all of it) and {@link #apply} (replica: a new snapshot equal to the master's at the batch's
 * generation). Stateless; the callers ({@link Database}) choose the snapshot and publish the result.
 */
final class ReplicaFeed {
    private static final Comparator<Row> BY_CREATED = Comparator.comparingLong(Row::created);

    private ReplicaFeed() {}

    /**
     * Whether {@code s} can tell exactly what changed at or after generation {@code since}: {@code since} is not
     * ahead of it and no table's tombstone trim dropped a deletion stamped at or after {@code since}.
     */
    static boolean exactSince(Snapshot s, long since) {
        if (since < 0 || since > s.generation) return false;
        for (Table t : s.tables) if (t.deleted().droppedUpTo() >= since) return false;
        return true;
    }

    /** The batch bringing a replica at {@code since} to {@code s} (a full image when {@code full}). */
    static FeedBatch batch(Snapshot s, String epoch, long since, boolean full) {
        List<FeedBatch.Part> parts = new ArrayList<>();
        for (TableSchema ts : s.schema.tables) {
            Table t = s.tables[ts.index];
            List<Row> rows = new ArrayList<>();
            List<Tomb> deleted;
            if (full) {
                t.rows().forEach((ref, row) -> rows.add(row));
                deleted = t.deleted().entries();
            } else {
                t.rows().forEach((ref, row) -> {
                    if (row.modified() >= since) rows.add(row);
                });
                deleted = new ArrayList<>();
                t.deleted().forEachSince(since - 1, deleted::add);
                java.util.Collections.reverse(deleted);
            }
            if (rows.isEmpty() && deleted.isEmpty()) continue;
            rows.sort(BY_CREATED);
            Map<String, List<String>> names = new HashMap<>();
            if (ts.nameLabel >= 0) {
                for (Row r : rows) {
                    String label = (String) r.values()[ts.nameLabel];
                    if (t.byName().get(label) instanceof String[] several && !names.containsKey(label))
                        names.put(label, List.of(several));
                }
            }
            parts.add(new FeedBatch.Part(
                    ts.name,
                    rows,
                    deleted,
                    names,
                    t.deleted().xapiLen(),
                    t.deleted().droppedUpTo()));
        }
        return new FeedBatch(epoch, full ? -1 : since, s.generation, full, parts);
    }

    /**
     * The snapshot that {@code b} makes of {@code base}: base's content replaced (full batch) or updated
     * (incremental, which the caller checked follows base). Builds a new snapshot; base is unchanged.
     *
     * @throws IllegalArgumentException when the batch names an unknown table or does not fit this datamodel
     * @throws IllegalStateException when the batch contradicts base (a replica that diverged): nothing applied
     */
    static Snapshot apply(Snapshot base, FeedBatch b) {
        Schema schema = base.schema;
        Table[] tables = b.full ? emptyTables(schema) : base.tables.clone();
        PMap<TableSchema> refs = b.full ? PMap.empty() : base.refs;
        PMap<String> uuids = b.full ? PMap.empty() : base.uuids;
        List<TableSchema> order = new ArrayList<>(b.parts.size());
        for (FeedBatch.Part p : b.parts) {
            TableSchema ts = schema.tableOrThrow(p.table());
            for (Row r : p.rows()) {
                if (r.values().length != ts.columns.length)
                    throw new IllegalArgumentException("feed row " + ts.name + " " + r.ref() + " has "
                            + r.values().length + " columns, not " + ts.columns.length);
            }
            order.add(ts);
        }
        // first every removal (deleted rows, old versions of changed rows), then every insertion: a uuid or a
        // name may move from one row to another inside the batch
        for (int k = 0; k < order.size(); k++) {
            TableSchema ts = order.get(k);
            FeedBatch.Part p = b.parts.get(k);
            Table t = tables[ts.index];
            PMap<Row> rows = t.rows();
            PMap<Object> byName = t.byName();
            Tombstones tombs = b.full ? Tombstones.restore(p.deleted(), p.tombLen(), p.tombDropped()) : t.deleted();
            if (!b.full) {
                for (Tomb d : p.deleted()) {
                    tombs = tombs.add(d.created(), d.deleted(), d.ref());
                    Row old = rows.get(d.ref());
                    if (old == null) continue;
                    rows = rows.remove(d.ref());
                    refs = refs.remove(old.ref());
                    uuids = unindexUuid(ts, old, uuids);
                    byName = unindexName(ts, old, byName);
                }
            }
            // a changed row stays in place in the rows map (as on the master, where it is replaced in place)
            for (Row r : p.rows()) {
                Row old = rows.get(r.ref());
                if (old == null) continue;
                refs = refs.remove(old.ref());
                uuids = unindexUuid(ts, old, uuids);
                byName = unindexName(ts, old, byName);
            }
            tables[ts.index] = new Table(rows, tombs, byName);
        }
        for (int k = 0; k < order.size(); k++) {
            TableSchema ts = order.get(k);
            FeedBatch.Part p = b.parts.get(k);
            Table t = tables[ts.index];
            PMap<Row> rows = t.rows();
            PMap<Object> byName = t.byName();
            for (Row r : p.rows()) {
                String ref = r.ref();
                if (refs.get(ref) != null)
                    throw new IllegalStateException("feed row " + ts.name + " " + ref + " is already a row of "
                            + refs.get(ref).name + " on the replica");
                refs = refs.put(ref, ts);
                rows = rows.put(ref, r);
                if (ts.uuid >= 0) {
                    String u = (String) r.values()[ts.uuid];
                    if (!u.isEmpty()) {
                        String holder = uuids.get(u);
                        if (holder != null)
                            throw new IllegalStateException(
                                    "feed row " + ts.name + " " + ref + ": uuid " + u + " is held by " + holder);
                        uuids = uuids.put(u, ref);
                    }
                }
                if (ts.nameLabel >= 0) {
                    String label = (String) r.values()[ts.nameLabel];
                    if (!p.names().containsKey(label)) byName = Table.nameAdd(byName, label, ref);
                }
            }
            for (Map.Entry<String, List<String>> e : p.names().entrySet()) {
                byName = byName.put(e.getKey(), e.getValue().toArray(new String[0]));
            }
            tables[ts.index] = new Table(rows, t.deleted(), byName);
        }
        return new Snapshot(schema, b.to, tables, refs, uuids);
    }

    private static PMap<String> unindexUuid(TableSchema ts, Row old, PMap<String> uuids) {
        if (ts.uuid < 0) return uuids;
        String u = (String) old.values()[ts.uuid];
        return !u.isEmpty() && old.ref().equals(uuids.get(u)) ? uuids.remove(u) : uuids;
    }

    private static PMap<Object> unindexName(TableSchema ts, Row old, PMap<Object> byName) {
        return ts.nameLabel < 0 ? byName : Table.nameRemove(byName, (String) old.values()[ts.nameLabel], old.ref());
    }

    private static Table[] emptyTables(Schema schema) {
        Table[] ts = new Table[schema.tables.length];
        java.util.Arrays.fill(ts, Table.EMPTY);
        return ts;
    }

    /** Label → refs, for tests comparing name indexes. */
    static Map<String, List<String>> nameIndex(Snapshot s, String cls) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        s.tables[s.schema.tableOrThrow(cls).index]
                .byName()
                .forEach((label, v) -> out.put(label, v instanceof String one ? List.of(one) : List.of((String[]) v)));
        return out;
    }
}
