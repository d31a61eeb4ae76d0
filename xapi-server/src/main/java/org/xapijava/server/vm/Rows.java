package org.xapijava.server.vm;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.db.Update;
import org.xapijava.model.ClassDef;
import org.xapijava.model.Datamodel;
import org.xapijava.model.Field;
import org.xapijava.model.FieldDef;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VIF;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMGuestMetrics;
import org.xapijava.model.api.VMMetrics;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;
import org.xapijava.model.types.XType;

/**
 * Database row helpers shared by the VM, VBD and VIF code: they read through {@link Db} and add their writes
 * to the caller's {@link Update}, which the caller applies once (so a pool member can send it to the master).
 * Stateless.
 */
final class Rows {
    private Rows() {}

    static String uuid() {
        return UUID.randomUUID().toString();
    }

    /** Sets each of {@code fields} in {@code v} to its value in {@code record} (keyed by wire name). */
    static FieldValues copied(FieldValues v, List<Field<?>> fields, Map<String, Object> record) {
        for (Field<?> f : fields) copyOne(v, f, record);
        return v;
    }

    private static <T> void copyOne(FieldValues v, Field<T> f, Map<String, Object> record) {
        v.with(f, Db.value(record, f));
    }

    /** The untyped handle of a field of the datamodel, for code that walks a class's fields. */
    static Field<Object> handle(String cls, FieldDef f) {
        return new Field<>(cls, f.name());
    }

    /** Values of a row of {@code cls} from a record keyed by wire name; fields the database lacks are dropped. */
    static FieldValues values(String cls, Map<String, Object> byName) {
        ClassDef c = Datamodel.get().cls(cls);
        FieldValues v = FieldValues.of(cls);
        for (Map.Entry<String, Object> e : byName.entrySet()) {
            FieldDef f = c.field(e.getKey());
            if (f != null && f.inDatabase()) v.with(handle(cls, f), e.getValue());
        }
        return v;
    }

    /** Adds the creation of a row with {@code values} under a fresh ref to {@code u}; returns the ref. */
    static String create(Update.Builder u, FieldValues values) {
        String ref = Refs.fresh();
        u.create(ref, values);
        return ref;
    }

    /**
     * Adds a new row with the values of {@code src}'s (fresh uuid, given by {@code uuid}, whose class is the
     * row's; reference sets, which the database derives, left out) to {@code u}; returns its ref.
     */
    static String copy(Db data, Update.Builder u, Field<String> uuid, String src) {
        String cls = uuid.cls();
        Map<String, Object> rec = data.record(cls, src);
        FieldValues v = FieldValues.of(cls);
        for (FieldDef f : Datamodel.get().cls(cls).fields()) {
            if (!f.inDatabase() || f.name().equals(uuid.name()) || !rec.containsKey(f.name())) continue;
            if (f.type() instanceof XType.SetType st && st.element() instanceof XType.RefType) continue;
            v.with(handle(cls, f), rec.get(f.name()));
        }
        return create(u, v.with(uuid, uuid()));
    }

    /** The empty {@code VM_metrics} of a new VM ({@code VM.create}). */
    static FieldValues newVmMetrics(String currentDomainType) {
        return FieldValues.of(VMMetrics.XAPI_CLASS)
                .with(VMMetrics.UUID, uuid())
                .with(VMMetrics.MEMORY_ACTUAL, 0L)
                .with(VMMetrics.VCPUS_NUMBER, 0L)
                .with(VMMetrics.VCPUS_CPU, Map.of())
                .with(VMMetrics.VCPUS_PARAMS, Map.of())
                .with(VMMetrics.VCPUS_FLAGS, Map.of())
                .with(VMMetrics.STATE, List.of())
                .with(VMMetrics.START_TIME, DateTime.EPOCH)
                .with(VMMetrics.INSTALL_TIME, DateTime.EPOCH)
                .with(VMMetrics.LAST_UPDATED, DateTime.EPOCH)
                .with(VMMetrics.OTHER_CONFIG, Map.of())
                .with(VMMetrics.HVM, false)
                .with(VMMetrics.NESTED_VIRT, false)
                .with(VMMetrics.NOMIGRATE, false)
                .with(VMMetrics.CURRENT_DOMAIN_TYPE, currentDomainType);
    }

    /**
     * {@code copy_metrics}: adds a copy of {@code vm}'s metrics (or empty ones when it has none) to {@code u},
     * on condition that the copied row is still as read; returns its ref.
     */
    static String copyMetrics(Db data, Update.Builder u, String vm) {
        String m = data.get(vm, VM.METRICS);
        OptionalLong version = data.version(VMMetrics.XAPI_CLASS, m);
        if (version.isEmpty()) return create(u, newVmMetrics("unspecified"));
        u.unchanged(VMMetrics.XAPI_CLASS, m, version.getAsLong());
        return copy(data, u, VMMetrics.UUID, m);
    }

    /** {@code copy_guest_metrics}: as {@link #copyMetrics}, NULL when {@code vm} has no guest metrics. */
    static String copyGuestMetrics(Db data, Update.Builder u, String vm) {
        String gm = data.get(vm, VM.GUEST_METRICS);
        OptionalLong version = data.version(VMGuestMetrics.XAPI_CLASS, gm);
        if (version.isEmpty()) return Refs.NULL;
        u.unchanged(VMGuestMetrics.XAPI_CLASS, gm, version.getAsLong());
        return copy(data, u, VMGuestMetrics.UUID, gm);
    }

    /**
     * Adds the deletion of {@code ref} to {@code u} if it is a row of {@code cls}, on condition that it is still
     * there when {@code u} is applied ({@link Db.Conflict} otherwise: read again).
     */
    static void deleteIfValid(Db data, Update.Builder u, String cls, String ref) {
        OptionalLong version = data.version(cls, ref);
        if (version.isPresent()) u.unchanged(cls, ref, version.getAsLong()).delete(cls, ref);
    }

    /**
     * The database part of Xapi's {@code force_state_reset} for {@code vm}, added to {@code u}: current
     * operations cleared, power state set; for Halted every VBD and VIF detached (and their operations
     * cleared) and {@code requires_reboot} cleared; for Halted and Suspended no host, no reservation, no
     * domain. The VBDs and VIFs are those of {@code vm} as read now: the caller makes {@code u} conditional on
     * {@code vm} being unchanged. The caller recomputes {@code allowed_operations} afterwards.
     */
    static void resetPowerState(Db data, Update.Builder u, String vm, String state) {
        u.set(vm, VM.CURRENT_OPERATIONS, Map.of());
        u.set(vm, VM.POWER_STATE, state);
        if (state.equals("Halted")) {
            for (String vbd : data.get(vm, VM.VBDS)) {
                u.set(vbd, VBD.CURRENTLY_ATTACHED, false);
                u.set(vbd, VBD.RESERVED, false);
                u.set(vbd, VBD.CURRENT_OPERATIONS, Map.of());
            }
            for (String vif : data.get(vm, VM.VIFS)) {
                u.set(vif, VIF.CURRENTLY_ATTACHED, false);
                u.set(vif, VIF.RESERVED, false);
                u.set(vif, VIF.RESERVED_PCI, Refs.NULL);
                u.set(vif, VIF.CURRENT_OPERATIONS, Map.of());
            }
            u.set(vm, VM.REQUIRES_REBOOT, false);
        }
        if (state.equals("Halted") || state.equals("Suspended")) {
            u.set(vm, VM.RESIDENT_ON, Refs.NULL);
            u.set(vm, VM.SCHEDULED_TO_BE_RESIDENT_ON, Refs.NULL);
            u.set(vm, VM.DOMID, -1L);
        }
    }
}
