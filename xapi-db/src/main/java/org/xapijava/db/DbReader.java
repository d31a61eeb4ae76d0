package org.xapijava.db;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.db.internal.Row;
import org.xapijava.db.internal.Schema;
import org.xapijava.db.internal.Schema.TableSchema;
import org.xapijava.db.internal.Table;
import org.xapijava.model.Datamodel;
import org.xapijava.model.Field;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DbStrings;

/**
 * Read access to one state of the database: a published {@link Snapshot}, or a {@link Transaction}
 * (which sees its own writes). Classes are named as in the datamodel ({@code VM}, {@code VM_metrics}),
 * fields by wire name ({@code name_label}); where-expressions use database column names.
 * Values are the immutable Java values of {@link org.xapijava.model.types.XType}.
 */
public abstract sealed class DbReader implements FieldReads permits Snapshot, Transaction {
    final Schema schema;

    DbReader(Schema schema) {
        this.schema = schema;
    }

    abstract Table table(int index);

    /** The table holding {@code ref}, or null. */
    abstract TableSchema tableOfRef(String ref);

    /** The ref with this uuid (in any table), or null. */
    abstract String refOfUuid(String uuid);

    /**
     * The generation count of this state: the generation the next change will be stamped with
     * (Xapi's manifest {@code generation_count}); every stamp in this state is below it.
     */
    public abstract long generation();

    public Datamodel datamodel() {
        return schema.dm;
    }

    final Row row(TableSchema ts, String ref) {
        return ref == null ? null : table(ts.index).rows().get(ref);
    }

    final Row rowOrThrow(TableSchema ts, String ref) {
        Row r = row(ts, ref);
        if (r == null) throw ApiError.handleInvalid(ts.name, ref);
        return r;
    }

    /** The class of the object {@code ref} names, or null when it names nothing. */
    public String classOf(String ref) {
        TableSchema ts = tableOfRef(ref);
        return ts == null ? null : ts.name;
    }

    /** Whether {@code ref} is a row of {@code cls}. */
    @Override
    public boolean exists(String cls, String ref) {
        return row(schema.tableOrThrow(cls), ref) != null;
    }

    /** A field's value; {@code HANDLE_INVALID [cls, ref]} when the row is missing. */
    public Object get(String cls, String ref, String field) {
        TableSchema ts = schema.tableOrThrow(cls);
        int i = ts.fieldOrThrow(field);
        return rowOrThrow(ts, ref).values()[i];
    }

    /** A field's value, typed. */
    @Override
    public <T> T get(String ref, Field<T> field) {
        return field.cast(get(field.cls(), ref, field.name()));
    }

    /** A column's database string (e.g. for the CLI); {@code _ref} is the ref. */
    public String getDbString(String cls, String ref, String column) {
        TableSchema ts = schema.tableOrThrow(cls);
        Row r = rowOrThrow(ts, ref);
        if ("_ref".equals(column)) return r.ref();
        int i = ts.column(column);
        if (i < 0) throw new IllegalArgumentException("unknown column " + cls + "." + column);
        return DbStrings.toDb(ts.types[i], r.values()[i]);
    }

    /** Creation and last modification generations of a row. */
    public record RowStat(long created, long modified) {}

    public RowStat stat(String cls, String ref) {
        Row r = rowOrThrow(schema.tableOrThrow(cls), ref);
        return new RowStat(r.created(), r.modified());
    }

    /** The wire record (wire fields in datamodel order): an immutable view, not a copy. */
    public Map<String, Object> getRecord(String cls, String ref) {
        TableSchema ts = schema.tableOrThrow(cls);
        return new RecordView(ts, rowOrThrow(ts, ref));
    }

    /** Every ref of the class. */
    @Override
    public List<String> all(String cls) {
        return table(schema.tableOrThrow(cls).index).rows().keys();
    }

    /** Number of rows of the class. */
    public int count(String cls) {
        return table(schema.tableOrThrow(cls).index).rows().size();
    }

    /** Every record of the class, by ref. */
    public Map<String, Map<String, Object>> getAllRecords(String cls) {
        TableSchema ts = schema.tableOrThrow(cls);
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        table(ts.index).rows().forEach((ref, row) -> out.put(ref, new RecordView(ts, row)));
        return out;
    }

    /** Refs of the rows of the field's class whose field equals {@code value} (Java equality of values). */
    @Override
    public <T> List<String> where(Field<T> field, T value) {
        TableSchema ts = schema.tableOrThrow(field.cls());
        int i = ts.fieldOrThrow(field.name());
        List<String> out = new ArrayList<>();
        table(ts.index).rows().forEach((ref, row) -> {
            if (java.util.Objects.equals(row.values()[i], value)) out.add(ref);
        });
        return out;
    }

    /** Refs of the rows matching a where-expression (see {@link WhereExpr}). */
    public List<String> getAllWhere(String cls, String expr) {
        List<String> out = new ArrayList<>();
        where(cls, expr, (ts, row) -> out.add(row.ref()));
        return out;
    }

    /** Records of the rows matching a where-expression (see {@link WhereExpr}), by ref. */
    public Map<String, Map<String, Object>> getAllRecordsWhere(String cls, String expr) {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        where(cls, expr, (ts, row) -> out.put(row.ref(), new RecordView(ts, row)));
        return out;
    }

    private void where(String cls, String expr, java.util.function.BiConsumer<TableSchema, Row> sink) {
        TableSchema ts = schema.tableOrThrow(cls);
        WhereExpr e = WhereExpr.parse(expr);
        table(ts.index).rows().forEach((ref, row) -> {
            if (e.eval(column -> columnString(ts, row, column))) sink.accept(ts, row);
        });
    }

    static String columnString(TableSchema ts, Row row, String column) {
        if ("_ref".equals(column)) return row.ref();
        int i = ts.column(column);
        if (i < 0) throw new ApiError("INTERNAL_ERROR", "missing field", column, "");
        return DbStrings.toDb(ts.types[i], row.values()[i]);
    }

    /** The ref with this uuid; {@code UUID_INVALID [cls, uuid]} when no object of the class has it. */
    public String getByUuid(String cls, String uuid) {
        TableSchema ts = schema.tableOrThrow(cls);
        String ref = refOfUuid(uuid);
        if (ref == null || tableOfRef(ref) != ts) throw ApiError.uuidInvalid(cls, uuid);
        return ref;
    }

    /** Refs of the objects whose name_label is exactly {@code label}. */
    public List<String> getByNameLabel(String cls, String label) {
        TableSchema ts = schema.tableOrThrow(cls);
        if (ts.nameLabel < 0) throw new IllegalArgumentException(cls + " has no name_label");
        Object v = table(ts.index).byName().get(label);
        if (v == null) return List.of();
        if (v instanceof String s) return List.of(s);
        return List.of((String[]) v);
    }

    /** Row count of every table, by lower-case table name (event.from's {@code valid_ref_counts}). */
    public Map<String, Integer> validRefCounts() {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (TableSchema ts : schema.tables) {
            out.put(
                    ts.name.toLowerCase(java.util.Locale.ROOT),
                    table(ts.index).rows().size());
        }
        return out;
    }
}
