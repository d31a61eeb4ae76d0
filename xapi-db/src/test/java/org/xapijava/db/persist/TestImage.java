package org.xapijava.db.persist;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A hand-built {@link DbImage} for tests. */
class TestImage implements DbImage {
    record Row(String ref, long created, long modified, Map<String, String> cols) implements RowImage {
        @Override
        public void columns(ColumnSink sink) {
            cols.forEach(sink::column);
        }
    }

    record Table(String name, boolean persistent, List<Row> rowList) implements TableImage {
        @Override
        public Iterable<? extends RowImage> rows() {
            return rowList;
        }
    }

    private final long generation;
    private final int major;
    private final int minor;
    final List<Table> tables = new ArrayList<>();

    TestImage(long generation, int major, int minor) {
        this.generation = generation;
        this.major = major;
        this.minor = minor;
    }

    TestImage table(String name, boolean persistent, Row... rows) {
        tables.add(new Table(name, persistent, new ArrayList<>(List.of(rows))));
        return this;
    }

    static Row row(String ref, long c, long m, String... kv) {
        Map<String, String> cols = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            cols.put(kv[i], kv[i + 1]);
        }
        return new Row(ref, c, m, cols);
    }

    /** An image holding what a LoadedDb holds (all tables persistent). */
    static TestImage of(LoadedDb db) {
        TestImage img = new TestImage(db.generation(), db.schemaMajor(), db.schemaMinor());
        db.tables().forEach((name, rows) -> {
            List<Row> rs = new ArrayList<>();
            for (LoadedDb.LoadedRow r : rows) {
                rs.add(new Row(r.ref(), r.created(), r.modified(), r.columns()));
            }
            img.tables.add(new Table(name, true, rs));
        });
        return img;
    }

    @Override
    public long generation() {
        return generation;
    }

    @Override
    public int schemaMajor() {
        return major;
    }

    @Override
    public int schemaMinor() {
        return minor;
    }

    @Override
    public Iterable<? extends TableImage> tables() {
        return tables;
    }
}
