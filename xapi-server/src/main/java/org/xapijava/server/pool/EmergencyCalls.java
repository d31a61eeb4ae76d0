package org.xapijava.server.pool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.PoolApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;

/**
 * The calls that change this host's role and restart it (Xapi's {@code xapi_pool.ml}
 * {@code emergency_transition_to_master} and {@code emergency_reset_master}): each writes {@code pool.conf} and asks
 * for a restart, after which the host comes up in its new role. Xapi refuses both while HA is armed; there is no HA
 * here yet. Thread-safe.
 */
public final class EmergencyCalls implements Messages {
    private static final Logger LOG = LoggerFactory.getLogger(EmergencyCalls.class);

    private final Path poolConf;
    private final Runnable restart;

    public EmergencyCalls(Path poolConf, Runnable restart) {
        this.poolConf = poolConf;
        this.restart = restart;
    }

    @Override
    public void bind(MessageTable table) {
        PoolApi.bind(table, new Api());
    }

    private void become(PoolRole role) {
        try {
            role.store(poolConf);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        LOG.warn("pool role is now '{}': restarting", role.line());
        DelayedRestart.after(DelayedRestart.AFTER_ANSWER, restart); // once this call has answered
    }

    private final class Api implements PoolApi {
        @Override
        public void emergencyTransitionToMaster(CallContext ctx) {
            become(PoolRole.MASTER);
        }

        @Override
        public void emergencyResetMaster(CallContext ctx, String masterAddress) {
            become(PoolRole.slave(masterAddress));
        }
    }
}
