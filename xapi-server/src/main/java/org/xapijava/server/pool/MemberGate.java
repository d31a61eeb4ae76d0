package org.xapijava.server.pool;

import java.util.Set;
import org.xapijava.model.MessageDef;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.dispatch.Caller;
import org.xapijava.server.dispatch.RoleGate;
import org.xapijava.server.session.SessionInfo;

/**
 * A pool member's {@link RoleGate}: {@code session.login_with_password} and calls with an ordinary client's session
 * get {@code HOST_IS_SLAVE [master address]} (Xapi's {@code xapi_session.ml} and {@code session_check.ml}); pool
 * sessions (the master's forwarded calls), this host's in-memory sessions and callers on its Unix socket go on. In
 * emergency mode (the master unreachable at start, or a broken role) every call but Xapi's emergency calls
 * ({@code datamodel.ml:emergency_calls}) gets the stashed error. Thread-safe.
 */
public final class MemberGate implements RoleGate {
    /** Xapi's {@code emergency_calls}, by wire name. */
    public static final Set<String> EMERGENCY_CALLS = Set.of(
            "pool.emergency_reset_master",
            "pool.emergency_transition_to_master",
            "pool.ping_slave",
            "session.slave_local_login",
            "session.slave_local_login_with_password",
            "session.local_logout",
            "host.propose_new_master",
            "host.commit_new_master",
            "host.abort_new_master",
            "host.local_assert_healthy",
            "host.signal_networking_change",
            "host.local_management_reconfigure",
            "host.ha_xapi_healthcheck",
            "host.emergency_ha_disable",
            "host.management_disable",
            "host.get_system_status_capabilities",
            "host.is_in_emergency_mode",
            "host.shutdown_agent",
            "host.emergency_reset_server_certificate",
            "host.emergency_disable_tls_verification",
            "host.emergency_reenable_tls_verification",
            "host.emergency_clear_mandatory_guidance",
            "host.update_firewalld_service_status");

    private final String masterAddress;
    private volatile ApiError emergency;

    /**
     * @param masterAddress the master's address ({@code pool.conf}); empty for a broken role
     * @param emergency     the error of emergency mode, or null for a member in touch with its master
     */
    public MemberGate(String masterAddress, ApiError emergency) {
        this.masterAddress = masterAddress;
        this.emergency = emergency;
    }

    /** Whether this host is in emergency mode ({@code host.is_in_emergency_mode}). */
    public boolean inEmergency() {
        return emergency != null;
    }

    /** Enters emergency mode with {@code error} (Xapi's {@code emergency_mode_error}). */
    public void enterEmergency(ApiError error) {
        this.emergency = error;
    }

    @Override
    public ApiError beforeSession(MessageDef m, Caller caller) {
        ApiError e = emergency;
        if (e != null) return EMERGENCY_CALLS.contains(m.wireName()) ? null : e;
        // Xapi's login_with_password: a caller on the Unix socket (preauth root) logs in on a member too
        if (m.wireName().equals("session.login_with_password") && !caller.localRoot()) return hostIsSlave();
        return null;
    }

    @Override
    public ApiError afterSession(MessageDef m, SessionInfo session, Caller caller) {
        if (session.pool() || session.local() || caller.localRoot()) return null;
        return hostIsSlave();
    }

    private ApiError hostIsSlave() {
        return new ApiError(ErrorCodes.HOST_IS_SLAVE, masterAddress);
    }
}
