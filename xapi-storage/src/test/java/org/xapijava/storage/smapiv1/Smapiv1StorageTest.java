package org.xapijava.storage.smapiv1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.storage.AttachInfo;
import org.xapijava.storage.DirectImage;
import org.xapijava.storage.SmError;
import org.xapijava.storage.Smapiv2;
import org.xapijava.storage.StorageContext;
import org.xapijava.storage.StorageException;
import org.xapijava.storage.VdiInfo;
import org.xapijava.storage.smapiv1.VdiAutomaton.State;

class Smapiv1StorageTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SR = "sr-uuid";
    private static final StorageContext CTX = new StorageContext("test", "OpaqueRef:task", "OpaqueRef:NULL");

    @TempDir
    Path dir;

    Path log;
    Path stateDir;
    FakeHost host;
    Smapiv1Executor exec;
    DriverInfo driver;
    Smapiv1Storage storage;
    Map<String, String> dc;

    @BeforeEach
    void setUp() throws Exception {
        Path drv = ScriptedPlugins.install(dir, "RecordSR", "RecordSR");
        log = dir.resolve("log.jsonl");
        stateDir = dir.resolve("nonpersistent");
        host = new FakeHost(dir.resolve("db.json"));
        dc = new LinkedHashMap<>(Map.of("log", log.toString(), "db", host.db.toString(), "dir", "/srv/sr"));
        host.addSr(SR, dc);
        exec = new Smapiv1Executor(Smapiv1Executor.Config.defaults(null));
        driver = new DriverDiscovery(exec, FakeHost.HOST).query("Record", drv);
        storage = new Smapiv1Storage(exec, host, List.of(driver), stateDir);
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> calls() throws Exception {
        List<Map<String, Object>> out = new ArrayList<>();
        if (!Files.exists(log)) return out;
        for (String l : Files.readAllLines(log)) out.add(JSON.readValue(l, Map.class));
        return out;
    }

    private List<String> commands() throws Exception {
        return calls().stream().map(c -> (String) c.get("command")).toList();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> last(String command) throws Exception {
        Map<String, Object> found = null;
        for (Map<String, Object> c : calls()) if (command.equals(c.get("command"))) found = c;
        assertNotNull(found, command);
        return (Map<String, Object>) found.get("struct");
    }

    private void fail(String command) {
        Map<String, String> m = new LinkedHashMap<>(dc);
        if (command != null) m.put("fail", command);
        host.deviceConfigs.put(host.srRef(SR), m);
    }

    private String attachedVdi() {
        storage.srAttach(CTX, SR, "record", dc);
        return storage.vdiCreate(CTX, SR, VdiInfo.request("", "disk", "", "user", 1 << 20, false, false, Map.of()))
                .location();
    }

    @Test
    @SuppressWarnings("unchecked")
    void srAttachIsIdempotentAndPersisted() throws Exception {
        storage.srAttach(CTX, SR, "record", dc);
        storage.srAttach(CTX, SR, "record", dc);
        assertEquals(List.of("sr_attach"), commands());
        Map<String, Object> s = last("sr_attach");
        assertEquals("true", ((Map<String, String>) s.get("device_config")).get("SRmaster"));
        assertEquals("OpaqueRef:" + SR, s.get("sr_ref"));
        assertEquals(SR, s.get("sr_uuid"));
        assertEquals("OpaqueRef:task", s.get("subtask_of"));
        assertEquals(FakeHost.HOST, s.get("host_ref"));
        assertEquals("OpaqueRef:session-1", s.get("session_ref"));
        assertEquals(0, host.sessionsOpen.get());
        assertEquals(List.of("OpaqueRef:" + SR), host.sessionScopes);
        assertTrue(storage.srAttached(SR));
        assertTrue(new Smapiv1Storage(exec, host, List.of(driver), stateDir).srAttached(SR));
        StorageException e = assertThrows(StorageException.class, () -> storage.srAttach(CTX, "x", "nfs", dc));
        assertEquals(List.of("SR_UNKNOWN_DRIVER", "nfs"), e.xapiError().description());
    }

    @Test
    void vdiCallsNeedAnAttachedSr() {
        StorageException e = assertThrows(StorageException.class, () -> storage.srScan(CTX, SR));
        assertEquals(
                List.of("SR_NOT_ATTACHED", "OpaqueRef:" + SR), e.xapiError().description());
    }

    @Test
    @SuppressWarnings("unchecked")
    void vdiCreateSendsXapisArgumentsAndRereadsTheDatabase() throws Exception {
        storage.srAttach(CTX, SR, "record", dc);
        VdiInfo v = storage.vdiCreate(
                CTX, SR, VdiInfo.request("", "my disk", "desc", "user", 4096, false, false, Map.of("k", "v")));
        Map<String, Object> s = last("vdi_create");
        assertEquals(List.of("4096", "my disk", "desc", "", "false", "19700101T00:00:00Z", "", "false"), s.get("args"));
        assertEquals("user", s.get("vdi_type"));
        assertEquals(Map.of("k", "v"), s.get("vdi_sm_config"));
        assertFalse(s.containsKey("vdi_uuid"));
        assertEquals("my disk", v.nameLabel());
        assertEquals(4096, v.virtualSize());
        assertEquals("vdi-" + v.uuid(), v.location());

        VdiInfo w = storage.vdiCreate(CTX, SR, VdiInfo.request("chosen", "b", "", "user", 1, false, false, Map.of()));
        assertEquals("chosen", w.uuid());
        assertEquals("chosen", last("vdi_create").get("vdi_uuid"));

        VdiInfo r = storage.vdiResize(CTX, SR, v.location(), 8192);
        assertEquals(8192, r.virtualSize());
        assertEquals(List.of("8192"), last("vdi_resize").get("args"));
        assertEquals(v.location(), last("vdi_resize").get("vdi_location"));
        assertEquals("OpaqueRef:vdi-" + v.location(), last("vdi_resize").get("vdi_ref"));
        assertEquals("persist", last("vdi_resize").get("vdi_on_boot"));

        host.setContentId("OpaqueRef:vdi-" + v.location(), "cid");
        VdiInfo snap = storage.vdiSnapshot(CTX, SR, v.location(), Map.of("p", "1"));
        assertEquals(Map.of("p", "1"), last("vdi_snapshot").get("driver_params"));
        assertEquals("cid", host.contentId("OpaqueRef:vdi-" + snap.location()));
        assertEquals("OpaqueRef:vdi-" + snap.location(), last("vdi_update").get("vdi_ref"));
        assertEquals(List.of(snap), storage.vdiSimilarContent(CTX, SR, v.location()));

        storage.vdiDestroy(CTX, SR, snap.location());
        assertNull(host.vdiRef("", snap.location()));
        StorageException e = assertThrows(StorageException.class, () -> storage.vdiStat(CTX, SR, snap.location()));
        assertEquals("INTERNAL_ERROR", e.xapiError().code());
    }

    @Test
    @SuppressWarnings("unchecked")
    void probeAndScanAndStat() throws Exception {
        assertEquals(
                "<SRlist><SR><UUID>probed</UUID></SR></SRlist>", storage.srProbe(CTX, "record", dc, Map.of("s", "1")));
        Map<String, Object> s = last("sr_probe");
        assertEquals(Map.of("s", "1"), s.get("sr_sm_config"));
        assertFalse(s.containsKey("sr_ref"));
        assertEquals("true", ((Map<String, String>) s.get("device_config")).get("SRmaster"));
        assertEquals("null", host.sessionScopes.getLast());

        host.master = false;
        String vdi = attachedVdi();
        assertEquals(
                List.of(vdi),
                storage.srScan(CTX, SR).stream().map(VdiInfo::location).toList());
        assertEquals("false", ((Map<String, String>) last("sr_scan").get("device_config")).get("SRmaster"));
        assertEquals(100, storage.srStat(CTX, SR).physicalSize());
        assertEquals("sr_update", commands().getLast());
    }

    @Test
    void datapathLifecycle() throws Exception {
        String vdi = attachedVdi();
        String ref = "OpaqueRef:vdi-" + vdi;
        host.setContentId(ref, "old");
        AttachInfo a = storage.vdiAttach(CTX, "vbd/1/xvda", SR, vdi, "1", true);
        assertEquals(Path.of("/srv/sr", vdi), a.path());
        assertEquals("/srv/sr/" + vdi, a.params());
        assertEquals("nbd:unix:/run/x:exportname=" + vdi, a.paramsNbd());
        assertFalse(a.oDirect());
        assertEquals("test", a.oDirectReason());
        assertTrue(a.readWrite());
        assertEquals(1, a.xenstoreData().size());
        assertEquals(List.of("true"), last("vdi_attach").get("args"));
        assertEquals("true", host.vdiInfo(ref).smConfig().get("read-caching-enabled-on-host-uuid"));
        assertEquals("test", host.vdiInfo(ref).smConfig().get("read-caching-reason-host-uuid"));

        // attaching again from the same datapath runs nothing and answers the same
        assertEquals(a, storage.vdiAttach(CTX, "vbd/1/xvda", SR, vdi, "1", true));
        // a second datapath attaching read-only shares the attach
        AttachInfo ro = storage.vdiAttach(CTX, "vbd/2/xvdb", SR, vdi, "2", false);
        assertFalse(ro.readWrite());
        assertEquals(a.params(), ro.params());
        assertEquals(1, commands().stream().filter("vdi_attach"::equals).count());

        storage.vdiActivate(CTX, "vbd/1/xvda", SR, vdi, "1", true);
        assertEquals(List.of("true"), last("vdi_activate").get("args"));
        assertNull(host.contentId(ref));
        assertEquals(State.ACTIVATED_RW, storage.dpStates(SR, vdi).get("vbd/1/xvda"));

        // detach while activated is refused
        StorageException e =
                assertThrows(StorageException.class, () -> storage.vdiDetach(CTX, "vbd/1/xvda", SR, vdi, "1"));
        assertEquals("INTERNAL_ERROR", e.xapiError().code());

        storage.vdiDetach(CTX, "vbd/2/xvdb", SR, vdi, "2");
        storage.vdiDeactivate(CTX, "vbd/1/xvda", SR, vdi, "1");
        assertNotNull(host.contentId(ref));
        storage.vdiDetach(CTX, "vbd/1/xvda", SR, vdi, "1");
        assertEquals(
                List.of("sr_attach", "vdi_create", "vdi_attach", "vdi_activate", "vdi_deactivate", "vdi_detach"),
                commands());
        assertEquals(Map.of(), storage.dpStates(SR, vdi));
        assertNull(host.vdiInfo(ref).smConfig().get("read-caching-enabled-on-host-uuid"));
        // detaching what is detached is a no-op
        storage.vdiDetach(CTX, "vbd/1/xvda", SR, vdi, "1");
        assertEquals(6, commands().size());
    }

    @Test
    void illegalTransitions() {
        String vdi = attachedVdi();
        StorageException e =
                assertThrows(StorageException.class, () -> storage.vdiActivate(CTX, "dp", SR, vdi, "", true));
        assertEquals("INTERNAL_ERROR", e.xapiError().code());
        storage.vdiAttach(CTX, "dp", SR, vdi, "", false);
        // no upgrade of a read-only attach, from the same datapath or another
        assertThrows(StorageException.class, () -> storage.vdiAttach(CTX, "dp", SR, vdi, "", true));
        assertThrows(StorageException.class, () -> storage.vdiAttach(CTX, "dp2", SR, vdi, "", true));
        assertEquals(Map.of("dp", State.ATTACHED_RO), storage.dpStates(SR, vdi));
        assertTrue(storage.dpDiagnostics(CTX).contains("Illegal transition"));
    }

    @Test
    void aDirectReadHoldsOffAReadWriteAttachAndWhatWouldChangeTheImage() throws Exception {
        // a record driver is no file driver: nothing is read directly
        String other = attachedVdi();
        assertNull(storage.vdiOpenDirect(CTX, SR, other, dc));
        assertFalse(storage.vdiAttachedReadWrite(SR, other));

        String sr = "5e0a3c1e-2b7f-4c8e-9a61-0d3f3b1c2a10";
        String loc = "7d1c2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
        Path srDir = Files.createDirectories(dir.resolve("file-sr"));
        Files.writeString(srDir.resolve(loc + ".qcow2"), "");
        Map<String, String> fdc = new LinkedHashMap<>(dc);
        fdc.put("location", srDir.toString());
        host.addSr(sr, fdc);
        Files.writeString(dir.resolve("smfile.py"), ""); // beside the driver: the bundled file drivers' layout
        DriverInfo file = new DriverInfo(
                "file",
                driver.driverFilename(),
                driver.name(),
                driver.description(),
                driver.vendor(),
                driver.copyright(),
                driver.driverVersion(),
                driver.requiredApiVersion(),
                driver.features(),
                driver.configuration(),
                driver.supportedImageFormats());
        Smapiv1Storage s = new Smapiv1Storage(exec, host, List.of(file), dir.resolve("state-file"));
        s.srAttach(CTX, sr, "file", fdc);
        s.vdiIntroduce(CTX, sr, loc, Map.of(), loc);

        DirectImage image = s.vdiOpenDirect(CTX, sr, loc, fdc);
        assertEquals(srDir.resolve(loc + ".qcow2"), image.file());
        assertEquals("qcow2", image.format());
        StorageException rw = assertThrows(StorageException.class, () -> s.vdiAttach(CTX, "rw", sr, loc, "", true));
        assertEquals(
                List.of(
                        "INTERNAL_ERROR",
                        "Storage_error(Illegal_transition): Illegal transition from activated RO by activated RW"),
                rw.xapiError().description());
        assertEquals(
                SmError.VDI_IN_USE,
                assertThrows(StorageException.class, () -> s.vdiResize(CTX, sr, loc, 2 << 20))
                        .error());
        assertEquals(
                SmError.VDI_IN_USE,
                assertThrows(StorageException.class, () -> s.vdiDestroy(CTX, sr, loc))
                        .error());
        assertEquals(
                SmError.VDI_IN_USE,
                assertThrows(StorageException.class, () -> s.vdiRevert(CTX, sr, loc, loc))
                        .error());

        assertEquals(
                SmError.VDI_IN_USE,
                assertThrows(StorageException.class, () -> s.srDetach(CTX, sr)).error());
        assertTrue(s.srAttached(sr));

        // read-only attaches and other readers go on; the hold lasts until the last reader closes
        s.vdiAttach(CTX, "ro", sr, loc, "", false);
        DirectImage second = s.vdiOpenDirect(CTX, sr, loc, fdc);
        assertNotNull(second);
        image.close();
        image.close();
        assertThrows(StorageException.class, () -> s.vdiAttach(CTX, "rw", sr, loc, "", true));
        second.close();
        s.dpDestroy(CTX, "ro");
        s.vdiAttach(CTX, "rw", sr, loc, "", true);
        assertTrue(s.vdiAttachedReadWrite(sr, loc));
        assertNull(s.vdiOpenDirect(CTX, sr, loc, fdc), "attached read-write: read through a datapath");
        s.dpDestroy(CTX, "rw");
        assertFalse(s.vdiAttachedReadWrite(sr, loc));
        s.vdiOpenDirect(CTX, sr, loc, fdc).close();
        s.vdiResize(CTX, sr, loc, 2 << 20);
    }

    @Test
    void stateSurvivesARestart() throws Exception {
        String vdi = attachedVdi();
        storage.vdiAttach(CTX, "vbd/1/xvda", SR, vdi, "1", true);
        storage.vdiActivate(CTX, "vbd/1/xvda", SR, vdi, "1", true);
        Smapiv1Storage restarted = new Smapiv1Storage(exec, host, List.of(driver), stateDir);
        assertTrue(restarted.srAttached(SR));
        assertEquals(Map.of("vbd/1/xvda", State.ACTIVATED_RW), restarted.dpStates(SR, vdi));
        AttachInfo again = restarted.vdiAttach(CTX, "vbd/1/xvda", SR, vdi, "1", true);
        assertEquals("/srv/sr/" + vdi, again.params());
        assertEquals(1, commands().stream().filter("vdi_attach"::equals).count());
        restarted.dpDestroy(CTX, "vbd/1/xvda");
        assertEquals(List.of("vdi_deactivate", "vdi_detach"), commands().subList(4, 6));
        assertEquals(Map.of(), new Smapiv1Storage(exec, host, List.of(driver), stateDir).dpStates(SR, vdi));
    }

    @Test
    void aFailedStepKeepsTheStateWhereItFailed() throws Exception {
        String vdi = attachedVdi();
        fail("vdi_activate");
        storage.vdiAttach(CTX, "dp", SR, vdi, "", true);
        StorageException e =
                assertThrows(StorageException.class, () -> storage.vdiActivate(CTX, "dp", SR, vdi, "", true));
        assertEquals(
                List.of("SR_BACKEND_FAILURE_46", "", "The VDI is not available", "failing vdi_activate"),
                e.xapiError().description());
        assertEquals(SmError.VDI_UNAVAILABLE, e.error());
        assertEquals(Map.of("dp", State.ATTACHED_RW), storage.dpStates(SR, vdi));
        assertTrue(storage.dpDiagnostics(CTX).contains("The VDI is not available"));
    }

    @Test
    void leakedDatapathsAreRetriedBeforeTheNextAttach() throws Exception {
        String vdi = attachedVdi();
        storage.vdiAttach(CTX, "dp", SR, vdi, "", true);
        fail("vdi_detach");
        assertThrows(StorageException.class, () -> storage.dpDestroy(CTX, "dp"));
        assertEquals(List.of("dp"), storage.leaked(SR, vdi));
        assertEquals(List.of("dp"), new Smapiv1Storage(exec, host, List.of(driver), stateDir).leaked(SR, vdi));
        // still failing: the new attach is refused
        assertThrows(StorageException.class, () -> storage.vdiAttach(CTX, "dp2", SR, vdi, "", true));
        fail(null);
        storage.vdiAttach(CTX, "dp2", SR, vdi, "", true);
        assertEquals(Map.of("dp2", State.ATTACHED_RW), storage.dpStates(SR, vdi));
        assertEquals(List.of(), storage.leaked(SR, vdi));
        assertFalse(storage.dpDiagnostics(CTX).contains("detached"));
        assertEquals(
                List.of("vdi_detach", "vdi_detach", "vdi_detach", "vdi_attach"),
                commands().subList(3, 7));

        // a leaked datapath is retried by epoch_begin too; once torn down the VDI leaves the table
        fail("vdi_detach");
        assertThrows(StorageException.class, () -> storage.dpDestroy(CTX, "dp2"));
        fail(null);
        storage.vdiEpochBegin(CTX, SR, vdi, "", true);
        assertEquals(
                List.of("vdi_detach", "vdi_epoch_begin"),
                commands().subList(commands().size() - 2, commands().size()));
        assertEquals(List.of(), storage.leaked(SR, vdi));
        assertFalse(storage.dpDiagnostics(CTX).contains("VDI " + vdi));
        storage.vdiAttach(CTX, "dp2", SR, vdi, "", true);

        // with allow_leak the datapath is forgotten even though its detach fails
        fail("vdi_detach");
        storage.dpDestroy(CTX, "dp2", true);
        assertEquals(Map.of(), storage.dpStates(SR, vdi));
        assertEquals(List.of(), storage.leaked(SR, vdi));
    }

    @Test
    void dataCopyIntoGoesThroughTheAttachedPaths() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        dc.put("dir", data.toString());
        host.deviceConfigs.put(host.srRef(SR), new LinkedHashMap<>(dc));
        String src = attachedVdi();
        String dst = storage.vdiCreate(CTX, SR, VdiInfo.request("", "dst", "", "user", 8, false, false, Map.of()))
                .location();
        Files.write(data.resolve(src), new byte[] {1, 2, 3});
        Files.write(data.resolve(dst), new byte[] {9, 9, 9, 9, 9});
        storage.dataCopyInto(CTX, SR, src, SR, dst);
        org.junit.jupiter.api.Assertions.assertArrayEquals(
                new byte[] {1, 2, 3, 9, 9}, Files.readAllBytes(data.resolve(dst)));
        assertEquals(Map.of(), storage.dpStates(SR, src));
        assertEquals(Map.of(), storage.dpStates(SR, dst));
        assertEquals(
                List.of("false", "true"),
                List.of(calls().stream()
                        .filter(c -> c.get("command").equals("vdi_attach"))
                        .map(c -> ((List<?>) ((Map<?, ?>) c.get("struct")).get("args"))
                                .getFirst()
                                .toString())
                        .toArray()));
    }

    @Test
    void srDetachTearsDownDatapaths() throws Exception {
        String vdi = attachedVdi();
        storage.vdiAttach(CTX, "dp", SR, vdi, "", true);
        storage.vdiActivate(CTX, "dp", SR, vdi, "", true);
        storage.srDetach(CTX, SR);
        assertEquals(
                List.of("vdi_deactivate", "vdi_detach", "sr_detach"), commands().subList(4, 7));
        assertFalse(storage.srAttached(SR));
        assertFalse(new Smapiv1Storage(exec, host, List.of(driver), stateDir).srAttached(SR));
    }

    @Test
    void introduceEpochsComposeAndDestroy() throws Exception {
        String vdi = attachedVdi();
        VdiInfo in = storage.vdiIntroduce(CTX, SR, "new-uuid", Map.of("a", "b"), "introduced");
        assertEquals("introduced", in.location());
        Map<String, Object> s = last("vdi_introduce");
        assertEquals("introduced", s.get("vdi_location"));
        assertEquals("new-uuid", s.get("new_uuid"));
        assertEquals(Map.of("a", "b"), s.get("vdi_sm_config"));
        assertFalse(s.containsKey("vdi_ref"));
        storage.vdiEpochBegin(CTX, SR, vdi, "1", true);
        storage.vdiEpochEnd(CTX, SR, vdi, "1");
        storage.vdiCompose(CTX, SR, vdi, "introduced");
        assertEquals(List.of("OpaqueRef:vdi-" + vdi), last("vdi_compose").get("args"));
        assertEquals("OpaqueRef:vdi-introduced", last("vdi_compose").get("vdi_ref"));
        StorageException e = assertThrows(StorageException.class, () -> storage.vdiRevert(CTX, SR, "introduced", vdi));
        assertEquals(SmError.UNIMPLEMENTED, e.error());
        storage.srDestroy(CTX, SR);
        assertEquals("sr_delete", commands().getLast());
        assertFalse(storage.srAttached(SR));
    }

    @Test
    void statGenerateConfigAndCbtCalls() throws Exception {
        String vdi = attachedVdi();
        String ref = "OpaqueRef:vdi-" + vdi;
        assertEquals(vdi, storage.vdiStat(CTX, SR, vdi).location());
        assertEquals(ref, last("vdi_update").get("vdi_ref"));
        assertEquals("vdi_generate_config-" + vdi, storage.vdiGenerateConfig(CTX, SR, vdi));
        assertEquals(ref, last("vdi_generate_config").get("vdi_ref"));
        storage.vdiCbt(CTX, SR, vdi, Smapiv2.CbtCall.ENABLE);
        storage.vdiCbt(CTX, SR, vdi, Smapiv2.CbtCall.DISABLE);
        assertNull(host.contentId(ref));
        storage.vdiCbt(CTX, SR, vdi, Smapiv2.CbtCall.DATA_DESTROY);
        List<String> cs = commands();
        assertEquals(
                List.of("vdi_enable_cbt", "vdi_disable_cbt", "vdi_data_destroy"), cs.subList(cs.size() - 3, cs.size()));
        assertEquals(ref, last("vdi_data_destroy").get("vdi_ref"));
        assertEquals("/No content: this is a cbt_metadata VDI/", host.contentId(ref));
        assertEquals("vdi_list_changed_blocks-" + vdi, storage.vdiListChangedBlocks(CTX, SR, vdi, vdi));
        assertEquals(List.of(ref), last("vdi_list_changed_blocks").get("args"));
        // as Xapi's VDI.stat: a failing vdi_update is the VDI missing
        fail("vdi_update");
        StorageException e = assertThrows(StorageException.class, () -> storage.vdiStat(CTX, SR, vdi));
        assertEquals(
                List.of("INTERNAL_ERROR", "Storage_interface.Storage_error(Vdi_does_not_exist(\"" + vdi + "\"))"),
                e.xapiError().description());
        // and so is any failure of vdi_introduce, named by the location asked for
        fail("vdi_introduce");
        e = assertThrows(StorageException.class, () -> storage.vdiIntroduce(CTX, SR, "u", Map.of(), "there"));
        assertEquals(
                List.of("INTERNAL_ERROR", "Storage_interface.Storage_error(Vdi_does_not_exist(\"there\"))"),
                e.xapiError().description());
    }
}
