package org.xapijava.server.auth;

import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bounded pool of platform threads on which password checks run: Xapi's throttle
 * {@code throttle_auth_internal} (a semaphore sized by {@code pool.local_auth_max_threads}, default
 * {@value #DEFAULT_SIZE}). Native PAM calls must never run on a caller's virtual thread (they block in
 * C, and PAM modules may keep thread-local state), so the pool both runs and bounds them.
 *
 * <p>Callers block in {@link #run} until a worker is free and their task is done; waiting callers
 * queue without limit in arrival order. At most {@link #size()} tasks run at once, except just after
 * {@link #setSize} lowered the size, while tasks already running finish. Thread-safe.
 *
 * <p>Instrumented: {@link #running()} and {@link #maxRunning()} count tasks inside their body, so
 * tests can check the bound without timing.
 */
final class AuthPool implements AutoCloseable {

    /** Xapi's default {@code pool.local_auth_max_threads}. */
    static final int DEFAULT_SIZE = 8;

    /** Idle workers exit after this long, so that an unused pool holds no thread. */
    private static final long KEEP_ALIVE_SECONDS = 60;

    /** Work that may fail with an {@link AuthenticationFailure}. */
    @FunctionalInterface
    interface Task<T> {
        T run() throws AuthenticationFailure;
    }

    private final ThreadPoolExecutor executor;
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger maxRunning = new AtomicInteger();

    /**
     * @param name prefix of the worker thread names
     * @param size the most tasks running at once, at least 1
     */
    AuthPool(String name, int size) {
        checkSize(size);
        this.executor = new ThreadPoolExecutor(
                size,
                size,
                KEEP_ALIVE_SECONDS,
                TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(),
                Thread.ofPlatform().name(name + "-", 0).daemon(true).factory());
        executor.allowCoreThreadTimeOut(true);
    }

    private static void checkSize(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("auth pool size must be at least 1, got " + size);
        }
    }

    /**
     * Runs {@code task} on a worker and returns its result, blocking until then. A failure of the
     * task is rethrown as is ({@link AuthenticationFailure}, or an unchecked exception or error).
     *
     * <p>If the caller is interrupted while waiting, a task that has not started yet never runs; one
     * already running completes in the background (a native call cannot be stopped), and its outcome is
     * lost. Either way the caller gets an {@link AuthenticationFailure} "Interrupted" and keeps its
     * interrupt status.
     *
     * @throws IllegalStateException after {@link #close()}
     */
    <T> T run(Task<T> task) throws AuthenticationFailure {
        Future<T> future;
        try {
            future = executor.submit(() -> {
                int now = running.incrementAndGet();
                maxRunning.accumulateAndGet(now, Math::max);
                try {
                    return task.run();
                } finally {
                    running.decrementAndGet();
                }
            });
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("authentication pool is closed", e);
        }
        try {
            return future.get();
        } catch (InterruptedException e) {
            future.cancel(false);
            Thread.currentThread().interrupt();
            throw new AuthenticationFailure("Interrupted", e);
        } catch (CancellationException e) {
            throw new IllegalStateException("authentication pool is closed", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof AuthenticationFailure f) {
                throw f;
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        }
    }

    /** The most tasks that run at once. */
    int size() {
        return executor.getMaximumPoolSize();
    }

    /**
     * Changes the bound (Xapi: {@code set_local_auth_max_threads}, on a change of
     * {@code pool.local_auth_max_threads}). Waiting callers start as soon as the new bound allows.
     */
    synchronized void setSize(int size) {
        checkSize(size);
        if (size > executor.getMaximumPoolSize()) {
            executor.setMaximumPoolSize(size);
            executor.setCorePoolSize(size);
        } else {
            executor.setCorePoolSize(size);
            executor.setMaximumPoolSize(size);
        }
    }

    /** Tasks inside their body right now. */
    int running() {
        return running.get();
    }

    /** The most tasks ever seen inside their body at once, since creation or {@link #resetMaxRunning()}. */
    int maxRunning() {
        return maxRunning.get();
    }

    /** Starts a new high-water mark for {@link #maxRunning()} (the tasks running now count). */
    void resetMaxRunning() {
        maxRunning.set(running.get());
    }

    /** Stops accepting tasks; queued and running ones still complete. */
    @Override
    public void close() {
        executor.shutdown();
    }
}
