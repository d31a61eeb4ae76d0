package org.xapijava.server.pool;

import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.Pool;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.HostApi;
import org.xapijava.server.bootstrap.HostCpus;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.ops.AllowedOperations;
import org.xapijava.server.xenops.ResidentVms;

/**
 * What a pool's master does about a member that died for good, as Xapi's {@code xapi_host.ml}: {@code
 * host.declare_dead} (each user VM that was resident on it reset to Halted through {@code VM.power_state_reset},
 * then the host disabled) and {@code host.destroy} (the host forgotten: its record and what only it had, its
 * control domains; refused while HA is on or while user VMs are resident on it). Both run on the master and first
 * make sure the host is dead ({@code is_host_alive}, {@link HostAliveness}): a host that answers, or the master
 * itself, gets {@code HOST_IS_LIVE}. Xapi's declare-dead hooks (external fencing scripts) are not run: there are
 * none here. Thread-safe.
 */
public final class DeadHosts implements Messages {
    private static final Logger LOG = LoggerFactory.getLogger(DeadHosts.class);

    private final Db db;
    private final String me;
    private final Predicate<String> alive;
    private final AllowedOperations allowed;
    private final PoolCertificates certificates;

    /** @param certificates the pool's certificate store, to forget a destroyed host's (null: none kept) */
    public DeadHosts(
            Db db, String me, Predicate<String> alive, AllowedOperations allowed, PoolCertificates certificates) {
        this.db = db;
        this.me = me;
        this.alive = alive;
        this.allowed = allowed;
        this.certificates = certificates;
    }

    @Override
    public void bind(MessageTable table) {
        HostApi.bind(table, new HostApi() {
            @Override
            public void declareDead(CallContext ctx, String host) {
                DeadHosts.this.declareDead(ctx, host);
            }

            @Override
            public void destroy(CallContext ctx, String self) {
                DeadHosts.this.destroy(self);
            }
        });
    }

    /** {@code precheck_destroy_declare_dead}. */
    private void assertDead(String host, String call) {
        if (!db.exists(Host.XAPI_CLASS, host)) throw ApiError.handleInvalid(Host.XAPI_CLASS, host);
        if (host.equals(me) || alive.test(host)) {
            LOG.error("Host.{}: host {} is not offline; refusing to {}", call, host, call);
            throw new ApiError(ErrorCodes.HOST_IS_LIVE, host);
        }
    }

    void declareDead(CallContext ctx, String host) {
        assertDead(host, "declare_dead");
        for (String vm : ResidentVms.userVms(db, host)) ctx.api().vm().powerStateReset(vm);
        db.set(host, Host.ENABLED, false);
        allowed.update(Host.XAPI_CLASS, host);
        LOG.info("host {} declared dead", host);
    }

    void destroy(String host) {
        assertDead(host, "destroy");
        String pool = db.all(Pool.XAPI_CLASS).get(0);
        if (db.get(pool, Pool.HA_ENABLED)) throw new ApiError(ErrorCodes.HA_IS_ENABLED);
        if (!ResidentVms.userVms(db, host).isEmpty()) throw new ApiError(ErrorCodes.HOST_HAS_RESIDENT_VMS, host);
        if (certificates != null) certificates.forget(host);
        HostObjects.destroy(db, host, false);
        HostCpus.updatePoolCpuInfo(db, pool);
        LOG.info("host {} destroyed", host);
    }
}
