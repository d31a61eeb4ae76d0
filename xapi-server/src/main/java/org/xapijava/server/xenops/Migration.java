package org.xapijava.server.xenops;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.db.FieldReads;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.Network;
import org.xapijava.model.api.PIF;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.enums.PrimaryAddressType;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.VMApi;
import org.xapijava.server.client.XmlRpcTransport;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.xenopsd.PowerState;
import org.xapijava.xenopsd.Xenops;

/**
 * Live migration between the hosts of the pool, as Xapi's {@code xapi_vm_migrate.ml} does it:
 * {@code VM.pool_migrate} runs on the VM's host (the forwarding layer marked the VM {@code pool_migrate}, checked
 * the destination as for a start and reserved it with {@code vm_migrate}); there xenopsd is asked to
 * {@code VM.migrate} the VM to the destination host's xenopsd, reached through the destination's xapi at
 * {@code http://<address>/services/xenops?session_id=...} ({@link org.xapijava.server.http.XenopsServicesHandler}),
 * with this VM's events ignored meanwhile ({@code with_suppressed}); once the VM has left, its records here are
 * dropped, its RRD sent to the destination ({@code migrate_rrd}) and {@code VM.pool_migrate_complete} is called
 * on the destination, which takes the VM over: its
 * {@code resident_on} becomes that host and its state (domid, power state) is read from that host's xenopsd. A
 * migration that fails leaves the VM running here, resident here. Thread-safe.
 */
public final class Migration implements Messages {
    private static final Logger LOG = LoggerFactory.getLogger(Migration.class);
    /** How long the call of {@code VM.pool_migrate_complete} on the destination may take. */
    private static final Duration COMPLETE_TIMEOUT = Duration.ofMinutes(5);
    /** The key of {@code VM.pool_migrate}'s options naming the network to migrate over. */
    public static final String OPTION_NETWORK = "network";

    private final Db data;
    private final String hostRef;
    private final Xenops xenops;
    private final Lifecycle lifecycle;
    private final TaskBinding tasks;
    private final StateSync sync;
    private final XenopsdMetadata metadata;
    private final IntSupplier port;
    private final org.xapijava.server.session.PoolSecret secret;
    private final java.util.function.Supplier<org.xapijava.server.rrd.VmRrdMoves> rrdMoves;
    private final PoolLink link;

    /**
     * How this host reaches another host of its pool: the base URI of an address ({@code https://address:port/} when
     * the pool's traffic is over TLS), the TLS context of those connections (null: plain HTTP), and whether peers are
     * verified (Xapi's {@code Stunnel_client.pool}: a migration's {@code verify_dest}).
     */
    public record PoolLink(
            java.util.function.Function<String, URI> base,
            javax.net.ssl.SSLContext tls,
            java.util.function.BooleanSupplier verifying) {}

    /**
     * @param port the port the pool's hosts answer HTTP on (this host's, as {@code forward.HostClients} assumes)
     * @param link how the pool's other hosts are reached for the migration itself and its calls there
     */
    public Migration(
            XenopsService service,
            Db data,
            String hostRef,
            IntSupplier port,
            org.xapijava.server.session.PoolSecret secret,
            PoolLink link) {
        this.link = link;
        this.secret = secret;
        this.data = data;
        this.hostRef = hostRef;
        this.xenops = service.xenops();
        this.lifecycle = service.lifecycle();
        this.tasks = service.tasks();
        this.sync = service.sync();
        this.metadata = service.metadata();
        this.port = port;
        this.rrdMoves = service::rrdMoves;
    }

    @Override
    public void bind(MessageTable table) {
        VMApi.bind(table, new VMApi() {
            @Override
            public void poolMigrate(CallContext ctx, String vm, String host, Map<String, String> options) {
                Migration.this.poolMigrate(ctx, vm, host, options);
            }

            @Override
            public void poolMigrateComplete(CallContext ctx, String vm, String host) {
                complete(ctx, vm);
            }
        });
    }

    /** {@code pool_migrate} on the VM's host. */
    void poolMigrate(CallContext ctx, String vm, String host, Map<String, String> options) {
        String dbg = TaskBinding.dbg(ctx);
        if (!data.exists(Host.XAPI_CLASS, host)) throw ApiError.handleInvalid(Host.XAPI_CLASS, host);
        lifecycle.transform(vm, () -> {
            lifecycle.assertResidentOn(vm);
            String id = lifecycle.uuid(vm);
            boolean localhost = host.equals(hostRef);
            // another host gets a pool session it made itself (a client's session is HOST_IS_SLAVE on a member, and a
            // session made here might not have reached its replica yet)
            String session = localhost
                    ? ctx.sessionRef()
                    : onDestination(host, null, api -> api.session().slaveLogin(host, secret.value()));
            String url = xenopsUrl(host, destinationAddress(data, host, options), session);
            sync.withSuppressed(dbg, id, () -> {
                try {
                    LOG.info("xenops: VM.migrate {} to {} ({})", id, host, url.replaceFirst("\\?.*$", ""));
                    // Xapi's pool_migrate gives xenopsd no VIF map
                    tasks.syncWithTask(ctx, vmMigrate(dbg, id, url, localhost, Map.of(), Map.of()), true);
                    // every record of the VM here goes (xenopsd removed it at the end of the migration)
                    if (!localhost && xenops.vmExists(dbg, id)) metadata.delete(dbg, id);
                    // migrate_rrd: the VM's statistics follow it
                    if (!localhost) rrdMoves.get().migrated(id, host);
                    callComplete(ctx, vm, host, session);
                } catch (RuntimeException e) {
                    LOG.error("xenops: VM.migrate {}: caught {}", id, e.toString());
                    shutDownIfSuspended(ctx, vm, id);
                    recordIfLeft(dbg, vm, id, host, localhost);
                    throw e;
                } finally {
                    if (!localhost) logout(host, session);
                }
                return null;
            });
        });
    }

    /**
     * The address the destination is reached at: its {@code address}, or with a {@code network} option its IP on that
     * network ({@code assert_valid_ip_configuration_on_network_for_host}).
     */
    static String destinationAddress(FieldReads r, String host, Map<String, String> options) {
        String network = options.get(OPTION_NETWORK);
        return network == null ? r.get(host, Host.ADDRESS) : addressOnNetwork(r, network, host);
    }

    /**
     * {@code assert_valid_ip_configuration_on_network_for_host}: the primary address of the host's PIF on
     * {@code network}; {@code PIF_NOT_PRESENT [host, network]} without one, {@code REQUIRED_PIF_IS_UNPLUGGED [pif]}
     * when it is unplugged, {@code INTERFACE_HAS_NO_IP [pif]} when it has no address.
     */
    public static String addressOnNetwork(FieldReads r, String network, String host) {
        if (!r.isValid(Network.XAPI_CLASS, network)) throw ApiError.handleInvalid(Network.XAPI_CLASS, network);
        String pif = null;
        for (String p : r.get(network, Network.PIFS)) {
            if (r.isValid(PIF.XAPI_CLASS, p) && host.equals(r.get(p, PIF.HOST))) {
                pif = p;
                break;
            }
        }
        if (pif == null) throw new ApiError(ErrorCodes.PIF_NOT_PRESENT, host, network);
        if (!r.get(pif, PIF.CURRENTLY_ATTACHED)) throw new ApiError(ErrorCodes.REQUIRED_PIF_IS_UNPLUGGED, pif);
        String ip;
        if (PrimaryAddressType.IPV6.wire().equals(r.get(pif, PIF.PRIMARY_ADDRESS_TYPE))) {
            List<String> v6 = r.get(pif, PIF.IPV6);
            ip = v6.isEmpty() ? "" : v6.getFirst().replaceFirst("/.*$", "");
        } else {
            ip = r.get(pif, PIF.IP);
        }
        if (ip.isEmpty()) throw new ApiError(ErrorCodes.INTERFACE_HAS_NO_IP, pif);
        return ip;
    }

    /** The URL of this host's xenopsd for a localhost migration (a storage migration's switch). */
    String localXenopsUrl(String session) {
        return xenopsUrl(hostRef, data.get(hostRef, Host.ADDRESS), session);
    }

    /**
     * {@code http://<address>:<port>/services/xenops?session_id=<session>} of the destination: {@code https} to
     * another host when the pool's traffic is over TLS (Xapi's {@code migration_https_only}), plain HTTP to this one.
     */
    String xenopsUrl(String host, String address, String session) {
        URI base = host.equals(hostRef)
                ? XmlRpcTransport.hostUri(address, port.getAsInt())
                : link.base().apply(address);
        return base + "services/xenops?session_id=" + URLEncoder.encode(session, StandardCharsets.UTF_8);
    }

    /**
     * xenopsd's {@code VM.migrate} to {@code url}, its destination's certificate verified against the pool's when the
     * URL is {@code https} and the pool verifies its peers.
     */
    String vmMigrate(
            String dbg,
            String id,
            String url,
            boolean localhost,
            Map<String, String> vdiMap,
            Map<String, org.xapijava.xenopsd.Vif.Network> vifMap) {
        boolean verify = url.startsWith("https:") && link.verifying().getAsBoolean();
        return xenops.vmMigrate(dbg, id, url, localhost, vdiMap, vifMap, verify);
    }

    /**
     * The {@code xenops_vif_map} of Xapi's {@code migrate_send'} for a VM of this pool: each VIF's device to the bridge
     * of its network ({@code Network.Local}), so that xenopsd puts the moved VM's interfaces on those bridges.
     */
    static Map<String, org.xapijava.xenopsd.Vif.Network> xenopsVifMap(Db data, String vm) {
        Map<String, org.xapijava.xenopsd.Vif.Network> out = new java.util.LinkedHashMap<>();
        for (String vif : data.get(vm, VM.VIFS)) {
            if (!data.exists(org.xapijava.model.api.VIF.XAPI_CLASS, vif)) continue;
            String net = data.get(vif, org.xapijava.model.api.VIF.NETWORK);
            String bridge = data.exists(Network.XAPI_CLASS, net) ? data.get(net, Network.BRIDGE) : "";
            out.put(data.get(vif, org.xapijava.model.api.VIF.DEVICE), new org.xapijava.xenopsd.Vif.Local(bridge));
        }
        return out;
    }

    /**
     * {@code VM.pool_migrate_complete} on the destination: here through the in-process XenAPI; on another host
     * straight to its xapi (Xapi goes through the master, which forwards it there; in this build a member's
     * in-process XenAPI runs calls locally), with a pool session.
     */
    void callComplete(CallContext ctx, String vm, String host, String session) {
        if (host.equals(hostRef)) {
            ctx.api().vm().poolMigrateComplete(vm, host);
            return;
        }
        onDestination(host, session, api -> {
            api.vm().poolMigrateComplete(vm, host);
            return null;
        });
    }

    /** Runs {@code call} with the XenAPI of {@code host} (its xapi over XML-RPC) under {@code session}. */
    <T> T onDestination(String host, String session, java.util.function.Function<XenApi, T> call) {
        try (XmlRpcTransport t = XmlRpcTransport.tcp(poolUri(host), link.tls(), COMPLETE_TIMEOUT)) {
            return call.apply(new XenApi(t, session));
        }
    }

    /** A pool session made by {@code host} itself (usable there at once: no wait for its replica). */
    String destinationSession(String host) {
        return onDestination(host, null, api -> api.session().slaveLogin(host, secret.value()));
    }

    /**
     * The base URL of {@code host}'s xapi for the pool's traffic: {@code https://<address>:<https port>/} when the
     * pool's traffic is over TLS (with {@link #poolTls()}), else {@link #hostUri}.
     */
    URI poolUri(String host) {
        return baseAt(data.get(host, Host.ADDRESS));
    }

    /** The base URI of this pool's xapi at {@code address}: HTTPS on the pool's port when the pool uses TLS. */
    URI baseAt(String address) {
        return link.base().apply(address);
    }

    /** The TLS context of the pool's connections (null: plain HTTP). */
    javax.net.ssl.SSLContext poolTls() {
        return link.tls();
    }

    /** The base URL ({@code http://<address>:<port>/}) of {@code host}'s xapi. */
    URI hostUri(String host) {
        return XmlRpcTransport.hostUri(data.get(host, Host.ADDRESS), port.getAsInt());
    }

    void logout(String host, String session) {
        try {
            onDestination(host, session, api -> {
                api.session().logout();
                return null;
            });
        } catch (RuntimeException e) {
            LOG.debug("logout of the migration's pool session: {}", e.toString());
        }
    }

    /**
     * After a failure past xenopsd's end of the migration (the destination's {@code pool_migrate_complete} failed):
     * the VM runs there, so the database says so, and the destination's xapi follows its events from now on.
     */
    private void recordIfLeft(String dbg, String vm, String id, String host, boolean localhost) {
        try {
            if (!localhost && !xenops.vmExists(dbg, id) && data.exists(VM.XAPI_CLASS, vm)) {
                LOG.warn(
                        "VM {} has left for host {}, whose pool_migrate_complete failed: resident there now", id, host);
                data.set(vm, VM.RESIDENT_ON, host);
            }
        } catch (RuntimeException again) {
            LOG.warn("VM {}: recording where it runs after a failed migration: {}", id, again.toString());
        }
    }

    /** After a failure: a VM xenopsd reports suspended here is shut down, as Xapi tidies up. */
    private void shutDownIfSuspended(CallContext ctx, String vm, String id) {
        try {
            if (xenops.vmExists(TaskBinding.dbg(ctx), id)
                    && xenops.vmStat(TaskBinding.dbg(ctx), id).state().powerState() == PowerState.Suspended) {
                LOG.info("xenops: {}: shutting down suspended VM", id);
                tasks.waitFor(TaskBinding.dbg(ctx), xenops.vmShutdown(TaskBinding.dbg(ctx), id, null));
            }
        } catch (RuntimeException ignored) {
            LOG.debug("tidying up after the migration of {}: {}", vm, ignored.toString());
        }
    }

    /**
     * {@code pool_migrate_complete} on the destination: when this host's xenopsd has the VM, it becomes resident
     * here ({@code set_resident_on}) and its state is read afresh ({@code add_caches}, {@code refresh_vm}); then its
     * power state is reset in place, which recomputes its allowed operations.
     */
    void complete(CallContext ctx, String vm) {
        String dbg = TaskBinding.dbg(ctx);
        String id = data.get(vm, VM.UUID);
        LOG.debug("VM.pool_migrate_complete {}", id);
        sync.removePendingGuidance(vm, "restart_device_model");
        if (xenops.vmExists(dbg, id)) {
            // set_resident_on (atomic_set_resident_on): resident here, its reservation cleared
            data.apply(org.xapijava.db.Update.builder()
                    .set(vm, VM.RESIDENT_ON, hostRef)
                    .set(vm, VM.SCHEDULED_TO_BE_RESIDENT_ON, org.xapijava.model.types.Refs.NULL)
                    .build());
            metadata.addCaches(id);
            sync.refreshAndWait(dbg, id);
            try {
                metadata.update(dbg, vm);
            } catch (RuntimeException e) {
                LOG.warn("VM {}: pushing its metadata after the migration: {}", id, e.toString());
            }
        }
        sync.forceStateReset(vm, data.get(vm, VM.POWER_STATE), true);
    }
}
