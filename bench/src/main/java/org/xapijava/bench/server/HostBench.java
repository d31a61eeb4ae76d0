package org.xapijava.bench.server;

import static org.xapijava.bench.Stats.loadAverage;
import static org.xapijava.bench.Stats.max;
import static org.xapijava.bench.Stats.median;
import static org.xapijava.bench.Stats.min;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The server benchmark as users run the server (issue 10, item 9): the host started by {@code scripts/xapi} in a
 * process of its own (same JVM options, the simulator daemon beside it), measured from outside by {@code wrk}:
 * <ol>
 *   <li>{@code VM.get_record} of a first-start template ("Other install media", a 9 KB record) over XML-RPC at
 *       {@code connections} keep-alive connections, against {@link BareJettyMain} (Jetty set up as the host's
 *       connector, answering {@code ok}) started with the same JVM options: warm-up, then timed rounds alternating
 *       between the two;</li>
 *   <li>with that load running, {@code waiters} clients parked in {@code event.from(["vm"], token, 30.0)} and one
 *       {@code VM.set_name_description} per round: the time from the write to every waiter's whole answer, which
 *       is what the collector's pauses and the host's queueing do to event clients.</li>
 * </ol>
 * Run by {@code scripts/bench-server} once per collector ({@code XAPI_GC}); prints a Markdown table.
 */
public final class HostBench {
    private HostBench() {}

    record Options(int connections, Duration warmup, Duration round, int rounds, int waiters, int wakeRounds) {
        static Options parse(String[] args) {
            Map<String, Integer> v = new HashMap<>(Map.of(
                    "--connections",
                    64,
                    "--warmup",
                    20,
                    "--round",
                    5,
                    "--rounds",
                    5,
                    "--waiters",
                    1000,
                    "--wake-rounds",
                    10));
            for (int i = 0; i + 1 < args.length; i += 2) {
                if (!v.containsKey(args[i])) throw new IllegalArgumentException("unknown option " + args[i]);
                v.put(args[i], Integer.parseInt(args[i + 1]));
            }
            if (args.length % 2 != 0) throw new IllegalArgumentException("missing value for " + args[args.length - 1]);
            return new Options(
                    v.get("--connections"),
                    Duration.ofSeconds(v.get("--warmup")),
                    Duration.ofSeconds(v.get("--round")),
                    v.get("--rounds"),
                    v.get("--waiters"),
                    v.get("--wake-rounds"));
        }
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        PrintStream log = System.err;
        if (!Wrk.available()) throw new IllegalStateException("wrk is not installed (apt-get install wrk)");
        Path root = Path.of(System.getProperty("bench.root", ".")).toAbsolutePath();
        List<String> jvm =
                List.of(System.getenv().getOrDefault("XAPI_JVM_OPTS_LINE", "").split(" "));
        String gc = System.getenv().getOrDefault("XAPI_GC", "G1");
        String loadBefore = loadAverage();
        StringBuilder report = new StringBuilder();
        try (LaunchedHost host = LaunchedHost.xapi(
                        root,
                        Map.of(),
                        List.of(
                                "--flush-policy",
                                "xapi",
                                "--max-connections",
                                Integer.toString(o.waiters + o.connections + 64)));
                LaunchedHost bare = LaunchedHost.bareJetty(jvm)) {
            String session = (String) ServerBench.call(
                    host.address, "session.login_with_password", List.of("root", host.password, "1.0", "bench"));
            String vm = template(host.address, session);
            byte[] body = ServerBench.xmlRpcRequest("VM.get_record", List.of(session, vm));
            byte[] call = Arrays.copyOfRange(body, indexOf(body, "<?xml"), body.length);
            Map<?, ?> rec = (Map<?, ?>) ServerBench.call(host.address, "VM.get_record", List.of(session, vm));
            int recordBytes =
                    org.xapijava.model.xmlrpc.XmlRpcWriter.toString(rec).getBytes(StandardCharsets.UTF_8).length;
            Wrk wrk = new Wrk("text/xml", call, o.connections, 2);
            try {
                log.printf(Locale.ROOT, "GC %s, host JVM %s, record of %s%n", gc, jvm, rec.get("name_label"));
                log.printf(
                        Locale.ROOT,
                        "  warm-up: ours %.0f/s%n",
                        wrk.run(host.address, o.warmup).perSecond());
                log.printf(
                        Locale.ROOT,
                        "  warm-up: bare %.0f/s%n",
                        wrk.run(bare.address, o.warmup).perSecond());
                double[] ours = new double[o.rounds];
                double[] base = new double[o.rounds];
                double[] ratio = new double[o.rounds];
                double[] p99 = new double[o.rounds];
                for (int r = 0; r < o.rounds; r++) {
                    Wrk.Run x;
                    Wrk.Run y;
                    if (r % 2 == 0) {
                        x = wrk.run(host.address, o.round);
                        y = wrk.run(bare.address, o.round);
                    } else {
                        y = wrk.run(bare.address, o.round);
                        x = wrk.run(host.address, o.round);
                    }
                    ours[r] = x.perSecond();
                    base[r] = y.perSecond();
                    ratio[r] = ours[r] / base[r];
                    p99[r] = x.p99Millis();
                    log.printf(
                            Locale.ROOT,
                            "  round %d: ours %.0f/s (p99 %.1f ms), bare %.0f/s, ratio %.2f%n",
                            r + 1,
                            ours[r],
                            p99[r],
                            base[r],
                            ratio[r]);
                }
                double[] wake = o.waiters > 0 ? wake(host, session, vm, wrk, o, log) : new double[0];
                report.append(String.format(
                        Locale.ROOT,
                        "| %s | %,.0f (%,.0f–%,.0f) | %,.0f (%,.0f–%,.0f) | %.2f (%.2f–%.2f) | %.1f | %s | %,d / %,d |%n",
                        gc,
                        median(ours),
                        min(ours),
                        max(ours),
                        median(base),
                        min(base),
                        max(base),
                        median(ratio),
                        min(ratio),
                        max(ratio),
                        median(p99),
                        wake.length == 0
                                ? "—"
                                : String.format(
                                        Locale.ROOT, "%.0f / %.0f (%d rounds)", median(wake), max(wake), wake.length),
                        host.statusKib("VmRSS") >> 10,
                        host.statusKib("VmHWM") >> 10));
            } finally {
                wrk.delete();
            }
            System.out.printf(
                    Locale.ROOT,
                    "Environment: %d cores, Java %s, host JVM options %s, load average %s at start, %s at end; "
                            + "record %,d bytes of XML-RPC value.%n%n",
                    Runtime.getRuntime().availableProcessors(),
                    Runtime.version(),
                    String.join(" ", jvm),
                    loadBefore,
                    loadAverage(),
                    recordBytes);
            System.out.println("| collector | `VM.get_record` calls/s, median (min–max) of " + o.rounds + " rounds of "
                    + o.round.toSeconds() + " s, " + o.connections + " connections | bare Jetty, same JVM options "
                    + "| ratio (per round) | p99 latency (ms) | " + o.waiters
                    + " `event.from` waiters under that load: write → all answered (ms), median / max "
                    + "| host resident now / peak (MiB) |");
            System.out.println("|---|---|---|---|---|---|---|");
            System.out.print(report);
        }
    }

    /** The ref of the "Other install media" template (any template when it is missing). */
    private static String template(InetSocketAddress a, String session) throws IOException {
        List<?> byName = (List<?>) ServerBench.call(a, "VM.get_by_name_label", List.of(session, "Other install media"));
        if (!byName.isEmpty()) return (String) byName.get(0);
        return (String) ((List<?>) ServerBench.call(a, "VM.get_all", List.of(session))).get(1);
    }

    private static int indexOf(byte[] hay, String needle) {
        byte[] n = needle.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + n.length <= hay.length; i++) {
            for (int j = 0; j < n.length; j++) if (hay[i + j] != n[j]) continue outer;
            return i;
        }
        throw new IllegalArgumentException("no " + needle);
    }

    /**
     * Item 2: rounds of {@code waiters} parked {@code event.from} calls and one write each, with {@code wrk} loading
     * the host meanwhile; per round, milliseconds from sending the write to the last waiter's whole answer.
     */
    private static double[] wake(LaunchedHost host, String session, String vm, Wrk wrk, Options o, PrintStream log)
            throws Exception {
        int n = o.waiters;
        String token = (String)
                ((Map<?, ?>) ServerBench.call(host.address, "event.from", List.of(session, List.of("vm"), "", 0.0)))
                        .get("token");
        String[] tokens = new String[n];
        Arrays.fill(tokens, token);
        // each waiter connects when it first sends (as an event client does), then keeps its connection
        RawHttpConnection[] conns = new RawHttpConnection[n];
        double[] all = new double[o.wakeRounds];
        Process load = wrk.background(host.address, Duration.ofSeconds(600));
        try (RawHttpConnection writer = new RawHttpConnection(host.address, 16 * 1024)) {
            for (int r = -1; r < o.wakeRounds; r++) {
                long[] end = new long[n];
                RawHttpConnection.Body[] bodies = new RawHttpConnection.Body[n];
                CountDownLatch done = new CountDownLatch(n);
                AtomicReference<Throwable> failure = new AtomicReference<>();
                Map<String, byte[]> byToken = new HashMap<>();
                for (int i = 0; i < n; i++) {
                    int k = i;
                    byte[] req = byToken.computeIfAbsent(
                            tokens[i],
                            t -> ServerBench.xmlRpcRequest("event.from", List.of(session, List.of("vm"), t, 30.0)));
                    bodies[i] = RawHttpConnection.Body.keeping(256);
                    Thread.ofVirtual().start(() -> {
                        try {
                            if (conns[k] == null) conns[k] = new RawHttpConnection(host.address, 4096);
                            RawHttpConnection c = conns[k];
                            c.send(req);
                            if (c.readResponse(bodies[k]) != 200) throw new IOException("HTTP error");
                            end[k] = System.nanoTime();
                        } catch (Throwable t) {
                            failure.compareAndSet(null, t);
                        } finally {
                            done.countDown();
                        }
                    });
                }
                Thread.sleep(2_000); // every waiter sent and parked (under load; no quiet moment to wait for)
                if (done.getCount() != n) throw new IllegalStateException("waiters answered before the write");
                long t0 = System.nanoTime();
                ServerBench.call(writer, "VM.set_name_description", List.of(session, vm, "wake round " + r));
                if (!done.await(60, TimeUnit.SECONDS)) {
                    int answered = 0;
                    for (long e : end) if (e != 0) answered++;
                    throw new IllegalStateException(done.getCount() + " waiters unanswered 60 s after the write ("
                            + answered + " answered; first failure: " + failure.get() + ")");
                }
                if (failure.get() != null) throw new IOException("a waiter failed", failure.get());
                long last = 0;
                for (int i = 0; i < n; i++) {
                    last = Math.max(last, end[i] - t0);
                    tokens[i] = (String) ((Map<?, ?>) ServerBench.result(bodies[i].bytes())).get("token");
                }
                if (r >= 0) {
                    all[r] = last / 1e6;
                    log.printf(Locale.ROOT, "  wake round %d: all %d answered in %.0f ms%n", r + 1, n, all[r]);
                }
            }
        } finally {
            load.destroy();
            load.waitFor();
            for (RawHttpConnection c : conns) if (c != null) c.close();
        }
        return all;
    }
}
