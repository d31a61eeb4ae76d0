package org.xapijava.server.xenops;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.db.Update;
import org.xapijava.model.api.Task;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.task.TaskManager;
import org.xapijava.xenopsd.DynamicId;
import org.xapijava.xenopsd.TaskInfo;
import org.xapijava.xenopsd.Updates;
import org.xapijava.xenopsd.Xenops;

/**
 * Xapi's binding of its tasks to xenopsd's ({@code register_task}, {@code wait_for_task},
 * {@code unregister_task}, {@code success_task}, {@code update_task} of {@code ocaml/xapi/xapi_xenops.ml} with
 * {@code TaskHelper}): while a xenopsd task runs for a call, the call's xapi task is cancellable and
 * {@code task.cancel} becomes xenopsd's {@code Task.cancel}; the event thread copies the xenopsd task's
 * progress into the xapi task; when it ends, its outcome is taken and the xenopsd task destroyed.
 * Thread-safe.
 */
final class TaskBinding {
    private static final Logger LOG = LoggerFactory.getLogger(TaskBinding.class);
    /** Xapi's {@code event_wait} polls {@code UPDATES.get} with this timeout (seconds). */
    static final int WAIT_POLL_SECONDS = 30;

    private final Db data;
    private final TaskManager tasks;
    private final Xenops xenops;
    /** While the event thread follows xenopsd's updates, a waiter asks for the task's state this often anyway. */
    static final long FOLLOWED_RECHECK_MS = 1_000;

    /** xenopsd task id → xapi task ref ({@code TaskHelper}'s id_to_task table). */
    private final Map<String, String> byXenopsTask = new ConcurrentHashMap<>();
    /** xenopsd task id → where its waiter parks; the event thread leaves there what an update naming it shows. */
    private final Map<String, Watch> watched = new ConcurrentHashMap<>();

    private final long recheckMs;
    /** Whether the event thread is reading xenopsd's updates (see {@link #following}). */
    private volatile boolean followed;

    TaskBinding(Db data, TaskManager tasks, Xenops xenops) {
        this(data, tasks, xenops, FOLLOWED_RECHECK_MS);
    }

    /** With the period of a followed waiter's own look at its task (tests lengthen it). */
    TaskBinding(Db data, TaskManager tasks, Xenops xenops, long recheckMs) {
        this.data = data;
        this.tasks = tasks;
        this.xenops = xenops;
        this.recheckMs = recheckMs;
    }

    static String dbg(CallContext ctx) {
        return ctx == null || ctx.taskRef() == null ? "xapi" : ctx.taskRef();
    }

    /** The xapi task bound to xenopsd task {@code id}, or null. */
    String taskOf(String id) {
        return byXenopsTask.get(id);
    }

    /**
     * {@code sync_with_task}: binds the call's task to xenopsd task {@code id} (cancellable unless
     * {@code cancellable} is false), waits for it to end, unbinds it, and returns its result or throws its
     * error ({@link org.xapijava.xenopsd.XenopsError}); the xenopsd task is destroyed in every case.
     */
    Object syncWithTask(CallContext ctx, String id, boolean cancellable) {
        register(ctx, id, cancellable);
        TaskInfo end;
        try {
            end = waitFor(dbg(ctx), id);
        } finally {
            // Xapi unbinds before reading the outcome: a cancelled task's error then names no xapi task
            unregister(ctx, id);
        }
        return success(dbg(ctx), id, ctx, end);
    }

    /** {@code sync}: waits for a task that is not bound to the call's task, then takes its outcome. */
    Object sync(CallContext ctx, String id) {
        return success(dbg(ctx), id, ctx, waitFor(dbg(ctx), id));
    }

    private void register(CallContext ctx, String id, boolean cancellable) {
        String task = ctx == null ? null : ctx.taskRef();
        if (task == null) return;
        byXenopsTask.put(id, task);
        if (cancellable) {
            String dbg = dbg(ctx);
            Runnable cancel = () -> {
                LOG.info("xenops: TASK.cancel {}", id);
                xenops.taskCancel(dbg, id);
            };
            tasks.setCancellable(task, cancel);
            // a cancel that came before the binding (the task is cancellable while it waits for locks)
            // found no xenopsd task to pass on to: pass it on now
            if (tasks.isCancelling(task)) cancel.run();
        } else {
            tasks.setNotCancellable(task);
        }
    }

    private void unregister(CallContext ctx, String id) {
        String task = ctx == null ? null : ctx.taskRef();
        if (task == null) return;
        tasks.setNotCancellable(task);
        byXenopsTask.remove(id, task);
    }

    /**
     * {@code wait_for_task}: returns the task's state once it has completed or failed. Xapi's waiter reads
     * {@code UPDATES.get} itself, from the newest event id, so that no end is missed; with many calls waiting at
     * once, each update then goes to every one of them, and each reads and decodes it. While the event thread
     * follows the updates ({@link #following}), a waiter instead parks until that thread has applied an update
     * naming its task ({@link #onTaskEvent}), and takes the state that thread read then (one {@code TASK.stat} per
     * update for both, where Xapi makes two); it asks for the state itself every {@value #FOLLOWED_RECHECK_MS} ms
     * in any case. Otherwise it polls as Xapi's does.
     */
    TaskInfo waitFor(String dbg, String id) {
        if (!followed) return pollUpdates(dbg, id);
        Watch w = new Watch();
        watched.put(id, w);
        try {
            Watch.Seen seen = w.now();
            // an update applied after this look reaches the watch: nothing is missed between the two
            TaskInfo info = xenops.taskStat(dbg, id);
            while (info.state() instanceof TaskInfo.Pending) {
                if (!followed) return pollUpdates(dbg, id); // the event thread stopped (after the watch was in place)
                Watch.Seen next;
                try {
                    next = w.awaitAfter(seen.version(), recheckMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return pollUpdates(dbg, id); // fails as Xapi's waiter does when interrupted
                }
                // what the event thread read, or a look of the waiter's own (time-out, or woken without a state)
                info = next.version() != seen.version() && next.info() != null ? next.info() : xenops.taskStat(dbg, id);
                seen = next;
            }
            return info;
        } finally {
            watched.remove(id, w);
        }
    }

    /**
     * Xapi's {@code wait_for_task}: follows {@code UPDATES.get} from the newest event id until the task ends;
     * returns its final state.
     */
    private TaskInfo pollUpdates(String dbg, String id) {
        Integer from = xenops.updatesLastId(dbg);
        TaskInfo info = xenops.taskStat(dbg, id);
        if (!(info.state() instanceof TaskInfo.Pending)) return info;
        for (; ; ) {
            Updates u = xenops.updatesGet(dbg, from, WAIT_POLL_SECONDS);
            from = u.nextId();
            for (DynamicId d : u.ids()) {
                if (d instanceof DynamicId.Task t && t.id().equals(id)) {
                    info = xenops.taskStat(dbg, id);
                    if (!(info.state() instanceof TaskInfo.Pending)) return info;
                }
            }
        }
    }

    /**
     * The event thread starts ({@code true}) or stops following xenopsd's updates; when it stops, every waiter
     * looks at its task again and goes back to polling.
     */
    void following(boolean on) {
        followed = on;
        if (!on) for (Watch w : watched.values()) w.offer(null);
    }

    /**
     * Where a waiter parks while the event thread follows xenopsd's updates: each application of an update naming
     * the task bumps the version and leaves the state it read (or none, when it could not read one).
     */
    private static final class Watch {
        record Seen(long version, TaskInfo info) {}

        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private Seen seen = new Seen(0, null);

        Seen now() {
            lock.lock();
            try {
                return seen;
            } finally {
                lock.unlock();
            }
        }

        void offer(TaskInfo info) {
            lock.lock();
            try {
                seen = new Seen(seen.version() + 1, info);
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        /** The newest state once its version differs from {@code version}, or the current one after {@code ms}. */
        Seen awaitAfter(long version, long ms) throws InterruptedException {
            long left = TimeUnit.MILLISECONDS.toNanos(ms);
            lock.lock();
            try {
                while (seen.version() == version && left > 0) left = changed.awaitNanos(left);
                return seen;
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * {@code success_task}: the result of a completed task (its final state {@code end} as the wait read it) ({@code debug_info} pairs copied into the call's
     * task as {@code debug_info:<k>}), or its error thrown; {@code Task.destroy} always follows.
     */
    private Object success(String dbg, String id, CallContext ctx, TaskInfo end) {
        RuntimeException failure = null;
        try {
            TaskInfo t = end != null && !(end.state() instanceof TaskInfo.Pending) ? end : xenops.taskStat(dbg, id);
            return switch (t.state()) {
                case TaskInfo.Completed c -> {
                    copyDebugInfo(ctx, t);
                    yield c.result();
                }
                case TaskInfo.Failed f -> throw f.toError();
                case TaskInfo.Pending p -> throw new IllegalStateException("Failure(\"task pending\")");
            };
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        } finally {
            try {
                xenops.taskDestroy(dbg, id);
            } catch (RuntimeException e) {
                if (failure == null) throw e;
                LOG.debug("destroying xenopsd task {} after a failure: {}", id, e.toString());
            }
        }
    }

    private void copyDebugInfo(CallContext ctx, TaskInfo t) {
        if (ctx == null || ctx.taskRef() == null || t.debugInfo().isEmpty()) return;
        String task = ctx.taskRef();
        if (!data.exists(Task.XAPI_CLASS, task)) return;
        Map<String, String> oc = data.get(task, Task.OTHER_CONFIG);
        Update.Builder u = Update.builder();
        for (Map.Entry<String, String> e : t.debugInfo().entrySet()) {
            String k = "debug_info:" + e.getKey();
            if (!oc.containsKey(k)) u.addToMap(task, Task.OTHER_CONFIG, k, e.getValue());
        }
        if (!u.isEmpty()) data.apply(u.build());
    }

    /**
     * {@code update_task} (event thread, for each update naming xenopsd task {@code id}): a pending task's
     * progress into its xapi task, and {@code cancel} removed from the xapi task's allowed operations while
     * xenopsd says it cannot be cancelled; then the state read is handed to the task's waiter, if any.
     */
    void onTaskEvent(String dbg, String id) {
        String task = byXenopsTask.get(id);
        Watch w = watched.get(id);
        if (task == null && w == null) return;
        TaskInfo t;
        try {
            t = xenops.taskStat(dbg, id);
        } catch (RuntimeException e) {
            LOG.debug("xenopsd event: task {} vanished: {}", id, e.toString());
            if (w != null) w.offer(null); // its waiter looks for itself, and meets the error
            return;
        }
        try {
            if (task != null && t.state() instanceof TaskInfo.Pending p) {
                tasks.setProgress(task, p.progress());
                if (!t.cancellable()
                        && data.exists(Task.XAPI_CLASS, task)
                        && "pending".equals(data.get(task, Task.STATUS))
                        && data.get(task, Task.ALLOWED_OPERATIONS).contains("cancel")) {
                    data.removeFromSet(task, Task.ALLOWED_OPERATIONS, "cancel");
                }
            }
        } finally {
            if (w != null) w.offer(t);
        }
    }

    /** Forgets every binding (the daemon restarted: its task ids start again). */
    void clear() {
        byXenopsTask.clear();
    }
}
