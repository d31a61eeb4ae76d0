package org.xapijava.bench.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Item 2's driver: {@code clients} platform threads, each with state of its own (a connection and session), doing
 * one operation in a loop for a warm-up and then a measured period; operations per second over the period and
 * every operation's latency. A failing operation stops the run with its error, so a failing server cannot look
 * fast.
 */
final class Throughput {
    private Throughput() {}

    /** One client's loop body; made once per client thread. */
    interface Op {
        void run() throws Exception;
    }

    interface OpFactory {
        Op make(int client) throws Exception;
    }

    record Result(double perSecond, double[] latencyMs, String loadAfter) {}

    static Result run(int clients, double warmupS, double measureS, OpFactory factory) throws Exception {
        List<Op> ops = new ArrayList<>();
        for (int i = 0; i < clients; i++) ops.add(factory.make(i));
        long start = System.nanoTime();
        long measureFrom = start + (long) (warmupS * 1e9);
        long end = measureFrom + (long) (measureS * 1e9);
        List<List<Double>> lat = new ArrayList<>();
        AtomicReference<Exception> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (Op op : ops) {
            List<Double> mine = new ArrayList<>();
            lat.add(mine);
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    while (failure.get() == null) {
                        long t0 = System.nanoTime();
                        if (t0 >= end) break;
                        op.run();
                        long t1 = System.nanoTime();
                        // an operation counts in the period it ends in
                        if (t1 >= measureFrom && t1 < end) mine.add((t1 - t0) / 1e6);
                    }
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        for (Thread t : threads) t.join();
        if (failure.get() != null) throw failure.get();
        double[] all = lat.stream()
                .flatMap(List::stream)
                .mapToDouble(Double::doubleValue)
                .toArray();
        return new Result(all.length / measureS, all, org.xapijava.bench.Stats.loadAverage());
    }
}
