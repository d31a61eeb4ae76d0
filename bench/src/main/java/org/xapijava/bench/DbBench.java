package org.xapijava.bench;

import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.xapijava.db.Database;

/**
 * The in-memory database with 10,000 VMs, ops/s in total over all threads.
 * <ul>
 *   <li>{@code getRecord*}: {@code db.getRecord("VM", ref).get("power_state")} of a random VM (a published
 *       snapshot, no lock) vs the same on a {@link ConcurrentHashMap} of the same records;
 *   <li>{@code set*}: one-field transaction {@code db.set("VM", ref, "name_description", v)} of a random VM
 *       (writer lock, generation stamp, immutable row copy, change feed, delta) vs a copy-on-write row in a
 *       {@link ConcurrentHashMap} ({@code compute}: copy the row map, put the field, store it).
 * </ul>
 * 4 threads on this 2-core machine measure contention, not scaling.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class DbBench {
    Database db;
    String[] refs;
    ConcurrentHashMap<String, Map<String, Object>> chm;

    @Setup
    public void setUp() {
        db = VmFixture.inMemory(VmFixture.DEFAULT_VMS);
        List<String> all = db.getAll("VM");
        refs = all.toArray(String[]::new);
        chm = new ConcurrentHashMap<>();
        for (String r : refs) chm.put(r, Collections.unmodifiableMap(new HashMap<>(db.getRecord("VM", r))));
    }

    /** Per-thread value source, so no two writes store the same value (an unchanged value is no write). */
    @State(Scope.Thread)
    public static class Values {
        final String prefix =
                "description written by thread " + Thread.currentThread().threadId() + " #";
        long n;

        String next() {
            return prefix + n++;
        }
    }

    private String ref() {
        return refs[ThreadLocalRandom.current().nextInt(refs.length)];
    }

    private Object readOurs() {
        return db.getRecord("VM", ref()).get("power_state");
    }

    private Object readChm() {
        return chm.get(ref()).get("power_state");
    }

    private void setOurs(Values v) {
        db.set("VM", ref(), "name_description", v.next());
    }

    private void setChm(Values v) {
        String value = v.next();
        chm.compute(ref(), (k, row) -> {
            Map<String, Object> copy = new HashMap<>(row);
            copy.put("name_description", value);
            return Collections.unmodifiableMap(copy);
        });
    }

    @Benchmark
    @Threads(1)
    public Object getRecord1t_ours() {
        return readOurs();
    }

    @Benchmark
    @Threads(1)
    public Object getRecord1t_chm() {
        return readChm();
    }

    @Benchmark
    @Threads(4)
    public Object getRecord4t_ours() {
        return readOurs();
    }

    @Benchmark
    @Threads(4)
    public Object getRecord4t_chm() {
        return readChm();
    }

    @Benchmark
    @Threads(1)
    public void set1t_ours(Values v) {
        setOurs(v);
    }

    @Benchmark
    @Threads(1)
    public void set1t_chm(Values v) {
        setChm(v);
    }

    @Benchmark
    @Threads(4)
    public void set4t_ours(Values v) {
        setOurs(v);
    }

    @Benchmark
    @Threads(4)
    public void set4t_chm(Values v) {
        setChm(v);
    }
}
