package org.xapijava.server.sm;

import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Session;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.dispatch.CallContext;

/**
 * Xapi's {@code Sm.assert_session_has_internal_sr_access}, the guard of the SM-only calls: the caller's session
 * must carry {@code other_config:}{@value SmSessions#SR_KEY} equal to the SR concerned, else
 * {@code PERMISSION_DENIED [""]} — whoever the caller is (root and pool sessions included: only the SR's own plugin
 * session passes). Stateless.
 */
public final class SmAccess {
    private SmAccess() {}

    /** Whether the caller's session is an SM session for {@code sr}. */
    public static boolean has(CallContext ctx, String sr) {
        String session = ctx.sessionRef();
        Db data = ctx.data();
        // in-memory sessions (emergency and internal logins) have no other_config
        if (session == null || !data.exists(Session.XAPI_CLASS, session)) return false;
        Map<String, String> oc = data.get(session, Session.OTHER_CONFIG);
        return sr.equals(oc.get(SmSessions.SR_KEY));
    }

    /** Throws {@code PERMISSION_DENIED [""]} unless {@link #has}. */
    public static void check(CallContext ctx, String sr) {
        if (!has(ctx, sr)) throw new ApiError(ErrorCodes.PERMISSION_DENIED, "");
    }
}
