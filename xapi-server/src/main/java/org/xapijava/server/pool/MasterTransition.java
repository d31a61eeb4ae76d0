package org.xapijava.server.pool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.Pool;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.HostApi;
import org.xapijava.server.api.gen.PoolApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;

/**
 * Master changes (Xapi's {@code xapi_pool.ml} {@code designate_new_master} and {@code recover_slaves},
 * {@code xapi_pool_transition.ml}'s two-phase commit, {@code xapi_ha.ml}'s {@code propose_new_master},
 * {@code commit_new_master} and {@code abort_new_master}). Every call between hosts here goes by address under a
 * local session ({@link PeerCalls}), so it reaches hosts in emergency mode.
 *
 * <p>{@code pool.designate_new_master(host)} is forwarded by the master to {@code host}, which asks the master for
 * {@code pool.sync_database}, proposes itself to every other host (the old master first) and to itself, aborts the
 * proposal where it was accepted if any host refuses, sets its own role {@code broken}, tells every other host to
 * commit (each points its {@code pool.conf} at the new master and restarts), and ends {@code master} when all did.
 * It then restarts: its close writes its replica of the pool's database to its backup, which its start as master
 * takes as its database. A host that agreed to a proposal refuses a different one for 10 minutes
 * ({@code HA_ABORT_NEW_MASTER}). Thread-safe.
 */
public final class MasterTransition implements Messages {
    private static final Logger LOG = LoggerFactory.getLogger(MasterTransition.class);
    /** A host told to follow a new master restarts after this, once the new master has answered its caller. */
    static final Duration COMMIT_RESTART = Duration.ofSeconds(1);

    private final Db db;
    private final String me;
    private final String myAddress;
    private final PoolRole role;
    private final PeerCalls peers;
    private final Path poolConf;
    private final Runnable restart;

    private final NewMasterProposal proposal;

    /**
     * @param me        this host's ref ({@code OpaqueRef:NULL} in emergency mode)
     * @param myAddress this host's management address
     */
    public MasterTransition(
            Db db,
            String me,
            String myAddress,
            PoolRole role,
            PeerCalls peers,
            Path poolConf,
            Clock clock,
            Runnable restart) {
        this.db = db;
        this.me = me;
        this.myAddress = myAddress;
        this.role = role;
        this.peers = peers;
        this.poolConf = poolConf;
        this.proposal = new NewMasterProposal(clock);
        this.restart = restart;
    }

    @Override
    public void bind(MessageTable table) {
        PoolApi.bind(table, new PoolCalls());
        HostApi.bind(table, new HostCalls());
    }

    private final class PoolCalls implements PoolApi {
        @Override
        public void designateNewMaster(CallContext ctx, String host) {
            if (!db.exists(Host.XAPI_CLASS, host)) throw ApiError.handleInvalid(Host.XAPI_CLASS, host);
            if (role.isMaster()) return; // already master (Xapi does nothing either)
            if (!host.equals(me)) throw ApiError.internal("Forwarded to the wrong host");
            String pool = db.all(Pool.XAPI_CLASS).get(0);
            if (db.get(pool, Pool.HA_ENABLED)) throw new ApiError(ErrorCodes.HA_IS_ENABLED);
            db.set(pool, Pool.LAST_UPDATE_SYNC, DateTime.EPOCH);
            // only the master knows the current generation: it has its members write their backups
            peers.run(role.masterAddress(), api -> api.pool().syncDatabase());
            List<String> others = new ArrayList<>();
            for (String h : db.all(Host.XAPI_CLASS)) {
                String a = db.get(h, Host.ADDRESS);
                if (!a.equals(myAddress) && !others.contains(a)) others.add(a);
            }
            // the old master first
            String oldMaster = role.masterAddress();
            if (others.remove(oldMaster)) others.add(0, oldMaster);
            twoPhaseCommit(others);
        }

        @Override
        public List<String> recoverSlaves(CallContext ctx) {
            if (!role.isMaster()) throw new ApiError(ErrorCodes.HOST_IS_SLAVE, role.masterAddress());
            String address = db.get(me, Host.ADDRESS);
            List<String> recovered = new ArrayList<>();
            for (String host : db.all(Host.XAPI_CLASS)) {
                if (host.equals(me)) continue;
                try {
                    peers.run(db.get(host, Host.ADDRESS), api -> api.pool().emergencyResetMaster(address));
                    recovered.add(host);
                } catch (RuntimeException e) {
                    LOG.warn("pool.recover_slaves: host {} not recovered: {}", host, e.getMessage());
                }
            }
            return recovered;
        }
    }

    /** Xapi's {@code attempt_two_phase_commit_of_new_master}, manual: run on the new master. */
    private void twoPhaseCommit(List<String> others) {
        LOG.warn("proposing this host ({}) as the pool's new master to {}", myAddress, others);
        List<String> all = new ArrayList<>(others);
        all.add(myAddress);
        List<String> agreed = new ArrayList<>();
        try {
            for (String a : all) {
                peers.run(a, api -> api.host().proposeNewMaster(myAddress, true));
                agreed.add(a);
            }
        } catch (RuntimeException e) {
            LOG.warn("the proposal failed ({}): aborting on {}", e.getMessage(), agreed);
            for (String a : agreed) {
                try {
                    peers.run(a, api -> api.host().abortNewMaster(myAddress));
                } catch (RuntimeException abort) {
                    LOG.warn("telling {} to abort: {}", a, abort.getMessage());
                }
            }
            throw e;
        }
        store(PoolRole.BROKEN); // any failure from here leaves this host broken
        List<String> failed = new ArrayList<>();
        for (String a : others) {
            try {
                peers.run(a, api -> api.host().commitNewMaster(myAddress));
            } catch (RuntimeException e) {
                LOG.error("host {} did not commit to the new master: {}", a, e.getMessage());
                failed.add(a);
            }
        }
        if (failed.isEmpty()) store(PoolRole.MASTER);
        else LOG.error("hosts {} failed to commit: this host restarts broken", failed);
        DelayedRestart.after(DelayedRestart.AFTER_ANSWER, restart);
    }

    private void store(PoolRole r) {
        try {
            r.store(poolConf);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private final class HostCalls implements HostApi {
        @Override
        public void proposeNewMaster(CallContext ctx, String address, boolean manual) {
            proposal.propose(address);
        }

        @Override
        public void abortNewMaster(CallContext ctx, String address) {
            proposal.abort(address);
        }

        @Override
        public void commitNewMaster(CallContext ctx, String address) {
            proposal.assertAgreed(address);
            PoolRole next = address.equals(myAddress) ? PoolRole.MASTER : PoolRole.slave(address);
            if (next.equals(role)) {
                LOG.info("already in role {}: nothing to do", next.line());
                return;
            }
            store(next);
            LOG.warn("pool role is now '{}': restarting", next.line());
            DelayedRestart.after(COMMIT_RESTART, restart);
        }
    }
}
