package org.xapijava.server.dispatch;

import java.util.List;
import org.xapijava.model.MessageDef;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.session.SessionInfo;

/**
 * Where the dispatcher reports the calls Xapi's RBAC audit log records ({@code rbac.ml check} calling
 * {@code rbac_audit.ml}): a call refused by RBAC, and a call allowed with its outcome. Implementations decide which
 * calls they keep, must be thread-safe and must never throw.
 */
public interface AuditTrail {
    /**
     * @param session the caller's session
     * @param m       the message called
     * @param args    its decoded arguments, without the session ({@link MessageDef#callParams()} order)
     * @param denied  whether RBAC refused the call
     * @param error   the call's error (null: it succeeded, or was denied)
     */
    void record(SessionInfo session, MessageDef m, List<Object> args, boolean denied, ApiError error);
}
