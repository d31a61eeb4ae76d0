package org.xapijava.server.http;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rbac.Rbac;
import org.xapijava.server.dispatch.Caller;
import org.xapijava.server.session.PoolSecret;
import org.xapijava.server.session.SessionInfo;
import org.xapijava.server.session.SessionManager;
import org.xapijava.server.task.TaskManager;

/**
 * Xapi's authentication order for an HTTP action ({@code xapi_http.ml assert_credentials_ok}), one stage of the
 * {@link HttpHandlerTable}, run before every action that is not public:
 * <ol>
 *   <li>a caller on the Unix socket is trusted;</li>
 *   <li>{@code session_id} (cookie first, then query) must name a live session, else 401; then the session needs
 *       the permission {@code http/<action>}, else 403, and the {@code task_id} task (if any) is failed with
 *       {@code RBAC_PERMISSION_DENIED};</li>
 *   <li>a valid {@code pool_secret} (cookie, then query) is trusted without RBAC; an invalid one is 401;</li>
 *   <li>{@code Authorization: Basic} logs a temporary session in ({@code "<client> using Basic auth"}), checks its
 *       RBAC like a session's, and the table logs it out after the handler; wrong credentials are 401, another
 *       scheme is 500;</li>
 *   <li>nothing else: 401 (Xapi would try a client certificate first; we accept none).</li>
 * </ol>
 * A 401 carries {@code WWW-Authenticate: Basic realm="<action name>"}. Thread-safe.
 */
public final class HttpAuthentication {
    private static final Logger LOG = LoggerFactory.getLogger(HttpAuthentication.class);

    /** Why a request is refused: the status and, for 403, the RBAC error. */
    static final class Refusal extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        Refusal(int status, String why) {
            super(why, null, false, false);
            this.status = status;
        }
    }

    /** Who the caller proved to be: a session (its own or a temporary one), or a trusted door. */
    record Credentials(String session, boolean temporary, boolean localRoot) {}

    private final SessionManager sessions;
    private final PoolSecret poolSecret;
    private final Rbac rbac;
    private final TaskManager tasks;

    public HttpAuthentication(SessionManager sessions, PoolSecret poolSecret, Rbac rbac, TaskManager tasks) {
        this.sessions = sessions;
        this.poolSecret = poolSecret;
        this.rbac = rbac;
        this.tasks = tasks;
    }

    /**
     * Checks the credentials of {@code request} for {@code action}.
     *
     * @throws Refusal with 401 or 403
     */
    Credentials check(HttpAction action, Request request, Caller caller) throws Refusal {
        if (caller.localRoot()) return new Credentials(null, false, true);
        Optional<String> session = HttpParams.cookieOrQuery(request, "session_id");
        if (session.isPresent()) {
            SessionInfo s;
            try {
                s = sessions.check(session.get());
            } catch (ApiError e) {
                throw new Refusal(401, "session " + session.get() + " is not valid");
            }
            authorize(action, s, request);
            return new Credentials(s.ref(), false, false);
        }
        Optional<String> secret = HttpParams.cookieOrQuery(request, "pool_secret");
        if (secret.isPresent()) {
            if (poolSecret.isAuthorized(secret.get())) return new Credentials(null, false, false);
            throw new Refusal(401, "pool secret not valid");
        }
        String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (auth != null && auth.regionMatches(true, 0, "Basic ", 0, 6)) {
            String[] userPass = basic(auth.substring(6).trim());
            String temp;
            try {
                temp = sessions.loginWithPassword(
                        caller, userPass[0], userPass[1], caller.remoteAddress() + " using Basic auth", null);
            } catch (ApiError e) {
                throw new Refusal(401, "Basic credentials refused");
            }
            try {
                authorize(action, sessions.check(temp), request);
            } catch (Refusal r) {
                logout(temp);
                throw r;
            }
            return new Credentials(temp, true, false);
        }
        // Xapi's parser knows only Basic: another scheme is a Failure, answered 500
        if (auth != null) throw new Refusal(500, "unsupported authorization scheme");
        throw new Refusal(401, "no credentials");
    }

    private volatile org.xapijava.server.audit.AuditRecords audit;

    /** Records every session's check of an action in Xapi's RBAC audit log from now on. */
    public void setAudit(org.xapijava.server.audit.AuditRecords audit) {
        this.audit = audit;
    }

    /** The session's RBAC check of {@code http/<action>}; a denial fails the {@code task_id} task. */
    private void authorize(HttpAction action, SessionInfo s, Request request) throws Refusal {
        org.xapijava.server.audit.AuditRecords trail = audit;
        if (s.unrestricted() || s.permissions().contains(action.permission())) {
            if (trail != null) trail.http(s, action.permission(), false);
            return;
        }
        if (trail != null) trail.http(s, action.permission(), true);
        ApiError denied = rbac.denied(action.permission());
        HttpParams.cookieOrQuery(request, HttpParams.TASK_ID).ifPresent(task -> {
            try {
                tasks.fail(task, denied, null);
            } catch (RuntimeException e) {
                LOG.debug("cannot fail task {} of a refused {}: {}", task, action.name(), e.toString());
            }
        });
        throw new Refusal(403, denied.description().toString());
    }

    /** The user and password of a Basic credential ({@code user:password}, base64). */
    private static String[] basic(String encoded) throws Refusal {
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new Refusal(401, "malformed Basic credentials");
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) throw new Refusal(401, "malformed Basic credentials");
        return new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
    }

    void logout(String session) {
        try {
            sessions.logout(session);
        } catch (RuntimeException e) {
            LOG.debug("logout of temporary session {}: {}", session, e.toString());
        }
    }
}
