package org.xapijava.server.dispatch;

import org.xapijava.model.MessageDef;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.session.SessionInfo;

/**
 * What this host's pool role lets in (Xapi's emergency-mode check in {@code server_helpers.ml} and the member rule of
 * {@code session_check.ml}). Implementations are thread-safe.
 */
public interface RoleGate {
    /**
     * The error a call of {@code m} gets before its session is looked at: in emergency mode, every message but the
     * emergency calls gets the stashed error ({@code HOST_STILL_BOOTING}, {@code HOST_BROKEN}, ...); on a member, a
     * password login from anywhere but the Unix socket gets {@code HOST_IS_SLAVE}; null to go on.
     */
    ApiError beforeSession(MessageDef m, Caller caller);

    /**
     * The error a call with {@code session} gets on this host: on a pool member, a session that is neither a pool
     * session nor one of this host's own gets {@code HOST_IS_SLAVE [master address]}, unless it comes in by this
     * host's Unix socket (its storage drivers and plugins, which Xapi proxies to the master); null to go on.
     */
    ApiError afterSession(MessageDef m, SessionInfo session, Caller caller);

    /** A pool master's: everything goes on. */
    RoleGate MASTER = new RoleGate() {
        @Override
        public ApiError beforeSession(MessageDef m, Caller caller) {
            return null;
        }

        @Override
        public ApiError afterSession(MessageDef m, SessionInfo session, Caller caller) {
            return null;
        }
    };
}
