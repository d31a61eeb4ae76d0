package org.xapijava.server.pool;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.db.persist.StateDbWriter;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.config.XapiConfig;

/** The steps of a host's start that depend on its pool role, out of {@code XapiServer}. Stateless. */
public final class MemberStart {
    private static final Logger LOG = LoggerFactory.getLogger(MemberStart.class);

    private MemberStart() {}

    /** The member's link timings from the configuration. */
    public static MemberConnection.Timing timing(XapiConfig config) {
        return new MemberConnection.Timing(
                Duration.ofSeconds(config.integer("master-call-timeout-seconds")),
                Duration.ofMillis(config.integer("master-backoff-min-ms")),
                Duration.ofMillis(config.integer("master-backoff-max-ms")),
                Duration.ofSeconds(config.integer("master-connection-timeout-seconds")),
                Duration.ofMillis(config.integer("replica-poll-delay-ms")));
    }

    /**
     * A member's last start-up steps, once its connectors answer (the master calls it back): {@code pool.hello} to
     * the master at {@code master}, this host enabled again, the heartbeat started. A refused or failed hello puts
     * the host in emergency mode with its error, as Xapi stashes it ({@code HOST_STILL_BOOTING} when the master could
     * not be reached).
     *
     * @return the member's agent (its heartbeat), to close when the host stops
     */
    public static MemberAgent hello(
            URI master,
            javax.net.ssl.SSLContext tls,
            Db data,
            String host,
            java.util.function.Supplier<String> secret,
            Clock clock,
            XapiConfig config,
            MemberGate gate,
            Runnable restart) {
        MemberAgent agent = new MemberAgent(
                master,
                tls,
                host,
                secret,
                clock,
                Duration.ofSeconds(config.integer("master-call-timeout-seconds")),
                restart);
        try {
            agent.hello(data.get(host, Host.UUID), data.get(host, Host.ADDRESS));
        } catch (ApiError e) {
            LOG.error("pool.hello to {} refused: emergency mode ({})", master, e.toString());
            gate.enterEmergency(e);
            return agent;
        } catch (IllegalStateException e) {
            LOG.error("pool.hello to {} failed: emergency mode ({})", master, e.getMessage());
            gate.enterEmergency(new ApiError(ErrorCodes.HOST_STILL_BOOTING));
            return agent;
        }
        data.set(host, Host.ENABLED, true);
        agent.startHeartbeat(Duration.ofSeconds(config.integer("heartbeat-interval-seconds")));
        return agent;
    }

    /**
     * A member made master ({@code pool.emergency_transition_to_master}, {@code designate_new_master}) starts on its
     * backup of the pool's database, as Xapi's: the backup replaces {@code state.db} and the redo log of the host's
     * earlier life. Nothing happens without a backup. The pool's redo log, when newer, then replaces it
     * ({@link RedoLogRecovery}).
     */
    public static void promoteBackup(Path backup, Path stateDb, Path redoLog) throws IOException {
        if (!Files.exists(backup)) return;
        LOG.warn("this host becomes master on its backup of the pool's database {}", backup);
        Files.deleteIfExists(redoLog);
        Files.deleteIfExists(StateDbWriter.generationPath(stateDb));
        Files.move(backup, stateDb, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.deleteIfExists(StateDbWriter.generationPath(backup));
    }
}
