package org.xapijava.server.task;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.db.Update;
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
    /** The status of a task still running. */
    private static final String PENDING = "pending";

    private final Db data;
    private final Clock clock;
    private final String hostRef;
    /** Hooks that cancel the work behind a task (xenopsd task, storage task, stream), by task ref. */
    private final Map<String, Runnable> cancelHooks = new ConcurrentHashMap<>();
    /** Progress seen by the previous GC pass, for pending tasks (Xapi deletes only stuck ones). */
    private final Map<String, Double> progressAtLastGc = new ConcurrentHashMap<>();

    public TaskManager(Db data, Clock clock, String hostRef) {
        this.data = data;
        this.clock = clock;
        this.hostRef = hostRef;
    }

    /**
     * Creates a pending task. {@code subtaskOf} is kept only if it names a task (still there when the task
     * is created).
     *
     * @param otherConfig initial other_config (e.g. {@code http:<k>} from x-http-other-config-* headers)
     */
    public String create(
            String label, String description, String sessionRef, String subtaskOf, Map<String, String> otherConfig) {
        String ref = Refs.fresh();
        FieldValues row = FieldValues.of(Task.XAPI_CLASS)
                .with(Task.UUID, UUID.randomUUID().toString())
                .with(Task.NAME_LABEL, label)
                .with(Task.NAME_DESCRIPTION, description == null ? "" : description)
                .with(Task.CREATED, now())
                .with(Task.FINISHED, DateTime.EPOCH)
                .with(Task.STATUS, PENDING)
                .with(Task.RESIDENT_ON, hostRef)
                .with(Task.PROGRESS, 0.0)
                .with(Task.TYPE, "<none/>")
                .with(Task.RESULT, "")
                .with(Task.ERROR_INFO, List.of())
                .with(Task.OTHER_CONFIG, otherConfig == null ? Map.of() : otherConfig)
                .with(Task.BACKTRACE, "()")
                .with(Task.SESSION, sessionRef == null ? Refs.NULL : sessionRef)
                .with(Task.EXTERNALPID, -1L)
                .with(Task.STUNNELPID, -1L)
                .with(Task.FORWARDED, false)
                .with(Task.FORWARDED_TO, Refs.NULL);
        Db.retrying(() -> {
            Update.Builder u = Update.builder();
            OptionalLong parent = subtaskOf == null ? OptionalLong.empty() : data.version(Task.XAPI_CLASS, subtaskOf);
            parent.ifPresent(m -> u.unchanged(Task.XAPI_CLASS, subtaskOf, m));
            row.with(Task.SUBTASK_OF, parent.isPresent() ? subtaskOf : Refs.NULL);
            data.apply(u.create(ref, row).build());
        });
        return ref;
    }

    private DateTime now() {
        return DateTime.ofInstant(clock.instant());
    }

    /**
     * Applies {@code u} if {@code ref} is a task still pending when it is applied; else (finished, or gone)
     * changes nothing.
     */
    private void ifPending(String ref, Update.Builder u) {
        try {
            data.apply(u.expect(ref, Task.STATUS, PENDING, null).build());
        } catch (Db.Conflict finishedOrGone) {
            // nothing to do, as for Xapi's writes to a finished task
        }
    }

    /** Sets progress (0.0–1.0) of a pending task; no-op on a finished or vanished one. */
    public void setProgress(String ref, double progress) {
        ifPending(ref, Update.builder().set(ref, Task.PROGRESS, Math.max(0.0, Math.min(1.0, progress))));
    }

    /** {@code TaskHelper.set_cancellable}: allowed_operations = [cancel]. */
    public void setCancellable(String ref, Runnable onCancel) {
        if (onCancel != null) cancelHooks.put(ref, onCancel);
        ifPending(ref, Update.builder().set(ref, Task.ALLOWED_OPERATIONS, List.of("cancel")));
    }

    /** {@code TaskHelper.set_not_cancellable}. */
    public void setNotCancellable(String ref) {
        cancelHooks.remove(ref);
        ifPending(ref, Update.builder().set(ref, Task.ALLOWED_OPERATIONS, List.of()));
    }

    /** Completes a pending task with an XML-RPC {@code <value>} fragment as its result. */
    public void complete(String ref, String resultXml) {
        cancelHooks.remove(ref);
        ifPending(
                ref,
                Update.builder()
                        .set(ref, Task.ALLOWED_OPERATIONS, List.of())
                        .set(ref, Task.FINISHED, now())
                        .set(ref, Task.PROGRESS, 1.0)
                        .set(ref, Task.RESULT, resultXml)
                        .set(ref, Task.STATUS, "success"));
    }

    /** Fails a pending task: {@code cancelled} when the error is TASK_CANCELLED, else {@code failure}. */
    public void fail(String ref, ApiError error, String backtrace) {
        cancelHooks.remove(ref);
        List<String> info = new ArrayList<>();
        info.add(error.code());
        info.addAll(error.params());
        ifPending(
                ref,
                Update.builder()
                        .set(ref, Task.PROGRESS, 1.0)
                        .set(ref, Task.ERROR_INFO, info)
                        .set(ref, Task.BACKTRACE, backtrace == null ? "()" : backtrace)
                        .set(ref, Task.FINISHED, now())
                        .set(ref, Task.ALLOWED_OPERATIONS, List.of())
                        .set(ref, Task.STATUS, "TASK_CANCELLED".equals(error.code()) ? "cancelled" : "failure"));
    }

    /**
     * {@code task.cancel}: records {@code current_operations = {callerTask: cancel}} and runs the
     * task's cancel hook. Advisory, as in Xapi: running code notices through {@link #checkCancelled}.
     */
    public void cancel(String ref, String callerTaskOrNull) {
        if (!data.exists(Task.XAPI_CLASS, ref)) throw ApiError.handleInvalid(Task.XAPI_CLASS, ref);
        String key = callerTaskOrNull == null ? ref : callerTaskOrNull;
        Map<String, String> ops = new LinkedHashMap<>();
        ops.put(key, "cancel");
        ifPending(ref, Update.builder().set(ref, Task.CURRENT_OPERATIONS, ops));
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
    public boolean isCancelling(String ref) {
        Map<String, String> ops;
        try {
            ops = data.get(ref, Task.CURRENT_OPERATIONS);
        } catch (ApiError e) {
            if ("HANDLE_INVALID".equals(e.code())) return false;
            throw e;
        }
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
        Db.retrying(() -> {
            // HANDLE_INVALID when there is no such task
            Update.Builder u = Update.builder().unchanged(Task.XAPI_CLASS, ref, data.modified(Task.XAPI_CLASS, ref));
            if (PENDING.equals(data.get(ref, Task.STATUS))) {
                Map<String, String> ops = new LinkedHashMap<>(data.get(ref, Task.CURRENT_OPERATIONS));
                ops.put("task", "destroy");
                u.set(ref, Task.CURRENT_OPERATIONS, ops);
            } else {
                u.delete(Task.XAPI_CLASS, ref);
            }
            data.apply(u.build());
        });
        cancelHooks.remove(ref);
    }

    /** Deletes the row now, whatever its state (end of a synchronous call's task). */
    public void forget(String ref) {
        cancelHooks.remove(ref);
        progressAtLastGc.remove(ref);
        deleteIfThere(List.of(ref));
    }

    /** Deletes those of {@code tasks} that still exist, in one update. */
    private void deleteIfThere(List<String> tasks) {
        Db.retrying(() -> {
            Update.Builder u = Update.builder();
            for (String ref : tasks) {
                data.version(Task.XAPI_CLASS, ref)
                        .ifPresent(m -> u.unchanged(Task.XAPI_CLASS, ref, m).delete(Task.XAPI_CLASS, ref));
            }
            if (!u.isEmpty()) data.apply(u.build());
        });
    }

    /** One pass of Xapi's task GC ({@code db_gc_util.ml:timeout_tasks}). Returns how many were deleted. */
    public int collectGarbage() {
        Instant now = clock.instant();
        List<String> doomed = new ArrayList<>();
        List<Map.Entry<String, Instant>> completed = new ArrayList<>();
        Map<String, Double> seen = new HashMap<>();
        int remaining = 0;
        for (Map.Entry<String, Map<String, Object>> e :
                data.allRecords(Task.XAPI_CLASS).entrySet()) {
            String ref = e.getKey();
            Map<String, Object> r = e.getValue();
            boolean isPending = PENDING.equals(Db.value(r, Task.STATUS));
            Instant created = Db.value(r, Task.CREATED).toInstant();
            if (isPending) {
                double progress = Db.value(r, Task.PROGRESS);
                Double before = progressAtLastGc.get(ref);
                if (created.plus(PENDING_TIMEOUT).isBefore(now) && before != null && before == progress) {
                    doomed.add(ref);
                    continue;
                }
                seen.put(ref, progress);
                remaining++;
                continue;
            }
            Instant finished = Db.value(r, Task.FINISHED).toInstant();
            boolean flagged = Db.value(r, Task.CURRENT_OPERATIONS).containsValue("destroy");
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
        deleteIfThere(doomed);
        doomed.forEach(cancelHooks::remove);
        return doomed.size();
    }

    /** Whether the task is still pending. */
    public boolean isPending(String ref) {
        try {
            return PENDING.equals(data.get(ref, Task.STATUS));
        } catch (ApiError e) {
            if ("HANDLE_INVALID".equals(e.code())) return false;
            throw e;
        }
    }
}
