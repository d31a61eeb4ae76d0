package org.xapijava.server.rrd;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * xcp-rrdd's monitor loop ({@code Rrdd_monitor}, every 5 s): reads a sample and puts it into the {@link Rrds};
 * every {@code backupEvery} runs the backup ({@code backup_rrds}: to the master from a pool member), and when
 * closed writes every RRD to its local archive. A sample that
 * fails (xenopsd away) is logged and skipped.
 *
 * <p>Samples are taken at the clock's time: a test runs the server on a clock it moves, with a short period, so that
 * seconds of testing fill minutes of rows. Thread-safe.
 */
public final class Sampler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Sampler.class);

    private final Rrds rrds;
    private final DoubleFunction<DomainReadings.Sample> readings;
    private final Clock clock;
    private final Duration period;
    private final Duration backupEvery;
    private final ScheduledExecutorService timer;
    private final Runnable backup;
    private long lastBackup;
    private long samples;
    private double lastSample = Double.NEGATIVE_INFINITY;

    public Sampler(
            Rrds rrds,
            DoubleFunction<DomainReadings.Sample> readings,
            Clock clock,
            Duration period,
            Duration backupEvery) {
        this(rrds, readings, clock, period, backupEvery, rrds::backup);
    }

    /** As the other constructor, with {@code backup} run every {@code backupEvery} ({@code backup_rrds}). */
    public Sampler(
            Rrds rrds,
            DoubleFunction<DomainReadings.Sample> readings,
            Clock clock,
            Duration period,
            Duration backupEvery,
            Runnable backup) {
        this.backup = backup;
        this.rrds = rrds;
        this.readings = readings;
        this.clock = clock;
        this.period = period;
        this.backupEvery = backupEvery;
        this.timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("rrdd-monitor").factory());
    }

    /** Starts sampling, the first sample at once. */
    public void start() {
        lastBackup = clock.millis();
        timer.scheduleAtFixedRate(this::sampleSafely, 0, period.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void sampleSafely() {
        try {
            sample();
        } catch (RuntimeException e) {
            LOG.info("RRD sample skipped: {}", e.toString());
        }
    }

    /** One sample now (tests call it directly). */
    synchronized void sample() {
        double t = clock.millis() / 1000.0;
        // a second reading at the same instant would divide by a zero interval (a clock stopped by a test)
        if (t <= lastSample) return;
        lastSample = t;
        DomainReadings.Sample s = readings.apply(t);
        rrds.update(t, s.host(), s.vms(), s.srs());
        samples++;
        notifyAll();
        if (clock.millis() - lastBackup >= backupEvery.toMillis()) {
            lastBackup = clock.millis();
            backup.run();
        }
    }

    /** The samples taken so far (a tick at the same time as the previous sample takes none). */
    public synchronized long samples() {
        return samples;
    }

    /** Waits until {@code count} samples have been taken; false when {@code timeout} passed first. */
    public synchronized boolean awaitSamples(long count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (samples < count) {
            long left = deadline - System.nanoTime();
            if (left <= 0) return false;
            java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    /** Stops sampling, then archives every RRD. */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            if (!timer.awaitTermination(10, TimeUnit.SECONDS)) LOG.warn("the RRD sampler did not stop in 10 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        rrds.backup();
    }
}
