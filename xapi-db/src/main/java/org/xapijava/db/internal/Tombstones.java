package org.xapijava.db.internal;

import java.util.function.Consumer;

/**
 * A table's deleted rows, newest first, as an immutable linked list: {@code (created, deleted, ref)}.
 * Capped as in Xapi ({@code Db_cache_types.Table.remove}): Xapi's list starts with one sentinel entry
 * and, when the next deletion would make it 512 long, keeps only the newest 256 before adding.
 */
public final class Tombstones {
    /** Xapi's upper bound, counting its sentinel entry. */
    static final int UPPER = 512;
    /** How many old entries survive a trim. */
    static final int LOWER = 256;

    /** Xapi's empty list: just its sentinel, so its length counter starts at 1. */
    public static final Tombstones EMPTY = new Tombstones(null, 1, 0);

    public record Tomb(long created, long deleted, String ref, Tomb next) {}

    private final Tomb head;
    /** Xapi's {@code deleted_len}: entries plus the sentinel until the first trim drops it. */
    private final int xapiLen;

    private final int size;

    private Tombstones(Tomb head, int xapiLen, int size) {
        this.head = head;
        this.xapiLen = xapiLen;
        this.size = size;
    }

    /** Number of tombstones held. */
    public int size() {
        return size;
    }

    public Tombstones add(long created, long deleted, String ref) {
        if (xapiLen + 1 < UPPER) return new Tombstones(new Tomb(created, deleted, ref, head), xapiLen + 1, size + 1);
        Tomb[] keep = new Tomb[LOWER];
        Tomb t = head;
        for (int i = 0; i < LOWER && t != null; i++, t = t.next) keep[i] = t;
        Tomb rebuilt = null;
        for (int i = LOWER - 1; i >= 0; i--) {
            if (keep[i] != null) rebuilt = new Tomb(keep[i].created, keep[i].deleted, keep[i].ref, rebuilt);
        }
        int kept = Math.min(size, LOWER);
        return new Tombstones(new Tomb(created, deleted, ref, rebuilt), LOWER + 1, kept + 1);
    }

    /** Entries deleted after {@code since}, newest first. */
    public void forEachSince(long since, Consumer<Tomb> f) {
        for (Tomb t = head; t != null && t.deleted > since; t = t.next) f.accept(t);
    }
}
