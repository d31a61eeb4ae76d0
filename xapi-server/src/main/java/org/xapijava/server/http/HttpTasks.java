package org.xapijava.server.http;

import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Task;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.task.TaskManager;

/**
 * The task an HTTP handler runs in, as Xapi's {@code xapi_http.ml with_context}: the caller's {@code task_id}
 * (cookie or query; the handler then owns that task, which is how Xen Orchestra and {@code xe} follow a transfer),
 * else a new task of the handler's label for the caller's session ({@code subtask_of} kept). The handler completes
 * or fails it; an error escaping the handler fails it as Xapi's {@code add_handler} does. Thread-safe.
 */
public final class HttpTasks {
    private static final Logger LOG = LoggerFactory.getLogger(HttpTasks.class);

    private final Db data;
    private final TaskManager tasks;

    public HttpTasks(Db data, TaskManager tasks) {
        this.data = data;
        this.tasks = tasks;
    }

    /** The task manager the tasks live in (progress, cancellation). */
    public TaskManager manager() {
        return tasks;
    }

    /** The call's {@code task_id} when it names a task, else a new pending task labelled {@code label}. */
    public String begin(HttpCall call, String label) {
        String given = call.param(HttpParams.TASK_ID).orElse(null);
        if (given != null && data.exists(Task.XAPI_CLASS, given)) return given;
        String session = call.session() == null ? Refs.NULL : call.session();
        return tasks.create(
                label, "", session, call.param(HttpParams.SUBTASK_OF).orElse(null), Map.of());
    }

    /**
     * Xapi's {@code with_context ~dummy:true}: the caller's {@code task_id} task, if any and still pending, completes
     * (with no result) once the handler has answered; without one no task is made.
     */
    public void completeCallers(HttpCall call) {
        call.param(HttpParams.TASK_ID).ifPresent(task -> {
            try {
                tasks.complete(task, "");
            } catch (RuntimeException e) {
                // not a task, or no longer pending: Xapi's forwarded task would fail alike, after the answer
                LOG.debug(
                        "cannot complete task {} of {}: {}", task, call.action().name(), e.toString());
            }
        });
    }

    /**
     * The counterpart of {@link #completeCallers} for a handler's own failure (Xapi's {@code failwith} in the
     * handler): the caller's {@code task_id} task, if any and still pending, fails with {@code INTERNAL_ERROR} naming
     * {@code Failure(failure)}.
     */
    public void failCallers(HttpCall call, String failure) {
        call.param(HttpParams.TASK_ID).ifPresent(task -> {
            try {
                fail(task, ApiError.internal(org.xapijava.model.rpc.RpcValues.ocamlFailure(failure)));
            } catch (RuntimeException e) {
                LOG.debug("cannot fail task {} of {}: {}", task, call.action().name(), e.toString());
            }
        });
    }

    /** Completes {@code task} with an XML-RPC {@code <value>} (empty: no result). */
    public void complete(String task, String resultXml) {
        tasks.complete(task, resultXml);
    }

    /** Fails {@code task} (no-op when it is no longer pending). */
    public void fail(String task, ApiError error) {
        tasks.fail(task, error, null);
    }

    /**
     * Xapi's {@code add_handler} for an error that escaped the handler: the caller's {@code task_id} task, if still
     * pending, fails with {@code RBAC_PERMISSION_DENIED ["http/<action>", "<CODE>: [ p1; p2 ]"]}.
     */
    public void escaped(HttpCall call, ApiError error) {
        call.param(HttpParams.TASK_ID).ifPresent(task -> {
            try {
                tasks.fail(
                        task,
                        new ApiError(
                                ErrorCodes.RBAC_PERMISSION_DENIED,
                                List.of(
                                        "http/" + call.action().name(),
                                        error.code() + ": [ " + String.join("; ", error.params()) + " ]")),
                        null);
            } catch (ApiError e) {
                LOG.debug("cannot fail task {} of {}: {}", task, call.action().name(), e.toString());
            }
        });
    }
}
