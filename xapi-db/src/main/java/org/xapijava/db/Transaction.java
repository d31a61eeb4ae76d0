package org.xapijava.db;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.xapijava.db.internal.PMap;
import org.xapijava.db.internal.Row;
import org.xapijava.db.internal.Schema.Link;
import org.xapijava.db.internal.Schema.TableSchema;
import org.xapijava.db.internal.Table;
import org.xapijava.db.persist.Delta;
import org.xapijava.model.Field;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rpc.RpcValues;
import org.xapijava.model.types.DbStrings;
import org.xapijava.model.types.XType;

/**
 * The changes of one transaction, applied to a private copy of the head state: reads see the
 * transaction's own writes; nothing is visible to others until {@link Database#transact} commits, and
 * nothing at all is applied when the body throws. Generations follow Xapi exactly (reference §6.4):
 * each create, field write and delete stamps the current generation {@code g} on the rows it
 * touches (including rows whose relation sets it updates) and then increments it by 1; {@link #touch}
 * increments by 2; a write that does not change the value is skipped. Confined to the committing
 * thread, which holds the writer lock; unusable after the transaction ends.
 */
public final class Transaction extends DbReader {
    private final long baseGeneration;
    private Table[] tables;
    private boolean tablesCopied;
    private PMap<TableSchema> refs;
    private PMap<String> uuids;
    private long gen;
    private final List<Delta> deltas = new ArrayList<>();
    private boolean open = true;

    Transaction(Snapshot base) {
        super(base.schema);
        this.baseGeneration = base.generation;
        this.tables = base.tables;
        this.refs = base.refs;
        this.uuids = base.uuids;
        this.gen = base.generation;
    }

    @Override
    Table table(int index) {
        check();
        return tables[index];
    }

    @Override
    TableSchema tableOfRef(String ref) {
        check();
        return ref == null ? null : refs.get(ref);
    }

    @Override
    String refOfUuid(String uuid) {
        check();
        return uuid == null ? null : uuids.get(uuid);
    }

    @Override
    public long generation() {
        return gen;
    }

    private void check() {
        if (!open) throw new IllegalStateException("transaction already ended");
    }

    boolean changed() {
        return gen != baseGeneration;
    }

    List<Delta> deltas() {
        return deltas;
    }

    Snapshot finish() {
        open = false;
        return new Snapshot(schema, gen, tables, refs, uuids);
    }

    void abandon() {
        open = false;
    }

    /** Replay only: moves the generation forward (never back). */
    void advanceGenerationTo(long g) {
        if (g > gen) gen = g;
    }

    // ------------------------------------------------------------------ writes

    /**
     * Creates a row. {@code values} maps wire field names to values; missing fields take the
     * datamodel default, else the type's empty value. Creating an existing ref with the same values
     * is a no-op, as in Xapi; with different values it is refused.
     */
    public void create(String cls, String ref, Map<String, ?> values) {
        check();
        TableSchema ts = schema.tableOrThrow(cls);
        Objects.requireNonNull(ref, "ref");
        Object[] vs = ts.defaults.clone();
        for (Map.Entry<String, ?> e : values.entrySet()) {
            int i = ts.fieldOrThrow(e.getKey());
            vs[i] = normalize(ts, i, ts.types[i], e.getValue());
        }
        TableSchema existing = refs.get(ref);
        if (existing != null) {
            if (existing != ts) throw ApiError.handleInvalid(ts.name, ref);
            Row r = tables[ts.index].rows().get(ref);
            for (Map.Entry<String, ?> e : values.entrySet()) {
                int i = ts.field(e.getKey());
                String have = DbStrings.toDb(ts.types[i], r.values()[i]);
                if (!have.equals(DbStrings.toDb(ts.types[i], vs[i]))) {
                    throw internal("Db_exn.Integrity_violation", ts.name, ts.columns[i], have);
                }
            }
            return;
        }
        createRow(ts, ref, vs, gen, gen);
    }

    /** Inserts a checked row stamped (created, modified) and increments the generation. */
    void createRow(TableSchema ts, String ref, Object[] vs, long created, long modified) {
        if (ts.uuid >= 0) {
            String uuid = (String) vs[ts.uuid];
            if (!uuid.isEmpty() && uuids.get(uuid) != null) throw uniqueness(ts.name, "uuid", uuid);
        }
        if (refs.get(ref) != null) throw uniqueness(ts.name, "_ref", ref);
        if (ts.uuid >= 0 && !((String) vs[ts.uuid]).isEmpty()) uuids = uuids.put((String) vs[ts.uuid], ref);
        refs = refs.put(ref, ts);
        Row row = new Row(ref, created, modified, vs);
        putRow(ts, row);
        if (ts.nameLabel >= 0) nameIndex(ts, (String) vs[ts.nameLabel], ref, true);
        if (ts.persistent) {
            Map<String, String> cols = new LinkedHashMap<>();
            for (int i = 0; i < vs.length; i++) {
                if (ts.persistentColumn[i]) cols.put(ts.columns[i], DbStrings.toDb(ts.types[i], vs[i]));
            }
            deltas.add(new Delta.CreateRow(ts.name, ref, cols));
        }
        relations(ts, row, true);
        gen++;
    }

    /** Writes a field (by wire name); {@code HANDLE_INVALID} when the row is missing. */
    public void set(String cls, String ref, String field, Object value) {
        check();
        TableSchema ts = schema.tableOrThrow(cls);
        int i = ts.fieldOrThrow(field);
        rowOrThrow(ts, ref);
        writeField(ts, ref, i, normalize(ts, i, ts.types[i], value));
    }

    public <T> void set(String ref, Field<T> field, T value) {
        set(field.cls(), ref, field.name(), value);
    }

    /** Xapi's {@code write_field_locked} + {@code set_field}: value already checked. */
    void writeField(TableSchema ts, String ref, int i, Object value) {
        Row row = rowOrThrow(ts, ref);
        Object old = row.values()[i];
        if (sameValue(old, value)) return;
        if (i == ts.uuid) {
            String nu = (String) value;
            String ou = (String) old;
            PMap<String> u = ou.isEmpty() ? uuids : uuids.remove(ou);
            if (!nu.isEmpty()) {
                if (u.get(nu) != null) throw uniqueness(ts.name, "uuid", nu);
                u = u.put(nu, ref);
            }
            uuids = u;
        }
        if (ts.relationField[i]) {
            // Xapi drops every relation of the row, writes, then re-adds them all
            relations(ts, row, false);
            row = tables[ts.index].rows().get(ref);
        }
        Row nr = row.with(i, value, gen);
        putRow(ts, nr);
        if (i == ts.nameLabel) {
            nameIndex(ts, (String) old, ref, false);
            nameIndex(ts, (String) value, ref, true);
        }
        if (ts.persistent && ts.persistentColumn[i]) {
            deltas.add(new Delta.WriteField(ts.name, ref, ts.columns[i], DbStrings.toDb(ts.types[i], value)));
        }
        if (ts.relationField[i]) relations(ts, nr, true);
        gen++;
    }

    /**
     * Marks a row modified without changing it ({@code event.inject}): stamps the current generation
     * and increments it by 2. Returns the stamped generation.
     */
    public long touch(String cls, String ref) {
        check();
        TableSchema ts = schema.tableOrThrow(cls);
        Row row = rowOrThrow(ts, ref);
        long g = gen;
        putRow(ts, row.touched(g));
        gen += 2;
        return g;
    }

    /** Deletes a row, leaving a tombstone; {@code HANDLE_INVALID} when it is missing. */
    public void delete(String cls, String ref) {
        check();
        TableSchema ts = schema.tableOrThrow(cls);
        rowOrThrow(ts, ref);
        deleteRow(ts, ref);
    }

    void deleteRow(TableSchema ts, String ref) {
        Row row = rowOrThrow(ts, ref);
        if (ts.uuid >= 0 && !((String) row.values()[ts.uuid]).isEmpty())
            uuids = uuids.remove((String) row.values()[ts.uuid]);
        refs = refs.remove(ref);
        relations(ts, row, false);
        row = tables[ts.index].rows().get(ref);
        copyTables();
        Table t = tables[ts.index];
        PMap<Object> byName = t.byName();
        if (ts.nameLabel >= 0) byName = Table.nameRemove(byName, (String) row.values()[ts.nameLabel], ref);
        tables[ts.index] = new Table(t.rows().remove(ref), t.deleted().add(row.created(), gen, ref), byName);
        if (ts.persistent) deltas.add(new Delta.DeleteRow(ts.name, ref));
        gen++;
    }

    /** Adds an element to a set field (prepended, as Xapi does); no change when already present. */
    public void addToSet(String cls, String ref, String field, Object element) {
        check();
        TableSchema ts = schema.tableOrThrow(cls);
        int i = ts.fieldOrThrow(field);
        XType.SetType st = setType(ts, i);
        Object el = normalize(ts, i, st.element(), element);
        List<?> cur = (List<?>) rowOrThrow(ts, ref).values()[i];
        if (cur.contains(el)) return;
        List<Object> nl = new ArrayList<>(cur.size() + 1);
        nl.add(el);
        nl.addAll(cur);
        writeField(ts, ref, i, Collections.unmodifiableList(nl));
    }

    public void removeFromSet(String cls, String ref, String field, Object element) {
        check();
        TableSchema ts = schema.tableOrThrow(cls);
        int i = ts.fieldOrThrow(field);
        setType(ts, i);
        List<?> cur = (List<?>) rowOrThrow(ts, ref).values()[i];
        List<Object> nl = new ArrayList<>(cur.size());
        for (Object x : cur) if (!x.equals(element)) nl.add(x);
        writeField(ts, ref, i, Collections.unmodifiableList(nl));
    }

    /**
     * Adds a key to a map field (the new pair first, as Xapi does). An existing key is refused with
     * {@code MAP_DUPLICATE_KEY [table, column, ref, key]} (Xapi's master behaviour, even for an equal
     * value); an empty key with Xapi's {@code Db_exn.Empty_key_in_map}.
     */
    public void addToMap(String cls, String ref, String field, Object key, Object value) {
        check();
        TableSchema ts = schema.tableOrThrow(cls);
        int i = ts.fieldOrThrow(field);
        XType.MapType mt = mapType(ts, i);
        Object k = normalize(ts, i, mt.key(), key);
        Object v = normalize(ts, i, mt.value(), value);
        Map<?, ?> cur = (Map<?, ?>) rowOrThrow(ts, ref).values()[i];
        String ks = DbStrings.toDb(mt.key(), k);
        if (ks.isEmpty()) throw new ApiError("INTERNAL_ERROR", "Db_exn.Empty_key_in_map");
        if (cur.containsKey(k)) throw new ApiError("MAP_DUPLICATE_KEY", ts.name, ts.columns[i], ref, ks);
        Map<Object, Object> nm = new LinkedHashMap<>();
        nm.put(k, v);
        nm.putAll(cur);
        writeField(ts, ref, i, Collections.unmodifiableMap(nm));
    }

    public void removeFromMap(String cls, String ref, String field, Object key) {
        check();
        TableSchema ts = schema.tableOrThrow(cls);
        int i = ts.fieldOrThrow(field);
        mapType(ts, i);
        Map<?, ?> cur = (Map<?, ?>) rowOrThrow(ts, ref).values()[i];
        if (!cur.containsKey(key)) return;
        Map<Object, Object> nm = new LinkedHashMap<>(cur);
        nm.remove(key);
        writeField(ts, ref, i, Collections.unmodifiableMap(nm));
    }

    // ------------------------------------------------------------------ helpers

    private static XType.SetType setType(TableSchema ts, int i) {
        if (ts.types[i] instanceof XType.SetType st) return st;
        throw new IllegalArgumentException(ts.name + "." + ts.fields[i].name() + " is not a set");
    }

    private static XType.MapType mapType(TableSchema ts, int i) {
        if (ts.types[i] instanceof XType.MapType mt) return mt;
        throw new IllegalArgumentException(ts.name + "." + ts.fields[i].name() + " is not a map");
    }

    private void copyTables() {
        if (!tablesCopied) {
            tables = tables.clone();
            tablesCopied = true;
        }
    }

    private void putRow(TableSchema ts, Row row) {
        copyTables();
        Table t = tables[ts.index];
        tables[ts.index] = t.withRows(t.rows().put(row.ref(), row));
    }

    private void nameIndex(TableSchema ts, String label, String ref, boolean add) {
        copyTables();
        Table t = tables[ts.index];
        PMap<Object> idx = add ? Table.nameAdd(t.byName(), label, ref) : Table.nameRemove(t.byName(), label, ref);
        if (idx != t.byName()) tables[ts.index] = new Table(t.rows(), t.deleted(), idx);
    }

    /**
     * Adds ({@code add}) or removes this row in the other side of every relation the row's table
     * maintains, many-to-many first then one-to-many, as Xapi's {@code update_many_to_many} and
     * {@code update_one_to_many} do: each target row is stamped modified at the current generation.
     */
    private void relations(TableSchema ts, Row row, boolean add) {
        for (Link l : ts.manyToMany) {
            for (Object other : (List<?>) row.values()[l.field()]) {
                backPointer(l, (String) other, row.ref(), add);
            }
        }
        for (Link l : ts.oneToMany) {
            Object v = row.values()[l.field()];
            if (v instanceof String target) backPointer(l, target, row.ref(), add);
        }
    }

    private void backPointer(Link l, String target, String ref, boolean add) {
        TableSchema tt = schema.tables[l.target()];
        Row tr = tables[tt.index].rows().get(target);
        if (tr == null) return;
        List<?> cur = (List<?>) tr.values()[l.targetField()];
        List<?> nl;
        if (add) {
            if (cur.contains(ref)) {
                nl = cur;
            } else {
                List<Object> x = new ArrayList<>(cur.size() + 1);
                x.add(ref);
                x.addAll(cur);
                nl = Collections.unmodifiableList(x);
            }
        } else {
            List<Object> x = new ArrayList<>(cur.size());
            for (Object o : cur) if (!o.equals(ref)) x.add(o);
            nl = x.size() == cur.size() ? cur : Collections.unmodifiableList(x);
        }
        putRow(tt, tr.with(l.targetField(), nl, gen));
        if (nl != cur && tt.persistent && tt.persistentColumn[l.targetField()]) {
            deltas.add(new Delta.WriteField(
                    tt.name, target, tt.columns[l.targetField()], DbStrings.toDb(tt.types[l.targetField()], nl)));
        }
    }

    /** Map values compare in order, as Xapi's association lists do; everything else by equals. */
    static boolean sameValue(Object a, Object b) {
        if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            return ma.size() == mb.size() && new ArrayList<>(ma.entrySet()).equals(new ArrayList<>(mb.entrySet()));
        }
        return Objects.equals(a, b);
    }

    /** {@link ValueCheck#normalize} for column {@code col} of {@code ts}. */
    private Object normalize(TableSchema ts, int col, XType t, Object v) {
        return ValueCheck.normalize(schema.dm, ts, col, t, v);
    }

    static ApiError uniqueness(String table, String field, String value) {
        return internal("Db_exn.Uniqueness_constraint_violation", table, field, value);
    }

    /** An OCaml exception with string arguments as {@code Printexc.to_string} prints it, in an INTERNAL_ERROR. */
    static ApiError internal(String exn, String... args) {
        StringBuilder b = new StringBuilder(exn).append('(');
        for (int i = 0; i < args.length; i++) {
            if (i > 0) b.append(", ");
            b.append(RpcValues.ocamlQuoted(args[i]));
        }
        return new ApiError("INTERNAL_ERROR", b.append(')').toString());
    }
}
