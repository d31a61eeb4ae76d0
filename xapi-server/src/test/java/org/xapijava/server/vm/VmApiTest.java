package org.xapijava.server.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.Database;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;
import org.xapijava.server.TestHost;
import org.xapijava.server.storage.VdiData;

/** The VM, VBD and VIF object messages through the dispatcher of an in-process host, field by field. */
class VmApiTest {
    private static final long MIB = 1024 * 1024;

    @TempDir
    static Path dir;

    static TestHost host;
    static String session;
    static String localSr;
    static Path srDir;
    static String network;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir);
        session = host.login();
        Database db = db();
        localSr = (String) db.get("pool", db.getAll("pool").get(0), "default_SR");
        @SuppressWarnings("unchecked")
        String pbd = ((List<String>) db.get("SR", localSr, "PBDs")).get(0);
        @SuppressWarnings("unchecked")
        Map<String, String> dc = (Map<String, String>) db.get("PBD", pbd, "device_config");
        srDir = Path.of(dc.get("location"));
        network = db.getAll("network").get(0);
    }

    @AfterAll
    static void stop() throws Exception {
        if (host != null) host.close();
    }

    static Database db() {
        return host.server.services().db();
    }

    static Object get(String cls, String ref, String field) {
        return db().get(cls, ref, field);
    }

    static String str(String cls, String ref, String field) {
        return (String) db().get(cls, ref, field);
    }

    @SuppressWarnings("unchecked")
    static Map<String, String> map(String cls, String ref, String field) {
        return (Map<String, String>) db().get(cls, ref, field);
    }

    static Map<String, Object> vmRecord(String name) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("name_label", name);
        r.put("name_description", "");
        r.put("user_version", "1");
        r.put("is_a_template", false);
        r.put("affinity", Refs.NULL);
        r.put("memory_static_max", Long.toString(512 * MIB));
        r.put("memory_dynamic_max", Long.toString(512 * MIB));
        r.put("memory_dynamic_min", Long.toString(512 * MIB));
        r.put("memory_static_min", Long.toString(256 * MIB));
        r.put("VCPUs_params", Map.of());
        r.put("VCPUs_max", "2");
        r.put("VCPUs_at_startup", "1");
        r.put("actions_after_shutdown", "destroy");
        r.put("actions_after_reboot", "restart");
        r.put("actions_after_crash", "restart");
        for (String k : List.of(
                "PV_bootloader",
                "PV_kernel",
                "PV_ramdisk",
                "PV_args",
                "PV_bootloader_args",
                "PV_legacy_args",
                "PCI_bus",
                "recommendations")) {
            r.put(k, "");
        }
        r.put("HVM_boot_policy", "BIOS order");
        r.put("HVM_boot_params", Map.of("order", "cd"));
        r.put("platform", Map.of());
        r.put("other_config", Map.of("folder", "/x"));
        r.put("blocked_operations", Map.of("destroy", "no"));
        return r;
    }

    static String newVm(String name) {
        return (String) host.ok("VM.create", session, vmRecord(name));
    }

    static String newDisk(String vm, String device, long size) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("name_label", "disk " + device);
        v.put("name_description", "");
        v.put("SR", localSr);
        v.put("virtual_size", Long.toString(size));
        v.put("type", "user");
        v.put("sharable", false);
        v.put("read_only", false);
        v.put("other_config", Map.of());
        String vdi = (String) host.ok("VDI.create", session, v);
        host.ok("VBD.create", session, vbdRecord(vm, vdi, device, "Disk", "RW", false));
        return vdi;
    }

    static Map<String, Object> vbdRecord(
            String vm, String vdi, String userdevice, String type, String mode, boolean empty) {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("VM", vm);
        b.put("VDI", vdi);
        b.put("userdevice", userdevice);
        b.put("bootable", true);
        b.put("mode", mode);
        b.put("type", type);
        b.put("empty", empty);
        b.put("other_config", Map.of());
        b.put("qos_algorithm_type", "");
        b.put("qos_algorithm_params", Map.of());
        return b;
    }

    static Map<String, Object> vifRecord(String vm, String device, String mac) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("device", device);
        f.put("network", network);
        f.put("VM", vm);
        f.put("MAC", mac);
        f.put("MTU", "1500");
        f.put("other_config", Map.of());
        f.put("qos_algorithm_type", "");
        f.put("qos_algorithm_params", Map.of());
        return f;
    }

    static Path file(String vdi) {
        return VdiData.image(srDir, (String) db().get("VDI", vdi, "location"));
    }

    static void write(String vdi, long offset, String text) throws IOException {
        VdiData.write(host.server, vdi, offset, text);
    }

    static String read(String vdi, long offset, int len) throws IOException {
        return VdiData.read(host.server, vdi, offset, len);
    }

    @SuppressWarnings("unchecked")
    static List<String> vdisOf(String vm) {
        return ((List<String>) get("VM", vm, "VBDs"))
                .stream().map(b -> str("VBD", b, "VDI")).toList();
    }

    // ------------------------------------------------------------------ create, destroy

    @Test
    void createAsXapi() {
        String vm = newVm("c1");
        Map<String, Object> r = db().getRecord("VM", vm);
        assertEquals("Halted", r.get("power_state"));
        assertEquals("hvm", r.get("domain_type"), "derived from HVM_boot_policy");
        @SuppressWarnings("unchecked")
        Map<String, String> oc = (Map<String, String>) r.get("other_config");
        assertEquals(List.of("mac_seed", "folder"), List.copyOf(oc.keySet()));
        assertEquals(Map.of(), r.get("blocked_operations"), "Xapi ignores blocked_operations at creation");
        assertTrue(db().exists("VM_metrics", (String) r.get("metrics")));
        assertEquals("unspecified", get("VM_metrics", (String) r.get("metrics"), "current_domain_type"));
        assertEquals(-1L, r.get("domid"));
        // HVM, 512 MiB, 2 vCPUs: 1+1 + ceil((512+512+512)/256)=6 + 1
        assertEquals(9 * MIB, r.get("memory_overhead"));

        Map<String, Object> running = vmRecord("c2");
        running.put("power_state", "Running");
        running.put("HVM_boot_policy", "");
        running.put("VCPUs_max", "0");
        String vm2 = (String) host.ok("VM.create", session, running);
        assertEquals("Halted", get("VM", vm2, "power_state"), "only Suspended is kept");
        assertEquals("pv", get("VM", vm2, "domain_type"));
        assertEquals(0L, get("VM", vm2, "VCPUs_max"), "Xapi validates at VM.start, not here");

        Map<String, Object> susp = vmRecord("c3");
        susp.put("power_state", "Suspended");
        List<String> e = host.err("VM.create", session, susp);
        assertEquals(List.of("VM_BAD_POWER_STATE", e.get(1), "halted", "suspended"), e);
        assertFalse(db().exists("VM", e.get(1)));
    }

    @Test
    void destroyKeepsDisksAndRebasesChildren() {
        String vm = newVm("d1");
        String vdi = newDisk(vm, "0", MIB);
        String vif = (String) host.ok("VIF.create", session, vifRecord(vm, "0", ""));
        String metrics = str("VM", vm, "metrics");
        @SuppressWarnings("unchecked")
        String vbd = ((List<String>) get("VM", vm, "VBDs")).get(0);
        String snap = (String) host.ok("VM.snapshot", session, vm, "s", List.of());
        String clone = (String) host.ok("VM.clone", session, snap, "from snap");
        db().set("VM", clone, "parent", vm);
        host.ok("VM.destroy", session, vm);
        assertFalse(db().exists("VM", vm));
        assertFalse(db().exists("VBD", vbd));
        assertFalse(db().exists("VIF", vif));
        assertFalse(db().exists("VM_metrics", metrics));
        assertTrue(db().exists("VDI", vdi));
        assertTrue(Files.exists(file(vdi)));
        assertEquals(vm, get("VM", snap, "snapshot_of"), "left dangling, as Xapi does");
        assertEquals(snap, get("VM", clone, "parent"), "children move up to the VM's parent (its snapshot)");
        assertEquals(List.of("HANDLE_INVALID", "VM", vm), host.err("VM.destroy", session, vm));

        // the body's own guard (for a default template the operation checker answers VM_IS_TEMPLATE first)
        String marked = newVm("marked");
        db().addToMap("VM", marked, "other_config", "default_template", "true");
        assertEquals(List.of("VM_CANNOT_DELETE_DEFAULT_TEMPLATE"), host.err("VM.destroy", session, marked));
        assertTrue(db().exists("VM", marked));
    }

    // ------------------------------------------------------------------ clone, copy, snapshot

    @Test
    void cloneOfATemplate() {
        String tmpl = db().getAll("VM").stream()
                .filter(v -> "Debian Bookworm 12".equals(get("VM", v, "name_label")))
                .findFirst()
                .orElseThrow();
        Map<String, String> toc = map("VM", tmpl, "other_config");
        String clone = (String) host.ok("VM.clone", session, tmpl, "my debian");
        Map<String, Object> r = db().getRecord("VM", clone);
        assertEquals("my debian", r.get("name_label"));
        assertEquals(true, r.get("is_a_template"));
        assertEquals(false, r.get("is_default_template"));
        assertEquals(false, r.get("is_a_snapshot"));
        assertEquals(Refs.NULL, r.get("parent"));
        assertEquals(0L, r.get("version"));
        assertEquals(Map.of(), r.get("current_operations"));
        @SuppressWarnings("unchecked")
        Map<String, String> oc = (Map<String, String>) r.get("other_config");
        assertEquals("Debian Bookworm 12", oc.get("base_template_name"));
        assertFalse(oc.containsKey("default_template"));
        assertNotEquals(toc.get("mac_seed"), oc.get("mac_seed"));
        assertEquals(toc.get("disks"), oc.get("disks"));
        assertTrue(db().exists("VM_metrics", (String) r.get("metrics")), "fresh metrics: a template has none");
        assertEquals(r.get("memory_static_max"), get("VM", tmpl, "memory_static_max"));
    }

    @Test
    void cloneCopyAndSnapshotOfAVmWithDisks() throws IOException {
        String vm = newVm("src");
        String d0 = newDisk(vm, "0", 4 * MIB);
        write(d0, MIB, "disk zero");
        String cd = (String) host.ok("VBD.create", session, vbdRecord(vm, Refs.NULL, "3", "CD", "RO", true));
        String vif = (String) host.ok("VIF.create", session, vifRecord(vm, "0", ""));
        db().set("VM", vm, "generation_id", "1:2");

        String clone = (String) host.ok("VM.clone", session, vm, "clone");
        List<String> cdisks = vdisOf(clone);
        assertEquals(2, cdisks.size());
        String cd0 = cdisks.stream().filter(v -> !Refs.isNull(v)).findFirst().orElseThrow();
        assertNotEquals(d0, cd0);
        assertEquals("disk zero", read(cd0, MIB, 9));
        @SuppressWarnings("unchecked")
        String cvbd = ((List<String>) get("VM", clone, "VBDs"))
                .stream()
                        .filter(b -> "Disk".equals(get("VBD", b, "type")))
                        .findFirst()
                        .orElseThrow();
        assertEquals(Map.of("owner", ""), get("VBD", cvbd, "other_config"));
        assertEquals("0", get("VBD", cvbd, "userdevice"));
        @SuppressWarnings("unchecked")
        String cvif = ((List<String>) get("VM", clone, "VIFs")).get(0);
        assertNotEquals(get("VIF", vif, "MAC"), get("VIF", cvif, "MAC"), "a clone gets MACs from its new seed");
        Map<String, String> coc = map("VM", clone, "other_config");
        assertEquals(MacAddresses.generate(0, coc.get("mac_seed")), get("VIF", cvif, "MAC"));
        assertNotEquals("1:2", get("VM", clone, "generation_id"));
        assertTrue((str("VM", clone, "generation_id")).matches("\\d+:\\d+"));
        assertEquals(false, get("VM", clone, "is_a_template"));
        assertTrue(db().exists("VBD", cd));

        String copy = (String) host.ok("VM.copy", session, vm, "copy", localSr);
        String copied =
                vdisOf(copy).stream().filter(v -> !Refs.isNull(v)).findFirst().orElseThrow();
        assertEquals("disk zero", read(copied, MIB, 9));
        String copy2 = (String) host.ok("VM.copy", session, vm, "copy2", Refs.NULL);
        assertEquals(
                localSr,
                get(
                        "VDI",
                        vdisOf(copy2).stream()
                                .filter(v -> !Refs.isNull(v))
                                .findFirst()
                                .orElseThrow(),
                        "SR"));

        String snap = (String) host.ok("VM.snapshot", session, vm, "snap", List.of());
        Map<String, Object> s = db().getRecord("VM", snap);
        assertEquals(true, s.get("is_a_snapshot"));
        assertEquals(true, s.get("is_a_template"));
        assertEquals(vm, s.get("snapshot_of"));
        assertNotEquals(DateTime.EPOCH, s.get("snapshot_time"));
        assertEquals(
                Map.of("disk-snapshot-type", "crash_consistent", "power-state-at-snapshot", "Halted"),
                s.get("snapshot_info"));
        assertTrue(((String) s.get("snapshot_metadata")).contains("('uuid' '" + get("VM", vm, "uuid") + "')"));
        assertEquals(snap, get("VM", vm, "parent"));
        assertEquals(List.of(snap), get("VM", vm, "snapshots"));
        @SuppressWarnings("unchecked")
        String svif = ((List<String>) s.get("VIFs")).get(0);
        assertEquals(get("VIF", vif, "MAC"), get("VIF", svif, "MAC"), "a snapshot keeps its MACs");
        String sdisk =
                vdisOf(snap).stream().filter(v -> !Refs.isNull(v)).findFirst().orElseThrow();
        assertEquals(true, get("VDI", sdisk, "is_a_snapshot"));
        assertEquals(d0, get("VDI", sdisk, "snapshot_of"));
        assertTrue(host.server.services().alerts().getAllRecords().values().stream()
                .anyMatch(m -> "VM_SNAPSHOTTED".equals(m.get("name"))
                        && ((String) m.get("body")).contains("snapshot name: snap")));

        String partial = (String) host.ok("VM.snapshot", session, vm, "partial", List.of(d0));
        assertEquals(1, vdisOf(partial).size(), "ignore_vdis leaves those disks out");

        String iso = db().getAll("SR").stream()
                .filter(x -> "iso".equals(get("SR", x, "content_type")))
                .findFirst()
                .orElseThrow();
        assertEquals(
                List.of("OPERATION_NOT_ALLOWED", "Cannot copy a VM's disks to an ISO SR"),
                host.err("VM.copy", session, vm, "c", iso));
    }

    @Test
    void revertBringsBackDisksFieldsAndMacs() throws IOException {
        String vm = newVm("rev");
        String d0 = newDisk(vm, "0", 2 * MIB);
        write(d0, 0, "before");
        host.ok("VIF.create", session, vifRecord(vm, "0", "aa:bb:cc:dd:ee:ff"));
        String snap = (String) host.ok("VM.snapshot", session, vm, "s1", List.of());
        String snapDisk = vdisOf(snap).get(0);
        String older = (String) host.ok("VDI.snapshot", session, d0, Map.of());
        write(d0, 0, "after!");
        db().set("VM", vm, "name_label", "renamed");
        db().set("VM", vm, "power_state", "Halted");
        String extra = newDisk(vm, "1", MIB);

        host.ok("VM.revert", session, snap);
        assertEquals("rev", get("VM", vm, "name_label"));
        assertEquals("Halted", get("VM", vm, "power_state"));
        assertEquals(snap, get("VM", vm, "parent"));
        assertFalse(db().exists("VDI", d0), "the disk the snapshot has a copy of is replaced");
        assertTrue(db().exists("VDI", extra), "a disk without snapshot is only detached");
        List<String> disks = vdisOf(vm);
        assertEquals(1, disks.size());
        String now = disks.get(0);
        assertEquals("before", read(now, 0, 6));
        assertEquals(now, get("VDI", snapDisk, "snapshot_of"), "the snapshot tree hangs off the new disk");
        assertEquals(now, get("VDI", older, "snapshot_of"));
        @SuppressWarnings("unchecked")
        String vif = ((List<String>) get("VM", vm, "VIFs")).get(0);
        assertEquals("aa:bb:cc:dd:ee:ff", get("VIF", vif, "MAC"));
        assertTrue(host.server.services().alerts().getAllRecords().values().stream()
                .anyMatch(m -> "VM_SNAPSHOT_REVERTED".equals(m.get("name"))));

        // a snapshot whose VM is gone makes it again, with its uuid
        String uuid = str("VM", vm, "uuid");
        host.ok("VM.destroy", session, vm);
        host.ok("VM.revert", session, snap);
        String again = db().getByUuid("VM", uuid);
        assertEquals(again, get("VM", snap, "snapshot_of"));
        assertEquals("rev", get("VM", again, "name_label"));
        assertEquals(false, get("VM", again, "is_a_template"));
        assertEquals("before", read(vdisOf(again).get(0), 0, 6));
    }

    // ------------------------------------------------------------------ provision, templates

    @Test
    void provisionMakesTheTemplatesDisks() {
        String tmpl = db().getAll("VM").stream()
                .filter(v -> "Debian Bookworm 12".equals(get("VM", v, "name_label")))
                .findFirst()
                .orElseThrow();
        String vm = (String) host.ok("VM.clone", session, tmpl, "installed");
        assertEquals(
                List.of("UUID_INVALID", "sr", ""),
                host.err("VM.provision", session, vm),
                "sr=\"\" is the client's to fill, as xe vm-install does");
        Map<String, String> oc = map("VM", vm, "other_config");
        String xml = oc.get("disks").replace("sr=\"\"", "sr=\"" + get("SR", localSr, "uuid") + "\"");
        db().removeFromMap("VM", vm, "other_config", "disks");
        db().addToMap("VM", vm, "other_config", "disks", xml);
        db().set("VM", vm, "is_a_template", true);
        host.ok("VM.provision", session, vm);
        assertEquals(false, get("VM", vm, "is_a_template"));
        assertFalse(((Map<?, ?>) get("VM", vm, "other_config")).containsKey("disks"));
        @SuppressWarnings("unchecked")
        List<String> vbds = (List<String>) get("VM", vm, "VBDs");
        assertEquals(1, vbds.size());
        Map<String, Object> vbd = db().getRecord("VBD", vbds.get(0));
        assertEquals("0", vbd.get("userdevice"));
        assertEquals(true, vbd.get("bootable"));
        assertEquals(false, vbd.get("unpluggable"));
        assertEquals(Map.of("owner", ""), vbd.get("other_config"));
        String vdi = (String) vbd.get("VDI");
        assertEquals("0", get("VDI", vdi, "name_label"));
        assertEquals("Created by template provisioner", get("VDI", vdi, "name_description"));
        assertEquals("system", get("VDI", vdi, "type"));
        assertEquals(10L * 1024 * MIB, get("VDI", vdi, "virtual_size"));
        assertTrue(Files.exists(file(vdi)));
        assertNotEquals(DateTime.EPOCH, get("VM_metrics", str("VM", vm, "metrics"), "install_time"));
    }

    @Test
    void setIsATemplate() {
        String vm = newVm("t");
        String metrics = str("VM", vm, "metrics");
        db().set("VM", vm, "ha_always_run", true);
        host.ok("VM.set_is_a_template", session, vm, true);
        assertEquals(true, get("VM", vm, "is_a_template"));
        assertEquals(false, get("VM", vm, "is_default_template"));
        assertEquals(false, get("VM", vm, "ha_always_run"));
        assertEquals(Refs.NULL, get("VM", vm, "metrics"));
        assertFalse(db().exists("VM_metrics", metrics));
        host.ok("VM.set_is_a_template", session, vm, false);
        assertEquals(false, get("VM", vm, "is_a_template"));
    }

    // ------------------------------------------------------------------ devices

    @Test
    void vbdCreateAndDestroy() {
        String vm = newVm("vbds");
        String vdi = newDisk(vm, "0", MIB);
        assertEquals(
                List.of("DEVICE_ALREADY_EXISTS", "xvda"),
                host.err("VBD.create", session, vbdRecord(vm, vdi, "xvda", "Disk", "RW", false)));
        assertEquals(
                List.of("DEVICE_ALREADY_EXISTS", "0"),
                host.err("VBD.create", session, vbdRecord(vm, vdi, "0", "Disk", "RW", false)));
        String auto = (String) host.ok("VBD.create", session, vbdRecord(vm, vdi, "autodetect", "Disk", "RO", false));
        assertEquals("1", get("VBD", auto, "userdevice"));
        assertEquals(
                List.of("INVALID_DEVICE", "bogus"),
                host.err("VBD.create", session, vbdRecord(vm, vdi, "bogus", "Disk", "RW", false)));
        assertEquals(
                List.of("VBD_NOT_REMOVABLE_MEDIA", "in constructor"),
                host.err("VBD.create", session, vbdRecord(vm, Refs.NULL, "5", "Disk", "RW", true)));
        assertEquals(
                List.of("VBD_CDS_MUST_BE_READONLY"),
                host.err("VBD.create", session, vbdRecord(vm, vdi, "5", "CD", "RW", false)));
        db().set("VDI", vdi, "read_only", true);
        assertEquals(
                List.of("VDI_READONLY", vdi),
                host.err("VBD.create", session, vbdRecord(vm, vdi, "5", "Disk", "RW", false)));
        db().set("VDI", vdi, "read_only", false);
        String empty = (String) host.ok("VBD.create", session, vbdRecord(vm, Refs.NULL, "3", "CD", "RO", true));
        assertEquals(true, get("VBD", empty, "empty"));
        assertEquals(
                List.of("HANDLE_INVALID", "VDI", Refs.NULL),
                host.err("VBD.create", session, vbdRecord(vm, Refs.NULL, "6", "Disk", "RW", false)));
        String gone = "OpaqueRef:6f1f6a0e-1111-2222-3333-444455556666";
        assertEquals(
                List.of("HANDLE_INVALID", "VM", gone),
                host.err("VBD.create", session, vbdRecord(gone, vdi, "6", "Disk", "RW", false)));
        assertEquals(
                List.of("NOT_IMPLEMENTED", "VBD of type 'floppy' is not supported on PV domain"), errFloppyOnPv(vdi));

        List<?> allowed = (List<?>) host.ok("VM.get_allowed_VBD_devices", session, vm);
        assertEquals(252, allowed.size(), "0..254 minus 0, 1 and 3");
        assertFalse(allowed.contains("0") || allowed.contains("1") || allowed.contains("3"));
        assertEquals("2", allowed.get(0));

        db().set("VBD", auto, "currently_attached", true);
        assertEquals(
                List.of(
                        "OPERATION_NOT_ALLOWED",
                        "VBD '" + get("VBD", auto, "uuid") + "' still attached to '" + get("VM", vm, "uuid") + "'"),
                host.err("VBD.destroy", session, auto));
        db().set("VBD", auto, "currently_attached", false);
        host.ok("VBD.destroy", session, auto);
        assertFalse(db().exists("VBD", auto));
        assertTrue(db().exists("VDI", vdi));
    }

    private List<String> errFloppyOnPv(String vdi) {
        Map<String, Object> r = vmRecord("pv");
        r.put("HVM_boot_policy", "");
        String pv = (String) host.ok("VM.create", session, r);
        return host.err("VBD.create", session, vbdRecord(pv, vdi, "autodetect", "Floppy", "RW", false));
    }

    @Test
    void vifCreateAndDestroy() {
        String vm = newVm("vifs");
        Map<String, String> oc = map("VM", vm, "other_config");
        String v0 = (String) host.ok("VIF.create", session, vifRecord(vm, "0", ""));
        assertEquals(MacAddresses.generate(0, oc.get("mac_seed")), get("VIF", v0, "MAC"));
        assertEquals(true, get("VIF", v0, "MAC_autogenerated"));
        String v2 = (String) host.ok("VIF.create", session, vifRecord(vm, "2", "00:16:3E:01:02:03"));
        assertEquals("00:16:3E:01:02:03", get("VIF", v2, "MAC"));
        assertEquals(false, get("VIF", v2, "MAC_autogenerated"));
        assertEquals(List.of("DEVICE_ALREADY_EXISTS", "00"), host.err("VIF.create", session, vifRecord(vm, "00", "")));
        assertEquals(List.of("INVALID_DEVICE", "eth0"), host.err("VIF.create", session, vifRecord(vm, "eth0", "")));
        assertEquals(List.of("MAC_INVALID", "zz"), host.err("VIF.create", session, vifRecord(vm, "3", "zz")));
        db().removeFromMap("VM", vm, "other_config", "mac_seed");
        assertEquals(List.of("MAC_INVALID", ""), host.err("VIF.create", session, vifRecord(vm, "3", "")));
        String gone = "OpaqueRef:6f1f6a0e-1111-2222-3333-444455556666";
        Map<String, Object> badNet = vifRecord(vm, "4", "");
        badNet.put("network", gone);
        assertEquals(List.of("HANDLE_INVALID", "network", gone), host.err("VIF.create", session, badNet));
        List<?> allowed = (List<?>) host.ok("VM.get_allowed_VIF_devices", session, vm);
        assertEquals(14, allowed.size());
        assertFalse(allowed.contains("0") || allowed.contains("2"));

        db().set("VIF", v0, "currently_attached", true);
        db().set("VM", vm, "domid", 7L);
        assertEquals(
                List.of("OPERATION_NOT_ALLOWED", "VIF currently attached to a running VM"),
                host.err("VIF.destroy", session, v0));
        db().set("VM", vm, "domid", -1L);
        host.ok("VIF.destroy", session, v0);
        assertFalse(db().exists("VIF", v0));
    }
}
