package org.xapijava.server.transfer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.Datamodel;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.Network;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VIF;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMMetrics;
import org.xapijava.model.api.enums.VbdType;
import org.xapijava.model.api.enums.VmOperations;
import org.xapijava.model.api.enums.VmPowerState;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rpc.Unmarshal;
import org.xapijava.model.types.Refs;
import org.xapijava.server.ops.AllowedOperations;
import org.xapijava.server.xenops.MetadataBuilder;

/**
 * The objects of an XVA made in this pool, as Xapi's {@code import.ml handle_all} for a full import: class by class
 * (host, SR, VDI, VM, network, VBD, VIF; metrics, guest metrics and the GPU, PVS and vTPM classes are not imported),
 * each archive id mapped to the object it became. Hosts are found by uuid (else null), every non-ISO SR is the
 * target SR, VDIs are created there ({@code sm_config:import_task}), VMs created Halted with a fresh
 * {@code mac_seed} and generation id (kept by {@code restore}, which keeps the uuid and replaces an older halted
 * version), networks found by name, then bridge, else created, VIFs get new MACs unless restoring, VBDs of disks not
 * in the archive are empty CDs or left out. Everything made is undone by {@link #cleanup} in reverse order. Not
 * thread-safe: one per import.
 */
final class ImportObjects {
    private static final Logger LOG = LoggerFactory.getLogger(ImportObjects.class);
    /** Xapi's {@code Xapi_globs.import_task}. */
    static final String IMPORT_TASK = "import_task";
    /** The VM {@code other_config} key Xapi drops on import ({@code Xapi_globs.grant_api_access}). */
    private static final String GRANT_API_ACCESS = "grant_api_access";
    /** The VM {@code other_config} key of its MAC seed ({@code Xapi_globs.mac_seed}). */
    private static final String MAC_SEED = "mac_seed";

    private final Datamodel dm;
    private final Db data;
    private final XenApi api;
    private final AllowedOperations allowed;
    private final String task;
    private final String targetSr;
    private final boolean restore;
    private final boolean force;
    /** A metadata import's VDI map and dry run; null for a full import. */
    private final Metadata metadata;

    /**
     * What a metadata import ({@code /import_metadata}) changes: SRs are found by uuid and VDIs not created but found
     * (by {@code vdiMap}, exported uuid → uuid here, else by SR and location, else the VDI its {@code maps_to} names,
     * as a cross-pool {@code VM.migrate_send} sends them); a dry run makes nothing, and a {@code live} one (the
     * migration's check) lets a disk not here yet stand for itself and checks that {@code host}, this one, has the
     * memory for a running VM; with {@code checkCpu} a VM that is not halted must have last booted on a CPU this
     * host's has (vendor and features).
     */
    record Metadata(Map<String, String> vdiMap, boolean dryRun, boolean live, boolean checkCpu, String host) {}

    /** Archive id → reference here. */
    private final Map<String, String> table = new HashMap<>();

    private final Map<String, OvaXml.Obj> byId = new LinkedHashMap<>();
    private final List<String> createdVms = new ArrayList<>();
    private final Deque<Runnable> undo = new ArrayDeque<>();
    /** Made VMs and the ids their {@code snapshot_of} and {@code parent} named in the archive. */
    private final List<String[]> links = new ArrayList<>();

    ImportObjects(
            Datamodel dm,
            Db data,
            XenApi api,
            AllowedOperations allowed,
            String task,
            String targetSr,
            boolean restore,
            boolean force,
            Metadata metadata) {
        this.dm = dm;
        this.data = data;
        this.api = api;
        this.allowed = allowed;
        this.task = task;
        this.targetSr = targetSr;
        this.restore = restore;
        this.force = force;
        this.metadata = metadata;
    }

    /** The order Xapi handles classes in ({@code import.ml handle_all}), restricted to what is imported here. */
    private static final List<String> ORDER = List.of(
            Host.XAPI_CLASS,
            SR.XAPI_CLASS,
            VDI.XAPI_CLASS,
            VM.XAPI_CLASS,
            Network.XAPI_CLASS,
            VBD.XAPI_CLASS,
            VIF.XAPI_CLASS);

    /** Makes the objects of {@code objects}; on failure the caller runs {@link #cleanup} (unless forced). */
    void run(List<OvaXml.Obj> objects) {
        for (OvaXml.Obj o : objects) byId.put(o.id(), o);
        if (restore) assertNoForeignMacSeed(objects);
        for (String cls : ORDER) {
            for (OvaXml.Obj o : objects) {
                if (!o.cls().equals(cls)) continue;
                Map<String, Object> r = Unmarshal.record(dm, dm.cls(cls), o.snapshot());
                switch (cls) {
                    case Host.XAPI_CLASS -> host(o, r);
                    case SR.XAPI_CLASS -> sr(o, r);
                    case VDI.XAPI_CLASS -> vdi(o, r);
                    case VM.XAPI_CLASS -> vm(o, r);
                    case Network.XAPI_CLASS -> network(o, r);
                    case VBD.XAPI_CLASS -> vbd(o, r);
                    default -> vif(o, r);
                }
            }
        }
        // Xapi's update_snapshot_and_parent_links: once every VM exists, snapshots point at what they came from
        for (String[] l : links) {
            if (table.containsKey(l[1])) data.set(l[0], VM.SNAPSHOT_OF, table.get(l[1]));
            if (table.containsKey(l[2])) data.set(l[0], VM.PARENT, table.get(l[2]));
        }
    }

    /** The reference archive id {@code id} became, if any. */
    String lookup(String id) {
        return table.get(id);
    }

    /** The VMs made, in archive order. */
    List<String> createdVms() {
        return createdVms;
    }

    /** Undoes what {@link #run} made, newest first; a failing step is logged and the others go on. */
    void cleanup() {
        while (!undo.isEmpty()) {
            try {
                undo.pop().run();
            } catch (RuntimeException e) {
                LOG.warn("import cleanup step failed: {}", e.toString());
            }
        }
    }

    /** The archive's record of {@code id}: {@code IMPORT_ERROR_FAILED_TO_FIND_OBJECT} when it has none. */
    Map<String, Object> exported(String cls, String id) {
        OvaXml.Obj o = byId.get(id);
        if (o == null || !o.cls().equals(cls)) throw new ApiError(ErrorCodes.IMPORT_ERROR_FAILED_TO_FIND_OBJECT, id);
        return Unmarshal.record(dm, dm.cls(cls), o.snapshot());
    }

    private String required(String id) {
        String ref = table.get(id);
        if (ref == null) throw new ApiError(ErrorCodes.IMPORT_ERROR_FAILED_TO_FIND_OBJECT, id);
        return ref;
    }

    private boolean dryRun() {
        return metadata != null && metadata.dryRun();
    }

    /** What a dry run puts in the table for an object it would make ({@code Ref.make ()}). */
    private void dummy(OvaXml.Obj o) {
        table.put(o.id(), Refs.fresh());
    }

    private String orNull(String id) {
        return table.getOrDefault(id, Refs.NULL);
    }

    // ------------------------------------------------------------------------------------------------ classes

    private void host(OvaXml.Obj o, Map<String, Object> r) {
        table.put(
                o.id(), data.findByUuid(Host.XAPI_CLASS, Db.value(r, Host.UUID)).orElse(Refs.NULL));
    }

    private void sr(OvaXml.Obj o, Map<String, Object> r) {
        if (metadata != null)
            data.findByUuid(SR.XAPI_CLASS, Db.value(r, SR.UUID)).ifPresent(sr -> table.put(o.id(), sr));
        else if (!"iso".equals(Db.value(r, SR.CONTENT_TYPE))) table.put(o.id(), targetSr);
    }

    private void vdi(OvaXml.Obj o, Map<String, Object> r) {
        Map<String, Object> exportedSr = exported(SR.XAPI_CLASS, Db.value(r, VDI.SR));
        String location = Db.value(r, VDI.LOCATION);
        if ("iso".equals(Db.value(exportedSr, SR.CONTENT_TYPE))) {
            // the same ISO here (by location, on an ISO SR that is not udev) keeps the CD in, else it is ejected
            for (String v : data.all(VDI.XAPI_CLASS)) {
                String sr = data.get(v, VDI.SR);
                if (data.get(v, VDI.LOCATION).equals(location)
                        && "iso".equals(data.get(sr, SR.CONTENT_TYPE))
                        && !"udev".equals(data.get(sr, SR.TYPE))) {
                    table.put(o.id(), v);
                    return;
                }
            }
            return;
        }
        if (metadata != null) {
            found(o, r, location);
            return;
        }
        String sr = table.get(Db.value(r, VDI.SR));
        Map<String, String> sm = new LinkedHashMap<>(Db.value(r, VDI.SM_CONFIG));
        sm.remove(IMPORT_TASK);
        sm.put(IMPORT_TASK, task);
        r.put(VDI.SR.name(), sr);
        r.put(VDI.SM_CONFIG.name(), sm);
        String vdi = api.vdi().create(r);
        undo.push(() -> api.vdi().destroy(vdi));
        table.put(o.id(), vdi);
    }

    /**
     * A metadata import's VDI: the one the VDI map names (by uuid), else the one at the exported location on the SR
     * here of the exported SR's uuid; else skipped with {@code force}, else {@code VDI_LOCATION_MISSING [sr,
     * location]} (the SR is here) or {@code VDI_CONTENT_ID_MISSING}.
     */
    private void found(OvaXml.Obj o, Map<String, Object> r, String location) {
        String mapped = metadata.vdiMap().get(Db.value(r, VDI.UUID));
        String vdi =
                mapped == null ? null : data.findByUuid(VDI.XAPI_CLASS, mapped).orElse(null);
        String sr = table.get(Db.value(r, VDI.SR));
        if (vdi == null && sr != null)
            for (String v : data.get(sr, SR.VDIS)) if (data.get(v, VDI.LOCATION).equals(location)) vdi = v;
        String mapsTo = Db.value(r, VDI.OTHER_CONFIG).get(org.xapijava.server.xenops.MigrateChecks.MAPS_TO);
        if (vdi == null && mapsTo != null && data.exists(VDI.XAPI_CLASS, mapsTo)) vdi = mapsTo;
        if (vdi != null) {
            table.put(o.id(), vdi);
            if (!dryRun()) syncOtherConfig(vdi, Db.value(r, VDI.OTHER_CONFIG));
            return;
        }
        if (force) return;
        if (dryRun() && metadata.live()) {
            // a disk a live migration copies later: a stand-in, so that its VBD is checked
            LOG.info("import {}: VDI {} not here yet (a migration's check)", task, Db.value(r, VDI.UUID));
            dummy(o);
            return;
        }
        if (sr != null) throw new ApiError(ErrorCodes.VDI_LOCATION_MISSING, sr, location);
        throw new ApiError(ErrorCodes.VDI_CONTENT_ID_MISSING);
    }

    /** A found VDI's {@code vdi_other_config_sync_keys} made the exported VDI's (removed when it has none). */
    private void syncOtherConfig(String vdi, Map<String, String> exported) {
        for (String key : org.xapijava.server.xenops.StorageMotion.OTHER_CONFIG_SYNC_KEYS) {
            data.removeFromMap(vdi, VDI.OTHER_CONFIG, key);
            if (exported.containsKey(key)) data.addToMap(vdi, VDI.OTHER_CONFIG, key, exported.get(key));
        }
    }

    private void vm(OvaXml.Obj o, Map<String, Object> r) {
        String uuid = Db.value(r, VM.UUID);
        Map<String, String> oc = new LinkedHashMap<>(Db.value(r, VM.OTHER_CONFIG));
        if (OvaXml.isDefaultTemplate(Db.value(r, VM.IS_DEFAULT_TEMPLATE), Db.value(r, VM.IS_A_TEMPLATE), oc)) {
            // a default template stands for the one of the same name here, not imported again
            List<String> same = data.byNameLabel(VM.XAPI_CLASS, Db.value(r, VM.NAME_LABEL));
            if (!same.isEmpty()) {
                table.put(o.id(), same.get(0));
                createdVms.add(same.get(0));
                return;
            }
        }
        if (restore && !replaceOlder(uuid, Db.value(r, VM.VERSION))) return;
        if (metadata != null && metadata.live()) assertCanLiveImport(r);
        if (metadata != null && metadata.checkCpu()) assertCpuCompatible(r);
        if (dryRun()) {
            dummy(o);
            return;
        }
        if (!force) {
            r.put(VM.IS_DEFAULT_TEMPLATE.name(), false);
            oc.remove(OvaXml.DEFAULT_TEMPLATE);
        }
        oc.remove(GRANT_API_ACCESS);
        if (!restore) oc.remove(MAC_SEED); // VM.create makes a fresh one
        r.put(VM.OTHER_CONFIG.name(), oc);
        if (!Db.value(r, VM.IS_A_TEMPLATE))
            r.put(VM.GENERATION_ID.name(), MetadataBuilder.freshGenerationId(Db.value(r, VM.GENERATION_ID)));
        r.put(VM.PROTECTION_POLICY.name(), Refs.NULL);
        r.put(VM.VERSION.name(), restore ? Db.value(r, VM.VERSION) + 1 : 0L);
        r.put(VM.APPLIANCE.name(), Refs.NULL);
        r.put(VM.SNAPSHOT_SCHEDULE.name(), Refs.NULL);
        r.put(VM.AFFINITY.name(), orNull(Db.value(r, VM.AFFINITY)));
        String exportedPowerState = Db.value(r, VM.POWER_STATE);
        String suspendVdi = Db.value(r, VM.SUSPEND_VDI);
        r.put(VM.SUSPEND_VDI.name(), Refs.NULL);
        r.put(VM.POWER_STATE.name(), VmPowerState.HALTED.wire());
        String suspendSr = Db.value(r, VM.SUSPEND_SR);
        if (!data.exists(SR.XAPI_CLASS, suspendSr)) r.put(VM.SUSPEND_SR.name(), Refs.NULL);
        String vm = api.vm().create(r);
        undo.push(() -> {
            data.removeFromMap(vm, VM.CURRENT_OPERATIONS, task);
            data.set(vm, VM.POWER_STATE, VmPowerState.HALTED.wire());
            api.vm().destroy(vm);
        });
        if (restore) data.set(vm, VM.UUID, uuid);
        // a control domain may be imported (a joining host's), resident on its host when that host is here
        if (Db.value(r, VM.IS_CONTROL_DOMAIN)) {
            data.set(vm, VM.IS_CONTROL_DOMAIN, true);
            data.set(vm, VM.RESIDENT_ON, orNull(Db.value(r, VM.RESIDENT_ON)));
        }
        data.set(vm, VM.LAST_BOOTED_RECORD, Db.value(r, VM.LAST_BOOTED_RECORD));
        data.set(vm, VM.LAST_BOOT_CPU_FLAGS, Db.value(r, VM.LAST_BOOT_CPU_FLAGS));
        data.set(vm, VM.BIOS_STRINGS, Db.value(r, VM.BIOS_STRINGS));
        data.set(vm, VM.IS_A_SNAPSHOT, Db.value(r, VM.IS_A_SNAPSHOT));
        links.add(new String[] {vm, Db.value(r, VM.SNAPSHOT_OF), Db.value(r, VM.PARENT)});
        data.set(vm, VM.SNAPSHOT_TIME, Db.value(r, VM.SNAPSHOT_TIME));
        data.set(vm, VM.TRANSPORTABLE_SNAPSHOT_ID, Db.value(r, VM.TRANSPORTABLE_SNAPSHOT_ID));
        data.removeFromMap(vm, VM.OTHER_CONFIG, IMPORT_TASK);
        data.addToMap(vm, VM.OTHER_CONFIG, IMPORT_TASK, task);
        if (VmPowerState.SUSPENDED.wire().equals(exportedPowerState)) suspended(vm, r, suspendVdi);
        if (!force) data.addToMap(vm, VM.CURRENT_OPERATIONS, task, VmOperations.IMPORT.wire());
        allowed.update(VM.XAPI_CLASS, vm);
        table.put(o.id(), vm);
        createdVms.add(vm);
    }

    /**
     * Xapi's {@code needs_cpu_check} and {@code Cpuid_helpers.assert_vm_is_compatible} on the imported record: a VM
     * not exported Halted must suit this host's CPU ({@code VM_INCOMPATIBLE_WITH_THIS_HOST [OpaqueRef:NULL, host,
     * why]}), except a snapshot taken of a halted VM (its exported metrics' domain type {@code unspecified}).
     */
    private void assertCpuCompatible(Map<String, Object> r) {
        if (VmPowerState.HALTED.wire().equals(Db.value(r, VM.POWER_STATE))) return;
        Map<String, Object> metrics = exported(VMMetrics.XAPI_CLASS, Db.value(r, VM.METRICS));
        String dt = Db.value(metrics, VMMetrics.CURRENT_DOMAIN_TYPE);
        if (Db.value(r, VM.IS_A_SNAPSHOT) && "unspecified".equals(dt)) return;
        org.xapijava.server.xenops.BootChecks.assertImportCpuCompatible(
                data, Db.value(r, VM.LAST_BOOT_CPU_FLAGS), dt, metadata.host());
    }

    /**
     * Xapi's {@code assert_can_live_import}: a VM exported Running or Paused needs its start memory free here
     * ({@code HOST_NOT_ENOUGH_FREE_MEMORY [needed, available]}).
     */
    private void assertCanLiveImport(Map<String, Object> r) {
        String power = Db.value(r, VM.POWER_STATE);
        if (!VmPowerState.RUNNING.wire().equals(power)
                && !VmPowerState.PAUSED.wire().equals(power)) return;
        long available = org.xapijava.server.xenops.MemoryCheck.hostFreeMemoryBytes(data, metadata.host(), null);
        long needed = org.xapijava.server.xenops.MemoryCheck.startMemoryBytes(r);
        if (available < needed)
            throw new ApiError(ErrorCodes.HOST_NOT_ENOUGH_FREE_MEMORY, Long.toString(needed), Long.toString(available));
    }

    /**
     * A VM exported Suspended ({@code preserve_power_state}) is Suspended here on its imported suspend image, its
     * metrics' domain type the VM's; without that image the import fails unless forced (the VM is then Halted).
     */
    private void suspended(String vm, Map<String, Object> r, String suspendVdiId) {
        String image = table.get(suspendVdiId);
        if (image == null || Refs.isNull(image)) {
            if (force) return;
            throw OvaXml.generic("Failed to find VM's suspend_VDI: " + suspendVdiId);
        }
        data.set(vm, VM.POWER_STATE, VmPowerState.SUSPENDED.wire());
        data.set(vm, VM.SUSPEND_VDI, image);
        data.set(data.get(vm, VM.METRICS), VMMetrics.CURRENT_DOMAIN_TYPE, Db.value(r, VM.DOMAIN_TYPE));
    }

    /**
     * Xapi's {@code assert_can_restore_backup}: a restored VM's {@code mac_seed} may be shared only with the VM of
     * the same uuid ({@code DUPLICATE_MAC_SEED [seed]}); pairs involving a snapshot are let through here.
     */
    private void assertNoForeignMacSeed(List<OvaXml.Obj> objects) {
        Map<String, String> seeds = new HashMap<>();
        data.allRecords(VM.XAPI_CLASS).forEach((ref, rec) -> {
            String seed = Db.value(rec, VM.OTHER_CONFIG).get(MAC_SEED);
            if (seed != null && !Db.value(rec, VM.IS_A_SNAPSHOT)) seeds.put(seed, Db.value(rec, VM.UUID));
        });
        for (OvaXml.Obj o : objects) {
            if (!o.cls().equals(VM.XAPI_CLASS)) continue;
            Map<String, Object> r = Unmarshal.record(dm, dm.cls(VM.XAPI_CLASS), o.snapshot());
            String seed = Db.value(r, VM.OTHER_CONFIG).get(MAC_SEED);
            String holder = seed == null ? null : seeds.get(seed);
            if (holder != null && !Db.value(r, VM.IS_A_SNAPSHOT) && !holder.equals(Db.value(r, VM.UUID)))
                throw new ApiError(ErrorCodes.DUPLICATE_MAC_SEED, seed);
        }
    }

    /**
     * {@code restore}: a VM here with the archive's uuid is replaced when it is Halted and older
     * ({@code VM_BAD_POWER_STATE}, {@code VM_TO_IMPORT_IS_NOT_NEWER_VERSION} otherwise; {@code force} skips the
     * archive's VM when the one here is not Halted, and replaces it whatever the versions), with its VIFs and VBDs.
     * False when the archive's VM is skipped.
     */
    private boolean replaceOlder(String uuid, long version) {
        String existing = data.findByUuid(VM.XAPI_CLASS, uuid).orElse(null);
        if (existing == null) return true;
        String state = data.get(existing, VM.POWER_STATE);
        if (!state.equals(VmPowerState.HALTED.wire()) && force) return false;
        if (!state.equals(VmPowerState.HALTED.wire()))
            throw new ApiError(
                    ErrorCodes.VM_BAD_POWER_STATE, existing, "halted", state.toLowerCase(java.util.Locale.ROOT));
        long have = data.get(existing, VM.VERSION);
        if (have >= version && !force)
            throw new ApiError(
                    ErrorCodes.VM_TO_IMPORT_IS_NOT_NEWER_VERSION,
                    existing,
                    Long.toString(have),
                    Long.toString(version));
        if (dryRun()) return true;
        for (String vif : data.get(existing, VM.VIFS)) api.vif().destroy(vif);
        for (String vbd : data.get(existing, VM.VBDS)) api.vbd().destroy(vbd);
        api.vm().destroy(existing);
        return true;
    }

    private void network(OvaXml.Obj o, Map<String, Object> r) {
        List<String> named = data.byNameLabel(Network.XAPI_CLASS, Db.value(r, Network.NAME_LABEL));
        if (!named.isEmpty()) {
            table.put(o.id(), named.get(0));
            return;
        }
        List<String> bridged = data.where(Network.BRIDGE, Db.value(r, Network.BRIDGE));
        if (!bridged.isEmpty()) {
            table.put(o.id(), bridged.get(0));
            return;
        }
        if (dryRun()) {
            dummy(o);
            return;
        }
        String net = api.network().create(r);
        undo.push(() -> api.network().destroy(net));
        data.removeFromMap(net, Network.OTHER_CONFIG, IMPORT_TASK);
        data.addToMap(net, Network.OTHER_CONFIG, IMPORT_TASK, task);
        table.put(o.id(), net);
    }

    private void vbd(OvaXml.Obj o, Map<String, Object> r) {
        String vm = required(Db.value(r, VBD.VM));
        String vdi = table.get(Db.value(r, VBD.VDI));
        boolean cd = VbdType.CD.wire().equals(Db.value(r, VBD.TYPE))
                || VbdType.FLOPPY.wire().equals(Db.value(r, VBD.TYPE));
        if (Db.value(r, VBD.CURRENTLY_ATTACHED) && vdi == null && !cd)
            throw new ApiError(ErrorCodes.IMPORT_ERROR_ATTACHED_DISKS_NOT_FOUND);
        if (vdi == null) {
            if (!cd) {
                LOG.warn("import {}: VBD {} of a disk not in the archive left out", task, o.id());
                return;
            }
            vdi = Refs.NULL;
            r.put(VBD.EMPTY.name(), true);
        }
        r.put(VBD.VM.name(), vm);
        r.put(VBD.VDI.name(), vdi);
        if (dryRun()) {
            dummy(o);
            return;
        }
        boolean attached = Db.value(r, VBD.CURRENTLY_ATTACHED);
        r.put(VBD.DEVICE.name(), "");
        r.put(VBD.CURRENTLY_ATTACHED.name(), false);
        String vbd = api.vbd().create(r);
        undo.push(() -> api.vbd().destroy(vbd));
        if (attached) data.set(vbd, VBD.CURRENTLY_ATTACHED, true); // a suspended VM's, as Xapi keeps it
        keepUuid(vbd, VBD.XAPI_CLASS, Db.value(r, VBD.UUID), VBD.UUID);
        table.put(o.id(), vbd);
    }

    private void vif(OvaXml.Obj o, Map<String, Object> r) {
        if (!restore) r.put(VIF.MAC.name(), "");
        r.put(VIF.VM.name(), required(Db.value(r, VIF.VM)));
        // a cross-pool migration names the network here in the VIF's maps_to, which the VIF made here does not keep
        Map<String, String> oc = new LinkedHashMap<>(Db.value(r, VIF.OTHER_CONFIG));
        String mapsTo = oc.remove(org.xapijava.server.xenops.MigrateChecks.MAPS_TO);
        r.put(VIF.OTHER_CONFIG.name(), oc);
        r.put(VIF.NETWORK.name(), mapsTo != null ? mapsTo : required(Db.value(r, VIF.NETWORK)));
        r.put(VIF.CURRENTLY_ATTACHED.name(), false);
        if (dryRun()) {
            dummy(o);
            return;
        }
        String vif = api.vif().create(r);
        undo.push(() -> api.vif().destroy(vif));
        keepUuid(vif, VIF.XAPI_CLASS, Db.value(r, VIF.UUID), VIF.UUID);
        table.put(o.id(), vif);
    }

    /** {@code restore} keeps a device's uuid when no object here has it. */
    private void keepUuid(String ref, String cls, String uuid, org.xapijava.model.Field<String> field) {
        if (restore && data.findByUuid(cls, uuid).isEmpty()) data.set(ref, field, uuid);
    }
}
