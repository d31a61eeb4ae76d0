package org.xapijava.server.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

/** SR and PBD record messages (introduce, forget, set_shared, names, PBD create/destroy) through the dispatcher. */
class SrRecordsTest {
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

    static String introduce(String uuid, String name) {
        return (String) host.ok("SR.introduce", session, uuid, name, "d", "Dummy", "user", false, Map.of("k", "v"));
    }

    static String pbd(String sr, Map<String, String> config) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("host", hostRef);
        r.put("SR", sr);
        r.put("device_config", config);
        r.put("other_config", Map.of());
        return (String) host.ok("PBD.create", session, r);
    }

    @Test
    void introduceMakesAnSrWithoutPbdsAndRefusesADuplicateUuid() {
        String uuid = "6f7a2f9e-7d8f-4b3b-9c59-1d3d3e1a0a01";
        String sr = introduce(uuid, "intro");
        Database db = db();
        assertEquals(uuid, db.get("SR", sr, "uuid"));
        assertEquals("dummy", db.get("SR", sr, "type"));
        assertEquals(-1L, db.get("SR", sr, "physical_size"));
        assertEquals(List.of(), db.get("SR", sr, "PBDs"));
        assertEquals(Map.of("k", "v"), db.get("SR", sr, "sm_config"));
        assertEquals(
                List.of("SR_UUID_EXISTS", uuid),
                host.err("SR.introduce", session, uuid, "x", "", "dummy", "", false, Map.of()));
        String fresh = introduce("", "fresh");
        assertEquals(36, ((String) db.get("SR", fresh, "uuid")).length());
    }

    @Test
    void pbdCreateChecksAndCopiesSecrets() {
        String sr = introduce("", "pbds");
        String secret =
                (String) host.ok("secret.create", session, Map.of("value", "hunter2", "other_config", Map.of()));
        String secretUuid = (String) db().get("secret", secret, "uuid");
        assertEquals(
                List.of("VALUE_NOT_SUPPORTED", "SRmaster", "true", "This key is for internal use only"),
                host.err("PBD.create", session, record(sr, Map.of("SRmaster", "true"))));
        String pbd = pbd(sr, Map.of("location", "/x", "cifspassword_secret", secretUuid));
        Database db = db();
        @SuppressWarnings("unchecked")
        Map<String, String> stored = (Map<String, String>) db.get("PBD", pbd, "device_config");
        String copy = stored.get("cifspassword_secret");
        assertFalse(copy.equals(secretUuid), "the PBD owns a copy of the secret");
        String copyRef = (String) host.ok("secret.get_by_uuid", session, copy);
        assertEquals("hunter2", host.ok("secret.get_value", session, copyRef));
        assertEquals(false, db.get("PBD", pbd, "currently_attached"));
        assertEquals(List.of("PBD_EXISTS", sr, hostRef, pbd), host.err("PBD.create", session, record(sr, Map.of())));
        host.ok("PBD.destroy", session, pbd);
        assertEquals(List.of("UUID_INVALID", "secret", copy), host.err("secret.get_by_uuid", session, copy));
        assertEquals(secretUuid, host.ok("secret.get_uuid", session, secret), "the original secret stays");
    }

    static Map<String, Object> record(String sr, Map<String, String> config) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("host", hostRef);
        r.put("SR", sr);
        r.put("device_config", config);
        r.put("other_config", Map.of());
        return r;
    }

    @Test
    void attachedPbdBlocksDestroyAndForget() {
        String sr = introduce("", "attached");
        String pbd = pbd(sr, Map.of());
        db().set("PBD", pbd, "currently_attached", true);
        assertEquals(
                List.of("OPERATION_NOT_ALLOWED", "PBD is currently attached"), host.err("PBD.destroy", session, pbd));
        assertEquals(List.of("SR_HAS_PBD", sr), host.err("SR.forget", session, sr));
        assertTrue(db().exists("SR", sr));
        db().set("PBD", pbd, "currently_attached", false);
        host.ok("SR.forget", session, sr);
        assertFalse(db().exists("SR", sr));
        assertFalse(db().exists("PBD", pbd));
    }

    @Test
    void forgetRemovesVdiRecords() {
        String sr = introduce("", "with-vdi");
        String v = "OpaqueRef:" + java.util.UUID.randomUUID();
        Map<String, Object> vdi = new LinkedHashMap<>();
        vdi.put("uuid", java.util.UUID.randomUUID().toString());
        vdi.put("SR", sr);
        vdi.put("location", "loc");
        db().create("VDI", v, vdi);
        assertTrue(db().exists("VDI", v));
        host.ok("SR.forget", session, sr);
        assertFalse(db().exists("VDI", v));
    }

    @Test
    void sharedAndNames() {
        String sr = introduce("", "names");
        assertEquals(List.of("SR_HAS_NO_PBDS", sr), host.err("SR.set_name_label", session, sr, "n"));
        String pbd = pbd(sr, Map.of());
        db().set("PBD", pbd, "currently_attached", true);
        host.ok("SR.set_name_label", session, sr, "renamed");
        host.ok("SR.set_name_description", session, sr, "described");
        assertEquals("renamed", db().get("SR", sr, "name_label"));
        assertEquals("described", db().get("SR", sr, "name_description"));
        host.ok("SR.set_shared", session, sr, true);
        host.ok("SR.set_shared", session, sr, false);
        assertEquals(false, db().get("SR", sr, "shared"));
        db().set("PBD", pbd, "currently_attached", false);
        host.ok("SR.forget", session, sr);
    }

    @Test
    void makeIsDeprecatedAndSupportedTypesComeFromSmRecords() {
        assertEquals(
                List.of("MESSAGE_DEPRECATED"),
                host.err("SR.make", session, hostRef, Map.of(), "0", "n", "d", "dummy", "", Map.of()));
        @SuppressWarnings("unchecked")
        List<String> types = (List<String>) host.ok("SR.get_supported_types", session);
        List<String> sm = db().getAll("SM").stream()
                .map(s -> (String) db().get("SM", s, "type"))
                .toList();
        assertEquals(sm, types);
        assertTrue(types.contains("file"), types.toString());
    }
}
