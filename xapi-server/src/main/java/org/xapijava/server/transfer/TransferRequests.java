package org.xapijava.server.transfer;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.SR;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.client.InProcessTransport;
import org.xapijava.server.dispatch.Caller;
import org.xapijava.server.dispatch.Dispatcher;
import org.xapijava.server.http.HttpCall;

/**
 * What every transfer handler asks of its request: objects named by reference or uuid as Xapi's
 * {@code Importexport} helpers, whether this host sees the storage (else the 302 to a host that does), and the
 * XenAPI as the caller. Thread-safe.
 */
final class TransferRequests {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TransferRequests.class);

    private final Db data;
    private final String hostRef;
    private final Dispatcher dispatcher;
    /** Whether this host is a pool member (its callers' sessions are answered HOST_IS_SLAVE here). */
    private final boolean member;

    TransferRequests(Db data, String hostRef, Dispatcher dispatcher, boolean member) {
        this.data = data;
        this.hostRef = hostRef;
        this.dispatcher = dispatcher;
        this.member = member;
    }

    /** The hosts with a plugged PBD of {@code sr}. */
    private Set<String> hostsSeeing(String sr) {
        Set<String> hosts = new LinkedHashSet<>();
        for (String pbd : data.get(sr, SR.PBDS))
            if (data.get(pbd, PBD.CURRENTLY_ATTACHED)) hosts.add(data.get(pbd, PBD.HOST));
        return hosts;
    }

    /**
     * Xapi's {@code check_sr_availability} / {@code check_vm_host_SRs}: unless this host has every SR of {@code srs}
     * plugged, a 302 to a host that has (same scheme, port and query: the hosts of a pool listen on the same ports);
     * true when redirected. No host seeing them all is {@code SR_HAS_NO_PBDS} of the first SR no host sees.
     */
    boolean redirected(HttpCall c, Collection<String> srs) {
        Set<String> candidates = null;
        for (String sr : srs) {
            Set<String> seeing = hostsSeeing(sr);
            if (seeing.isEmpty()) throw new ApiError(ErrorCodes.SR_HAS_NO_PBDS, sr);
            if (candidates == null) candidates = seeing;
            else candidates.retainAll(seeing);
        }
        if (candidates == null || candidates.contains(hostRef)) return false;
        if (candidates.isEmpty())
            throw new ApiError(ErrorCodes.SR_HAS_NO_PBDS, srs.iterator().next());
        String elsewhere = candidates.iterator().next();
        var uri = c.request().getHttpURI();
        String query = uri.getQuery();
        String location = uri.getScheme() + "://" + data.get(elsewhere, Host.ADDRESS)
                + (uri.getPort() > 0 ? ":" + uri.getPort() : "") + uri.getPath() + (query == null ? "" : "?" + query);
        Replies.redirect(c, location);
        return true;
    }

    /** Xapi's {@code sr_of_req}: {@code sr_id} (a reference, {@code HANDLE_INVALID} if none), else {@code sr_uuid}. */
    java.util.Optional<String> srOf(HttpCall c) {
        java.util.Optional<String> id = c.param("sr_id");
        if (id.isPresent()) {
            if (!data.exists(SR.XAPI_CLASS, id.get())) throw ApiError.handleInvalid(SR.XAPI_CLASS, id.get());
            return id;
        }
        return c.param("sr_uuid").map(u -> byUuid(SR.XAPI_CLASS, u));
    }

    /** Xapi's {@code find_query_flag}: the parameter is {@code true}. */
    static boolean flag(HttpCall c, String name) {
        return c.param(name).map("true"::equals).orElse(false);
    }

    /** Destroys a transfer's datapath {@code dp} unless null (done already), a failure logged; returns null. */
    static String detach(org.xapijava.server.storage.StorageBackends storage, String dp) {
        if (dp == null) return null;
        try {
            storage.destroyDatapath(dp);
        } catch (ApiError e) {
            LOG.warn("datapath {} not destroyed: {}", dp, e.getMessage());
        }
        return null;
    }

    /** {@code value} as a reference of {@code cls} when it is one, else as a uuid ({@code UUID_INVALID}). */
    String refOrUuid(String cls, String value) {
        return data.exists(cls, value) ? value : byUuid(cls, value);
    }

    String byUuid(String cls, String uuid) {
        return data.findByUuid(cls, uuid).orElseThrow(() -> new ApiError(ErrorCodes.UUID_INVALID, cls, uuid));
    }

    /**
     * The XenAPI as the caller: its own session, or this host's internal one (Unix socket, pool secret, and on a pool
     * member, where a client's session is refused {@code HOST_IS_SLAVE}: Xapi's handlers there call the master with
     * the pool's session too, the caller's rights checked by the handler's RBAC).
     */
    XenApi api(HttpCall c) {
        if (member || c.session() == null || Refs.isNull(c.session())) return dispatcher.internalApi(null);
        Caller caller = new Caller(
                c.caller().transport(), c.caller().remoteAddress(), c.caller().localRoot(), null);
        return new XenApi(new InProcessTransport(dispatcher, caller), c.session());
    }
}
