package org.xapijava.server.api;

import java.util.Map;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rbac.Rbac;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.task.TaskManager;

/** {@code task.*} (xapi_task.ml): create, cancel, destroy and the internal setters. */
public final class TaskApi implements ApiModule {
    /** Xapi's extra permission to cancel or destroy other users' tasks. */
    static final String DESTROY_ANY = "task.destroy/any";

    private final TaskManager tasks;
    private final Rbac rbac;

    public TaskApi(TaskManager tasks, Rbac rbac) {
        this.tasks = tasks;
        this.rbac = rbac;
    }

    @Override
    public void register(MessageTable t) {
        t.bind(
                "task.create",
                (ctx, a) ->
                        tasks.create((String) a.get(0), (String) a.get(1), ctx.sessionRef(), ctx.taskRef(), Map.of()));
        t.bind("task.cancel", (ctx, a) -> {
            String task = (String) a.get(0);
            assertCanTouch(ctx, task);
            tasks.cancel(task, ctx.taskRef());
            return null;
        });
        t.bind("task.destroy", (ctx, a) -> {
            String task = (String) a.get(0);
            assertCanTouch(ctx, task);
            tasks.destroy(task);
            return null;
        });
        t.bind("task.set_status", (ctx, a) -> {
            ctx.db().set("task", (String) a.get(0), "status", a.get(1));
            return null;
        });
        t.bind("task.set_progress", (ctx, a) -> {
            ctx.db().set("task", (String) a.get(0), "progress", a.get(1));
            return null;
        });
        t.bind("task.set_result", (ctx, a) -> {
            ctx.db().set("task", (String) a.get(0), "result", a.get(1));
            return null;
        });
        t.bind("task.set_error_info", (ctx, a) -> {
            ctx.db().set("task", (String) a.get(0), "error_info", a.get(1));
            return null;
        });
    }

    /**
     * Xapi's rule: the caller's own tasks (same user as the task's session), else
     * {@code task.destroy/any}.
     */
    private void assertCanTouch(CallContext ctx, String task) {
        if (!ctx.db().snapshot().exists("task", task)) throw ApiError.handleInvalid("task", task);
        if (ctx.session() == null || ctx.session().unrestricted()) return;
        if (ctx.session().permissions().contains(DESTROY_ANY)) return;
        String owner = (String) ctx.db().snapshot().get("task", task, "session");
        if (ctx.sessionRef().equals(owner)) return;
        var s = ctx.db().snapshot();
        if (s.exists("session", owner)) {
            String sid = (String) s.get("session", owner, "auth_user_sid");
            if (sid.equals(ctx.session().authUserSid())) return;
        }
        throw rbac.denied(DESTROY_ANY);
    }
}
