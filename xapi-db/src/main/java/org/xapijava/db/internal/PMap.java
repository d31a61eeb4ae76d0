package org.xapijava.db.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * A persistent (immutable, path-copying) hash array mapped trie from {@code String} keys to values.
 * {@link #put} and {@link #remove} return a new map sharing all untouched nodes with this one, so a
 * write costs O(log32 n) node copies. Instances are immutable and safe to share between threads.
 * Null values are not allowed.
 */
public final class PMap<V> {
    private static final int BITS = 5;
    private static final int MASK = (1 << BITS) - 1;

    @SuppressWarnings("rawtypes")
    private static final PMap EMPTY = new PMap<>(new Bitmap(0, new Object[0]), 0);

    private final Bitmap root;
    private final int size;

    private PMap(Bitmap root, int size) {
        this.root = root;
        this.size = size;
    }

    @SuppressWarnings("unchecked")
    public static <V> PMap<V> empty() {
        return EMPTY;
    }

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    private static int hash(String key) {
        int h = key.hashCode();
        return h ^ (h >>> 16);
    }

    /** The value for {@code key}, or null. */
    @SuppressWarnings("unchecked")
    public V get(String key) {
        int h = hash(key);
        Object node = root;
        int shift = 0;
        while (true) {
            if (node instanceof Bitmap b) {
                int bit = 1 << ((h >>> shift) & MASK);
                if ((b.bitmap & bit) == 0) return null;
                node = b.kids[Integer.bitCount(b.bitmap & (bit - 1))];
                shift += BITS;
            } else if (node instanceof Leaf l) {
                return l.hash == h && l.key.equals(key) ? (V) l.value : null;
            } else {
                for (Leaf l : ((Collision) node).leaves) if (l.key.equals(key)) return (V) l.value;
                return null;
            }
        }
    }

    public boolean containsKey(String key) {
        return get(key) != null;
    }

    /** A map with {@code key} bound to {@code value} (this map when already so bound, by identity). */
    public PMap<V> put(String key, V value) {
        if (value == null) throw new NullPointerException("null value for " + key);
        int[] added = new int[1];
        Bitmap r = (Bitmap) put(root, new Leaf(key, hash(key), value), 0, added);
        return r == root ? this : new PMap<>(r, size + added[0]);
    }

    /** A map without {@code key} (this map when absent). */
    public PMap<V> remove(String key) {
        Object r = remove(root, key, hash(key), 0);
        if (r == root) return this;
        return new PMap<>(r == null ? new Bitmap(0, new Object[0]) : (Bitmap) wrapRoot(r), size - 1);
    }

    private static Object wrapRoot(Object r) {
        if (r instanceof Bitmap) return r;
        // a root collapsed to a leaf or collision: put it back under a bitmap at shift 0
        int h = r instanceof Leaf l ? l.hash : ((Collision) r).hash;
        return new Bitmap(1 << (h & MASK), new Object[] {r});
    }

    /** Calls {@code f} for every entry, in no particular (but stable for a given map) order. */
    @SuppressWarnings("unchecked")
    public void forEach(BiConsumer<String, ? super V> f) {
        walk(root, (BiConsumer<String, Object>) f);
    }

    /** Every value, in {@link #forEach} order. */
    public List<V> values() {
        List<V> out = new ArrayList<>(size);
        forEach((k, v) -> out.add(v));
        return out;
    }

    /** Every key, in {@link #forEach} order. */
    public List<String> keys() {
        List<String> out = new ArrayList<>(size);
        forEach((k, v) -> out.add(k));
        return out;
    }

    private static void walk(Object node, BiConsumer<String, Object> f) {
        if (node instanceof Bitmap b) {
            for (Object k : b.kids) walk(k, f);
        } else if (node instanceof Leaf l) {
            f.accept(l.key, l.value);
        } else {
            for (Leaf l : ((Collision) node).leaves) f.accept(l.key, l.value);
        }
    }

    private record Leaf(String key, int hash, Object value) {}

    private record Collision(int hash, Leaf[] leaves) {}

    private record Bitmap(int bitmap, Object[] kids) {}

    private static Object put(Object node, Leaf leaf, int shift, int[] added) {
        if (node instanceof Bitmap b) {
            int bit = 1 << ((leaf.hash >>> shift) & MASK);
            int idx = Integer.bitCount(b.bitmap & (bit - 1));
            if ((b.bitmap & bit) == 0) {
                Object[] kids = new Object[b.kids.length + 1];
                System.arraycopy(b.kids, 0, kids, 0, idx);
                kids[idx] = leaf;
                System.arraycopy(b.kids, idx, kids, idx + 1, b.kids.length - idx);
                added[0] = 1;
                return new Bitmap(b.bitmap | bit, kids);
            }
            Object child = b.kids[idx];
            Object nc = put(child, leaf, shift + BITS, added);
            if (nc == child) return b;
            Object[] kids = b.kids.clone();
            kids[idx] = nc;
            return new Bitmap(b.bitmap, kids);
        } else if (node instanceof Leaf l) {
            if (l.hash == leaf.hash && l.key.equals(leaf.key)) {
                return l.value == leaf.value ? l : leaf;
            }
            added[0] = 1;
            return merge(l, leaf, shift);
        } else {
            Collision c = (Collision) node;
            if (c.hash != leaf.hash) {
                added[0] = 1;
                return mergeNodes(c, c.hash, leaf, leaf.hash, shift);
            }
            for (int i = 0; i < c.leaves.length; i++) {
                if (c.leaves[i].key.equals(leaf.key)) {
                    if (c.leaves[i].value == leaf.value) return c;
                    Leaf[] ls = c.leaves.clone();
                    ls[i] = leaf;
                    return new Collision(c.hash, ls);
                }
            }
            Leaf[] ls = java.util.Arrays.copyOf(c.leaves, c.leaves.length + 1);
            ls[c.leaves.length] = leaf;
            added[0] = 1;
            return new Collision(c.hash, ls);
        }
    }

    private static Object merge(Leaf a, Leaf b, int shift) {
        if (a.hash == b.hash) return new Collision(a.hash, new Leaf[] {a, b});
        return mergeNodes(a, a.hash, b, b.hash, shift);
    }

    /** A bitmap node holding two nodes of different full hashes, nested until their fragments differ. */
    private static Object mergeNodes(Object a, int ha, Object b, int hb, int shift) {
        int fa = (ha >>> shift) & MASK;
        int fb = (hb >>> shift) & MASK;
        if (fa == fb) return new Bitmap(1 << fa, new Object[] {mergeNodes(a, ha, b, hb, shift + BITS)});
        return fa < fb
                ? new Bitmap((1 << fa) | (1 << fb), new Object[] {a, b})
                : new Bitmap((1 << fa) | (1 << fb), new Object[] {b, a});
    }

    /** The node without key: the same node if absent, null if it became empty. */
    private static Object remove(Object node, String key, int h, int shift) {
        if (node instanceof Bitmap b) {
            int bit = 1 << ((h >>> shift) & MASK);
            if ((b.bitmap & bit) == 0) return b;
            int idx = Integer.bitCount(b.bitmap & (bit - 1));
            Object child = b.kids[idx];
            Object nc = remove(child, key, h, shift + BITS);
            if (nc == child) return b;
            if (nc == null) {
                if (b.kids.length == 1) return null;
                Object[] kids = new Object[b.kids.length - 1];
                System.arraycopy(b.kids, 0, kids, 0, idx);
                System.arraycopy(b.kids, idx + 1, kids, idx, b.kids.length - idx - 1);
                int nb = b.bitmap & ~bit;
                // a bitmap left with a single leaf/collision can be replaced by that child one level up
                if (kids.length == 1 && !(kids[0] instanceof Bitmap) && shift > 0) return kids[0];
                return new Bitmap(nb, kids);
            }
            if (b.kids.length == 1 && !(nc instanceof Bitmap) && shift > 0) return nc;
            Object[] kids = b.kids.clone();
            kids[idx] = nc;
            return new Bitmap(b.bitmap, kids);
        } else if (node instanceof Leaf l) {
            return l.hash == h && l.key.equals(key) ? null : l;
        } else {
            Collision c = (Collision) node;
            if (c.hash != h) return c;
            for (int i = 0; i < c.leaves.length; i++) {
                if (c.leaves[i].key.equals(key)) {
                    if (c.leaves.length == 2) return c.leaves[1 - i];
                    Leaf[] ls = new Leaf[c.leaves.length - 1];
                    System.arraycopy(c.leaves, 0, ls, 0, i);
                    System.arraycopy(c.leaves, i + 1, ls, i, c.leaves.length - i - 1);
                    return new Collision(c.hash, ls);
                }
            }
            return c;
        }
    }
}
