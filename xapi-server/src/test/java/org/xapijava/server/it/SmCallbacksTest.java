package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.Session;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.enums.VdiType;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;
import org.xapijava.server.TestHost;
import org.xapijava.server.client.XmlRpcTransport;
import org.xapijava.server.sm.SmSessions;

/**
 * The storage plugins' callbacks over the Unix socket, with the typed client as a plugin's {@code XenAPI.py} would
 * make them: an SM session ({@link SmSessions}) for SR A may make the SM-only calls on A, and is refused
 * ({@code PERMISSION_DENIED [""]}) on SR B; root's own session is refused too; everything else (RBAC, reads) passes.
 */
class SmCallbacksTest {
    @TempDir
    static Path dir;

    static TestHost host;
    static XmlRpcTransport unix;
    static XenApi root;
    static String srA;
    static String srB;
    static Db data;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir);
        data = host.server.services().data();
        unix = XmlRpcTransport.unix(dir.resolve("xapi.sock"), Duration.ofSeconds(30));
        XenApi anon = new XenApi(unix, null);
        root = anon.withSession(anon.session().loginWithPassword("root", "", "1.0", "test"));
        for (String sr : data.all(SR.XAPI_CLASS)) {
            if (data.get(sr, SR.IS_TOOLS_SR)) srB = sr;
            else if (!data.where(PBD.SR, sr).isEmpty()) srA = sr;
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (unix != null) unix.close();
        if (host != null) host.close();
    }

    private static String introduce(XenApi api, String sr, String uuid, String location) {
        return api.vdi()
                .dbIntroduce(
                        uuid,
                        "name " + location,
                        "desc",
                        sr,
                        VdiType.USER,
                        false,
                        false,
                        Map.of("k", "v"),
                        location,
                        Map.of(),
                        Map.of("type", "raw"),
                        true,
                        1L << 30,
                        4096,
                        Refs.NULL,
                        false,
                        DateTime.EPOCH,
                        Refs.NULL,
                        false);
    }

    private static List<String> error(Runnable r) {
        ApiError e = assertThrows(ApiError.class, r::run);
        return e.description();
    }

    /** What the drivers read besides the API: the inventory file and the records they look up through it (§3.2). */
    @Test
    void theInventoryAndTheRecordsTheDriversLookUp() throws Exception {
        List<String> lines = Files.readAllLines(dir.resolve("xensource-inventory"));
        String installation = value(lines, "INSTALLATION_UUID");
        String dom0Uuid = value(lines, "CONTROL_DOMAIN_UUID");
        assertFalse(value(lines, "PRODUCT_BRAND").isEmpty());
        assertFalse(value(lines, "BUILD_NUMBER").isEmpty());
        String me = data.byUuid(Host.XAPI_CLASS, installation);
        String dom0 = data.byUuid(VM.XAPI_CLASS, dom0Uuid);
        assertTrue(data.get(dom0, VM.IS_CONTROL_DOMAIN));
        assertEquals(me, data.get(dom0, VM.RESIDENT_ON));
        assertTrue(data.get(me, Host.OTHER_CONFIG) != null);
        String pool = data.all(Pool.XAPI_CLASS).getFirst();
        assertTrue(data.get(pool, Pool.RESTRICTIONS).containsKey("restrict_read_caching"));
    }

    /** The value of {@code KEY='value'}, quotes required. */
    private static String value(List<String> lines, String key) {
        for (String l : lines) {
            if (l.startsWith(key + "=")) {
                String v = l.substring(key.length() + 1);
                assertTrue(v.length() >= 2 && v.startsWith("'") && v.endsWith("'"), l);
                return v.substring(1, v.length() - 1);
            }
        }
        throw new AssertionError("no " + key);
    }

    @Test
    void anSmSessionIsAPasswordLessLocalSuperuserScopedToItsSr() {
        String s = host.server.smSessions().open(srA);
        try {
            assertEquals(SmSessions.USER_NAME, data.get(s, Session.AUTH_USER_NAME));
            assertTrue(data.get(s, Session.IS_LOCAL_SUPERUSER));
            assertFalse(data.get(s, Session.POOL));
            assertEquals("xapi", data.get(s, Session.ORIGINATOR));
            assertEquals(Map.of("_sm_session", srA), data.get(s, Session.OTHER_CONFIG));
            assertEquals("", data.get(s, Session.AUTH_USER_SID));
            // it works as any session: reads through RBAC
            assertFalse(root.withSession(s).sr().getAll().isEmpty());
        } finally {
            host.server.smSessions().close(s);
        }
        assertEquals(
                List.of("SESSION_INVALID", s),
                error(() -> root.withSession(s).sr().getAll()));
        host.server.smSessions().close(s); // twice: no error
    }

    @Test
    void introduceForgetAndSettersOnTheSessionsOwnSr() {
        String s = host.server.smSessions().open(srA);
        try {
            XenApi sm = root.withSession(s);
            String uuid = UUID.randomUUID().toString();
            String vdi = introduce(sm, srA, uuid, "loc-1");
            assertEquals(uuid, data.get(vdi, VDI.UUID));
            assertEquals("loc-1", data.get(vdi, VDI.LOCATION));
            assertEquals(srA, data.get(vdi, VDI.SR));
            assertEquals(1L << 30, data.get(vdi, VDI.VIRTUAL_SIZE));
            assertEquals(Map.of("type", "raw"), data.get(vdi, VDI.SM_CONFIG));
            assertEquals(Map.of("k", "v"), data.get(vdi, VDI.OTHER_CONFIG));
            assertFalse(data.get(vdi, VDI.ALLOWED_OPERATIONS).isEmpty());

            assertEquals(
                    List.of("LOCATION_NOT_UNIQUE", srA, "loc-1"),
                    error(() -> introduce(sm, srA, UUID.randomUUID().toString(), "loc-1")));
            assertEquals(
                    List.of("UUID_INVALID", "VDI", "not-a-uuid"), error(() -> introduce(sm, srA, "not-a-uuid", "x")));

            sm.vdi().setVirtualSize(vdi, 2L << 30);
            sm.vdi().setPhysicalUtilisation(vdi, 8192);
            sm.vdi().setReadOnly(vdi, true);
            sm.vdi().setSharable(vdi, true);
            sm.vdi().setMissing(vdi, true);
            sm.vdi().setManaged(vdi, true);
            sm.vdi().setIsASnapshot(vdi, true);
            sm.vdi().setSnapshotTime(vdi, DateTime.parse("20260101T00:00:00Z"));
            sm.vdi().setCbtEnabled(vdi, true);
            assertEquals(2L << 30, data.get(vdi, VDI.VIRTUAL_SIZE));
            assertEquals(8192L, data.get(vdi, VDI.PHYSICAL_UTILISATION));
            assertTrue(data.get(vdi, VDI.READ_ONLY));
            assertTrue(data.get(vdi, VDI.SHARABLE));
            assertTrue(data.get(vdi, VDI.MISSING));
            assertTrue(data.get(vdi, VDI.IS_A_SNAPSHOT));
            assertTrue(data.get(vdi, VDI.CBT_ENABLED));
            sm.sr().setPhysicalSize(srA, 1L << 40);
            sm.sr().setPhysicalUtilisation(srA, 1L << 20);
            sm.sr().setVirtualAllocation(srA, 1L << 31);
            assertEquals(1L << 40, data.get(srA, SR.PHYSICAL_SIZE));
            assertEquals(1L << 31, data.get(srA, SR.VIRTUAL_ALLOCATION));

            // db_forget: the record goes, a CD drive holding it is emptied, a disk VBD goes with it
            String dom0 = data.where(VM.IS_CONTROL_DOMAIN, true).getFirst();
            String disk = data.create(FieldValues.of(VBD.XAPI_CLASS)
                    .with(VBD.UUID, UUID.randomUUID().toString())
                    .with(VBD.VM, dom0)
                    .with(VBD.VDI, vdi)
                    .with(VBD.TYPE, "Disk")
                    .with(VBD.USERDEVICE, "7"));
            String cd = data.create(FieldValues.of(VBD.XAPI_CLASS)
                    .with(VBD.UUID, UUID.randomUUID().toString())
                    .with(VBD.VM, dom0)
                    .with(VBD.VDI, vdi)
                    .with(VBD.TYPE, "CD")
                    .with(VBD.USERDEVICE, "8"));
            sm.vdi().dbForget(vdi);
            assertFalse(data.exists(VDI.XAPI_CLASS, vdi));
            assertFalse(data.exists(VBD.XAPI_CLASS, disk));
            assertTrue(data.get(cd, VBD.EMPTY));
            assertEquals(Refs.NULL, data.get(cd, VBD.VDI));
            data.delete(VBD.XAPI_CLASS, cd);
            // the location is free again
            sm.vdi().dbForget(introduce(sm, srA, UUID.randomUUID().toString(), "loc-1"));
        } finally {
            host.server.smSessions().close(s);
        }
    }

    @Test
    void refusedOnAnotherSrAndForRootsOwnSession() {
        String s = host.server.smSessions().open(srA);
        String onB = host.server.smSessions().open(srB);
        try {
            XenApi sm = root.withSession(s);
            List<String> denied = List.of("PERMISSION_DENIED", "");
            String uuid = UUID.randomUUID().toString();
            assertEquals(denied, error(() -> introduce(sm, srB, uuid, "b-1")));
            assertEquals(denied, error(() -> sm.sr().setPhysicalSize(srB, 1)));
            assertEquals(denied, error(() -> sm.sr().setVirtualAllocation(srB, 1)));
            String pbdB = data.where(PBD.SR, srB).getFirst();
            assertEquals(denied, error(() -> sm.pbd().setDeviceConfig(pbdB, Map.of())));
            // root, over the Unix socket: RBAC lets it through, the SM check does not
            assertEquals(denied, error(() -> introduce(root, srA, uuid, "a-1")));
            assertEquals(denied, error(() -> root.sr().setPhysicalUtilisation(srA, 1)));

            // a VDI of B: its setters are refused to A's session and to root
            String vdiB = introduce(root.withSession(onB), srB, uuid, "b-1");
            long size = data.get(vdiB, VDI.VIRTUAL_SIZE);
            assertEquals(denied, error(() -> sm.vdi().setVirtualSize(vdiB, 1)));
            assertEquals(denied, error(() -> root.vdi().setVirtualSize(vdiB, 1)));
            assertEquals(denied, error(() -> sm.vdi().dbForget(vdiB)));
            assertEquals(denied, error(() -> sm.vdi().setSnapshotOf(vdiB, Refs.NULL)));
            assertEquals(denied, error(() -> sm.vdi().setMetadataOfPool(vdiB, Refs.NULL)));
            assertEquals(size, data.get(vdiB, VDI.VIRTUAL_SIZE));
            root.withSession(onB).vdi().dbForget(vdiB);

            // PBD.set_device_config by the SR's own session; SRmaster is xapi's key
            String pbdA = data.where(PBD.SR, srA).getFirst();
            Map<String, String> dc = data.get(pbdA, PBD.DEVICE_CONFIG);
            assertEquals(
                    List.of("VALUE_NOT_SUPPORTED", "SRmaster", "true", "This key is for internal use only"),
                    error(() -> sm.pbd().setDeviceConfig(pbdA, Map.of("SRmaster", "true"))));
            sm.pbd().setDeviceConfig(pbdA, dc);
            assertEquals(dc, data.get(pbdA, PBD.DEVICE_CONFIG));
        } finally {
            host.server.smSessions().close(s);
            host.server.smSessions().close(onB);
        }
    }
}
