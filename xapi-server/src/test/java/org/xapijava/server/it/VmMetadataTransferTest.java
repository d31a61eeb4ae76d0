package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Task;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VBD;
import com.xensource.xenapi.VDI;
import com.xensource.xenapi.VM;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;

/**
 * {@code GET /export_metadata} and {@code PUT /import_metadata} over real HTTP with the Citrix SDK: a VM and its
 * snapshot exported as ova.xml alone (with a Content-Length), a dry run that makes nothing, both brought back on the
 * disks still here after they were destroyed (found by SR and location, or by the query's VDI map), the snapshot
 * linked to its VM again, a missing disk refused with Xapi's error and nothing made.
 */
class VmMetadataTransferTest {
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

    static HttpResponse<byte[]> get(String query) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(host.uri("/export_metadata?session_id=" + session + "&" + query))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    static Task.Record importMetadata(byte[] body, String query) throws Exception {
        Task t = Task.create(c, "metadata import", "test");
        try {
            HttpResponse<byte[]> r = HTTP.send(
                    HttpRequest.newBuilder(host.uri(
                                    "/import_metadata?session_id=" + session + "&task_id=" + t.toWireString() + query))
                            .PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, r.statusCode());
        } catch (java.io.IOException cut) {
            // a failed import may close the connection under the body: the task says why
        }
        return LifecycleSupport.awaitTask(host, c, t);
    }

    static List<VM> resultVms(Task.Record t) {
        assertEquals(Types.TaskStatusType.SUCCESS, t.status, String.valueOf(t.errorInfo));
        Matcher m = Pattern.compile("<value>(OpaqueRef:[^<]+)</value>").matcher(t.result);
        List<VM> out = new java.util.ArrayList<>();
        while (m.find()) out.add(Types.toVM(m.group(1)));
        return out;
    }

    static void write(VDI vdi, byte[] data) throws Exception {
        HttpResponse<byte[]> r = HTTP.send(
                HttpRequest.newBuilder(host.uri("/import_raw_vdi?session_id=" + session + "&vdi=" + vdi.toWireString()))
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(data))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
    }

    /** A halted VM with one 2 MiB disk holding {@code data}, and a snapshot of it. */
    static VM vmWithSnapshot(String name, byte[] data) throws Exception {
        VM vm = VM.getByNameLabel(c, "Other install media").iterator().next().createClone(c, name);
        vm.setIsATemplate(c, false);
        VBD vbd = LifecycleSupport.attachDisk(c, vm, sr, "0", 2L * MIB);
        write(vbd.getVDI(c), data);
        vm.snapshot(c, name + " snap");
        return vm;
    }

    static int[] census() throws Exception {
        return new int[] {
            VM.getAll(c).size(), VDI.getAll(c).size(), VBD.getAll(c).size()
        };
    }

    static int vmObjects(String ova) {
        Matcher m = Pattern.compile("<member><name>class</name><value>VM</value></member>")
                .matcher(ova);
        int n = 0;
        while (m.find()) n++;
        return n;
    }

    @Test
    void aVmAndItsSnapshotComeBackOnTheirDisks() throws Exception {
        byte[] data = new byte[2 * MIB];
        new Random(5).nextBytes(data);
        VM vm = vmWithSnapshot("meta", data);
        VDI disk = vm.getVBDs(c).iterator().next().getVDI(c);
        VM snap = vm.getSnapshots(c).iterator().next();

        HttpResponse<byte[]> out = get("uuid=" + vm.getUuid(c));
        assertEquals(200, out.statusCode());
        assertEquals(
                String.valueOf(out.body().length),
                out.headers().firstValue("content-length").orElse(""));
        assertEquals(
                "attachment; filename=\"export.xva\"",
                out.headers().firstValue("content-disposition").orElse(""));
        List<Map.Entry<String, byte[]>> members = VmExportImportTest.members(out.body());
        assertEquals(1, members.size(), "ova.xml alone");
        String ova = new String(members.get(0).getValue(), StandardCharsets.UTF_8);
        assertEquals(2, vmObjects(ova), "the VM and its snapshot");
        assertTrue(ova.contains("<member><name>is_a_snapshot</name><value><boolean>1</boolean></value></member>"));
        // without its snapshots: the VM alone
        assertEquals(
                1,
                vmObjects(new String(
                        VmExportImportTest.members(get("ref=" + vm.toWireString() + "&export_snapshots=false")
                                        .body())
                                .get(0)
                                .getValue(),
                        StandardCharsets.UTF_8)));

        // a dry run makes nothing
        int[] before = census();
        assertEquals(Types.TaskStatusType.SUCCESS, importMetadata(out.body(), "&dry_run=true").status);
        assertArrayEquals(before, census());

        // destroyed (their disks stay), then brought back on them
        snap.destroy(c);
        vm.destroy(c);
        assertTrue(disk.getVBDs(c).isEmpty());
        List<VM> back = resultVms(importMetadata(out.body(), ""));
        assertEquals(1, back.size(), "the VM, not its snapshot");
        VM again = back.get(0);
        assertEquals("meta", again.getNameLabel(c));
        assertEquals(disk, again.getVBDs(c).iterator().next().getVDI(c), "the same disk, by SR and location");
        assertEquals(1, again.getSnapshots(c).size(), "the snapshot points at its VM again");
        VM snapAgain = again.getSnapshots(c).iterator().next();
        assertTrue(snapAgain.getIsASnapshot(c));
        assertTrue(again.getCurrentOperations(c).isEmpty());
        again.start(c, false, false);
        assertEquals(Types.VmPowerState.RUNNING, again.getPowerState(c));
        again.hardShutdown(c);
    }

    @Test
    void theVdiMapPointsADiskElsewhereAndAMissingDiskIsRefused() throws Exception {
        byte[] data = new byte[2 * MIB];
        VM vm = vmWithSnapshot("mapped", data);
        VDI disk = vm.getVBDs(c).iterator().next().getVDI(c);
        byte[] ova = get("ref=" + vm.toWireString() + "&export_snapshots=false").body();
        VDI other = VDI.create(c, LifecycleSupport.vdiRecord(sr, "elsewhere", 2L * MIB));
        VM mapped = resultVms(importMetadata(ova, "&vdi:" + disk.getUuid(c) + "=" + other.getUuid(c)))
                .get(0);
        assertEquals(other, mapped.getVBDs(c).iterator().next().getVDI(c));

        // the disk gone: VDI_LOCATION_MISSING [sr, location], nothing made
        String location = disk.getLocation(c);
        for (VBD b : disk.getVBDs(c)) b.destroy(c);
        disk.destroy(c);
        int[] before = census();
        Task.Record t = importMetadata(ova, "");
        assertEquals(Types.TaskStatusType.FAILURE, t.status);
        @SuppressWarnings("unchecked")
        List<Object> info = (List<Object>) host.ok(
                "task.get_error_info", session, Task.getByUuid(c, t.uuid).toWireString());
        assertEquals(List.of("VDI_LOCATION_MISSING", sr.toWireString(), location), info);
        assertArrayEquals(before, census());
        // forced, the VM comes without that disk
        VM forced = resultVms(importMetadata(ova, "&force=true")).get(0);
        assertFalse(forced.getVBDs(c).stream().anyMatch(b -> {
            try {
                return b.getType(c) == Types.VbdType.DISK;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }));
    }

    @Test
    void allExportsEveryVmButTheDefaultTemplates() throws Exception {
        HttpResponse<byte[]> all = get("all=true&export_snapshots=false");
        assertEquals(200, all.statusCode(), () -> {
            try {
                return String.valueOf(
                        Types.toTask(all.headers().firstValue("task-id").orElseThrow())
                                .getErrorInfo(c));
            } catch (Exception e) {
                return e.toString();
            }
        });
        String ova = new String(VmExportImportTest.members(all.body()).get(0).getValue(), StandardCharsets.UTF_8);
        int expected = 0;
        for (VM.Record r : VM.getAllRecords(c).values())
            if (!r.isDefaultTemplate && !"true".equals(r.otherConfig.get("default_template"))) expected++;
        assertEquals(expected, vmObjects(ova));
        assertTrue(ova.contains("<member><name>is_control_domain</name><value><boolean>1</boolean></value>"));
        // an argument bool_of_string refuses: a 500
        assertEquals(500, get("all=yes").statusCode());
    }
}
