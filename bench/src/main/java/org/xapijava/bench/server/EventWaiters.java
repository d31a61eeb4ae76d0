package org.xapijava.bench.server;

import static org.xapijava.bench.server.ServerBench.call;
import static org.xapijava.bench.server.ServerBench.result;
import static org.xapijava.bench.server.ServerBench.xmlRpcRequest;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.xapijava.bench.server.ServerBench.Events;
import org.xapijava.bench.server.ServerBench.Harness;
import org.xapijava.bench.server.ServerBench.Options;

/**
 * Item 3 of {@link ServerBench}: {@code waiters} clients parked in {@code event.from(["vm"], token, 60.0)}, each on
 * its own connection and virtual thread, woken by one {@code VM.set_name_description}. Per round: the time from
 * sending the write until every waiter has read its whole answer (and the median waiter's), the write call itself,
 * how long the server took to park them all ({@link #awaitQuiet}), and the heap used after a full GC while they
 * wait (measured in this JVM, which also holds the driver). One warm-up round, then timed rounds, each waiter going
 * on with the token of its previous answer as a client's event loop does.
 */
final class EventWaiters {
    private EventWaiters() {}

    /** Longest a round may take from the write to the last answer (the waiters' own timeout is 60 s). */
    private static final Duration ANSWER_LIMIT = Duration.ofSeconds(75);

    /** Runs item 3 against {@code h}; skipped when the build does not implement {@code event.from}. */
    static Events events(Harness h, Options o, PrintStream log) throws Exception {
        if (!h.server.messageTable().isBound("event.from")) {
            return Events.skipped(
                    "event.from is not implemented in this build (it answers NOT_IMPLEMENTED)", o.waiters());
        }
        long heapIdle = usedHeapAfterGc();
        String[] tokens = new String[o.waiters()];
        Arrays.fill(tokens, currentVmToken(h));
        String target = h.vms.get(h.vms.size() / 2);
        List<RawHttpConnection> conns = new ArrayList<>(o.waiters());
        double[] all = new double[o.waiterRounds()];
        double[] median = new double[o.waiterRounds()];
        double[] write = new double[o.waiterRounds()];
        double[] settle = new double[o.waiterRounds()];
        long heapWaiting = 0;
        long heapConnected;
        try (RawHttpConnection writer = new RawHttpConnection(h.ours, 16 * 1024)) {
            long c0 = System.nanoTime();
            // sequential connects: the accept queue never overflows, so no connect waits on a SYN retry
            for (int i = 0; i < o.waiters(); i++) conns.add(new RawHttpConnection(h.ours, 4096));
            log.printf(Locale.ROOT, "  %d connections opened in %.2f s%n", o.waiters(), (System.nanoTime() - c0) / 1e9);
            heapConnected = usedHeapAfterGc();
            // round -1 warms up (code paths, and Jetty's per-connection state that a second request on a
            // keep-alive connection builds): measured rounds are the steady state of long-lived event clients
            for (int r = -1; r < o.waiterRounds(); r++) {
                WakeRound w = wakeRound(h, conns, tokens, writer, target, r, log);
                if (r < 0) {
                    log.printf(
                            Locale.ROOT,
                            "  warm-up round: parked in %.2f s, heap %d MiB, all answered %.1f ms%n",
                            w.settle,
                            w.heap >> 20,
                            w.all * 1e3);
                    continue;
                }
                all[r] = w.all;
                median[r] = w.median;
                write[r] = w.write;
                settle[r] = w.settle;
                heapWaiting = Math.max(heapWaiting, w.heap);
                log.printf(
                        Locale.ROOT,
                        "  round %d: parked in %.2f s, heap %d MiB, write call %.1f ms, median answer %.1f ms, "
                                + "all answered %.1f ms%n",
                        r + 1,
                        w.settle,
                        w.heap >> 20,
                        w.write * 1e3,
                        w.median * 1e3,
                        w.all * 1e3);
            }
        } finally {
            for (RawHttpConnection c : conns) c.close();
        }
        return new Events(null, o.waiters(), all, median, write, settle, heapIdle, heapConnected, heapWaiting);
    }

    /**
     * The current token of class vm, as a client gets it: {@code event.from(["vm"], "", 0.0)}, which answers
     * every VM once. (A token taken on another class would not do: it stands for that class's latest change.)
     * A method of its own so that the decoded answer is garbage before any heap is measured.
     */
    private static String currentVmToken(Harness h) throws IOException {
        Map<?, ?> first = (Map<?, ?>) call(h.ours, "event.from", List.of(h.session, List.of("vm"), "", 0.0));
        return (String) first.get("token");
    }

    /** One round of item 3, in seconds (and the heap in bytes). */
    private record WakeRound(double all, double median, double write, double settle, long heap) {}

    /**
     * Sends every waiter's {@code event.from}, waits for the server to park them all, measures the heap, sends the
     * write, waits for every answer, checks each one and stores each waiter's next token in {@code tokens}.
     */
    private static WakeRound wakeRound(
            Harness h,
            List<RawHttpConnection> conns,
            String[] tokens,
            RawHttpConnection writer,
            String target,
            int round,
            PrintStream log)
            throws Exception {
        int n = conns.size();
        long[] end = new long[n];
        RawHttpConnection.Body[] bodies = new RawHttpConnection.Body[n];
        CountDownLatch sent = new CountDownLatch(n);
        CountDownLatch done = new CountDownLatch(n);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Map<String, byte[]> requestByToken = new HashMap<>();
        long s0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            int k = i;
            byte[] req = requestByToken.computeIfAbsent(
                    tokens[i], t -> xmlRpcRequest("event.from", List.of(h.session, List.of("vm"), t, 60.0)));
            RawHttpConnection c = conns.get(i);
            bodies[i] = RawHttpConnection.Body.keeping(256);
            Thread.ofVirtual().name("waiter-" + i).start(() -> {
                boolean counted = false;
                try {
                    c.send(req);
                    sent.countDown();
                    counted = true;
                    int status = c.readResponse(bodies[k]);
                    end[k] = System.nanoTime();
                    if (status != 200) throw new IOException("waiter " + k + ": HTTP " + status);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                    if (!counted) sent.countDown();
                } finally {
                    done.countDown();
                }
            });
        }
        sent.await();
        if (failure.get() != null) throw new IOException("a waiter failed", failure.get());
        double settle = awaitQuiet(Duration.ofMillis(100), 0.05, Duration.ofSeconds(30), s0);
        long heap = usedHeapAfterGc();
        if (Boolean.getBoolean("bench.histogram")) log.println(classHistogram(30));
        if (done.getCount() != n)
            throw new IllegalStateException((n - done.getCount()) + " waiters answered before the write");
        long t0 = System.nanoTime();
        call(writer, "VM.set_name_description", List.of(h.session, target, "event benchmark, round " + (round + 2)));
        double write = (System.nanoTime() - t0) / 1e9;
        if (!done.await(ANSWER_LIMIT.toSeconds(), TimeUnit.SECONDS)) {
            throw new IllegalStateException(
                    done.getCount() + " waiters still unanswered " + ANSWER_LIMIT.toSeconds() + " s after the write");
        }
        if (failure.get() != null) throw new IOException("a waiter failed", failure.get());
        long[] after = new long[n];
        for (int i = 0; i < n; i++) after[i] = end[i] - t0;
        Arrays.sort(after);
        for (int i = 0; i < n; i++) tokens[i] = checkEvent(bodies[i].bytes(), target, i);
        return new WakeRound(after[n - 1] / 1e9, after[(n - 1) / 2] / 1e9, write, settle, heap);
    }

    /** Checks that a waiter's answer reports the write, and returns its new token. */
    private static String checkEvent(byte[] body, String vm, int waiter) throws IOException {
        Map<?, ?> v = (Map<?, ?>) result(body);
        for (Object e : (List<?>) v.get("events")) {
            Map<?, ?> ev = (Map<?, ?>) e;
            if (vm.equals(ev.get("ref")) && "vm".equalsIgnoreCase(String.valueOf(ev.get("class"))))
                return (String) v.get("token");
        }
        throw new IllegalStateException(
                "waiter " + waiter + " was answered without the write's event: " + v.get("events"));
    }

    /**
     * Waits until this process has been nearly idle for one {@code window} (CPU time used in it below
     * {@code cores} × window): with every waiter's request sent, an idle process means the server has
     * read them all and parked them. Samples the process CPU time once per window; gives up after
     * {@code cap}. Returns seconds from {@code since} to the start of the quiet window.
     */
    static double awaitQuiet(Duration window, double cores, Duration cap, long since) throws InterruptedException {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long limit = System.nanoTime() + cap.toNanos();
        long cpu = os.getProcessCpuTime();
        long at = System.nanoTime();
        while (true) {
            Thread.sleep(window);
            long cpu2 = os.getProcessCpuTime();
            long at2 = System.nanoTime();
            if (cpu2 - cpu < cores * (at2 - at)) return (at - since) / 1e9;
            if (at2 > limit)
                throw new IllegalStateException("the server did not go quiet within " + cap.toSeconds() + " s");
            cpu = cpu2;
            at = at2;
        }
    }

    /** Heap in use after a full collection (two, so that objects freed by finalization-like cleaners go too). */
    static long usedHeapAfterGc() {
        System.gc();
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /**
     * The first {@code lines} lines of this JVM's class histogram ({@code GC.class_histogram}, through the
     * DiagnosticCommand MBean: no attach needed). Printed at each heap measurement of item 3 when the
     * system property {@code bench.histogram} is true.
     */
    static String classHistogram(int lines) {
        try {
            Object out = ManagementFactory.getPlatformMBeanServer()
                    .invoke(
                            new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"),
                            "gcClassHistogram",
                            new Object[] {new String[0]},
                            new String[] {String[].class.getName()});
            String[] all = ((String) out).split("\n");
            return String.join("\n", Arrays.asList(all).subList(0, Math.min(lines, all.length)));
        } catch (javax.management.JMException e) {
            return "no class histogram: " + e;
        }
    }
}
