package org.xapijava.server.dispatch;

import java.util.List;
import org.xapijava.model.MessageDef;
import org.xapijava.server.session.SessionInfo;

/** The RBAC stage: may this session call this message with these arguments? */
@FunctionalInterface
public interface Authorizer {
    /**
     * @param args the call's typed arguments after the session (map-key permissions look at {@code key})
     * @throws org.xapijava.model.errors.ApiError {@code RBAC_PERMISSION_DENIED} when not allowed
     */
    void check(SessionInfo session, MessageDef message, List<Object> args);

    /** The {@code host.call_extension} check done for unknown methods with a session. */
    default void checkPermission(SessionInfo session, String permission) {}
}
