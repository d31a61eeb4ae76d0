package org.xapijava.server.event;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.jsonrpc.JsonRpcCodec;
import org.xapijava.server.session.SessionManager;

/**
 * The legacy {@code event.next} machinery (Xapi's {@code Xapi_event.Next}): one global queue of events,
 * numbered by a counter, holding only events that some registered session wanted when they happened;
 * one subscription per session remembering the last id it was given.
 *
 * <p>The queue is capped by the total size of its events' JSON text ({@link #MAX_QUEUE_BYTES}); when
 * it grows beyond, the oldest events are forgotten and a reader whose range starts at or below the
 * newest forgotten id gets {@code EVENTS_LOST}. Events are never removed otherwise, as in Xapi.
 *
 * <p>Thread-safe: one short lock guards the queue and the subscriptions; waiters park on a future
 * completed at every change of the counter and at every invalidation.
 */
final class NextQueue {
    /** Xapi's {@code Next.max_queue_size}: bytes of JSON text. */
    static final long MAX_QUEUE_BYTES = 10_000_000;

    /** One session's registration. Fields other than {@code session} are guarded by the queue's lock. */
    static final class Sub {
        final String session;
        long lastId;
        List<Subscription> subs = List.of();
        volatile boolean invalid;

        Sub(String session, long lastId) {
            this.session = session;
            this.lastId = lastId;
        }
    }

    /** Which classes the registered sessions want: all, or these lower-case class names. */
    record Interest(boolean all, Set<String> classes) {
        static final Interest NONE = new Interest(false, Set.of());

        boolean none() {
            return !all && classes.isEmpty();
        }
    }

    private record Queued(long id, Map<String, Object> event, long bytes) {}

    private final ReentrantLock lock = new ReentrantLock();
    private final long maxBytes;
    /** Oldest first. Guarded by lock. */
    private final ArrayDeque<Queued> queue = new ArrayDeque<>();
    /** Guarded by lock. */
    private long totalBytes;
    /** Xapi's {@code Next.id}: one above the newest id handed out. Written under lock. */
    private volatile long id;
    /** Guarded by lock. */
    private long highestForgotten = -1;
    /** By session ref. Guarded by lock. */
    private final Map<String, Sub> subs = new HashMap<>();

    private volatile Interest interest = Interest.NONE;
    /** Completed (and replaced) whenever {@link #id} moves or a subscription becomes invalid. */
    private volatile CompletableFuture<Void> changed = new CompletableFuture<>();

    NextQueue(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** Xapi's {@code get_current_id}. */
    long currentId() {
        return id;
    }

    Interest interest() {
        return interest;
    }

    /** {@code event.register}: prepends the subscriptions to the session's (creating it). */
    void register(String session, List<Subscription> added) {
        lock.lock();
        try {
            Sub s = subscriptionLocked(session);
            List<Subscription> l = new ArrayList<>(added.size() + s.subs.size());
            l.addAll(added);
            l.addAll(s.subs);
            s.subs = List.copyOf(l);
            recomputeInterest();
        } finally {
            lock.unlock();
        }
    }

    /** {@code event.unregister}: removes every equal subscription (creating an empty registration, as Xapi does). */
    void unregister(String session, List<Subscription> removed) {
        lock.lock();
        try {
            Sub s = subscriptionLocked(session);
            List<Subscription> l = new ArrayList<>(s.subs);
            l.removeIf(removed::contains);
            s.subs = List.copyOf(l);
            recomputeInterest();
        } finally {
            lock.unlock();
        }
    }

    /** The session's registration; {@code SESSION_NOT_REGISTERED ["trackid=<md5>"]} when it has none. */
    Sub registered(String session) {
        lock.lock();
        try {
            Sub s = subs.get(session);
            if (s == null) throw new ApiError("SESSION_NOT_REGISTERED", "trackid=" + SessionManager.trackId(session));
            return s;
        } finally {
            lock.unlock();
        }
    }

    private Sub subscriptionLocked(String session) {
        return subs.computeIfAbsent(session, k -> new Sub(k, id));
    }

    private void recomputeInterest() {
        boolean all = false;
        Set<String> classes = new HashSet<>();
        for (Sub s : subs.values()) {
            for (Subscription x : s.subs) {
                String c = x.lowerClass();
                if (c == null) all = true;
                else classes.add(c);
            }
        }
        interest = new Interest(all, Set.copyOf(classes));
    }

    /** Sessions holding a registration. */
    Set<String> sessions() {
        lock.lock();
        try {
            return Set.copyOf(subs.keySet());
        } finally {
            lock.unlock();
        }
    }

    /** Xapi's {@code Next.on_session_deleted}: marks the registration invalid, drops it and wakes waiters. */
    void sessionDeleted(String session) {
        lock.lock();
        try {
            Sub s = subs.remove(session);
            if (s == null) return;
            s.invalid = true;
            recomputeInterest();
            signal();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Xapi's {@code Next.add}: queues the event if some registration selects it, numbering it with the
     * counter, then forgets the oldest events while the queue is over its cap.
     *
     * @param snapshot the record (already in RPC form) or null; only called when the event is queued
     */
    void add(String lowerCls, String op, String ref, String timestamp, Supplier<Map<String, Object>> snapshot) {
        lock.lock();
        try {
            boolean wanted = false;
            for (Sub s : subs.values()) {
                if (Subscription.anyMatches(s.subs, lowerCls, ref)) {
                    wanted = true;
                    break;
                }
            }
            if (!wanted) return;
            Map<String, Object> ev = new LinkedHashMap<>(8);
            ev.put("id", Long.toString(id));
            ev.put("timestamp", timestamp);
            ev.put("class", lowerCls);
            ev.put("operation", op);
            ev.put("ref", ref);
            Map<String, Object> snap = snapshot == null ? null : snapshot.get();
            if (snap != null) ev.put("snapshot", snap);
            long bytes = JsonRpcCodec.toJson(ev).getBytes(StandardCharsets.UTF_8).length;
            queue.addLast(new Queued(id, ev, bytes));
            totalBytes += bytes;
            id = id + 1;
            if (totalBytes > maxBytes) {
                // Keep the newest events whose total stays below the cap; forget the rest.
                long forgotten = -1;
                while (!queue.isEmpty() && totalBytes >= maxBytes) {
                    Queued q = queue.pollFirst();
                    totalBytes -= q.bytes();
                    forgotten = q.id();
                }
                if (forgotten >= 0) highestForgotten = forgotten;
            }
            signal();
        } finally {
            lock.unlock();
        }
    }

    /** Lock held. */
    private void signal() {
        CompletableFuture<Void> old = changed;
        changed = new CompletableFuture<>();
        old.complete(null);
    }

    /**
     * Xapi's {@code grab_range}: the ids {@code [lastId, id)} not yet given to {@code sub}, which from now
     * on count as given.
     */
    long[] grabRange(Sub sub) {
        lock.lock();
        try {
            long last = sub.lastId;
            sub.lastId = id;
            return new long[] {last, id};
        } finally {
            lock.unlock();
        }
    }

    /**
     * Blocks until the counter moves past {@code fromId} or the registration becomes invalid
     * ({@code SESSION_INVALID [session]}).
     */
    void await(Sub sub, long fromId) throws InterruptedException {
        while (true) {
            CompletableFuture<Void> f = changed; // read before the state: no lost wake-up
            if (sub.invalid) throw new ApiError("SESSION_INVALID", sub.session);
            if (id != fromId) return;
            try {
                f.get();
            } catch (ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Xapi's {@code events_read}: queued events with ids in {@code [start, end)}; {@code EVENTS_LOST} if some were forgotten. */
    List<Map<String, Object>> read(long start, long end) {
        List<Map<String, Object>> out = new ArrayList<>();
        boolean lost;
        lock.lock();
        try {
            lost = highestForgotten >= start;
            // Newest first until below the range (ids grow along the queue), then put back in id order.
            for (java.util.Iterator<Queued> it = queue.descendingIterator(); it.hasNext(); ) {
                Queued q = it.next();
                if (q.id() < start) break;
                if (q.id() < end) out.add(q.event());
            }
            java.util.Collections.reverse(out);
        } finally {
            lock.unlock();
        }
        if (lost) throw new ApiError("EVENTS_LOST");
        return out;
    }

    /** The subscriptions of {@code sub} as they are now. */
    List<Subscription> subscriptionsOf(Sub sub) {
        lock.lock();
        try {
            return sub.subs;
        } finally {
            lock.unlock();
        }
    }
}
