package org.xapijava.server.xenops;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.db.Update;
import org.xapijava.model.Field;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMGuestMetrics;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;

/**
 * The VM_guest_metrics records, kept in step with what the guest agent publishes
 * ({@code create_and_set_guest_metrics} and {@code all} of {@code ocaml/xapi/xapi_guest_agent.ml}): created
 * when a running VM has none, written only when the agent's data changed since the last look at that domain
 * (cached per domid, as Xapi does), and recording the agent's {@code device_id} in the VM's platform.
 * Thread-safe; called from the event thread and from lifecycle calls.
 */
final class GuestMetrics {
    private final Clock clock;
    private final Db data;
    private final Map<Integer, GuestAgent> cache = new ConcurrentHashMap<>();

    GuestMetrics(Db data, Clock clock) {
        this.data = data;
        this.clock = clock;
    }

    /** {@code create_and_set_guest_metrics}: a fresh, live record for the VM, from the agent's data. */
    String create(String vm, int domid, Map<String, String> guestAgent, boolean pvDriversDetected) {
        GuestAgent g = GuestAgent.parse(guestAgent);
        String ref = Refs.fresh();
        // netbios_name and services are not columns of this datamodel (Xapi's newer ones have them)
        FieldValues row = FieldValues.of(VMGuestMetrics.XAPI_CLASS)
                .with(VMGuestMetrics.UUID, UUID.randomUUID().toString())
                .with(VMGuestMetrics.OS_VERSION, g.osVersion())
                .with(VMGuestMetrics.PV_DRIVERS_VERSION, g.pvDriversVersion())
                .with(VMGuestMetrics.PV_DRIVERS_UP_TO_DATE, pvDriversDetected)
                .with(VMGuestMetrics.NETWORKS, g.networks())
                .with(VMGuestMetrics.OTHER, g.other())
                .with(VMGuestMetrics.LAST_UPDATED, DateTime.ofInstant(clock.instant()))
                .with(VMGuestMetrics.OTHER_CONFIG, Map.of())
                .with(VMGuestMetrics.LIVE, true)
                .with(VMGuestMetrics.CAN_USE_HOTPLUG_VBD, g.canUseHotplugVbd())
                .with(VMGuestMetrics.CAN_USE_HOTPLUG_VIF, g.canUseHotplugVif())
                .with(VMGuestMetrics.PV_DRIVERS_DETECTED, pvDriversDetected);
        data.apply(
                Update.builder().create(ref, row).set(vm, VM.GUEST_METRICS, ref).build());
        cache.put(domid, g);
        return ref;
    }

    /** Creates the VM's guest metrics, once per domain, when it has none ({@code create_guest_metrics_if_needed}). */
    void createIfNeeded(String vm, List<Integer> domids, Map<String, String> guestAgent, boolean pvDriversDetected) {
        for (int domid : domids) {
            if (!Refs.isNull(data.get(vm, VM.GUEST_METRICS))) return;
            create(vm, domid, guestAgent, pvDriversDetected);
        }
    }

    /**
     * {@code all}: writes whatever changed in the agent's data since the last look at {@code domid} (creating
     * the record if the VM's is gone).
     *
     * @return whether the VM's allowed operations depend on what changed (other keys, PV drivers, hotplug)
     */
    boolean update(String vm, int domid, Map<String, String> guestAgent, boolean pvDriversDetected) {
        GuestAgent now = GuestAgent.parse(guestAgent);
        GuestAgent before = cache.getOrDefault(domid, GuestAgent.EMPTY);
        cache.put(domid, now);
        boolean changed = !now.pvDriversVersion().equals(before.pvDriversVersion())
                || !now.osVersion().equals(before.osVersion())
                || !now.netbiosName().equals(before.netbiosName())
                || !now.networks().equals(before.networks())
                || !now.other().equals(before.other())
                || !now.deviceId().equals(before.deviceId())
                || !now.services().equals(before.services())
                || !now.canUseHotplugVbd().equals(before.canUseHotplugVbd())
                || !now.canUseHotplugVif().equals(before.canUseHotplugVif());
        if (!changed) return false;
        String existing = data.get(vm, VM.GUEST_METRICS);
        String gm = data.isValid(VMGuestMetrics.XAPI_CLASS, existing)
                ? existing
                : create(vm, domid, guestAgent, pvDriversDetected);
        if (data.exists(VMGuestMetrics.XAPI_CLASS, gm)) {
            Update.Builder u = Update.builder();
            setIf(u, gm, VMGuestMetrics.PV_DRIVERS_VERSION, now.pvDriversVersion(), before.pvDriversVersion());
            setIf(u, gm, VMGuestMetrics.OS_VERSION, now.osVersion(), before.osVersion());
            setIf(u, gm, VMGuestMetrics.NETWORKS, now.networks(), before.networks());
            setIf(u, gm, VMGuestMetrics.OTHER, now.other(), before.other());
            setIf(u, gm, VMGuestMetrics.CAN_USE_HOTPLUG_VBD, now.canUseHotplugVbd(), before.canUseHotplugVbd());
            setIf(u, gm, VMGuestMetrics.CAN_USE_HOTPLUG_VIF, now.canUseHotplugVif(), before.canUseHotplugVif());
            u.set(gm, VMGuestMetrics.LAST_UPDATED, DateTime.ofInstant(clock.instant()));
            String deviceId = now.deviceId().get("device_id");
            if (!now.deviceId().equals(before.deviceId()) && deviceId != null && data.exists(VM.XAPI_CLASS, vm)) {
                Map<String, String> platform = new LinkedHashMap<>(data.get(vm, VM.PLATFORM));
                platform.put("device_id", deviceId);
                u.set(vm, VM.PLATFORM, platform);
            }
            data.apply(u.build());
        }
        return !now.other().equals(before.other())
                || !now.pvDriversVersion().equals(before.pvDriversVersion())
                || !now.canUseHotplugVbd().equals(before.canUseHotplugVbd())
                || !now.canUseHotplugVif().equals(before.canUseHotplugVif());
    }

    private static <T> void setIf(Update.Builder u, String gm, Field<T> field, T now, T before) {
        if (!Objects.equals(now, before)) u.set(gm, field, now);
    }

    /** {@code PV_drivers_detected} (and {@code PV_drivers_up_to_date}, which follows it) of the VM's record. */
    void setPvDriversDetected(String vm, boolean detected) {
        if (!data.exists(VM.XAPI_CLASS, vm)) return;
        String gm = data.get(vm, VM.GUEST_METRICS);
        if (Refs.isNull(gm) || !data.exists(VMGuestMetrics.XAPI_CLASS, gm)) return;
        data.apply(Update.builder()
                .set(gm, VMGuestMetrics.PV_DRIVERS_DETECTED, detected)
                .set(gm, VMGuestMetrics.PV_DRIVERS_UP_TO_DATE, detected)
                .build());
    }

    /** {@code Xapi_vm_helpers.delete_guest_metrics}: the VM's record is dropped (stale after a restart). */
    void delete(String vm) {
        if (!data.exists(VM.XAPI_CLASS, vm)) return;
        String gm = data.get(vm, VM.GUEST_METRICS);
        Update.Builder u = Update.builder().set(vm, VM.GUEST_METRICS, Refs.NULL);
        if (!Refs.isNull(gm) && data.exists(VMGuestMetrics.XAPI_CLASS, gm)) u.delete(VMGuestMetrics.XAPI_CLASS, gm);
        data.apply(u.build());
    }
}
