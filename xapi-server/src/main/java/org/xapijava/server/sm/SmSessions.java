package org.xapijava.server.sm;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.model.api.Session;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;

/**
 * The sessions a storage plugin calls back into xapi with (Xapi's {@code Xapi_session.SM}): a password-less
 * login of user {@value #USER_NAME}, local superuser, not a pool session, originator {@code xapi}, on this host,
 * whose {@code other_config} key {@value #SR_KEY} names the SR the plugin works on. Only a session whose key names
 * the SR concerned may make the SM-only calls ({@link SmAccess}). One session per plugin call, destroyed after it
 * (Xapi's default, {@code reuse_pool_sessions} off).
 *
 * <p>Thread-safe and usable from any thread (no call context needed): each session is one database row, created
 * and deleted in one step each.
 */
public final class SmSessions {
    /** Xapi's {@code sm_username}. */
    public static final String USER_NAME = "__sm__backend";

    /** Xapi's {@code Xapi_globs._sm_session}: the session's {@code other_config} key holding the SR ref. */
    public static final String SR_KEY = "_sm_session";

    /** Xapi's {@code xapi_internal_originator}, the originator of its internal password-less logins. */
    static final String ORIGINATOR = "xapi";

    private final Db data;
    private final Clock clock;
    private final String hostRef;

    /**
     * @param data    the database the sessions live in
     * @param clock   for {@code last_active} and {@code validation_time}
     * @param hostRef this host (the session's {@code this_host})
     */
    public SmSessions(Db data, Clock clock, String hostRef) {
        this.data = data;
        this.clock = clock;
        this.hostRef = hostRef;
    }

    /**
     * A new SM session for {@code srRef} ({@code create_session}); its ref, to pass to the plugin as
     * {@code session_ref}. {@code srRef} null or the null ref: a session with no SR access (Xapi's
     * {@code with_session None}, as for {@code sr_probe}).
     */
    public String open(String srRef) {
        String ref = Refs.fresh();
        DateTime now = DateTime.ofInstant(clock.instant());
        Map<String, String> otherConfig = srRef == null || srRef.equals(Refs.NULL) ? Map.of() : Map.of(SR_KEY, srRef);
        data.create(
                ref,
                FieldValues.of(Session.XAPI_CLASS)
                        .with(Session.UUID, UUID.randomUUID().toString())
                        .with(Session.THIS_HOST, hostRef)
                        .with(Session.THIS_USER, Refs.NULL)
                        .with(Session.LAST_ACTIVE, now)
                        .with(Session.POOL, false)
                        .with(Session.OTHER_CONFIG, otherConfig)
                        .with(Session.IS_LOCAL_SUPERUSER, true)
                        .with(Session.SUBJECT, Refs.NULL)
                        .with(Session.VALIDATION_TIME, now)
                        .with(Session.AUTH_USER_SID, "")
                        .with(Session.AUTH_USER_NAME, USER_NAME)
                        .with(Session.RBAC_PERMISSIONS, List.of())
                        .with(Session.PARENT, Refs.NULL)
                        .with(Session.ORIGINATOR, ORIGINATOR)
                        .with(Session.CLIENT_CERTIFICATE, false));
        return ref;
    }

    /** Destroys an SM session ({@code destroy_db_session}); one already gone (logged out, GC) is not an error. */
    public void close(String sessionRef) {
        try {
            data.delete(Session.XAPI_CLASS, sessionRef);
        } catch (ApiError gone) {
            // HANDLE_INVALID: destroyed meanwhile
        }
    }

    /** Xapi's {@code with_session}: runs {@code body} with a fresh SM session for {@code srRef}, then destroys it. */
    public <T> T with(String srRef, Function<String, T> body) {
        String session = open(srRef);
        try {
            return body.apply(session);
        } finally {
            close(session);
        }
    }
}
