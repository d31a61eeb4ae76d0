package org.xapijava.server.remotedb;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.xapijava.db.Database;
import org.xapijava.db.DbReader;
import org.xapijava.model.ClassDef;
import org.xapijava.model.Datamodel;
import org.xapijava.model.FieldDef;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DbStrings;
import org.xapijava.model.types.XType;

/**
 * The remote database functions on the master's database, with the semantics of Xapi's
 * {@code db_cache_impl.ml} (its {@code Compat} string interface): tables by class name, columns by database name,
 * values as database strings, Xapi's {@link RemoteDbError}s. Lists of refs and of columns come in the order
 * Xapi's folds over its ordered maps give them (refs and column names descending). Each call reads one
 * {@link Database#snapshot} or writes in one transaction.
 *
 * <p>Failures outside the protocol's exceptions (a value that does not parse for its column's type, text the
 * database refuses, an empty map key, an existing ref created with other values, a write of {@code _ref}) throw
 * other exceptions, which the handler answers as Xapi does: HTTP 500. Thread-safe.
 */
public final class MasterDbAccess implements RemoteDbAccess {
    /** Xapi's {@code Db_names.ref}: every row's own ref as a column. */
    static final String REF = "_ref";

    private static final String UUID = "uuid";
    private static final String NAME_LABEL = "name__label";
    private static final Comparator<String> DESCENDING = Comparator.reverseOrder();

    private final Database db;
    private final Datamodel dm;

    public MasterDbAccess(Database db) {
        this.db = db;
        this.dm = db.datamodel();
    }

    // ------------------------------------------------------------------ lookups as Xapi fails them

    /** {@code TableSet.find}: {@code dbcache_notfound ["missing table", table, ""]}. */
    private ClassDef table(String name) {
        ClassDef c = dm.cls(name);
        if (c == null) throw RemoteDbError.notFound("missing table", name, "");
        return c;
    }

    /** {@code Table.find} under Xapi's {@code with Not_found}: {@code ["missing row", table, ref]}. */
    private static void row(DbReader s, ClassDef c, String ref) {
        if (!s.exists(c.name(), ref)) throw RemoteDbError.notFound("missing row", c.name(), ref);
    }

    /** {@code Row.find'}: a column's string; {@code ["missing field", column, ""]}. */
    private static String column(DbReader s, ClassDef c, String ref, String column) {
        if (REF.equals(column)) return ref;
        if (c.fieldByColumn(column) == null) throw RemoteDbError.notFound("missing field", column, "");
        return s.getDbString(c.name(), ref, column);
    }

    /** {@code Schema.Table.find}: {@code ["missing column", table, column]}. */
    private static FieldDef schemaColumn(ClassDef c, String column) {
        FieldDef f = c.fieldByColumn(column);
        if (f == null) throw RemoteDbError.notFound("missing column", c.name(), column);
        return f;
    }

    /** The refs of a table in the order of Xapi's fold-and-prepend over its ordered map. */
    private static List<String> refs(DbReader s, ClassDef c) {
        List<String> l = new ArrayList<>(s.all(c.name()));
        l.sort(DESCENDING);
        return l;
    }

    // ------------------------------------------------------------------ reads

    @Override
    public Optional<String> getTableFromRef(String ref) {
        return Optional.ofNullable(db.snapshot().classOf(ref));
    }

    @Override
    public boolean isValidRef(String ref) {
        return db.snapshot().classOf(ref) != null;
    }

    @Override
    public List<String> readRefs(String table) {
        return refs(db.snapshot(), table(table));
    }

    @Override
    public List<String> readFieldWhere(WhereRecord w) {
        DbReader s = db.snapshot();
        ClassDef c = table(w.table());
        List<String> out = new ArrayList<>();
        for (String ref : refs(s, c)) {
            if (column(s, c, ref, w.whereField()).equals(w.whereValue())) out.add(column(s, c, ref, w.returnField()));
        }
        return out;
    }

    @Override
    public String dbGetByUuid(String table, String uuid) {
        try {
            return db.snapshot().getByUuid(table, uuid);
        } catch (ApiError | IllegalArgumentException e) {
            // not found, in another table, or no such table: Xapi looks the uuid up in one index of all tables
            throw new RemoteDbError(RemoteDbError.READ_MISSING_UUID, List.of(table, "", uuid));
        }
    }

    @Override
    public Optional<String> dbGetByUuidOpt(String table, String uuid) {
        List<String> l = readFieldWhere(new WhereRecord(table, REF, UUID, uuid));
        return l.size() == 1 ? Optional.of(l.get(0)) : Optional.empty();
    }

    @Override
    public List<String> dbGetByNameLabel(String table, String label) {
        return readFieldWhere(new WhereRecord(table, REF, NAME_LABEL, label));
    }

    @Override
    public String readField(String table, String column, String ref) {
        DbReader s = db.snapshot();
        ClassDef c = table(table);
        row(s, c, ref);
        return column(s, c, ref, column);
    }

    @Override
    public List<String> findRefsWithFilter(String table, DbExpr expr) {
        DbReader s = db.snapshot();
        ClassDef c = table(table);
        List<String> out = new ArrayList<>();
        for (String ref : refs(s, c)) {
            if (expr.eval(col -> column(s, c, ref, col))) out.add(ref);
        }
        return out;
    }

    @Override
    public DbRecord readRecord(String table, String ref) {
        DbReader s = db.snapshot();
        ClassDef c = table(table);
        row(s, c, ref);
        return record(s, c, ref);
    }

    /** {@code read_record_internal}: every column, and every {@code Set(Ref _)} column as refs. */
    private static DbRecord record(DbReader s, ClassDef c, String ref) {
        Map<String, String> fields = new TreeMap<>(DESCENDING);
        Map<String, List<String>> sets = new TreeMap<>(DESCENDING);
        fields.put(REF, ref);
        for (FieldDef f : c.dbFields()) {
            fields.put(f.column(), s.getDbString(c.name(), ref, f.column()));
            if (f.type() instanceof XType.SetType st && st.element() instanceof XType.RefType) {
                List<String> refs = new ArrayList<>();
                for (Object o : (List<?>) s.get(c.name(), ref, f.name())) refs.add((String) o);
                sets.put(f.column(), refs);
            }
        }
        return new DbRecord(fields, sets);
    }

    @Override
    public List<Map.Entry<String, DbRecord>> readRecordsWhere(String table, DbExpr expr) {
        DbReader s = db.snapshot();
        ClassDef c = table(table);
        List<Map.Entry<String, DbRecord>> out = new ArrayList<>();
        for (String ref : refs(s, c)) {
            if (expr.eval(col -> column(s, c, ref, col))) out.add(Map.entry(ref, record(s, c, ref)));
        }
        return out;
    }

    // ------------------------------------------------------------------ writes

    @Override
    public void createRow(String table, Map<String, String> columns, String ref) {
        ClassDef c = table(table);
        Map<String, Object> values = new LinkedHashMap<>();
        Map<String, String> normalized = new LinkedHashMap<>();
        for (var e : columns.entrySet()) {
            if (REF.equals(e.getKey())) continue; // Xapi adds the row's own ref itself
            FieldDef f = schemaColumn(c, e.getKey());
            Object v = DbStrings.fromDb(f.type(), e.getValue());
            values.put(f.name(), v);
            normalized.put(f.column(), DbStrings.toDb(f.type(), v));
        }
        db.transact(tx -> {
            if (tx.classOf(ref) != null) {
                // Xapi's create_row': an existing ref is accepted when every given column already holds the value
                for (var e : normalized.entrySet()) {
                    if (!tx.exists(c.name(), ref)) throw RemoteDbError.notFound("missing row", c.name(), ref);
                    String have = tx.getDbString(c.name(), ref, e.getKey());
                    if (!have.equals(e.getValue())) {
                        throw new IllegalStateException(
                                "Db_exn.Integrity_violation(" + c.name() + ", " + e.getKey() + ", " + have + ")");
                    }
                }
                return;
            }
            for (FieldDef f : c.dbFields()) {
                if (!values.containsKey(f.name()) && !f.hasDefault() && !isSetRef(f)) {
                    throw RemoteDbError.notFound("missing default value in datamodel for new field", f.column(), "");
                }
            }
            try {
                tx.create(c.name(), ref, values);
            } catch (ApiError e) {
                throw uniqueness(e, c, values.get(UUID));
            }
        });
    }

    /** Set(Ref _) columns have Xapi's hard-wired default, the empty set. */
    private static boolean isSetRef(FieldDef f) {
        return f.type() instanceof XType.SetType st && st.element() instanceof XType.RefType;
    }

    /** The database's uniqueness error as the protocol's (the only unique column is the uuid). */
    private static RuntimeException uniqueness(ApiError e, ClassDef c, Object uuid) {
        String d = e.description().toString();
        if (d.contains("Uniqueness_constraint_violation") && uuid instanceof String u) {
            return new RemoteDbError(RemoteDbError.UNIQUENESS_CONSTRAINT_VIOLATION, List.of(c.name(), UUID, u));
        }
        return e;
    }

    @Override
    public void deleteRow(String table, String ref) {
        ClassDef c = table(table);
        db.transact(tx -> {
            row(tx, c, ref);
            tx.delete(c.name(), ref);
        });
    }

    @Override
    public void writeField(String table, String ref, String column, String value) {
        ClassDef c = table(table);
        if (REF.equals(column)) throw new IllegalStateException("Failure(\"Cannot safely update field: _ref\")");
        FieldDef f = schemaColumn(c, column);
        Object v = DbStrings.fromDb(f.type(), value);
        db.transact(tx -> {
            row(tx, c, ref);
            try {
                tx.set(c.name(), ref, f.name(), v);
            } catch (ApiError e) {
                throw uniqueness(e, c, v);
            }
        });
    }

    @Override
    public void processStructuredField(
            String key, String value, String table, String column, String ref, StructuredOp op) {
        ClassDef c = table(table);
        db.transact(tx -> {
            row(tx, c, ref);
            FieldDef f = c.fieldByColumn(column);
            if (f == null) throw RemoteDbError.notFound("missing field", column, "");
            Object cur = tx.get(c.name(), ref, f.name());
            Object next = switch (op) {
                case ADD_SET, REMOVE_SET -> setOp(f, cur, key, op == StructuredOp.ADD_SET);
                case ADD_MAP, REMOVE_MAP -> mapOp(f, cur, key, value, op == StructuredOp.ADD_MAP, c, ref);
            };
            tx.set(c.name(), ref, f.name(), next);
        });
    }

    /** {@code add_to_set} (prepends when absent) / {@code remove_from_set}, on the elements' strings. */
    private static Object setOp(FieldDef f, Object cur, String key, boolean add) {
        if (!(f.type() instanceof XType.SetType st)) throw new IllegalStateException(f.column() + " is not a set");
        List<Object> out = new ArrayList<>();
        boolean present = false;
        for (Object o : (List<?>) cur) {
            boolean same = DbStrings.toDb(st.element(), o).equals(key);
            present |= same;
            if (add || !same) out.add(o);
        }
        if (add && !present) out.add(0, DbStrings.fromDb(st.element(), key));
        return List.copyOf(out);
    }

    /**
     * {@code add_to_map ~idempotent:true} (the pair first; the same pair again is no error, another value under
     * the key is {@code duplicate_key_of}) / {@code remove_from_map}, on the keys' and values' strings.
     */
    private static Object mapOp(FieldDef f, Object cur, String key, String value, boolean add, ClassDef c, String ref) {
        if (!(f.type() instanceof XType.MapType mt)) throw new IllegalStateException(f.column() + " is not a map");
        if (add && key.isEmpty()) throw new IllegalStateException("Db_exn.Empty_key_in_map");
        Map<Object, Object> out = new LinkedHashMap<>();
        if (add) out.put(DbStrings.fromDb(mt.key(), key), DbStrings.fromDb(mt.value(), value));
        for (var e : ((Map<?, ?>) cur).entrySet()) {
            if (!DbStrings.toDb(mt.key(), e.getKey()).equals(key)) {
                out.put(e.getKey(), e.getValue());
            } else if (add && !DbStrings.toDb(mt.value(), e.getValue()).equals(value)) {
                throw new RemoteDbError(RemoteDbError.DUPLICATE_KEY_OF, List.of(c.name(), f.column(), ref, key));
            }
        }
        return java.util.Collections.unmodifiableMap(out);
    }
}
