package org.xapijava.db;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.persist.CommitLog;
import org.xapijava.db.persist.DbImage;

/**
 * Writes {@code state.db} from published snapshots on its own thread, following a {@link FlushPolicy};
 * writers are never stalled (the image is an immutable snapshot). After each write the commit log is
 * told it may drop what the file now holds ({@link CommitLog#checkpoint}). {@link #flushNow()} writes
 * synchronously (shutdown, {@code pool.sync_database}). Thread-safe; writes are serialized on a flush
 * lock that is independent of the database's writer lock.
 */
public final class FlushScheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FlushScheduler.class);

    private final Database db;
    private final SnapshotWriter writer;
    private final FlushPolicy policy;
    private final CommitLog log;
    private final ReentrantLock flushLock = new ReentrantLock();
    private final ReentrantLock timerLock = new ReentrantLock();
    private final Condition wake = timerLock.newCondition();
    private volatile boolean stopped;
    private Thread thread;
    /** Guarded by flushLock. */
    private long lastWrittenGeneration;
    /** Guarded by flushLock; System.nanoTime of the last write. */
    private long lastWriteNanos;

    private volatile int writes;

    /**
     * @param initialGeneration the generation already in the file (e.g. the loaded one): no write
     *                          happens until the database moves past it
     * @param log               the commit log to checkpoint, or null
     */
    public FlushScheduler(
            Database db, SnapshotWriter writer, FlushPolicy policy, CommitLog log, long initialGeneration) {
        this.db = db;
        this.writer = writer;
        this.policy = policy;
        this.log = log;
        this.lastWrittenGeneration = initialGeneration;
        this.lastWriteNanos = System.nanoTime();
    }

    /** Starts the background thread. */
    public synchronized FlushScheduler start() {
        if (thread != null) throw new IllegalStateException("already started");
        thread = Thread.ofPlatform().daemon().name("db-flush").start(this::run);
        return this;
    }

    private void run() {
        while (!stopped) {
            timerLock.lock();
            try {
                if (!stopped) wake.await(policy.checkInterval().toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                return;
            } finally {
                timerLock.unlock();
            }
            if (stopped) return;
            try {
                maybeFlush();
            } catch (IOException | RuntimeException e) {
                LOG.error("state.db flush failed; will retry", e);
            }
        }
    }

    /** Writes if the policy says so; returns whether it wrote. */
    boolean maybeFlush() throws IOException {
        return flushIfChanged(true);
    }

    /**
     * Writes now if the database moved past the last written generation, whatever the policy's
     * interval (for shutdown); returns whether it wrote.
     */
    public boolean flushIfChanged() throws IOException {
        return flushIfChanged(false);
    }

    private boolean flushIfChanged(boolean respectInterval) throws IOException {
        flushLock.lock();
        try {
            Snapshot s = db.snapshot();
            if (s.generation() <= lastWrittenGeneration) return false;
            if (respectInterval
                    && System.nanoTime() - lastWriteNanos < policy.minInterval().toNanos()) return false;
            write(s);
            return true;
        } finally {
            flushLock.unlock();
        }
    }

    /** Writes the current snapshot now, whatever the policy; returns its generation. */
    public long flushNow() throws IOException {
        flushLock.lock();
        try {
            Snapshot s = db.snapshot();
            write(s);
            return s.generation();
        } finally {
            flushLock.unlock();
        }
    }

    private void write(Snapshot s) throws IOException {
        DbImage image = s.image();
        writer.write(image);
        lastWrittenGeneration = image.generation();
        lastWriteNanos = System.nanoTime();
        writes++;
        if (log != null) log.checkpoint(image.generation());
    }

    /** Number of files written so far. */
    public int writes() {
        return writes;
    }

    /** Stops the thread (without a final write: call {@link #flushNow()} first for that). */
    @Override
    public void close() throws InterruptedException {
        stopped = true;
        timerLock.lock();
        try {
            wake.signalAll();
        } finally {
            timerLock.unlock();
        }
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) t.join();
    }
}
