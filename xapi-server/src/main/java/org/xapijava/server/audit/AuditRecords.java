package org.xapijava.server.audit;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.xapijava.db.Db;
import org.xapijava.model.MessageDef;
import org.xapijava.model.ParamDef;
import org.xapijava.model.api.VM;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.XType;
import org.xapijava.server.api.gen.PoolApi;
import org.xapijava.server.dispatch.AuditTrail;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.session.SessionInfo;
import org.xapijava.server.session.SessionManager;

/**
 * Xapi's RBAC audit records ({@code rbac_audit.ml}), written to an {@link AuditLog}: for every side-effecting call
 * (a name without {@code .get}, less Xapi's spam list: logouts, events, heartbeats, {@code http/rrd_updates}, ...)
 * one s-expression
 * <pre>{@code ('trackid=<md5 of session>' '<subject sid|LOCAL_SUPERUSER|LOCAL_SESSION>' '<user name>'
 *  'ALLOWED|DENIED' 'OK|ERROR:<code>|' 'API|HTTP' '<call>' (<args>))}</pre>
 * where the arguments are Xapi's two heuristics: descriptive ones (listed in {@code audit-params.properties}) as {@code ('<param>' '<value>' '' '')}, references to existing objects as
 * {@code ('<param>' '<name_label>' '<uuid>' '<ref>')}; passwords and other values are never written. Strings are
 * quoted with {@code '} and {@code \ '} escaped as Xapi's {@code SExpr}. Thread-safe.
 */
public final class AuditRecords implements AuditTrail {
    /** Xapi's calls never audited ({@code has_to_audit}). */
    private static final Set<String> IGNORED = Set.of(
            "session.local_logout",
            "session.logout",
            "event.next",
            "event.from",
            "http/get_rrd_updates",
            "http/rrd_updates",
            "http/post_remote_db_access",
            "host.tickle_heartbeat");
    /** Per call, the parameters written by value; key {@code *}: those of every call ({@code audit-params}). */
    private static final Map<String, Set<String>> BY_VALUE = loadParams();

    private static Map<String, Set<String>> loadParams() {
        Properties p = new Properties();
        try (InputStream in = AuditRecords.class.getResourceAsStream("audit-params.properties")) {
            p.load(in);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("audit-params.properties missing from the server's resources", e);
        }
        Map<String, Set<String>> out = new HashMap<>();
        for (String k : p.stringPropertyNames())
            out.put(k, Set.of(p.getProperty(k).trim().split("\\s+")));
        return Map.copyOf(out);
    }

    static final String LOCAL_SESSION = "LOCAL_SESSION";
    static final String LOCAL_SUPERUSER = "LOCAL_SUPERUSER";

    private final AuditLog log;
    private final Db data;

    public AuditRecords(AuditLog log, Db data) {
        this.log = log;
        this.data = data;
    }

    public AuditLog log() {
        return log;
    }

    /** Binds {@code pool.audit_log_append}: a member's audit line, appended as it is. */
    public void bind(MessageTable table) {
        PoolApi.bind(table, new PoolApi() {
            @Override
            public void auditLogAppend(CallContext ctx, String line) {
                log.appendRaw(line);
            }
        });
    }

    /** Xapi's {@code has_to_audit}: side-effecting ({@code .get} not in the name) and not in the spam list. */
    static boolean audited(String call) {
        return !call.contains(".get") && !IGNORED.contains(call);
    }

    @Override
    public void record(SessionInfo session, MessageDef m, List<Object> args, boolean denied, ApiError error) {
        String call = m.wireName();
        if (!audited(call)) return;
        try {
            log.append(call, line(session, denied, error, "API", call, arguments(call, m.callParams(), args)));
        } catch (RuntimeException e) {
            // never fail a call for its audit line (Xapi's wrap)
        }
    }

    /** An HTTP action's check ({@code assert_credentials_ok}): {@code http/<action>} allowed or denied. */
    public void http(SessionInfo session, String permission, boolean denied) {
        if (!audited(permission)) return;
        try {
            log.append(permission, line(session, denied, null, "HTTP", permission, ""));
        } catch (RuntimeException e) {
            // as above
        }
    }

    static String line(SessionInfo s, boolean denied, ApiError error, String type, String call, String args) {
        String subject = s.local() ? LOCAL_SESSION : s.localSuperuser() ? LOCAL_SUPERUSER : s.authUserSid();
        String name = s.local() ? "" : s.authUserName();
        String outcome = denied ? "" : error == null ? "OK" : "ERROR:" + error.code();
        return "(" + quote("trackid=" + SessionManager.trackId(s.ref())) + " " + quote(subject) + " " + quote(name)
                + " " + quote(denied ? "DENIED" : "ALLOWED") + " " + quote(outcome) + " " + quote(type) + " "
                + quote(call) + " (" + args + "))";
    }

    private String arguments(String call, List<ParamDef> params, List<Object> args) {
        List<String> out = new ArrayList<>();
        Set<String> any = BY_VALUE.get("*");
        Set<String> byValue = BY_VALUE.getOrDefault(call, Set.of());
        for (int i = 0; i < params.size() && i < args.size(); i++) {
            ParamDef p = params.get(i);
            Object v = args.get(i);
            if (v == null) continue;
            if (any.contains(p.name()) || byValue.contains(p.name())) {
                if (v instanceof String || v instanceof Number || v instanceof Boolean)
                    out.add(arg(p.name(), String.valueOf(v), "", ""));
            } else if (p.type() instanceof XType.RefType r && v instanceof String ref && data.exists(r.cls(), ref)) {
                Map<String, Object> rec = data.record(r.cls(), ref);
                Object label = rec.get(VM.NAME_LABEL.name());
                Object uuid = rec.get(VM.UUID.name());
                out.add(arg(p.name(), label == null ? "" : label.toString(), uuid == null ? "" : uuid.toString(), ref));
            }
        }
        return String.join(" ", out);
    }

    private static String arg(String name, String value, String uuid, String ref) {
        return "(" + quote(name) + " " + quote(value) + " " + quote(uuid) + " " + quote(ref) + ")";
    }

    /** Xapi's {@code SExpr.String}: single quotes, {@code \ } and {@code '} escaped with a backslash. */
    static String quote(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
