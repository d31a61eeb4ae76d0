package org.xapijava.server.alerts;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The generation counter of a {@link MessageStore} (the message half of an {@code event.from} token): hands out
 * generations ({@link #next}), kept monotonic across restarts by a reservation file written ahead of use
 * ({@value MessageStore#GENERATION_RESERVE} at a time), makes finished changes visible strictly in generation
 * order ({@link #publish}), and completes the futures of those waiting for the visible generation to move
 * ({@link #onGenerationAfter}).
 *
 * <p>Shares the store's lock, which also guards the store's own bookkeeping: {@link #next} is called with it held,
 * {@link #publish} takes it (and runs each change under it). {@link #visible} and {@link #onGenerationAfter} take
 * no lock.
 */
final class MessageGenerations {
    private static final Logger LOG = LoggerFactory.getLogger(MessageGenerations.class);

    private final ReentrantLock lock;
    private final MessageFiles files;
    private final Path reservationFile;

    /** Last generation handed out (guarded by lock). */
    private long allocated;
    /** Generations up to this may be handed out without writing the reservation file (guarded by lock). */
    private long reserved;
    /** Finished changes waiting for the ones before them, by generation (guarded by lock). */
    private final TreeMap<Long, Runnable> finished = new TreeMap<>();

    /** Highest generation such that it and every one before it is visible. */
    private volatile long visible;

    private volatile boolean closed;
    private final ConcurrentSkipListMap<Waiter, CompletableFuture<Long>> waiters = new ConcurrentSkipListMap<>();
    private final AtomicLong waiterSeq = new AtomicLong();

    private record Waiter(long after, long seq) implements Comparable<Waiter> {
        private static final Comparator<Waiter> CMP =
                Comparator.comparingLong(Waiter::after).thenComparingLong(Waiter::seq);

        @Override
        public int compareTo(Waiter o) {
            return CMP.compare(this, o);
        }
    }

    /**
     * @param lock            the store's lock
     * @param files           writes the reservation file durably
     * @param reservationFile where the reserved bound is written
     */
    MessageGenerations(ReentrantLock lock, MessageFiles files, Path reservationFile) {
        this.lock = lock;
        this.files = files;
        this.reservationFile = reservationFile;
    }

    /**
     * Starts counting after {@code loaded} (the highest generation found on disk: in a message file or the
     * reservation file), all of it visible; the first {@link #next} writes a new reservation. Called once, before
     * the store is shared.
     */
    void start(long loaded) {
        allocated = loaded;
        reserved = loaded;
        visible = loaded;
    }

    /** Next generation (lock held); writes a new reservation first when the reserved range is used up. */
    long next() throws IOException {
        if (allocated >= reserved) {
            long bound = allocated + MessageStore.GENERATION_RESERVE;
            files.writeDurably(reservationFile, (bound + "\n").getBytes(StandardCharsets.US_ASCII));
            reserved = bound;
        }
        return ++allocated;
    }

    /** Every change up to this generation is visible. */
    long visible() {
        return visible;
    }

    /**
     * Marks generation {@code gen} finished with {@code change} (null: nothing to show) and makes every
     * finished change whose predecessors are all visible visible, in generation order; then wakes waiters.
     */
    void publish(long gen, Runnable change) {
        long v;
        lock.lock();
        try {
            finished.put(gen, change == null ? () -> {} : change);
            v = visible;
            Runnable next;
            while ((next = finished.remove(v + 1)) != null) {
                try {
                    next.run();
                } catch (RuntimeException e) {
                    LOG.error("Publishing message change {} failed", v + 1, e);
                }
                v++;
            }
            visible = v;
        } finally {
            lock.unlock();
        }
        wake(v);
    }

    /** See {@link MessageStore#onGenerationAfter}. */
    CompletableFuture<Long> onGenerationAfter(long after) {
        long v = visible;
        if (v > after) return CompletableFuture.completedFuture(v);
        CompletableFuture<Long> f = new CompletableFuture<>();
        Waiter w = new Waiter(after, waiterSeq.incrementAndGet());
        waiters.put(w, f);
        f.whenComplete((x, t) -> waiters.remove(w, f));
        // Re-read after registering: a publisher either saw this waiter or made v visible before this read.
        v = visible;
        if (v > after && waiters.remove(w, f)) f.complete(v);
        if (closed && waiters.remove(w, f)) f.cancel(false);
        return f;
    }

    private void wake(long v) {
        while (true) {
            Map.Entry<Waiter, CompletableFuture<Long>> e = waiters.firstEntry();
            if (e == null || e.getKey().after() >= v) return;
            if (waiters.remove(e.getKey(), e.getValue())) e.getValue().complete(v);
        }
    }

    /** Cancels the pending {@link #onGenerationAfter} futures, and those asked for from now on. Idempotent. */
    void close() {
        closed = true;
        Map.Entry<Waiter, CompletableFuture<Long>> e;
        while ((e = waiters.pollFirstEntry()) != null) e.getValue().cancel(false);
    }
}
