package org.xapijava.xenopsd.sim;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * xenopsd's operation queues ({@code Redirector} and {@code WorkerPool} of {@code xapi_work_queues}, used by
 * {@code ocaml/xenopsd/lib/xenops_server.ml}): one FIFO queue per tag (the VM id), so operations on one VM run one
 * at a time in the order they were queued, while a fixed number of workers serve different VMs in parallel. A
 * worker takes one item of a tag and puts the tag back at the end of the line if it has more, so a busy VM does
 * not starve others.
 *
 * <p>Workers are virtual threads. Thread-safe: one lock guards the queues; items run outside it.
 */
final class WorkQueues {

    /** One queued piece of work. */
    interface Item {
        void run();

        /** Whether queueing this item may be skipped because an equal one is already waiting. */
        default boolean duplicateOf(Item other) {
            return false;
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    private final Map<String, ArrayDeque<Item>> queues = new HashMap<>();
    /** Tags with waiting items and no worker on them, in the order they became ready. */
    private final ArrayDeque<String> readyTags = new ArrayDeque<>();
    /** Tags a worker is running an item of. */
    private final java.util.Set<String> busy = new java.util.HashSet<>();

    private final List<Thread> workers = new ArrayList<>();
    private boolean stopping;

    WorkQueues(int workerCount, String name) {
        for (int i = 0; i < workerCount; i++) {
            workers.add(Thread.ofVirtual().name(name + "-worker-" + i).start(this::workerLoop));
        }
    }

    /**
     * Queues {@code item} under {@code tag}; returns false (and drops it) when {@code item.duplicateOf} an item
     * already waiting there.
     */
    boolean push(String tag, Item item) {
        lock.lock();
        try {
            if (stopping) throw new IllegalStateException("work queues stopped");
            ArrayDeque<Item> q = queues.computeIfAbsent(tag, k -> new ArrayDeque<>());
            for (Item waiting : q) if (item.duplicateOf(waiting)) return false;
            boolean wasEmpty = q.isEmpty();
            q.addLast(item);
            if (wasEmpty && !busy.contains(tag)) {
                readyTags.addLast(tag);
                ready.signal();
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void workerLoop() {
        for (; ; ) {
            String tag;
            Item item;
            lock.lock();
            try {
                while (readyTags.isEmpty() && !stopping) ready.awaitUninterruptibly();
                if (stopping) return;
                tag = readyTags.pollFirst();
                ArrayDeque<Item> q = queues.get(tag);
                item = q.pollFirst();
                busy.add(tag);
            } finally {
                lock.unlock();
            }
            try {
                item.run();
            } catch (RuntimeException | Error e) {
                // the item records its own failure; never lose a worker
                System.getLogger(WorkQueues.class.getName())
                        .log(System.Logger.Level.ERROR, "queued work on " + tag + " failed", e);
            } finally {
                lock.lock();
                try {
                    busy.remove(tag);
                    ArrayDeque<Item> q = queues.get(tag);
                    if (q.isEmpty()) {
                        queues.remove(tag);
                    } else {
                        readyTags.addLast(tag);
                        ready.signal();
                    }
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    /** Stops the workers after their current item; waiting items are dropped. */
    void stop() {
        lock.lock();
        try {
            stopping = true;
            ready.signalAll();
        } finally {
            lock.unlock();
        }
        for (Thread t : workers) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
