package org.xapijava.bench.xenopsd;

import static org.xapijava.bench.Stats.loadAverage;
import static org.xapijava.bench.Stats.max;
import static org.xapijava.bench.Stats.median;
import static org.xapijava.bench.Stats.min;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.xapijava.xenopsd.DeviceId;
import org.xapijava.xenopsd.Disk;
import org.xapijava.xenopsd.Metadata;
import org.xapijava.xenopsd.TaskInfo;
import org.xapijava.xenopsd.Vbd;
import org.xapijava.xenopsd.Vif;
import org.xapijava.xenopsd.Vm;
import org.xapijava.xenopsd.XenopsClient;

/**
 * Jetty or hand-written HTTP for xenopsd's socket (a load driver, not JMH; {@code scripts/bench-xenopsd-http}).
 *
 * <p>Two simulator daemons run as separate processes with the simulator's JVM options
 * ({@code -XX:+UseSerialGC -Xmx128m -Xss512k}), in memory, one VM running in each: one served by the hand-written
 * {@code SimulatorServer}, the other by {@link JettySimulatorServer}. This JVM drives them with two
 * {@code XenopsClient}s per daemon that differ only in transport: the hand-written {@code PooledUnixTransport} and
 * {@link JettyUnixTransport}. Four client/server pairs; the baseline of every ratio is the hand-written pair
 * measured in the same round.
 *
 * <p>Calls: {@code VM.stat} of the running VM (a 1.9 KB answer) and {@code UPDATES.get} from the latest id with
 * timeout 0 (an empty answer at once), each with 1 and 16 concurrent callers (virtual threads, closed loop,
 * every answer decoded). Each round runs every pair once per call and caller count, in rotating order. Besides the
 * rate, the CPU time per call of the client's and the server's process (read from {@code /proc}) is reported: on
 * a machine shared with other work it moves far less than the rate. {@code -Dbench.jetty.threads=platform} runs
 * the Jetty server's handlers on a pool of platform threads instead of virtual threads.
 */
public final class XenopsHttpBench {
    private XenopsHttpBench() {}

    /** {@code --round S --rounds N --warmup S} (seconds; defaults 2, 7, 3). */
    record Options(Duration round, int rounds, Duration warmup) {
        static Options parse(String[] args) {
            Options o = new Options(Duration.ofSeconds(2), 7, Duration.ofSeconds(3));
            for (int i = 0; i < args.length; i += 2) {
                int v = Integer.parseInt(args[i + 1]);
                o = switch (args[i]) {
                    case "--round" -> new Options(Duration.ofSeconds(v), o.rounds, o.warmup);
                    case "--rounds" -> new Options(o.round, v, o.warmup);
                    case "--warmup" -> new Options(o.round, o.rounds, Duration.ofSeconds(v));
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                };
            }
            return o;
        }
    }

    /** The four client/server pairs; HAND_HAND is the baseline. */
    enum Pair {
        HAND_HAND("hand-written client, hand-written server"),
        JETTY_HAND("Jetty client, hand-written server"),
        HAND_JETTY("hand-written client, Jetty server"),
        JETTY_JETTY("Jetty client, Jetty server");

        final String label;

        Pair(String label) {
            this.label = label;
        }
    }

    record Workload(String call, int callers) {}

    /**
     * One measurement: calls per second over all callers, and CPU time per call of the client's process (this
     * one) and of the server's (from {@code /proc}, in 10 ms ticks), which other work on the machine disturbs far
     * less than the rate.
     */
    record Sample(double rate, double clientCpuMicros, double serverCpuMicros) {}

    private static final String VM = "bench-vm";

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        System.out.println(run(o, System.err));
    }

    static String run(Options o, PrintStream log) throws Exception {
        Path dir = Files.createTempDirectory("bench-xenopsd-http-");
        String load0 = loadAverage();
        List<Process> daemons = new ArrayList<>();
        Map<Pair, XenopsClient> clients = new LinkedHashMap<>();
        try {
            Path handSock = dir.resolve("hand.sock");
            Path jettySock = dir.resolve("jetty.sock");
            daemons.add(daemon("hand", handSock));
            daemons.add(daemon("jetty", jettySock));
            Duration connect = Duration.ofSeconds(5);
            Duration call = Duration.ofSeconds(60);
            clients.put(Pair.HAND_HAND, new XenopsClient(handSock, connect, call));
            clients.put(Pair.JETTY_HAND, new XenopsClient(handSock, new JettyUnixTransport(handSock, connect), call));
            clients.put(Pair.HAND_JETTY, new XenopsClient(jettySock, connect, call));
            clients.put(
                    Pair.JETTY_JETTY, new XenopsClient(jettySock, new JettyUnixTransport(jettySock, connect), call));
            startVm(clients.get(Pair.HAND_HAND));
            startVm(clients.get(Pair.HAND_JETTY));
            int statBytes =
                    clients.get(Pair.HAND_HAND).vmStat("b", VM).toString().length();
            log.println("VM.stat decoded: " + statBytes + " chars");

            List<Workload> workloads = List.of(
                    new Workload("VM.stat", 1),
                    new Workload("VM.stat", 16),
                    new Workload("UPDATES.get", 1),
                    new Workload("UPDATES.get", 16));
            CpuSample cpu0 = CpuSample.take(daemons);
            for (Workload w : workloads) {
                for (Pair p : Pair.values()) measure(clients.get(p), serverOf(p, daemons), w, o.warmup());
            }
            log.println("warm-up done");
            Map<Workload, Map<Pair, Sample[]>> rates = new LinkedHashMap<>();
            for (Workload w : workloads) {
                Map<Pair, Sample[]> m = new LinkedHashMap<>();
                for (Pair p : Pair.values()) m.put(p, new Sample[o.rounds()]);
                rates.put(w, m);
            }
            List<String> loads = new ArrayList<>();
            for (int r = 0; r < o.rounds(); r++) {
                for (Workload w : workloads) {
                    Pair[] ps = Pair.values();
                    for (int k = 0; k < ps.length; k++) {
                        Pair p = ps[(k + r) % ps.length]; // rotate which pair goes first
                        rates.get(w).get(p)[r] = measure(clients.get(p), serverOf(p, daemons), w, o.round());
                    }
                }
                loads.add(loadAverage());
                log.println("round " + (r + 1) + " done, load " + loads.getLast());
            }
            CpuSample cpu1 = CpuSample.take(daemons);
            String rss = "hand-written server: " + rss(daemons.get(0)) + "; Jetty server: " + rss(daemons.get(1));
            return report(o, rates, load0, loadAverage(), loads, cpu0, cpu1, rss);
        } finally {
            for (XenopsClient c : clients.values()) c.close();
            for (Process p : daemons) {
                p.getOutputStream().close();
                p.waitFor();
            }
            try (var s = Files.list(dir)) {
                s.forEach(f -> f.toFile().delete());
            }
            Files.deleteIfExists(dir);
        }
    }

    private static Process daemon(String kind, Path socket) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(
                        java,
                        "-XX:+UseSerialGC",
                        "-Xmx128m",
                        "-Xss512k",
                        "-Dbench.jetty.threads=" + System.getProperty("bench.jetty.threads", "virtual"),
                        "-cp",
                        System.getProperty("java.class.path"),
                        SimDaemon.class.getName(),
                        kind,
                        socket.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        if (!"ready".equals(line)) throw new IOException(kind + " daemon did not start: " + line);
        return p;
    }

    private static void startVm(XenopsClient c) {
        Vm vm = Vm.builder(VM)
                .name("bench")
                .memory(256L << 20)
                .vcpuMax(1)
                .vcpus(1)
                .platformdata(Map.of("featureset", "deadbeef"))
                .build();
        Vbd disk =
                Vbd.of(new DeviceId(VM, "xvda"), null, Vbd.Mode.ReadWrite, Disk.Vdi.of("sr1", "disk0"), Vbd.Type.Disk);
        Vif nic = Vif.of(new DeviceId(VM, "0"), 0, "aa:bb:cc:dd:ee:ff", new Vif.Local("xenbr0"));
        c.vmImportMetadata("b", Metadata.of(vm, List.of(disk), List.of(nic)));
        await(c, c.vmStart("b", VM, false));
        await(c, c.vmUnpause("b", VM));
    }

    private static void await(XenopsClient c, String task) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (c.taskStat("b", task).state() instanceof TaskInfo.Pending) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("task " + task + " still pending");
            Thread.onSpinWait();
        }
        if (c.taskStat("b", task).state() instanceof TaskInfo.Failed f) throw f.toError();
        c.taskDestroy("b", task);
    }

    private static Process serverOf(Pair p, List<Process> daemons) {
        return p == Pair.HAND_HAND || p == Pair.JETTY_HAND ? daemons.get(0) : daemons.get(1);
    }

    /** Runs {@code w} on {@code c} (served by {@code server}) for {@code d}. */
    private static Sample measure(XenopsClient c, Process server, Workload w, Duration d) throws InterruptedException {
        int last = c.updatesLastId("b");
        Consumer<XenopsClient> call = switch (w.call()) {
            case "VM.stat" -> x -> x.vmStat("b", VM);
            case "UPDATES.get" -> x -> x.updatesGet("b", last, 0);
            default -> throw new IllegalArgumentException(w.call());
        };
        LongAdder calls = new LongAdder();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        long[] window = new long[2];
        for (int i = 0; i < w.callers(); i++) {
            ts.add(Thread.ofVirtual().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                long end = window[1];
                while (System.nanoTime() < end) {
                    call.accept(c);
                    calls.increment();
                }
            }));
        }
        long clientTicks = CpuSample.ticks(ProcessHandle.current().pid());
        long serverTicks = CpuSample.ticks(server.pid());
        window[0] = System.nanoTime();
        window[1] = window[0] + d.toNanos();
        go.countDown();
        for (Thread t : ts) t.join();
        double secs = (System.nanoTime() - window[0]) / 1e9;
        long n = Math.max(1, calls.sum());
        double clientUs = (CpuSample.ticks(ProcessHandle.current().pid()) - clientTicks) * 1e4 / n;
        double serverUs = (CpuSample.ticks(server.pid()) - serverTicks) * 1e4 / n;
        return new Sample(n / secs, clientUs, serverUs);
    }

    /** CPU ticks of the whole machine and of this benchmark's processes, to tell how busy the rest was. */
    record CpuSample(long nanos, long busyTicks, long ourTicks) {
        static CpuSample take(List<Process> daemons) {
            long busy = 0;
            try {
                String[] f = Files.readAllLines(Path.of("/proc/stat"))
                        .getFirst()
                        .trim()
                        .split("\\s+");
                // user nice system idle iowait irq softirq steal
                busy = Long.parseLong(f[1])
                        + Long.parseLong(f[2])
                        + Long.parseLong(f[3])
                        + Long.parseLong(f[6])
                        + Long.parseLong(f[7])
                        + Long.parseLong(f[8]);
            } catch (IOException | RuntimeException e) {
                busy = -1;
            }
            long ours = ticks(ProcessHandle.current().pid());
            for (Process p : daemons) ours += ticks(p.pid());
            return new CpuSample(System.nanoTime(), busy, ours);
        }

        static long ticks(long pid) {
            try {
                String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
                String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
                return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime stime
            } catch (IOException | RuntimeException e) {
                return 0;
            }
        }
    }

    private static String rss(Process p) {
        try {
            long rss = 0;
            long hwm = 0;
            for (String l : Files.readAllLines(Path.of("/proc/" + p.pid() + "/status"))) {
                if (l.startsWith("VmRSS:")) rss = Long.parseLong(l.replaceAll("\\D", ""));
                if (l.startsWith("VmHWM:")) hwm = Long.parseLong(l.replaceAll("\\D", ""));
            }
            return String.format(Locale.ROOT, "resident %d MiB (peak %d MiB)", rss / 1024, hwm / 1024);
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    private static String report(
            Options o,
            Map<Workload, Map<Pair, Sample[]>> samples,
            String load0,
            String load1,
            List<String> loads,
            CpuSample cpu0,
            CpuSample cpu1,
            String rss) {
        StringBuilder b = new StringBuilder();
        double secs = (cpu1.nanos() - cpu0.nanos()) / 1e9;
        double ticksPerSec = 100.0; // USER_HZ
        double busyCores = (cpu1.busyTicks() - cpu0.busyTicks()) / ticksPerSec / secs;
        double oursCores = (cpu1.ourTicks() - cpu0.ourTicks()) / ticksPerSec / secs;
        b.append(String.format(
                Locale.ROOT,
                "Environment: %d cores, Java %s, load average %s at start, %s at end (after each round: %s); "
                        + "CPU busy %.2f cores of which this benchmark's three processes %.2f, other work %.2f; "
                        + "%d rounds of %d s per measurement.%n%n",
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.version"),
                load0,
                load1,
                String.join(" ", loads),
                busyCores,
                oursCores,
                Math.max(0, busyCores - oursCores),
                o.rounds(),
                o.round().toSeconds()));
        b.append(
                "Calls per second (median of the rounds, min–max) and ratio to the hand-written pair of the same round "
                        + "(median of the per-round ratios, min–max; above 1: faster than hand-written):\n\n");
        b.append("| call | callers | hand/hand calls/s | Jetty client: calls/s, ratio | Jetty server: calls/s, ratio "
                + "| both Jetty: calls/s, ratio |\n|---|---|---|---|---|---|\n");
        for (var e : samples.entrySet()) {
            Map<Pair, Sample[]> m = e.getValue();
            double[] base = pick(m.get(Pair.HAND_HAND), Sample::rate);
            b.append("| `")
                    .append(e.getKey().call())
                    .append("` | ")
                    .append(e.getKey().callers());
            b.append(" | ").append(rate(base));
            for (Pair p : List.of(Pair.JETTY_HAND, Pair.HAND_JETTY, Pair.JETTY_JETTY)) {
                double[] x = pick(m.get(p), Sample::rate);
                b.append(" | ").append(rate(x)).append("; ").append(ratio(x, base));
            }
            b.append(" |\n");
        }
        b.append(
                "\nCPU time per call (µs, median of the rounds) of the side that changes, and ratio to the hand-written "
                        + "side of the same round (median of the per-round ratios, min–max; above 1: Jetty costs more):\n\n");
        b.append("| call | callers | client: hand-written | client: Jetty, ratio | server: hand-written "
                + "| server: Jetty, ratio |\n|---|---|---|---|---|---|\n");
        for (var e : samples.entrySet()) {
            Map<Pair, Sample[]> m = e.getValue();
            double[] hc = pick(m.get(Pair.HAND_HAND), Sample::clientCpuMicros);
            double[] jc = pick(m.get(Pair.JETTY_HAND), Sample::clientCpuMicros);
            double[] hs = pick(m.get(Pair.HAND_HAND), Sample::serverCpuMicros);
            double[] js = pick(m.get(Pair.HAND_JETTY), Sample::serverCpuMicros);
            b.append(String.format(
                    Locale.ROOT,
                    "| `%s` | %d | %.0f | %.0f; %s | %.0f | %.0f; %s |%n",
                    e.getKey().call(),
                    e.getKey().callers(),
                    median(hc),
                    median(jc),
                    ratio(jc, hc),
                    median(hs),
                    median(js),
                    ratio(js, hs)));
        }
        b.append("\nSimulator daemons at the end: ").append(rss).append(".\n");
        return b.toString();
    }

    private static double[] pick(Sample[] s, java.util.function.ToDoubleFunction<Sample> f) {
        double[] r = new double[s.length];
        for (int i = 0; i < s.length; i++) r[i] = f.applyAsDouble(s[i]);
        return r;
    }

    /** The median and range of the per-round ratios {@code x[i] / base[i]}. */
    private static String ratio(double[] x, double[] base) {
        double[] r = new double[x.length];
        for (int i = 0; i < x.length; i++) r[i] = x[i] / base[i];
        return String.format(Locale.ROOT, "**%.2f** (%.2f–%.2f)", median(r), min(r), max(r));
    }

    private static String rate(double[] x) {
        return String.format(Locale.ROOT, "%,.0f (%,.0f–%,.0f)", median(x), min(x), max(x));
    }
}
