package org.xapijava.server.xenops;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.xapijava.db.Transaction;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMGuestMetrics;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;
import org.xapijava.server.DbValues;
import org.xapijava.server.Services;

/**
 * The VM_guest_metrics records, kept in step with what the guest agent publishes
 * ({@code create_and_set_guest_metrics} and {@code all} of {@code ocaml/xapi/xapi_guest_agent.ml}): created
 * when a running VM has none, written only when the agent's data changed since the last look at that domain
 * (cached per domid, as Xapi does), and recording the agent's {@code device_id} in the VM's platform.
 * Thread-safe; called from the event thread and from lifecycle calls.
 */
final class GuestMetrics {
    private final Services services;
    private final Map<Integer, GuestAgent> cache = new ConcurrentHashMap<>();

    GuestMetrics(Services services) {
        this.services = services;
    }

    /** {@code create_and_set_guest_metrics}: a fresh, live record for the VM, from the agent's data. */
    String create(String vm, int domid, Map<String, String> guestAgent, boolean pvDriversDetected) {
        GuestAgent g = GuestAgent.parse(guestAgent);
        String ref = Refs.fresh();
        services.db().transact(tx -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("uuid", UUID.randomUUID().toString());
            row.put("os_version", g.osVersion());
            row.put("PV_drivers_version", g.pvDriversVersion());
            row.put("PV_drivers_up_to_date", pvDriversDetected);
            row.put("networks", g.networks());
            row.put("other", g.other());
            row.put("last_updated", DateTime.ofInstant(services.clock().instant()));
            row.put("other_config", Map.of());
            row.put("live", true);
            row.put("can_use_hotplug_vbd", g.canUseHotplugVbd());
            row.put("can_use_hotplug_vif", g.canUseHotplugVif());
            row.put("PV_drivers_detected", pvDriversDetected);
            if (DbValues.hasField(tx, "VM_guest_metrics", "netbios_name")) row.put("netbios_name", g.netbiosName());
            if (DbValues.hasField(tx, "VM_guest_metrics", "services")) row.put("services", g.services());
            tx.create("VM_guest_metrics", ref, row);
            tx.set(vm, VM.GUEST_METRICS, ref);
        });
        cache.put(domid, g);
        return ref;
    }

    /** Creates the VM's guest metrics, once per domain, when it has none ({@code create_guest_metrics_if_needed}). */
    void createIfNeeded(String vm, List<Integer> domids, Map<String, String> guestAgent, boolean pvDriversDetected) {
        for (int domid : domids) {
            if (!Refs.isNull(services.db().snapshot().get(vm, VM.GUEST_METRICS))) return;
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
        String existing = services.db().snapshot().get(vm, VM.GUEST_METRICS);
        String gm = DbValues.valid(services.db().snapshot(), VMGuestMetrics.XAPI_CLASS, existing)
                ? existing
                : create(vm, domid, guestAgent, pvDriversDetected);
        services.db().transact(tx -> {
            if (!tx.exists("VM_guest_metrics", gm)) return;
            setIf(tx, gm, "PV_drivers_version", now.pvDriversVersion(), before.pvDriversVersion());
            setIf(tx, gm, "os_version", now.osVersion(), before.osVersion());
            if (DbValues.hasField(tx, "VM_guest_metrics", "netbios_name")) {
                setIf(tx, gm, "netbios_name", now.netbiosName(), before.netbiosName());
            }
            setIf(tx, gm, "networks", now.networks(), before.networks());
            if (DbValues.hasField(tx, "VM_guest_metrics", "services"))
                setIf(tx, gm, "services", now.services(), before.services());
            setIf(tx, gm, "other", now.other(), before.other());
            setIf(tx, gm, "can_use_hotplug_vbd", now.canUseHotplugVbd(), before.canUseHotplugVbd());
            setIf(tx, gm, "can_use_hotplug_vif", now.canUseHotplugVif(), before.canUseHotplugVif());
            tx.set(
                    "VM_guest_metrics",
                    gm,
                    "last_updated",
                    DateTime.ofInstant(services.clock().instant()));
            String deviceId = now.deviceId().get("device_id");
            if (!now.deviceId().equals(before.deviceId()) && deviceId != null && tx.exists("VM", vm)) {
                Map<String, String> platform = new LinkedHashMap<>(tx.get(vm, VM.PLATFORM));
                platform.put("device_id", deviceId);
                tx.set(vm, VM.PLATFORM, platform);
            }
        });
        return !now.other().equals(before.other())
                || !now.pvDriversVersion().equals(before.pvDriversVersion())
                || !now.canUseHotplugVbd().equals(before.canUseHotplugVbd())
                || !now.canUseHotplugVif().equals(before.canUseHotplugVif());
    }

    private static void setIf(Transaction tx, String gm, String field, Object now, Object before) {
        if (!Objects.equals(now, before)) tx.set("VM_guest_metrics", gm, field, now);
    }

    /** {@code PV_drivers_detected} (and {@code PV_drivers_up_to_date}, which follows it) of the VM's record. */
    void setPvDriversDetected(String vm, boolean detected) {
        services.db().transact(tx -> {
            if (!tx.exists("VM", vm)) return;
            String gm = tx.get(vm, VM.GUEST_METRICS);
            if (!DbValues.valid(tx, VMGuestMetrics.XAPI_CLASS, gm)) return;
            tx.set(gm, VMGuestMetrics.PV_DRIVERS_DETECTED, detected);
            tx.set(gm, VMGuestMetrics.PV_DRIVERS_UP_TO_DATE, detected);
        });
    }

    /** {@code Xapi_vm_helpers.delete_guest_metrics}: the VM's record is dropped (stale after a restart). */
    void delete(String vm) {
        services.db().transact(tx -> {
            if (!tx.exists("VM", vm)) return;
            String gm = tx.get(vm, VM.GUEST_METRICS);
            tx.set(vm, VM.GUEST_METRICS, Refs.NULL);
            if (DbValues.valid(tx, VMGuestMetrics.XAPI_CLASS, gm)) tx.delete("VM_guest_metrics", gm);
        });
    }
}
