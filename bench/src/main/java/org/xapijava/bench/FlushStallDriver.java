package org.xapijava.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.xapijava.db.Database;
import org.xapijava.db.DurableDatabase;
import org.xapijava.db.persist.StateDbWriter;
import org.xapijava.model.Datamodel;

/**
 * Load driver (not JMH): do {@code state.db} flushes stall writers? Writer threads run one-field
 * {@code db.set} calls on random VMs of a 10,000-VM database as fast as they can, timing every call, first
 * with nothing else running, then while another thread flushes back to back; it prints the latency
 * percentiles of both phases and the flush times. A control phase runs a thread that only burns CPU instead
 * of flushing: on a machine with few cores, writers slow down from sharing the CPU alone, and the control
 * shows how much of the flushing phase's tail is that. Closed loop: a stalled call shows as one slow call (and
 * fewer calls), so look at max and p99.9 as well as throughput.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar org.xapijava.bench.FlushStallDriver [--durable] [--seconds 10]
 *      [--writers 1] [--vms 10000] [--flush-to-memory]
 * </pre>
 * In memory, the flush is {@code StateDbWriter.write(db.snapshot().image(), state.db)}; with
 * {@code --durable}, a {@link DurableDatabase} (redo log on) and {@link DurableDatabase#flushNow()}
 * (state.db, then the redo log checkpoint). {@code --flush-to-memory} encodes the snapshot to a byte counter
 * instead (the CPU and memory work of a flush without its disk I/O), to tell the two apart.
 */
public final class FlushStallDriver {
    private FlushStallDriver() {}

    public static void main(String[] args) throws Exception {
        boolean durableMode = false;
        boolean cpuOnly = false;
        int seconds = 10;
        int writers = 1;
        int vms = VmFixture.DEFAULT_VMS;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--durable" -> durableMode = true;
                case "--flush-to-memory" -> cpuOnly = true;
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--writers" -> writers = Integer.parseInt(args[++i]);
                case "--vms" -> vms = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Path base = Path.of(System.getProperty("bench.dir", System.getProperty("java.io.tmpdir")));
        Path dir = Files.createTempDirectory(base.toAbsolutePath(), "flush-stall-");
        DurableDatabase durable = null;
        try {
            Database db;
            if (durableMode) {
                durable = DurableDatabase.open(Datamodel.get(), DurableDatabase.Options.inDirectory(dir));
                db = durable.database();
            } else {
                db = Database.empty(Datamodel.get());
            }
            String[] refs = VmFixture.populate(db, vms).vmRefs.toArray(String[]::new);
            DurableDatabase d = durable;
            Path stateDb = dir.resolve("state.db");
            Flush flush = cpuOnly
                    ? () -> StateDbWriter.writeTo(db.snapshot().image(), new CountingSink())
                    : d != null
                            ? d::flushNow
                            : () -> StateDbWriter.write(db.snapshot().image(), stateDb);
            System.out.printf(
                    Locale.ROOT,
                    "%s database, %s, %d VMs, %d writer thread(s), %d s per phase, %d cores, Java %s%n",
                    durableMode ? "durable (redo log)" : "in-memory",
                    cpuOnly
                            ? "flushes encode to memory only (no disk)"
                            : durableMode
                                    ? "flush = DurableDatabase.flushNow()"
                                    : "flush = StateDbWriter.write to a file",
                    vms,
                    writers,
                    seconds,
                    Runtime.getRuntime().availableProcessors(),
                    Runtime.version());
            run(db, refs, writers, Math.max(2, seconds / 3), null, null); // warm-up, discarded
            Phase quiet = run(db, refs, writers, seconds, null, null);
            List<Long> spins = new ArrayList<>();
            Phase spinning = run(db, refs, writers, seconds, FlushStallDriver::spin, spins);
            List<Long> flushes = new ArrayList<>();
            Phase busy = run(db, refs, writers, seconds, flush, flushes);
            System.out.println(
                    "| phase | writes/s | p50 µs | p99 µs | p99.9 µs | max ms | calls > 10 ms | GCs / GC ms | flushes | flush mean ms | flush max ms |");
            System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
            quiet.print("no flush", List.of());
            spinning.print("control: a thread spinning (CPU only, no flush)", List.of());
            busy.print("flushing back to back", flushes);
        } finally {
            if (durable != null) durable.close();
            TempDirs.deleteTree(dir);
        }
    }

    /** The control's busy work: 200 ms of pure CPU, touching no lock and allocating nothing. */
    static void spin() {
        long end = System.nanoTime() + 200_000_000L;
        long x = 0;
        while (System.nanoTime() < end) x += x * 31 + 7;
        if (x == 42) System.out.print("");
    }

    @FunctionalInterface
    interface Flush {
        void run() throws IOException;
    }

    record Phase(long[] nanos, int n, double seconds, long gcMillis, long gcCount) {
        void print(String name, List<Long> flushes) {
            long[] s = Arrays.copyOf(nanos, n);
            Arrays.sort(s);
            long slow = Arrays.stream(s).filter(x -> x > 10_000_000L).count();
            double fMean = flushes.stream().mapToLong(Long::longValue).average().orElse(0) / 1e6;
            double fMax = flushes.stream().mapToLong(Long::longValue).max().orElse(0) / 1e6;
            System.out.printf(
                    Locale.ROOT,
                    "| %s | %.0f | %.1f | %.1f | %.1f | %.1f | %d | %d / %d | %d | %s | %s |%n",
                    name,
                    n / seconds,
                    pct(s, 0.50) / 1e3,
                    pct(s, 0.99) / 1e3,
                    pct(s, 0.999) / 1e3,
                    s[n - 1] / 1e6,
                    slow,
                    gcCount,
                    gcMillis,
                    flushes.size(),
                    flushes.isEmpty() ? "-" : String.format(Locale.ROOT, "%.0f", fMean),
                    flushes.isEmpty() ? "-" : String.format(Locale.ROOT, "%.0f", fMax));
        }

        static long pct(long[] sorted, double p) {
            return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
        }
    }

    /** A growable array of latencies, one per writer thread. */
    static final class Samples {
        long[] a = new long[1 << 20];
        int n;

        void add(long x) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = x;
        }
    }

    static Phase run(Database db, String[] refs, int writers, int seconds, Flush flush, List<Long> flushTimes)
            throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        Samples[] samples = new Samples[writers];
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            Samples s = samples[w] = new Samples();
            String prefix = "stall driver writer " + w + " #";
            threads.add(Thread.ofPlatform().name("writer-" + w).start(() -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                long i = 0;
                while (!stop.get()) {
                    String ref = refs[rnd.nextInt(refs.length)];
                    String value = prefix + i++;
                    long t0 = System.nanoTime();
                    db.set("VM", ref, "name_description", value);
                    s.add(System.nanoTime() - t0);
                }
            }));
        }
        Thread flusher = null;
        if (flush != null) {
            flusher = Thread.ofPlatform().name("flusher").start(() -> {
                while (!stop.get()) {
                    long t0 = System.nanoTime();
                    try {
                        flush.run();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    flushTimes.add(System.nanoTime() - t0);
                }
            });
        }
        long gc0 = gcMillis();
        long gcn0 = gcCount();
        long start = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        stop.set(true);
        for (Thread t : threads) t.join();
        double elapsed = (System.nanoTime() - start) / 1e9;
        if (flusher != null) flusher.join();
        int total = 0;
        for (Samples s : samples) total += s.n;
        long[] all = new long[total];
        int at = 0;
        for (Samples s : samples) {
            System.arraycopy(s.a, 0, all, at, s.n);
            at += s.n;
        }
        return new Phase(all, total, elapsed, gcMillis() - gc0, gcCount() - gcn0);
    }

    /** Time the JVM reports spent in collections (pauses and, for G1, concurrent cycles), all collectors. */
    static long gcMillis() {
        long t = 0;
        for (var b : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans())
            t += Math.max(0, b.getCollectionTime());
        return t;
    }

    static long gcCount() {
        long t = 0;
        for (var b : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans())
            t += Math.max(0, b.getCollectionCount());
        return t;
    }
}
