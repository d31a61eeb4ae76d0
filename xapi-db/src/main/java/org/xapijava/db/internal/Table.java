package org.xapijava.db.internal;

/**
 * One immutable table: rows by ref, tombstones, and the name_label index (label → one ref as a
 * {@code String}, or several as a {@code String[]}).
 */
public record Table(PMap<Row> rows, Tombstones deleted, PMap<Object> byName) {
    public static final Table EMPTY = new Table(PMap.empty(), Tombstones.EMPTY, PMap.empty());

    public Table withRows(PMap<Row> r) {
        return new Table(r, deleted, byName);
    }

    public static PMap<Object> nameAdd(PMap<Object> idx, String label, String ref) {
        Object cur = idx.get(label);
        if (cur == null) return idx.put(label, ref);
        if (cur instanceof String s) return s.equals(ref) ? idx : idx.put(label, new String[] {s, ref});
        String[] a = (String[]) cur;
        String[] b = java.util.Arrays.copyOf(a, a.length + 1);
        b[a.length] = ref;
        return idx.put(label, b);
    }

    public static PMap<Object> nameRemove(PMap<Object> idx, String label, String ref) {
        Object cur = idx.get(label);
        if (cur == null) return idx;
        if (cur instanceof String s) return s.equals(ref) ? idx.remove(label) : idx;
        String[] a = (String[]) cur;
        int n = 0;
        String[] b = new String[a.length];
        for (String x : a) if (!x.equals(ref)) b[n++] = x;
        if (n == a.length) return idx;
        if (n == 1) return idx.put(label, b[0]);
        return idx.put(label, java.util.Arrays.copyOf(b, n));
    }
}
