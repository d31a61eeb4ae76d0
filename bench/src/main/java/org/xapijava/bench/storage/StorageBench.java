package org.xapijava.bench.storage;

import static org.xapijava.bench.Stats.loadAverage;
import static org.xapijava.bench.Stats.percentile;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xapijava.bench.lifecycle.LifecycleFixture;
import org.xapijava.bench.lifecycle.XmlRpcConnection;
import org.xapijava.bench.server.LaunchedHost;
import org.xapijava.storage.smapiv1.Smapiv1Executor;

/**
 * The storage benchmark (issue 12, item 5), against a host started by {@code scripts/xapi} (its local {@code file}
 * SR served by FileSR, a {@code dummy} SR made for the run), each figure beside a baseline of the same run:
 *
 * <ol>
 *   <li>SMAPIv1 round trips through {@link Smapiv1Executor} ({@link RoundTrips}), against no-op drivers;
 *   <li>{@code VDI.create} + {@code VDI.destroy} per second with 8 XML-RPC clients on the local SR, against the same
 *       clients running two no-op Python drivers each (the process cost every create + destroy pays);
 *   <li>{@code VM.start} + {@code VM.clean_shutdown} of a VM with two disks against the same VM without disks, with
 *       the driver runs of each counted ({@link DriverWatch});
 *   <li>{@code VDI.snapshot} of a 10 GiB VDI with 1 GiB written (by {@code qemu-io} into its qcow2), against the
 *       Python round-trip floor.
 * </ol>
 *
 * Markdown on standard output, progress on standard error. Run by {@code scripts/bench-storage}.
 */
public final class StorageBench {
    private static final long GIB = 1L << 30;

    private StorageBench() {}

    record Options(int rounds, int clients, double seconds, int cycles, int snapshots) {
        static Options parse(String[] args) {
            int rounds = 30, clients = 8, cycles = 6, snapshots = 5;
            double seconds = 15;
            for (int i = 0; i + 1 < args.length; i += 2) {
                switch (args[i]) {
                    case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                    case "--clients" -> clients = Integer.parseInt(args[i + 1]);
                    case "--seconds" -> seconds = Double.parseDouble(args[i + 1]);
                    case "--cycles" -> cycles = Integer.parseInt(args[i + 1]);
                    case "--snapshots" -> snapshots = Integer.parseInt(args[i + 1]);
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            return new Options(rounds, clients, seconds, cycles, snapshots);
        }
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        PrintStream log = System.err;
        PrintStream out = System.out;
        Path root = Path.of(System.getProperty("bench.root", ".")).toAbsolutePath();
        Path scratch = Files.createTempDirectory("bench-storage-");
        String loadStart = loadAverage();
        try (LaunchedHost host = LaunchedHost.xapi(root, Map.of(), List.of());
                StorageFixture fx = new StorageFixture(host.address, host.password, host.dataDir())) {
            out.printf(
                    Locale.ROOT,
                    "Host started by scripts/xapi; %d cores; load average at start %s.%n%n",
                    Runtime.getRuntime().availableProcessors(),
                    loadStart);

            // 1. round trips
            RoundTrips rt = new RoundTrips(fx, scratch);
            List<RoundTrips.Case> cases = rt.measure(3, o.rounds(), log);
            double floorPy =
                    percentile(RoundTrips.find(cases, "floor: `python3` print").ms(), 50);
            out.printf(
                    Locale.ROOT,
                    "### 1. SMAPIv1 round trips through Smapiv1Executor (%d interleaved rounds, load %s)%n%n",
                    o.rounds(),
                    loadAverage());
            out.println("| driver command | callbacks | p50 ms | p99 ms | p50 ÷ python floor p50 |");
            out.println("|---|---|---|---|---|");
            for (RoundTrips.Case c : cases) {
                out.printf(
                        Locale.ROOT,
                        "| %s | %s | %.1f | %.1f | %.2f× |%n",
                        c.name(),
                        c.what(),
                        percentile(c.ms(), 50),
                        percentile(c.ms(), 99),
                        percentile(c.ms(), 50) / floorPy);
            }
            out.println();

            // 2. VDI.create + VDI.destroy throughput
            vdiThroughput(o, fx, rt, out, log);

            // 3. VM start / shutdown with and without disks
            vmCycles(o, fx, host, out, log);

            // 4. snapshot
            snapshot(o, fx, host, floorPy, cases, out, log);
            out.printf(Locale.ROOT, "Load average at the end: %s.%n", loadAverage());
        } finally {
            try (var s = Files.walk(scratch)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    private static void vdiThroughput(Options o, StorageFixture fx, RoundTrips rt, PrintStream out, PrintStream log)
            throws Exception {
        log.println("VDI.create + VDI.destroy throughput...");
        Map<String, Throughput.Result> rows = new LinkedHashMap<>();
        for (StorageFixture.Sr sr : List.of(fx.local, fx.dummy)) {
            String name = "`VDI.create` (1 GiB) + `VDI.destroy`, " + (sr == fx.local ? "local file SR" : "dummy SR");
            rows.put(name, Throughput.run(o.clients(), 3, o.seconds(), i -> {
                XmlRpcConnection c = new XmlRpcConnection(fx.address);
                String s = fx.login(c);
                Map<String, Object> rec = StorageFixture.vdiRecord(sr.ref(), GIB, "bench-" + i);
                return () -> {
                    String vdi = (String) c.call("VDI.create", s, rec);
                    c.call("VDI.destroy", s, vdi);
                };
            }));
            log.println(name + " done");
        }
        String floor = "baseline: 2 runs of the `python3` floor driver (Smapiv1Executor, in the bench JVM)";
        rows.put(floor, Throughput.run(o.clients(), 3, o.seconds(), i -> () -> {
            rt.floorPy();
            rt.floorPy();
        }));
        String cheap = "context: 2 × `VDI.get_record` (XML-RPC, same clients)";
        rows.put(cheap, Throughput.run(o.clients(), 1, Math.min(5, o.seconds()), i -> {
            XmlRpcConnection c = new XmlRpcConnection(fx.address);
            String s = fx.login(c);
            String vdi = (String) c.call("VDI.create", s, StorageFixture.vdiRecord(fx.dummy.ref(), GIB, "rec-" + i));
            return () -> {
                c.call("VDI.get_record", s, vdi);
                c.call("VDI.get_record", s, vdi);
            };
        }));
        double base = rows.get(floor).perSecond();
        out.printf(
                Locale.ROOT,
                "### 2. VDI.create + VDI.destroy, %d concurrent clients, %.0f s each%n%n",
                o.clients(),
                o.seconds());
        out.println("| operation (one = a pair) | pairs/s | ÷ baseline | p50 ms | p99 ms | load after |");
        out.println("|---|---|---|---|---|---|");
        for (Map.Entry<String, Throughput.Result> e : rows.entrySet()) {
            Throughput.Result r = e.getValue();
            out.printf(
                    Locale.ROOT,
                    "| %s | %.1f | %.2f× | %.0f | %.0f | %s |%n",
                    e.getKey(),
                    r.perSecond(),
                    r.perSecond() / base,
                    percentile(r.latencyMs(), 50),
                    percentile(r.latencyMs(), 99),
                    r.loadAfter());
        }
        out.println();
    }

    private static void vmCycles(Options o, StorageFixture fx, LaunchedHost host, PrintStream out, PrintStream log)
            throws Exception {
        log.println("VM start/shutdown with and without disks...");
        String plain =
                LifecycleFixture.fromTemplate(fx.address, fx.password, 1).refs().get(0);
        String disks =
                LifecycleFixture.fromTemplate(fx.address, fx.password, 1).refs().get(0);
        XmlRpcConnection c = fx.c;
        String s = fx.session;
        for (int i = 0; i < 2; i++) {
            String vdi = (String) c.call("VDI.create", s, StorageFixture.vdiRecord(fx.local.ref(), GIB, "disk-" + i));
            fx.createVbd(disks, vdi, Integer.toString(i));
        }
        Map<String, double[]> start = new LinkedHashMap<>();
        Map<String, double[]> stop = new LinkedHashMap<>();
        Map<String, Map<String, Integer>> startRuns = new LinkedHashMap<>();
        Map<String, Map<String, Integer>> stopRuns = new LinkedHashMap<>();
        Map<String, String> vms = new LinkedHashMap<>();
        vms.put("no disks", plain);
        vms.put("two disks (local SR)", disks);
        for (String k : vms.keySet()) {
            start.put(k, new double[o.cycles()]);
            stop.put(k, new double[o.cycles()]);
        }
        for (int i = -1; i < o.cycles(); i++) {
            for (Map.Entry<String, String> e : vms.entrySet()) {
                long t0 = System.nanoTime();
                c.call("VM.start", s, e.getValue(), false, false);
                long t1 = System.nanoTime();
                c.call("VM.clean_shutdown", s, e.getValue());
                long t2 = System.nanoTime();
                if (i >= 0) {
                    start.get(e.getKey())[i] = (t1 - t0) / 1e6;
                    stop.get(e.getKey())[i] = (t2 - t1) / 1e6;
                }
            }
        }
        // one counted cycle of each, apart from the timed ones (the watcher costs CPU)
        try (DriverWatch w = new DriverWatch(host.jvm().pid())) {
            for (Map.Entry<String, String> e : vms.entrySet()) {
                Thread.sleep(50);
                w.drain();
                c.call("VM.start", s, e.getValue(), false, false);
                Thread.sleep(50);
                startRuns.put(e.getKey(), w.drain());
                c.call("VM.clean_shutdown", s, e.getValue());
                Thread.sleep(50);
                stopRuns.put(e.getKey(), w.drain());
            }
        }
        out.printf(
                Locale.ROOT,
                "### 3. VM.start + VM.clean_shutdown, %d cycles each, interleaved (load %s)%n%n",
                o.cycles(),
                loadAverage());
        out.println("| VM | start p50 ms | start p99 ms | shutdown p50 ms | shutdown p99 ms "
                + "| driver runs in a start | driver runs in a shutdown |");
        out.println("|---|---|---|---|---|---|---|");
        for (String k : vms.keySet()) {
            out.printf(
                    Locale.ROOT,
                    "| %s | %.0f | %.0f | %.0f | %.0f | %d %s | %d %s |%n",
                    k,
                    percentile(start.get(k), 50),
                    percentile(start.get(k), 99),
                    percentile(stop.get(k), 50),
                    percentile(stop.get(k), 99),
                    DriverWatch.total(startRuns.get(k)),
                    startRuns.get(k),
                    DriverWatch.total(stopRuns.get(k)),
                    stopRuns.get(k));
        }
        List<String> keys = new ArrayList<>(vms.keySet());
        int extraStart = DriverWatch.total(startRuns.get(keys.get(1))) - DriverWatch.total(startRuns.get(keys.get(0)));
        int extraStop = DriverWatch.total(stopRuns.get(keys.get(1))) - DriverWatch.total(stopRuns.get(keys.get(0)));
        out.printf(
                Locale.ROOT,
                "%nExtra SMAPIv1 round trips per disk: start %.1f, shutdown %.1f (counted from the host's driver"
                        + " processes); extra start time per disk %.0f ms (p50).%n%n",
                extraStart / 2.0,
                extraStop / 2.0,
                (percentile(start.get(keys.get(1)), 50) - percentile(start.get(keys.get(0)), 50)) / 2);
    }

    private static void snapshot(
            Options o,
            StorageFixture fx,
            LaunchedHost host,
            double floorPy,
            List<RoundTrips.Case> cases,
            PrintStream out,
            PrintStream log)
            throws Exception {
        XmlRpcConnection c = fx.c;
        String s = fx.session;
        String vdi = (String) c.call("VDI.create", s, StorageFixture.vdiRecord(fx.local.ref(), 10 * GIB, "snap-src"));
        String uuid = (String) c.call("VDI.get_uuid", s, vdi);
        Path file = fx.localDir().resolve(uuid + ".qcow2");
        log.println("writing 1 GiB into " + file + " with qemu-io...");
        long w0 = System.nanoTime();
        run(List.of("qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 0 1G", file.toString()));
        double writeS = (System.nanoTime() - w0) / 1e9;
        long before = duKib(fx.localDir());
        double[] ms = new double[o.snapshots()];
        Map<String, Integer> runs;
        List<String> snaps = new ArrayList<>();
        for (int i = 0; i < o.snapshots(); i++) {
            long t0 = System.nanoTime();
            snaps.add((String) c.call("VDI.snapshot", s, vdi, Map.of()));
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        long after = duKib(fx.localDir());
        try (DriverWatch w = new DriverWatch(host.jvm().pid())) {
            Thread.sleep(50);
            w.drain();
            snaps.add((String) c.call("VDI.snapshot", s, vdi, Map.of()));
            Thread.sleep(50);
            runs = w.drain();
        }
        double fileCreate =
                percentile(RoundTrips.find(cases, "FileSR vdi_create (1 GiB)").ms(), 50);
        out.printf(
                Locale.ROOT,
                "### 4. VDI.snapshot of a 10 GiB VDI with 1 GiB written (%d snapshots in a row, load %s)%n%n",
                o.snapshots(),
                loadAverage());
        out.println("| measure | value |");
        out.println("|---|---|");
        out.printf(Locale.ROOT, "| writing 1 GiB with `qemu-io` (not timed below) | %.1f s |%n", writeS);
        out.printf(
                Locale.ROOT,
                "| `VDI.snapshot` p50 / max (XenAPI call, through FileSR) | %.0f ms / %.0f ms |%n",
                percentile(ms, 50),
                percentile(ms, 100));
        out.printf(Locale.ROOT, "| baseline: round-trip floor (`python3` no-op driver) p50 | %.0f ms |%n", floorPy);
        out.printf(Locale.ROOT, "| ratio snapshot p50 ÷ floor p50 | %.1f× |%n", percentile(ms, 50) / floorPy);
        out.printf(
                Locale.ROOT, "| for reference: FileSR `vdi_create` round trip p50 (item 1) | %.0f ms |%n", fileCreate);
        out.printf(
                Locale.ROOT,
                "| SR directory allocated before → after the %d snapshots | %.1f MiB → %.1f MiB |%n",
                o.snapshots(),
                before / 1024.0,
                after / 1024.0);
        out.printf(Locale.ROOT, "| driver runs in one `VDI.snapshot` | %d %s |%n%n", DriverWatch.total(runs), runs);
        for (String snap : snaps) c.call("VDI.destroy", s, snap);
        c.call("VDI.destroy", s, vdi);
    }

    private static void run(List<String> argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IOException(argv + " failed: " + text);
    }

    private static long duKib(Path dir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("du", "-sk", dir.toString()).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return Long.parseLong(text.split("\\s+")[0]);
    }
}
