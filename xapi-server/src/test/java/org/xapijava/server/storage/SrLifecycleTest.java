package org.xapijava.server.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.xapijava.server.TestHost;

/** SRs made, used and destroyed through the bundled SMAPIv1 drivers (real executables) of an in-process host. */
class SrLifecycleTest {
    @TempDir
    static Path dir;

    static TestHost host;
    static String session;
    static String hostRef;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir);
        session = host.login();
        hostRef = db().getAll("host").get(0);
    }

    @AfterAll
    static void stop() throws Exception {
        if (host != null) host.close();
    }

    static Database db() {
        return host.server.services().db();
    }

    static String createSr(String type, Map<String, String> dc, String name) {
        return (String) host.ok("SR.create", session, hostRef, dc, "0", name, "d", type, "user", false, Map.of());
    }

    static Map<String, Object> vdiRecord(String sr, long size, String name) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("name_label", name);
        r.put("name_description", "");
        r.put("SR", sr);
        r.put("virtual_size", Long.toString(size));
        r.put("type", "user");
        r.put("sharable", false);
        r.put("read_only", false);
        r.put("other_config", Map.of());
        r.put("xenstore_data", Map.of());
        r.put("sm_config", Map.of());
        r.put("tags", List.of());
        return r;
    }

    @SuppressWarnings("unchecked")
    static String pbdOf(String sr) {
        return ((List<String>) db().get("SR", sr, "PBDs")).get(0);
    }

    @Test
    void fileSrFromCreateToDestroy() throws Exception {
        Path location = dir.resolve("file-sr");
        String sr = createSr("file", Map.of("location", location.toString()), "files");
        String pbd = pbdOf(sr);
        assertEquals(true, db().get("PBD", pbd, "currently_attached"));
        assertEquals("file", db().get("SR", sr, "type"));
        String vdi = (String) host.ok("VDI.create", session, vdiRecord(sr, 4 << 20, "disk"));
        String location0 = (String) db().get("VDI", vdi, "location");
        assertTrue(Files.exists(location.resolve(location0 + ".qcow2")));
        String snap = (String) host.ok("VDI.snapshot", session, vdi, Map.of());
        assertEquals(true, db().get("VDI", snap, "is_a_snapshot"));

        // a record the database lost comes back with a scan; one whose disk is gone goes
        db().delete("VDI", snap);
        host.ok("SR.scan", session, sr);
        assertTrue(db().getAll("VDI").stream().anyMatch(v -> sr.equals(db().get("VDI", v, "SR")) && !v.equals(vdi)));
        assertTrue((Long) db().get("SR", sr, "virtual_allocation") >= 4 << 20);

        assertEquals(List.of("SR_HAS_PBD", sr), host.err("SR.destroy", session, sr));
        host.ok("PBD.unplug", session, pbd);
        assertEquals(false, db().get("PBD", pbd, "currently_attached"));
        // the driver refuses to delete an SR that still has disks (sm's SRNotEmpty, 39)
        assertEquals(List.of("SR_NOT_EMPTY"), host.err("SR.destroy", session, sr));
        assertTrue(db().exists("SR", sr));
        assertEquals(false, db().get("PBD", pbd, "currently_attached"));
        host.ok("PBD.plug", session, pbd);
        for (String v : db().getAll("VDI")) {
            if (sr.equals(db().get("VDI", v, "SR"))) host.ok("VDI.destroy", session, v);
        }
        host.ok("PBD.unplug", session, pbd);
        host.ok("SR.destroy", session, sr);
        assertFalse(db().exists("SR", sr));
        assertFalse(db().exists("PBD", pbd));
        assertFalse(Files.exists(location.resolve(location0 + ".qcow2")));
    }

    @Test
    void dummySrAndRefusals() {
        String sr = createSr("dummy", Map.of(), "dummies");
        String vdi = (String) host.ok("VDI.create", session, vdiRecord(sr, 1 << 20, "d"));
        assertEquals(sr, db().get("VDI", vdi, "SR"));
        host.ok("VDI.destroy", session, vdi);
        assertFalse(db().exists("VDI", vdi));
        host.ok("PBD.unplug", session, pbdOf(sr));
        host.ok("SR.forget", session, sr);
        assertEquals(
                List.of("SR_UNKNOWN_DRIVER", "nosuch"),
                host.err("SR.create", session, hostRef, Map.of(), "0", "n", "", "nosuch", "", false, Map.of()));
        int before = db().getAll("SR").size();
        List<String> e = host.err(
                "SR.create",
                session,
                hostRef,
                Map.of("location", "relative/dir"),
                "0",
                "n",
                "",
                "file",
                "",
                false,
                Map.of());
        assertTrue(e.get(0).startsWith("SR_BACKEND_FAILURE_"), e.toString());
        assertEquals(before, db().getAll("SR").size(), "a refused create leaves no SR");
        assertEquals(
                List.of("VALUE_NOT_SUPPORTED", "SRmaster", "true", "This key is for internal use only"),
                host.err(
                        "SR.create",
                        session,
                        hostRef,
                        Map.of("SRmaster", "true"),
                        "0",
                        "n",
                        "",
                        "dummy",
                        "",
                        false,
                        Map.of()));
    }

    @Test
    void isoLibraryScanIntroducesImages() throws Exception {
        Path lib = dir.resolve("isos");
        Files.createDirectories(lib);
        Files.write(lib.resolve("debian.iso"), new byte[4096]);
        String sr = (String) host.ok(
                "SR.create",
                session,
                hostRef,
                Map.of("location", lib.toString(), "legacy_mode", "true"),
                "0",
                "ISOs",
                "",
                "iso",
                "iso",
                false,
                Map.of());
        host.ok("SR.scan", session, sr);
        List<String> vdis = db().getAll("VDI").stream()
                .filter(v -> sr.equals(db().get("VDI", v, "SR")))
                .toList();
        assertEquals(1, vdis.size());
        assertEquals("debian.iso", db().get("VDI", vdis.get(0), "location"));
        assertEquals(true, db().get("VDI", vdis.get(0), "read_only"));
    }
}
