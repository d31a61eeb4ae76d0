package org.xapijava.db;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.BiPredicate;
import org.xapijava.db.internal.PMap;
import org.xapijava.db.internal.Row;
import org.xapijava.db.internal.Schema;
import org.xapijava.db.internal.Schema.TableSchema;
import org.xapijava.db.internal.Table;
import org.xapijava.db.persist.DbImage;
import org.xapijava.model.types.DbStrings;

/**
 * An immutable, consistent state of the whole database. Readers get the current one from
 * {@link Database#snapshot()} with one volatile read and never wait for writers; a snapshot never
 * changes afterwards. Thread-safe.
 */
public final class Snapshot extends DbReader {
    final long generation;
    final Table[] tables;
    final PMap<TableSchema> refs;
    final PMap<String> uuids;

    Snapshot(Schema schema, long generation, Table[] tables, PMap<TableSchema> refs, PMap<String> uuids) {
        super(schema);
        this.generation = generation;
        this.tables = tables;
        this.refs = refs;
        this.uuids = uuids;
    }

    static Snapshot empty(Schema schema, long generation) {
        Table[] ts = new Table[schema.tables.length];
        java.util.Arrays.fill(ts, Table.EMPTY);
        return new Snapshot(schema, generation, ts, PMap.empty(), PMap.empty());
    }

    @Override
    Table table(int index) {
        return tables[index];
    }

    @Override
    TableSchema tableOfRef(String ref) {
        return ref == null ? null : refs.get(ref);
    }

    @Override
    String refOfUuid(String uuid) {
        return uuid == null ? null : uuids.get(uuid);
    }

    @Override
    public long generation() {
        return generation;
    }

    /** {@link #changesSince(Collection, BiPredicate, long)} for every object of the classes. */
    public Changes changesSince(Collection<String> classes, long since) {
        return changesSince(classes, null, since);
    }

    /**
     * What changed after generation {@code since} in the given classes (event.from, reference §6.3):
     * rows modified after {@code since} are {@code ADD} (id = created) when created after it, else
     * {@code MOD} (id = modified); rows deleted after {@code since} and created at or before it are
     * {@code DEL} (id = deleted); rows created and deleted inside the window give nothing. Classes
     * without events ({@code ClassDef.events() == false}) and unknown names give nothing.
     *
     * @param objectFilter (class, ref) → whether the caller subscribed to it; null for all
     */
    public Changes changesSince(Collection<String> classes, BiPredicate<String, String> objectFilter, long since) {
        List<Change> adds = new ArrayList<>();
        List<Change> mods = new ArrayList<>();
        List<Change> dels = new ArrayList<>();
        long[] last = {since};
        for (String cls : classes) {
            TableSchema ts = schema.table(cls);
            if (ts == null || !ts.events) continue;
            Table t = tables[ts.index];
            t.rows().forEach((ref, row) -> {
                if (row.modified() <= since) return;
                if (objectFilter != null && !objectFilter.test(ts.name, ref)) return;
                last[0] = Math.max(last[0], row.modified());
                if (row.created() > since) adds.add(new Change(ts.name, ref, Change.Op.ADD, row.created()));
                else mods.add(new Change(ts.name, ref, Change.Op.MOD, row.modified()));
            });
            t.deleted().forEachSince(since, tomb -> {
                if (objectFilter != null && !objectFilter.test(ts.name, tomb.ref())) return;
                last[0] = Math.max(last[0], tomb.deleted());
                if (tomb.created() <= since) dels.add(new Change(ts.name, tomb.ref(), Change.Op.DEL, tomb.deleted()));
            });
        }
        List<Change> all = new ArrayList<>(adds.size() + mods.size() + dels.size());
        all.addAll(adds);
        all.addAll(mods);
        all.addAll(dels);
        return new Changes(all, last[0], this);
    }

    /**
     * This snapshot as the {@code state.db} writer sees it: every table, persistent columns only, in
     * database string form; non-persistent tables have no rows.
     */
    public DbImage image() {
        return new Image();
    }

    private final class Image implements DbImage {
        @Override
        public long generation() {
            return generation;
        }

        @Override
        public int schemaMajor() {
            return schema.dm.schemaMajor();
        }

        @Override
        public int schemaMinor() {
            return schema.dm.schemaMinor();
        }

        @Override
        public Iterable<? extends TableImage> tables() {
            List<TableImage> out = new ArrayList<>(schema.tables.length);
            for (TableSchema ts : schema.tables) {
                Table t = tables[ts.index];
                out.add(new TableImage() {
                    @Override
                    public String name() {
                        return ts.name;
                    }

                    @Override
                    public boolean persistent() {
                        return ts.persistent;
                    }

                    @Override
                    public Iterable<? extends RowImage> rows() {
                        if (!ts.persistent) return List.of();
                        List<RowImage> rows = new ArrayList<>(t.rows().size());
                        t.rows().forEach((ref, row) -> rows.add(new RowView(ts, row)));
                        return rows;
                    }
                });
            }
            return out;
        }
    }

    private record RowView(TableSchema ts, Row row) implements DbImage.RowImage {
        @Override
        public String ref() {
            return row.ref();
        }

        @Override
        public long created() {
            return row.created();
        }

        @Override
        public long modified() {
            return row.modified();
        }

        @Override
        public void columns(DbImage.ColumnSink sink) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < ts.columns.length; i++) {
                if (!ts.persistentColumn[i]) continue;
                b.setLength(0);
                DbStrings.append(b, ts.types[i], row.values()[i]);
                sink.column(ts.columns[i], b.toString());
            }
        }
    }
}
