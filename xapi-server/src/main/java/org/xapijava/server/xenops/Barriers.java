package org.xapijava.server.xenops;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.xapijava.model.errors.ApiError;

/**
 * Xapi's {@code Events_from_xenopsd.wait}/{@code wakeup}: a caller registers a barrier number, asks xenopsd to
 * inject it ({@code UPDATES.inject_barrier}) and waits until the event thread has applied every change
 * xenopsd reported before that barrier, so that a synchronous call returns with the database already showing
 * its effects. Thread-safe.
 *
 * <p>Unlike Xapi, whose waiters would block for ever when xenopsd goes away, pending waiters are failed when
 * the event thread loses its connection (the barrier died with it), and every wait has a time limit.
 */
final class Barriers {
    private final AtomicInteger counter = new AtomicInteger();
    private final Map<Integer, CompletableFuture<Void>> active = new ConcurrentHashMap<>();

    /** Registers a new barrier; the caller injects its number, then {@link #await}s it. */
    int register() {
        int id = counter.getAndIncrement();
        active.put(id, new CompletableFuture<>());
        return id;
    }

    /** Forgets a barrier the caller could not inject. */
    void cancel(int id) {
        active.remove(id);
    }

    /**
     * Waits until the event thread processed barrier {@code id}.
     *
     * @throws ApiError {@code INTERNAL_ERROR} when the connection to xenopsd was lost meanwhile or the wait timed out
     */
    void await(int id, Duration timeout) {
        CompletableFuture<Void> f = active.get(id);
        if (f == null) return; // already woken and removed
        try {
            f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.internal("interrupted while waiting for xenopsd events");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof ApiError a ? a : ApiError.internal(String.valueOf(e.getCause()));
        } catch (TimeoutException e) {
            throw ApiError.internal("timed out waiting for xenopsd events (barrier " + id + ")");
        } finally {
            active.remove(id);
        }
    }

    /** The event thread processed barrier {@code id}: its waiter resumes. Unknown ids are ignored. */
    void wakeup(int id) {
        CompletableFuture<Void> f = active.remove(id);
        if (f != null) f.complete(null);
    }

    /** The event stream broke: every waiter fails with {@code error}. */
    void failAll(ApiError error) {
        for (Integer id : active.keySet()) {
            CompletableFuture<Void> f = active.remove(id);
            if (f != null) f.completeExceptionally(error);
        }
    }

    /** Whether barrier {@code id} is still awaited (tests). */
    boolean pending(int id) {
        return active.containsKey(id);
    }
}
