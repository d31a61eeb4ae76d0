package org.xapijava.server.task;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.xapijava.db.Database;

/** Waiting for tasks to end, as Xapi's {@code Tasks.wait_for_all}: woken by database changes, not polling. */
public final class TaskWaits {
    /** How long one wait lasts before looking again (a database change wakes it earlier). */
    static final Duration SLICE = Duration.ofSeconds(30);

    private TaskWaits() {}

    /**
     * Returns true once none of {@code refs} is pending (a task gone counts as ended), false when {@code timeout}
     * (null: none) passes first.
     *
     * @param db the database the tasks' states arrive in (a member's replica of its master's)
     */
    public static boolean awaitAll(Database db, TaskManager tasks, Collection<String> refs, Duration timeout)
            throws InterruptedException {
        long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        List<String> pending = new ArrayList<>(refs);
        while (true) {
            long g = db.generation();
            pending.removeIf(t -> !tasks.isPending(t));
            if (pending.isEmpty()) return true;
            long left = deadline - System.nanoTime();
            if (left <= 0) return false;
            db.awaitGeneration(g, Duration.ofNanos(Math.min(left, SLICE.toNanos())));
        }
    }
}
