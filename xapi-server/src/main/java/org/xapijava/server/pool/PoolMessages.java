package org.xapijava.server.pool;

import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.enums.HelloReturn;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.HostApi;
import org.xapijava.server.api.gen.PoolApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.forward.HostClients;
import org.xapijava.server.session.PoolSecret;

/**
 * The pool-membership calls between hosts (Xapi's {@code xapi_pool.ml} {@code hello}, {@code is_slave},
 * {@code initial_auth}; {@code xapi_host.ml} {@code tickle_heartbeat}, {@code is_in_emergency_mode}). On the master,
 * {@code pool.hello} from a starting member checks that the master can call it back, marks it live and not enabled
 * (it enables itself when ready), and records its heartbeat; {@code host.tickle_heartbeat} feeds {@link Liveness}.
 * Thread-safe.
 */
public final class PoolMessages implements Messages {
    private static final Logger LOG = LoggerFactory.getLogger(PoolMessages.class);

    private final Db db;
    private final PoolRole role;
    private final PoolSecret secret;
    /** The master's: its members' heartbeats and its clients to them; null on a member. */
    private final Liveness liveness;

    private final HostClients hosts;
    /** A member's emergency state; null on the master. */
    private final MemberGate gate;

    public PoolMessages(
            Db db, PoolRole role, PoolSecret secret, Liveness liveness, HostClients hosts, MemberGate gate) {
        this.db = db;
        this.role = role;
        this.secret = secret;
        this.liveness = liveness;
        this.hosts = hosts;
        this.gate = gate;
    }

    @Override
    public void bind(MessageTable table) {
        PoolApi.bind(table, new Pool());
        HostApi.bind(table, new HostCalls());
    }

    private final class Pool implements PoolApi {
        @Override
        public HelloReturn hello(CallContext ctx, String hostUuid, String hostAddress) {
            if (liveness == null) throw new ApiError("HOST_IS_SLAVE", role.masterAddress());
            String host = db.findByUuid(Host.XAPI_CLASS, hostUuid).orElse(null);
            if (host == null) {
                LOG.warn("pool.hello from unknown host {} at {}", hostUuid, hostAddress);
                return HelloReturn.UNKNOWN_HOST;
            }
            if (!db.get(host, Host.ADDRESS).equals(hostAddress)) db.set(host, Host.ADDRESS, hostAddress);
            try {
                Object answer = hosts.call(host, "pool.is_slave", List.of(host), null);
                if (!Boolean.TRUE.equals(answer)) {
                    LOG.warn("host {} at {} says it is not a member", host, hostAddress);
                    return HelloReturn.CANNOT_TALK_BACK;
                }
            } catch (ApiError e) {
                LOG.warn("cannot call back host {} at {}: {}", host, hostAddress, e.getMessage());
                return HelloReturn.CANNOT_TALK_BACK;
            }
            db.set(host, Host.ENABLED, false);
            liveness.hello(host);
            return HelloReturn.OK;
        }

        @Override
        public boolean isSlave(CallContext ctx, String host) {
            return !role.isMaster();
        }

        @Override
        public String initialAuth(CallContext ctx) {
            return secret.value();
        }
    }

    private final class HostCalls implements HostApi {
        @Override
        public Map<String, String> tickleHeartbeat(CallContext ctx, String host, Map<String, String> stuff) {
            if (liveness == null) throw new ApiError("HOST_IS_SLAVE", role.masterAddress());
            if (!db.exists(Host.XAPI_CLASS, host)) throw ApiError.handleInvalid(Host.XAPI_CLASS, host);
            liveness.tickle(host, stuff);
            return Map.of();
        }

        @Override
        public boolean isInEmergencyMode(CallContext ctx) {
            return gate != null && gate.inEmergency();
        }
    }
}
