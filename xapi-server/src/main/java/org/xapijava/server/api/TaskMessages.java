package org.xapijava.server.api;

import java.util.List;
import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.model.api.Session;
import org.xapijava.model.api.Task;
import org.xapijava.model.api.enums.TaskStatusType;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rbac.Rbac;
import org.xapijava.server.api.gen.TaskApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.task.TaskManager;

/** {@code task.*} (xapi_task.ml): create, cancel, destroy and the internal setters. */
public final class TaskMessages implements TaskApi, Messages {
    /** Xapi's extra permission to cancel or destroy other users' tasks. */
    static final String DESTROY_ANY = "task.destroy/any";

    private final TaskManager tasks;
    private final Rbac rbac;

    public TaskMessages(TaskManager tasks, Rbac rbac) {
        this.tasks = tasks;
        this.rbac = rbac;
    }

    @Override
    public void bind(MessageTable table) {
        TaskApi.bind(table, this);
    }

    @Override
    public String create(CallContext ctx, String label, String description) {
        return tasks.create(label, description, ctx.sessionRef(), ctx.taskRef(), Map.of());
    }

    @Override
    public void cancel(CallContext ctx, String task) {
        assertCanTouch(ctx, task);
        tasks.cancel(task, ctx.taskRef());
    }

    @Override
    public void destroy(CallContext ctx, String self) {
        assertCanTouch(ctx, self);
        tasks.destroy(self);
    }

    @Override
    public void setStatus(CallContext ctx, String self, TaskStatusType value) {
        ctx.data().set(self, Task.STATUS, value.wire());
    }

    @Override
    public void setProgress(CallContext ctx, String self, double value) {
        ctx.data().set(self, Task.PROGRESS, value);
    }

    @Override
    public void setResult(CallContext ctx, String self, String value) {
        ctx.data().set(self, Task.RESULT, value);
    }

    @Override
    public void setErrorInfo(CallContext ctx, String self, List<String> value) {
        ctx.data().set(self, Task.ERROR_INFO, value);
    }

    /**
     * Xapi's rule: the caller's own tasks (same user as the task's session), else
     * {@code task.destroy/any}.
     */
    private void assertCanTouch(CallContext ctx, String task) {
        Db s = ctx.data();
        if (!s.exists(Task.XAPI_CLASS, task)) throw ApiError.handleInvalid(Task.XAPI_CLASS, task);
        if (ctx.session() == null || ctx.session().unrestricted()) return;
        if (ctx.session().permissions().contains(DESTROY_ANY)) return;
        String owner = s.get(task, Task.SESSION);
        if (ctx.sessionRef().equals(owner)) return;
        if (s.exists(Session.XAPI_CLASS, owner)) {
            String sid = s.get(owner, Session.AUTH_USER_SID);
            if (sid.equals(ctx.session().authUserSid())) return;
        }
        throw rbac.denied(DESTROY_ANY);
    }
}
