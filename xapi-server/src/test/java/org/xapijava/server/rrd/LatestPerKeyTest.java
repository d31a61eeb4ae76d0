package org.xapijava.server.rrd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The background worker of the RRD pushes and archive writes: a newer item supersedes a waiting one of the same key,
 * the number of waiting keys is bounded, a failure does not stop the next item, and close flushes within its deadline
 * and drops (and interrupts) the rest.
 */
class LatestPerKeyTest {
    /** A worker whose items named "block" wait until {@code release} opens; every item run is recorded. */
    private static final class Recorder {
        final List<String> ran = new CopyOnWriteArrayList<>();
        final CountDownLatch blocked = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch interrupted = new CountDownLatch(1);

        void run(String key, String value) throws Exception {
            if (value.equals("block")) {
                blocked.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    interrupted.countDown();
                    throw e;
                }
            }
            if (value.equals("fail")) throw new IllegalStateException("refused");
            ran.add(key + "=" + value);
        }
    }

    private static void await(CountDownLatch l) throws InterruptedException {
        assertTrue(l.await(10, TimeUnit.SECONDS), "in time");
    }

    @Test
    void aLaterItemSupersedesAWaitingOneOfTheSameKeyInQueueOrder() throws Exception {
        Recorder r = new Recorder();
        LatestPerKey<String, String> q = new LatestPerKey<>("test-supersede", 10, r::run);
        assertTrue(q.submit("a", "block"));
        await(r.blocked);
        assertTrue(q.submit("b", "1"));
        assertTrue(q.submit("c", "1"));
        assertTrue(q.submit("b", "2")); // replaces b=1, keeps b's place before c
        assertEquals("2", q.peek("b"));
        assertEquals("block", q.peek("a"), "the running item shows until done");
        assertEquals(2, q.waiting());
        r.release.countDown();
        q.close(Duration.ofSeconds(10));
        assertEquals(List.of("a=block", "b=2", "c=1"), r.ran);
        assertNull(q.peek("b"));
    }

    @Test
    void waitingKeysAreBoundedAndAFailureDoesNotStopTheNext() throws Exception {
        Recorder r = new Recorder();
        LatestPerKey<String, String> q = new LatestPerKey<>("test-bound", 2, r::run);
        assertTrue(q.submit("a", "block"));
        await(r.blocked);
        assertTrue(q.submit("b", "fail"));
        assertTrue(q.submit("c", "1"));
        assertFalse(q.submit("d", "1"), "a third waiting key is refused");
        assertTrue(q.submit("c", "2"), "a waiting key may still be replaced");
        q.cancel("b");
        assertNull(q.peek("b"));
        assertTrue(q.submit("b", "fail"));
        r.release.countDown();
        q.close(Duration.ofSeconds(10));
        assertEquals(List.of("a=block", "c=2"), r.ran, "b failed, d was never queued");
    }

    @Test
    void closeFlushesWhatWaitsThenRefuses() throws Exception {
        Recorder r = new Recorder();
        LatestPerKey<String, String> q = new LatestPerKey<>("test-flush", 10, r::run);
        for (int i = 0; i < 5; i++) assertTrue(q.submit("k" + i, "v"));
        q.close(Duration.ofSeconds(10));
        assertEquals(5, r.ran.size(), "every waiting item ran before close returned");
        assertFalse(q.submit("late", "v"), "closed");
        assertEquals(0, q.waiting());
        q.close(); // idempotent
    }

    @Test
    void closeDropsWhatCannotGoInTimeAndInterruptsTheRunningItem() throws Exception {
        Recorder r = new Recorder();
        LatestPerKey<String, String> q = new LatestPerKey<>("test-drop", 10, r::run);
        assertTrue(q.submit("a", "block"));
        await(r.blocked);
        assertTrue(q.submit("b", "1"));
        long start = System.nanoTime();
        q.close(Duration.ofMillis(200));
        long took = Duration.ofNanos(System.nanoTime() - start).toMillis();
        assertTrue(took < 5_000, "close did not wait for the blocked item: " + took + " ms");
        await(r.interrupted); // the running item was interrupted
        assertEquals(0, q.waiting(), "b was dropped");
        assertEquals(List.of(), r.ran);
    }

    @Test
    void aWorkerNeverStartedClosesAtOnce() {
        LatestPerKey<String, String> q = new LatestPerKey<>("test-idle", 1, (k, v) -> {});
        q.close();
        assertFalse(q.submit("a", "v"));
    }
}
