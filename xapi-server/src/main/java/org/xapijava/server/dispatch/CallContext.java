package org.xapijava.server.dispatch;

import org.xapijava.db.Database;
import org.xapijava.model.MessageDef;
import org.xapijava.server.Services;
import org.xapijava.server.session.SessionInfo;

/**
 * One call in progress: which message, who called it, through which session, under which task.
 * Confined to the thread running the call (an async call's context moves to the task's thread once).
 */
public final class CallContext {
    private final Services services;
    private final MessageDef message;
    private final String label;
    private final Caller caller;
    private final SessionInfo session;
    private final String taskRef;

    public CallContext(
            Services services, MessageDef message, String label, Caller caller, SessionInfo session, String taskRef) {
        this.services = services;
        this.message = message;
        this.label = label;
        this.caller = caller;
        this.session = session;
        this.taskRef = taskRef;
    }

    public Services services() {
        return services;
    }

    public Database db() {
        return services.db();
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
        if (taskRef != null) services.tasks().checkCancelled(taskRef);
    }

    /** Sets the progress of this call's task, if any. */
    public void setProgress(double p) {
        if (taskRef != null) services.tasks().setProgress(taskRef, p);
    }

    CallContext withTask(String task) {
        return new CallContext(services, message, label, caller, session, task);
    }
}
