package org.xapijava.db.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
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

    /** {@link #droppedUpTo()} while no trim has dropped anything (every generation is at least 0). */
    public static final long NONE_DROPPED = -1;

    /** Xapi's empty list: just its sentinel, so its length counter starts at 1. */
    public static final Tombstones EMPTY = new Tombstones(null, 1, 0, NONE_DROPPED);

    public record Tomb(long created, long deleted, String ref, Tomb next) {}

    private final Tomb head;
    /** Xapi's {@code deleted_len}: entries plus the sentinel until the first trim drops it. */
    private final int xapiLen;

    private final int size;
    /** The newest deletion generation a trim dropped, {@link #NONE_DROPPED} if none. */
    private final long dropped;

    private Tombstones(Tomb head, int xapiLen, int size, long dropped) {
        this.head = head;
        this.xapiLen = xapiLen;
        this.size = size;
        this.dropped = dropped;
    }

    /**
     * A list as {@link #entries()}, {@link #xapiLen()} and {@link #droppedUpTo()} describe it (a replica restoring
     * the master's list exactly, so that its later trims happen where the master's do).
     *
     * @param oldestFirst the entries, oldest deletion first
     */
    public static Tombstones restore(List<Tomb> oldestFirst, int xapiLen, long droppedUpTo) {
        if (xapiLen < oldestFirst.size() || xapiLen > oldestFirst.size() + 1 || xapiLen >= UPPER)
            throw new IllegalArgumentException(
                    "tombstone length " + xapiLen + " does not fit " + oldestFirst.size() + " entries");
        Tomb h = null;
        for (Tomb t : oldestFirst) h = new Tomb(t.created, t.deleted, t.ref, h);
        return new Tombstones(h, xapiLen, oldestFirst.size(), droppedUpTo);
    }

    /** Xapi's length counter ({@code deleted_len}): the entries, plus its sentinel until the first trim. */
    public int xapiLen() {
        return xapiLen;
    }

    /**
     * The newest deletion generation that a trim dropped ({@link #NONE_DROPPED} when none did): the list answers
     * "what was deleted at or after {@code g}" completely only for {@code g > droppedUpTo()}.
     */
    public long droppedUpTo() {
        return dropped;
    }

    /** Every entry, oldest deletion first. */
    public List<Tomb> entries() {
        List<Tomb> out = new ArrayList<>(size);
        for (Tomb t = head; t != null; t = t.next) out.add(t);
        Collections.reverse(out);
        return out;
    }

    /** Number of tombstones held. */
    public int size() {
        return size;
    }

    public Tombstones add(long created, long deleted, String ref) {
        if (xapiLen + 1 < UPPER)
            return new Tombstones(new Tomb(created, deleted, ref, head), xapiLen + 1, size + 1, dropped);
        Tomb[] keep = new Tomb[LOWER];
        Tomb t = head;
        for (int i = 0; i < LOWER && t != null; i++, t = t.next) keep[i] = t;
        long nowDropped = t == null ? dropped : Math.max(dropped, t.deleted);
        Tomb rebuilt = null;
        for (int i = LOWER - 1; i >= 0; i--) {
            if (keep[i] != null) rebuilt = new Tomb(keep[i].created, keep[i].deleted, keep[i].ref, rebuilt);
        }
        int kept = Math.min(size, LOWER);
        return new Tombstones(new Tomb(created, deleted, ref, rebuilt), LOWER + 1, kept + 1, nowDropped);
    }

    /** Entries deleted after {@code since}, newest first. */
    public void forEachSince(long since, Consumer<Tomb> f) {
        for (Tomb t = head; t != null && t.deleted > since; t = t.next) f.accept(t);
    }
}
