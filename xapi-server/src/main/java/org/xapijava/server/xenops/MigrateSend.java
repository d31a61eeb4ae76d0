package org.xapijava.server.xenops;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.db.FieldReads;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.Network;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.PIF;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.enums.PrimaryAddressType;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.HostApi;
import org.xapijava.server.api.gen.VMApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.ops.AllowedOperations;
import org.xapijava.server.session.SessionManager;
import org.xapijava.server.storage.StorageBackends;
import org.xapijava.server.task.TaskManager;
import org.xapijava.server.transfer.VdiPush;
import org.xapijava.xenopsd.Xenops;

/**
 * {@code host.migrate_receive}, {@code VM.assert_can_migrate}, {@code VM.assert_can_migrate_sender} and
 * {@code VM.migrate_send} within the pool ({@code xapi_host.ml}, {@code xapi_vm_migrate.ml}): a VM moves to a host
 * of the pool with its disks copied into SRs that host sees. {@code migrate_send} runs on the VM's host (a halted or
 * suspended VM: on a host seeing its disks):
 *
 * <ol>
 *   <li>Xapi's checks ({@link MigrateChecks}), the CDs that would move ejected;
 *   <li>each disk that changes SR gets its destination VDI ({@code VDI.create} in the mapped SR, on a host that sees
 *       it);
 *   <li>each disk (and those of the VM's snapshots) is copied into its destination over the destination host's
 *       {@code PUT /import_raw_vdi} ({@link VdiPush}) while the VM runs; the task is cancellable until the move;
 *   <li>a running VM is paused by xenopsd (its guest issues no more writes), with its events ignored meanwhile, and
 *       the blocks its guest wrote during the copy are copied again;
 *   <li>a running VM is moved by xenopsd's migration with the VDI map ({@code <sr uuid>/<location>} pairs) to the
 *       destination host, which attaches the new disks, and unpaused there; its VBDs take the new VDIs
 *       ({@code intra_pool_vdi_remap}) and the destination takes the VM over ({@code VM.pool_migrate_complete});
 *       a halted or suspended VM's VBDs just take the new VDIs;
 *   <li>the old VDIs are destroyed.
 * </ol>
 *
 * A failure before the migration destroys every VDI made and unpauses the VM where it was. A destination in another
 * pool (its host unknown here) takes {@link CrossPoolMigrate}'s path: the same copies, to that pool's host, with the
 * VM's metadata imported there. Thread-safe.
 */
public final class MigrateSend implements Messages {
    private static final Logger LOG = LoggerFactory.getLogger(MigrateSend.class);

    private final Db data;
    private final String hostRef;
    private final Xenops xenops;
    private final Lifecycle lifecycle;
    private final TaskBinding taskBinding;
    private final StateSync sync;
    private final XenopsdMetadata metadata;
    private final java.util.function.Supplier<org.xapijava.server.rrd.VmRrdMoves> rrdMoves;
    private final StorageBackends backends;
    private final TaskManager tasks;
    private final AllowedOperations allowed;
    private final Migration migration;
    private final SessionManager sessions;
    private final CrossPoolMigrate crossPool;

    public MigrateSend(
            XenopsService service,
            Db data,
            String hostRef,
            StorageBackends backends,
            TaskManager tasks,
            AllowedOperations allowed,
            Migration migration,
            SessionManager sessions) {
        this.data = data;
        this.hostRef = hostRef;
        this.xenops = service.xenops();
        this.lifecycle = service.lifecycle();
        this.taskBinding = service.tasks();
        this.sync = service.sync();
        this.metadata = service.metadata();
        this.rrdMoves = service::rrdMoves;
        this.backends = backends;
        this.tasks = tasks;
        this.allowed = allowed;
        this.migration = migration;
        this.sessions = sessions;
        this.crossPool = new CrossPoolMigrate(service, data, hostRef, backends, tasks, migration);
    }

    @Override
    public void bind(MessageTable table) {
        VMApi.bind(table, new VMApi() {
            @Override
            public void assertCanMigrate(
                    CallContext ctx,
                    String vm,
                    Map<String, String> dest,
                    boolean live,
                    Map<String, String> vdiMap,
                    Map<String, String> vifMap,
                    Map<String, String> options,
                    Map<String, String> vgpuMap) {
                MigrateSend.this.assertCanMigrate(vm, dest, vdiMap, vifMap, options);
            }

            @Override
            public void assertCanMigrateSender(
                    CallContext ctx,
                    String vm,
                    Map<String, String> dest,
                    boolean live,
                    Map<String, String> vdiMap,
                    Map<String, String> vifMap,
                    Map<String, String> vgpuMap,
                    Map<String, String> options) {
                // remote_of_dest, then the vGPU check, which has nothing to look at here (no vGPUs)
                MigrateChecks.Dest.of(dest);
            }

            @Override
            public String migrateSend(
                    CallContext ctx,
                    String vm,
                    Map<String, String> dest,
                    boolean live,
                    Map<String, String> vdiMap,
                    Map<String, String> vifMap,
                    Map<String, String> options,
                    Map<String, String> vgpuMap) {
                return MigrateSend.this.migrateSend(ctx, vm, dest, vdiMap, vifMap, options);
            }
        });
        HostApi.bind(table, new HostApi() {
            @Override
            public Map<String, String> migrateReceive(
                    CallContext ctx, String host, String network, Map<String, String> options) {
                return MigrateSend.this.migrateReceive(ctx, host, network);
            }
        });
    }

    // ------------------------------------------------------------------------------------------- migrate_receive

    /**
     * {@code host.migrate_receive}: a session for the sender (the caller's user), the address of {@code host} on
     * {@code network} ({@code HOST_CANNOT_ATTACH_NETWORK} without a PIF there; {@code PIF_HAS_NO_NETWORK_CONFIGURATION}
     * or {@code INTERFACE_HAS_NO_IP} without an address) and the URLs of its SM and xenopsd services and of the pool's
     * master, over HTTPS on the pool's port when the pool uses TLS (else plain HTTP on its HTTP port).
     */
    Map<String, String> migrateReceive(CallContext ctx, String host, String network) {
        if (!data.isValid(Host.XAPI_CLASS, host)) throw ApiError.handleInvalid(Host.XAPI_CLASS, host);
        if (!data.isValid(Network.XAPI_CLASS, network)) throw ApiError.handleInvalid(Network.XAPI_CLASS, network);
        String pif = null;
        for (String p : data.get(network, Network.PIFS)) {
            if (host.equals(data.get(p, PIF.HOST))) {
                pif = p;
                break;
            }
        }
        if (pif == null) throw new ApiError(ErrorCodes.HOST_CANNOT_ATTACH_NETWORK, host, network);
        String ip;
        String mode;
        if (PrimaryAddressType.IPV6.wire().equals(data.get(pif, PIF.PRIMARY_ADDRESS_TYPE))) {
            mode = data.get(pif, PIF.IPV6_CONFIGURATION_MODE);
            ip = "";
            for (String a : data.get(pif, PIF.IPV6)) {
                String bare = a.replaceFirst("/.*$", "");
                if (!bare.toLowerCase(java.util.Locale.ROOT).startsWith("fe80")) {
                    ip = bare;
                    break;
                }
            }
        } else {
            mode = data.get(pif, PIF.IP_CONFIGURATION_MODE);
            ip = data.get(pif, PIF.IP);
        }
        if (ip.isEmpty()) {
            throw new ApiError(
                    "None".equals(mode) ? ErrorCodes.PIF_HAS_NO_NETWORK_CONFIGURATION : ErrorCodes.INTERFACE_HAS_NO_IP,
                    pif);
        }
        String session = sessions.loginLike(ctx.sessionRef());
        String query = "?session_id=" + URLEncoder.encode(session, StandardCharsets.UTF_8);
        // HTTPS when this pool's hosts serve it (Xapi names http:// and its sender turns to HTTPS on port 443,
        // migration_https_only; here the sender cannot know this pool's HTTPS port, so the URLs carry it)
        String base = migration.baseAt(ip).toString();
        String master = migration
                .baseAt(data.get(MigrateChecks.master(data), Host.ADDRESS))
                .toString();
        Map<String, String> out = new LinkedHashMap<>();
        out.put(MigrateChecks.SM, base + "services/SM" + query);
        out.put(MigrateChecks.HOST, host);
        out.put(MigrateChecks.XENOPS, base + "services/xenops" + query);
        out.put(MigrateChecks.SESSION_ID, session);
        out.put(MigrateChecks.MASTER, master.substring(0, master.length() - 1));
        return out;
    }

    // ------------------------------------------------------------------------------------------- assert_can_migrate

    void assertCanMigrate(
            String vm,
            Map<String, String> dest,
            Map<String, String> vdiMap,
            Map<String, String> vifMap,
            Map<String, String> options) {
        MigrateChecks.Dest d = MigrateChecks.Dest.of(dest);
        if (!d.intraPool(data)) {
            crossPool.assertCanMigrate(vm, d, vdiMap, vifMap, options);
            return;
        }
        MigrateChecks.assertCanMigrateIntraPool(data, vm, d, vdiMap, vifMap, options);
    }

    // ------------------------------------------------------------------------------------------- migrate_send

    String migrateSend(
            CallContext ctx,
            String vm,
            Map<String, String> dest,
            Map<String, String> vdiMap,
            Map<String, String> vifMap,
            Map<String, String> options) {
        MigrateChecks.Dest d = MigrateChecks.Dest.of(dest);
        if (!d.intraPool(data)) return crossPool.migrateSend(ctx, vm, d, vdiMap, vifMap, options);
        // the forwarding layer's assert_can_migrate, then migrate_send's own checks
        MigrateChecks.assertCanMigrateIntraPool(data, vm, d, vdiMap, vifMap, options);
        if (Boolean.parseBoolean(options.getOrDefault("copy", "false"))) {
            throw new ApiError(
                    ErrorCodes.OPERATION_NOT_ALLOWED,
                    "Copy mode is disallowed on intra pool storage migration, try efficient alternatives, for"
                            + " example, VM.copy/clone.");
        }
        List<String> vbds = MigrateChecks.disks(data, vm);
        MigrateChecks.checkVdiMap(data, vbds, vdiMap);
        MigrateChecks.assertNoResetOnBoot(data, vbds);
        String power = data.get(vm, VM.POWER_STATE);
        boolean running = "Running".equals(power);
        List<DiskCopy> copies = new ArrayList<>();
        for (String vbd : vbds) {
            String vdi = data.get(vbd, VBD.VDI);
            String sr = vdiMap.get(vdi);
            boolean live = running && "RW".equals(data.get(vbd, VBD.MODE));
            if (!sr.equals(data.get(vdi, VDI.SR))) copies.add(new DiskCopy(data, vm, vbd, vdi, sr, live));
        }
        // the extra VDIs: suspend images the destination does not see, then the snapshots' disks
        List<String> vmAndSnapshots = new ArrayList<>(List.of(vm));
        vmAndSnapshots.addAll(data.get(vm, VM.SNAPSHOTS));
        for (String owner : vmAndSnapshots) {
            DiskCopy suspend = suspendImage(owner, d.host(), vdiMap);
            if (suspend != null) copies.add(suspend);
        }
        for (String snapshot : data.get(vm, VM.SNAPSHOTS)) {
            for (String vbd : MigrateChecks.disks(data, snapshot)) {
                String vdi = data.get(vbd, VBD.VDI);
                String to = snapshotDestination(vdi, vdiMap);
                if (!to.equals(data.get(vdi, VDI.SR))) copies.add(new DiskCopy(data, snapshot, vbd, vdi, to, false));
            }
        }
        Map<String, String> fullMap = new LinkedHashMap<>(vdiMap);
        for (DiskCopy c : copies) fullMap.put(c.vdi, c.sr);
        MigrateChecks.assertCanMigrateVdis(data, fullMap);
        if (!"Suspended".equals(power)) ejectMovingCds(ctx, data, vm, vdiMap);
        String task = ctx.taskRef();
        if (task != null) tasks.setCancellable(task, null);
        Map<String, String> destSessions = new LinkedHashMap<>();
        // whether the VM runs on the new disks (then they stay, whatever fails afterwards)
        boolean[] moved = {false};
        try {
            for (DiskCopy c : copies) {
                Map<String, Object> rec =
                        StorageMotion.destinationRecord(data.record(VDI.XAPI_CLASS, c.vdi), c.sr, Map.of());
                c.created = onHostSeeing(
                        ctx, c.sr, destSessions, false, api -> api.vdi().create(rec));
            }
            // every disk copied while the VM runs; then what it wrote meanwhile, once it is paused
            DiskCopy.copyAll(ctx, backends, copies, c -> importUri(c, destSessions), migration.poolTls());
            if (running) {
                moveRunning(ctx, vm, d.host(), copies, destSessions, moved);
            } else {
                ctx.checkCancelled();
                if (task != null) tasks.setNotCancellable(task);
                moved[0] = true;
                remapAll(d.host(), copies);
            }
            relinkSnapshots(copies);
        } finally {
            if (!moved[0]) abandon(ctx, copies, destSessions);
            destSessions.forEach(migration::logout);
        }
        for (DiskCopy c : copies) {
            try {
                ctx.apiInOwnTask().vdi().destroy(c.vdi);
            } catch (RuntimeException e) {
                LOG.warn("VM.migrate_send {}: destroying the old VDI {}: {}", vm, c.vdi, e.toString());
            }
            allowed.update(VDI.XAPI_CLASS, c.created);
            if (c.vbd != null) allowed.update(VBD.XAPI_CLASS, c.vbd);
        }
        return vm;
    }

    /**
     * The suspend image of a suspended VM when the destination does not see its SR: mapped as Xapi maps it (the
     * VDI map, else the destination pool's suspend image SR, the host's, the default SR, else
     * {@code VDI_NOT_IN_MAP}); {@code SUSPEND_IMAGE_NOT_ACCESSIBLE} when this host does not see it either.
     */
    private DiskCopy suspendImage(String vm, String destHost, Map<String, String> vdiMap) {
        if (!"Suspended".equals(data.get(vm, VM.POWER_STATE))) return null;
        String vdi = data.get(vm, VM.SUSPEND_VDI);
        if (!data.isValid(VDI.XAPI_CLASS, vdi)) return null;
        String sr = data.get(vdi, VDI.SR);
        if (sees(data, destHost, sr)) return null;
        if (!sees(data, hostRef, sr)) throw new ApiError(ErrorCodes.SUSPEND_IMAGE_NOT_ACCESSIBLE, vdi);
        String pool = data.all(Pool.XAPI_CLASS).getFirst();
        String to = vdiMap.get(vdi);
        for (String candidate : new String[] {
            data.get(pool, Pool.SUSPEND_IMAGE_SR),
            data.get(destHost, Host.SUSPEND_IMAGE_SR),
            data.get(pool, Pool.DEFAULT_SR)
        }) {
            if (to == null && data.isValid(SR.XAPI_CLASS, candidate)) to = candidate;
        }
        if (to == null) throw new ApiError(ErrorCodes.VDI_NOT_IN_MAP, vdi);
        return new DiskCopy(data, vm, null, vdi, to, false);
    }

    /**
     * Where a snapshot's disk goes, as Xapi resolves it: its own entry of the VDI map, else that of the disk it is a
     * snapshot of, else the pool's default SR, else {@code VDI_NOT_IN_MAP [vdi]}.
     */
    private String snapshotDestination(String vdi, Map<String, String> vdiMap) {
        String to = vdiMap.get(vdi);
        if (to == null) to = vdiMap.get(data.get(vdi, VDI.SNAPSHOT_OF));
        if (to == null) {
            String def = data.get(data.all(Pool.XAPI_CLASS).getFirst(), Pool.DEFAULT_SR);
            if (data.isValid(SR.XAPI_CLASS, def)) to = def;
        }
        if (to == null) throw new ApiError(ErrorCodes.VDI_NOT_IN_MAP, vdi);
        return to;
    }

    /**
     * {@code update_snapshot_info}: a snapshot's new disk is a snapshot (its time kept) of the new disk of what the
     * old one was a snapshot of, or of that same disk when it did not move.
     */
    private void relinkSnapshots(List<DiskCopy> copies) {
        Map<String, String> moved = new LinkedHashMap<>();
        for (DiskCopy c : copies) moved.put(c.vdi, c.created);
        for (DiskCopy c : copies) {
            if (!data.get(c.vdi, VDI.IS_A_SNAPSHOT)) continue;
            String of = data.get(c.vdi, VDI.SNAPSHOT_OF);
            org.xapijava.server.storage.rpc.SmVdis.markSnapshot(
                    data, c.created, moved.getOrDefault(of, of), data.get(c.vdi, VDI.SNAPSHOT_TIME));
        }
    }

    /** {@code find_cds_to_eject}, {@code eject_cds}: the VM's CDs whose disk is not mapped to its own SR. */
    static void ejectMovingCds(CallContext ctx, FieldReads data, String vm, Map<String, String> vdiMap) {
        for (String vbd : data.get(vm, VM.VBDS)) {
            if (!"CD".equals(data.get(vbd, VBD.TYPE))) continue;
            String vdi = data.get(vbd, VBD.VDI);
            if (!data.isValid(VDI.XAPI_CLASS, vdi)) continue;
            if (data.get(vdi, VDI.SR).equals(vdiMap.get(vdi))) continue;
            ctx.api().vbd().eject(vbd);
        }
    }

    /**
     * The running VM ({@code moved} set once it has left for the new disks): paused, the blocks written during the
     * first copy copied again, moved by xenopsd with the VDI map, unpaused on the destination,
     * remapped, taken over by the destination; its events here ignored throughout.
     */
    private void moveRunning(
            CallContext ctx,
            String vm,
            String destHost,
            List<DiskCopy> copies,
            Map<String, String> destSessions,
            boolean[] moved) {
        lifecycle.assertResidentOn(vm);
        String dbg = TaskBinding.dbg(ctx);
        String id = lifecycle.uuid(vm);
        boolean localhost = destHost.equals(hostRef);
        String session = localhost ? ctx.sessionRef() : session(destHost, destSessions);
        String url = migration.xenopsUrl(destHost, data.get(destHost, Host.ADDRESS), session);
        Map<String, String> xenopsMap = new LinkedHashMap<>();
        for (DiskCopy c : copies) {
            if (c.owner.equals(vm) && c.vbd != null) xenopsMap.put(locator(c.vdi), locator(c.created));
        }
        lifecycle.transform(
                vm,
                () -> sync.withSuppressed(dbg, id, () -> {
                    LOG.info("xenops: VM.pause {} for the last round of its disks' copy", id);
                    taskBinding.sync(ctx, xenops.vmPause(dbg, id));
                    boolean left = false;
                    try {
                        DiskCopy.copyChanges(
                                ctx, backends, copies, c -> importUri(c, destSessions), migration.poolTls());
                        ctx.checkCancelled();
                        if (ctx.taskRef() != null) tasks.setNotCancellable(ctx.taskRef());
                        LOG.info("xenops: VM.migrate {} to {} with vdi_map {}", id, destHost, xenopsMap);
                        taskBinding.syncWithTask(
                                ctx,
                                migration.vmMigrate(
                                        dbg, id, url, localhost, xenopsMap, Migration.xenopsVifMap(data, vm)),
                                false);
                        left = true;
                        moved[0] = true;
                    } finally {
                        if (!left) DiskCopy.unpauseHere(ctx, xenops, taskBinding, id);
                    }
                    try {
                        if (!localhost && xenops.vmExists(dbg, id)) metadata.delete(dbg, id);
                        unpause(ctx, id, localhost, url);
                        if (!localhost) rrdMoves.get().migrated(id, destHost);
                        remapAll(destHost, copies);
                        migration.callComplete(ctx, vm, destHost, session);
                    } catch (RuntimeException e) {
                        LOG.error("VM.migrate_send {}: after the VM left: {}", id, e.toString());
                        if (!localhost && data.exists(VM.XAPI_CLASS, vm)) data.set(vm, VM.RESIDENT_ON, destHost);
                        throw e;
                    }
                    return null;
                }));
    }

    /** The VM unpaused where it now runs: here, or through the destination's xenopsd. */
    private void unpause(CallContext ctx, String id, boolean localhost, String url) {
        String dbg = TaskBinding.dbg(ctx);
        if (localhost) taskBinding.sync(ctx, xenops.vmUnpause(dbg, id));
        else DiskCopy.unpauseRemote(dbg, id, url, migration.poolTls());
    }

    /**
     * {@code import_raw_vdi} of the new VDI on a host that sees its SR, in Xapi's chunked framing, over the pool's TLS
     * when the pool's traffic is.
     */
    private URI importUri(DiskCopy c, Map<String, String> destSessions) {
        String host = hostSeeing(c.sr);
        return migration
                .poolUri(host)
                .resolve("import_raw_vdi?format=raw&chunked=true&vdi=" + enc(c.created) + "&session_id="
                        + enc(session(host, destSessions)));
    }

    /**
     * {@code call} run by a host that sees {@code sr}: here through the in-process XenAPI (in a task of its own when
     * {@code ownTask}), on another host straight to its xapi with a pool session (a member's in-process XenAPI runs
     * calls on the member itself, which may not see the SR).
     */
    private <T> T onHostSeeing(
            CallContext ctx,
            String sr,
            Map<String, String> destSessions,
            boolean ownTask,
            java.util.function.Function<org.xapijava.model.client.XenApi, T> call) {
        String host = hostSeeing(sr);
        if (host.equals(hostRef)) return call.apply(ownTask ? ctx.apiInOwnTask() : ctx.api());
        return migration.onDestination(host, session(host, destSessions), call);
    }

    /** A pool session on {@code host}, made once per call. */
    private String session(String host, Map<String, String> destSessions) {
        return destSessions.computeIfAbsent(host, migration::destinationSession);
    }

    /**
     * {@code intra_pool_vdi_remap} of the VM's VBDs and suspend image, then {@code intra_pool_fix_suspend_sr}: a
     * suspend SR the destination does not see is forgotten.
     */
    private void remapAll(String destHost, List<DiskCopy> copies) {
        java.util.Set<String> owners = new java.util.LinkedHashSet<>();
        for (DiskCopy c : copies) {
            owners.add(c.owner);
            if (c.vbd != null) StorageMotion.remap(data, c.vbd, c.vdi, c.created);
            else data.set(c.owner, VM.SUSPEND_VDI, c.created);
        }
        for (String vm : owners) {
            String suspendSr = data.get(vm, VM.SUSPEND_SR);
            if (data.isValid(SR.XAPI_CLASS, suspendSr) && !sees(data, destHost, suspendSr)) {
                data.set(vm, VM.SUSPEND_SR, org.xapijava.model.types.Refs.NULL);
            }
        }
    }

    /** After a failure before the move: every VDI made is destroyed. */
    private void abandon(CallContext ctx, List<DiskCopy> copies, Map<String, String> destSessions) {
        for (DiskCopy c : copies) {
            if (c.created == null) continue;
            try {
                onHostSeeing(ctx, c.sr, destSessions, true, api -> {
                    api.vdi().destroy(c.created);
                    return null;
                });
            } catch (RuntimeException e) {
                LOG.warn("VM.migrate_send: destroying VDI {} after a failure: {}", c.created, e.toString());
            }
        }
    }

    /** Xapi's {@code xenops_vdi_locator}: {@code <sr uuid>/<location>}. */
    private String locator(String vdi) {
        return data.get(data.get(vdi, VDI.SR), SR.UUID) + "/" + data.get(vdi, VDI.LOCATION);
    }

    /** A host with a plugged PBD of {@code sr}: this host when it is one, else the first. */
    private String hostSeeing(String sr) {
        String first = null;
        for (String pbd : data.get(sr, SR.PBDS)) {
            if (!data.get(pbd, PBD.CURRENTLY_ATTACHED)) continue;
            String h = data.get(pbd, PBD.HOST);
            if (h.equals(hostRef)) return h;
            if (first == null) first = h;
        }
        if (first == null) throw new ApiError(ErrorCodes.SR_HAS_NO_PBDS, sr);
        return first;
    }

    /** {@code Helpers.host_has_pbd_for_sr}. */
    static boolean sees(FieldReads r, String host, String sr) {
        for (String pbd : r.get(sr, SR.PBDS)) {
            if (host.equals(r.get(pbd, PBD.HOST))) return true;
        }
        return false;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
