package org.xapijava.server.alerts;

import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * The names of a {@link MessageStore}'s message files, as Xapi names them: the creation time in seconds with five
 * decimals ({@code 1716300000.12345}), held as a key counting units of 10 µs. Keeps the set of keys in use or being
 * written (damaged files included, so that they are never overwritten); when the key a new message wants is taken,
 * the next free one, 10 µs later, is used, as Xapi does.
 *
 * <p>Not thread-safe: the store calls it with its lock held.
 */
final class MessageFileKeys {
    /** File names are seconds with five decimals: keys count units of 10 µs. */
    private static final long UNITS_PER_SECOND = 100_000;

    private final Set<Long> used = new HashSet<>();

    /** Marks these keys used (those of the files found at open). */
    void addAll(Collection<Long> keys) {
        used.addAll(keys);
    }

    /** A free key at or after {@code wanted}, marked used. */
    long reserve(long wanted) {
        long k = wanted;
        while (!used.add(k)) k++;
        return k;
    }

    /** Frees the key of a removed file. */
    void release(long key) {
        used.remove(key);
    }

    /** The key of a message created at {@code t}: its time in units of 10 µs, rounded down. */
    static long keyOf(Instant t) {
        return Math.floorDiv(t.getEpochSecond() * 1_000_000_000L + t.getNano(), 10_000L);
    }

    /** The key of the whole second {@code epochSecond}. */
    static long keyOfSecond(long epochSecond) {
        return epochSecond * UNITS_PER_SECOND;
    }

    /** Xapi's {@code %.5f} of the seconds a key stands for. */
    static String fileName(long key) {
        long secs = Math.floorDiv(key, UNITS_PER_SECOND);
        long frac = Math.floorMod(key, UNITS_PER_SECOND);
        String f = Long.toString(frac);
        return secs + "." + "00000".substring(f.length()) + f;
    }
}
