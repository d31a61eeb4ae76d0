package org.xapijava.server.task;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Database;
import org.xapijava.db.DbReader;
import org.xapijava.db.Snapshot;
import org.xapijava.model.api.Task;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;

/**
 * Tasks as Xapi keeps them ({@code taskHelper.ml}, {@code xapi_task.ml}, {@code db_gc_util.ml}):
 * rows of the non-persistent, event-generating {@code task} table. Every state change is a
 * database write, so clients follow tasks through {@code event.from}. Thread-safe.
 */
public final class TaskManager {
    private static final Logger LOG = LoggerFactory.getLogger(TaskManager.class);

    /** Xapi's {@code completed_task_timeout}: finished tasks are deleted after 65 min. */
    public static final Duration COMPLETED_TIMEOUT = Duration.ofSeconds(3900);
    /** Xapi's {@code pending_task_timeout}: stuck pending tasks are deleted after a day. */
    public static final Duration PENDING_TIMEOUT = Duration.ofSeconds(86400);
    /** Xapi's {@code max_tasks}: beyond this, the oldest completed tasks are deleted by the GC. */
    public static final int MAX_TASKS = 200;

    private final Database db;
    private final Clock clock;
    private final String hostRef;
    /** Hooks that cancel the work behind a task (xenopsd task, storage task, stream), by task ref. */
    private final Map<String, Runnable> cancelHooks = new ConcurrentHashMap<>();
    /** Progress seen by the previous GC pass, for pending tasks (Xapi deletes only stuck ones). */
    private final Map<String, Double> progressAtLastGc = new ConcurrentHashMap<>();

    public TaskManager(Database db, Clock clock, String hostRef) {
        this.db = db;
        this.clock = clock;
        this.hostRef = hostRef;
    }

    /**
     * Creates a pending task. {@code subtaskOf} is kept only if it names a task.
     *
     * @param otherConfig initial other_config (e.g. {@code http:<k>} from x-http-other-config-* headers)
     */
    public String create(
            String label, String description, String sessionRef, String subtaskOf, Map<String, String> otherConfig) {
        String ref = Refs.fresh();
        Map<String, Object> row = new HashMap<>();
        row.put("uuid", UUID.randomUUID().toString());
        row.put("name_label", label);
        row.put("name_description", description == null ? "" : description);
        row.put("created", now());
        row.put("finished", DateTime.EPOCH);
        row.put("status", "pending");
        row.put("resident_on", hostRef);
        row.put("progress", 0.0);
        row.put("type", "<none/>");
        row.put("result", "");
        row.put("error_info", List.of());
        row.put("other_config", otherConfig == null ? Map.of() : otherConfig);
        row.put("backtrace", "()");
        row.put("session", sessionRef == null ? Refs.NULL : sessionRef);
        row.put("externalpid", -1L);
        row.put("stunnelpid", -1L);
        row.put("forwarded", false);
        row.put("forwarded_to", Refs.NULL);
        db.transact(tx -> {
            boolean parentOk = subtaskOf != null && tx.exists("task", subtaskOf);
            row.put("subtask_of", parentOk ? subtaskOf : Refs.NULL);
            tx.create("task", ref, row);
        });
        return ref;
    }

    private DateTime now() {
        return DateTime.ofInstant(clock.instant());
    }

    /** Whether {@code ref} is a task still pending, in a snapshot or inside a transaction. */
    private static boolean pending(DbReader r, String ref) {
        return r.exists("task", ref) && "pending".equals(r.get(ref, Task.STATUS));
    }

    /** Sets progress (0.0–1.0) of a pending task; no-op on a finished or vanished one. */
    public void setProgress(String ref, double progress) {
        db.transact(tx -> {
            if (pending(tx, ref)) {
                tx.set(ref, Task.PROGRESS, Math.max(0.0, Math.min(1.0, progress)));
            }
        });
    }

    /** {@code TaskHelper.set_cancellable}: allowed_operations = [cancel]. */
    public void setCancellable(String ref, Runnable onCancel) {
        if (onCancel != null) cancelHooks.put(ref, onCancel);
        db.transact(tx -> {
            if (pending(tx, ref)) {
                tx.set(ref, Task.ALLOWED_OPERATIONS, List.of("cancel"));
            }
        });
    }

    /** {@code TaskHelper.set_not_cancellable}. */
    public void setNotCancellable(String ref) {
        cancelHooks.remove(ref);
        db.transact(tx -> {
            if (pending(tx, ref)) {
                tx.set(ref, Task.ALLOWED_OPERATIONS, List.of());
            }
        });
    }

    /** Completes a pending task with an XML-RPC {@code <value>} fragment as its result. */
    public void complete(String ref, String resultXml) {
        cancelHooks.remove(ref);
        db.transact(tx -> {
            if (!pending(tx, ref)) return;
            tx.set(ref, Task.ALLOWED_OPERATIONS, List.of());
            tx.set(ref, Task.FINISHED, now());
            tx.set(ref, Task.PROGRESS, 1.0);
            tx.set(ref, Task.RESULT, resultXml);
            tx.set(ref, Task.STATUS, "success");
        });
    }

    /** Fails a pending task: {@code cancelled} when the error is TASK_CANCELLED, else {@code failure}. */
    public void fail(String ref, ApiError error, String backtrace) {
        cancelHooks.remove(ref);
        List<String> info = new ArrayList<>();
        info.add(error.code());
        info.addAll(error.params());
        db.transact(tx -> {
            if (!pending(tx, ref)) return;
            tx.set(ref, Task.PROGRESS, 1.0);
            tx.set(ref, Task.ERROR_INFO, info);
            tx.set(ref, Task.BACKTRACE, backtrace == null ? "()" : backtrace);
            tx.set(ref, Task.FINISHED, now());
            tx.set(ref, Task.ALLOWED_OPERATIONS, List.of());
            tx.set(ref, Task.STATUS, "TASK_CANCELLED".equals(error.code()) ? "cancelled" : "failure");
        });
    }

    /**
     * {@code task.cancel}: records {@code current_operations = {callerTask: cancel}} and runs the
     * task's cancel hook. Advisory, as in Xapi: running code notices through {@link #checkCancelled}.
     */
    public void cancel(String ref, String callerTaskOrNull) {
        Snapshot s = db.snapshot();
        if (!s.exists("task", ref)) throw ApiError.handleInvalid("task", ref);
        String key = callerTaskOrNull == null ? ref : callerTaskOrNull;
        db.transact(tx -> {
            if (!pending(tx, ref)) return;
            Map<String, String> ops = new LinkedHashMap<>();
            ops.put(key, "cancel");
            tx.set(ref, Task.CURRENT_OPERATIONS, ops);
        });
        Runnable hook = cancelHooks.get(ref);
        if (hook != null) {
            try {
                hook.run();
            } catch (RuntimeException e) {
                LOG.warn("cancel hook of task {} failed", ref, e);
            }
        }
    }

    /** Whether someone asked to cancel this task. */
    @SuppressWarnings("unchecked")
    public boolean isCancelling(String ref) {
        Snapshot s = db.snapshot();
        if (!s.exists("task", ref)) return false;
        Map<String, String> ops = s.get(ref, Task.CURRENT_OPERATIONS);
        return ops.containsValue("cancel");
    }

    /** {@code TaskHelper.exn_if_cancelling}: throws TASK_CANCELLED [ref] if cancellation was asked. */
    public void checkCancelled(String ref) {
        if (ref != null && isCancelling(ref)) throw new ApiError("TASK_CANCELLED", ref);
    }

    /**
     * {@code task.destroy}: a finished task's row is deleted; a pending one is flagged
     * {@code current_operations["task"] = destroy} and the GC deletes it once it finishes.
     */
    public void destroy(String ref) {
        db.transact(tx -> {
            if (!tx.exists("task", ref)) throw ApiError.handleInvalid("task", ref);
            if ("pending".equals(tx.get(ref, Task.STATUS))) {
                Map<String, String> ops = new LinkedHashMap<>(tx.get(ref, Task.CURRENT_OPERATIONS));
                ops.put("task", "destroy");
                tx.set(ref, Task.CURRENT_OPERATIONS, ops);
            } else {
                tx.delete("task", ref);
            }
        });
        cancelHooks.remove(ref);
    }

    /** Deletes the row now, whatever its state (end of a synchronous call's task). */
    public void forget(String ref) {
        cancelHooks.remove(ref);
        progressAtLastGc.remove(ref);
        db.transact(tx -> {
            if (tx.exists("task", ref)) tx.delete("task", ref);
        });
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object o) {
        return (Map<String, Object>) o;
    }

    /** One pass of Xapi's task GC ({@code db_gc_util.ml:timeout_tasks}). Returns how many were deleted. */
    public int collectGarbage() {
        Snapshot s = db.snapshot();
        Instant now = clock.instant();
        List<String> doomed = new ArrayList<>();
        List<Map.Entry<String, Instant>> completed = new ArrayList<>();
        Map<String, Double> seen = new HashMap<>();
        int remaining = 0;
        for (Map.Entry<String, Map<String, Object>> e : s.getAllRecords("task").entrySet()) {
            String ref = e.getKey();
            Map<String, Object> r = e.getValue();
            boolean isPending = "pending".equals(r.get("status"));
            Instant created = ((DateTime) r.get("created")).toInstant();
            if (isPending) {
                double progress = (Double) r.get("progress");
                Double before = progressAtLastGc.get(ref);
                if (created.plus(PENDING_TIMEOUT).isBefore(now) && before != null && before == progress) {
                    doomed.add(ref);
                    continue;
                }
                seen.put(ref, progress);
                remaining++;
                continue;
            }
            Instant finished = ((DateTime) r.get("finished")).toInstant();
            boolean flagged = castMap(r.get("current_operations")).containsValue("destroy");
            if (flagged || finished.plus(COMPLETED_TIMEOUT).isBefore(now)) {
                doomed.add(ref);
            } else {
                completed.add(Map.entry(ref, finished));
                remaining++;
            }
        }
        if (remaining > MAX_TASKS) {
            completed.sort(Map.Entry.comparingByValue());
            for (int i = 0; i < Math.min(completed.size(), remaining - MAX_TASKS); i++)
                doomed.add(completed.get(i).getKey());
        }
        progressAtLastGc.keySet().retainAll(seen.keySet());
        progressAtLastGc.putAll(seen);
        if (doomed.isEmpty()) return 0;
        db.transact(tx -> {
            for (String ref : doomed) if (tx.exists("task", ref)) tx.delete("task", ref);
        });
        doomed.forEach(cancelHooks::remove);
        return doomed.size();
    }

    /** Whether the task is still pending. */
    public boolean isPending(String ref) {
        return pending(db.snapshot(), ref);
    }
}
