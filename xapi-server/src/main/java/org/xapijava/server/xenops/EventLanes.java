package org.xapijava.server.xenops;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Where the xenopsd event thread hands the updates it reads: one lane per object (a VM with its devices, or a task),
 * each lane applying its updates one after the other in arrival order, lanes side by side on virtual threads, at
 * most {@code parallel} applications at once. The event thread goes back to xenopsd at once instead of waiting for
 * a whole batch, so a VM's update never waits behind another VM's round trips and durable writes (Xapi's
 * {@code events_watch} applies every update of a batch, then reads the next batch, on one thread).
 *
 * <p>An update submitted while the same id is still queued (not yet started) joins the queued one: applying reads
 * the object's current state, so one application covers both. {@link #submit} returns a future completed once an
 * application that started after the submission has ended; a barrier is woken once everything submitted before it
 * has been applied ({@link #allSubmitted}).
 *
 * <p>An application that throws ends its future exceptionally; the first such failure is kept for the event thread
 * ({@link #failure}). Thread-safe.
 *
 * @param <I> an update's id
 */
final class EventLanes<I> {
    private final Function<I, String> laneOf;
    private final Consumer<I> apply;
    private final Semaphore slots;
    private final Map<String, Lane> lanes = new HashMap<>();
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
    /** The futures of every update queued or being applied. */
    private final java.util.Set<CompletableFuture<Void>> unfinished = ConcurrentHashMap.newKeySet();

    /** One object's queue: ids waiting, in order, each with the future of its coming application. */
    private final class Lane {
        final String key;
        final LinkedHashMap<I, CompletableFuture<Void>> queued = new LinkedHashMap<>();
        boolean running;

        Lane(String key) {
            this.key = key;
        }
    }

    EventLanes(Function<I, String> laneOf, Consumer<I> apply, int parallel) {
        this.laneOf = laneOf;
        this.apply = apply;
        this.slots = new Semaphore(parallel);
    }

    /** Queues {@code id} on its object's lane; the future completes when it has been applied. */
    CompletableFuture<Void> submit(I id) {
        Lane start = null;
        CompletableFuture<Void> f;
        synchronized (lanes) {
            Lane lane = lanes.computeIfAbsent(laneOf.apply(id), Lane::new);
            f = lane.queued.get(id);
            if (f != null) return f;
            f = new CompletableFuture<>();
            lane.queued.put(id, f);
            unfinished.add(f);
            CompletableFuture<Void> mine = f;
            f.whenComplete((v, e) -> unfinished.remove(mine));
            if (!lane.running) {
                lane.running = true;
                start = lane;
            }
        }
        if (start != null) {
            Lane l = start;
            Thread.ofVirtual().name("xenopsd events " + l.key).start(() -> drain(l));
        }
        return f;
    }

    private void drain(Lane lane) {
        while (true) {
            I id;
            CompletableFuture<Void> f;
            synchronized (lanes) {
                Iterator<Map.Entry<I, CompletableFuture<Void>>> it =
                        lane.queued.entrySet().iterator();
                if (!it.hasNext()) {
                    lane.running = false;
                    lanes.remove(lane.key);
                    return;
                }
                Map.Entry<I, CompletableFuture<Void>> e = it.next();
                it.remove();
                id = e.getKey();
                f = e.getValue();
            }
            try {
                slots.acquireUninterruptibly();
                try {
                    apply.accept(id);
                } finally {
                    slots.release();
                }
                f.complete(null);
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e);
                f.completeExceptionally(e);
            }
        }
    }

    /**
     * A future completed once every update submitted so far has been applied (what a barrier waits for: every
     * change xenopsd reported before it, as with Xapi's one event thread).
     */
    CompletableFuture<Void> allSubmitted() {
        return CompletableFuture.allOf(unfinished.toArray(CompletableFuture[]::new));
    }

    /** The first failure of an application since the last {@link #clear}, or null. */
    RuntimeException failure() {
        return failure.get();
    }

    /** Forgets queued updates (their futures fail with {@code why}) and the recorded failure: a new connection. */
    void clear(RuntimeException why) {
        synchronized (lanes) {
            for (Lane lane : lanes.values()) {
                for (CompletableFuture<Void> f : lane.queued.values()) f.completeExceptionally(why);
                lane.queued.clear();
            }
        }
        failure.set(null);
    }

    /** Whether every lane is idle (tests). */
    boolean idle() {
        synchronized (lanes) {
            return lanes.isEmpty();
        }
    }
}
