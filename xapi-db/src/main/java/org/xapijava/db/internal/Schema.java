package org.xapijava.db.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xapijava.model.ClassDef;
import org.xapijava.model.Datamodel;
import org.xapijava.model.FieldDef;
import org.xapijava.model.Relation;
import org.xapijava.model.types.XType;

/**
 * The database schema derived from a {@link Datamodel}: one {@link TableSchema} per class (every class
 * is a table, as in Xapi, even those never written), with column positions, persistence flags and
 * the relations the database maintains. Immutable.
 */
public final class Schema {
    public final Datamodel dm;
    public final TableSchema[] tables;
    private final Map<String, TableSchema> byName = new HashMap<>();
    private final Set<String> laterTables;

    public Schema(Datamodel dm) {
        this.dm = dm;
        List<ClassDef> cs = dm.classes();
        tables = new TableSchema[cs.size()];
        for (int i = 0; i < cs.size(); i++) {
            ClassDef c = cs.get(i);
            tables[i] = new TableSchema(i, c, dm);
            byName.put(c.name(), tables[i]);
        }
        for (Relation r : dm.relations()) {
            TableSchema a = byName.get(r.aClass());
            TableSchema b = byName.get(r.bClass());
            // relations may name classes or fields of newer releases that this datamodel lacks
            if (a == null || b == null) continue;
            int af = a.cls.dbIndex(r.aField());
            int bf = b.cls.dbIndex(r.bField());
            if (af < 0 || bf < 0) continue;
            Link link = new Link(af, b.index, bf);
            if (r.kind() == Relation.Kind.ONE_TO_MANY) {
                a.oneToMany.add(link);
                b.backPointer[bf] = true;
                // the set side is recomputed at load, never persisted (Xapi's Database.reindex)
                b.persistentColumn[bf] = false;
            } else {
                // Xapi maintains a many-to-many relation only from its first side
                a.manyToMany.add(link);
            }
            a.relationField[af] = true;
        }
        laterTables = Set.copyOf(dm.laterTables());
        for (Map.Entry<String, List<String>> e : dm.laterColumns().entrySet()) {
            TableSchema t = byName.get(e.getKey());
            if (t != null) t.laterColumns.addAll(e.getValue());
        }
    }

    public TableSchema table(String name) {
        return byName.get(name);
    }

    /** The table, or IllegalArgumentException naming the unknown class. */
    public TableSchema tableOrThrow(String name) {
        TableSchema t = byName.get(name);
        if (t == null) throw new IllegalArgumentException("unknown class " + name);
        return t;
    }

    public boolean isLaterTable(String name) {
        return laterTables.contains(name);
    }

    /** A maintained relation seen from the table holding {@code field}. */
    public record Link(int field, int target, int targetField) {}

    /** One table. */
    public static final class TableSchema {
        public final int index;
        public final ClassDef cls;
        public final String name;
        public final boolean persistent;
        public final boolean events;
        public final FieldDef[] fields;
        public final XType[] types;
        public final String[] columns;
        public final boolean[] persistentColumn;
        public final boolean[] backPointer;
        public final boolean[] relationField;
        /** Value of each column in a new row when the caller gives none. */
        public final Object[] defaults;
        /** The type's empty value of each column (what non-persistent columns reset to at load). */
        public final Object[] empties;

        public final int uuid;
        public final int nameLabel;
        /** Column positions of the wire record, in datamodel order. */
        public final int[] wire;

        public final String[] wireNames;
        public final List<Link> oneToMany = new ArrayList<>();
        public final List<Link> manyToMany = new ArrayList<>();
        private final Map<String, Integer> byColumn = new HashMap<>();
        final Set<String> laterColumns = new HashSet<>();

        TableSchema(int index, ClassDef c, Datamodel dm) {
            this.index = index;
            this.cls = c;
            this.name = c.name();
            this.persistent = c.persistent();
            this.events = c.events();
            List<FieldDef> fs = c.dbFields();
            int n = fs.size();
            fields = fs.toArray(new FieldDef[0]);
            types = new XType[n];
            columns = new String[n];
            persistentColumn = new boolean[n];
            backPointer = new boolean[n];
            relationField = new boolean[n];
            defaults = new Object[n];
            empties = new Object[n];
            for (int i = 0; i < n; i++) {
                FieldDef f = fields[i];
                types[i] = f.type();
                columns[i] = f.column();
                persistentColumn[i] = f.persist();
                empties[i] = dm.emptyValue(f.type());
                defaults[i] = f.hasDefault() ? f.defaultValue() : empties[i];
                byColumn.put(f.column(), i);
            }
            uuid = c.dbIndex("uuid");
            int nl = c.dbIndex("name_label");
            nameLabel = nl >= 0 && XType.STRING.equals(types[nl]) ? nl : -1;
            List<FieldDef> wf = c.wireFields();
            wire = new int[wf.size()];
            wireNames = new String[wf.size()];
            for (int i = 0; i < wire.length; i++) {
                wire[i] = c.dbIndex(wf.get(i).name());
                wireNames[i] = wf.get(i).name();
            }
        }

        /** Position of a field by wire name, or -1. */
        public int field(String fieldName) {
            return cls.dbIndex(fieldName);
        }

        /** Position of a field by wire name, or IllegalArgumentException. */
        public int fieldOrThrow(String fieldName) {
            int i = cls.dbIndex(fieldName);
            if (i < 0) throw new IllegalArgumentException("unknown field " + name + "." + fieldName);
            return i;
        }

        /** Position of a column by database name, or -1. */
        public int column(String column) {
            Integer i = byColumn.get(column);
            return i == null ? -1 : i;
        }

        public boolean isLaterColumn(String column) {
            return laterColumns.contains(column);
        }

        public Set<String> laterColumns() {
            return Collections.unmodifiableSet(laterColumns);
        }
    }
}
