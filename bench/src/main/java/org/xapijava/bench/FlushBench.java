package org.xapijava.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.openjdk.jmh.annotations.Warmup;
import org.xapijava.db.Database;
import org.xapijava.db.persist.DbImage;
import org.xapijava.db.persist.StateDbWriter;

/**
 * Flush of a 10,000-VM snapshot, ms per flush: {@code flushFile}: {@link StateDbWriter#write} (temporary
 * file, fsync, rename, fsync of the directory, then the {@code .generation} file the same way) vs
 * {@link StaxStateDb#write} (JDK {@code XMLStreamWriter}, temporary file, fsync, rename); {@code flushMemory}:
 * the same two encoders writing to a byte counter (CPU only, no disk; MB/s = the sizes printed at
 * set-up / the time).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class FlushBench {
    DbImage image;
    Path dir;

    @Setup
    public void setUp() throws IOException {
        Database db = VmFixture.inMemory(VmFixture.DEFAULT_VMS);
        image = db.snapshot().image();
        Path base = Path.of(System.getProperty("bench.dir", System.getProperty("java.io.tmpdir")));
        dir = Files.createTempDirectory(base.toAbsolutePath(), "flush-bench-");
        CountingSink s = new CountingSink();
        StateDbWriter.writeTo(image, s);
        long ours = s.count();
        s.reset();
        StaxStateDb.writeTo(image, s);
        System.err.printf(
                "%n[fixture] state.db of %d VMs: ours %d bytes, StAX %d bytes%n",
                VmFixture.DEFAULT_VMS, ours, s.count());
    }

    @TearDown
    public void tearDown() throws IOException {
        TempDirs.deleteTree(dir);
    }

    @Benchmark
    public void flushFile_ours() throws IOException {
        StateDbWriter.write(image, dir.resolve("state.db"));
    }

    @Benchmark
    public void flushFile_stax() throws IOException {
        StaxStateDb.write(image, dir.resolve("stax.db"));
    }

    @Benchmark
    public long flushMemory_ours() throws IOException {
        CountingSink s = new CountingSink();
        StateDbWriter.writeTo(image, s);
        return s.count();
    }

    @Benchmark
    public long flushMemory_stax() throws IOException {
        CountingSink s = new CountingSink();
        StaxStateDb.writeTo(image, s);
        return s.count();
    }
}
