package org.xapijava.bench.lifecycle;

import static org.xapijava.bench.Stats.loadAverage;
import static org.xapijava.bench.Stats.max;
import static org.xapijava.bench.Stats.median;
import static org.xapijava.bench.Stats.min;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.xapijava.bench.TempDirs;
import org.xapijava.server.XapiServer;
import org.xapijava.server.config.XapiConfig;
import org.xapijava.server.xenops.EmbeddedXenopsd;
import org.xapijava.xenopsd.Xenops;
import org.xapijava.xenopsd.XenopsClient;

/**
 * The VM lifecycle benchmark (a load driver, not JMH; run by {@code scripts/bench-lifecycle}): an in-process xapi
 * host with the embedded xenopsd simulator (no step delays), {@code vms} PV guests, and {@code clients} client
 * threads each cycling its own share of the VMs through {@code VM.start} then {@code VM.clean_shutdown}, synchronous
 * XenAPI calls over XML-RPC/HTTP with the project's codec ({@link XapiSide}). The baseline, measured in the same
 * run, drives the same cycles of the same VMs directly on a second simulator of the same configuration through
 * {@code XenopsClient} ({@link SimulatorSide}): the ratio is what xapi adds (locking, database, metadata, event
 * processing, HTTP and XML-RPC) on top of xenopsd's own work.
 *
 * <p>Each timed round lasts {@code round}; every client finishes the cycle it is in when time is up, so that every
 * VM is halted between rounds (checked). Rounds alternate which side goes first. A lifecycle operation is one
 * start or one clean shutdown; latencies are those of single calls in the timed rounds.
 */
public final class LifecycleBench {
    private LifecycleBench() {}

    /** The simulators' host memory: xapi's default {@code xenopsd-sim-memory-mib} (1 TiB, as xenopsd's simulator). */
    static final long SIM_MEMORY_MIB = 1L << 20;

    /** The knobs of one run; {@link #defaults()} is the run the issue asks for. */
    public record Options(int vms, int clients, Duration warmup, Duration round, int rounds) {
        /** Throws {@link IllegalArgumentException} unless every client has a VM of its own. */
        public Options validated() {
            if (clients < 1 || vms < clients)
                throw new IllegalArgumentException(
                        "need at least one VM per client: " + vms + " VMs, " + clients + " clients");
            return this;
        }

        public static Options defaults() {
            return new Options(200, 16, Duration.ofSeconds(10), Duration.ofSeconds(5), 5);
        }

        /** {@code --vms N --clients N --warmup S --round S --rounds N}. */
        public static Options parse(String[] args) {
            Options o = defaults();
            for (int i = 0; i < args.length; i += 2) {
                if (i + 1 >= args.length) throw new IllegalArgumentException("missing value for " + args[i]);
                int v = Integer.parseInt(args[i + 1]);
                o = switch (args[i]) {
                    case "--vms" -> new Options(v, o.clients, o.warmup, o.round, o.rounds);
                    case "--clients" -> new Options(o.vms, v, o.warmup, o.round, o.rounds);
                    case "--warmup" -> new Options(o.vms, o.clients, Duration.ofSeconds(v), o.round, o.rounds);
                    case "--round" -> new Options(o.vms, o.clients, o.warmup, Duration.ofSeconds(v), o.rounds);
                    case "--rounds" -> new Options(o.vms, o.clients, o.warmup, o.round, v);
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                };
            }
            return o.validated();
        }
    }

    /**
     * One timed round of one side.
     *
     * @param cycles     start + clean shutdown cycles completed (each counts two operations)
     * @param seconds    from the common start to the last client's end
     * @param startNanos each {@code VM.start}'s duration
     * @param shutdownNanos each {@code VM.clean_shutdown}'s duration
     */
    public record Round(String side, int cycles, double seconds, long[] startNanos, long[] shutdownNanos) {
        public int operations() {
            return 2 * cycles;
        }

        public double perSecond() {
            return operations() / seconds;
        }
    }

    /** Everything one run measured; {@code ours.get(i)} and {@code baseline.get(i)} ran back to back. */
    public record Results(Options options, List<Round> ours, List<Round> baseline, String environment) {}

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        Results r = run(o, System.err);
        System.out.println(markdown(r));
    }

    /** Runs the benchmark; progress lines go to {@code log}. */
    public static Results run(Options o, PrintStream log) throws Exception {
        o.validated();
        String loadBefore = loadAverage();
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "bench-life-");
        XapiServer server = null;
        EmbeddedXenopsd baselineSim = null;
        XapiSide ours = null;
        XenopsClient xapiSim = null;
        try (XenopsClient baselineClient = new XenopsClient(dir.resolve("baseline.sock"))) {
            // flush-policy xapi: state.db written at most every 300 s, as on a host; the redo log stays on
            server = new XapiServer(XapiConfig.fromArgs(List.of(
                    "--data-dir",
                    dir.resolve("xapi").toString(),
                    "--http-port",
                    "0",
                    "--https-port",
                    "0",
                    "--unix-socket",
                    "",
                    "--flush-policy",
                    "xapi")));
            server.start();
            // the baseline's simulator: the same daemon, configured as xapi's embedded one (state files kept)
            baselineSim = new EmbeddedXenopsd(
                    dir.resolve("baseline.sock"),
                    EmbeddedXenopsd.config(dir.resolve("baseline-state"), SIM_MEMORY_MIB, ""));
            baselineSim.start();

            long t0 = System.nanoTime();
            LifecycleFixture.Vms vms = LifecycleFixture.create(server, o.vms());
            log.printf(Locale.ROOT, "created %d VMs in %.1f s%n", o.vms(), (System.nanoTime() - t0) / 1e9);
            xapiSim = new XenopsClient(server.embeddedXenopsd().socket());
            InetSocketAddress a = new InetSocketAddress("127.0.0.1", server.httpPort());
            ours = new XapiSide(a, server.rootPassword(), xapiSim, vms.refs(), vms.uuids(), o.clients(), owners(o));
            return measure(o, ours, baselineClient, vms, log, loadBefore);
        } finally {
            if (ours != null) ours.close();
            if (xapiSim != null) xapiSim.close();
            if (server != null) server.close();
            if (baselineSim != null) baselineSim.close();
            TempDirs.deleteTree(dir);
        }
    }

    /** Which client owns each VM: VM {@code v} belongs to client {@code v % clients}. */
    static int[] owners(Options o) {
        int[] owner = new int[o.vms()];
        for (int v = 0; v < o.vms(); v++) owner[v] = v % o.clients();
        return owner;
    }

    /**
     * The measurement proper, whatever runs the host: one untimed cycle through xapi (taking, while every VM runs,
     * the metadata xapi pushed to its simulator, for the baseline to import), warm-up, then the timed rounds.
     */
    static Results measure(
            Options o,
            XapiSide ours,
            Xenops baselineClient,
            LifecycleFixture.Vms vms,
            PrintStream log,
            String loadBefore)
            throws Exception {
        int[][] mine = new int[o.clients()][];
        for (int c = 0; c < o.clients(); c++) {
            List<Integer> l = new ArrayList<>();
            for (int v = c; v < o.vms(); v += o.clients()) l.add(v);
            mine[c] = l.stream().mapToInt(Integer::intValue).toArray();
        }
        // first cycle through xapi: while every VM runs, take the metadata xapi pushed to its simulator
        XapiSide side = ours;
        inParallel(o.clients(), c -> {
            for (int v : mine[c]) side.start(c, v);
        });
        List<String> metadata = new ArrayList<>();
        for (String uuid : vms.uuids()) metadata.add(side.exportMetadata(uuid));
        inParallel(o.clients(), c -> {
            for (int v : mine[c]) side.cleanShutdown(c, v);
        });
        ours.checkIdle();
        SimulatorSide base = new SimulatorSide(baselineClient, vms.uuids(), metadata);

        if (!o.warmup().isZero()) {
            log.printf(
                    Locale.ROOT,
                    "warm-up: %s %.0f ops/s%n",
                    ours.name(),
                    round(ours, o.warmup(), mine).perSecond());
            log.printf(
                    Locale.ROOT,
                    "warm-up: %s %.0f ops/s%n",
                    base.name(),
                    round(base, o.warmup(), mine).perSecond());
        }
        List<Round> x = new ArrayList<>();
        List<Round> y = new ArrayList<>();
        for (int r = 0; r < o.rounds(); r++) {
            // alternate which side goes first, so that a slow drift of the machine favours neither
            if (r % 2 == 0) {
                x.add(round(ours, o.round(), mine));
                y.add(round(base, o.round(), mine));
            } else {
                y.add(round(base, o.round(), mine));
                x.add(round(ours, o.round(), mine));
            }
            log.printf(
                    Locale.ROOT,
                    "round %d: %s %.0f ops/s, %s %.0f ops/s%n",
                    r + 1,
                    ours.name(),
                    x.getLast().perSecond(),
                    base.name(),
                    y.getLast().perSecond());
        }
        String env = String.format(
                Locale.ROOT,
                "%d cores, Java %s (%s), max heap %d MiB, load average %s at start, %s at end",
                Runtime.getRuntime().availableProcessors(),
                Runtime.version(),
                System.getProperty("java.vm.name"),
                Runtime.getRuntime().maxMemory() >> 20,
                loadBefore,
                loadAverage());
        return new Results(o, x, y, env);
    }

    /** A client's work. */
    @FunctionalInterface
    interface ClientWork {
        void run(int client) throws Exception;
    }

    /** Runs {@code work} for every client, each on its own platform thread; rethrows the first failure. */
    static void inParallel(int clients, ClientWork work) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                fs.add(pool.submit(() -> {
                    work.run(client);
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
        } finally {
            pool.shutdownNow();
        }
    }

    /** One timed round: every client cycles its VMs until {@code length} has passed, then the side is checked idle. */
    static Round round(Side side, Duration length, int[][] mine) throws Exception {
        int clients = mine.length;
        long[][] starts = new long[clients][];
        long[][] stops = new long[clients][];
        long begin = System.nanoTime();
        long deadline = begin + length.toNanos();
        inParallel(clients, c -> {
            LongList a = new LongList();
            LongList b = new LongList();
            int i = 0;
            do {
                int v = mine[c][i++ % mine[c].length];
                long t0 = System.nanoTime();
                side.start(c, v);
                long t1 = System.nanoTime();
                side.cleanShutdown(c, v);
                long t2 = System.nanoTime();
                a.add(t1 - t0);
                b.add(t2 - t1);
            } while (System.nanoTime() < deadline);
            starts[c] = a.toArray();
            stops[c] = b.toArray();
        });
        double seconds = (System.nanoTime() - begin) / 1e9;
        side.checkIdle();
        long[] s = concat(starts);
        long[] d = concat(stops);
        if (s.length != d.length)
            throw new IllegalStateException("starts and shutdowns differ: " + s.length + " vs " + d.length);
        return new Round(side.name(), s.length, seconds, s, d);
    }

    private static long[] concat(long[][] parts) {
        return Arrays.stream(parts).flatMapToLong(Arrays::stream).toArray();
    }

    /** A growable list of longs (latencies), without boxing. Not thread-safe. */
    static final class LongList {
        private long[] a = new long[256];
        private int n;

        void add(long x) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = x;
        }

        long[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }

    // ------------------------------------------------------------------ report

    /** The nearest-rank percentile {@code p} (0–100) of {@code x}, in milliseconds. */
    static double percentileMs(long[] x, double p) {
        if (x.length == 0) return Double.NaN;
        long[] s = x.clone();
        Arrays.sort(s);
        int rank = (int) Math.ceil(p / 100.0 * s.length);
        return s[Math.max(0, Math.min(s.length, rank) - 1)] / 1e6;
    }

    private static long[] all(List<Round> rounds, boolean start) {
        return rounds.stream()
                .flatMapToLong(r -> Arrays.stream(start ? r.startNanos() : r.shutdownNanos()))
                .toArray();
    }

    /** Target of the issue: lifecycle operations per second through xapi, on 2 cores. */
    static final double TARGET_OPS = 50;
    /** Issue 10's target for the launcher's host: xapi's operations/s at least this share of the simulator's alone. */
    static final double TARGET_RATIO = 0.7;

    /** The results as the Markdown table of {@code docs/performance.md}'s VM lifecycle section. */
    public static String markdown(Results r) {
        Options o = r.options();
        double[] ours = r.ours().stream().mapToDouble(Round::perSecond).toArray();
        double[] base = r.baseline().stream().mapToDouble(Round::perSecond).toArray();
        double[] ratio = new double[ours.length];
        for (int i = 0; i < ours.length; i++) ratio[i] = ours[i] / base[i];
        StringBuilder b = new StringBuilder();
        b.append("Environment: ").append(r.environment()).append(".\n\n");
        b.append(
                "| measurement | xapi-java | baseline (same run): the simulator driven through `XenopsClient` | ratio | target | met |\n");
        b.append("|---|---|---|---|---|---|\n");
        b.append(String.format(
                Locale.ROOT,
                "| lifecycle operations/s (`VM.start` and `VM.clean_shutdown` each count one), %d VMs, %d clients, "
                        + "XML-RPC over HTTP with our codec; median of %d rounds of %d s (min–max) "
                        + "| %.1f (%.1f–%.1f) | %.1f (%.1f–%.1f) | %.2f (%.2f–%.2f; per-round ratios) | ≥ %.0f ops/s, ratio ≥ %.1f | %s |%n",
                o.vms(),
                o.clients(),
                ours.length,
                o.round().toSeconds(),
                median(ours),
                min(ours),
                max(ours),
                median(base),
                min(base),
                max(base),
                median(ratio),
                min(ratio),
                max(ratio),
                TARGET_OPS,
                TARGET_RATIO,
                median(ours) >= TARGET_OPS && median(ratio) >= TARGET_RATIO ? "yes" : "**no**"));
        for (boolean start : new boolean[] {true, false}) {
            long[] x = all(r.ours(), start);
            long[] y = all(r.baseline(), start);
            b.append(String.format(
                    Locale.ROOT,
                    "| `%s` latency, p50 / p99 (ms; %,d and %,d calls) | %.1f / %.1f | %.1f / %.1f "
                            + "| %.1f / %.1f (xapi's extra time: %.1f / %.1f ms) | — | — |%n",
                    start ? "VM.start" : "VM.clean_shutdown",
                    x.length,
                    y.length,
                    percentileMs(x, 50),
                    percentileMs(x, 99),
                    percentileMs(y, 50),
                    percentileMs(y, 99),
                    percentileMs(x, 50) / percentileMs(y, 50),
                    percentileMs(x, 99) / percentileMs(y, 99),
                    percentileMs(x, 50) - percentileMs(y, 50),
                    percentileMs(x, 99) - percentileMs(y, 99)));
        }
        return b.toString();
    }
}
