package org.xapijava.server.ops;

import java.util.concurrent.Callable;
import org.xapijava.server.Services;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;

/**
 * Xapi's operation locking ({@code helpers.ml}, {@code message_forwarding.ml}): one short global lock
 * for check-and-mark of {@code current_operations}, the operation itself outside it, and
 * {@code allowed_operations} recomputed after every change. Thread-safe.
 *
 * <p>TEMPORARY SKELETON (issue 4, replaced before the issue lands): the API is fixed so that other
 * packages compile and run their tests against it; here nothing is checked or marked.
 */
public final class Locks {
    /** Xapi's retry policies for callers that meet {@code OTHER_OPERATION_IN_PROGRESS}. */
    public enum Retry { STANDARD, FAIL_QUICKLY, FAIL_IMMEDIATELY }

    private final Services services;

    public Locks(Services services) {
        this.services = services;
    }

    /**
     * Recomputes {@code allowed_operations} of one object of class {@code cls} ("VM", "VBD", "VIF",
     * "VDI", "SR", "host", "pool"), writing it only when it changed. Call after any change that can
     * change the answer (power state, template flag, devices added or removed, ...).
     */
    public void updateAllowedOperations(String cls, String ref) {

    }

    /** Throws the XenAPI error Xapi's checker gives for {@code op} on the object now; marks nothing. */
    public void assertOperationValid(String cls, String ref, String op) {

    }

    /**
     * Check-and-mark {@code cls/ref} with {@code op} under the global lock (waiting and retrying per
     * {@code retry} on {@code OTHER_OPERATION_IN_PROGRESS}), runs {@code body} without the lock, then
     * unmarks and recomputes {@code allowed_operations}, whatever the outcome.
     */
    public <T> T withOperation(CallContext ctx, String cls, String ref, String op, Retry retry, Callable<T> body)
            throws Exception {
        return body.call();
    }

    /**
     * Wraps every locking message already bound in {@code table} with Xapi's forwarding-layer marking
     * ({@code message_forwarding.ml}). Call once, after every module registered.
     */
    public void applyForwarding(MessageTable table) {

    }
}
