package org.xapijava.server.vm;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.xapijava.db.Transaction;
import org.xapijava.model.ClassDef;
import org.xapijava.model.FieldDef;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VIF;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMGuestMetrics;
import org.xapijava.model.api.VMMetrics;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;
import org.xapijava.model.types.XType;
import org.xapijava.server.DbValues;

/** Database row helpers shared by the VM, VBD and VIF code; each runs inside the caller's transaction. */
final class Rows {
    private Rows() {}

    static String uuid() {
        return UUID.randomUUID().toString();
    }

    /** Creates a row of {@code cls} with a fresh ref and uuid; fields the database lacks are dropped. */
    static String create(Transaction tx, String cls, Map<String, Object> values) {
        ClassDef c = tx.datamodel().cls(cls);
        Map<String, Object> v = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : values.entrySet()) {
            var f = c.field(e.getKey());
            if (f != null && f.inDatabase()) v.put(e.getKey(), e.getValue());
        }
        if (c.field("uuid") != null && !v.containsKey("uuid")) v.put("uuid", uuid());
        String ref = Refs.fresh();
        tx.create(cls, ref, v);
        return ref;
    }

    /**
     * A new row of {@code cls} with the values of {@code src}'s (fresh uuid; reference sets, which the
     * database derives, left out), then {@code overrides}.
     */
    static String copy(Transaction tx, String cls, String src, Map<String, Object> overrides) {
        ClassDef c = tx.datamodel().cls(cls);
        Map<String, Object> rec = tx.getRecord(cls, src);
        Map<String, Object> v = new LinkedHashMap<>();
        for (FieldDef f : c.fields()) {
            if (!f.inDatabase() || f.name().equals("uuid") || !rec.containsKey(f.name())) continue;
            if (f.type() instanceof XType.SetType st && st.element() instanceof XType.RefType) continue;
            v.put(f.name(), rec.get(f.name()));
        }
        v.putAll(overrides);
        return create(tx, cls, v);
    }

    /** The empty {@code VM_metrics} of a new VM ({@code VM.create}). */
    static String newVmMetrics(Transaction tx, String currentDomainType) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("memory_actual", 0L);
        m.put("VCPUs_number", 0L);
        m.put("VCPUs_CPU", Map.of());
        m.put("VCPUs_params", Map.of());
        m.put("VCPUs_flags", Map.of());
        m.put("state", List.of());
        m.put("start_time", DateTime.EPOCH);
        m.put("install_time", DateTime.EPOCH);
        m.put("last_updated", DateTime.EPOCH);
        m.put("other_config", Map.of());
        m.put("hvm", false);
        m.put("nested_virt", false);
        m.put("nomigrate", false);
        m.put("current_domain_type", currentDomainType);
        return create(tx, "VM_metrics", m);
    }

    /** {@code copy_metrics}: a copy of {@code vm}'s metrics, or empty ones when it has none. */
    static String copyMetrics(Transaction tx, String vm) {
        String m = tx.get(vm, VM.METRICS);
        if (DbValues.valid(tx, VMMetrics.XAPI_CLASS, m)) return copy(tx, "VM_metrics", m, Map.of());
        return newVmMetrics(tx, "unspecified");
    }

    /** {@code copy_guest_metrics}: a copy of {@code vm}'s guest metrics, or NULL when it has none. */
    static String copyGuestMetrics(Transaction tx, String vm) {
        String gm = tx.get(vm, VM.GUEST_METRICS);
        if (DbValues.valid(tx, VMGuestMetrics.XAPI_CLASS, gm)) return copy(tx, "VM_guest_metrics", gm, Map.of());
        return Refs.NULL;
    }

    /** Deletes a row if it exists. */
    static void deleteIfValid(Transaction tx, String cls, String ref) {
        if (DbValues.valid(tx, cls, ref)) tx.delete(cls, ref);
    }

    /**
     * The database part of Xapi's {@code force_state_reset} for {@code vm}: current operations cleared,
     * power state set; for Halted every VBD and VIF detached (and their operations cleared) and
     * {@code requires_reboot} cleared; for Halted and Suspended no host, no reservation, no domain.
     * The caller recomputes {@code allowed_operations} afterwards.
     */
    static void resetPowerState(Transaction tx, String vm, String state) {
        tx.set(vm, VM.CURRENT_OPERATIONS, Map.of());
        tx.set(vm, VM.POWER_STATE, state);
        if (state.equals("Halted")) {
            for (String vbd : tx.get(vm, VM.VBDS)) {
                tx.set(vbd, VBD.CURRENTLY_ATTACHED, false);
                tx.set(vbd, VBD.RESERVED, false);
                tx.set(vbd, VBD.CURRENT_OPERATIONS, Map.of());
            }
            for (String vif : tx.get(vm, VM.VIFS)) {
                tx.set(vif, VIF.CURRENTLY_ATTACHED, false);
                tx.set(vif, VIF.RESERVED, false);
                tx.set(vif, VIF.RESERVED_PCI, Refs.NULL);
                tx.set(vif, VIF.CURRENT_OPERATIONS, Map.of());
            }
            tx.set(vm, VM.REQUIRES_REBOOT, false);
        }
        if (state.equals("Halted") || state.equals("Suspended")) {
            tx.set(vm, VM.RESIDENT_ON, Refs.NULL);
            tx.set(vm, VM.SCHEDULED_TO_BE_RESIDENT_ON, Refs.NULL);
            tx.set(vm, VM.DOMID, -1L);
        }
    }
}
