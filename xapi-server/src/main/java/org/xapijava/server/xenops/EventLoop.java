package org.xapijava.server.xenops;

import java.time.Duration;
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
 * {@code ocaml/xapi/xapi_xenops.ml}): one virtual thread long-polling {@code UPDATES.get} and handing each id to
 * its object's lane ({@link EventLanes}: one VM and its devices in order, VMs side by side), where VMs, VBDs and
 * VIFs are applied through {@link StateSync} and tasks through {@link TaskBinding}; a barrier is removed
 * ({@code UPDATES.remove_barrier}) and its waiter woken once its ids and every update read before it are applied. Xapi applies every id on its one
 * event thread; see docs/decisions.md ("xenopsd events applied per VM").
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
    /** Runs one update's application with the database's durability waited for once at its end. */
    private final java.util.function.Consumer<Runnable> durabilityScope;

    private final EventLanes<DynamicId> lanes = new EventLanes<>(EventLoop::laneOf, this::apply, PARALLEL_OBJECTS);

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
            Runnable onConnect,
            java.util.function.Consumer<Runnable> durabilityScope) {
        this.durabilityScope = durabilityScope;
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

    /**
     * {@code events_watch}: from the beginning of this daemon's events, for ever. Each update goes to its object's
     * lane ({@link EventLanes}); a barrier is removed and its waiter woken once its ids and every update read before
     * them have been applied. The thread reads the next batch at once: updates read later never delay a barrier.
     */
    private void watch() {
        Integer from = null;
        try {
            while (!closing) {
                Updates u = xenops.updatesGet(DBG, from, null);
                if (closing) return;
                tasks.following(true);
                for (Updates.Barrier b : u.barriers()) {
                    for (DynamicId id : b.ids()) lanes.submit(id);
                    lanes.allSubmitted().whenComplete((v, e) -> {
                        if (e != null) return; // the connection broke: run() fails every waiter
                        try {
                            xenops.updatesRemoveBarrier(DBG, b.id());
                        } catch (RuntimeException x) {
                            LOG.warn("xenopsd: could not remove barrier {}: {}", b.id(), x.toString());
                        }
                        barriers.wakeup(b.id());
                    });
                }
                for (DynamicId id : u.ids()) lanes.submit(id);
                from = u.nextId();
                RuntimeException failed = lanes.failure();
                if (failed != null) throw failed;
            }
        } finally {
            tasks.following(false);
            lanes.clear(new XenopsUnavailableException("xenopsd's event stream was restarted", null));
        }
    }

    /** At most this many updates are applied at once. */
    static final int PARALLEL_OBJECTS = 16;

    /** The lane of an update: its VM (the VM and its devices, in order), or the task. */
    private static String laneOf(DynamicId id) {
        return id instanceof DynamicId.Task t ? "task/" + t.id() : "vm/" + id.vmId();
    }

    /**
     * Applies one update. Its database writes (one per changed field, as Xapi's) wait for durability once, at the
     * end ({@link org.xapijava.db.Database#deferringDurability}), instead of each: a barrier woken after the update
     * still finds all of it durable and published.
     */
    private void apply(DynamicId id) {
        durabilityScope.accept(() -> applyNow(id));
    }

    private void applyNow(DynamicId id) {
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
