package org.xapijava.cli.server;

import java.util.List;
import java.util.Map;
import java.util.function.DoubleConsumer;
import org.xapijava.model.api.enums.TaskStatusType;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;

/** Waiting for tasks as Xapi's CLI does ({@code cli_util.ml track}, {@code result_from_task}). */
final class Tasks {
    private Tasks() {}

    /** Blocks until {@code task} is no longer pending, telling {@code progress} each update (event.from, 30 s waits). */
    static void track(XenApi api, String task, DoubleConsumer progress) {
        track(api, task, progress, null);
    }

    /** {@link #track(XenApi, String, DoubleConsumer)}, also ending (within a second) once {@code stop} says so. */
    static void track(XenApi api, String task, DoubleConsumer progress, java.util.function.BooleanSupplier stop) {
        List<String> classes = List.of("task/" + task);
        String token = "";
        double wait = stop == null ? 30.0 : 1.0;
        while (api.task().getStatus(task) == TaskStatusType.PENDING) {
            if (stop != null && stop.getAsBoolean()) return;
            Map<String, Object> batch = eventFrom(api, classes, token, wait);
            token = String.valueOf(batch.get("token"));
            if (progress != null && batch.get("events") instanceof List<?> events) {
                for (Object e : events) {
                    if (e instanceof Map<?, ?> ev && ev.get("snapshot") instanceof Map<?, ?> snap) {
                        Object p = snap.get("progress");
                        if (p instanceof Number n) progress.accept(n.doubleValue());
                        else if (p != null) progress.accept(Double.parseDouble(p.toString()));
                    }
                }
            }
        }
    }

    /**
     * {@code event.from} as the wire gives it ({@code events}, {@code valid_ref_counts}, {@code token}): the typed
     * client cannot read its result, an {@code event_batch} record the datamodel has no class for.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> eventFrom(XenApi api, List<String> classes, String token, double timeout) {
        return (Map<String, Object>)
                api.transport().call("event.from", List.of(api.sessionRef(), classes, token, timeout));
    }

    /** {@code result_from_task}: nothing on success, the task's error otherwise. */
    static void check(XenApi api, String task) {
        switch (api.task().getStatus(task)) {
            case CANCELLING, CANCELLED -> throw new ApiError("TASK_CANCELLED", task);
            case PENDING -> throw new IllegalStateException("wait_for_task_completion failed; task is still pending");
            case SUCCESS -> {}
            case FAILURE -> {
                List<String> info = api.task().getErrorInfo(task);
                if (info.isEmpty()) throw new IllegalStateException("Task failed but no error recorded: " + task);
                throw new ApiError(info.get(0), info.subList(1, info.size()));
            }
        }
    }

    /**
     * Xapi's {@code waiter}: waits for an asynchronous call's task (drawing Xapi's progress line on stderr when the
     * command has a {@code progress} parameter), raises its error, destroys it.
     */
    static void await(CommandContext c, String task) {
        try {
            if (c.params().has("progress")) {
                track(c.api(), task, p -> c.out().stderr(bar(p)));
                c.out().stderr("\n");
            } else {
                track(c.api(), task, null);
            }
            check(c.api(), task);
        } finally {
            try {
                c.api().task().destroy(task);
            } catch (ApiError e) {
                // already gone
            }
        }
    }

    /** Xapi's {@code progress_bar} line: {@code \r NNN% c ####}. */
    static String bar(double progress) {
        int pct = (int) (progress * 100);
        char c = "|/-\\".charAt(Math.floorMod(pct, 4));
        return String.format("\r %3d%% %c %s", pct, c, "#".repeat(Math.max(0, (int) (progress * 70))));
    }
}
