package org.xapijava.xenopsd.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.xapijava.xenopsd.DynamicId;
import org.xapijava.xenopsd.TaskInfo;
import org.xapijava.xenopsd.XenopsError;

/**
 * The task table ({@code task_server.ml}'s {@code tasks}): ids counting up from 0 in each run of the simulator,
 * {@code Task.stat/list/cancel/destroy/destroy_on_finish}, the outcome of a finished task
 * ({@code Xenops_task.run} then the worker's {@code finally}), and the {@code set-cancel-trigger} test hook (the
 * next task made with a given {@code dbg} is cancelled at its n-th cancellation point). A task's own progress
 * and cancellation live in {@link SimTask}; every change of a visible task is reported as a {@code Task} update.
 *
 * <p>Thread-safe: the table is a concurrent map; {@code triggerLock} guards the one-shot cancel trigger.
 */
final class Tasks {

    private static final System.Logger LOG = System.getLogger(Tasks.class.getName());

    private final Map<String, SimTask> tasks = new ConcurrentHashMap<>();
    private final AtomicLong counter = new AtomicLong();
    private final UpdateLog updates;

    private final ReentrantLock triggerLock = new ReentrantLock();
    /** The dbg of the next task to cancel, or {@code null}; guarded by {@code triggerLock}. */
    private String cancelTriggerDbg;
    /** At which cancellation point; guarded by {@code triggerLock}. */
    private int cancelTriggerAt;

    Tasks(UpdateLog updates) {
        this.updates = updates;
    }

    /** A new pending task, visible in the table. */
    SimTask create(String dbg) {
        int cancelAt = 0;
        triggerLock.lock();
        try {
            if (cancelTriggerDbg != null && cancelTriggerDbg.equals(dbg)) { // one shot
                cancelAt = cancelTriggerAt;
                cancelTriggerDbg = null;
            }
        } finally {
            triggerLock.unlock();
        }
        SimTask t = new SimTask(Long.toString(counter.getAndIncrement()), dbg, cancelAt);
        tasks.put(t.id, t);
        return t;
    }

    /** {@code DEBUG.trigger "set-cancel-trigger" [dbg; n]}. */
    void setCancelTrigger(String dbg, int n) {
        triggerLock.lock();
        try {
            cancelTriggerDbg = dbg;
            cancelTriggerAt = n;
        } finally {
            triggerLock.unlock();
        }
    }

    /** The task; {@code Does_not_exist ("task", id)} otherwise. */
    SimTask get(String id) {
        SimTask t = tasks.get(id);
        if (t == null) throw XenopsError.doesNotExist("task", id);
        return t;
    }

    boolean exists(String id) {
        return tasks.containsKey(id);
    }

    /** {@code TASK.destroy'}: {@code Does_not_exist} for an unknown task. */
    void destroy(String id) {
        if (tasks.remove(id) == null) throw XenopsError.doesNotExist("task", id);
        updates.remove(new DynamicId.Task(id));
    }

    /** Destroys the task if it is still in the table. */
    void destroyIfPresent(String id) {
        if (tasks.containsKey(id)) destroy(id);
    }

    /** {@code Task.destroy_on_finish}: destroyed now if finished, else when it finishes. */
    void destroyOnFinish(String id) {
        if (get(id).destroyOnFinish() && tasks.containsKey(id)) destroy(id);
    }

    /** Reports a change of the task, if it is still visible. */
    void signal(String id) {
        if (tasks.containsKey(id)) updates.add(new DynamicId.Task(id));
    }

    /** Every visible task, by id. */
    List<TaskInfo> list() {
        List<SimTask> ts = new ArrayList<>(tasks.values());
        ts.sort((a, b) -> a.id.compareTo(b.id));
        List<TaskInfo> r = new ArrayList<>(ts.size());
        for (SimTask t : ts) r.add(t.info());
        return r;
    }

    /**
     * Runs a task's body on this thread and records its outcome: completed with the body's result, failed with
     * its xenopsd error, or failed with {@code Internal_error} (and a backtrace) for anything else.
     */
    void run(SimTask t, Supplier<Object> body) {
        long start = System.nanoTime();
        TaskInfo.State outcome;
        String bt = null;
        try {
            Object result = body.get();
            outcome = new TaskInfo.Completed((System.nanoTime() - start) / 1e9, result);
        } catch (XenopsError e) {
            outcome = new TaskInfo.Failed(e.toRpc());
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "task " + t.id + " failed", e);
            outcome =
                    new TaskInfo.Failed(XenopsError.internalError(e.toString()).toRpc());
            bt = "((name(" + e.getClass().getName() + ")))";
        }
        boolean destroy = t.finish(outcome, bt);
        if (destroy) {
            tasks.remove(t.id);
            updates.remove(new DynamicId.Task(t.id));
        } else {
            signal(t.id);
        }
    }
}
