package org.xapijava.server.xenops;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.model.errors.ApiError;
import org.xapijava.xenopsd.DynamicId;
import org.xapijava.xenopsd.Updates;
import org.xapijava.xenopsd.Xenops;
import org.xapijava.xenopsd.XenopsUnavailableException;

/**
 * The thread that follows xenopsd's events ({@code events_from_xenopsd}/{@code events_watch} of
 * {@code ocaml/xapi/xapi_xenops.ml}): one virtual thread long-polling {@code UPDATES.get}; each batch's
 * barriers first (their ids applied, then {@code UPDATES.remove_barrier} and the waiter woken), then the other
 * ids, each applied once per batch: VMs, VBDs and VIFs through {@link StateSync}, tasks through
 * {@link TaskBinding}.
 *
 * <p>When the connection breaks, waiters on barriers fail, and the thread reconnects after a growing delay
 * (timed waits, starting at {@link #FIRST_RETRY} and doubling up to the configured maximum; Xapi waits 10 s
 * each time); once connected again it runs the {@code onConnect} hook (resynchronisation) and follows
 * xenopsd's events from the start. Thread-safe: start once, {@link #close} from any thread.
 */
final class EventLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventLoop.class);
    /** The first delay before a reconnection attempt. */
    static final Duration FIRST_RETRY = Duration.ofMillis(50);

    private static final String DBG = "org.xen.xapi.xenops.classic events";

    private final Xenops xenops;
    private final StateSync sync;
    private final TaskBinding tasks;
    private final Barriers barriers;
    private final Duration maxRetry;
    private final Runnable onConnect;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private volatile boolean closing;
    private volatile boolean connected;
    /** Counts successful (re)connections; tests wait on it. Guarded by {@link #lock}. */
    private long connections;

    private Thread thread;

    EventLoop(
            Xenops xenops,
            StateSync sync,
            TaskBinding tasks,
            Barriers barriers,
            Duration maxRetry,
            Runnable onConnect) {
        this.xenops = xenops;
        this.sync = sync;
        this.tasks = tasks;
        this.barriers = barriers;
        this.maxRetry = maxRetry;
        this.onConnect = onConnect;
    }

    /**
     * Starts the thread. {@code alreadySynced}: the caller has just resynchronised (xapi start-up), so the first
     * connection does not run the hook again.
     */
    void start(boolean alreadySynced) {
        thread = Thread.ofVirtual().name("xenopsd events").start(() -> run(alreadySynced));
    }

    boolean connected() {
        return connected;
    }

    /** The number of connections made so far. */
    long connections() {
        lock.lock();
        try {
            return connections;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until more than {@code after} connections were made and the loop is following events.
     *
     * @return whether it happened within {@code timeout}
     */
    boolean awaitConnections(long after, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (connections <= after || !connected) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                changed.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void run(boolean alreadySynced) {
        boolean skipHook = alreadySynced;
        Duration delay = FIRST_RETRY;
        while (!closing) {
            try {
                // the first call tells whether xenopsd is there; the hook resynchronises before events flow
                xenops.updatesLastId(DBG);
                if (!skipHook) onConnect.run();
                skipHook = false;
                setConnected(true);
                delay = FIRST_RETRY;
                watch();
            } catch (XenopsUnavailableException e) {
                if (closing) break;
                if (connected) LOG.warn("xenopsd event thread lost its connection: {}", e.getMessage());
                else LOG.debug("xenopsd not reachable: {}", e.getMessage());
            } catch (RuntimeException e) {
                if (closing) break;
                LOG.error("xenopsd event thread caught", e);
            }
            setConnected(false);
            barriers.failAll(ApiError.internal("the connection to xenopsd was lost while waiting for its events"));
            if (closing) break;
            pause(delay);
            delay = delay.multipliedBy(2).compareTo(maxRetry) > 0 ? maxRetry : delay.multipliedBy(2);
        }
        setConnected(false);
    }

    private void setConnected(boolean c) {
        lock.lock();
        try {
            if (c && !connected) connections++;
            connected = c;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** A timed wait before the next connection attempt, cut short by {@link #close}. */
    private void pause(Duration d) {
        lock.lock();
        try {
            long left = d.toNanos();
            while (left > 0 && !closing) left = changed.awaitNanos(left);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /** {@code events_watch}: from the beginning of this daemon's events, for ever. */
    private void watch() {
        Integer from = null;
        while (!closing) {
            Updates u = xenops.updatesGet(DBG, from, null);
            if (closing) return;
            Set<DynamicId> done = new HashSet<>();
            List<DynamicId> first = new ArrayList<>();
            for (Updates.Barrier b : u.barriers()) first.addAll(b.ids());
            applyAll(first, done);
            for (Updates.Barrier b : u.barriers()) {
                xenops.updatesRemoveBarrier(DBG, b.id());
                barriers.wakeup(b.id());
            }
            applyAll(u.ids(), done);
            from = u.nextId();
        }
    }

    /** At most this many objects' updates are applied at once. */
    static final int PARALLEL_OBJECTS = 16;

    /**
     * Applies {@code ids} (each once per batch, {@code done} remembering which): the ids of one VM (the VM and its
     * devices) in their order, different VMs and tasks side by side, and returns when all are applied. Xapi applies
     * a batch one id after the other; each id costs a round trip to xenopsd and a durable database write, so with
     * many VMs changing at once one event thread became the queue every lifecycle call waited in (its barrier).
     */
    private void applyAll(List<DynamicId> ids, Set<DynamicId> done) {
        Map<String, List<DynamicId>> byObject = new LinkedHashMap<>();
        for (DynamicId id : ids) {
            if (!done.add(id)) continue;
            String key = id instanceof DynamicId.Task t ? "task/" + t.id() : "vm/" + id.vmId();
            byObject.computeIfAbsent(key, k -> new ArrayList<>()).add(id);
        }
        if (byObject.size() <= 1) {
            for (List<DynamicId> group : byObject.values()) for (DynamicId id : group) apply(id);
            return;
        }
        Semaphore slots = new Semaphore(PARALLEL_OBJECTS);
        AtomicReference<XenopsUnavailableException> lost = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>(byObject.size());
        try {
            for (List<DynamicId> group : byObject.values()) {
                slots.acquire();
                workers.add(Thread.ofVirtual().name("xenopsd events worker").start(() -> {
                    try {
                        for (DynamicId id : group) apply(id);
                    } catch (XenopsUnavailableException e) {
                        lost.compareAndSet(null, e);
                    } finally {
                        slots.release();
                    }
                }));
            }
            for (Thread w : workers) w.join();
        } catch (InterruptedException e) {
            // close() interrupts the loop: the workers end with their calls; reconnecting starts from scratch
            Thread.currentThread().interrupt();
            throw new XenopsUnavailableException("interrupted while applying xenopsd's events", e);
        }
        if (lost.get() != null) throw lost.get();
    }

    private void apply(DynamicId id) {
        try {
            switch (id) {
                case DynamicId.Vm v -> sync.updateVm(DBG, v.id());
                case DynamicId.Vbd d -> sync.updateVbd(DBG, d.id());
                case DynamicId.Vif d -> sync.updateVif(DBG, d.id());
                case DynamicId.Task t -> tasks.onTaskEvent(DBG, t.id());
                default -> {} // PCI, vGPU, vUSB: not modelled
            }
        } catch (XenopsUnavailableException e) {
            throw e;
        } catch (RuntimeException e) {
            LOG.error("xenopsd event: caught {} while processing {}", e, id, e);
        }
    }

    /** Stops the thread (its blocked long poll is interrupted, which closes that connection). */
    @Override
    public void close() {
        closing = true;
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        Thread t = thread;
        if (t != null) {
            t.interrupt();
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
