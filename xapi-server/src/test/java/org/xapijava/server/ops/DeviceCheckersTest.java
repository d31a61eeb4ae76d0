package org.xapijava.server.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;

/** The VBD, VIF, VDI, SR, host and pool checkers against Xapi's rules (xapi-core.md §4.5–4.7 and the helpers' sources). */
class DeviceCheckersTest {
    final Fixture f = new Fixture();
    final Checkers checkers = new Checkers(false);

    private List<String> check(String cls, String ref, String op) {
        ApiError e = checkers.check(f.db.snapshot(), cls, ref, op, true);
        return e == null ? List.of() : e.description();
    }

    private List<String> allowed(String cls, String ref) {
        return checkers.allowed(f.db.snapshot(), cls, ref);
    }

    private static Map<String, String> ordered(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    // ------------------------------------------------------------------ VBD

    @Test
    void vbdOfAHaltedVm() {
        String sr = f.sr("ext", List.of());
        String vm = f.vm("Halted");
        String vbd = f.vbd(vm, f.vdi(sr, Map.of()), Map.of());
        assertEquals(List.of("VM_BAD_POWER_STATE", vm, "running", "halted"), check("VBD", vbd, "plug"));
        assertEquals(List.of("VM_BAD_POWER_STATE", vm, "running", "halted"), check("VBD", vbd, "pause"));
        assertEquals(List.of("VBD_NOT_REMOVABLE_MEDIA", vbd), check("VBD", vbd, "eject"));
        assertEquals(List.of(), check("VBD", vbd, "attach"));
        assertEquals(List.of("attach"), allowed("VBD", vbd));
    }

    @Test
    void vbdOfARunningVm() {
        String sr = f.sr("ext", List.of());
        String vm = f.vm("Running");
        String plugged = f.vbd(vm, f.vdi(sr, Map.of()), Map.of("currently_attached", true));
        String unplugged = f.vbd(vm, f.vdi(sr, Map.of()), Map.of());
        assertEquals(List.of("DEVICE_ALREADY_ATTACHED", plugged), check("VBD", plugged, "plug"));
        assertEquals(List.of(), check("VBD", plugged, "unplug"));
        assertEquals(List.of("DEVICE_ALREADY_DETACHED", unplugged), check("VBD", unplugged, "unplug_force"));
        // Xapi's allowed_operations order comes from its hash table
        assertEquals(List.of("attach", "unpause", "unplug", "unplug_force", "pause"), allowed("VBD", plugged));
        f.ops("VM", vm, ordered("t9", "clean_shutdown"));
        assertEquals(
                List.of("OPERATION_NOT_ALLOWED", "Current operation on VM:" + vm + " is clean_shutdown"),
                check("VBD", plugged, "unplug"));
        assertEquals(List.of(), check("VBD", plugged, "unplug_force"));
    }

    @Test
    void vbdCurrentOperations() {
        String sr = f.sr("ext", List.of());
        String vm = f.vm("Running");
        String vbd = f.vbd(vm, f.vdi(sr, Map.of()), Map.of("currently_attached", true));
        f.ops("VBD", vbd, ordered("t1", "unplug"));
        assertEquals(
                List.of("OTHER_OPERATION_IN_PROGRESS", "VBD", vbd, "unplug", "t1"), check("VBD", vbd, "unplug_force"));
        assertEquals(List.of("OTHER_OPERATION_IN_PROGRESS", "VBD", vbd, "unplug", "t1"), check("VBD", vbd, "pause"));
        f.ops("VBD", vbd, ordered("t1", "pause"));
        assertEquals(List.of(), check("VBD", vbd, "unpause"));
        assertEquals(List.of("OTHER_OPERATION_IN_PROGRESS", "VBD", vbd, "pause", "t1"), check("VBD", vbd, "unplug"));
        f.ops("VBD", vbd, ordered("t1", "attach"));
        assertEquals(List.of(), check("VBD", vbd, "unpause"));
        assertEquals(List.of("OTHER_OPERATION_IN_PROGRESS", "VBD", vbd, "attach", "t1"), check("VBD", vbd, "pause"));
        // several: the operation first in OCaml's variant order is reported (unplug before pause)
        f.ops("VBD", vbd, ordered("t2", "pause", "t1", "unplug"));
        assertEquals(List.of("OTHER_OPERATION_IN_PROGRESS", "VBD", vbd, "unplug", "t1"), check("VBD", vbd, "insert"));
    }

    @Test
    void cdDrives() {
        String vm = f.vm("Halted");
        String cd = f.vbd(vm, null, Map.of());
        assertEquals(List.of("VBD_IS_EMPTY", cd), check("VBD", cd, "eject"));
        assertEquals(List.of(), check("VBD", cd, "insert"));
        f.db.set("VM", vm, "power_state", "Suspended");
        assertEquals(List.of("VM_BAD_POWER_STATE", vm, "halted, running", "suspended"), check("VBD", cd, "insert"));
    }

    @Test
    void vbdDiskSharing() {
        String sr = f.sr("ext", List.of());
        String vdi = f.vdi(sr, Map.of());
        String other = f.vm("Running");
        f.vbd(other, vdi, Map.of("currently_attached", true));
        String vm = f.vm("Halted");
        String vbd = f.vbd(vm, vdi, Map.of());
        assertEquals(List.of("VDI_IN_USE", vdi), check("VBD", vbd, "attach"));
        assertEquals(List.of("attach"), allowed("VBD", vbd)); // no sharing checks for allowed_operations
        f.db.set("VDI", vdi, "sharable", true);
        assertEquals(List.of(), check("VBD", vbd, "attach"));
        f.db.set("VDI", vdi, "read_only", true);
        assertEquals(List.of("VDI_READONLY", vdi), check("VBD", vbd, "attach"));
        f.db.set("VDI", vdi, "managed", false);
        assertEquals(List.of("VDI_NOT_MANAGED", vbd), check("VBD", vbd, "attach"));
    }

    @Test
    void vdiBusyBlocksAttach() {
        String sr = f.sr("ext", List.of());
        String vdi = f.vdi(sr, Map.of());
        String vbd = f.vbd(f.vm("Halted"), vdi, Map.of());
        f.ops("VDI", vdi, ordered("t1", "copy"));
        assertEquals(List.of(), check("VBD", vbd, "attach"));
        f.ops("VDI", vdi, ordered("t1", "snapshot"));
        assertEquals(List.of("OTHER_OPERATION_IN_PROGRESS", "VDI", vdi, "snapshot", "t1"), check("VBD", vbd, "attach"));
    }

    @Test
    void unspecifiedDomainTypeFailsTheWholeVbdCheck() {
        String vm = f.vm("Halted", Map.of("domain_type", "unspecified"));
        String cd = f.vbd(vm, null, Map.of());
        ApiError e = assertThrows(ApiError.class, () -> check("VBD", cd, "attach"));
        assertEquals(List.of("INTERNAL_ERROR", "unspecified domain type"), e.description());
    }

    // ------------------------------------------------------------------ VIF

    @Test
    void vifRules() {
        String vm = f.vm("Running");
        String vif = f.vif(vm, Map.of());
        assertEquals(List.of("DEVICE_ALREADY_DETACHED", vif), check("VIF", vif, "unplug"));
        assertEquals(List.of("attach", "plug"), allowed("VIF", vif));
        f.ops("VIF", vif, ordered("t2", "plug", "t1", "attach"));
        // Xapi reverses the pairs and always uses braces with "; "
        assertEquals(
                List.of("OTHER_OPERATION_IN_PROGRESS", "VIF", vif, "{attach; plug}", "{t1; t2}"),
                check("VIF", vif, "attach"));
        String d0vif = f.vif(f.dom0, Map.of("currently_attached", true));
        assertEquals(
                List.of("OPERATION_NOT_ALLOWED", "Control domain does not support hotplug"),
                check("VIF", d0vif, "plug"));
        String halted = f.vif(f.vm("Halted"), Map.of());
        assertEquals(List.of("attach"), allowed("VIF", halted));
    }

    @Test
    void hvmVifWithoutDrivers() {
        String metrics = Refs.fresh();
        f.db.create("VM_metrics", metrics, Map.of("uuid", Fixture.uuid(), "current_domain_type", "hvm"));
        String vm = f.vm("Running", Map.of("metrics", metrics));
        String vif = f.vif(vm, Map.of());
        assertEquals(List.of("VM_MISSING_PV_DRIVERS", vm), check("VIF", vif, "plug"));
        String gm = Refs.fresh();
        f.db.create("VM_guest_metrics", gm, Map.of("uuid", Fixture.uuid(), "can_use_hotplug_vif", "no"));
        f.db.set("VM", vm, "guest_metrics", gm);
        assertEquals(
                List.of("OPERATION_NOT_ALLOWED", "VM states it does not support VIF hotplug."),
                check("VIF", vif, "plug"));
    }

    // ------------------------------------------------------------------ VDI

    @Test
    void vdiRules() {
        String sr = f.sr("ext", List.of("VDI_SNAPSHOT", "VDI_DELETE", "VDI_CLONE", "VDI_RESIZE"));
        String vdi = f.vdi(sr, Map.of());
        assertEquals(List.of("copy", "clone", "forget", "resize", "snapshot", "destroy"), allowed("VDI", vdi));
        assertEquals(List.of("SR_OPERATION_NOT_SUPPORTED", sr), check("VDI", vdi, "resize_online"));
        f.ops("VDI", vdi, ordered("t1", "copy"));
        assertEquals(
                List.of("OPERATION_NOT_ALLOWED", "Snapshot operation not allowed during copy."),
                check("VDI", vdi, "snapshot"));
        f.ops("VDI", vdi, ordered("t1", "clone"));
        assertEquals(List.of("OTHER_OPERATION_IN_PROGRESS", "VDI", vdi, "clone", "t1"), check("VDI", vdi, "copy"));
        f.ops("VDI", vdi, ordered("t1", "mirror"));
        assertEquals(List.of(), check("VDI", vdi, "destroy"));
        f.ops("VDI", vdi, Map.of());
        String vm = f.vm("Running");
        String vbd = f.vbd(vm, vdi, Map.of("currently_attached", true));
        assertEquals(List.of("VDI_IN_USE", vdi, "destroy"), check("VDI", vdi, "destroy"));
        assertEquals(List.of(), check("VDI", vdi, "snapshot"));
        assertEquals(List.of("VDI_IN_USE", vdi, "copy"), check("VDI", vdi, "copy"));
        f.db.set("VBD", vbd, "mode", "RO");
        assertEquals(List.of(), check("VDI", vdi, "copy"));
        f.db.set("VBD", vbd, "currently_attached", false);
        f.ops("VBD", vbd, ordered("t3", "plug"));
        assertEquals(List.of("OTHER_OPERATION_IN_PROGRESS", "VDI", vdi, "plug", "t3"), check("VDI", vdi, "destroy"));
    }

    @Test
    void vdiSpecialCases() {
        String sr = f.sr("ext", List.of("VDI_SNAPSHOT", "VDI_DELETE", "VDI_CONFIG_CBT"));
        String shared = f.vdi(sr, Map.of("sharable", true));
        assertEquals(List.of("VDI_IS_SHARABLE", shared), check("VDI", shared, "snapshot"));
        String reset = f.vdi(sr, Map.of("on_boot", "reset"));
        assertEquals(List.of("VDI_ON_BOOT_MODE_INCOMPATIBLE_WITH_OPERATION"), check("VDI", reset, "copy"));
        String rrd = f.vdi(sr, Map.of("type", "rrd"));
        assertEquals(List.of("VDI_HAS_RRDS", rrd), check("VDI", rrd, "destroy"));
        String meta = f.vdi(sr, Map.of("type", "cbt_metadata"));
        assertEquals(List.of("VDI_INCOMPATIBLE_TYPE", meta, "CBT metadata"), check("VDI", meta, "snapshot"));
        String data = f.vdi(sr, Map.of());
        assertEquals(
                List.of("OPERATION_NOT_ALLOWED", "VDI is not a snapshot: " + data), check("VDI", data, "data_destroy"));
        String snap = f.vdi(sr, Map.of("is_a_snapshot", true));
        assertEquals(List.of("OPERATION_NOT_ALLOWED", "VDI is a snapshot: " + snap), check("VDI", snap, "enable_cbt"));
        assertEquals(List.of("VDI_NO_CBT_METADATA", snap), check("VDI", snap, "data_destroy"));
        String statefile = f.vdi(sr, Map.of("type", "ha_statefile"));
        f.db.set("pool", f.pool, "ha_enabled", true);
        assertEquals(List.of("HA_IS_ENABLED"), check("VDI", statefile, "destroy"));
        String udevSr = f.sr("udev", List.of("VDI_DELETE"));
        String dev = f.vdi(udevSr, Map.of());
        assertEquals(List.of("VDI_IS_A_PHYSICAL_DEVICE", dev), check("VDI", dev, "destroy"));
        String unplugged = f.sr("nfs", List.of("VDI_RESIZE"));
        f.db.set(
                "PBD",
                f.db.snapshot().all("PBD").stream()
                        .filter(p -> unplugged.equals(f.get("PBD", p, "SR")))
                        .findFirst()
                        .orElseThrow(),
                "currently_attached",
                false);
        assertEquals(List.of("SR_HAS_NO_PBDS", unplugged), check("VDI", f.vdi(unplugged, Map.of()), "resize"));
    }

    // ------------------------------------------------------------------ SR

    @Test
    void srRules() {
        String sr = f.sr("ext", List.of("VDI_CREATE", "VDI_DELETE", "SR_UPDATE"));
        assertEquals(List.of("SR_OPERATION_NOT_SUPPORTED", sr), check("SR", sr, "vdi_resize"));
        assertEquals(List.of("SR_HAS_PBD", sr), check("SR", sr, "destroy"));
        assertEquals(List.of(), check("SR", sr, "scan"));
        assertEquals(
                List.of(
                        "unplug",
                        "plug",
                        "pbd_create",
                        "update",
                        "pbd_destroy",
                        "vdi_clone",
                        "scan",
                        "vdi_create",
                        "vdi_destroy"),
                allowed("SR", sr));
        f.ops("SR", sr, ordered("t1", "vdi_create"));
        assertEquals(List.of("OTHER_OPERATION_IN_PROGRESS", "SR", sr, "VDI.create", "t1"), check("SR", sr, "scan"));
        assertEquals(List.of("OTHER_OPERATION_IN_PROGRESS", "SR", sr, "VDI.create", "t1"), check("SR", sr, "plug"));
        f.ops("SR", sr, ordered("t1", "plug"));
        assertEquals(List.of(), check("SR", sr, "plug"));
        assertEquals(List.of("OTHER_OPERATION_IN_PROGRESS", "SR", sr, "plug", "t1"), check("SR", sr, "vdi_create"));
        f.ops("SR", sr, Map.of());
        String pbd = f.db.snapshot().all("PBD").stream()
                .filter(p -> sr.equals(f.get("PBD", p, "SR")))
                .findFirst()
                .orElseThrow();
        f.db.set("PBD", pbd, "currently_attached", false);
        f.vdi(sr, Map.of());
        assertEquals(List.of("SR_NOT_EMPTY"), check("SR", sr, "destroy"));
        f.db.delete("PBD", pbd);
        assertEquals(List.of("SR_HAS_NO_PBDS", sr), check("SR", sr, "destroy"));
    }

    @Test
    void toolsSrCannotCreateOrDelete() {
        String sr = f.sr("iso", List.of("VDI_CREATE", "VDI_DELETE"));
        f.db.set("SR", sr, "is_tools_sr", true);
        assertEquals(List.of("SR_OPERATION_NOT_SUPPORTED", sr), check("SR", sr, "vdi_create"));
    }

    // ------------------------------------------------------------------ host

    @Test
    void hostRules() {
        assertEquals(List.of("HOST_NOT_DISABLED"), check("host", f.host, "reboot"));
        assertEquals(List.of("HOST_IS_LIVE", f.host), check("host", f.host, "power_on"));
        assertEquals(
                List.of("vm_migrate", "provision", "vm_resume", "enable", "evacuate", "vm_start"),
                allowed("host", f.host));
        f.ops("host", f.host, ordered("t1", "evacuate"));
        assertEquals(
                List.of("OTHER_OPERATION_IN_PROGRESS", "host", f.host, "evacuate", "t1"),
                check("host", f.host, "provision"));
        assertEquals(List.of(), check("host", f.host, "vm_start"));
        f.ops("host", f.host, ordered("t1", "vm_resume"));
        assertEquals(
                List.of("OTHER_OPERATION_IN_PROGRESS", "host", f.host, "VM.resume", "t1"),
                check("host", f.host, "evacuate"));
        f.ops("host", f.host, ordered("t1", "provision"));
        assertEquals(
                List.of("OTHER_OPERATION_IN_PROGRESS", "host", f.host, "provision", "t1"),
                check("host", f.host, "provision"));
        f.ops("host", f.host, ordered("t1", "apply_updates"));
        assertEquals(
                List.of("OTHER_OPERATION_IN_PROGRESS", "host", f.host, "apply_updates", "t1"),
                check("host", f.host, "enable"));
        f.db.set("host_metrics", f.hostMetrics, "live", false);
        assertEquals(List.of("HOST_POWER_ON_MODE_DISABLED"), check("host", f.host, "power_on"));
        f.db.set("host", f.host, "power_on_mode", "wake-on-lan");
        assertEquals(List.of("XENAPI_MISSING_PLUGIN", "power-on-host"), check("host", f.host, "power_on"));
        assertEquals(
                List.of(),
                new Checkers(true).check(f.db.snapshot(), "host", f.host, "power_on", true) == null
                        ? List.of()
                        : List.of("refused"));
    }

    // ------------------------------------------------------------------ pool

    @Test
    void poolRules() {
        assertEquals(List.of("HA_NOT_ENABLED"), check("pool", f.pool, "ha_disable"));
        assertEquals(
                List.of(
                        "ha_enable",
                        "cluster_create",
                        "designate_new_master",
                        "tls_verification_enable",
                        "configure_repositories",
                        "sync_updates",
                        "apply_updates",
                        "cert_refresh",
                        "exchange_certificates_on_join",
                        "exchange_ca_certificates_on_join",
                        "copy_primary_host_certs",
                        "eject",
                        "get_updates"),
                allowed("pool", f.pool));
        f.ops("pool", f.pool, ordered("t1", "ha_enable"));
        assertEquals(List.of("HA_ENABLE_IN_PROGRESS"), check("pool", f.pool, "designate_new_master"));
        assertEquals(List.of("OTHER_OPERATION_IN_PROGRESS", "pool", f.pool), check("pool", f.pool, "eject"));
        f.ops("pool", f.pool, ordered("t1", "ha_enable", "t2", "cert_refresh"));
        assertEquals(
                List.of("OTHER_OPERATION_IN_PROGRESS", "pool", f.pool, "cert_refresh", "t2"),
                check("pool", f.pool, "eject"));
        f.ops("pool", f.pool, ordered("t2", "cert_refresh"));
        assertEquals(
                List.of("OTHER_OPERATION_IN_PROGRESS", "pool", f.pool, "cert_refresh", "t2"),
                check("pool", f.pool, "ha_enable"));
        assertEquals(List.of(), allowed("pool", f.pool));
        f.ops("pool", f.pool, Map.of());
        f.db.set("pool", f.pool, "is_psr_pending", true);
        assertEquals(List.of("POOL_SECRET_ROTATION_PENDING"), check("pool", f.pool, "eject"));
    }
}
