package org.xapijava.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class AuthPoolTest {

    /** Starts {@code n} virtual threads, each running one blocking task on the pool; returns them. */
    private static List<Thread> callers(
            AuthPool pool,
            int n,
            Semaphore started,
            CountDownLatch release,
            AtomicInteger onPlatformThread,
            AtomicInteger done) {
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    pool.run(() -> {
                        if (!Thread.currentThread().isVirtual()) {
                            onPlatformThread.incrementAndGet();
                        }
                        started.release();
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                        return null;
                    });
                    done.incrementAndGet();
                } catch (AuthenticationFailure e) {
                    throw new AssertionError(e);
                }
            }));
        }
        return threads;
    }

    @Test
    void boundIsReachedAndNeverExceededAndTasksRunOnPlatformThreads() throws Exception {
        try (AuthPool pool = new AuthPool("test", 4)) {
            Semaphore started = new Semaphore(0);
            CountDownLatch release = new CountDownLatch(1);
            AtomicInteger platform = new AtomicInteger();
            AtomicInteger done = new AtomicInteger();
            List<Thread> threads = callers(pool, 32, started, release, platform, done);
            started.acquire(4); // four tasks are inside their body, all blocked
            assertEquals(4, pool.running());
            release.countDown();
            for (Thread t : threads) {
                t.join();
            }
            assertEquals(32, done.get());
            assertEquals(32, platform.get());
            assertEquals(4, pool.maxRunning());
            assertEquals(0, pool.running());
        }
    }

    @Test
    void raisingTheSizeLetsWaitingCallersStart() throws Exception {
        try (AuthPool pool = new AuthPool("test", 2)) {
            Semaphore started = new Semaphore(0);
            CountDownLatch release = new CountDownLatch(1);
            AtomicInteger done = new AtomicInteger();
            List<Thread> threads = callers(pool, 10, started, release, new AtomicInteger(), done);
            started.acquire(2);
            assertEquals(2, pool.maxRunning());
            pool.setSize(5);
            started.acquire(3); // only possible once the new bound lets three more start
            assertEquals(5, pool.running());
            release.countDown();
            for (Thread t : threads) {
                t.join();
            }
            assertEquals(10, done.get());
            assertEquals(5, pool.maxRunning());
            assertEquals(5, pool.size());
        }
    }

    @Test
    void failuresReachTheCallerUnchanged() {
        try (AuthPool pool = new AuthPool("test", 1)) {
            AuthenticationFailure failure = new AuthenticationFailure("Authentication failure");
            assertSame(
                    failure,
                    assertThrows(
                            AuthenticationFailure.class,
                            () -> pool.run(() -> {
                                throw failure;
                            })));
            IllegalStateException unchecked = new IllegalStateException("boom");
            assertSame(
                    unchecked,
                    assertThrows(
                            IllegalStateException.class,
                            () -> pool.run(() -> {
                                throw unchecked;
                            })));
        }
    }

    @Test
    void interruptedCallerFailsAndItsQueuedTaskNeverRuns() throws Exception {
        try (AuthPool pool = new AuthPool("test", 1)) {
            Semaphore started = new Semaphore(0);
            CountDownLatch release = new CountDownLatch(1);
            Thread blocker = callers(pool, 1, started, release, new AtomicInteger(), new AtomicInteger())
                    .getFirst();
            started.acquire(); // the only worker is busy: the next task can only queue

            AtomicBoolean ran = new AtomicBoolean();
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            AtomicBoolean stillInterrupted = new AtomicBoolean();
            Thread caller = Thread.ofVirtual().start(() -> {
                Thread.currentThread().interrupt(); // get() then throws at once
                try {
                    pool.run(() -> {
                        ran.set(true);
                        return null;
                    });
                } catch (Throwable t) {
                    thrown.set(t);
                }
                stillInterrupted.set(Thread.currentThread().isInterrupted());
            });
            caller.join();
            assertTrue(thrown.get() instanceof AuthenticationFailure);
            assertEquals("Interrupted", thrown.get().getMessage());
            assertTrue(stillInterrupted.get());

            release.countDown();
            blocker.join();
            assertEquals("after", pool.run(() -> "after")); // FIFO: the cancelled task came before
            assertFalse(ran.get());
        }
    }

    @Test
    void closedPoolRefusesWorkAndBadSizesAreRefused() {
        AuthPool pool = new AuthPool("test", 1);
        pool.close();
        assertThrows(IllegalStateException.class, () -> pool.run(() -> null));
        assertThrows(IllegalArgumentException.class, () -> new AuthPool("test", 0));
        try (AuthPool other = new AuthPool("test", 1)) {
            assertThrows(IllegalArgumentException.class, () -> other.setSize(0));
        }
    }
}
