package org.xapijava.model.rpc;

/**
 * The encodings (one table per wire format: {@link #XML_RPC}, {@link #JSON}) of recently written database records, by the identity of the record's version object (an
 * immutable database row: a write makes a new one, so an entry can never be stale, only unused). Direct-mapped
 * ({@value #SLOTS} slots chosen by identity hash, the newest wins a slot), entries of at most {@value #MAX_BYTES}
 * bytes: at most 16 MiB of encodings per format, plus the rows they keep from collection. A version is kept on its second
 * encoding only (the first leaves a mark without bytes), so one pass over many records, as a {@code
 * get_all_records} of thousands of VMs, costs no copies. Readers and writers race without locks: a slot holds one
 * immutable entry, read once.
 *
 * <p>A client polling records (get_record, get_all_records, event snapshots) asks for the same unchanged rows over
 * and over; encoding an 8 KB VM record was the largest share of such a call's CPU (docs/performance.md).
 */
public final class EncodedRecords {
    static final int SLOTS = 1024;
    /** The largest encoding kept. */
    public static final int MAX_BYTES = 16 * 1024;

    /** The XML-RPC encodings ({@code <value><struct>...}). */
    public static final EncodedRecords XML_RPC = new EncodedRecords();
    /** The JSON encodings ({@code {"uuid":...}}). */
    public static final EncodedRecords JSON = new EncodedRecords();

    private record Entry(Object version, byte[] bytes) {}

    private final Entry[] slots = new Entry[SLOTS];

    private EncodedRecords() {}

    /** The encoding of the record of {@code version}, or null. */
    public byte[] get(Object version) {
        Entry e = slots[slot(version)];
        return e != null && e.version == version ? e.bytes : null;
    }

    /**
     * Whether the record of {@code version} (not kept: {@link #get} said null) was written before, so that its
     * encoding is worth keeping now; the first time, leaves the mark that makes the answer true next time.
     */
    public boolean seenBefore(Object version) {
        int s = slot(version);
        Entry e = slots[s];
        if (e != null && e.version == version) return true;
        slots[s] = new Entry(version, null);
        return false;
    }

    /** Keeps {@code bytes} as the encoding of the record of {@code version} when they are small enough. */
    public void put(Object version, byte[] bytes) {
        if (bytes.length <= MAX_BYTES) slots[slot(version)] = new Entry(version, bytes);
    }

    private static int slot(Object version) {
        int h = System.identityHashCode(version);
        return (h ^ (h >>> 16)) & (SLOTS - 1);
    }
}
