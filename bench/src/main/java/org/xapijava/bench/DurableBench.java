package org.xapijava.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.xapijava.db.Database;
import org.xapijava.db.DurableDatabase;
import org.xapijava.model.Datamodel;

/**
 * Acknowledged durable writes/s: {@code DurableDatabase} (redo log on, Xapi's flush policy) holding 10,000
 * VMs in a temporary directory (under {@code -Dbench.dir}, default {@code java.io.tmpdir}), one-field {@code db.set} per op, each
 * returning only once its redo-log group is forced. Baseline ({@code _naive}): the same threads each
 * appending a record of the same size to one file in the same directory and calling
 * {@link FileChannel#force} after every write (no group commit). With 16 threads the redo log batches many
 * writes per fsync; the naive file relies on whatever the kernel and ext4 coalesce.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class DurableBench {
    /** About the size of one redo-log record of a one-field write (framing, group, generation, 4 strings). */
    static final int RECORD_BYTES = 112;

    Path dir;
    DurableDatabase durable;
    Database db;
    String[] refs;
    FileChannel naive;

    @Setup
    public void setUp() throws IOException {
        Path base = Path.of(System.getProperty("bench.dir", System.getProperty("java.io.tmpdir")));
        Files.createDirectories(base);
        dir = Files.createTempDirectory(base.toAbsolutePath(), "durable-bench-");
        durable = DurableDatabase.open(Datamodel.get(), DurableDatabase.Options.inDirectory(dir));
        db = durable.database();
        refs = VmFixture.populate(db, VmFixture.DEFAULT_VMS).vmRefs.toArray(String[]::new);
        naive = FileChannel.open(
                dir.resolve("naive.log"),
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
    }

    @TearDown
    public void tearDown() throws IOException {
        System.err.printf(
                "%n[redo log] %d fsyncs for %d groups%n",
                durable.redoLog().syncCount(), durable.redoLog().groupCount());
        durable.close();
        naive.close();
        TempDirs.deleteTree(dir);
    }

    @State(Scope.Thread)
    public static class Values {
        final String prefix =
                "description written by thread " + Thread.currentThread().threadId() + " #";
        final ByteBuffer record = ByteBuffer.allocate(RECORD_BYTES);
        long n;

        String next() {
            return prefix + n++;
        }
    }

    private void setOurs(Values v) {
        db.set("VM", refs[ThreadLocalRandom.current().nextInt(refs.length)], "name_description", v.next());
    }

    private void setNaive(Values v) throws IOException {
        ByteBuffer b = v.record.clear();
        byte[] s = v.next().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        b.put(s, 0, Math.min(s.length, b.remaining()));
        b.position(0).limit(RECORD_BYTES);
        while (b.hasRemaining()) naive.write(b);
        naive.force(false);
    }

    @Benchmark
    @Threads(1)
    public void durableSet1t_ours(Values v) {
        setOurs(v);
    }

    @Benchmark
    @Threads(1)
    public void durableSet1t_naive(Values v) throws IOException {
        setNaive(v);
    }

    @Benchmark
    @Threads(16)
    public void durableSet16t_ours(Values v) {
        setOurs(v);
    }

    @Benchmark
    @Threads(16)
    public void durableSet16t_naive(Values v) throws IOException {
        setNaive(v);
    }
}
