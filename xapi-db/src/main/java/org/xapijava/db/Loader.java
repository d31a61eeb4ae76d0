package org.xapijava.db;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.internal.PMap;
import org.xapijava.db.internal.Row;
import org.xapijava.db.internal.Schema;
import org.xapijava.db.internal.Schema.Link;
import org.xapijava.db.internal.Schema.TableSchema;
import org.xapijava.db.internal.Table;
import org.xapijava.db.internal.Tombstones;
import org.xapijava.db.persist.Delta;
import org.xapijava.db.persist.DeltaBatch;
import org.xapijava.db.persist.LoadedDb;
import org.xapijava.model.FieldDef;
import org.xapijava.model.Lifecycle;
import org.xapijava.model.rpc.Utf8Check;
import org.xapijava.model.types.DbStrings;

/**
 * Turns a {@code state.db} image plus replayed redo-log batches into a snapshot: typed values, defaults
 * for missing columns, non-persistent tables empty and non-persistent columns reset, back-pointers
 * recomputed, row stamps and the generation restored. Columns and tables of newer Xapi releases are
 * dropped with a warning, columns of removed fields silently (as Xapi does); anything else unknown
 * or unparsable is a {@link DbLoadException}.
 */
final class Loader {
    private static final Logger LOG = LoggerFactory.getLogger(Loader.class);

    private Loader() {}

    /** Position of a column in the table, -1 to drop it, or a DbLoadException when unknown. */
    private static int column(TableSchema ts, String ref, String column, Set<String> warned) {
        int i = ts.column(column);
        if (i >= 0) return i;
        if ("_ref".equals(column)) return -1;
        FieldDef f = ts.cls.fieldByColumn(column);
        if (f != null && f.lifecycle() == Lifecycle.REMOVED) return -1;
        if (ts.isLaterColumn(column)) {
            if (warned.add(ts.name + "." + column)) {
                LOG.warn("dropping column {}.{} of a newer Xapi release", ts.name, column);
            }
            return -1;
        }
        throw new DbLoadException(ts.name, ref, column, "unknown column", null);
    }

    /**
     * The typed value of a column's text, checked by {@link ValueCheck#problem}. A value found at fault stops the
     * load with a {@link DbLoadException} naming the table, row and column; in repair mode ({@code repairs} not
     * null) it is replaced by {@link ValueCheck#repair} and the change is recorded instead.
     */
    private static Object parse(
            Schema schema,
            TableSchema ts,
            String ref,
            int i,
            String text,
            String source,
            List<DbRepair.Change> repairs) {
        Object v;
        try {
            v = DbStrings.fromDb(ts.types[i], text);
        } catch (RuntimeException e) {
            throw new DbLoadException(ts.name, ref, ts.columns[i], e.getMessage(), e);
        }
        String problem = ValueCheck.problem(schema.dm, ts.types[i], v);
        if (problem == null) return v;
        if (repairs == null) throw new DbLoadException(ts.name, ref, ts.columns[i], problem, null, true);
        Object fixed = ValueCheck.repair(schema.dm, ts.types[i], v, ts.defaults[i]);
        repairs.add(new DbRepair.Change(
                source, ts.name, ref, ts.columns[i], text, DbStrings.toDb(ts.types[i], fixed), problem));
        return fixed;
    }

    /** The table, null to skip one of a newer release, or a DbLoadException. */
    private static TableSchema table(Schema schema, String name, Set<String> warned) {
        TableSchema ts = schema.table(name);
        if (ts != null) return ts;
        if (schema.isLaterTable(name)) {
            if (warned.add(name)) LOG.warn("dropping table {} of a newer Xapi release", name);
            return null;
        }
        throw new DbLoadException(name, null, null, "unknown table", null);
    }

    static Snapshot load(Schema schema, LoadedDb image, List<DeltaBatch> replay) {
        return load(schema, image, replay, null);
    }

    /**
     * Loads {@code image} and replays {@code replay}; with {@code repairs} not null, values found at fault are
     * replaced and listed there instead of stopping the load (see {@link #parse}).
     */
    static Snapshot load(Schema schema, LoadedDb image, List<DeltaBatch> replay, List<DbRepair.Change> repairs) {
        Set<String> warned = new HashSet<>();
        int n = schema.tables.length;
        @SuppressWarnings("unchecked")
        Map<String, Object[]>[] values = new Map[n];
        @SuppressWarnings("unchecked")
        Map<String, long[]>[] stats = new Map[n];
        for (int t = 0; t < n; t++) {
            values[t] = new TreeMap<>();
            stats[t] = new HashMap<>();
        }
        for (Map.Entry<String, List<LoadedDb.LoadedRow>> e : image.tables().entrySet()) {
            TableSchema ts = table(schema, e.getKey(), warned);
            if (ts == null || !ts.persistent) continue;
            for (LoadedDb.LoadedRow r : e.getValue()) {
                String badRef = Utf8Check.describeUnstorable(r.ref());
                if (badRef != null) {
                    throw new DbLoadException(ts.name, r.ref(), null, "the row's ref holds " + badRef, null);
                }
                if (values[ts.index].containsKey(r.ref()))
                    throw new DbLoadException(ts.name, r.ref(), null, "duplicate row", null);
                Object[] vs = ts.defaults.clone();
                for (Map.Entry<String, String> c : r.columns().entrySet()) {
                    int i = column(ts, r.ref(), c.getKey(), warned);
                    if (i < 0 || !ts.persistentColumn[i]) continue; // non-persistent: keep the empty value below
                    vs[i] = parse(schema, ts, r.ref(), i, c.getValue(), "state.db", repairs);
                }
                for (int i = 0; i < vs.length; i++) if (!ts.persistentColumn[i]) vs[i] = ts.empties[i];
                values[ts.index].put(r.ref(), vs);
                stats[ts.index].put(r.ref(), new long[] {r.created(), r.modified()});
            }
        }
        // back-pointers, in Xapi's reindex order: folding the ref-ordered table and prepending
        for (TableSchema a : schema.tables) {
            for (Link l : a.oneToMany) {
                Map<String, Object[]> targets = values[l.target()];
                Map<String, List<Object>> sets = new HashMap<>();
                for (Map.Entry<String, Object[]> row : values[a.index].entrySet()) {
                    if (row.getValue()[l.field()] instanceof String target && targets.containsKey(target)) {
                        sets.computeIfAbsent(target, k -> new ArrayList<>()).add(0, row.getKey());
                    }
                }
                for (Map.Entry<String, List<Object>> s : sets.entrySet()) {
                    targets.get(s.getKey())[l.targetField()] = Collections.unmodifiableList(s.getValue());
                }
            }
        }
        Table[] tables = new Table[n];
        PMap<TableSchema> refs = PMap.empty();
        PMap<String> uuids = PMap.empty();
        for (TableSchema ts : schema.tables) {
            PMap<Row> rows = PMap.empty();
            PMap<Object> byName = PMap.empty();
            for (Map.Entry<String, Object[]> e : values[ts.index].entrySet()) {
                String ref = e.getKey();
                Object[] vs = e.getValue();
                long[] st = stats[ts.index].get(ref);
                rows = rows.put(ref, new Row(ref, st[0], st[1], vs));
                if (refs.get(ref) != null)
                    throw new DbLoadException(
                            ts.name, ref, "_ref", "reference also used in table " + refs.get(ref).name, null);
                refs = refs.put(ref, ts);
                if (ts.uuid >= 0) {
                    String u = (String) vs[ts.uuid];
                    if (!u.isEmpty()) {
                        if (uuids.get(u) != null)
                            throw new DbLoadException(ts.name, ref, "uuid", "duplicate uuid " + u, null);
                        uuids = uuids.put(u, ref);
                    }
                }
                if (ts.nameLabel >= 0) byName = Table.nameAdd(byName, (String) vs[ts.nameLabel], ref);
            }
            tables[ts.index] = new Table(rows, Tombstones.EMPTY, byName);
        }
        Snapshot snap = new Snapshot(schema, image.generation(), tables, refs, uuids);
        return replay(schema, snap, replay, warned, repairs);
    }

    private static Snapshot replay(
            Schema schema, Snapshot snap, List<DeltaBatch> batches, Set<String> warned, List<DbRepair.Change> repairs) {
        Transaction tx = new Transaction(snap);
        long last = snap.generation;
        for (DeltaBatch b : batches) {
            if (b.generation() <= snap.generation) continue; // already in the image
            if (b.generation() <= last) {
                throw new DbLoadException(
                        null, null, null, "redo log batch generation " + b.generation() + " not above " + last, null);
            }
            tx.advanceGenerationTo(b.generation() - b.deltas().size());
            for (Delta d : b.deltas()) {
                TableSchema ts = table(schema, d.table(), warned);
                if (ts == null) continue;
                try {
                    apply(schema, tx, ts, d, warned, "redo log generation " + b.generation(), repairs);
                } catch (DbLoadException e) {
                    throw e;
                } catch (RuntimeException e) {
                    throw new DbLoadException(
                            ts.name,
                            d.ref(),
                            d instanceof Delta.WriteField w ? w.column() : null,
                            "cannot replay " + d.getClass().getSimpleName() + " of generation " + b.generation() + ": "
                                    + e.getMessage(),
                            e);
                }
            }
            tx.advanceGenerationTo(b.generation());
            last = b.generation();
        }
        return tx.finish();
    }

    private static void apply(
            Schema schema,
            Transaction tx,
            TableSchema ts,
            Delta d,
            Set<String> warned,
            String source,
            List<DbRepair.Change> repairs) {
        switch (d) {
            case Delta.CreateRow c -> {
                Object[] vs = ts.defaults.clone();
                for (Map.Entry<String, String> e : c.columns().entrySet()) {
                    int i = column(ts, c.ref(), e.getKey(), warned);
                    if (i < 0 || !ts.persistentColumn[i]) continue;
                    vs[i] = parse(schema, ts, c.ref(), i, e.getValue(), source, repairs);
                }
                long g = tx.generation();
                tx.createRow(ts, c.ref(), vs, g, g);
            }
            case Delta.DeleteRow r -> tx.deleteRow(ts, r.ref());
            case Delta.WriteField w -> {
                int i = column(ts, w.ref(), w.column(), warned);
                if (i < 0) return;
                tx.writeField(ts, w.ref(), i, parse(schema, ts, w.ref(), i, w.value(), source, repairs));
            }
        }
    }
}
