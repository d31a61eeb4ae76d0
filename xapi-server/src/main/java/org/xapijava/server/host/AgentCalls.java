package org.xapijava.server.host;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.HostApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.pool.DelayedRestart;

/**
 * The host agent's own life, as Xapi's {@code xapi_host.ml}: {@code host.restart_agent} (forwarded to that host:
 * xapi restarts a second after answering, as {@code xe-toolstack-restart} does; here the same process starts the
 * host again) and {@code host.shutdown_agent} (this host's xapi stops a second after answering and is not started
 * again: Xapi's {@code light_fuse_and_dont_restart}). Running VMs are left to xenopsd, as in Xapi. Thread-safe.
 */
public final class AgentCalls implements Messages {
    private static final Logger LOG = LoggerFactory.getLogger(AgentCalls.class);
    /** Xapi's delay before the restart script runs, and the fuse of {@code shutdown_agent}. */
    static final Duration DELAY = Duration.ofSeconds(1);

    private final Runnable restart;
    private final Runnable stop;

    /**
     * @param restart asks the launcher to start this host again
     * @param stop    asks the launcher to stop this host for good
     */
    public AgentCalls(Runnable restart, Runnable stop) {
        this.restart = restart;
        this.stop = stop;
    }

    @Override
    public void bind(MessageTable table) {
        HostApi.bind(table, new HostApi() {
            @Override
            public void restartAgent(CallContext ctx, String host) {
                LOG.warn("Host.restart_agent: the host agent restarts in {} s", DELAY.toSeconds());
                DelayedRestart.after(DELAY, restart);
            }

            @Override
            public void shutdownAgent(CallContext ctx) {
                LOG.warn("Host.shutdown_agent: the host agent shuts down in {} s", DELAY.toSeconds());
                DelayedRestart.after(DELAY, stop);
            }
        });
    }
}
