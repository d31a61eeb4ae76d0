package org.xapijava.db;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import org.xapijava.db.internal.Row;
import org.xapijava.db.internal.Schema.TableSchema;

/**
 * The wire record of one row: an unmodifiable, allocation-light map view of the class's wire fields
 * (datamodel order) over an immutable row. Never changes, whatever happens to the database later.
 */
final class RecordView extends AbstractMap<String, Object> implements org.xapijava.model.rpc.WireRecord {
    private final TableSchema ts;
    private final Row row;

    RecordView(TableSchema ts, Row row) {
        this.ts = ts;
        this.row = row;
    }

    @Override
    public int size() {
        return ts.wire.length;
    }

    @Override
    public org.xapijava.model.ClassDef wireClass() {
        return ts.cls;
    }

    @Override
    public Object version() {
        return row; // immutable: a write makes a new row
    }

    @Override
    public Object wireValue(int i) {
        return row.values()[ts.wire[i]];
    }

    @Override
    public boolean containsKey(Object key) {
        return key instanceof String k && wireIndex(k) >= 0;
    }

    @Override
    public Object get(Object key) {
        if (!(key instanceof String k)) return null;
        int i = wireIndex(k);
        return i < 0 ? null : row.values()[i];
    }

    private int wireIndex(String k) {
        int i = ts.field(k);
        return i >= 0 && ts.fields[i].onWire() ? i : -1;
    }

    @Override
    public Set<Map.Entry<String, Object>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public int size() {
                return ts.wire.length;
            }

            @Override
            public Iterator<Map.Entry<String, Object>> iterator() {
                return new Iterator<>() {
                    int i;

                    @Override
                    public boolean hasNext() {
                        return i < ts.wire.length;
                    }

                    @Override
                    public Map.Entry<String, Object> next() {
                        if (i >= ts.wire.length) throw new NoSuchElementException();
                        int k = i++;
                        return new SimpleImmutableEntry<>(ts.wireNames[k], row.values()[ts.wire[k]]);
                    }
                };
            }
        };
    }
}
