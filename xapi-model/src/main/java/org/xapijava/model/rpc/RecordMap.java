package org.xapijava.model.rpc;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * A marshalled record: field names and values in two arrays, in datamodel order. Cheaper to build
 * and to iterate than a {@link java.util.LinkedHashMap} for the 20–100 fields of a record, which is
 * all the encoders do with it; {@link #get} is a linear scan. Immutable once built (package code fills it).
 */
final class RecordMap extends AbstractMap<String, Object> {
    private final String[] keys;
    private final Object[] values;
    private int size;

    RecordMap(int capacity) {
        keys = new String[capacity];
        values = new Object[capacity];
    }

    void add(String key, Object value) {
        keys[size] = key;
        values[size++] = value;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Object get(Object key) {
        for (int i = 0; i < size; i++) if (keys[i].equals(key)) return values[i];
        return null;
    }

    @Override
    public boolean containsKey(Object key) {
        for (int i = 0; i < size; i++) if (keys[i].equals(key)) return true;
        return false;
    }

    @Override
    public Set<Map.Entry<String, Object>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public int size() {
                return size;
            }

            @Override
            public Iterator<Map.Entry<String, Object>> iterator() {
                return new Iterator<>() {
                    int i;

                    @Override
                    public boolean hasNext() {
                        return i < size;
                    }

                    @Override
                    public Map.Entry<String, Object> next() {
                        if (i >= size) throw new NoSuchElementException();
                        int j = i++;
                        return new SimpleImmutableEntry<>(keys[j], values[j]);
                    }
                };
            }
        };
    }
}
