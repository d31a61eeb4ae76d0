package org.xapijava.server.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;

/** The VM rules beyond the power-state table: concurrency, blocking, guest features, devices, upgrade. */
class VmRulesTest {
    final Fixture f = new Fixture();

    private List<String> check(String vm, String op, boolean strict) {
        ApiError e = VmChecker.of(f.db.snapshot(), vm).check(op, strict);
        return e == null ? List.of() : e.description();
    }

    private List<String> check(String vm, String op) {
        return check(vm, op, true);
    }

    private static Map<String, String> ordered(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    @Test
    void concurrencyGroups() {
        String h = f.vm("Halted");
        f.ops("VM", h, ordered("t1", "clone"));
        assertEquals(List.of(), check(h, "copy"));
        assertEquals(List.of(), check(h, "export"));
        assertEquals(List.of("OTHER_OPERATION_IN_PROGRESS", "VM", h, "clone", "t1"), check(h, "start"));
        assertEquals(List.of("OTHER_OPERATION_IN_PROGRESS", "VM", h, "clone", "t1"), check(h, "snapshot"));

        String r = f.vm("Running");
        f.ops("VM", r, ordered("t1", "snapshot"));
        assertEquals(List.of(), check(r, "checkpoint"));
        assertEquals(List.of("OTHER_OPERATION_IN_PROGRESS", "VM", r, "snapshot", "t1"), check(r, "clean_shutdown"));
        f.ops("VM", r, ordered("t1", "get_boot_record"));
        assertEquals(List.of(), check(r, "get_boot_record"));
    }

    @Test
    void hardShutdownAndRebootOverrideOtherOperations() {
        String r = f.vm("Running");
        f.ops("VM", r, ordered("t1", "clean_shutdown"));
        assertEquals(List.of(), check(r, "hard_shutdown"));
        assertEquals(List.of(), check(r, "hard_reboot"));
        f.ops("VM", r, ordered("t1", "hard_reboot"));
        assertEquals(List.of(), check(r, "hard_shutdown"));
        assertEquals(List.of("OTHER_OPERATION_IN_PROGRESS", "VM", r, "hard_reboot", "t1"), check(r, "hard_reboot"));
        f.ops("VM", r, ordered("t1", "hard_shutdown"));
        assertEquals(List.of("OTHER_OPERATION_IN_PROGRESS", "VM", r, "hard_shutdown", "t1"), check(r, "hard_shutdown"));
        assertEquals(List.of("OTHER_OPERATION_IN_PROGRESS", "VM", r, "hard_shutdown", "t1"), check(r, "hard_reboot"));
    }

    @Test
    void exactStatesThatAllowOneMoreOperation() {
        String r = f.vm("Running");
        f.ops("VM", r, ordered("t1", "snapshot_with_quiesce"));
        assertEquals(List.of(), check(r, "snapshot"));
        f.ops("VM", r, ordered("t1", "migrate_send"));
        assertEquals(List.of(), check(r, "clean_shutdown"));
        assertEquals(List.of(), check(r, "clean_reboot"));
        assertEquals(List.of(), check(r, "metadata_export"));
        assertEquals(List.of("OTHER_OPERATION_IN_PROGRESS", "VM", r, "migrate_send", "t1"), check(r, "pause"));
        f.ops("VM", r, ordered("t1", "migrate_send", "t2", "migrate_send"));
        assertEquals("OTHER_OPERATION_IN_PROGRESS", check(r, "clean_shutdown").getFirst());
    }

    @Test
    void severalCurrentOperationsAreReportedInBraces() {
        String h = f.vm("Halted");
        f.ops("VM", h, ordered("t2", "copy", "t1", "clone"));
        assertEquals(List.of("OTHER_OPERATION_IN_PROGRESS", "VM", h, "{copy,clone}", "{t2,t1}"), check(h, "start"));
        String r = f.vm("Running");
        f.ops("VM", r, ordered("t1", "data_source_op"));
        assertEquals(List.of("OTHER_OPERATION_IN_PROGRESS", "VM", r, "data_sources_op", "t1"), check(r, "pause"));
    }

    @Test
    void blockedOperationsComeFirst() {
        String h = f.vm("Running", Map.of("blocked_operations", Map.of("start", "my-reason")));
        assertEquals(List.of("OPERATION_BLOCKED", h, "my-reason"), check(h, "start"));
        assertEquals(List.of(), check(h, "pause"));
    }

    @Test
    void dom0AndOtherControlDomains() {
        assertEquals(
                List.of("OPERATION_NOT_ALLOWED", "This operation is not allowed on dom0"),
                check(f.dom0, "changing_VCPUs"));
        assertEquals(List.of("VM_BAD_POWER_STATE", f.dom0, "halted, suspended", "running"), check(f.dom0, "destroy"));
        assertEquals(
                List.of("OPERATION_NOT_ALLOWED", "This operation is not allowed on a control domain"),
                check(f.dom0, "pause"));
        assertEquals(List.of(), check(f.dom0, "changing_memory_live"));
        assertEquals(List.of(), check(f.dom0, "changing_static_range"));
    }

    /** An HVM guest without PV drivers, running. */
    private String hvmWithoutDrivers(Map<String, String> guestOther) {
        String metrics = Refs.fresh();
        f.db.create("VM_metrics", metrics, Map.of("uuid", Fixture.uuid(), "current_domain_type", "hvm"));
        String gm = Refs.fresh();
        f.db.create("VM_guest_metrics", gm, Map.of("uuid", Fixture.uuid(), "other", guestOther));
        return f.vm("Running", Map.of("metrics", metrics, "guest_metrics", gm, "domain_type", "hvm"));
    }

    @Test
    void guestFeaturesOfHvmVmsWithoutDrivers() {
        String vm = hvmWithoutDrivers(Map.of());
        assertEquals(List.of("VM_LACKS_FEATURE", vm), check(vm, "clean_shutdown"));
        assertEquals(List.of(), check(vm, "clean_shutdown", false));
        assertEquals(List.of("VM_LACKS_FEATURE", vm), check(vm, "clean_reboot"));
        assertEquals(List.of("VM_LACKS_FEATURE", vm), check(vm, "changing_VCPUs_live", false));
        assertEquals(List.of("VM_LACKS_FEATURE", vm), check(vm, "suspend"));
        assertEquals(List.of(), check(vm, "hard_shutdown"));
        String poweroff = hvmWithoutDrivers(Map.of("feature-poweroff", "1", "feature-suspend", "1"));
        assertEquals(List.of(), check(poweroff, "clean_shutdown"));
        assertEquals(List.of("VM_LACKS_FEATURE", poweroff), check(poweroff, "clean_reboot"));
        assertEquals(List.of(), check(poweroff, "suspend"));
        String cant = hvmWithoutDrivers(Map.of("data-cant-suspend-reason", "UEFI"));
        assertEquals(List.of("VM_NON_SUSPENDABLE", cant, "UEFI"), check(cant, "suspend", false));
        assertEquals(List.of("VM_NON_SUSPENDABLE", cant, "UEFI"), check(cant, "pool_migrate"));
    }

    @Test
    void pvDriversVersionGivesImplicitSupport() {
        String metrics = Refs.fresh();
        f.db.create("VM_metrics", metrics, Map.of("uuid", Fixture.uuid(), "current_domain_type", "hvm"));
        String gm = Refs.fresh();
        f.db.create(
                "VM_guest_metrics",
                gm,
                Map.of("uuid", Fixture.uuid(), "PV_drivers_version", Map.of("major", "9", "minor", "1")));
        String vm = f.vm("Running", Map.of("metrics", metrics, "guest_metrics", gm));
        assertEquals(List.of(), check(vm, "clean_shutdown"));
        f.db.set("VM_guest_metrics", gm, "PV_drivers_version", Map.of("major", "9", "minor", "x"));
        assertEquals(List.of("VM_LACKS_FEATURE", vm), check(vm, "clean_shutdown"));
    }

    @Test
    void immobileAndNestedVirt() {
        String vm = f.vm("Running", Map.of("metrics", Refs.NULL, "platform", Map.of("nomigrate", "true")));
        assertEquals(List.of("VM_IS_IMMOBILE", vm), check(vm, "suspend"));
        assertEquals(List.of(), check(vm, "suspend", false));
        String nested = f.vm("Running");
        f.db.set("VM_metrics", (String) f.get("VM", nested, "metrics"), "nested_virt", true);
        assertEquals(List.of("VM_IS_IMMOBILE", nested), check(nested, "pool_migrate"));
        assertEquals(List.of("VM_IS_USING_NESTED_VIRT", nested), check(nested, "changing_dynamic_range"));
        assertEquals(List.of(), check(nested, "changing_dynamic_range", false));
    }

    @Test
    void vdisResetOnBoot() {
        String sr = f.sr("ext", List.of());
        String vdi = f.vdi(sr, Map.of("sm_config", Map.of("on_boot", "reset")));
        String vm = f.vm("Running");
        f.vbd(vm, vdi, Map.of());
        assertEquals(List.of("VDI_ON_BOOT_MODE_INCOMPATIBLE_WITH_OPERATION"), check(vm, "checkpoint"));
        assertEquals(List.of("VDI_ON_BOOT_MODE_INCOMPATIBLE_WITH_OPERATION"), check(vm, "snapshot"));
        assertEquals(List.of(), check(vm, "pool_migrate"));
        f.db.set("VDI", vdi, "sm_config", Map.of("on_boot", "reset", "caching", "true"));
        assertEquals(List.of("VDI_ON_BOOT_MODE_INCOMPATIBLE_WITH_OPERATION"), check(vm, "pool_migrate"));
    }

    @Test
    void devicesAndGroupsThatBlockOperations() {
        String usb = Refs.fresh();
        String vm = f.vm("Running");
        f.db.create("VUSB", usb, Map.of("uuid", Fixture.uuid(), "VM", vm));
        assertEquals(List.of("VM_HAS_VUSBS", vm), check(vm, "snapshot"));
        assertEquals(List.of("VM_HAS_VUSBS", vm), check(vm, "suspend"));

        String appliance = Refs.fresh();
        f.db.create("VM_appliance", appliance, Map.of("uuid", Fixture.uuid()));
        String h = f.vm("Halted", Map.of("appliance", appliance));
        assertEquals(List.of("VM_IS_PART_OF_AN_APPLIANCE", h, appliance), check(h, "make_into_template"));

        String tpm = f.vm("Halted");
        assertEquals(List.of(), check(tpm, "create_vtpm"));
        f.db.create("VTPM", Refs.fresh(), Map.of("uuid", Fixture.uuid(), "VM", tpm));
        assertEquals(List.of("VTPM_MAX_AMOUNT_REACHED", "1"), check(tpm, "create_vtpm"));
    }

    @Test
    void rollingUpgradeAllowsOnlyTheOldOperations() {
        String h = f.vm("Halted");
        f.db.set("pool", f.pool, "other_config", Map.of("rolling_upgrade_in_progress", "true"));
        assertEquals(List.of("NOT_SUPPORTED_DURING_UPGRADE"), check(h, "snapshot"));
        assertEquals(List.of(), check(h, "start"));
        assertEquals(
                List.of(
                        "destroy",
                        "export",
                        "make_into_template",
                        "migrate_send",
                        "start_on",
                        "start",
                        "copy",
                        "clone"),
                VmChecker.of(f.db.snapshot(), h).allowed());
    }

    @Test
    void querySystemDomain() {
        String sys = f.vm("Running", Map.of("other_config", Map.of("is_system_domain", "true")));
        assertNull(VmChecker.of(f.db.snapshot(), sys).check("query_services", true));
    }
}
