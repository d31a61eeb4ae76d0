package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Network;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Task;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VBD;
import com.xensource.xenapi.VDI;
import com.xensource.xenapi.VIF;
import com.xensource.xenapi.VM;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;

/**
 * {@code GET /export} and {@code PUT /import} (XVA) over real HTTP with the Citrix SDK: a VM installed from a
 * template, with data on its disks, exported (plain, gzip, zstd), imported as a second VM whose disks hold the same
 * bytes and which starts; the archive's layout (ova.xml first, chunks in id order, zero chunks left out, XXH64
 * files); the same bytes for the same VM; an archive written by hand in Xapi's layout (ustar headers, SHA-1
 * checksums, ids whose string order is not their numeric order) imports; bad archives fail the task with Xapi's
 * errors and leave nothing behind.
 */
class VmExportImportTest {
    @TempDir
    static Path dir;

    static TestHost host;
    static Connection c;
    static String session;
    static SR sr;
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final int MIB = 1 << 20;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir);
        c = LifecycleSupport.login(host);
        session = c.getSessionReference();
        sr = Pool.getAll(c).iterator().next().getDefaultSR(c);
    }

    @AfterAll
    static void stop() throws Exception {
        host.close();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    static HttpResponse<byte[]> get(String path, String query) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(host.uri(path + "?session_id=" + session + "&" + query))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    static HttpResponse<byte[]> put(String path, String query, byte[] body) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(host.uri(path + "?session_id=" + session + "&" + query))
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    static Task task(HttpResponse<?> r) {
        return Types.toTask(r.headers().firstValue("task-id").orElseThrow());
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** A VM installed from a template as {@code xe vm-install} does, its system disk made {@code size} bytes. */
    static VM install(String name, long size) throws Exception {
        VM tmpl = VM.getByNameLabel(c, "Debian Bookworm 12").iterator().next();
        VM vm = tmpl.createClone(c, name);
        String xml = vm.getOtherConfig(c).get("disks");
        vm.removeFromOtherConfig(c, "disks");
        vm.addToOtherConfig(
                c,
                "disks",
                xml.replace("sr=\"\"", "sr=\"" + sr.getUuid(c) + "\"")
                        .replaceAll("size=\"[0-9]+\"", "size=\"" + size + "\""));
        vm.provision(c);
        Network mgmt = null;
        for (Map.Entry<Network, Network.Record> e : Network.getAllRecords(c).entrySet())
            if (!e.getValue().PIFs.isEmpty()) mgmt = e.getKey();
        VIF.Record vif = new VIF.Record();
        vif.VM = vm;
        vif.network = mgmt;
        vif.device = "0";
        vif.MAC = "";
        vif.MTU = 1500L;
        vif.otherConfig = new java.util.HashMap<>();
        vif.qosAlgorithmType = "";
        vif.qosAlgorithmParams = new java.util.HashMap<>();
        vif.lockingMode = Types.VifLockingMode.NETWORK_DEFAULT;
        vif.ipv4Allowed = new java.util.HashSet<>();
        vif.ipv6Allowed = new java.util.HashSet<>();
        VIF.create(c, vif);
        VBD.Record cd = new VBD.Record();
        cd.VM = vm;
        cd.VDI = Types.toVDI("OpaqueRef:NULL");
        cd.userdevice = "3";
        cd.bootable = false;
        cd.mode = Types.VbdMode.RO;
        cd.type = Types.VbdType.CD;
        cd.unpluggable = true;
        cd.empty = true;
        cd.otherConfig = new java.util.HashMap<>();
        cd.qosAlgorithmType = "";
        cd.qosAlgorithmParams = new java.util.HashMap<>();
        VBD.create(c, cd);
        return vm;
    }

    static VDI disk(VM vm, String userdevice) throws Exception {
        for (VBD b : vm.getVBDs(c)) if (b.getUserdevice(c).equals(userdevice)) return b.getVDI(c);
        throw new AssertionError("no disk " + userdevice);
    }

    static void write(VDI vdi, byte[] image) throws Exception {
        HttpResponse<byte[]> r = put("/import_raw_vdi", "vdi=" + vdi.toWireString(), image);
        assertEquals(200, r.statusCode());
        assertEquals(Types.TaskStatusType.SUCCESS, task(r).getStatus(c));
    }

    static byte[] read(VDI vdi) throws Exception {
        HttpResponse<byte[]> r = get("/export_raw_vdi", "vdi=" + vdi.toWireString());
        assertEquals(200, r.statusCode());
        return r.body();
    }

    /** The tar members of {@code xva}: name → bytes, in archive order. */
    static List<Map.Entry<String, byte[]>> members(byte[] xva) throws Exception {
        List<Map.Entry<String, byte[]>> out = new ArrayList<>();
        try (TarArchiveInputStream t = new TarArchiveInputStream(new ByteArrayInputStream(xva))) {
            for (TarArchiveEntry e; (e = t.getNextEntry()) != null; ) out.add(Map.entry(e.getName(), t.readAllBytes()));
        }
        return out;
    }

    /**
     * Imports {@code xva} under a task of the client's own, as Xen Orchestra and {@code xe} do: a server that fails
     * an import before reading all of the body closes the connection, and the client may see only that.
     */
    static Task.Record importXva(byte[] xva, String extra) throws Exception {
        Task t = Task.create(c, "import", "test");
        try {
            HttpResponse<byte[]> r =
                    put("/import", "sr_id=" + sr.toWireString() + "&task_id=" + t.toWireString() + extra, xva);
            assertEquals(200, r.statusCode(), new String(r.body()));
            assertEquals(t, task(r));
        } catch (java.io.IOException cut) {
            // the connection closed under the body: the task says why
        }
        return LifecycleSupport.awaitTask(host, c, t);
    }

    static VM importedVm(Task.Record t) {
        assertEquals(Types.TaskStatusType.SUCCESS, t.status, String.valueOf(t.errorInfo));
        String result = t.result;
        assertTrue(result.startsWith("<value><array><data><value>"), result);
        String ref = result.substring("<value><array><data><value>".length(), result.indexOf("</value></data>"));
        return Types.toVM(ref);
    }

    /** A VM with a 24 MiB system disk holding data in chunks 0 and 20 and a 3 MiB + 5 byte second disk. */
    static byte[][] sourceWithData(VM vm) throws Exception {
        byte[] d0 = new byte[24 * MIB];
        System.arraycopy(random(MIB + 3, 1), 0, d0, 0, MIB + 3);
        System.arraycopy(random(4096, 2), 0, d0, 20 * MIB + 100, 4096);
        write(disk(vm, "0"), d0);
        VDI second = VDI.create(c, LifecycleSupport.vdiRecord(sr, "data", 3L * MIB + 5));
        LifecycleSupport.diskVbd(c, vm, second, "1");
        byte[] d1 = random(3 * MIB + 5, 3);
        write(second, d1);
        return new byte[][] {d0, d1};
    }

    static int count(Set<?> s) {
        return s.size();
    }

    // ------------------------------------------------------------------------------------------------ round trips

    @Test
    void anInstalledVmExportsImportsAsASecondVmWithTheSameDisksAndStarts() throws Exception {
        VM vm = install("exported", 24L * MIB);
        byte[][] data = sourceWithData(vm);
        HttpResponse<byte[]> out = get("/export", "uuid=" + vm.getUuid(c));
        assertEquals(200, out.statusCode());
        assertEquals(
                "attachment; filename=\"export.xva\"",
                out.headers().firstValue("content-disposition").orElse(""));
        assertEquals(
                "application/octet-stream",
                out.headers().firstValue("content-type").orElse(""));
        assertEquals(Types.TaskStatusType.SUCCESS, task(out).getStatus(c));
        assertTrue(vm.getCurrentOperations(c).isEmpty());

        // the layout: ova.xml, then each disk's chunks in id order, zero chunks left out but the first and last
        List<Map.Entry<String, byte[]>> m = members(out.body());
        assertEquals("ova.xml", m.get(0).getKey());
        String ova = new String(m.get(0).getValue(), StandardCharsets.UTF_8);
        assertTrue(ova.startsWith("<value><struct><member><name>version</name>"), ova.substring(0, 80));
        assertTrue(ova.contains("<member><name>export_vsn</name><value>2</value></member>"));
        List<String> names = m.stream().skip(1).map(Map.Entry::getKey).toList();
        String first = names.get(0).substring(0, names.get(0).indexOf('/'));
        String second = names.stream()
                .map(n -> n.substring(0, n.indexOf('/')))
                .filter(n -> !n.equals(first))
                .findFirst()
                .orElseThrow();
        assertTrue(first.compareTo(second) < 0, first + " before " + second);
        for (int i = 1; i < m.size(); i += 2) {
            String name = m.get(i).getKey();
            assertEquals(name + ".xxhash", m.get(i + 1).getKey());
            assertEquals(16, m.get(i + 1).getValue().length);
        }
        // the 24 MiB disk: chunks 0, 1 (its data spills 3 bytes into it), 20 and 23; the 3 MiB + 5 disk: all four
        List<String> chunks = names.stream().filter(n -> !n.endsWith(".xxhash")).toList();
        assertEquals(8, chunks.size(), names.toString());
        List<String> numbers = chunks.stream()
                .map(n -> n.substring(n.indexOf('/') + 1))
                .sorted()
                .toList();
        assertEquals(
                List.of("00000000", "00000000", "00000001", "00000001", "00000002", "00000003", "00000020", "00000023"),
                numbers);

        int vms = count(VM.getAll(c));
        VM copy = importedVm(importXva(out.body(), ""));
        assertEquals(vms + 1, count(VM.getAll(c)));
        VM.Record r = copy.getRecord(c);
        assertEquals("exported", r.nameLabel);
        assertNotEquals(vm.getUuid(c), r.uuid);
        assertEquals(Types.VmPowerState.HALTED, r.powerState);
        assertTrue(r.currentOperations.isEmpty(), r.currentOperations.toString());
        assertTrue(r.otherConfig.containsKey("import_task"));
        assertNotEquals(vm.getOtherConfig(c).get("mac_seed"), r.otherConfig.get("mac_seed"));
        assertEquals(3, r.VBDs.size(), "two disks and the CD");
        VBD cdrom = r.VBDs.stream().filter(b -> !uncheckedDisk(b)).findFirst().orElseThrow();
        assertTrue(cdrom.getEmpty(c));
        assertEquals("3", cdrom.getUserdevice(c));
        assertArrayEquals(data[0], read(disk(copy, "0")));
        byte[] source1 = read(disk(vm, "1")); // the SR rounds a size up to whole sectors
        assertArrayEquals(data[1], Arrays.copyOf(source1, data[1].length));
        assertArrayEquals(source1, read(disk(copy, "1")));
        assertNotEquals(disk(vm, "0"), disk(copy, "0"));
        assertEquals(1, r.VIFs.size());
        VIF v = r.VIFs.iterator().next();
        assertNotEquals(vm.getVIFs(c).iterator().next().getMAC(c), v.getMAC(c), "a new MAC");
        assertEquals(vm.getVIFs(c).iterator().next().getNetwork(c), v.getNetwork(c), "the same network, by name");

        copy.start(c, false, false);
        assertEquals(Types.VmPowerState.RUNNING, copy.getPowerState(c));
        // a running VM is not exported: VM_BAD_POWER_STATE on the task, a 500 and no body
        HttpResponse<byte[]> refused = get("/export", "ref=" + copy.toWireString());
        assertEquals(500, refused.statusCode());
        Task.Record failed = task(refused).getRecord(c);
        assertEquals(Types.TaskStatusType.FAILURE, failed.status);
        assertEquals("VM_BAD_POWER_STATE", List.copyOf(failed.errorInfo).get(0));
        copy.hardShutdown(c);
    }

    @Test
    void gzipAndZstdExportsImportToTheSameDisks() throws Exception {
        VM vm = install("compressed", 8L * MIB);
        byte[] d0 = new byte[8 * MIB];
        System.arraycopy(random(2 * MIB, 5), 0, d0, 3 * MIB, 2 * MIB);
        write(disk(vm, "0"), d0);
        byte[] plain = get("/export", "ref=" + vm.toWireString()).body();

        byte[] gz = get("/export", "ref=" + vm.toWireString() + "&use_compression=true")
                .body();
        assertEquals(0x1f, gz[0] & 0xff);
        assertEquals(0x8b, gz[1] & 0xff);
        byte[] unzipped = new GZIPInputStream(new ByteArrayInputStream(gz)).readAllBytes();
        assertEquals(plain.length, unzipped.length);
        assertArrayEquals(d0, read(disk(importedVm(importXva(gz, "")), "0")));

        byte[] zst = get("/export", "ref=" + vm.toWireString() + "&use_compression=zstd")
                .body();
        assertArrayEquals(new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd}, Arrays.copyOf(zst, 4));
        assertTrue(zst.length < plain.length / 2, zst.length + " of " + plain.length);
        assertArrayEquals(d0, read(disk(importedVm(importXva(zst, "")), "0")));
    }

    @Test
    void anExportIsTheSameBytesForTheSameVm() throws Exception {
        VM vm = install("stable", 4L * MIB);
        write(disk(vm, "0"), random(4 * MIB, 9));
        byte[] a = get("/export", "ref=" + vm.toWireString()).body();
        byte[] b = get("/export", "ref=" + vm.toWireString()).body();
        List<Map.Entry<String, byte[]>> ma = members(a);
        List<Map.Entry<String, byte[]>> mb = members(b);
        assertEquals(ma.size(), mb.size());
        for (int i = 0; i < ma.size(); i++) {
            assertEquals(ma.get(i).getKey(), mb.get(i).getKey());
            assertArrayEquals(
                    ma.get(i).getValue(), mb.get(i).getValue(), ma.get(i).getKey());
        }
        // only ova.xml's modification time may differ: every byte after its header is the same
        assertArrayEquals(Arrays.copyOfRange(a, 512, a.length), Arrays.copyOfRange(b, 512, b.length));
    }

    @Test
    void aSuspendedVmKeptSuspendedImportsSuspendedAndResumes() throws Exception {
        VM vm = install("suspended", 4L * MIB);
        write(disk(vm, "0"), random(4 * MIB, 31));
        vm.setMemoryLimits(c, 64L * MIB, 64L * MIB, 64L * MIB, 64L * MIB); // a small suspend image
        vm.start(c, false, false);
        vm.suspend(c);
        assertEquals(Types.VmPowerState.SUSPENDED, vm.getPowerState(c));
        HttpResponse<byte[]> out = get("/export", "ref=" + vm.toWireString() + "&preserve_power_state=true");
        assertEquals(200, out.statusCode());
        VM copy = importedVm(importXva(out.body(), ""));
        VM.Record r = copy.getRecord(c);
        assertEquals(Types.VmPowerState.SUSPENDED, r.powerState);
        assertNotEquals(vm.getSuspendVDI(c), r.suspendVDI);
        assertArrayEquals(read(vm.getSuspendVDI(c)), read(r.suspendVDI));
        copy.resume(c, false, false);
        assertEquals(Types.VmPowerState.RUNNING, copy.getPowerState(c));
        copy.hardShutdown(c);
        // without preserve_power_state the same VM is exported Halted, without its suspend image
        VM halted =
                importedVm(importXva(get("/export", "ref=" + vm.toWireString()).body(), ""));
        assertEquals(Types.VmPowerState.HALTED, halted.getPowerState(c));
        assertTrue(halted.getSuspendVDI(c).toWireString().equals("OpaqueRef:NULL"));
    }

    @Test
    void restoreKeepsIdentityAndReplacesOnlyAnOlderVersion() throws Exception {
        VM vm = install("restored", 2L * MIB);
        byte[] d0 = random(2 * MIB, 41);
        write(disk(vm, "0"), d0);
        String uuid = vm.getUuid(c);
        String mac = vm.getVIFs(c).iterator().next().getMAC(c);
        byte[] xva = get("/export", "ref=" + vm.toWireString()).body();
        // the same VM, same version, still here: not replaced
        assertFails(xva, "&restore=true", "VM_TO_IMPORT_IS_NOT_NEWER_VERSION", vm.toWireString(), "0", "0");
        vm.destroy(c);
        VM back = importedVm(importXva(xva, "&restore=true"));
        assertEquals(uuid, back.getUuid(c));
        assertEquals(1L, back.getVersion(c));
        assertEquals(mac, back.getVIFs(c).iterator().next().getMAC(c));
        assertArrayEquals(d0, read(disk(back, "0")));
        // restored once more, over the version-1 VM: replaced (its export is version 1 too... so refused), unless
        // forced
        byte[] again = get("/export", "ref=" + back.toWireString()).body();
        Task.Record forced = importXva(again, "&restore=true&force=true");
        VM replaced = importedVm(forced);
        assertEquals(uuid, replaced.getUuid(c));
        assertEquals(2L, replaced.getVersion(c));
        assertEquals(1, VM.getByNameLabel(c, "restored").size(), "the old one is gone");
    }

    // ------------------------------------------------------------------------------------------------ bad input

    /** Objects that an import must not leave behind when it fails. */
    static int[] census() throws Exception {
        return new int[] {count(VM.getAll(c)), count(VDI.getAll(c)), count(VBD.getAll(c)), count(VIF.getAll(c))};
    }

    static void assertFails(byte[] xva, String extra, String... error) throws Exception {
        int[] before = census();
        Task.Record t = importXva(xva, extra);
        assertEquals(Types.TaskStatusType.FAILURE, t.status);
        // read as a list: the SDK's error_info is a set, which drops repeated parameters
        @SuppressWarnings("unchecked")
        List<Object> info = (List<Object>) host.ok("task.get_error_info", session, t.uuid == null ? "" : taskRef(t));
        assertEquals(List.of(error), info.subList(0, Math.min(error.length, info.size())), info.toString());
        assertArrayEquals(before, census(), "nothing left behind");
    }

    static String taskRef(Task.Record t) throws Exception {
        return Task.getByUuid(c, t.uuid).toWireString();
    }

    static byte[] smallExport() throws Exception {
        VM vm = install("small", 2L * MIB);
        write(disk(vm, "0"), random(2 * MIB, 11));
        return get("/export", "ref=" + vm.toWireString()).body();
    }

    @Test
    void badArchivesFailWithXapisErrorsAndLeaveNothing() throws Exception {
        byte[] xva = smallExport();
        // cut in the middle of the disk's data
        assertFails(Arrays.copyOf(xva, xva.length - MIB / 2), "", "IMPORT_ERROR_PREMATURE_EOF");
        // a chunk's data altered: its XXH64 no longer matches; force takes it as it is
        byte[] corrupt = xva.clone();
        int data = indexOf(corrupt, "/00000001".getBytes(StandardCharsets.US_ASCII)) + 512 + 10;
        corrupt[data] ^= 1;
        assertFails(corrupt, "", "IMPORT_ERROR");
        Task.Record forced = importXva(corrupt, "&force=true");
        assertEquals(Types.TaskStatusType.SUCCESS, forced.status, String.valueOf(forced.errorInfo));
        // a first member that is not ova.xml
        byte[] renamed = xva.clone();
        System.arraycopy("evil.xm".getBytes(StandardCharsets.US_ASCII), 0, renamed, 0, 7);
        fixChecksum(renamed, 0);
        assertFails(renamed, "", "IMPORT_ERROR_UNEXPECTED_FILE", "ova.xml", "evil.xm");
        // an export of a newer xapi
        byte[] newer = rewriteOva(
                xva,
                s -> s.replaceFirst(
                        "<name>xapi_major</name><value>[0-9]+</value>", "<name>xapi_major</name><value>99</value>"));
        assertFails(newer, "", "IMPORT_INCOMPATIBLE_VERSION");
        // a chunk member named outside its disk's directory
        byte[] traversal = xva.clone();
        int at = indexOf(traversal, "/00000001".getBytes(StandardCharsets.US_ASCII));
        int start = at;
        while (traversal[start - 1] != 0) start--;
        byte[] evil = "../../../00000001".getBytes(StandardCharsets.US_ASCII);
        Arrays.fill(traversal, start, start + 100, (byte) 0);
        System.arraycopy(evil, 0, traversal, start, evil.length);
        fixChecksum(traversal, start);
        assertFails(traversal, "", "IMPORT_ERROR");
        // not an archive at all
        assertFails("hello, world".getBytes(StandardCharsets.US_ASCII), "", "IMPORT_ERROR");
    }

    @Test
    void chunkedUploadsAndIsoSrsAreRefusedBeforeTheBody() throws Exception {
        HttpResponse<byte[]> r = HTTP.send(
                HttpRequest.newBuilder(host.uri("/import?session_id=" + session))
                        .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(new byte[1024])))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(403, r.statusCode());
        assertEquals(List.of("IMPORT_ERROR_CANNOT_HANDLE_CHUNKED"), List.copyOf(task(r).getErrorInfo(c)));
    }

    @Test
    void anImportCancelledThroughItsTaskLeavesNothing() throws Exception {
        VM vm = install("cancelled", 16L * MIB);
        write(disk(vm, "0"), random(16 * MIB, 51));
        byte[] xva = get("/export", "ref=" + vm.toWireString()).body();
        int[] before = census();
        Task t = Task.create(c, "import", "to be cancelled");
        int head = 4 * MIB; // ova.xml and the first chunks, then the body stalls until the task is cancelled
        java.util.concurrent.CountDownLatch cancelled = new java.util.concurrent.CountDownLatch(1);
        java.io.InputStream body =
                new java.io.SequenceInputStream(new ByteArrayInputStream(xva, 0, head), new java.io.InputStream() {
                    int at = head;

                    @Override
                    public int read() throws java.io.IOException {
                        try {
                            cancelled.await();
                        } catch (InterruptedException e) {
                            throw new java.io.IOException(e);
                        }
                        return at < xva.length ? xva[at++] & 0xff : -1;
                    }
                });
        var pending = HTTP.sendAsync(
                HttpRequest.newBuilder(host.uri("/import?session_id=" + session + "&sr_id=" + sr.toWireString()
                                + "&task_id=" + t.toWireString()))
                        .PUT(HttpRequest.BodyPublishers.fromPublisher(
                                HttpRequest.BodyPublishers.ofInputStream(() -> body), xva.length))
                        .build(),
                HttpResponse.BodyHandlers.discarding());
        LifecycleSupport.await(
                host,
                "objects made",
                () -> "complete".equals(t.getOtherConfig(c).get("object_creation")));
        t.cancel(c);
        cancelled.countDown();
        Task.Record r = LifecycleSupport.awaitTask(host, c, t);
        assertEquals(Types.TaskStatusType.CANCELLED, r.status, String.valueOf(r.errorInfo));
        try {
            pending.get(20, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException cut) {
            // the connection closed under the body
        }
        assertArrayEquals(before, census(), "nothing half-made left");
    }

    @Test
    void aClientThatStopsReadingEndsTheExportAndFreesTheVm() throws Exception {
        VM vm = install("abandoned", 64L * MIB);
        write(disk(vm, "0"), random(64 * MIB, 61));
        Task t = Task.create(c, "export", "abandoned");
        HttpResponse<java.io.InputStream> r = HTTP.send(
                HttpRequest.newBuilder(host.uri("/export?session_id=" + session + "&ref=" + vm.toWireString()
                                + "&task_id=" + t.toWireString()))
                        .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        r.body().readNBytes(MIB);
        r.body().close(); // and no more
        Task.Record done = LifecycleSupport.awaitTask(host, c, t);
        assertEquals(Types.TaskStatusType.FAILURE, done.status);
        LifecycleSupport.await(
                host, "the export mark gone", () -> vm.getCurrentOperations(c).isEmpty());
        // the host keeps serving: the same VM exports whole
        HttpResponse<byte[]> again = get("/export", "ref=" + vm.toWireString());
        assertEquals(200, again.statusCode());
        assertEquals(Types.TaskStatusType.SUCCESS, task(again).getStatus(c));
    }

    // ------------------------------------------------------------------------------------------------ by hand

    @Test
    void anArchiveInXapisLayoutWrittenByHandImports() throws Exception {
        VM source = install("by hand", 3L * MIB);
        VM.Record vr = source.getRecord(c);
        VBD sys = vr.VBDs.stream().filter(b -> uncheckedDisk(b)).findFirst().orElseThrow();
        VDI v0 = sys.getVDI(c);
        Network net = vr.VIFs.iterator().next().getNetwork(c);
        // ids as Xapi's process-wide counter gives them: Ref:10 sorts before Ref:9
        Map<String, Object> vm = vr.toMap();
        Map<String, Object> vbd = sys.getRecord(c).toMap();
        Map<String, Object> vdi = v0.getRecord(c).toMap();
        Map<String, Object> srRec = sr.getRecord(c).toMap();
        Map<String, Object> netRec = net.getRecord(c).toMap();
        VDI extra = VDI.create(c, LifecycleSupport.vdiRecord(sr, "second", 4L * MIB));
        Map<String, Object> vdi2 = extra.getRecord(c).toMap();
        Map<String, Object> vbd2 = new java.util.HashMap<>(vbd);
        vm.put("VBDs", List.of("Ref:7", "Ref:8"));
        vm.put("VIFs", List.of());
        vm.put("power_state", "Halted");
        vm.put("resident_on", "OpaqueRef:NULL");
        vm.put("affinity", "OpaqueRef:NULL");
        vm.put("metrics", "OpaqueRef:NULL");
        vm.put("guest_metrics", "OpaqueRef:NULL");
        vm.put("snapshots", List.of());
        vm.put("current_operations", Map.of());
        vm.put("allowed_operations", List.of());
        vbd.put("VM", "Ref:3");
        vbd.put("VDI", "Ref:9");
        vbd2.put("VM", "Ref:3");
        vbd2.put("VDI", "Ref:10");
        vbd2.put("userdevice", "1");
        vbd2.put("uuid", java.util.UUID.randomUUID().toString());
        vdi.put("SR", "Ref:11");
        vdi.put("VBDs", List.of("Ref:7"));
        vdi2.put("SR", "Ref:11");
        vdi2.put("VBDs", List.of("Ref:8"));
        srRec.put("VDIs", List.of("Ref:9", "Ref:10"));
        srRec.put("PBDs", List.of());
        netRec.put("PIFs", List.of());
        netRec.put("VIFs", List.of());
        String ovaXml = "<value><struct><member><name>version</name><value><struct>"
                + member("hostname", "elsewhere") + member("date", "2024-01-01") + member("product_version", "8.2.1")
                + member("product_brand", "XenServer") + member("build_number", "release/yangtze")
                + member("xapi_major", 1L) + member("xapi_minor", 20L) + member("export_vsn", 2L)
                + "</struct></value></member><member><name>objects</name><value><array><data>"
                + object("VM", "Ref:3", vm) + object("VBD", "Ref:7", vbd) + object("VBD", "Ref:8", vbd2)
                + object("network", "Ref:4", netRec) + object("VDI", "Ref:9", vdi) + object("VDI", "Ref:10", vdi2)
                + object("SR", "Ref:11", srRec)
                + "</data></array></value></member></struct></value>";
        byte[] d9 = random(3 * MIB, 21);
        byte[] d10 = new byte[4 * MIB];
        System.arraycopy(random(1000, 22), 0, d10, 2 * MIB + 5, 1000);
        ByteArrayOutputStream xva = new ByteArrayOutputStream();
        try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(xva)) {
            add(tar, "ova.xml", ovaXml.getBytes(StandardCharsets.UTF_8));
            // Ref:10 first (string order); its zero chunk 1 left out; SHA-1 checksums as older exports have them
            for (int k : new int[] {0, 2, 3}) chunkSha1(tar, "Ref:10/" + String.format("%08d", k), d10, k);
            for (int k = 0; k < 3; k++) chunkSha1(tar, "Ref:9/" + String.format("%08d", k), d9, k);
        }
        VM made = importedVm(importXva(xva.toByteArray(), ""));
        assertEquals("by hand", made.getNameLabel(c));
        assertArrayEquals(d9, read(disk(made, "0")));
        assertArrayEquals(d10, read(disk(made, "1")));
        assertTrue(made.getVIFs(c).isEmpty());
    }

    static boolean uncheckedDisk(VBD b) {
        try {
            return b.getType(c) == Types.VbdType.DISK;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static void add(org.apache.commons.compress.archivers.tar.TarArchiveOutputStream tar, String name, byte[] data)
            throws Exception {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(data.length);
        tar.putArchiveEntry(e);
        tar.write(data);
        tar.closeArchiveEntry();
    }

    static void chunkSha1(
            org.apache.commons.compress.archivers.tar.TarArchiveOutputStream tar, String name, byte[] disk, int k)
            throws Exception {
        byte[] chunk = Arrays.copyOfRange(disk, k * MIB, Math.min(disk.length, (k + 1) * MIB));
        add(tar, name, chunk);
        byte[] sha = java.security.MessageDigest.getInstance("SHA-1").digest(chunk);
        add(tar, name + ".checksum", HexFormat.of().formatHex(sha).getBytes(StandardCharsets.US_ASCII));
    }

    static String object(String cls, String id, Map<String, Object> snapshot) {
        return "<value><struct>" + member("class", cls) + member("id", id) + "<member><name>snapshot</name>"
                + value(snapshot) + "</member></struct></value>";
    }

    static String member(String name, Object v) {
        return "<member><name>" + name + "</name>" + value(v) + "</member>";
    }

    /** An XML-RPC value as Xapi's {@code Xmlrpc.to_string} writes it: ints and strings untyped. */
    static String value(Object v) {
        if (v == null) return "<value></value>";
        if (v instanceof Boolean b) return "<value><boolean>" + (b ? 1 : 0) + "</boolean></value>";
        if (v instanceof Double d) return "<value><double>" + d + "</double></value>";
        if (v instanceof java.util.Date d) {
            var f = new java.text.SimpleDateFormat("yyyyMMdd'T'HH:mm:ss'Z'");
            f.setTimeZone(java.util.TimeZone.getTimeZone("UTC"));
            return "<value><dateTime.iso8601>" + f.format(d) + "</dateTime.iso8601></value>";
        }
        if (v instanceof Map<?, ?> m) {
            StringBuilder s = new StringBuilder("<value><struct>");
            m.forEach((k, x) -> s.append(member(String.valueOf(k), x)));
            return s.append("</struct></value>").toString();
        }
        if (v instanceof java.util.Collection<?> l) {
            StringBuilder s = new StringBuilder("<value><array><data>");
            for (Object x : l) s.append(value(x));
            return s.append("</data></array></value>").toString();
        }
        if (v instanceof com.xensource.xenapi.XenAPIObject o) return "<value>" + o.toWireString() + "</value>";
        return "<value>"
                + String.valueOf(v).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</value>";
    }

    // ------------------------------------------------------------------------------------------------ bytes

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        throw new AssertionError("not found");
    }

    /** Recomputes the checksum of the tar header at {@code at}. */
    static void fixChecksum(byte[] b, int at) {
        Arrays.fill(b, at + 148, at + 156, (byte) ' ');
        long sum = 0;
        for (int i = 0; i < 512; i++) sum += b[at + i] & 0xff;
        byte[] s = String.format("%06o", sum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(s, 0, b, at + 148, 6);
        b[at + 154] = 0;
    }

    /** {@code xva} with its ova.xml rewritten by {@code f} (a new header, the rest as it was). */
    static byte[] rewriteOva(byte[] xva, java.util.function.UnaryOperator<String> f) throws Exception {
        List<Map.Entry<String, byte[]>> m = members(xva);
        byte[] ova =
                f.apply(new String(m.get(0).getValue(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
        int oldEnd = 512 + (m.get(0).getValue().length + 511) / 512 * 512;
        TarArchiveEntry e = new TarArchiveEntry("ova.xml");
        e.setSize(ova.length);
        byte[] head = new byte[512];
        e.writeEntryHeader(head);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(head);
        out.write(ova);
        out.write(new byte[(512 - ova.length % 512) % 512]);
        out.write(xva, oldEnd, xva.length - oldEnd);
        return out.toByteArray();
    }
}
