package org.xapijava.server.pool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.Bond;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.NetworkSriov;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.PIF;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.Tunnel;
import org.xapijava.model.api.VLAN;
import org.xapijava.model.api.VM;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.util.AtomicFiles;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.HostApi;
import org.xapijava.server.api.gen.PoolApi;
import org.xapijava.server.client.XmlRpcTransport;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;

/**
 * {@code pool.join} and {@code pool.join_force}, run on the joining host (Xapi's {@code xapi_pool.ml}
 * {@code join_common}), and the two calls that end it, {@code host.update_pool_secret} and {@code host.update_master}:
 * log in to the master with the given credentials, Xapi's pre-join checks in Xapi's order (those that apply to a host
 * without HA, clustering, updates or external authentication), the pool secret from {@code pool.initial_auth}, this
 * host's PBDs unplugged, then the secret and {@code slave:<master>} written and xapi restarted as a member: its start
 * registers its host, PIFs and storage in the master's database. Both hosts are unchanged when a check fails. The
 * first phase runs over HTTPS without checking the master (nothing is known of it yet), then certificates are exchanged
 * ({@code pool.exchange_certificates_on_join}) and the joiner trusts the pool's; from the restart on, every call to the
 * master is checked against them ({@link PoolTls}). Before the restart, over that checked connection, this host's
 * objects and halted VMs are made on the master ({@link JoinerObjects}, Xapi's {@code update_non_vm_metadata} and
 * metadata import). Thread-safe.
 */
public final class PoolJoin implements Messages {
    private static final Logger LOG = LoggerFactory.getLogger(PoolJoin.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final Db db;
    private final String me;
    private final PoolTls tls;
    private final PoolCertificates certificates;
    private final Path poolConf;
    private final Path poolSecret;
    private final Runnable restart;

    /**
     * @param me         this host's ref
     * @param tls        how the hosts of a pool reach each other
     * @param poolConf   where this host's role is kept
     * @param poolSecret where this host's pool secret is kept
     * @param restart    restarts xapi (in its new role)
     */
    public PoolJoin(
            Db db,
            String me,
            PoolTls tls,
            PoolCertificates certificates,
            Path poolConf,
            Path poolSecret,
            Runnable restart) {
        this.db = db;
        this.me = me;
        this.tls = tls;
        this.certificates = certificates;
        this.poolConf = poolConf;
        this.poolSecret = poolSecret;
        this.restart = restart;
    }

    @Override
    public void bind(MessageTable table) {
        PoolApi.bind(table, new Api());
        HostApi.bind(table, new HostCalls());
        HostApi.bind(table, new HostCreate(db, me));
    }

    private final class Api implements PoolApi {
        @Override
        public void join(CallContext ctx, String masterAddress, String masterUsername, String masterPassword) {
            joinCommon(ctx, masterAddress, masterUsername, masterPassword, false);
        }

        @Override
        public void joinForce(CallContext ctx, String masterAddress, String masterUsername, String masterPassword) {
            joinCommon(ctx, masterAddress, masterUsername, masterPassword, true);
        }
    }

    private final class HostCalls implements HostApi {
        @Override
        public void updatePoolSecret(CallContext ctx, String host, String secret) {
            if (!host.equals(me)) throw ApiError.handleInvalid(Host.XAPI_CLASS, host);
            try {
                AtomicFiles.write(poolSecret, secret.getBytes(StandardCharsets.UTF_8), AtomicFiles.OWNER_READ_WRITE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void updateMaster(CallContext ctx, String host, String masterAddress) {
            if (!host.equals(me)) throw ApiError.handleInvalid(Host.XAPI_CLASS, host);
            try {
                PoolRole.slave(masterAddress).store(poolConf);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            LOG.warn("this host is now a member of the pool of {}: restarting", masterAddress);
            DelayedRestart.after(DelayedRestart.AFTER_ANSWER, restart);
        }
    }

    private void joinCommon(CallContext ctx, String address, String user, String password, boolean force) {
        String secret;
        try (XmlRpcTransport t = XmlRpcTransport.tcp(tls.uri(address), tls.unverifiedContext(), TIMEOUT)) {
            XenApi anon = new XenApi(t, null);
            String session;
            try {
                session = anon.session().loginWithPassword(user, password, "2.21", "xapi");
            } catch (IllegalStateException e) {
                LOG.warn("pool.join: cannot log in to {}: {}", address, e.getMessage());
                String m = String.valueOf(e.getMessage());
                throw new ApiError(
                        m.contains(": HTTP ")
                                ? ErrorCodes.JOINING_HOST_SERVICE_FAILED
                                : ErrorCodes.JOINING_HOST_CONNECTION_FAILED);
            }
            XenApi remote = anon.withSession(session);
            try {
                preJoinChecks(remote, force);
                secret = remote.pool().initialAuth();
                certificates.exchangeOnJoin(remote);
            } catch (IllegalStateException e) {
                throw new ApiError(ErrorCodes.JOINING_HOST_CONNECTION_FAILED);
            } finally {
                try {
                    remote.session().logout();
                } catch (RuntimeException e) {
                    LOG.debug("logout from {}: {}", address, e.toString());
                }
            }
        }
        secondPhase(ctx, address, user, password);
        XenApi local = ctx.api();
        for (String pbd : db.get(me, Host.PBDS)) {
            try {
                if (db.get(pbd, PBD.CURRENTLY_ATTACHED)) local.pbd().unplug(pbd);
            } catch (RuntimeException e) {
                LOG.warn("pool.join: unplugging PBD {}: {}", pbd, e.getMessage());
            }
        }
        for (String host : db.all(Host.XAPI_CLASS)) {
            local.host().updatePoolSecret(host, secret);
            local.host().updateMaster(host, address);
        }
    }

    /**
     * The join's second phase as Xapi's: a login to the master, over a checked connection once the pool's certificates
     * are trusted ({@code JOINING_HOST_SERVICE_FAILED} when refused, {@code JOINING_HOST_CONNECTION_FAILED} when the
     * master's certificate is not the one the pool sent), the CRLs exchanged (Xapi's {@code exchange_crls}), then this
     * host's objects and VMs made on the master
     * ({@link JoinerObjects}): best effort, as in Xapi, a failure there is logged and the join goes on.
     */
    private void secondPhase(CallContext ctx, String address, String user, String password) {
        try (XmlRpcTransport t = XmlRpcTransport.tcp(tls.uri(address), tls.context(), TIMEOUT)) {
            XenApi anon = new XenApi(t, null);
            String session = anon.session().loginWithPassword(user, password, "2.21", "xapi");
            XenApi remote = anon.withSession(session);
            try {
                // Xapi's order: the legacy CA certificates, (the trusted ones: not in this build), the CRLs
                certificates.exchangeCasOnJoin(remote);
                certificates.crls().exchangeOnJoin(remote);
            } catch (RuntimeException e) {
                try {
                    remote.session().logout();
                } catch (RuntimeException x) {
                    LOG.debug("logout from {}: {}", address, x.toString());
                }
                throw e;
            }
            try {
                JoinerObjects objects = new JoinerObjects(db, remote);
                objects.copyNonVmObjects();
                objects.copyVms(
                        tls.uri(db.get(me, Host.ADDRESS)),
                        ctx.sessionRef(),
                        tls.uri(address),
                        session,
                        tls.unverifiedContext());
            } catch (IOException | RuntimeException e) {
                LOG.warn(
                        "pool.join: error whilst importing db objects to the master; the join goes on, but some of"
                                + " this host's VMs may not be available on the master: {}",
                        e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw ApiError.internal("pool.join interrupted");
            } finally {
                try {
                    remote.session().logout();
                } catch (RuntimeException e) {
                    LOG.debug("logout from {}: {}", address, e.toString());
                }
            }
        } catch (IllegalStateException e) {
            LOG.warn("pool.join: the second connection to {} failed: {}", address, e.getMessage());
            String m = String.valueOf(e.getMessage());
            throw new ApiError(
                    m.contains(": HTTP ")
                            ? ErrorCodes.JOINING_HOST_SERVICE_FAILED
                            : ErrorCodes.JOINING_HOST_CONNECTION_FAILED);
        }
    }

    /** Xapi's {@code pre_join_checks}, in its order, for what this host has. */
    private void preJoinChecks(XenApi remote, boolean force) {
        List<String> pools = remote.pool().getAll();
        if (pools.size() != 1) throw ApiError.internal("Remote host does not belong to a pool.");
        String remotePool = pools.get(0);
        String pool = db.all(Pool.XAPI_CLASS).get(0);
        boolean hasManagement = db.get(me, Host.PIFS).stream().anyMatch(p -> db.get(p, PIF.MANAGEMENT));
        if (!hasManagement) throw new ApiError(ErrorCodes.HOST_STILL_BOOTING);
        if (db.get(pool, Pool.HA_ENABLED)) throw new ApiError(ErrorCodes.HA_IS_ENABLED);
        if (remote.pool().getHaEnabled(remotePool)) throw new ApiError(ErrorCodes.HA_IS_ENABLED);
        String master = remote.pool().getMaster(remotePool);
        Map<String, Object> masterRecord = remote.host().getRecord(master);
        if (Objects.equals(masterRecord.get("uuid"), db.get(me, Host.UUID))) {
            throw new ApiError(
                    ErrorCodes.OPERATION_NOT_ALLOWED,
                    db.all(Host.XAPI_CLASS).size() > 1
                            ? "Host is already part of a pool"
                            : "Host cannot become slave of itself");
        }
        if (db.all(Host.XAPI_CLASS).size() > 1)
            throw new ApiError(ErrorCodes.JOINING_HOST_CANNOT_BE_MASTER_OF_OTHER_HOSTS);
        for (String vm : db.all(VM.XAPI_CLASS)) {
            if (!db.get(vm, VM.IS_CONTROL_DOMAIN) && db.get(vm, VM.POWER_STATE).equals("Running"))
                throw new ApiError(ErrorCodes.JOINING_HOST_CANNOT_HAVE_RUNNING_VMS);
        }
        for (String vm : db.all(VM.XAPI_CLASS)) {
            if (!db.get(vm, VM.CURRENT_OPERATIONS).isEmpty())
                throw new ApiError(ErrorCodes.JOINING_HOST_CANNOT_HAVE_VMS_WITH_CURRENT_OPERATIONS);
        }
        @SuppressWarnings("unchecked")
        Map<String, String> masterSoftware = (Map<String, String>) masterRecord.get("software_version");
        Map<String, String> mySoftware = db.get(me, Host.SOFTWARE_VERSION);
        if (!compatibility(masterSoftware).equals(compatibility(mySoftware)))
            throw new ApiError(ErrorCodes.HOSTS_NOT_COMPATIBLE);
        if (!force) {
            if (!homogeneity(masterSoftware).equals(homogeneity(mySoftware)))
                throw new ApiError(ErrorCodes.HOSTS_NOT_HOMOGENEOUS, "Software version differs");
            String myVendor = db.get(me, Host.CPU_INFO).get("vendor");
            String poolVendor = remote.pool().getCpuInfo(remotePool).get("vendor");
            if (!Objects.equals(myVendor, poolVendor))
                throw new ApiError(ErrorCodes.HOSTS_NOT_HOMOGENEOUS, "CPUs differ");
        }
        for (String sr : db.all(SR.XAPI_CLASS)) {
            if (db.get(sr, SR.SHARED) && !db.get(sr, SR.IS_TOOLS_SR))
                throw new ApiError(ErrorCodes.JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS);
        }
        if (!db.all(Bond.XAPI_CLASS).isEmpty()) throw new ApiError(ErrorCodes.POOL_JOINING_HOST_HAS_BONDS);
        if (!db.all(Tunnel.XAPI_CLASS).isEmpty()) throw new ApiError(ErrorCodes.POOL_JOINING_HOST_HAS_TUNNELS);
        if (!db.all(NetworkSriov.XAPI_CLASS).isEmpty())
            throw new ApiError(ErrorCodes.POOL_JOINING_HOST_HAS_NETWORK_SRIOVS);
        for (String vlan : db.all(VLAN.XAPI_CLASS)) {
            String pif = db.get(vlan, VLAN.UNTAGGED_PIF);
            if (!db.exists(PIF.XAPI_CLASS, pif) || !db.get(pif, PIF.MANAGEMENT))
                throw new ApiError(ErrorCodes.POOL_JOINING_HOST_HAS_NON_MANAGEMENT_VLANS);
        }
        long major = (Long) masterRecord.get("API_version_major");
        long minor = (Long) masterRecord.get("API_version_minor");
        long myMajor = db.get(me, Host.API_VERSION_MAJOR);
        long myMinor = db.get(me, Host.API_VERSION_MINOR);
        if (major != myMajor || minor != myMinor) {
            throw new ApiError(
                    ErrorCodes.POOL_JOINING_HOST_MUST_HAVE_SAME_API_VERSION,
                    myMajor + "." + myMinor,
                    major + "." + minor);
        }
        String masterSchema = masterSoftware.getOrDefault("db_schema", "");
        String mySchema = mySoftware.getOrDefault("db_schema", "");
        if (masterSchema.isEmpty() || mySchema.isEmpty() || !masterSchema.equals(mySchema))
            throw new ApiError(ErrorCodes.POOL_JOINING_HOST_MUST_HAVE_SAME_DB_SCHEMA, mySchema, masterSchema);
        if (tls.enabled()
                && remote.pool().getTlsVerificationEnabled(remotePool) != db.get(pool, Pool.TLS_VERIFICATION_ENABLED)) {
            LOG.error("pool.join: the pool's TLS verification and this host's differ");
            throw new ApiError(ErrorCodes.POOL_JOINING_HOST_TLS_VERIFICATION_MISMATCH);
        }
    }

    /** Xapi's compatibility info: the platform version and the product brand (else the platform name). */
    private static List<String> compatibility(Map<String, String> sw) {
        String name = sw.containsKey("product_brand") ? sw.get("product_brand") : sw.get("platform_name");
        return java.util.Arrays.asList(sw.get("platform_version"), name);
    }

    /** Xapi's software homogeneity: xapi version, compatibility name, git id, linux pack presence. */
    private static List<String> homogeneity(Map<String, String> sw) {
        String name = sw.containsKey("product_brand") ? sw.get("product_brand") : sw.get("platform_name");
        return List.of(
                sw.getOrDefault("xapi", ""),
                name == null ? "" : name,
                sw.getOrDefault("git_id", ""),
                sw.containsKey("xs:linux") ? "installed" : "not present");
    }
}
