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
 *
 * <p>A record marshalled from a database row with a {@link #version()} is filled on first use: a writer that kept
 * the row's encoding writes it without the values ever being marshalled. Used by one thread at a time.
 */
public final class RecordMap extends AbstractMap<String, Object> {
    /** The class's wire field names (shared, never written) until a field is left out; then a copy of its own. */
    private String[] keys;

    private final String[] all;
    private final Object[] values;
    private int size;
    /** {@link WireRecord#version()} of the record this one was marshalled from, or null. */
    private Object version;
    /**
     * What fills this record on first use, or null once filled (or when filled at once). Cleared only after the
     * fill, so a reader that sees null sees every value (the volatile write publishes them).
     */
    private volatile java.util.function.Consumer<RecordMap> fill;

    /** A record whose fields are {@code names} in order, some of which may be left out. */
    RecordMap(String[] names) {
        all = names;
        keys = names;
        values = new Object[names.length];
    }

    void add(String key, Object value) {
        if (keys == all && all[size] != key) keys = java.util.Arrays.copyOf(all, all.length);
        keys[size] = key;
        values[size++] = value;
    }

    /**
     * The shared array of names when this record holds every one of them in order (the same array object for every
     * complete record of a class, so writers can cache per-class encodings by its identity), else null.
     */
    public String[] completeKeys() {
        filled();
        return keys == all && size == all.length ? all : null;
    }

    /** Makes this record one of {@code version}, filled by {@code f} when first read. */
    void lazy(Object v, java.util.function.Consumer<RecordMap> f) {
        version = v;
        fill = f;
    }

    private void filled() {
        if (fill != null) fillOnce();
    }

    private synchronized void fillOnce() {
        java.util.function.Consumer<RecordMap> f = fill;
        if (f != null) {
            f.accept(this);
            fill = null;
        }
    }

    /**
     * The version of the database record this was marshalled from ({@link WireRecord#version()}): two complete
     * records with the same non-null version hold the same values. Null when unknown.
     */
    public Object version() {
        return version;
    }

    /** The value at position {@code i}. */
    public Object valueAt(int i) {
        filled();
        return values[i];
    }

    @Override
    public int size() {
        filled();
        return size;
    }

    @Override
    public Object get(Object key) {
        filled();
        for (int i = 0; i < size; i++) if (keys[i].equals(key)) return values[i];
        return null;
    }

    @Override
    public boolean containsKey(Object key) {
        filled();
        for (int i = 0; i < size; i++) if (keys[i].equals(key)) return true;
        return false;
    }

    @Override
    public Set<Map.Entry<String, Object>> entrySet() {
        filled();
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
