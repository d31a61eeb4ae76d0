package org.xapijava.server.session;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Database;
import org.xapijava.db.Db;
import org.xapijava.db.Snapshot;
import org.xapijava.db.Update;
import org.xapijava.model.api.Session;
import org.xapijava.model.api.Task;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rpc.WireRecord;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;
import org.xapijava.server.auth.AuthenticationFailure;
import org.xapijava.server.auth.Authenticator;
import org.xapijava.server.dispatch.Caller;

/**
 * Sessions as Xapi keeps them: rows of the non-persistent {@code session} table (so they vanish on
 * restart, as in Xapi), plus in-memory local sessions for emergency logins. Thread-safe: all state
 * is in the database or in concurrent maps.
 *
 * <p>Limits and expiry follow Xapi's {@code db_gc_util.ml:timeout_sessions}: idle sessions die after
 * 24 h; per group (originator, external user name, anonymous, pool) the oldest sessions beyond the
 * limit are destroyed; sessions with a pending task are never candidates.
 */
public final class SessionManager {
    private static final Logger LOG = LoggerFactory.getLogger(SessionManager.class);

    /** Xapi's {@code inactive_session_timeout}. */
    public static final Duration IDLE_TIMEOUT = Duration.ofHours(24);
    /** Xapi's {@code threshold_last_active}: last_active is rewritten at most this often. */
    public static final Duration LAST_ACTIVE_THRESHOLD = Duration.ofSeconds(600);
    /** Xapi's {@code max_sessions_per_originator} and {@code max_sessions_per_user_name}. */
    public static final int MAX_PER_ORIGINATOR = 500;
    /** Xapi's {@code max_sessions}: the anonymous group and the pool group. */
    public static final int MAX_ANONYMOUS = 400;

    private final Database db;
    private final Db data;
    private final Authenticator auth;
    private final Clock clock;
    private final String hostRef;
    private final PoolSecret poolSecret;
    private final Map<String, SessionInfo> localSessions = new ConcurrentHashMap<>();
    /**
     * What {@link #check} made of each session's row, by session ref, with the row it came from (database rows are
     * immutable: the same row object means the same record); pruned by {@link #collectGarbage}.
     */
    private final Map<String, Known> known = new ConcurrentHashMap<>();

    /**
     * @param db   the database sessions are read from (their rows, by identity, for {@link #check})
     * @param data the same database's interface, through which sessions are written
     */
    public SessionManager(
            Database db, Db data, Authenticator auth, Clock clock, String hostRef, PoolSecret poolSecret) {
        this.db = db;
        this.data = data;
        this.auth = auth;
        this.clock = clock;
        this.hostRef = hostRef;
        this.poolSecret = poolSecret;
    }

    public Clock clock() {
        return clock;
    }

    // ------------------------------------------------------------------ logins

    /** {@code session.login_with_password}: PAM (or the password file) unless the caller is local root. */
    public String loginWithPassword(Caller caller, String uname, String pwd, String originator, String parent) {
        checkPassword(caller, uname, pwd);
        return create(uname, originator, false, parent);
    }

    /** {@code session.slave_login}: a pool session, authenticated by the pool secret. */
    public String slaveLogin(String host, String psecret) {
        if (!poolSecret.isAuthorized(psecret)) {
            throw new ApiError("SESSION_AUTHENTICATION_FAILED", host, "Pool credentials invalid");
        }
        return create(host, "xapi", true, Refs.NULL);
    }

    /**
     * Xapi's {@code login_no_password} as {@code host.migrate_receive} uses it: a new session of the same user and
     * pool flag as the session {@code like}, for a migration's sender to use on this pool.
     */
    public String loginLike(String like) {
        SessionInfo s = check(like);
        return create(s.authUserName(), "", s.pool(), Refs.NULL);
    }

    /** {@code session.slave_local_login}: an in-memory session of this host only. */
    public String slaveLocalLogin(String psecret) {
        if (!poolSecret.isAuthorized(psecret)) {
            throw new ApiError("SESSION_AUTHENTICATION_FAILED", "", "Pool credentials invalid");
        }
        return createLocal("");
    }

    /**
     * A session for this host's own calls to its XenAPI (Xapi makes a pool session for its internal calls):
     * in memory, unrestricted, never expiring.
     */
    public String internalLogin() {
        return createLocal("");
    }

    /** {@code session.slave_local_login_with_password}: local PAM check, in-memory session. */
    public String slaveLocalLoginWithPassword(Caller caller, String uname, String pwd) {
        checkPassword(caller, uname, pwd);
        return createLocal(uname);
    }

    /** The password check of both logins; local root (the Unix socket) needs none. */
    private void checkPassword(Caller caller, String uname, String pwd) {
        if (caller.localRoot()) return;
        try {
            auth.authenticate(uname, pwd);
        } catch (AuthenticationFailure e) {
            LOG.info("login of {} from {} failed: {}", uname, caller.remoteAddress(), e.getMessage());
            throw new ApiError("SESSION_AUTHENTICATION_FAILED", uname, e.getMessage());
        }
    }

    private String createLocal(String uname) {
        String ref = "OpaqueRef:" + UUID.randomUUID();
        localSessions.put(ref, new SessionInfo(ref, true, false, true, Set.of(), "", uname));
        return ref;
    }

    private String create(String uname, String originator, boolean pool, String parent) {
        String ref = "OpaqueRef:" + UUID.randomUUID(); // SecureRandom-backed, as Xapi's make_secret
        DateTime now = DateTime.ofInstant(clock.instant());
        Map<String, Object> row = new HashMap<>();
        row.put("uuid", UUID.randomUUID().toString());
        row.put("this_host", hostRef);
        row.put("this_user", Refs.NULL);
        row.put("last_active", now);
        row.put("validation_time", now);
        row.put("pool", pool);
        row.put("is_local_superuser", true);
        row.put("auth_user_name", uname);
        row.put("originator", originator == null ? "" : originator);
        row.put("parent", parent == null || !db.snapshot().exists("session", parent) ? Refs.NULL : parent);
        data.create(ref, org.xapijava.db.FieldValues.ofNames(Session.XAPI_CLASS, row));
        return ref;
    }

    // ------------------------------------------------------------------ checks

    /**
     * The session behind {@code ref} ({@code SESSION_INVALID [ref]} if none). Refreshes
     * {@code last_active} when it is older than {@link #LAST_ACTIVE_THRESHOLD}.
     */
    @SuppressWarnings("unchecked")
    public SessionInfo check(String ref) {
        SessionInfo local = localSessions.get(ref);
        if (local != null) return local;
        Snapshot s = db.snapshot();
        if (ref == null || !s.exists("session", ref)) throw new ApiError("SESSION_INVALID", ref == null ? "" : ref);
        Map<String, Object> r = s.getRecord("session", ref);
        Object row = r instanceof WireRecord w ? w.version() : null;
        Known k = known.get(ref);
        if (k == null || row == null || k.row() != row) {
            k = new Known(row, (DateTime) r.get("last_active"), info(ref, r));
            if (row != null) known.put(ref, k);
        }
        DateTime last = k.lastActive();
        Instant now = clock.instant();
        if (last.toInstant().plus(LAST_ACTIVE_THRESHOLD).isBefore(now)) {
            try {
                data.apply(Update.builder()
                        .exists(Session.XAPI_CLASS, ref)
                        .set(ref, Session.LAST_ACTIVE, DateTime.ofInstant(now))
                        .build());
            } catch (ApiError ignored) {
                // destroyed concurrently; the call fails on its next database access
            }
        }
        return k.info();
    }

    @SuppressWarnings("unchecked")
    private static SessionInfo info(String ref, Map<String, Object> r) {
        List<String> perms = (List<String>) r.get("rbac_permissions");
        return new SessionInfo(
                ref,
                (Boolean) r.get("is_local_superuser"),
                (Boolean) r.get("pool"),
                false,
                perms.isEmpty() ? Set.of() : Set.copyOf(perms),
                (String) r.get("auth_user_sid"),
                (String) r.get("auth_user_name"));
    }

    private record Known(Object row, DateTime lastActive, SessionInfo info) {}

    /** Whether {@code ref} is a live session (database or local). */
    public boolean isValid(String ref) {
        return ref != null && (localSessions.containsKey(ref) || db.snapshot().exists("session", ref));
    }

    // ------------------------------------------------------------------ logouts

    /** {@code session.logout}: destroys the session (and its event registrations die with it). */
    public void logout(String ref) {
        if (localSessions.remove(ref) != null) return;
        known.remove(ref);
        destroy(ref);
    }

    /** Deletes session {@code ref}; one already gone is not an error. */
    private void destroy(String ref) {
        try {
            data.delete(Session.XAPI_CLASS, ref);
        } catch (ApiError gone) {
            // HANDLE_INVALID: destroyed concurrently
        }
    }

    /** {@code session.local_logout}. */
    public void localLogout(String ref) {
        localSessions.remove(ref);
    }

    /** {@code session.change_password}: checks the old password, then changes it. */
    public void changePassword(SessionInfo caller, String oldPwd, String newPwd) {
        String user = caller.authUserName();
        try {
            auth.changePassword(user, oldPwd, newPwd);
        } catch (AuthenticationFailure e) {
            throw new ApiError("CHANGE_PASSWORD_REJECTED", e.getMessage());
        }
    }

    /** {@code session.get_all_subject_identifiers}: sids of externally authenticated sessions. */
    public List<String> allSubjectIdentifiers() {
        Set<String> out = new java.util.LinkedHashSet<>();
        for (Map<String, Object> r : db.snapshot().getAllRecords("session").values()) {
            String sid = (String) r.get("auth_user_sid");
            if (!sid.isEmpty()) out.add(sid);
        }
        return new ArrayList<>(out);
    }

    /** {@code session.logout_subject_identifier}: never the caller's own session, never local superusers. */
    public void logoutSubjectIdentifier(String callerRef, String sid) {
        // one session at a time, as Xapi destroys them
        for (Map.Entry<String, Map<String, Object>> e :
                db.snapshot().getAllRecords(Session.XAPI_CLASS).entrySet()) {
            Map<String, Object> r = e.getValue();
            if (e.getKey().equals(callerRef) || (Boolean) r.get("is_local_superuser")) continue;
            if (sid.equals(r.get("auth_user_sid"))) destroy(e.getKey());
        }
    }

    // ------------------------------------------------------------------ garbage collection

    /**
     * One pass of Xapi's session GC: destroys idle sessions and the oldest beyond each group's limit.
     * Sessions with a pending task are kept. Returns how many were destroyed.
     */
    public int collectGarbage() {
        Snapshot s = db.snapshot();
        known.keySet().removeIf(ref -> !s.exists("session", ref));
        Instant now = clock.instant();
        Set<String> busy = new HashSet<>();
        for (Map.Entry<String, Map<String, Object>> t : s.getAllRecords("task").entrySet()) {
            if ("pending".equals(t.getValue().get("status"))) {
                // task.session is internal: not in the wire record
                String sess = (String) s.get(t.getKey(), Task.SESSION);
                // a pending task keeps its session and the session's ancestors alive
                while (sess != null && !Refs.NULL.equals(sess) && busy.add(sess) && s.exists("session", sess)) {
                    sess = (String) s.get(sess, Session.PARENT);
                }
            }
        }
        List<String> doomed = new ArrayList<>();
        Map<String, List<Map.Entry<String, Instant>>> groups = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, Object>> e :
                s.getAllRecords("session").entrySet()) {
            String ref = e.getKey();
            if (busy.contains(ref)) continue;
            Map<String, Object> r = e.getValue();
            Instant last = ((DateTime) r.get("last_active")).toInstant();
            if (last.plus(IDLE_TIMEOUT).isBefore(now)) {
                doomed.add(ref);
                continue;
            }
            groups.computeIfAbsent(groupOf(r), k -> new ArrayList<>()).add(Map.entry(ref, last));
        }
        for (Map.Entry<String, List<Map.Entry<String, Instant>>> g : groups.entrySet()) {
            int limit = g.getKey().startsWith("originator:") || g.getKey().startsWith("user:")
                    ? MAX_PER_ORIGINATOR
                    : MAX_ANONYMOUS;
            List<Map.Entry<String, Instant>> members = g.getValue();
            if (members.size() <= limit) continue;
            members.sort(Map.Entry.comparingByValue(Comparator.naturalOrder()));
            for (int i = 0; i < members.size() - limit; i++)
                doomed.add(members.get(i).getKey());
        }
        if (doomed.isEmpty()) return 0;
        for (String ref : doomed) destroy(ref);
        LOG.info("session GC destroyed {} session(s)", doomed.size());
        return doomed.size();
    }

    private static String groupOf(Map<String, Object> r) {
        if ((Boolean) r.get("pool")) return "pool";
        String user = (String) r.get("auth_user_name");
        String sid = (String) r.get("auth_user_sid");
        String originator = (String) r.get("originator");
        if (!sid.isEmpty()) return "user:" + user;
        if (!originator.isEmpty()) return "originator:" + originator;
        return "anonymous";
    }

    /** Xapi's {@code trackid}: MD5 hex of the session ref (event.next's SESSION_NOT_REGISTERED parameter). */
    public static String trackId(String sessionRef) {
        try {
            byte[] d = MessageDigest.getInstance("MD5").digest(sessionRef.getBytes(StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
