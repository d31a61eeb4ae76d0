package org.xapijava.server.pool;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.HostApi;
import org.xapijava.server.api.gen.PoolApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.tls.PoolTrust;

/**
 * The pool's certificate revocation lists and the host halves of its CA certificates, as Xapi's
 * {@code Certificates.host_install/host_uninstall/local_list} for {@code CRL} and {@code Root_legacy}
 * ({@code xapi_pool.ml}, {@code xapi_host.ml}): {@code pool.crl_install/crl_uninstall/crl_list} run on the master,
 * which then copies its whole set of CRLs to every host ({@code Cert_distrib.copy_certs_to_all});
 * {@code host.crl_*} and {@code host.install/uninstall_ca_certificate} act on one host's files only, without the
 * database; {@code pool.exchange_crls_on_join} and its caller in {@code pool.join} ({@link #exchangeOnJoin}). The
 * CRLs are checked whenever the pool verifies a peer ({@link org.xapijava.server.tls.PoolTrust}). Thread-safe.
 */
final class CrlCalls implements Messages {
    private static final Logger LOG = LoggerFactory.getLogger(CrlCalls.class);

    private final PoolTls tls;
    /** Copies this host's CRLs to every other host of the pool (nothing on a member). */
    private final Runnable copyToAll;

    CrlCalls(PoolTls tls, Runnable copyToAll) {
        this.tls = tls;
        this.copyToAll = copyToAll;
    }

    private org.xapijava.server.tls.PoolCrls store() {
        return tls.trust().crls();
    }

    @Override
    public void bind(MessageTable table) {
        PoolApi.bind(table, new PoolCalls());
        HostApi.bind(table, new HostCalls());
    }

    /**
     * Xapi's {@code host_install CRL}: the name checked ({@code CRL_NAME_INVALID}), refused when one of that name is
     * installed ({@code CRL_ALREADY_EXISTS}), the text a CRL ({@code CRL_CORRUPT} otherwise: Xapi writes any text),
     * written.
     */
    synchronized void install(String name, String crl) {
        if (PoolTrust.unsafeName(name)) throw new ApiError(ErrorCodes.CRL_NAME_INVALID, name);
        if (store().has(name)) throw new ApiError(ErrorCodes.CRL_ALREADY_EXISTS, name);
        try {
            store().put(name, crl);
        } catch (IllegalArgumentException e) {
            LOG.warn("CRL {} refused: {}", name, e.getMessage());
            throw new ApiError(ErrorCodes.CRL_CORRUPT, name);
        }
    }

    /** Xapi's {@code host_uninstall CRL ~force:false}. */
    synchronized void uninstall(String name) {
        if (PoolTrust.unsafeName(name)) throw new ApiError(ErrorCodes.CRL_NAME_INVALID, name);
        if (!store().remove(name)) throw new ApiError(ErrorCodes.CRL_DOES_NOT_EXIST, name);
    }

    List<String> list() {
        return List.copyOf(store().all().keySet());
    }

    /**
     * On the joining host, once it trusts the pool: this host's CRLs the pool lacks sent to it, the pool's CRLs this
     * host lacks installed here (Xapi's {@code exchange_crls}, which sends all of them and so fails on a name both
     * sides have; here such a name keeps each side's own CRL).
     */
    void exchangeOnJoin(XenApi remote) {
        Map<String, String> local = store().all();
        List<String> theirs = remote.pool().crlList();
        Map<String, String> toPool = new LinkedHashMap<>(local);
        theirs.forEach(toPool::remove);
        List<String> fromPool =
                theirs.stream().filter(n -> !local.containsKey(n)).toList();
        if (toPool.isEmpty() && fromPool.isEmpty()) return;
        String remotePool = remote.pool().getAll().get(0);
        Map<String, String> got = remote.pool().exchangeCrlsOnJoin(remotePool, toPool, fromPool);
        got.forEach(this::install);
        LOG.info("pool.join: {} CRL(s) sent to the pool, {} received", toPool.size(), got.size());
    }

    private final class PoolCalls implements PoolApi {
        @Override
        public void crlInstall(CallContext ctx, String name, String cert) {
            install(name, cert);
            copyToAll.run();
        }

        @Override
        public void crlUninstall(CallContext ctx, String name) {
            uninstall(name);
            copyToAll.run();
        }

        @Override
        public List<String> crlList(CallContext ctx) {
            return list();
        }

        /** On the master: the joiner's CRLs installed (and copied to every host), the pool's asked for returned. */
        @Override
        public Map<String, String> exchangeCrlsOnJoin(
                CallContext ctx, String self, Map<String, String> import_, List<String> export) {
            for (Map.Entry<String, String> e : import_.entrySet()) install(e.getKey(), e.getValue());
            if (!import_.isEmpty()) copyToAll.run();
            Map<String, String> all = store().all();
            Map<String, String> out = new LinkedHashMap<>();
            for (String n : export) if (all.containsKey(n)) out.put(n, all.get(n));
            return out;
        }
    }

    private final class HostCalls implements HostApi {
        @Override
        public void crlInstall(CallContext ctx, String host, String name, String crl) {
            install(name, crl);
        }

        @Override
        public void crlUninstall(CallContext ctx, String host, String name) {
            uninstall(name);
        }

        @Override
        public List<String> crlList(CallContext ctx, String host) {
            return list();
        }

        /** Xapi's {@code host_install Root_legacy}: this host's file only; the pool call keeps the records. */
        @Override
        public void installCaCertificate(CallContext ctx, String host, String name, String cert) {
            if (PoolTrust.unsafeName(name)) throw new ApiError(ErrorCodes.CERTIFICATE_NAME_INVALID, name);
            if (tls.trust().cas().containsKey(name)) throw new ApiError(ErrorCodes.CERTIFICATE_ALREADY_EXISTS, name);
            tls.trust().putCa(name, cert);
        }

        /** Xapi's {@code local_list Root_legacy}: the names of this host's CA certificate files. */
        @Override
        public List<String> certificateList(CallContext ctx, String host) {
            return List.copyOf(tls.trust().cas().keySet());
        }

        /** Xapi's {@code local_sync}: this host's trust made again from its files as they are. */
        @Override
        public void certificateSync(CallContext ctx, String host) {
            tls.trust().sync();
        }

        /** Xapi's {@code host_uninstall Root_legacy}: a missing file is an error unless {@code force}. */
        @Override
        public void uninstallCaCertificate(CallContext ctx, String host, String name, boolean force) {
            if (PoolTrust.unsafeName(name)) throw new ApiError(ErrorCodes.CERTIFICATE_NAME_INVALID, name);
            if (!tls.trust().removeCa(name) && !force) throw new ApiError(ErrorCodes.CERTIFICATE_DOES_NOT_EXIST, name);
        }
    }
}
