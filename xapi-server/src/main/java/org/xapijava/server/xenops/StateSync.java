package org.xapijava.server.xenops;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.db.DbReader;
import org.xapijava.db.Snapshot;
import org.xapijava.db.Transaction;
import org.xapijava.model.Field;
import org.xapijava.model.api.Console;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VIF;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMGuestMetrics;
import org.xapijava.model.api.VMMetrics;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;
import org.xapijava.server.DbValues;
import org.xapijava.server.Services;
import org.xapijava.xenopsd.DeviceId;
import org.xapijava.xenopsd.DeviceNumber;
import org.xapijava.xenopsd.Disk;
import org.xapijava.xenopsd.Metadata;
import org.xapijava.xenopsd.PowerState;
import org.xapijava.xenopsd.VbdState;
import org.xapijava.xenopsd.VifState;
import org.xapijava.xenopsd.VmState;
import org.xapijava.xenopsd.Xenops;
import org.xapijava.xenopsd.XenopsError;

/**
 * Applies what xenopsd reports to the database: {@code update_vm}/{@code update_vm_internal},
 * {@code update_vbd}, {@code update_vif} of {@code ocaml/xapi/xapi_xenops.ml}, and Xapi's
 * {@code force_state_reset} ({@code xapi_vm_lifecycle.ml}). Only objects of VMs resident on this host are
 * updated, and only the fields whose xenopsd state changed since the last event ({@code Xenops_cache}).
 * Events on a VM can be suppressed while a caller changes it ({@code with_suppressed}).
 *
 * <p>Thread-safety: the update methods run on the event thread (one at a time); the reset and the
 * suppression are called from lifecycle calls too; state is in concurrent maps and database transactions.
 */
final class StateSync {
    private static final Logger LOG = LoggerFactory.getLogger(StateSync.class);
    /** Guest agent keys whose changes do not affect allowed operations ({@code check_guest_agent}). */
    private static final List<String> IGNORED_GUEST_KEYS =
            List.of("data/meminfo_free", "data/updated", "data/update_cnt");

    private final Services services;
    private final Xenops xenops;
    private final GuestMetrics guestMetrics;
    private final XenopsdMetadata metadata;
    private final Barriers barriers;

    private final XenopsCache cache;

    private final ReentrantLock suppressLock = new ReentrantLock();
    private final Condition unsuppressed = suppressLock.newCondition();
    private final Map<String, Integer> suppressed = new HashMap<>();

    StateSync(
            Services services,
            Xenops xenops,
            GuestMetrics guestMetrics,
            XenopsCache cache,
            XenopsdMetadata metadata,
            Barriers barriers) {
        this.services = services;
        this.xenops = xenops;
        this.guestMetrics = guestMetrics;
        this.cache = cache;
        this.metadata = metadata;
        this.barriers = barriers;
    }

    /** Writes {@code field} of {@code ref} unless the object is gone (it may vanish while its events are read). */
    private <T> void setIfExists(String ref, Field<T> field, T value) {
        Db data = services.data();
        try {
            if (data.exists(field.cls(), ref)) data.set(ref, field, value);
        } catch (ApiError e) {
            if (!e.code().equals(ErrorCodes.HANDLE_INVALID)) throw e;
        }
    }

    // ------------------------------------------------------------------------------------------- suppression

    boolean suppressed(String vmId) {
        suppressLock.lock();
        try {
            return suppressed.containsKey(vmId);
        } finally {
            suppressLock.unlock();
        }
    }

    /**
     * {@code with_suppressed}: runs {@code body} with the VM's events ignored; the last caller to leave
     * refreshes the VM and waits for the event thread to apply it, the others wait until it has.
     */
    <T> T withSuppressed(String dbg, String vmId, java.util.function.Supplier<T> body) {
        suppressLock.lock();
        try {
            suppressed.merge(vmId, 1, Integer::sum);
        } finally {
            suppressLock.unlock();
        }
        T result = null;
        RuntimeException failure = null;
        try {
            result = body.get();
        } catch (RuntimeException e) {
            failure = e;
        }
        boolean last;
        suppressLock.lock();
        try {
            last = suppressed.merge(vmId, -1, (a, b) -> a + b <= 0 ? null : a + b) == null;
        } finally {
            suppressLock.unlock();
        }
        try {
            if (last) {
                try {
                    refreshAndWait(dbg, vmId);
                } finally {
                    suppressLock.lock();
                    try {
                        unsuppressed.signalAll();
                    } finally {
                        suppressLock.unlock();
                    }
                }
            } else {
                suppressLock.lock();
                try {
                    while (suppressed.containsKey(vmId)) unsuppressed.awaitUninterruptibly();
                } finally {
                    suppressLock.unlock();
                }
            }
        } catch (RuntimeException e) {
            if (failure == null) failure = e;
            else failure.addSuppressed(e); // the body's error is the one the caller sees
        }
        if (failure != null) throw failure;
        return result;
    }

    /** {@code refresh_vm}: xenopsd reports the VM and its devices again; returns once they are applied. */
    void refreshAndWait(String dbg, String vmId) {
        xenops.updatesRefreshVm(dbg, vmId);
        waitBarrier(dbg, vmId);
    }

    /** {@code Events_from_xenopsd.wait}: returns once every change xenopsd knew of for the VM is applied. */
    void waitBarrier(String dbg, String vmId) {
        int id = barriers.register();
        try {
            xenops.updatesInjectBarrier(dbg, vmId, id);
        } catch (RuntimeException e) {
            barriers.cancel(id);
            throw e;
        }
        barriers.await(id, XenopsService.BARRIER_TIMEOUT);
    }

    // ------------------------------------------------------------------------------------------- VM

    private String vmOfUuid(DbReader r, String uuid) {
        try {
            return r.getByUuid("VM", uuid);
        } catch (RuntimeException e) {
            return null;
        }
    }

    static String powerState(PowerState p) {
        return p == null ? "Halted" : p.name();
    }

    /**
     * {@code update_vm}: when the VM is resident here and its events are not suppressed, {@code VM.stat}
     * and apply what changed. A VM xenopsd no longer knows reads as shut down.
     */
    void updateVm(String dbg, String id) {
        if (suppressed(id)) {
            LOG.debug("xenopsd event: ignoring event for VM {} (events suppressed)", id);
            return;
        }
        Snapshot s = services.db().snapshot();
        String vm = vmOfUuid(s, id);
        if (vm == null) {
            LOG.debug("xenopsd event: VM {} is not in the database", id);
            return;
        }
        if (!services.hostRef().equals(s.get(vm, VM.RESIDENT_ON))) return;
        VmState previous = cache.vms.get(id);
        VmState info;
        try {
            info = xenops.vmStat(dbg, id).state();
        } catch (XenopsError e) {
            info = null; // Xapi: "VM state missing: assuming VM has shut down"
        }
        if (Objects.equals(info, previous)) return;
        updateVmInternal(dbg, id, vm, previous, info);
    }

    private static <T> boolean differ(VmState prev, VmState info, Function<VmState, T> f) {
        Object a = info == null ? null : f.apply(info);
        Object b = prev == null ? null : f.apply(prev);
        return !Objects.equals(a, b);
    }

    /** {@code update_vm_internal}: each changed part of the VM's state, as Xapi writes it. */
    void updateVmInternal(String dbg, String id, String vm, VmState previous, VmState info) {
        boolean[] updateAllowed = {false};
        String power = powerState(info == null ? null : info.powerState());
        String powerBefore = services.db().snapshot().get(vm, VM.POWER_STATE);
        if (info != null && !"Suspended".equals(power) && differ(previous, info, VmState::domainType)) {
            String t = switch (info.domainType()) {
                case Domain_HVM -> "hvm";
                case Domain_PV -> "pv";
                case Domain_PVinPVH -> "pv_in_pvh";
                case Domain_PVH -> "pvh";
                case Domain_undefined -> "Halted".equals(power) ? "unspecified" : null;
            };
            if (t != null) writeMetrics(vm, tx -> tx.set("VM_metrics", metricsOf(tx, vm), "current_domain_type", t));
        }
        if (differ(previous, info, VmState::powerState)) {
            updateAllowed[0] = true;
            try {
                onPowerStateChange(dbg, id, vm, power, info);
            } catch (RuntimeException e) {
                LOG.error("Caught {} while updating VM {} power_state", e, id);
            }
        }
        if (info != null && differ(previous, info, VmState::domids)) {
            updateAllowed[0] = true;
            if (!info.domids().isEmpty()) {
                long domid = info.domids().get(0);
                setIfExists(vm, VM.DOMID, domid);
            }
        }
        if (info != null && differ(previous, info, VmState::consoles)) {
            try {
                updateConsoles(vm, info.consoles());
            } catch (RuntimeException e) {
                LOG.error("Caught {} while updating VM {} consoles", e, id);
            }
        }
        if (info != null && differ(previous, info, VmState::memoryTarget)) {
            long t = info.memoryTarget();
            setIfExists(vm, VM.MEMORY_TARGET, t);
        }
        if (info != null
                && differ(previous, info, VmState::rtcTimeoffset)
                && !info.rtcTimeoffset().isEmpty()) {
            String off = info.rtcTimeoffset();
            services.db().transact(tx -> {
                if (!tx.exists("VM", vm)) return;
                Map<String, String> p = new LinkedHashMap<>(tx.get(vm, VM.PLATFORM));
                p.remove("timeoffset");
                p.put("timeoffset", off);
                tx.set(vm, VM.PLATFORM, p);
            });
        }
        if (info != null && differ(previous, info, VmState::hvm)) {
            boolean v = info.hvm();
            writeMetrics(vm, tx -> tx.set("VM_metrics", metricsOf(tx, vm), "hvm", v));
        }
        if (info != null && differ(previous, info, VmState::nomigrate)) {
            boolean v = info.nomigrate();
            writeMetrics(vm, tx -> tx.set("VM_metrics", metricsOf(tx, vm), "nomigrate", v));
        }
        if (info != null && differ(previous, info, VmState::nestedVirt)) {
            boolean v = info.nestedVirt();
            writeMetrics(vm, tx -> tx.set("VM_metrics", metricsOf(tx, vm), "nested_virt", v));
        }
        if (info != null && differ(previous, info, VmState::lastStartTime)) {
            try {
                onLastStartTime(vm, previous, info, power, powerBefore, updateAllowed);
            } catch (RuntimeException e) {
                LOG.error("Caught {} while updating VM {} last_start_time", e, id);
            }
        }
        if (info != null) {
            for (int domid : info.domids()) {
                guestMetrics.createIfNeeded(vm, List.of(domid), info.guestAgent(), info.pvDriversDetected());
                if (differ(previous, info, VmState::guestAgent)) checkGuestAgent(vm, previous, info, updateAllowed);
                if (differ(previous, info, VmState::pvDriversDetected))
                    guestMetrics.setPvDriversDetected(vm, info.pvDriversDetected());
                if (differ(previous, info, VmState::xsdataState)) {
                    Map<String, String> xs = info.xsdataState();
                    setIfExists(vm, VM.XENSTORE_DATA, xs);
                }
            }
        }
        if (info != null && differ(previous, info, VmState::vcpuTarget)) {
            long n = info.vcpuTarget();
            writeMetrics(vm, tx -> tx.set("VM_metrics", metricsOf(tx, vm), "VCPUs_number", n));
        }
        if (info != null && differ(previous, info, VmState::memoryActual)) {
            // Xapi learns memory_actual from rrdd's samples; here xenopsd's figure is taken at each event
            long m = info.memoryActual();
            writeMetrics(vm, tx -> tx.set("VM_metrics", metricsOf(tx, vm), "memory_actual", m));
        }
        if (info != null && differ(previous, info, VmState::shadowMultiplierTarget)) {
            double m = info.shadowMultiplierTarget();
            if (!"Halted".equals(power) && m >= 0.0) {
                setIfExists(vm, VM.HVM_SHADOW_MULTIPLIER, m);
            }
        }
        if (info != null && !"Suspended".equals(power) && differ(previous, info, VmState::featureset)) {
            String fs = info.featureset();
            services.db().transact(tx -> {
                if (!tx.exists("VM", vm)) return;
                String vendor = tx.get(services.hostRef(), Host.CPU_INFO).getOrDefault("vendor", "");
                Map<String, String> flags = new LinkedHashMap<>();
                flags.put("vendor", vendor);
                flags.put("features", fs);
                tx.set(vm, VM.LAST_BOOT_CPU_FLAGS, flags);
            });
        }
        if (info == null) cache.vms.remove(id);
        else cache.vms.put(id, info);
        if (updateAllowed[0] && services.db().snapshot().exists("VM", vm)) {
            services.allowed().update("VM", vm);
        }
    }

    private void onPowerStateChange(String dbg, String id, String vm, String power, VmState info) {
        Snapshot s = services.db().snapshot();
        if ("Halted".equals(power)) {
            boolean reboot = DbValues.hasField(s, "pool", "ha_reboot_vm_on_internal_shutdown")
                    && DbValues.bool(s, "pool", services.poolRef(), "ha_reboot_vm_on_internal_shutdown");
            if (!reboot) services.data().set(vm, VM.HA_ALWAYS_RUN, false);
        }
        LOG.debug("xenopsd event: Updating VM {} power_state <- {}", id, power);
        if ("Suspended".equals(power)) {
            Metadata md = metadata.pull(dbg, id);
            if (md.domains() == null) {
                LOG.error("Suspended VM {} has no domain-specific metadata", id);
            } else {
                String rec = md.domains();
                services.data().set(vm, VM.LAST_BOOTED_RECORD, rec);
            }
        }
        forceStateReset(vm, power, true);
        if ("Running".equals(power) && info != null) {
            guestMetrics.createIfNeeded(vm, info.domids(), info.guestAgent(), info.pvDriversDetected());
        }
        if ("Halted".equals(power)) metadata.delete(dbg, id);
    }

    private void onLastStartTime(
            String vm, VmState previous, VmState info, String power, String powerBefore, boolean[] updateAllowed) {
        Instant start = Instant.ofEpochSecond((long) Math.floor(info.lastStartTime()));
        DateTime startTime = DateTime.ofInstant(start);
        boolean[] later = {false};
        writeMetrics(vm, tx -> {
            String m = metricsOf(tx, vm);
            DateTime expected = (DateTime) tx.get(m, VMMetrics.START_TIME);
            if (startTime.toInstant().isAfter(expected.toInstant())) {
                tx.set(m, VMMetrics.START_TIME, startTime);
                later[0] = true;
            }
        });
        if (later[0] && "Running".equals(power) && !"Suspended".equals(powerBefore)) {
            removePendingGuidance(vm, "restart_device_model");
            removePendingGuidance(vm, "restart_vm");
        }
        guestMetrics.createIfNeeded(vm, info.domids(), info.guestAgent(), info.pvDriversDetected());
        Snapshot s = services.db().snapshot();
        String gm = s.get(vm, VM.GUEST_METRICS);
        if (s.isValid(VMGuestMetrics.XAPI_CLASS, gm)) {
            DateTime updated = (DateTime) s.get(gm, VMGuestMetrics.LAST_UPDATED);
            if (updated.toInstant().isBefore(start)) {
                guestMetrics.delete(vm);
                checkGuestAgent(vm, previous, info, updateAllowed);
            }
        }
    }

    /** {@code check_guest_agent}: the agent's data into the guest metrics of every domain of the VM. */
    private void checkGuestAgent(String vm, VmState previous, VmState info, boolean[] updateAllowed) {
        if (previous != null && !withoutIgnored(previous.guestAgent()).equals(withoutIgnored(info.guestAgent()))) {
            updateAllowed[0] = true;
        }
        for (int domid : info.domids()) {
            try {
                if (guestMetrics.update(vm, domid, info.guestAgent(), info.pvDriversDetected())) {
                    services.allowed().update("VM", vm);
                }
            } catch (RuntimeException e) {
                LOG.error("Caught {} while updating VM guest agent data", e.toString());
            }
        }
    }

    private static Map<String, String> withoutIgnored(Map<String, String> ga) {
        Map<String, String> m = new HashMap<>(ga);
        IGNORED_GUEST_KEYS.forEach(m::remove);
        return m;
    }

    /** The VM's consoles: destroyed when gone from xenopsd's list, created when new. */
    private void updateConsoles(String vm, List<VmState.Console> consoles) {
        services.db().transact(tx -> {
            if (!tx.exists("VM", vm)) return;
            String address = tx.get(services.hostRef(), Host.ADDRESS);
            String uri = "https://" + address + "/console";
            Map<String, String> current = new LinkedHashMap<>(); // protocol → console
            for (String c : tx.get(vm, VM.CONSOLES)) {
                if (!tx.exists("console", c)) continue;
                String p = switch (tx.get(c, Console.PROTOCOL)) {
                    case "vt100" -> "Vt100";
                    default -> "Rfb"; // rfb, and rdp (never used)
                };
                String loc = tx.get(c, Console.LOCATION);
                int q = loc.indexOf('?');
                current.put(p + " " + (q < 0 ? loc : loc.substring(0, q)), c);
            }
            Map<String, VmState.Console> wanted = new LinkedHashMap<>();
            for (VmState.Console c : consoles) wanted.putIfAbsent(c.protocol().name() + " " + uri, c);
            for (Map.Entry<String, String> e : current.entrySet()) {
                if (!wanted.containsKey(e.getKey())) tx.delete("console", e.getValue());
            }
            for (Map.Entry<String, VmState.Console> e : wanted.entrySet()) {
                if (current.containsKey(e.getKey())) continue;
                String uuid = UUID.randomUUID().toString();
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("uuid", uuid);
                row.put("protocol", e.getValue().protocol() == VmState.ConsoleProtocol.Vt100 ? "vt100" : "rfb");
                row.put("location", uri + "?uuid=" + uuid);
                row.put("VM", vm);
                row.put("other_config", Map.of());
                if (DbValues.hasField(tx, "console", "port"))
                    row.put("port", (long) e.getValue().port());
                tx.create("console", Refs.fresh(), row);
            }
        });
    }

    /** The VM's metrics record, created when missing (Xapi's VM.create always makes one). */
    private static String metricsOf(Transaction tx, String vm) {
        String m = tx.get(vm, VM.METRICS);
        if (tx.isValid(VMMetrics.XAPI_CLASS, m)) return m;
        m = Refs.fresh();
        tx.create("VM_metrics", m, Map.of("uuid", UUID.randomUUID().toString()));
        tx.set(vm, VM.METRICS, m);
        return m;
    }

    private void writeMetrics(String vm, java.util.function.Consumer<Transaction> body) {
        services.db().transact(tx -> {
            if (!tx.exists("VM", vm)) return;
            body.accept(tx);
            tx.set(
                    "VM_metrics",
                    metricsOf(tx, vm),
                    "last_updated",
                    DateTime.ofInstant(services.clock().instant()));
        });
    }

    /** {@code remove_pending_guidance} from the three guidance lists. */
    private void removePendingGuidance(String vm, String guidance) {
        services.db().transact(tx -> {
            if (!tx.exists("VM", vm)) return;
            for (String f : List.of("pending_guidances", "pending_guidances_recommended", "pending_guidances_full")) {
                if (DbValues.hasField(tx, "VM", f)
                        && DbValues.list(tx, "VM", vm, f).contains(guidance)) tx.removeFromSet("VM", vm, f, guidance);
            }
        });
    }

    /**
     * {@code force_state_reset} ({@code keepCurrentOps}: {@code _keep_current_operations}): the power state;
     * on Halted every VBD and VIF detached and unreserved with its operations cleared, {@code requires_reboot}
     * and restart guidances cleared; on Halted (and Suspended) {@code resident_on},
     * {@code scheduled_to_be_resident_on} and {@code domid} reset; then allowed operations recomputed.
     */
    void forceStateReset(String vm, String state, boolean keepCurrentOps) {
        List<String> devices = new ArrayList<>();
        services.db().transact(tx -> {
            if (!tx.exists("VM", vm)) return;
            if (!keepCurrentOps) tx.set(vm, VM.CURRENT_OPERATIONS, Map.of());
            tx.set(vm, VM.POWER_STATE, state);
            if (state.equals("Halted")) {
                for (String vbd : tx.get(vm, VM.VBDS)) {
                    if (!tx.exists("VBD", vbd)) continue;
                    tx.set(vbd, VBD.CURRENTLY_ATTACHED, false);
                    tx.set(vbd, VBD.RESERVED, false);
                    if (!tx.get(vbd, VBD.CURRENT_OPERATIONS).isEmpty()) {
                        tx.set(vbd, VBD.CURRENT_OPERATIONS, Map.of());
                        devices.add("VBD " + vbd);
                    }
                }
                for (String vif : tx.get(vm, VM.VIFS)) {
                    if (!tx.exists("VIF", vif)) continue;
                    tx.set(vif, VIF.CURRENTLY_ATTACHED, false);
                    tx.set(vif, VIF.RESERVED, false);
                    tx.set(vif, VIF.RESERVED_PCI, Refs.NULL);
                    if (!tx.get(vif, VIF.CURRENT_OPERATIONS).isEmpty()) {
                        tx.set(vif, VIF.CURRENT_OPERATIONS, Map.of());
                        devices.add("VIF " + vif);
                    }
                }
                tx.set(vm, VM.REQUIRES_REBOOT, false);
            }
            if (state.equals("Halted") || state.equals("Suspended")) {
                // a checkpoint keeps the VM resident while it suspends
                boolean checkpoint = state.equals("Suspended")
                        && tx.get(vm, VM.CURRENT_OPERATIONS).containsValue("checkpoint");
                if (!checkpoint) {
                    tx.set(vm, VM.RESIDENT_ON, Refs.NULL);
                    tx.set(vm, VM.SCHEDULED_TO_BE_RESIDENT_ON, Refs.NULL);
                    tx.set(vm, VM.DOMID, -1L);
                }
            }
        });
        if (state.equals("Suspended") || state.equals("Halted")) removePendingGuidance(vm, "restart_device_model");
        if (state.equals("Halted")) removePendingGuidance(vm, "restart_vm");
        for (String d : devices) {
            String[] p = d.split(" ");
            services.allowed().update(p[0], p[1]);
        }
        if (services.db().snapshot().exists("VM", vm)) services.allowed().update("VM", vm);
    }

    // ------------------------------------------------------------------------------------------- VBD, VIF

    /**
     * {@code update_vbd}: the VBD matching xenopsd's device name (or its disk number) gets {@code device},
     * {@code currently_attached} and, for a plugged drive, the disk in it; a device neither plugged nor
     * active is removed from xenopsd.
     */
    void updateVbd(String dbg, DeviceId id) {
        if (suppressed(id.vm())) return;
        Snapshot s = services.db().snapshot();
        String vm = vmOfUuid(s, id.vm());
        if (vm == null || !services.hostRef().equals(s.get(vm, VM.RESIDENT_ON))) return;
        VbdState previous = cache.vbds.get(id);
        VbdState info;
        try {
            info = xenops.vbdStat(dbg, id).state();
        } catch (XenopsError e) {
            info = null;
        }
        if (Objects.equals(info, previous)) return;
        String linux = id.name();
        String diskNumber = DeviceNumber.ofLinuxDevice(linux)
                .filter(d -> d.bus() == DeviceNumber.Bus.Ide || d.bus() == DeviceNumber.Bus.Xen)
                .map(d -> Integer.toString(d.disk()))
                .orElse(null);
        String vbd = null;
        for (String v : s.get(vm, VM.VBDS)) {
            if (!s.exists("VBD", v)) continue;
            String ud = s.get(v, VBD.USERDEVICE);
            if (ud.equals(linux) || ud.equals(diskNumber)) {
                vbd = v;
                break;
            }
        }
        if (vbd == null) {
            LOG.error("xenopsd event: no VBD of VM {} matches device {}", id.vm(), linux);
            return;
        }
        String theVbd = vbd;
        if (info != null) {
            VbdState st = info;
            boolean attached = st.plugged() || st.active();
            String[] vdiTouched = {null};
            services.db().transact(tx -> {
                if (!tx.exists("VBD", theVbd)) return;
                tx.set(theVbd, VBD.DEVICE, linux);
                tx.set(theVbd, VBD.CURRENTLY_ATTACHED, attached);
                if (!st.plugged()) return;
                Disk present = st.backendPresent();
                if (present instanceof Disk.Vdi v) {
                    String vdi = vdiOfDisk(tx, v.srAndLocation());
                    if (vdi != null) {
                        tx.set(theVbd, VBD.VDI, vdi);
                        tx.set(theVbd, VBD.EMPTY, false);
                        vdiTouched[0] = vdi;
                    }
                } else if (present == null) {
                    if ("CD".equals(tx.get(theVbd, VBD.TYPE))) {
                        tx.set(theVbd, VBD.EMPTY, true);
                        tx.set(theVbd, VBD.VDI, Refs.NULL);
                    } else {
                        LOG.error("VBD {} is empty but is not a CD", id);
                    }
                } else {
                    LOG.error("VBD {} backend_present has unknown disk {}", id, present);
                }
            });
            if (vdiTouched[0] != null) services.allowed().update("VDI", vdiTouched[0]);
            if (!attached) {
                try {
                    xenops.vbdRemove(dbg, id);
                } catch (RuntimeException e) {
                    LOG.debug("VBD.remove failed: {}", e.toString());
                }
            }
            cache.vbds.put(id, info);
        } else {
            cache.vbds.remove(id);
        }
        services.allowed().update("VBD", theVbd);
        Snapshot after = services.db().snapshot();
        if (after.exists("VBD", theVbd) && !after.get(theVbd, VBD.EMPTY)) {
            String vdi = after.get(theVbd, VBD.VDI);
            if (after.isValid(VDI.XAPI_CLASS, vdi)) services.allowed().update("VDI", vdi);
        }
    }

    /** {@code vdi_of_disk}: the VDI named {@code "<sr-uuid>/<location>"}, or null. */
    static String vdiOfDisk(DbReader r, String x) {
        int slash = x.indexOf('/');
        if (slash < 0) return null;
        String sr;
        try {
            sr = r.getByUuid("SR", x.substring(0, slash));
        } catch (RuntimeException e) {
            return null;
        }
        String location = x.substring(slash + 1);
        for (String vdi : r.get(sr, SR.VDIS)) {
            if (r.exists("VDI", vdi) && location.equals(r.get(vdi, VDI.LOCATION))) return vdi;
        }
        return null;
    }

    /** {@code update_vif}: {@code currently_attached} of the VIF with xenopsd's device; a dead device is removed. */
    void updateVif(String dbg, DeviceId id) {
        if (suppressed(id.vm())) return;
        Snapshot s = services.db().snapshot();
        String vm = vmOfUuid(s, id.vm());
        if (vm == null || !services.hostRef().equals(s.get(vm, VM.RESIDENT_ON))) return;
        VifState previous = cache.vifs.get(id);
        VifState info;
        try {
            info = xenops.vifStat(dbg, id).state();
        } catch (XenopsError e) {
            info = null;
        }
        if (Objects.equals(info, previous)) return;
        String vif = null;
        for (String v : s.get(vm, VM.VIFS)) {
            if (s.exists("VIF", v) && s.get(v, VIF.DEVICE).equals(id.name())) {
                vif = v;
                break;
            }
        }
        if (vif == null) {
            LOG.error("xenopsd event: no VIF of VM {} has device {}", id.vm(), id.name());
            return;
        }
        String theVif = vif;
        if (info != null) {
            boolean attached = info.plugged() || info.active();
            if (!attached) {
                try {
                    xenops.vifRemove(dbg, id);
                } catch (RuntimeException e) {
                    LOG.debug("VIF.remove failed: {}", e.toString());
                }
            }
            setIfExists(theVif, VIF.CURRENTLY_ATTACHED, attached);
            cache.vifs.put(id, info);
        } else {
            cache.vifs.remove(id);
        }
        services.allowed().update("VIF", theVif);
    }
}
