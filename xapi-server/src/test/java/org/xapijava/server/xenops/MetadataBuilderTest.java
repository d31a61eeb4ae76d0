package org.xapijava.server.xenops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.xapijava.db.Database;
import org.xapijava.model.Datamodel;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.xenopsd.DeviceNumber;
import org.xapijava.xenopsd.Disk;
import org.xapijava.xenopsd.Metadata;
import org.xapijava.xenopsd.Vbd;
import org.xapijava.xenopsd.Vif;
import org.xapijava.xenopsd.Vm;

/** A VM record, its disks and NICs as xenopsd metadata ({@code MD.of_vm}, {@code of_vbd}, {@code of_vif}). */
class MetadataBuilderTest {
    private static final long MIB = 1024L * 1024;
    private final Database db = Database.empty(Datamodel.get());
    private final String host = Refs.fresh();
    private final String sr = Refs.fresh();
    private final String srUuid = UUID.randomUUID().toString();
    private final String net = Refs.fresh();

    MetadataBuilderTest() {
        db.create(
                "pool",
                Refs.fresh(),
                Map.of(
                        "uuid",
                        UUID.randomUUID().toString(),
                        "cpu_info",
                        Map.of("features_hvm_host", "hvm-features", "features_pv_host", "pv-features")));
        db.create(
                "host",
                host,
                Map.of("uuid", UUID.randomUUID().toString(), "guest_VCPUs_params", Map.of("mask", "1,3")));
        db.create("SR", sr, Map.of("uuid", srUuid, "type", "file"));
        db.create(
                "network",
                net,
                Map.of(
                        "uuid",
                        UUID.randomUUID().toString(),
                        "bridge",
                        "xenbr0",
                        "MTU",
                        9000L,
                        "default_locking_mode",
                        "disabled"));
        db.create(
                "PIF",
                Refs.fresh(),
                Map.of("uuid", UUID.randomUUID().toString(), "network", net, "host", host, "VLAN", 42L));
    }

    private String vm(Map<String, Object> extra) {
        String ref = Refs.fresh();
        Map<String, Object> v = new HashMap<>(Map.of(
                "uuid",
                UUID.randomUUID().toString(),
                "name_label",
                "web",
                "domain_type",
                "hvm",
                "memory_static_max",
                512 * MIB,
                "memory_dynamic_max",
                512 * MIB,
                "memory_dynamic_min",
                256 * MIB,
                "VCPUs_max",
                4L,
                "VCPUs_at_startup",
                2L,
                "HVM_shadow_multiplier",
                1.5,
                "generation_id",
                "0:0"));
        v.putAll(Map.of(
                "actions_after_shutdown",
                "destroy",
                "actions_after_reboot",
                "restart",
                "actions_after_crash",
                "coredump_and_restart",
                "actions_after_softreboot",
                "soft_reboot",
                "power_state",
                "Halted"));
        v.putAll(extra);
        db.create("VM", ref, v);
        return ref;
    }

    @Test
    void anHvmVm() {
        Map<String, String> platform = new java.util.LinkedHashMap<>();
        platform.put("vga", "std");
        platform.put("videoram", "8");
        platform.put("usb", "false");
        platform.put("tsc_mode", "9");
        platform.put("parallel", "/dev/lp0");
        platform.put("cores-per-socket", "2");
        String vm = vm(Map.of(
                "uuid",
                "vm-uuid",
                "platform",
                platform,
                "VCPUs_params",
                Map.of("mask", "1,2;3", "weight", "512"),
                "HVM_boot_params",
                Map.of("order", ""),
                "xenstore_data",
                Map.of("vm-data/x", "1"),
                "bios_strings",
                Map.of("bios-vendor", "Xen")));
        Metadata md = MetadataBuilder.of(db.snapshot(), vm, host, () -> "7:9");
        Vm v = md.vm();
        assertEquals("vm-uuid", v.id());
        assertEquals("web", v.name());
        assertEquals("7:9", v.generationId(), "a VM with generation id 0:0 gets a fresh one");
        assertEquals(512 * MIB, v.memoryStaticMax());
        assertEquals(256 * MIB, v.memoryDynamicMin());
        assertEquals(4, v.vcpuMax());
        assertEquals(2, v.vcpus());
        assertEquals(List.of(Vm.Action.Shutdown), v.onShutdown());
        assertEquals(List.of(Vm.Action.Start), v.onReboot());
        assertEquals(List.of(Vm.Action.Coredump, Vm.Action.Start), v.onCrash());
        assertEquals(List.of(Vm.Action.Softreboot), v.onSoftreboot());
        // the VM's masks, each filtered by the host's; weight from VCPUs_params, cap 0
        assertEquals(List.of(List.of(1), List.of(3)), v.schedulerParams().affinity());
        assertEquals(
                new Vm.SchedulerParams.Priority(512, 0), v.schedulerParams().priority());
        // featureset (the pool's HVM features) and timeoffset first, then usb flags, invalid entries dropped
        assertEquals(
                List.of("featureset", "timeoffset", "usb", "usb_tablet", "vga", "videoram", "cores-per-socket"),
                new ArrayList<>(v.platformdata().keySet()));
        assertEquals("hvm-features", v.platformdata().get("featureset"));
        assertEquals("0", v.platformdata().get("timeoffset"));
        assertEquals("false", v.platformdata().get("usb_tablet"), "no tablet without usb");
        Vm.HvmInfo h = assertInstanceOf(Vm.Hvm.class, v.ty()).info();
        assertEquals("Standard_VGA", h.video());
        assertEquals(8, h.videoMib());
        assertEquals("cd", h.bootOrder(), "an empty boot order is Xapi's default");
        assertEquals("pty", h.serial());
        assertEquals(1.5, h.shadowMultiplier());
        assertEquals(Vm.Firmware.BIOS, h.firmware());
        assertEquals(Map.of("vm-data/x", "1"), v.xsdata());
        assertTrue(v.pciMsitranslate());
        // what xapi sends is what xenopsd reads back
        assertEquals(md, Metadata.fromJson(md.toJson()));
    }

    @Test
    void badConfigurationsAreXapisErrors() {
        String cps = vm(Map.of("platform", Map.of("cores-per-socket", "3")));
        ApiError e = assertThrows(ApiError.class, () -> MetadataBuilder.of(db.snapshot(), cps, host, () -> "1:1"));
        assertEquals(List.of("VCPU_MAX_NOT_CORES_PER_SOCKET_MULTIPLE", "4", "3"), e.description());
        String fw = vm(Map.of("HVM_boot_params", Map.of("firmware", "coreboot")));
        e = assertThrows(ApiError.class, () -> MetadataBuilder.of(db.snapshot(), fw, host, () -> "1:1"));
        assertEquals(List.of("INVALID_VALUE", "HVM-boot-params['firmware']", "coreboot"), e.description());
        String unspecified = vm(Map.of("domain_type", "unspecified"));
        e = assertThrows(ApiError.class, () -> MetadataBuilder.of(db.snapshot(), unspecified, host, () -> "1:1"));
        assertEquals(List.of("INTERNAL_ERROR", "unspecified domain type"), e.description());
        String pv = vm(Map.of("domain_type", "pv", "PV_kernel", "/etc/hostname-is-not-a-kernel"));
        e = assertThrows(ApiError.class, () -> MetadataBuilder.of(db.snapshot(), pv, host, () -> "1:1"));
        assertEquals("INVALID_VALUE", e.code());
        assertEquals("kernel", e.params().get(0));
    }

    @Test
    void uefiAndPvBootloaderGuests() {
        String uefi = vm(Map.of(
                "HVM_boot_params", Map.of("firmware", "uefi"), "NVRAM", Map.of("EFI-variables-on-boot", "reset")));
        Vm.HvmInfo h = assertInstanceOf(
                        Vm.Hvm.class,
                        MetadataBuilder.of(db.snapshot(), uefi, host, () -> "1:1")
                                .vm()
                                .ty())
                .info();
        assertEquals(Vm.Firmware.uefi("Reset", "xapidb"), h.firmware());
        String pv = vm(Map.of(
                "domain_type", "pv", "PV_bootloader", "pygrub", "PV_args", "console=hvc0", "generation_id", "5:6"));
        Vm v = MetadataBuilder.of(db.snapshot(), pv, host, () -> "never").vm();
        assertEquals("5:6", v.generationId());
        assertEquals("pv-features", v.platformdata().get("featureset"));
        Vm.PvInfo info = assertInstanceOf(Vm.Pv.class, v.ty()).info();
        Vm.Indirect boot = assertInstanceOf(Vm.Indirect.class, info.boot());
        assertEquals("pygrub", boot.bootloader());
        assertEquals("console=hvc0", boot.extraArgs());
        assertTrue(info.vncterm());
    }

    @Test
    void attachedDisksAndNics() {
        String vm = vm(Map.of("uuid", "vm-uuid"));
        String vdi = Refs.fresh();
        db.create(
                "VDI",
                vdi,
                Map.of("uuid", UUID.randomUUID().toString(), "SR", sr, "location", "disk0", "on_boot", "reset"));
        String vbd = Refs.fresh();
        Map<String, Object> v = new HashMap<>(Map.of(
                "uuid",
                UUID.randomUUID().toString(),
                "VM",
                vm,
                "VDI",
                vdi,
                "userdevice",
                "0",
                "mode",
                "RW",
                "type",
                "Disk",
                "currently_attached",
                true,
                "unpluggable",
                true));
        v.put("qos_algorithm_type", "ionice");
        v.put("qos_algorithm_params", Map.of("sched", "rt", "class", "high"));
        v.put("other_config", Map.of("polling-idle-threshold", "150", "backend-kind", "vbd3"));
        db.create("VBD", vbd, v);
        String detached = Refs.fresh();
        db.create(
                "VBD",
                detached,
                Map.of(
                        "uuid",
                        UUID.randomUUID().toString(),
                        "VM",
                        vm,
                        "VDI",
                        Refs.NULL,
                        "userdevice",
                        "1",
                        "type",
                        "CD",
                        "empty",
                        true,
                        "currently_attached",
                        false));
        String vif = Refs.fresh();
        Map<String, Object> n0 = new HashMap<>(Map.of(
                "uuid",
                "vif-uuid",
                "VM",
                vm,
                "network",
                net,
                "device",
                "1",
                "MAC",
                "aa:bb:cc:dd:ee:ff",
                "currently_attached",
                true,
                "other_config",
                Map.of("mtu", "bad"),
                "locking_mode",
                "network_default"));
        n0.put("qos_algorithm_type", "ratelimit");
        n0.put("qos_algorithm_params", Map.of("kbps", "100"));
        db.create("VIF", vif, n0);
        Metadata md = MetadataBuilder.of(db.snapshot(), vm, host, () -> "1:1");
        assertEquals(1, md.vbds().size(), "only attached VBDs");
        Vbd d = md.vbds().get(0);
        assertEquals("xvda", d.id().name());
        assertEquals("vm-uuid", d.id().vm());
        assertEquals(new DeviceNumber(DeviceNumber.Bus.Ide, 0, 0), d.position(), "disk 0 of an HVM guest is IDE");
        assertEquals(Vbd.Mode.ReadWrite, d.mode());
        assertEquals(new Disk.Vdi(srUuid + "/disk0"), d.backend());
        assertEquals(new Vbd.Qos(Vbd.Qos.Scheduler.RealTime, Vbd.Qos.QosClass.High, 0), d.qos());
        assertEquals(
                Map.of("backend-kind", "vbd3", "polling-duration", "8000", "polling-idle-threshold", "100"),
                d.extraBackendKeys());
        assertEquals(false, d.persistent(), "a disk reset on boot is not persistent");
        assertEquals(false, d.canAttachEarly(), "no SMAPIv3 driver");
        assertEquals(1, md.vifs().size());
        Vif n = md.vifs().get(0);
        assertEquals(1, n.position());
        assertEquals("aa:bb:cc:dd:ee:ff", n.mac());
        assertEquals(9000, n.mtu(), "an unreadable other_config:mtu falls back to the network's");
        assertEquals(Vif.LockingMode.DISABLED, n.lockingMode(), "the network's default");
        assertEquals(new Vif.Rate(100, 0), n.rate());
        assertEquals(new Vif.Local("xenbr0"), n.backend());
        assertEquals(42L, n.vlan());
        assertEquals("vif-uuid", n.extraPrivateKeys().get("vif-uuid"));
        assertNull(md.domains(), "only a suspended VM carries its domain record");
        ApiError e = assertThrows(ApiError.class, () -> {
            db.set("VBD", vbd, "userdevice", "bogus");
            MetadataBuilder.of(db.snapshot(), vm, host, () -> "1:1");
        });
        assertEquals(List.of("INVALID_DEVICE", "bogus"), e.description());
    }
}
