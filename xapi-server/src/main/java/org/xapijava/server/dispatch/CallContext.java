package org.xapijava.server.dispatch;

import org.xapijava.db.Db;
import org.xapijava.model.MessageDef;
import org.xapijava.model.client.XenApi;
import org.xapijava.server.session.SessionInfo;
import org.xapijava.server.task.TaskManager;

/**
 * One call in progress: which message, who called it, through which session, under which task.
 * Confined to the thread running the call (an async call's context moves to the task's thread once).
 */
public final class CallContext {
    private final Db data;
    private final TaskManager tasks;

    private final MessageDef message;
    private final String label;
    private final Caller caller;
    private final SessionInfo session;
    private final String taskRef;
    private final InternalApi internal;

    /**
     * The XenAPI as implementations call it from inside (Xapi's {@code Helpers.call_api_functions}): the typed
     * client over the in-process transport, with this host's internal session, under a given task.
     */
    @FunctionalInterface
    public interface InternalApi {
        XenApi underTask(String taskRef);
    }

    public CallContext(
            Db data,
            TaskManager tasks,
            MessageDef message,
            String label,
            Caller caller,
            SessionInfo session,
            String taskRef) {
        this(data, tasks, message, label, caller, session, taskRef, null);
    }

    /**
     * @param data  the database as the call reaches it
     * @param tasks the tasks, for this call's progress and cancellation
     */
    public CallContext(
            Db data,
            TaskManager tasks,
            MessageDef message,
            String label,
            Caller caller,
            SessionInfo session,
            String taskRef,
            InternalApi internal) {
        this.data = data;
        this.tasks = tasks;
        this.message = message;
        this.label = label;
        this.caller = caller;
        this.session = session;
        this.taskRef = taskRef;
        this.internal = internal;
    }

    /**
     * The XenAPI for calls made from inside this call: through the dispatcher (so locking wraps them as a
     * client's call), under this host's internal (unrestricted) session, as Xapi's internal calls use a pool
     * session, and under this call's task, so that their progress and cancellation are this call's.
     *
     * @throws IllegalStateException when this context was made outside a dispatcher (unit tests)
     */
    public XenApi api() {
        if (internal == null) throw new IllegalStateException("no in-process XenAPI for " + label);
        return internal.underTask(taskRef);
    }

    /**
     * The XenAPI for a nested call that marks an object this call has marked too (e.g. {@code VM.revert}'s
     * {@code hard_shutdown} of the VM it marks {@code reverting}): the call runs under a task of its own, as each of
     * Xapi's internal calls does, so its marking has its own key.
     *
     * @throws IllegalStateException when this context was made outside a dispatcher (unit tests)
     */
    public XenApi apiInOwnTask() {
        if (internal == null) throw new IllegalStateException("no in-process XenAPI for " + label);
        return internal.underTask(null);
    }

    /** The database as this call reaches it (Xapi's {@code __context}'s database handle). */
    public Db data() {
        return data;
    }

    public MessageDef message() {
        return message;
    }

    /** The wire name as called ({@code Async.VM.start} or {@code VM.start}); Xapi's task label. */
    public String label() {
        return label;
    }

    public Caller caller() {
        return caller;
    }

    /** The caller's session; null for session-less messages (logins). */
    public SessionInfo session() {
        return session;
    }

    /** The caller's session ref, or null. */
    public String sessionRef() {
        return session == null ? null : session.ref();
    }

    /** The task this call runs under (async calls and async-capable sync calls), or null. */
    public String taskRef() {
        return taskRef;
    }

    /** Throws {@code TASK_CANCELLED [task]} if the caller's task was cancelled. */
    public void checkCancelled() {
        if (taskRef != null) tasks.checkCancelled(taskRef);
    }

    /** Sets the progress of this call's task, if any. */
    public void setProgress(double p) {
        if (taskRef != null) tasks.setProgress(taskRef, p);
    }

    CallContext withTask(String task) {
        return new CallContext(data, tasks, message, label, caller, session, task, internal);
    }
}
