package org.xapijava.server.alerts;

import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Predicate;

/**
 * The visible messages of a {@link MessageStore}, in memory, by ref, by uuid, in Xapi's listing order (newest
 * generation first, then newest creation time) and in eviction order (oldest creation time first). Xapi keeps
 * these indexes as symlinks on disk; here they are rebuilt from the message files at open.
 *
 * <p>Changed only under the store's lock ({@link #add}, {@link #remove}); read without it, weakly consistent.
 */
final class MessageIndex {
    private final ConcurrentHashMap<String, StoredMessage> byRef = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, String> refByUuid = new ConcurrentHashMap<>();
    /** Xapi's listing order: newest generation first, then newest time. */
    private final ConcurrentSkipListMap<Order, StoredMessage> byGeneration = new ConcurrentSkipListMap<>();
    /** Oldest creation time first: eviction order. */
    private final ConcurrentSkipListMap<Long, StoredMessage> byFileKey = new ConcurrentSkipListMap<>();

    /** Sort key of {@link #byGeneration}: generation descending, then creation time descending. */
    private record Order(long generation, long fileKey) implements Comparable<Order> {
        private static final Comparator<Order> CMP = Comparator.comparingLong(Order::generation)
                .thenComparingLong(Order::fileKey)
                .reversed();

        static Order of(StoredMessage m) {
            return new Order(m.generation, m.fileKey);
        }

        @Override
        public int compareTo(Order o) {
            return CMP.compare(this, o);
        }
    }

    void add(StoredMessage m) {
        byRef.put(m.ref, m);
        refByUuid.put(m.uuid, m.ref);
        byGeneration.put(Order.of(m), m);
        byFileKey.put(m.fileKey, m);
    }

    void remove(StoredMessage m) {
        byRef.remove(m.ref, m);
        refByUuid.remove(m.uuid, m.ref);
        byGeneration.remove(Order.of(m), m);
        byFileKey.remove(m.fileKey, m);
    }

    /** The message with this ref, or null. */
    StoredMessage get(String ref) {
        return byRef.get(ref);
    }

    /** The ref of the message with this uuid, or null. */
    String refOf(String uuid) {
        return refByUuid.get(uuid);
    }

    /** Whether a message with this ref, or this uuid, is held. */
    boolean holds(String ref, String uuid) {
        return byRef.containsKey(ref) || refByUuid.containsKey(uuid);
    }

    /** Whether a message is held under this file key. */
    boolean holdsFileKey(long fileKey) {
        return byFileKey.containsKey(fileKey);
    }

    int size() {
        return byRef.size();
    }

    /** Every message in Xapi's listing order: newest generation first. */
    Collection<StoredMessage> newestFirst() {
        return byGeneration.values();
    }

    /** Every message, oldest creation time (file name) first. */
    Collection<StoredMessage> oldestFirst() {
        return byFileKey.values();
    }

    /** The messages of a generation above {@code since}, newest first. */
    Collection<StoredMessage> after(long since) {
        // Order sorts by descending generation: what sorts before (since, MAX) has a generation above since.
        return byGeneration.headMap(new Order(since, Long.MAX_VALUE), false).values();
    }

    /** Ref → record of the messages that {@code keep} accepts, newest (highest generation) first. */
    Map<String, Map<String, Object>> records(Predicate<StoredMessage> keep) {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        for (StoredMessage m : byGeneration.values()) {
            if (keep.test(m)) out.put(m.ref, m.record());
        }
        return out;
    }
}
