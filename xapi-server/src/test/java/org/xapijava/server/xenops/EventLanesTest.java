package org.xapijava.server.xenops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EventLanesTest {

    /** Ids are "lane:n": the lane is the part before the colon. */
    private static String lane(String id) {
        return id.substring(0, id.indexOf(':'));
    }

    @Test
    void oneLaneAppliesInOrderWhileLanesRunSideBySide() throws Exception {
        CountDownLatch bothInside = new CountDownLatch(2);
        Map<String, List<String>> applied = new ConcurrentHashMap<>();
        EventLanes<String> lanes = new EventLanes<>(
                EventLanesTest::lane,
                id -> {
                    if (id.endsWith(":0")) {
                        // the first update of each lane waits until the other lane's first is being applied too
                        bothInside.countDown();
                        try {
                            assertTrue(bothInside.await(10, TimeUnit.SECONDS), "lanes did not run side by side");
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                    applied.computeIfAbsent(lane(id), k -> Collections.synchronizedList(new ArrayList<>()))
                            .add(id);
                },
                4);
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            all.add(lanes.submit("a:" + i));
            all.add(lanes.submit("b:" + i));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        for (String l : List.of("a", "b")) {
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 20; i++) expected.add(l + ":" + i);
            assertEquals(expected, applied.get(l));
        }
        for (int i = 0; i < 100 && !lanes.idle(); i++) Thread.sleep(10);
        assertTrue(lanes.idle());
    }

    @Test
    void anUpdateStillQueuedCoversARepeatOfTheSameId() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger applications = new AtomicInteger();
        EventLanes<String> lanes = new EventLanes<>(
                EventLanesTest::lane,
                id -> {
                    if (id.equals("a:block")) {
                        try {
                            release.await(10, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    } else {
                        applications.incrementAndGet();
                    }
                },
                4);
        CompletableFuture<Void> blocker = lanes.submit("a:block");
        CompletableFuture<Void> first = lanes.submit("a:vm");
        CompletableFuture<Void> again = lanes.submit("a:vm");
        assertSame(first, again);
        release.countDown();
        CompletableFuture.allOf(blocker, first).get(10, TimeUnit.SECONDS);
        assertEquals(1, applications.get());
        // once applied, the same id is applied again
        lanes.submit("a:vm").get(10, TimeUnit.SECONDS);
        assertEquals(2, applications.get());
    }

    @Test
    void aFailureEndsItsFutureAndIsKeptUntilCleared() throws Exception {
        EventLanes<String> lanes = new EventLanes<>(
                EventLanesTest::lane,
                id -> {
                    if (id.startsWith("bad")) throw new IllegalStateException("xenopsd went away");
                },
                2);
        CompletableFuture<Void> bad = lanes.submit("bad:1");
        ExecutionException e = assertThrows(ExecutionException.class, () -> bad.get(10, TimeUnit.SECONDS));
        assertEquals("xenopsd went away", e.getCause().getMessage());
        lanes.submit("good:1").get(10, TimeUnit.SECONDS);
        assertNotNull(lanes.failure());
        lanes.clear(new IllegalStateException("restart"));
        assertEquals(null, lanes.failure());
    }

    /** A barrier waits for every update submitted before it, in every lane, not only for its own ids. */
    @Test
    void allSubmittedWaitsForEveryLane() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        EventLanes<String> lanes = new EventLanes<>(
                EventLanesTest::lane,
                id -> {
                    if (id.equals("slow:1")) {
                        try {
                            release.await(10, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                },
                4);
        lanes.submit("slow:1");
        lanes.submit("fast:1").get(10, TimeUnit.SECONDS);
        CompletableFuture<Void> barrier = lanes.allSubmitted();
        Thread.sleep(100);
        assertTrue(!barrier.isDone(), "the barrier passed an update still being applied");
        release.countDown();
        barrier.get(10, TimeUnit.SECONDS);
    }
}
