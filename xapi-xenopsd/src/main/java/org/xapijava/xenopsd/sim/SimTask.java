package org.xapijava.xenopsd.sim;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.xapijava.xenopsd.TaskInfo;
import org.xapijava.xenopsd.XenopsError;

/**
 * One xenopsd task ({@code task_handle} of {@code ocaml/xapi-idl/lib/task_server.ml}): its state, the
 * cancellation flag, cancellation points, and whether it may be cancelled at all.
 *
 * <p>Cancellation: {@link #cancel()} sets the flag (unless the task is not cancellable) and wakes
 * {@link #sleep simulated delays}; the running work notices it at the next {@link #checkCancelling()} (every
 * atomic starts with one) or inside a delay, and fails with {@code Cancelled id}. {@link #prohibitCancellation()}
 * is itself a cancellation point and then makes later cancels no-ops, as xenopsd does just before a domain is
 * suspended.
 *
 * <p>Thread-safe: the fields are guarded by {@link #lock}; {@link #done} completes once when the task finishes.
 */
final class SimTask {
    final String id;
    final String dbg;
    final double ctime;
    /** Cancel at this cancellation point (the {@code set-cancel-trigger} test hook), or 0. */
    private final int testCancelAt;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private TaskInfo.State state = new TaskInfo.Pending(0.0);
    private boolean cancelling;
    private boolean cancellable = true;
    private int cancelPointsSeen;
    private boolean destroyOnFinish;
    private String backtrace = "()";

    /** Completes (normally) when the task has finished, whatever its outcome. */
    final CompletableFuture<Void> done = new CompletableFuture<>();

    SimTask(String id, String dbg, int testCancelAt) {
        this.id = id;
        this.dbg = dbg;
        this.ctime = System.currentTimeMillis() / 1000.0;
        this.testCancelAt = testCancelAt;
    }

    TaskInfo info() {
        lock.lock();
        try {
            Map<String, String> debugInfo = new LinkedHashMap<>();
            debugInfo.put("cancel_points_seen", Integer.toString(cancelPointsSeen));
            return new TaskInfo(id, dbg, ctime, state, Map.of(), debugInfo, backtrace, cancellable);
        } finally {
            lock.unlock();
        }
    }

    TaskInfo.State state() {
        lock.lock();
        try {
            return state;
        } finally {
            lock.unlock();
        }
    }

    void setProgress(double p) {
        lock.lock();
        try {
            if (state instanceof TaskInfo.Pending) state = new TaskInfo.Pending(p);
        } finally {
            lock.unlock();
        }
    }

    /** Records the outcome; returns whether the task should now be destroyed (destroy_on_finish). */
    boolean finish(TaskInfo.State outcome, String bt) {
        lock.lock();
        try {
            state = outcome;
            if (bt != null) backtrace = bt;
            return destroyOnFinish;
        } finally {
            lock.unlock();
            done.complete(null);
        }
    }

    boolean finished() {
        return done.isDone();
    }

    /** {@code Task.cancel}: ignored when not cancellable. */
    void cancel() {
        lock.lock();
        try {
            if (!cancellable) return;
            cancelling = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** A cancellation point. @throws XenopsError {@code Cancelled id} when the task is being cancelled */
    void checkCancelling() {
        lock.lock();
        try {
            checkLocked();
        } finally {
            lock.unlock();
        }
    }

    private void checkLocked() {
        cancelPointsSeen++;
        if (cancelling) throw XenopsError.cancelled(id);
        if (testCancelAt > 0 && cancelPointsSeen == testCancelAt) {
            cancelling = true;
            throw XenopsError.cancelled(id);
        }
    }

    /** From here on the task cannot be cancelled (a last cancellation point first). */
    void prohibitCancellation() {
        lock.lock();
        try {
            checkLocked();
            cancellable = false;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A simulated duration: waits {@code millis} unless the task is cancelled meanwhile (then
     * {@code Cancelled id}). A task that can no longer be cancelled just waits.
     */
    void sleep(long millis) {
        if (millis <= 0) return;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        lock.lock();
        try {
            for (; ; ) {
                if (cancelling && cancellable) throw XenopsError.cancelled(id);
                long left = deadline - System.nanoTime();
                if (left <= 0) return;
                wake.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw XenopsError.internalError("interrupted");
        } finally {
            lock.unlock();
        }
    }

    /** Marks the task to be destroyed when it finishes; returns whether it has finished already. */
    boolean destroyOnFinish() {
        lock.lock();
        try {
            destroyOnFinish = true;
            return !(state instanceof TaskInfo.Pending);
        } finally {
            lock.unlock();
        }
    }
}
