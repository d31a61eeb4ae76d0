package org.xapijava.server.xenops;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.SM;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VIF;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.enums.TaskStatusType;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.api.Pause;
import org.xapijava.server.client.XmlRpcTransport;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.storage.StorageBackends;
import org.xapijava.server.task.TaskManager;
import org.xapijava.server.vm.Vms;
import org.xapijava.xenopsd.Xenops;

/**
 * {@code VM.assert_can_migrate} and {@code VM.migrate_send} to a host of another pool ({@code xapi_vm_migrate.ml},
 * {@code migrate_send'} with {@code is_intra_pool=false}), reaching that pool's master with the XenAPI under the
 * {@code dest} session and its host's {@code /import_raw_vdi}, {@code /import_metadata} and {@code /services/xenops}:
 *
 * <ol>
 *   <li>the checks of {@code assert_can_migrate}'s cross-pool branch, ending with a dry-run {@code /import_metadata}
 *       on the destination ({@code inter_pool_metadata_transfer ~dry_run:true});
 *   <li>each disk of the VM, of its snapshots and its suspend image gets a VDI in its SR there ({@code VDI.create}
 *       through the remote master, the SR's PBDs on its master and the destination host plugged first), and is
 *       copied into it ({@link DiskCopy}) while the VM runs; the task is cancellable until the switch; then the
 *       snapshots' copies are linked there as here ({@link RemoteSnapshotInfo}, through its {@code /services/SM});
 *   <li>the VM's metadata (its snapshots too unless {@code copy}) goes over as Xapi sends it: each VDI's and VIF's
 *       {@code other_config:maps_to} names the remote VDI and network, then this host's {@code /export_metadata} is
 *       put to the destination's {@code /import_metadata?restore=...&live=true&dry_run=false&...} in a task of the
 *       remote pool, whose result is the VMs made there;
 *   <li>a running VM is paused, the blocks written since copied again, moved by xenopsd to the destination's
 *       xenopsd with the VDI map ({@code <sr uuid>/<location>} pairs), unpaused there and taken over by the remote
 *       pool ({@code VM.pool_migrate_complete});
 *   <li>unless {@code copy}: the VM's RRD, messages and blobs are sent there ({@code migrate_rrd}, {@code send_messages},
 *       {@code Xapi_blob.migrate_push}: {@link CrossPoolMessagesAndBlobs}, through this pool's master), then here the
 *       VM, its snapshots (with their VBDs, VIFs, ...) and the old VDIs are destroyed.
 * </ol>
 *
 * A failure before the switch destroys what was made in the other pool (the VMs imported, by uuid, and the VDIs) and
 * leaves the VM here, unpaused. Thread-safe.
 */
final class CrossPoolMigrate {
    private static final Logger LOG = LoggerFactory.getLogger(CrossPoolMigrate.class);
    private static final Duration REMOTE_TIMEOUT = Duration.ofMinutes(5);
    private static final Pattern REF = Pattern.compile("OpaqueRef:[0-9A-Za-z-]+");

    private final Db data;
    private final String hostRef;
    private final Xenops xenops;
    private final Lifecycle lifecycle;
    private final TaskBinding taskBinding;
    private final StateSync sync;
    private final XenopsdMetadata metadata;
    private final StorageBackends backends;
    private final TaskManager tasks;
    private final Migration migration;
    private final java.util.function.Supplier<org.xapijava.server.rrd.VmRrdMoves> rrdMoves;
    private final CrossPoolMessagesAndBlobs messagesAndBlobs;

    CrossPoolMigrate(
            XenopsService service,
            Db data,
            String hostRef,
            StorageBackends backends,
            TaskManager tasks,
            Migration migration) {
        this.data = data;
        this.hostRef = hostRef;
        this.xenops = service.xenops();
        this.lifecycle = service.lifecycle();
        this.taskBinding = service.tasks();
        this.sync = service.sync();
        this.metadata = service.metadata();
        this.backends = backends;
        this.tasks = tasks;
        this.migration = migration;
        this.rrdMoves = service::rrdMoves;
        this.messagesAndBlobs = new CrossPoolMessagesAndBlobs(data, migration);
    }

    /** The destination pool's master, reached with the XenAPI under the {@code dest} session. */
    private record Remote(MigrateChecks.Dest dest, XmlRpcTransport transport, XenApi api) implements AutoCloseable {
        static Remote of(MigrateChecks.Dest d) {
            URI master = URI.create(d.masterUrl() + "/");
            // another pool: HTTPS without verification, as Xapi's make_remote_rpc ~verify_cert:None
            XmlRpcTransport t = XmlRpcTransport.tcp(master, https(master) ? UNVERIFIED : null, REMOTE_TIMEOUT);
            return new Remote(d, t, new XenApi(t, d.session()));
        }

        /** The destination host's xapi: {@code http(s)://<ip>:<port>/} of its xenopsd's URL. */
        URI hostBase() {
            return URI.create(dest.xenopsUrl()).resolve("/");
        }

        /** The TLS context for the destination host's URLs: any certificate taken (another pool's), or null. */
        javax.net.ssl.SSLContext tls() {
            return https(hostBase()) ? UNVERIFIED : null;
        }

        @Override
        public void close() {
            transport.close();
        }
    }

    // ------------------------------------------------------------------------------------------- assert_can_migrate

    /** {@code assert_can_migrate}'s cross-pool branch, in Xapi's order. */
    void assertCanMigrate(
            String vm,
            MigrateChecks.Dest d,
            Map<String, String> vdiMap,
            Map<String, String> vifMap,
            Map<String, String> options) {
        try (Remote remote = Remote.of(d)) {
            assertCanMigrate(remote, vm, vdiMap, vifMap, options);
        }
    }

    private void assertCanMigrate(
            Remote remote,
            String vm,
            Map<String, String> vdiMap,
            Map<String, String> vifMap,
            Map<String, String> options) {
        boolean force = option(options, "force");
        boolean copy = option(options, "copy");
        String source = data.get(vm, VM.RESIDENT_ON);
        if (!data.isValid(Host.XAPI_CLASS, source)) source = MigrateChecks.master(data);
        MigrateChecks.checkVdiMap(data, MigrateChecks.disks(data, vm), vdiMap);
        String destHost = remote.dest().host();
        if (!HostVersions.atLeast(
                remote.api().host().getSoftwareVersion(destHost), data.get(source, Host.SOFTWARE_VERSION))) {
            throw new ApiError(ErrorCodes.VM_HOST_INCOMPATIBLE_VERSION_MIGRATE, vm, destHost);
        }
        String power = data.get(vm, VM.POWER_STATE);
        assertSrSupport(remote, vdiMap);
        if (!force && copy && !"Halted".equals(power)) {
            throw new ApiError(ErrorCodes.VM_BAD_POWER_STATE, vm, "halted", power.toLowerCase(java.util.Locale.ROOT));
        }
        if (!remote.api().host().getEnabled(destHost)) throw new ApiError(ErrorCodes.HOST_DISABLED, destHost);
        assertEnoughPcpus(remote, vm);
        Map<String, String> vifs = inferVifMap(vm, vifMap);
        Map<String, String> noVdis = new LinkedHashMap<>();
        for (String vdi : vdiMap.keySet()) noVdis.put(vdi, null);
        metadataTransfer(remote, vm, noVdis, vifs, true, copy, !force && !"Halted".equals(power));
        MigrateChecks.assertCanMigrateVdis(data, vdiMap);
    }

    /**
     * {@code assert_sr_support_operations} with a remote pool: each disk's SR here supports {@code VDI_SNAPSHOT} and
     * {@code VDI_MIRROR}, the SR it goes to there (its type's SM record there) {@code VDI_SNAPSHOT} and
     * {@code VDI_MIRROR_IN}, else {@code SR_DOES_NOT_SUPPORT_MIGRATION}; an SR unknown there is that pool's
     * {@code HANDLE_INVALID}.
     */
    private void assertSrSupport(Remote remote, Map<String, String> vdiMap) {
        Map<String, Map<String, Object>> sms = remote.api().sm().getAllRecords();
        for (Map.Entry<String, String> e : vdiMap.entrySet()) {
            String vdi = e.getKey();
            if (!data.isValid(VDI.XAPI_CLASS, vdi)) throw ApiError.handleInvalid(VDI.XAPI_CLASS, vdi);
            if (data.get(vdi, VDI.SR).equals(e.getValue())) continue;
            StorageMotion.supported(data, data.get(vdi, VDI.SR), List.of("VDI_SNAPSHOT", "VDI_MIRROR"));
            String type = remote.api().sr().getType(e.getValue());
            Set<String> features = Set.of();
            List<Map<String, Object>> ofType = sms.values().stream()
                    .filter(r -> type.equals(Db.value(r, SM.TYPE)))
                    .toList();
            if (ofType.size() == 1)
                features = Db.value(ofType.getFirst(), SM.FEATURES).keySet();
            List<String> missing = new ArrayList<>();
            for (String op : List.of("VDI_SNAPSHOT", "VDI_MIRROR_IN")) if (!features.contains(op)) missing.add(op);
            if (!missing.isEmpty()) {
                throw new ApiError(ErrorCodes.SR_DOES_NOT_SUPPORT_MIGRATION, e.getValue(), String.join(";", missing));
            }
        }
    }

    /** {@code assert_enough_pcpus} against the destination's {@code cpu_info}. */
    private void assertEnoughPcpus(Remote remote, String vm) {
        long vcpus = data.get(vm, VM.VCPUS_MAX);
        long pcpus;
        try {
            pcpus = Long.parseLong(
                    remote.api().host().getCpuInfo(remote.dest().host()).getOrDefault("cpu_count", "0"));
        } catch (NumberFormatException e) {
            pcpus = 0;
        }
        if (vcpus > pcpus && !MetadataBuilder.isTrue(data.get(vm, VM.PLATFORM), "vcpu-unrestricted", false)) {
            throw new ApiError(ErrorCodes.HOST_NOT_ENOUGH_PCPUS, Long.toString(vcpus), Long.toString(pcpus));
        }
    }

    /**
     * {@code infer_vif_map}: each VIF of the VM and its snapshots goes to the network the map gives it, else to that
     * of a mapped VIF with the same MAC, else {@code VIF_NOT_IN_MAP [vif]}.
     */
    private Map<String, String> inferVifMap(String vm, Map<String, String> vifMap) {
        List<String> vifs = new ArrayList<>(data.get(vm, VM.VIFS));
        for (String s : data.get(vm, VM.SNAPSHOTS)) vifs.addAll(data.get(s, VM.VIFS));
        Map<String, String> out = new LinkedHashMap<>();
        for (String vif : vifs) {
            String network = vifMap.get(vif);
            if (network == null) {
                String mac = data.get(vif, VIF.MAC);
                for (Map.Entry<String, String> e : vifMap.entrySet()) {
                    if (data.isValid(VIF.XAPI_CLASS, e.getKey()) && mac.equals(data.get(e.getKey(), VIF.MAC))) {
                        network = e.getValue();
                        break;
                    }
                }
            }
            if (network == null) throw new ApiError(ErrorCodes.VIF_NOT_IN_MAP, vif);
            out.put(vif, network);
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------- metadata transfer

    /**
     * {@code inter_pool_metadata_transfer}: {@code maps_to} set on each VDI of {@code vdis} (removed where it maps to
     * null) and on each VIF of {@code vifs}, the VM's metadata exported here and imported there, the keys removed
     * again whatever happens.
     *
     * @return the VMs made there (none in a dry run)
     */
    private List<String> metadataTransfer(
            Remote remote,
            String vm,
            Map<String, String> vdis,
            Map<String, String> vifs,
            boolean dryRun,
            boolean copy,
            boolean checkCpu) {
        String key = MigrateChecks.MAPS_TO;
        try {
            vdis.forEach((vdi, to) -> {
                data.removeFromMap(vdi, VDI.OTHER_CONFIG, key);
                if (to != null) data.addToMap(vdi, VDI.OTHER_CONFIG, key, to);
            });
            vifs.forEach((vif, network) -> {
                data.removeFromMap(vif, VIF.OTHER_CONFIG, key);
                data.addToMap(vif, VIF.OTHER_CONFIG, key, network);
            });
            return exportImport(remote, vm, dryRun, copy, checkCpu);
        } finally {
            for (String vdi : vdis.keySet()) removeKey(() -> data.removeFromMap(vdi, VDI.OTHER_CONFIG, key));
            for (String vif : vifs.keySet()) removeKey(() -> data.removeFromMap(vif, VIF.OTHER_CONFIG, key));
        }
    }

    private static void removeKey(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("VM.migrate_send: removing maps_to: {}", e.toString());
        }
    }

    /**
     * {@code remote_metadata_export_import}: {@code GET /export_metadata?export_snapshots=<not copy>&ref=<vm>} here,
     * its body put to the destination's {@code /import_metadata?restore=<not copy>&live=true&dry_run=...
     * &export_snapshots=<not copy>&check_cpu=...} in a task made there, whose end is awaited; its failure is raised
     * as the remote's error, its result read as the VMs made.
     */
    private List<String> exportImport(Remote remote, String vm, boolean dryRun, boolean copy, boolean checkCpu) {
        byte[] body = exportMetadata(vm, !copy);
        String task = remote.api().task().create("VM metadata import", "");
        try {
            String query = "import_metadata?restore=" + !copy + "&live=true&dry_run=" + dryRun + "&export_snapshots="
                    + !copy + "&check_cpu=" + checkCpu + "&session_id="
                    + enc(remote.dest().session()) + "&task_id="
                    + enc(task);
            HttpResponse<Void> r = send(HttpRequest.newBuilder(remote.hostBase().resolve(query))
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                    .timeout(REMOTE_TIMEOUT)
                    .build());
            LOG.info("VM.migrate_send: VM metadata import there (dry run {}): HTTP {}", dryRun, r.statusCode());
            // Xapi's wait_for_task_completion: the import is not cancelled with this task (what it makes is
            // destroyed after a failure); a refusal before the import began leaves the task pending
            long deadline = System.nanoTime() + REMOTE_TIMEOUT.toNanos();
            TaskStatusType status;
            while ((status = remote.api().task().getStatus(task)) == TaskStatusType.PENDING) {
                if (r.statusCode() != 200 || System.nanoTime() > deadline) {
                    throw ApiError.internal("VM metadata import failed: HTTP " + r.statusCode());
                }
                Pause.of(20);
            }
            switch (status) {
                case SUCCESS -> {
                    List<String> vms = new ArrayList<>();
                    Matcher m = REF.matcher(remote.api().task().getResult(task));
                    while (m.find()) vms.add(m.group());
                    return vms;
                }
                case FAILURE -> {
                    List<String> info = remote.api().task().getErrorInfo(task);
                    if (info.isEmpty()) throw ApiError.internal("VM metadata import failed: ");
                    throw new ApiError(info.getFirst(), info.subList(1, info.size()));
                }
                default -> throw new ApiError(ErrorCodes.TASK_CANCELLED, task);
            }
        } finally {
            try {
                remote.api().task().destroy(task);
            } catch (RuntimeException e) {
                LOG.debug("destroying the remote import task: {}", e.toString());
            }
        }
    }

    /** This host's {@code /export_metadata} of {@code vm}, under a pool session of its own. */
    private byte[] exportMetadata(String vm, boolean snapshots) {
        String session = migration.destinationSession(hostRef);
        try {
            URI uri = migration
                    .hostUri(hostRef)
                    .resolve("export_metadata?export_snapshots=" + snapshots + "&ref=" + enc(vm) + "&session_id="
                            + enc(session));
            HttpResponse<byte[]> r = HTTP.send(
                    HttpRequest.newBuilder(uri).GET().timeout(REMOTE_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) throw ApiError.internal("export_metadata of " + vm + ": HTTP " + r.statusCode());
            return r.body();
        } catch (IOException e) {
            throw ApiError.internal("export_metadata of " + vm + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.internal("interrupted");
        } finally {
            migration.logout(hostRef, session);
        }
    }

    /** Another pool's certificates are not checked (Xapi's cross-pool {@code verify_cert:None}). */
    static final javax.net.ssl.SSLContext UNVERIFIED = org.xapijava.server.tls.PoolTrust.unverified();

    /**
     * The JDK's client for this host's own {@code /export_metadata} and this pool's master (plain HTTP) and for the
     * other pool's HTTPS, whose certificates are not checked.
     */
    static final HttpClient HTTP = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(30))
            .sslContext(UNVERIFIED)
            .build();

    static boolean https(URI u) {
        return "https".equalsIgnoreCase(u.getScheme());
    }

    static HttpResponse<Void> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            throw new ApiError(ErrorCodes.CANNOT_CONTACT_HOST, request.uri().getHost());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.internal("interrupted");
        }
    }

    // ------------------------------------------------------------------------------------------- migrate_send

    /** {@code migrate_send'} to another pool: the VM made there (the first the metadata import made). */
    String migrateSend(
            CallContext ctx,
            String vm,
            MigrateChecks.Dest d,
            Map<String, String> vdiMap,
            Map<String, String> vifMap,
            Map<String, String> options) {
        try (Remote remote = Remote.of(d)) {
            // the forwarding layer's assert_can_migrate, then migrate_send's own checks
            assertCanMigrate(remote, vm, vdiMap, vifMap, options);
            return send(ctx, remote, vm, vdiMap, vifMap, options);
        }
    }

    private String send(
            CallContext ctx,
            Remote remote,
            String vm,
            Map<String, String> vdiMap,
            Map<String, String> vifMap,
            Map<String, String> options) {
        boolean force = option(options, "force");
        boolean copy = option(options, "copy");
        String destHost = remote.dest().host();
        List<String> vbds = MigrateChecks.disks(data, vm);
        MigrateChecks.checkVdiMap(data, vbds, vdiMap);
        Map<String, String> vifs = inferVifMap(vm, vifMap);
        MigrateChecks.assertNoResetOnBoot(data, vbds);
        String power = data.get(vm, VM.POWER_STATE);
        boolean running = "Running".equals(power);
        List<String> vmAndSnapshots = new ArrayList<>(List.of(vm));
        vmAndSnapshots.addAll(data.get(vm, VM.SNAPSHOTS));
        // the extra disks: suspend images (all of them: the other pool sees none of this one's SRs), snapshots' disks
        List<String> suspends = new ArrayList<>();
        for (String owner : vmAndSnapshots) {
            if (!"Suspended".equals(data.get(owner, VM.POWER_STATE))) continue;
            String vdi = data.get(owner, VM.SUSPEND_VDI);
            if (!MigrateSend.sees(data, hostRef, data.get(vdi, VDI.SR))) {
                throw new ApiError(ErrorCodes.SUSPEND_IMAGE_NOT_ACCESSIBLE, vdi);
            }
            suspends.add(vdi);
        }
        String pool = remote.api().pool().getAll().getFirst();
        String defaultSr = remote.api().pool().getDefaultSR(pool);
        String suspendSr = remote.api().pool().getSuspendImageSR(pool);
        if (Refs.isNull(suspendSr)) suspendSr = remote.api().host().getSuspendImageSr(destHost);
        List<DiskCopy> copies = new ArrayList<>();
        for (String vbd : vbds) {
            String vdi = data.get(vbd, VBD.VDI);
            boolean live = running && "RW".equals(data.get(vbd, VBD.MODE));
            copies.add(new DiskCopy(data, vm, vbd, vdi, vdiMap.get(vdi), live));
        }
        for (String owner : vmAndSnapshots) {
            String vdi = data.get(owner, VM.SUSPEND_VDI);
            if (!suspends.contains(vdi)) continue;
            String to = extraDestination(vdi, vdiMap, true, suspendSr, defaultSr);
            copies.add(new DiskCopy(data, owner, null, vdi, to, false));
        }
        for (String snapshot : data.get(vm, VM.SNAPSHOTS)) {
            for (String vbd : MigrateChecks.disks(data, snapshot)) {
                String vdi = data.get(vbd, VBD.VDI);
                String to = extraDestination(vdi, vdiMap, false, suspendSr, defaultSr);
                copies.add(new DiskCopy(data, snapshot, vbd, vdi, to, false));
            }
        }
        Map<String, String> fullMap = new LinkedHashMap<>(vdiMap);
        for (DiskCopy c : copies) fullMap.put(c.vdi, c.sr);
        MigrateChecks.assertCanMigrateVdis(data, fullMap);
        if (!"Suspended".equals(power)) MigrateSend.ejectMovingCds(ctx, data, vm, vdiMap);
        // smaller disks first, as Xapi sorts them
        copies.sort(java.util.Comparator.comparingLong(c -> c.size));
        String task = ctx.taskRef();
        if (task != null) tasks.setCancellable(task, null);
        List<String> imported = new ArrayList<>();
        boolean[] moved = {false};
        String newVm;
        try {
            for (DiskCopy c : copies) {
                ctx.checkCancelled();
                plugDestinationPbds(remote, c.sr);
                Map<String, Object> rec =
                        StorageMotion.destinationRecord(data.record(VDI.XAPI_CLASS, c.vdi), c.sr, Map.of());
                c.created = remote.api().vdi().create(rec);
            }
            DiskCopy.copyAll(ctx, backends, copies, c -> importUri(remote, c), remote.tls());
            new RemoteSnapshotInfo(data, backends, remote.dest().smUrl(), remote.api(), TaskBinding.dbg(ctx))
                    .afterCopy(vm, copies);
            ctx.checkCancelled();
            Map<String, String> remoteVdis = new LinkedHashMap<>();
            for (DiskCopy c : copies) remoteVdis.put(c.vdi, c.created);
            imported.addAll(
                    metadataTransfer(remote, vm, remoteVdis, vifs, false, copy, !force && !"Halted".equals(power)));
            if (imported.isEmpty()) throw ApiError.internal("the VM metadata import made no VM");
            newVm = imported.getFirst();
            // the new VM's resources reserved on the destination host (it counts there from now on)
            remote.api().host().allocateResourcesForVm(destHost, newVm, true);
            remote.api().network().attachForVm(destHost, newVm);
            if (running) {
                moveRunning(ctx, remote, vm, newVm, copies, moved);
            } else {
                ctx.checkCancelled();
                if (task != null) tasks.setNotCancellable(task);
                // as Xapi, whose xenopsd finds no domain to move: the destination resets the VM's state (its
                // reservation cleared)
                remote.api().vm().poolMigrateComplete(newVm, destHost);
                moved[0] = true;
            }
        } finally {
            if (!moved[0]) abandon(remote, vmAndSnapshots, imported, copies);
        }
        if (!copy) {
            rrdMoves.get()
                    .migratedToPool(
                            data.get(vm, VM.UUID),
                            remote.hostBase(),
                            remote.dest().session());
            messagesAndBlobs.send(vm, newVm, remote.dest(), remote.api());
            destroyHere(ctx, vm, vmAndSnapshots, copies);
        }
        return newVm;
    }

    /**
     * Where a suspend image or a snapshot's disk goes: its own entry of the VDI map, else that of the disk it is a
     * snapshot of, else (a suspend image) the remote suspend image SR, else the remote default SR, else
     * {@code VDI_NOT_IN_MAP [vdi]}.
     */
    private String extraDestination(
            String vdi, Map<String, String> vdiMap, boolean suspend, String suspendSr, String defaultSr) {
        String to = vdiMap.get(vdi);
        if (to == null) to = vdiMap.get(data.get(vdi, VDI.SNAPSHOT_OF));
        if (to == null && suspend && !Refs.isNull(suspendSr)) to = suspendSr;
        if (to == null && !Refs.isNull(defaultSr)) to = defaultSr;
        if (to == null) throw new ApiError(ErrorCodes.VDI_NOT_IN_MAP, vdi);
        return to;
    }

    /** {@code vdi_copy_fun}'s first step: the SR's PBDs of the remote master and destination host plugged. */
    private void plugDestinationPbds(Remote remote, String sr) {
        XenApi api = remote.api();
        String master = api.pool().getMaster(api.pool().getAll().getFirst());
        for (String pbd : api.sr().getPBDs(sr)) {
            String h = api.pbd().getHost(pbd);
            if (!h.equals(master) && !h.equals(remote.dest().host())) continue;
            if (api.host().getEnabled(h) && !api.pbd().getCurrentlyAttached(pbd))
                api.pbd().plug(pbd);
        }
    }

    /**
     * Xapi's {@code xenops_vif_map} for the move: each VIF of the VM made there, by device, to the bridge of its
     * network there, read through the other pool's XenAPI.
     */
    private static Map<String, org.xapijava.xenopsd.Vif.Network> remoteVifMap(Remote remote, String newVm) {
        Map<String, org.xapijava.xenopsd.Vif.Network> out = new LinkedHashMap<>();
        for (String vif : remote.api().vm().getVIFs(newVm)) {
            String bridge = remote.api().network().getBridge(remote.api().vif().getNetwork(vif));
            out.put(remote.api().vif().getDevice(vif), new org.xapijava.xenopsd.Vif.Local(bridge));
        }
        return out;
    }

    /** The destination host's {@code import_raw_vdi} of the new VDI, in Xapi's chunked framing. */
    private static URI importUri(Remote remote, DiskCopy c) {
        return remote.hostBase()
                .resolve("import_raw_vdi?format=raw&chunked=true&vdi=" + enc(c.created) + "&session_id="
                        + enc(remote.dest().session()));
    }

    /**
     * The running VM ({@code moved} set once it has left): paused, the blocks written during the first copy copied
     * again, moved by xenopsd to the destination's xenopsd with the VDI map, unpaused there and taken over by the
     * remote pool; its events here ignored throughout.
     */
    private void moveRunning(
            CallContext ctx, Remote remote, String vm, String newVm, List<DiskCopy> copies, boolean[] moved) {
        lifecycle.assertResidentOn(vm);
        String dbg = TaskBinding.dbg(ctx);
        String id = lifecycle.uuid(vm);
        String url = remote.dest().xenopsUrl();
        Map<String, String> xenopsMap = new LinkedHashMap<>();
        for (DiskCopy c : copies) {
            if (!c.owner.equals(vm) || c.vbd == null) continue;
            String there =
                    remote.api().sr().getUuid(c.sr) + "/" + remote.api().vdi().getLocation(c.created);
            xenopsMap.put(data.get(data.get(c.vdi, VDI.SR), SR.UUID) + "/" + data.get(c.vdi, VDI.LOCATION), there);
        }
        lifecycle.transform(
                vm,
                () -> sync.withSuppressed(dbg, id, () -> {
                    LOG.info("xenops: VM.pause {} for the last round of its disks' copy", id);
                    taskBinding.sync(ctx, xenops.vmPause(dbg, id));
                    boolean left = false;
                    try {
                        DiskCopy.copyChanges(ctx, backends, copies, c -> importUri(remote, c), remote.tls());
                        ctx.checkCancelled();
                        if (ctx.taskRef() != null) tasks.setNotCancellable(ctx.taskRef());
                        LOG.info("xenops: VM.migrate {} to another pool with vdi_map {}", id, xenopsMap);
                        taskBinding.syncWithTask(
                                ctx,
                                xenops.vmMigrate(dbg, id, url, false, xenopsMap, remoteVifMap(remote, newVm), false),
                                false);
                        left = true;
                        moved[0] = true;
                    } finally {
                        if (!left) DiskCopy.unpauseHere(ctx, xenops, taskBinding, id);
                    }
                    if (xenops.vmExists(dbg, id)) metadata.delete(dbg, id);
                    DiskCopy.unpauseRemote(dbg, id, url, remote.tls());
                    remote.api().vm().poolMigrateComplete(newVm, remote.dest().host());
                    return null;
                }));
    }

    /**
     * After a failure before the switch: the VMs the import made there (and any there with the uuid of the VM or a
     * snapshot), then the VDIs made there, destroyed.
     */
    private void abandon(Remote remote, List<String> vmAndSnapshots, List<String> imported, List<DiskCopy> copies) {
        Set<String> there = new LinkedHashSet<>(imported);
        for (String v : vmAndSnapshots) {
            try {
                there.add(remote.api().vm().getByUuid(data.get(v, VM.UUID)));
            } catch (RuntimeException e) {
                LOG.debug("no VM {} there: {}", v, e.toString());
            }
        }
        for (String v : there) {
            try {
                LOG.info("VM.migrate_send: destroying stale VM {} on the destination", v);
                remote.api().vm().destroy(v);
            } catch (RuntimeException e) {
                LOG.warn("VM.migrate_send: destroying VM {} on the destination: {}", v, e.toString());
            }
        }
        for (DiskCopy c : copies) {
            if (c.created == null) continue;
            try {
                remote.api().vdi().destroy(c.created);
            } catch (RuntimeException e) {
                LOG.warn("VM.migrate_send: destroying VDI {} on the destination: {}", c.created, e.toString());
            }
        }
    }

    /**
     * The end of a move (not a copy): the VM and its snapshots with what belongs to them (Xapi's
     * {@code Db.VBD.destroy}, {@code force_state_reset}, {@code Db.VM.destroy}), then the old VDIs.
     */
    private void destroyHere(CallContext ctx, String vm, List<String> vmAndSnapshots, List<DiskCopy> copies) {
        String id = data.get(vm, VM.UUID);
        LOG.info("Destroying VM ref={} uuid={}", vm, id);
        for (String v : vmAndSnapshots) {
            try {
                Vms.deleteRows(data, v);
            } catch (RuntimeException e) {
                LOG.warn("VM.migrate_send {}: destroying {}: {}", id, v, e.toString());
            }
        }
        for (DiskCopy c : copies) {
            try {
                ctx.apiInOwnTask().vdi().destroy(c.vdi);
            } catch (RuntimeException e) {
                LOG.warn("VM.migrate_send {}: destroying the old VDI {}: {}", id, c.vdi, e.toString());
            }
        }
    }

    private static boolean option(Map<String, String> options, String key) {
        return Boolean.parseBoolean(options.getOrDefault(key, "false"));
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
