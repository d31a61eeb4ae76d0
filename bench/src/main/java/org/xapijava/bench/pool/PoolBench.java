package org.xapijava.bench.pool;

import static org.xapijava.bench.Stats.loadAverage;
import static org.xapijava.bench.Stats.percentile;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.xapijava.bench.TempDirs;
import org.xapijava.bench.lifecycle.LifecycleFixture;
import org.xapijava.bench.lifecycle.XmlRpcConnection;
import org.xapijava.db.Db;
import org.xapijava.model.api.VM;
import org.xapijava.server.XapiServer;
import org.xapijava.server.config.XapiConfig;

/**
 * The pool benchmark (issue 13, item 11), on hosts in this JVM that reach each other only over HTTP (a master on
 * 127.0.0.2, members on 127.0.0.3... with {@code pool.conf} naming it, each with its own embedded xenopsd simulator),
 * each figure beside a baseline of the same run:
 *
 * <ol>
 *   <li>a database write and a record read by a member's code (its replica; its writes through the master and back
 *       through the feed) against the same on the master;
 *   <li>{@code VM.start_on} a member (forwarded) against {@code VM.start_on} the master, through the master's XML-RPC;
 *   <li>the time from a member's write to an {@code event.from} waiter on the master waking with it;
 *   <li>start + hard_shutdown cycles per second of {@code vms} VMs from {@code clients} clients on the pool (the
 *       master places each start) against one host alone, and the process CPU per cycle, each phase after the
 *       same unmeasured warm-up ({@code --warmup}).
 * </ol>
 *
 * Markdown on standard output, progress on standard error. Run by {@code scripts/bench-pool}.
 */
public final class PoolBench {
    private PoolBench() {}

    /**
     * @param inProcess members in this JVM on the master's database ({@code XapiServer(config, master)}: the issue's
     *                  allowance for its 16-host figure) instead of members over HTTP with their own replica
     */
    record Options(
            int hosts,
            int vms,
            int clients,
            int samples,
            int starts,
            double seconds,
            double warmup,
            boolean inProcess) {
        static Options parse(String[] args) {
            int hosts = 3, vms = 32, clients = 8, samples = 300, starts = 40;
            double seconds = 20;
            double warmup = 10;
            boolean inProcess = false;
            for (int i = 0; i + 1 < args.length; i += 2) {
                switch (args[i]) {
                    case "--members" ->
                        inProcess = switch (args[i + 1]) {
                            case "in-process" -> true;
                            case "http" -> false;
                            default -> throw new IllegalArgumentException("--members: http or in-process");
                        };
                    case "--hosts" -> hosts = Integer.parseInt(args[i + 1]);
                    case "--vms" -> vms = Integer.parseInt(args[i + 1]);
                    case "--clients" -> clients = Integer.parseInt(args[i + 1]);
                    case "--samples" -> samples = Integer.parseInt(args[i + 1]);
                    case "--starts" -> starts = Integer.parseInt(args[i + 1]);
                    case "--seconds" -> seconds = Double.parseDouble(args[i + 1]);
                    case "--warmup" -> warmup = Double.parseDouble(args[i + 1]);
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (hosts < 2 || hosts > 200) throw new IllegalArgumentException("--hosts: 2..200");
            return new Options(hosts, vms, clients, samples, starts, seconds, warmup, inProcess);
        }
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        PrintStream log = System.err;
        PrintStream out = System.out;
        Path dir = Files.createTempDirectory("bench-pool-");
        String load = loadAverage();
        int port;
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.2", 0));
            port = s.getLocalPort();
        }
        List<XapiServer> pool = new ArrayList<>();
        XapiServer alone = null;
        try {
            long t0 = System.nanoTime();
            XapiServer master = start(dir.resolve("host1"), "127.0.0.2", port);
            pool.add(master);
            for (int i = 2; i <= o.hosts(); i++) {
                Path d = dir.resolve("host" + i);
                Files.createDirectories(d);
                Files.writeString(d.resolve("pool.conf"), "slave:127.0.0.2");
                Files.copy(dir.resolve("host1/ptoken"), d.resolve("ptoken"));
                pool.add(
                        o.inProcess()
                                ? start(d, "127.0.0." + (i + 1), port, master)
                                : start(d, "127.0.0." + (i + 1), port));
            }
            log.printf(Locale.ROOT, "%d hosts up in %.1f s%n", o.hosts(), (System.nanoTime() - t0) / 1e9);
            out.printf(
                    Locale.ROOT,
                    "Pool of %d hosts in one JVM (%s); %d cores; load average at start %s.%n%n",
                    o.hosts(),
                    o.inProcess()
                            ? "members in-process, on the master's database, calls forwarded to them over HTTP"
                            : "members over HTTP",
                    Runtime.getRuntime().availableProcessors(),
                    load);
            InetSocketAddress ma = new InetSocketAddress("127.0.0.2", port);
            LifecycleFixture.Vms vms = LifecycleFixture.create(master, ma, o.vms());
            XapiServer member = pool.get(1);

            // 1. database steps
            Db onMaster = master.services().data();
            Db onMember = member.services().data();
            String vm = vms.refs().get(0);
            double[][] w = interleave(
                    o.samples(),
                    i -> onMember.set(vm, VM.NAME_DESCRIPTION, "m" + i),
                    i -> onMaster.set(vm, VM.NAME_DESCRIPTION, "a" + i));
            double[][] r = interleave(
                    o.samples(), i -> onMember.record(VM.XAPI_CLASS, vm), i -> onMaster.record(VM.XAPI_CLASS, vm));
            out.println("| database step | on a member p50 / p99 (ms) | on the master p50 / p99 (ms) | ratio p50 |");
            out.println("|---|---|---|---|");
            row(out, "write (`Db.set`)", w);
            row(out, "read (`Db.record` of a VM)", r);
            out.println();

            // 2. start_on a member against start_on the master
            String hostMaster = master.services().hostRef();
            String hostMember = member.services().hostRef();
            double[][] st = new double[2][o.starts()];
            // the floor of a forwarded call: host.get_servertime of the member (run there) against the master's
            double[][] floor = new double[2][o.samples()];
            try (XmlRpcConnection c = new XmlRpcConnection(ma)) {
                String s = login(c, master);
                for (int i = 0; i < o.starts(); i++) {
                    for (int side = 0; side < 2; side++) {
                        String h = side == 0 ? hostMember : hostMaster;
                        long a = System.nanoTime();
                        c.call("VM.start_on", s, vm, h, false, false);
                        st[side][i] = (System.nanoTime() - a) / 1e6;
                        c.call("VM.hard_shutdown", s, vm);
                    }
                }
                for (int i = 0; i < o.samples(); i++) {
                    for (int side = 0; side < 2; side++) {
                        long a = System.nanoTime();
                        c.call("host.get_servertime", s, side == 0 ? hostMember : hostMaster);
                        floor[side][i] = (System.nanoTime() - a) / 1e6;
                    }
                }
            }
            out.println(
                    "| call | on a member (forwarded) p50 / p99 (ms) | on the master p50 / p99 (ms) | added p50 (ms) |");
            out.println("|---|---|---|---|");
            callRow(out, "`VM.start_on`", st, 1);
            callRow(out, "`host.get_servertime` (the floor of a forwarded call)", floor, 2);
            out.println();

            // 3. member write -> event.from on the master, against a write on the master itself
            int n = Math.min(o.samples(), 100);
            double[] ev = events(master, ma, onMember, vms.refs().get(1), n);
            double[] evm = events(master, ma, onMaster, vms.refs().get(1), n);
            out.println("| write seen by an `event.from` waiter on the master | p50 (ms) | p99 (ms) |");
            out.println("|---|---|---|");
            out.printf(Locale.ROOT, "| a member's write | %.2f | %.2f |%n", percentile(ev, 50), percentile(ev, 99));
            out.printf(
                    Locale.ROOT, "| the master's write | %.2f | %.2f |%n%n", percentile(evm, 50), percentile(evm, 99));

            // 4. lifecycle rate: the pool against one host alone, each after the same unmeasured warm-up (the same
            // code runs in both phases: without it, the second would be measured on code the first had compiled)
            rate(ma, master, vms.refs(), o.clients(), o.warmup());
            double poolIdle = idleCpu(5);
            Rate pr = rate(ma, master, vms.refs(), o.clients(), o.seconds());
            for (XapiServer h : pool.reversed()) h.close();
            pool.clear();
            alone = start(dir.resolve("alone"), "127.0.0.2", port);
            LifecycleFixture.Vms avms = LifecycleFixture.create(alone, ma, o.vms());
            rate(ma, alone, avms.refs(), o.clients(), o.warmup());
            double aloneIdle = idleCpu(5);
            Rate ar = rate(ma, alone, avms.refs(), o.clients(), o.seconds());
            out.println("| lifecycle (start + hard_shutdown) | cycles/s | process CPU ms per cycle | idle process CPU"
                    + " (ms per s, no calls) | CPU ms per cycle above idle |");
            out.println("|---|---|---|---|---|");
            out.printf(
                    Locale.ROOT,
                    "| pool of %d hosts | %.1f | %.2f | %.1f | %.2f |%n",
                    o.hosts(),
                    pr.perSecond,
                    pr.cpuMs,
                    poolIdle,
                    pr.cpuMs - poolIdle / pr.perSecond);
            out.printf(
                    Locale.ROOT,
                    "| one host | %.1f | %.2f | %.1f | %.2f |%n",
                    ar.perSecond,
                    ar.cpuMs,
                    aloneIdle,
                    ar.cpuMs - aloneIdle / ar.perSecond);
            out.printf(
                    Locale.ROOT,
                    "%n%d VMs, %d clients, %.0f s each after %.0f s unmeasured; pool / one host = %.2f; load average at"
                            + " end %s.%n",
                    o.vms(),
                    o.clients(),
                    o.seconds(),
                    o.warmup(),
                    pr.perSecond / ar.perSecond,
                    loadAverage());
        } finally {
            for (XapiServer h : pool.reversed()) h.close();
            if (alone != null) alone.close();
            TempDirs.deleteTree(dir); // 16 hosts' databases, RRDs and messages
        }
    }

    static XapiServer start(Path dir, String address, int port) throws Exception {
        return start(dir, address, port, null);
    }

    /** A host of its own, or with {@code master} not null a member in this JVM on {@code master}'s database. */
    static XapiServer start(Path dir, String address, int port, XapiServer master) throws Exception {
        XapiServer s = new XapiServer(
                XapiConfig.fromArgs(List.of(
                        "--data-dir",
                        dir.toString(),
                        "--bind",
                        address,
                        "--http-port",
                        Integer.toString(port),
                        "--https-port",
                        "-1",
                        "--unix-socket",
                        dir.resolve("xapi.sock").toString(),
                        "--vmss-timer",
                        "off")),
                master);
        s.start();
        return s;
    }

    interface Step {
        void run(int i) throws Exception;
    }

    /** {@code n} timed runs of each step, alternating, after {@code n / 10} untimed ones; ms. */
    static double[][] interleave(int n, Step a, Step b) throws Exception {
        for (int i = 0; i < n / 10; i++) {
            a.run(i);
            b.run(i);
        }
        double[][] t = new double[2][n];
        for (int i = 0; i < n; i++) {
            long x = System.nanoTime();
            a.run(i);
            long y = System.nanoTime();
            b.run(i);
            long z = System.nanoTime();
            t[0][i] = (y - x) / 1e6;
            t[1][i] = (z - y) / 1e6;
        }
        return t;
    }

    /** A call's row: on the member (t[0]) and on the master (t[1]), p50 / p99, and the p50 added, ms. */
    static void callRow(PrintStream out, String call, double[][] t, int decimals) {
        String f = "%." + decimals + "f";
        out.printf(
                Locale.ROOT,
                "| %s | " + f + " / " + f + " | " + f + " / " + f + " | %+." + decimals + "f |%n",
                call,
                percentile(t[0], 50),
                percentile(t[0], 99),
                percentile(t[1], 50),
                percentile(t[1], 99),
                percentile(t[0], 50) - percentile(t[1], 50));
    }

    static void row(PrintStream out, String what, double[][] t) {
        out.printf(
                Locale.ROOT,
                "| %s | %.3f / %.3f | %.3f / %.3f | %.1f |%n",
                what,
                percentile(t[0], 50),
                percentile(t[0], 99),
                percentile(t[1], 50),
                percentile(t[1], 99),
                percentile(t[0], 50) / percentile(t[1], 50));
    }

    static String login(XmlRpcConnection c, XapiServer master) throws Exception {
        return (String) c.call("session.login_with_password", "root", master.rootPassword(), "1.0", "bench-pool");
    }

    /** Member writes of {@code vm}'s description, each timed until a waiting {@code event.from} returns it. */
    @SuppressWarnings("unchecked")
    static double[] events(XapiServer master, InetSocketAddress ma, Db onMember, String vm, int n) throws Exception {
        double[] t = new double[n];
        try (XmlRpcConnection c = new XmlRpcConnection(ma)) {
            String s = login(c, master);
            Map<String, Object> first = (Map<String, Object>) c.call("event.from", s, List.of("vm"), "", 0.0);
            String token = (String) first.get("token");
            try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < n; i++) {
                    String tok = token;
                    Future<Map<String, Object>> wait =
                            ex.submit(() -> (Map<String, Object>) c.call("event.from", s, List.of("vm"), tok, 30.0));
                    Thread.sleep(5); // the waiter is parked at the master
                    String value = "event-" + i;
                    long a = System.nanoTime();
                    onMember.set(vm, VM.NAME_DESCRIPTION, value);
                    Map<String, Object> got = wait.get();
                    t[i] = (System.nanoTime() - a) / 1e6;
                    token = (String) got.get("token");
                }
            }
        }
        return t;
    }

    record Rate(double perSecond, double cpuMs) {}

    /** start + hard_shutdown cycles of {@code vms} from {@code clients} clients through {@code a} for the run's time. */
    /** The process's CPU in ms per second over {@code seconds} without calls (the hosts' own timers and threads). */
    static double idleCpu(int seconds) throws InterruptedException {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        return (os.getProcessCpuTime() - cpu0) / 1e6 / ((System.nanoTime() - t0) / 1e9);
    }

    /** Start and hard_shutdown cycles of {@code vms} by {@code clients} clients for {@code seconds}. */
    static Rate rate(InetSocketAddress a, XapiServer master, List<String> vms, int clients, double seconds)
            throws Exception {
        AtomicLong cycles = new AtomicLong();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int me = c;
                fs.add(ex.submit(() -> {
                    try (XmlRpcConnection x = new XmlRpcConnection(a)) {
                        String s = login(x, master);
                        while (System.nanoTime() < deadline) {
                            for (int v = me; v < vms.size() && System.nanoTime() < deadline; v += clients) {
                                x.call("VM.start", s, vms.get(v), false, false);
                                x.call("VM.hard_shutdown", s, vms.get(v));
                                cycles.incrementAndGet();
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        double cpuMs = (os.getProcessCpuTime() - cpu0) / 1e6 / Math.max(1, cycles.get());
        return new Rate(cycles.get() / secs, cpuMs);
    }
}
