package org.xapijava.server.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
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

/** The VDI messages on the local {@code file} SR of an in-process host, through the dispatcher. */
class VdiApiTest {
    private static final long MIB = 1024 * 1024;

    @TempDir
    static Path dir;

    static TestHost host;
    static String session;
    static String localSr;
    static Path srDir;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir);
        session = host.login();
        Database db = db();
        localSr = (String) db.get("pool", db.getAll("pool").get(0), "default_SR");
        @SuppressWarnings("unchecked")
        List<String> pbds = (List<String>) db.get("SR", localSr, "PBDs");
        @SuppressWarnings("unchecked")
        Map<String, String> dc = (Map<String, String>) db.get("PBD", pbds.get(0), "device_config");
        srDir = Path.of(dc.get("location"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (host != null) host.close();
    }

    static Database db() {
        return host.server.services().db();
    }

    static Map<String, Object> vdiRecord(String sr, long size, String name) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("name_label", name);
        r.put("name_description", "test disk");
        r.put("SR", sr);
        r.put("virtual_size", Long.toString(size));
        r.put("type", "user");
        r.put("sharable", false);
        r.put("read_only", false);
        r.put("other_config", Map.of("k", "v"));
        r.put("xenstore_data", Map.of());
        r.put("sm_config", Map.of());
        r.put("tags", List.of("t"));
        return r;
    }

    static String create(long size, String name) {
        return (String) host.ok("VDI.create", session, vdiRecord(localSr, size, name));
    }

    /** The VDI's image in the SR directory (the file plugin's qcow2 leaf). */
    static Path file(String vdi) {
        return VdiData.image(srDir, (String) db().get("VDI", vdi, "location"));
    }

    static void write(String vdi, long offset, String text) throws IOException {
        VdiData.write(host.server, vdi, offset, text);
    }

    static String read(String vdi, long offset, int len) throws IOException {
        return VdiData.read(host.server, vdi, offset, len);
    }

    @Test
    void createMakesTheFileAndXapisRecord() throws IOException {
        long before = (Long) db().get("SR", localSr, "virtual_allocation");
        String vdi = create(16 * MIB, "d1");
        Map<String, Object> r = db().getRecord("VDI", vdi);
        assertEquals(r.get("uuid"), r.get("location"));
        assertTrue(Files.isRegularFile(file(vdi)), "the plugin made the image");
        assertEquals("d1", r.get("name_label"));
        assertEquals("test disk", r.get("name_description"));
        assertEquals(16 * MIB, r.get("virtual_size"));
        assertTrue((Long) r.get("physical_utilisation") < MIB);
        assertEquals("qcow2", ((Map<?, ?>) r.get("sm_config")).get("vdi_type"));
        assertEquals(Map.of("k", "v"), r.get("other_config"));
        assertEquals(List.of("t"), r.get("tags"));
        assertEquals(true, r.get("managed"));
        assertEquals(false, r.get("is_a_snapshot"));
        assertEquals(Refs.NULL, r.get("snapshot_of"));
        assertEquals(DateTime.EPOCH, r.get("snapshot_time"));
        assertEquals("persist", r.get("on_boot"));
        assertEquals(localSr, r.get("SR"));
        assertTrue(((List<?>) db().get("SR", localSr, "VDIs")).contains(vdi));
        // the SR's totals are the driver's to keep (sr_update / sr_scan); SR.update makes it recount
        host.ok("SR.update", session, localSr);
        assertTrue((Long) db().get("SR", localSr, "virtual_allocation") >= before + 16 * MIB);
    }

    @Test
    void createRefusals() {
        Database db = db();
        String udev = null;
        for (String sr : db.getAll("SR")) if ("udev".equals(db.get("SR", sr, "type"))) udev = sr;
        assertEquals(
                List.of("SR_OPERATION_NOT_SUPPORTED", udev),
                host.err("VDI.create", session, vdiRecord(udev, MIB, "x")));
        Map<String, Object> cbt = vdiRecord(localSr, MIB, "x");
        cbt.put("type", "cbt_metadata");
        assertEquals(List.of("VDI_INCOMPATIBLE_TYPE", "", "cbt_metadata"), host.err("VDI.create", session, cbt));
        String bogus = "OpaqueRef:00000000-0000-0000-0000-000000000000";
        assertEquals(
                List.of("HANDLE_INVALID", "SR", bogus), host.err("VDI.create", session, vdiRecord(bogus, MIB, "x")));
        Map<String, Object> bad = vdiRecord(localSr, MIB, "x");
        bad.put("sm_config", Map.of("type", "vhd"));
        List<String> e = host.err("VDI.create", session, bad);
        assertTrue(e.get(0).startsWith("SR_BACKEND_FAILURE_"), e.toString());
    }

    @Test
    void unpluggedPbdMeansNoPbds() {
        Database db = db();
        @SuppressWarnings("unchecked")
        String pbd = ((List<String>) db.get("SR", localSr, "PBDs")).get(0);
        db.set("PBD", pbd, "currently_attached", false);
        try {
            assertEquals(
                    List.of("SR_HAS_NO_PBDS", localSr), host.err("VDI.create", session, vdiRecord(localSr, MIB, "x")));
        } finally {
            db.set("PBD", pbd, "currently_attached", true);
        }
    }

    @Test
    void cloneAndSnapshotCopyContentAndMetadata() throws IOException {
        String vdi = create(8 * MIB, "src");
        write(vdi, 3 * MIB, "hello");
        db().set("VDI", vdi, "on_boot", "reset");
        String clone = (String) host.ok("VDI.clone", session, vdi, Map.of());
        Map<String, Object> c = db().getRecord("VDI", clone);
        assertNotEquals(vdi, clone);
        assertEquals("hello", read(clone, 3 * MIB, 5));
        assertEquals("src", c.get("name_label"));
        // the datapath's deactivate gave the source a content_id, which the clone carries (storage_smapiv1.ml)
        assertEquals("v", ((Map<?, ?>) c.get("other_config")).get("k"));
        assertEquals(
                ((Map<?, ?>) db().get("VDI", vdi, "other_config")).get("content_id"),
                ((Map<?, ?>) c.get("other_config")).get("content_id"));
        assertEquals("reset", c.get("on_boot"));
        // Xapi refuses to snapshot a disk that is reset on boot
        assertEquals(
                List.of("VDI_ON_BOOT_MODE_INCOMPATIBLE_WITH_OPERATION"),
                host.err("VDI.snapshot", session, vdi, Map.of()));
        db().set("VDI", vdi, "on_boot", "persist");
        assertEquals(false, c.get("is_a_snapshot"));
        assertEquals(Refs.NULL, c.get("snapshot_of"));
        assertNotEquals(DateTime.EPOCH, c.get("snapshot_time"));

        String snap = (String) host.ok("VDI.snapshot", session, vdi, Map.of("base_mirror", "m"));
        Map<String, Object> s = db().getRecord("VDI", snap);
        assertEquals(true, s.get("is_a_snapshot"));
        assertEquals(vdi, s.get("snapshot_of"));
        assertEquals(List.of(snap), db().get("VDI", vdi, "snapshots"));
        assertEquals("m", ((Map<?, ?>) s.get("sm_config")).get("base_mirror"));
        write(vdi, 3 * MIB, "HELLO");
        assertEquals("hello", read(snap, 3 * MIB, 5), "a snapshot is a point-in-time copy");
    }

    @Test
    void destroyRemovesFileVbdsAndSuspendLinks() {
        String vdi = create(MIB, "gone");
        Path f = file(vdi);
        Database db = db();
        String vm = db.getAll("VM").stream()
                .filter(v -> Boolean.FALSE.equals(db.get("VM", v, "is_control_domain")))
                .findFirst()
                .orElseThrow();
        String vbd = Refs.fresh();
        db.create(
                "VBD",
                vbd,
                Map.of(
                        "VM",
                        vm,
                        "VDI",
                        vdi,
                        "userdevice",
                        "9",
                        "mode",
                        "RW",
                        "type",
                        "Disk",
                        "currently_attached",
                        true));
        assertEquals(List.of("VDI_IN_USE", vdi, "destroy"), host.err("VDI.destroy", session, vdi));
        assertTrue(Files.exists(f));
        db.set("VBD", vbd, "currently_attached", false);
        String holder = Refs.fresh();
        db.create("VM", holder, Map.of("uuid", java.util.UUID.randomUUID().toString(), "suspend_VDI", vdi));
        host.ok("VDI.destroy", session, vdi);
        assertFalse(Files.exists(f));
        assertFalse(db.exists("VDI", vdi));
        assertFalse(db.exists("VBD", vbd));
        assertEquals(Refs.NULL, db.get("VM", holder, "suspend_VDI"));
        db.delete("VM", holder);
        assertEquals(List.of("HANDLE_INVALID", "VDI", vdi), host.err("VDI.destroy", session, vdi));
    }

    @Test
    void unmanagedVdisAreRefused() {
        String vdi = create(MIB, "base copy");
        db().set("VDI", vdi, "managed", false);
        assertEquals(List.of("VDI_NOT_MANAGED", vdi), host.err("VDI.clone", session, vdi, Map.of()));
        assertEquals(List.of("VDI_NOT_MANAGED", vdi), host.err("VDI.destroy", session, vdi));
        db().set("VDI", vdi, "managed", true);
        host.ok("VDI.destroy", session, vdi);
    }

    @Test
    void copyMakesOrFillsATarget() throws IOException {
        String vdi = create(4 * MIB, "orig");
        write(vdi, MIB, "data!");
        db().set("VDI", vdi, "read_only", true);
        String copy = (String) host.ok("VDI.copy", session, vdi, localSr, Refs.NULL, Refs.NULL);
        Map<String, Object> c = db().getRecord("VDI", copy);
        assertEquals("orig", c.get("name_label"));
        assertEquals(false, c.get("read_only"), "a copy is always writable");
        assertEquals(4 * MIB, c.get("virtual_size"));
        assertEquals("data!", read(copy, MIB, 5));

        String into = create(8 * MIB, "into");
        write(into, 0, "xx");
        assertEquals(into, host.ok("VDI.copy", session, vdi, localSr, Refs.NULL, into));
        assertEquals("data!", read(into, MIB, 5));
        assertEquals(8 * MIB, db().get("VDI", into, "virtual_size"));

        String small = create(MIB, "small");
        assertEquals(
                List.of("VDI_TOO_SMALL", small, Long.toString(4 * MIB)),
                host.err("VDI.copy", session, vdi, localSr, Refs.NULL, small));
        db().set("VDI", small, "read_only", true);
        assertEquals(List.of("VDI_READONLY", small), host.err("VDI.copy", session, vdi, localSr, Refs.NULL, small));
    }

    @Test
    void resizeGrowsOnly() {
        String vdi = create(MIB, "r");
        host.ok("VDI.resize", session, vdi, Long.toString(3 * MIB));
        assertEquals(3 * MIB, db().get("VDI", vdi, "virtual_size"));
        List<String> e = host.err("VDI.resize", session, vdi, Long.toString(MIB));
        assertEquals(List.of("SR_BACKEND_FAILURE_79", ""), e.subList(0, 2));
        assertTrue(e.get(2).contains("shrinking"), e.toString());
    }

    @Test
    void attachGivesTheDataPath() throws IOException {
        String vdi = create(MIB, "a");
        StorageBackends b = host.server.storageBackends();
        Path p = b.attach(vdi, true);
        try {
            assertTrue(
                    p.endsWith(java.nio.file.Path.of(
                            (String) db().get("SR", localSr, "uuid"), (String) db().get("VDI", vdi, "location"))),
                    p.toString());
            assertEquals(MIB, Files.size(p), "the datapath shows the disk's raw bytes");
        } finally {
            b.detach(vdi);
        }
    }

    @Test
    void aDiskOfTheOldInProcessBackendIsServedByTheFileDriver() throws IOException {
        // before the SMAPIv1 drivers, the local SR held one sparse <uuid>.raw per VDI, its location the uuid
        String uuid = java.util.UUID.randomUUID().toString();
        Path raw = srDir.resolve(uuid + ".raw");
        try (RandomAccessFile f = new RandomAccessFile(raw.toFile(), "rw")) {
            f.setLength(2 * MIB);
            f.seek(MIB);
            f.write("kept".getBytes(StandardCharsets.US_ASCII));
        }
        String vdi = Refs.fresh();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("uuid", uuid);
        row.put("SR", localSr);
        row.put("location", uuid);
        row.put("virtual_size", 2 * MIB);
        row.put("type", "user");
        row.put("managed", true);
        row.put("sm_config", Map.of("type", "raw"));
        db().create("VDI", vdi, row);
        assertEquals("kept", read(vdi, MIB, 4));
        write(vdi, 0, "more");
        assertEquals("more", read(vdi, 0, 4));
        host.ok("VDI.destroy", session, vdi);
        assertFalse(Files.exists(raw));
    }
}
