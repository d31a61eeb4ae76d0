package org.xapijava.server.xenops;

import java.time.Clock;
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
import org.xapijava.db.FieldReads;
import org.xapijava.db.FieldValues;
import org.xapijava.db.ReadSet;
import org.xapijava.db.Update;
import org.xapijava.model.Field;
import org.xapijava.model.api.Console;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.Pool;
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
import org.xapijava.server.ops.AllowedOperations;
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
    /** {@code pool.ha_reboot_vm_on_internal_shutdown}, a field of datamodels newer than this build's. */
    private static final Field<Boolean> HA_REBOOT_ON_INTERNAL_SHUTDOWN =
            new Field<>(Pool.XAPI_CLASS, "ha_reboot_vm_on_internal_shutdown");

    /** Guest agent keys whose changes do not affect allowed operations ({@code check_guest_agent}). */
    private static final List<String> IGNORED_GUEST_KEYS =
            List.of("data/meminfo_free", "data/updated", "data/update_cnt");

    private final Clock clock;
    private final String hostRef;
    private final String poolRef;
    private final AllowedOperations allowed;
    private final Db data;
    private final Xenops xenops;
    private final GuestMetrics guestMetrics;
    private final XenopsdMetadata metadata;
    private final Barriers barriers;
    private final java.util.function.Supplier<org.xapijava.server.rrd.VmRrdMoves> rrdMoves;

    private final XenopsCache cache;

    private final ReentrantLock suppressLock = new ReentrantLock();
    private final Condition unsuppressed = suppressLock.newCondition();
    private final Map<String, Integer> suppressed = new HashMap<>();

    StateSync(
            Db data,
            Clock clock,
            String hostRef,
            String poolRef,
            AllowedOperations allowed,
            Xenops xenops,
            GuestMetrics guestMetrics,
            XenopsCache cache,
            XenopsdMetadata metadata,
            Barriers barriers,
            java.util.function.Supplier<org.xapijava.server.rrd.VmRrdMoves> rrdMoves) {
        this.rrdMoves = rrdMoves;
        this.data = data;
        this.clock = clock;
        this.hostRef = hostRef;
        this.poolRef = poolRef;
        this.allowed = allowed;
        this.xenops = xenops;
        this.guestMetrics = guestMetrics;
        this.cache = cache;
        this.metadata = metadata;
        this.barriers = barriers;
    }

    /** Writes {@code field} of {@code ref} unless the object is gone (it may vanish while its events are read). */
    private <T> void setIfExists(String ref, Field<T> field, T value) {
        try {
            if (data.exists(field.cls(), ref)) data.set(ref, field, value);
        } catch (ApiError e) {
            if (!e.code().equals(ErrorCodes.HANDLE_INVALID)) throw e;
        }
    }

    /**
     * One atomic step planned from what it reads (Xapi's database calls under one lock): {@code plan} reads through
     * a {@link ReadSet} and adds its writes to an {@link Update.Builder} (null or nothing added: no write); the update
     * is applied only if nothing read has changed, else planned again from fresh reads. A row that vanishes while it
     * is read makes the step start again, when the plan's existence checks see it gone.
     */
    void step(java.util.function.BiConsumer<ReadSet, Update.Builder> plan) {
        Db.retrying(() -> {
            ReadSet r = new ReadSet(data);
            Update.Builder u = Update.builder();
            try {
                plan.accept(r, u);
            } catch (ApiError e) {
                if (!e.code().equals(ErrorCodes.HANDLE_INVALID)) throw e;
                throw new Db.Conflict("a row read vanished: " + e.getMessage());
            }
            if (!u.isEmpty()) data.apply(u.require(r.preconditions()).build());
        });
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

    private String vmOfUuid(String uuid) {
        return data.findByUuid(VM.XAPI_CLASS, uuid).orElse(null);
    }

    /** Whether {@code vm} is resident on this host (false when it has gone meanwhile). */
    private boolean residentHere(String vm) {
        try {
            return hostRef.equals(data.get(vm, VM.RESIDENT_ON));
        } catch (ApiError e) {
            if (!e.code().equals(ErrorCodes.HANDLE_INVALID)) throw e;
            return false;
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
        String vm = vmOfUuid(id);
        if (vm == null) {
            LOG.debug("xenopsd event: VM {} is not in the database", id);
            return;
        }
        if (!residentHere(vm)) return;
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
        PendingWrites pending = new PendingWrites(vm, this::step, this::planMetrics);
        String power = powerState(info == null ? null : info.powerState());
        String powerBefore = data.get(vm, VM.POWER_STATE);
        if (info != null && !"Suspended".equals(power) && differ(previous, info, VmState::domainType)) {
            String t = switch (info.domainType()) {
                case Domain_HVM -> "hvm";
                case Domain_PV -> "pv";
                case Domain_PVinPVH -> "pv_in_pvh";
                case Domain_PVH -> "pvh";
                case Domain_undefined -> "Halted".equals(power) ? "unspecified" : null;
            };
            if (t != null) pending.metrics((r, u, m) -> u.set(m, VMMetrics.CURRENT_DOMAIN_TYPE, t));
        }
        if (differ(previous, info, VmState::powerState)) {
            updateAllowed[0] = true;
            pending.flush();
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
                pending.set(VM.DOMID, domid);
            }
        }
        if (info != null && differ(previous, info, VmState::consoles)) {
            pending.plan(consolesPlan(vm, info.consoles()));
        }
        if (info != null && differ(previous, info, VmState::memoryTarget)) {
            long t = info.memoryTarget();
            pending.set(VM.MEMORY_TARGET, t);
        }
        if (info != null
                && differ(previous, info, VmState::rtcTimeoffset)
                && !info.rtcTimeoffset().isEmpty()) {
            String off = info.rtcTimeoffset();
            pending.plan((r, u) -> {
                Map<String, String> p = new LinkedHashMap<>(r.get(vm, VM.PLATFORM));
                p.remove("timeoffset");
                p.put("timeoffset", off);
                u.set(vm, VM.PLATFORM, p);
            });
        }
        if (info != null && differ(previous, info, VmState::hvm)) {
            boolean v = info.hvm();
            pending.metrics((r, u, m) -> u.set(m, VMMetrics.HVM, v));
        }
        if (info != null && differ(previous, info, VmState::nomigrate)) {
            boolean v = info.nomigrate();
            pending.metrics((r, u, m) -> u.set(m, VMMetrics.NOMIGRATE, v));
        }
        if (info != null && differ(previous, info, VmState::nestedVirt)) {
            boolean v = info.nestedVirt();
            pending.metrics((r, u, m) -> u.set(m, VMMetrics.NESTED_VIRT, v));
        }
        if (info != null && differ(previous, info, VmState::lastStartTime)) {
            pending.flush();
            try {
                onLastStartTime(vm, previous, info, power, powerBefore, updateAllowed);
            } catch (RuntimeException e) {
                LOG.error("Caught {} while updating VM {} last_start_time", e, id);
            }
        }
        if (info != null) {
            for (int domid : info.domids()) {
                pending.flush();
                guestMetrics.createIfNeeded(vm, List.of(domid), info.guestAgent(), info.pvDriversDetected());
                if (differ(previous, info, VmState::guestAgent)) checkGuestAgent(vm, previous, info, updateAllowed);
                if (differ(previous, info, VmState::pvDriversDetected))
                    guestMetrics.setPvDriversDetected(vm, info.pvDriversDetected());
                if (differ(previous, info, VmState::xsdataState)) {
                    Map<String, String> xs = info.xsdataState();
                    pending.set(VM.XENSTORE_DATA, xs);
                }
            }
        }
        if (info != null && differ(previous, info, VmState::vcpuTarget)) {
            long n = info.vcpuTarget();
            pending.metrics((r, u, m) -> u.set(m, VMMetrics.VCPUS_NUMBER, n));
        }
        if (info != null && differ(previous, info, VmState::memoryActual)) {
            // Xapi learns memory_actual from rrdd's samples; here xenopsd's figure is taken at each event
            long actual = info.memoryActual();
            pending.metrics((r, u, m) -> u.set(m, VMMetrics.MEMORY_ACTUAL, actual));
        }
        if (info != null && differ(previous, info, VmState::shadowMultiplierTarget)) {
            double m = info.shadowMultiplierTarget();
            if (!"Halted".equals(power) && m >= 0.0) {
                pending.set(VM.HVM_SHADOW_MULTIPLIER, m);
            }
        }
        if (info != null && !"Suspended".equals(power) && differ(previous, info, VmState::featureset)) {
            String fs = info.featureset();
            String vendor = data.get(hostRef, Host.CPU_INFO).getOrDefault(BootChecks.CPU_VENDOR, "");
            Map<String, String> flags = new LinkedHashMap<>();
            flags.put(BootChecks.CPU_VENDOR, vendor);
            flags.put(BootChecks.CPU_FEATURES, fs);
            pending.set(VM.LAST_BOOT_CPU_FLAGS, flags);
        }
        pending.flush();
        // a VM that has just suspended was pulled out of xenopsd (VM.remove): nothing is left to compare later reports
        // with. Xapi caches the Suspended state, which only a checkpoint (the VM stays resident) could then compare
        // with the "no VM" of a late event, and take for a shutdown.
        boolean pulled = info != null && "Suspended".equals(power) && differ(previous, info, VmState::powerState);
        if (info == null || pulled) cache.vms.remove(id);
        else cache.vms.put(id, info);
        if (updateAllowed[0] && data.exists(VM.XAPI_CLASS, vm)) {
            allowed.update(VM.XAPI_CLASS, vm);
        }
    }

    private void onPowerStateChange(String dbg, String id, String vm, String power, VmState info) {
        if ("Halted".equals(power)) {
            // a field of newer datamodels than this build's: read only where the datamodel has it
            boolean reboot =
                    HA_REBOOT_ON_INTERNAL_SHUTDOWN.def() != null && data.get(poolRef, HA_REBOOT_ON_INTERNAL_SHUTDOWN);
            if (!reboot) data.set(vm, VM.HA_ALWAYS_RUN, false);
        }
        LOG.debug("xenopsd event: Updating VM {} power_state <- {}", id, power);
        if ("Suspended".equals(power)) {
            Metadata md = metadata.pull(dbg, id);
            if (md.domains() == null) {
                LOG.error("Suspended VM {} has no domain-specific metadata", id);
            } else {
                String rec = md.domains();
                data.set(vm, VM.LAST_BOOTED_RECORD, rec);
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
        writeMetrics(vm, (r, u, m) -> {
            later[0] = false; // planned again after a conflict
            DateTime expected = r.isValid(VMMetrics.XAPI_CLASS, m) ? r.get(m, VMMetrics.START_TIME) : DateTime.EPOCH;
            if (startTime.toInstant().isAfter(expected.toInstant())) {
                u.set(m, VMMetrics.START_TIME, startTime);
                later[0] = true;
            }
        });
        if (later[0] && "Running".equals(power) && !"Suspended".equals(powerBefore)) {
            removePendingGuidance(vm, "restart_device_model");
            removePendingGuidance(vm, "restart_vm");
        }
        guestMetrics.createIfNeeded(vm, info.domids(), info.guestAgent(), info.pvDriversDetected());
        String gm = data.get(vm, VM.GUEST_METRICS);
        if (data.isValid(VMGuestMetrics.XAPI_CLASS, gm)) {
            DateTime updated = data.get(gm, VMGuestMetrics.LAST_UPDATED);
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
                    allowed.update(VM.XAPI_CLASS, vm);
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

    /** The VM's consoles: destroyed when gone from xenopsd's list, created when new (the VM known to exist). */
    private java.util.function.BiConsumer<ReadSet, Update.Builder> consolesPlan(
            String vm, List<VmState.Console> consoles) {
        return (r, u) -> {
            String address = r.get(hostRef, Host.ADDRESS);
            String uri = "https://" + address + "/console";
            Map<String, String> current = new LinkedHashMap<>(); // protocol → console
            for (String c : r.get(vm, VM.CONSOLES)) {
                if (!r.exists(Console.XAPI_CLASS, c)) continue;
                String p = switch (r.get(c, Console.PROTOCOL)) {
                    case "vt100" -> "Vt100";
                    default -> "Rfb"; // rfb, and rdp (never used)
                };
                String loc = r.get(c, Console.LOCATION);
                int q = loc.indexOf('?');
                current.put(p + " " + (q < 0 ? loc : loc.substring(0, q)), c);
            }
            Map<String, VmState.Console> wanted = new LinkedHashMap<>();
            for (VmState.Console c : consoles) wanted.putIfAbsent(c.protocol().name() + " " + uri, c);
            for (Map.Entry<String, String> e : current.entrySet()) {
                if (!wanted.containsKey(e.getKey())) u.delete(Console.XAPI_CLASS, e.getValue());
            }
            for (Map.Entry<String, VmState.Console> e : wanted.entrySet()) {
                if (current.containsKey(e.getKey())) continue;
                String uuid = UUID.randomUUID().toString();
                u.create(
                        Refs.fresh(),
                        FieldValues.of(Console.XAPI_CLASS)
                                .with(Console.UUID, uuid)
                                .with(
                                        Console.PROTOCOL,
                                        e.getValue().protocol() == VmState.ConsoleProtocol.Vt100 ? "vt100" : "rfb")
                                .with(Console.LOCATION, uri + "?uuid=" + uuid)
                                .with(Console.VM, vm)
                                .with(Console.OTHER_CONFIG, Map.of())
                                .with(Console.PORT, (long) e.getValue().port()));
            }
        };
    }

    /**
     * Writes into the VM's metrics record and stamps its {@code last_updated}, in one step; the record is created when
     * missing (Xapi's VM.create always makes one). Nothing when the VM is gone.
     */
    private void writeMetrics(String vm, PendingWrites.MetricsWrite body) {
        step((r, u) -> {
            if (!r.exists(VM.XAPI_CLASS, vm)) return;
            planMetrics(r, u, vm, List.of(body));
        });
    }

    /** The writes of {@code bodies} into the VM's metrics row (made when missing), stamped once. */
    void planMetrics(ReadSet r, Update.Builder u, String vm, List<PendingWrites.MetricsWrite> bodies) {
        String m = r.get(vm, VM.METRICS);
        if (!r.isValid(VMMetrics.XAPI_CLASS, m)) {
            m = Refs.fresh();
            u.create(
                    m,
                    FieldValues.of(VMMetrics.XAPI_CLASS)
                            .with(VMMetrics.UUID, UUID.randomUUID().toString()));
            u.set(vm, VM.METRICS, m);
        }
        for (PendingWrites.MetricsWrite body : bodies) body.plan(r, u, m);
        u.set(m, VMMetrics.LAST_UPDATED, DateTime.ofInstant(clock.instant()));
    }

    /** {@code remove_pending_guidance} from the three guidance lists. */
    void removePendingGuidance(String vm, String guidance) {
        step((r, u) -> {
            if (!r.exists(VM.XAPI_CLASS, vm)) return;
            for (Field<List<String>> f :
                    List.of(VM.PENDING_GUIDANCES, VM.PENDING_GUIDANCES_RECOMMENDED, VM.PENDING_GUIDANCES_FULL)) {
                if (r.get(vm, f).contains(guidance)) u.removeFromSet(vm, f, guidance);
            }
        });
    }

    /**
     * {@code force_state_reset} ({@code keepCurrentOps}: {@code _keep_current_operations}): the power state;
     * on Halted every VBD and VIF detached and unreserved with its operations cleared, {@code requires_reboot}
     * and restart guidances cleared; on Halted (and Suspended) {@code resident_on},
     * {@code scheduled_to_be_resident_on} and {@code domid} reset; then allowed operations recomputed, and the RRD
     * of a VM that halted or was suspended archived ({@code archive_rrd}).
     */
    void forceStateReset(String vm, String state, boolean keepCurrentOps) {
        List<String> devices = new ArrayList<>();
        boolean[] leaves = {false};
        step((r, u) -> {
            devices.clear(); // planned again after a conflict
            leaves[0] = false;
            if (!r.exists(VM.XAPI_CLASS, vm)) return;
            // the current operations as they will be once this step is applied
            Map<String, String> ops = keepCurrentOps ? r.get(vm, VM.CURRENT_OPERATIONS) : Map.of();
            if (!keepCurrentOps) u.set(vm, VM.CURRENT_OPERATIONS, Map.of());
            u.set(vm, VM.POWER_STATE, state);
            if (state.equals("Halted")) {
                for (String vbd : r.get(vm, VM.VBDS)) {
                    if (!r.exists(VBD.XAPI_CLASS, vbd)) continue;
                    u.set(vbd, VBD.CURRENTLY_ATTACHED, false);
                    u.set(vbd, VBD.RESERVED, false);
                    if (!r.get(vbd, VBD.CURRENT_OPERATIONS).isEmpty()) {
                        u.set(vbd, VBD.CURRENT_OPERATIONS, Map.of());
                        devices.add(VBD.XAPI_CLASS + " " + vbd);
                    }
                }
                for (String vif : r.get(vm, VM.VIFS)) {
                    if (!r.exists(VIF.XAPI_CLASS, vif)) continue;
                    u.set(vif, VIF.CURRENTLY_ATTACHED, false);
                    u.set(vif, VIF.RESERVED, false);
                    u.set(vif, VIF.RESERVED_PCI, Refs.NULL);
                    if (!r.get(vif, VIF.CURRENT_OPERATIONS).isEmpty()) {
                        u.set(vif, VIF.CURRENT_OPERATIONS, Map.of());
                        devices.add(VIF.XAPI_CLASS + " " + vif);
                    }
                }
                u.set(vm, VM.REQUIRES_REBOOT, false);
            }
            if (state.equals("Halted") || state.equals("Suspended")) {
                // a checkpoint keeps the VM resident while it suspends
                boolean checkpoint = state.equals("Suspended") && ops.containsValue("checkpoint");
                if (!checkpoint) {
                    leaves[0] = true;
                    u.set(vm, VM.RESIDENT_ON, Refs.NULL);
                    u.set(vm, VM.SCHEDULED_TO_BE_RESIDENT_ON, Refs.NULL);
                    u.set(vm, VM.DOMID, -1L);
                }
            }
        });
        if (state.equals("Suspended") || state.equals("Halted")) removePendingGuidance(vm, "restart_device_model");
        if (state.equals("Halted")) removePendingGuidance(vm, "restart_vm");
        for (String d : devices) {
            String[] p = d.split(" ");
            allowed.update(p[0], p[1]);
        }
        if (data.exists(VM.XAPI_CLASS, vm)) {
            allowed.update(VM.XAPI_CLASS, vm);
            // archive_rrd: a VM that halted (or was suspended) here no longer has its RRD here
            if (leaves[0]) rrdMoves.get().halted(data.get(vm, VM.UUID));
        }
    }

    // ------------------------------------------------------------------------------------------- VBD, VIF

    /**
     * {@code update_vbd}: the VBD matching xenopsd's device name (or its disk number) gets {@code device},
     * {@code currently_attached} and, for a plugged drive, the disk in it; a device neither plugged nor
     * active is removed from xenopsd.
     */
    void updateVbd(String dbg, DeviceId id) {
        if (suppressed(id.vm())) return;
        String vm = vmOfUuid(id.vm());
        if (vm == null || !residentHere(vm)) return;
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
        for (String v : data.get(vm, VM.VBDS)) {
            if (!data.exists(VBD.XAPI_CLASS, v)) continue;
            String ud = data.get(v, VBD.USERDEVICE);
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
            step((r, u) -> {
                vdiTouched[0] = null; // planned again after a conflict
                if (!r.exists(VBD.XAPI_CLASS, theVbd)) return;
                u.set(theVbd, VBD.DEVICE, linux);
                u.set(theVbd, VBD.CURRENTLY_ATTACHED, attached);
                if (!st.plugged()) return;
                Disk present = st.backendPresent();
                if (present instanceof Disk.Vdi v) {
                    String vdi = vdiOfDisk(r, v.srAndLocation());
                    if (vdi != null) {
                        u.set(theVbd, VBD.VDI, vdi);
                        u.set(theVbd, VBD.EMPTY, false);
                        vdiTouched[0] = vdi;
                    }
                } else if (present == null) {
                    if ("CD".equals(r.get(theVbd, VBD.TYPE))) {
                        u.set(theVbd, VBD.EMPTY, true);
                        u.set(theVbd, VBD.VDI, Refs.NULL);
                    } else {
                        LOG.error("VBD {} is empty but is not a CD", id);
                    }
                } else {
                    LOG.error("VBD {} backend_present has unknown disk {}", id, present);
                }
            });
            if (vdiTouched[0] != null) allowed.update(VDI.XAPI_CLASS, vdiTouched[0]);
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
        allowed.update(VBD.XAPI_CLASS, theVbd);
        Map<String, Object> after = data.exists(VBD.XAPI_CLASS, theVbd) ? data.record(VBD.XAPI_CLASS, theVbd) : null;
        if (after != null && !Db.value(after, VBD.EMPTY)) {
            String vdi = Db.value(after, VBD.VDI);
            if (data.isValid(VDI.XAPI_CLASS, vdi)) allowed.update(VDI.XAPI_CLASS, vdi);
        }
    }

    /** {@code vdi_of_disk}: the VDI named {@code "<sr-uuid>/<location>"}, or null. */
    String vdiOfDisk(FieldReads r, String x) {
        int slash = x.indexOf('/');
        if (slash < 0) return null;
        String sr = data.findByUuid(SR.XAPI_CLASS, x.substring(0, slash)).orElse(null);
        if (sr == null || !r.exists(SR.XAPI_CLASS, sr)) return null;
        String location = x.substring(slash + 1);
        for (String vdi : r.get(sr, SR.VDIS)) {
            if (r.exists(VDI.XAPI_CLASS, vdi) && location.equals(r.get(vdi, VDI.LOCATION))) return vdi;
        }
        return null;
    }

    /** {@code update_vif}: {@code currently_attached} of the VIF with xenopsd's device; a dead device is removed. */
    void updateVif(String dbg, DeviceId id) {
        if (suppressed(id.vm())) return;
        String vm = vmOfUuid(id.vm());
        if (vm == null || !residentHere(vm)) return;
        VifState previous = cache.vifs.get(id);
        VifState info;
        try {
            info = xenops.vifStat(dbg, id).state();
        } catch (XenopsError e) {
            info = null;
        }
        if (Objects.equals(info, previous)) return;
        String vif = null;
        for (String v : data.get(vm, VM.VIFS)) {
            if (data.exists(VIF.XAPI_CLASS, v) && data.get(v, VIF.DEVICE).equals(id.name())) {
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
        allowed.update(VIF.XAPI_CLASS, theVif);
    }
}
