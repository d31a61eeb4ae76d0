package org.xapijava.xenopsd.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.xapijava.xenopsd.DynamicId;
import org.xapijava.xenopsd.Updates;

/**
 * What {@code UPDATES.get} reads: xenopsd's update recorder ({@code ocaml/xapi-idl/lib/updates.ml}). Each id keeps
 * only the event number of its latest change, so a reader sees every changed id once however often it changed;
 * every change, removal, barrier injection or barrier removal takes the next event number.
 *
 * <p>A barrier ({@link #injectBarrier}) snapshots the changed ids of one VM at injection time; it is returned, with
 * those of its ids newer than the reader's position, until removed. Readers block on a condition (no polling)
 * until their answer is non-empty or their time is up.
 *
 * <p>Thread-safe: one lock guards the state; it is never held across anything but this object's own work.
 */
final class UpdateLog {

    private record Barrier(int id, Map<DynamicId, Integer> snapshot, int eventId) {}

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** id → event number of its latest change. */
    private final Map<DynamicId, Integer> map = new HashMap<>();
    /** Newest first. */
    private final LinkedList<Barrier> barriers = new LinkedList<>();
    /** The next event number (events start at 1; 0 is "nothing seen yet"). */
    private int next = 1;

    private boolean closed;

    /** Wakes every waiting reader, which then answers with what there is (possibly nothing). */
    void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Records that {@code id} changed. */
    void add(DynamicId id) {
        lock.lock();
        try {
            map.put(id, next);
            next++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Forgets {@code id} (its object was destroyed). */
    void remove(DynamicId id) {
        lock.lock();
        try {
            map.remove(id);
            next++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void injectBarrier(int barrierId, Predicate<DynamicId> filter) {
        lock.lock();
        try {
            Map<DynamicId, Integer> snap = new HashMap<>();
            map.forEach((k, v) -> {
                if (filter.test(k)) snap.put(k, v);
            });
            barriers.addFirst(new Barrier(barrierId, snap, next));
            next++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void removeBarrier(int barrierId) {
        lock.lock();
        try {
            barriers.removeIf(b -> b.id == barrierId);
            next++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    int lastId() {
        lock.lock();
        try {
            return next - 1;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code UPDATES.get}: the changes after event {@code from} ({@code null}: 0), waiting up to
     * {@code timeoutSeconds} ({@code null}: for ever) for there to be some.
     */
    Updates get(Integer from, Integer timeoutSeconds) throws InterruptedException {
        int f = from == null ? 0 : from;
        long deadline =
                timeoutSeconds == null ? 0 : System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.max(0, timeoutSeconds));
        lock.lock();
        try {
            for (; ; ) {
                Updates r = compute(f);
                if (!r.barriers().isEmpty() || !r.ids().isEmpty() || closed) return r;
                if (timeoutSeconds == null) {
                    changed.await();
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) return r;
                    changed.awaitNanos(left);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** The answer for a reader at event {@code from}; call with the lock held. */
    private Updates compute(int from) {
        List<Updates.Barrier> bs = new ArrayList<>();
        int newestBarrierEvent = -1;
        // barriers are newest first; stop at the first one the reader has already passed
        List<Barrier> recent = new ArrayList<>();
        for (Iterator<Barrier> it = barriers.iterator(); it.hasNext(); ) {
            Barrier b = it.next();
            if (b.eventId <= from) break;
            recent.add(b);
        }
        if (!recent.isEmpty()) newestBarrierEvent = recent.get(0).eventId;
        for (int i = recent.size() - 1; i >= 0; i--) { // returned oldest first
            Barrier b = recent.get(i);
            bs.add(new Updates.Barrier(b.id, after(b.snapshot, from)));
        }
        List<DynamicId> ids = after(map, from);
        int last = ids.isEmpty() ? from : map.get(ids.get(ids.size() - 1)); // oldest first: the last is the newest
        if (newestBarrierEvent >= 0) last = Math.max(last, newestBarrierEvent);
        return new Updates(bs, ids, last);
    }

    /** The ids changed after {@code from}, oldest change first. */
    private static List<DynamicId> after(Map<DynamicId, Integer> m, int from) {
        List<Map.Entry<DynamicId, Integer>> es = new ArrayList<>();
        for (Map.Entry<DynamicId, Integer> e : m.entrySet()) if (e.getValue() > from) es.add(e);
        es.sort(Map.Entry.comparingByValue());
        List<DynamicId> r = new ArrayList<>(es.size());
        for (Map.Entry<DynamicId, Integer> e : es) r.add(e.getKey());
        return r;
    }
}
