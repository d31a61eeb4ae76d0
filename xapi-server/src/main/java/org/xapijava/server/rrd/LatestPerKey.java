package org.xapijava.server.rrd;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Work done on one background daemon thread, the newest item per key only: {@link #submit} replaces what is pending
 * for the same key (the older item never runs), at most {@code bound} keys wait (a new key beyond that is refused and
 * logged), items run in the order their keys were first queued, and a failing item is logged and the next one runs.
 * Until an item has run it is what {@link #peek} answers; {@link #cancel} drops it. {@link #close} runs what is left
 * within a deadline, then drops the rest (logged) and interrupts the item running. Thread-safe.
 *
 * <p>Used by {@link RrdArchive#saveLater} (writes of halted VMs' RRDs) and by {@link Statistics} for the RRDs the
 * master sends to the host a VM started on.
 *
 * @param <K> the key (an object's uuid)
 * @param <V> the item
 */
final class LatestPerKey<K, V> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LatestPerKey.class);

    /** What is done with one item. */
    interface Work<K, V> {
        void run(K key, V value) throws Exception;
    }

    private final String name;
    private final int bound;
    private final Work<K, V> work;
    /** Started with the first item. Guarded by {@code this}. */
    private Thread thread;
    /** key → the item not yet taken, in the order the keys were queued. Guarded by {@code this}. */
    private final LinkedHashMap<K, V> pending = new LinkedHashMap<>();
    /** The item running (null: none, or cancelled). Guarded by {@code this}. */
    private K runningKey;

    private V runningValue;
    private boolean closed;
    private boolean draining = true;

    /**
     * @param name  the thread's name (and the logs')
     * @param bound how many keys may wait at most (at least 1)
     * @param work  what is done with an item
     */
    LatestPerKey(String name, int bound, Work<K, V> work) {
        if (bound < 1) throw new IllegalArgumentException("bound: " + bound);
        this.name = name;
        this.bound = bound;
        this.work = work;
    }

    /**
     * Queues {@code value} for {@code key}, replacing an item of the same key not yet taken. False when refused: closed,
     * or {@code bound} other keys waiting.
     */
    synchronized boolean submit(K key, V value) {
        Objects.requireNonNull(value);
        if (closed) return false;
        if (!pending.containsKey(key) && pending.size() >= bound) {
            LOG.warn("{}: {} items waiting, the one for {} is dropped", name, pending.size(), key);
            return false;
        }
        pending.put(key, value);
        if (thread == null) thread = Thread.ofPlatform().daemon().name(name).start(this::loop);
        notifyAll();
        return true;
    }

    /** The item of {@code key} waiting or running, null when none. */
    synchronized V peek(K key) {
        V v = pending.get(key);
        if (v != null) return v;
        return Objects.equals(runningKey, key) ? runningValue : null;
    }

    /** Drops the item of {@code key} that waits; one running goes on but no longer shows in {@link #peek}. */
    synchronized void cancel(K key) {
        pending.remove(key);
        if (Objects.equals(runningKey, key)) {
            runningKey = null;
            runningValue = null;
        }
    }

    /** How many items wait (not counting the one running). */
    synchronized int waiting() {
        return pending.size();
    }

    private void loop() {
        while (true) {
            K key;
            V value;
            synchronized (this) {
                while (pending.isEmpty() && !closed) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        // close() interrupts the item, not the wait: look again
                    }
                }
                if (pending.isEmpty() || !draining) return;
                Iterator<Map.Entry<K, V>> first = pending.entrySet().iterator();
                Map.Entry<K, V> e = first.next();
                first.remove();
                key = runningKey = e.getKey();
                value = runningValue = e.getValue();
            }
            try {
                work.run(key, value);
            } catch (InterruptedException e) {
                LOG.warn("{}: the item for {} was interrupted", name, key);
            } catch (Exception e) {
                LOG.warn("{}: the item for {} failed: {}", name, key, e.toString());
            } finally {
                synchronized (this) {
                    if (Objects.equals(runningKey, key) && runningValue == value) {
                        runningKey = null;
                        runningValue = null;
                    }
                    notifyAll();
                }
                Thread.interrupted(); // an interrupt meant for this item only
            }
        }
    }

    /**
     * Refuses new items, runs the waiting ones for at most {@code flush}, then drops those left (logged) and interrupts
     * the one running. Returns once the thread ended (or a second after the deadline). Idempotent.
     */
    void close(Duration flush) {
        Thread thread;
        synchronized (this) {
            closed = true;
            notifyAll();
            thread = this.thread;
        }
        if (thread == null) return;
        try {
            thread.join(flush);
            if (thread.isAlive()) {
                int dropped;
                synchronized (this) {
                    draining = false;
                    dropped = pending.size();
                    pending.clear();
                    notifyAll();
                }
                if (dropped > 0) LOG.warn("{}: {} items dropped at close", name, dropped);
                thread.interrupt();
                thread.join(Duration.ofSeconds(1));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@link #close(Duration)} with 10 s to flush. */
    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }
}
