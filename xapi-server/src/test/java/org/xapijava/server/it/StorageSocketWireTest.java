package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.VBD;
import com.xensource.xenapi.VDI;
import com.xensource.xenapi.VM;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;

/**
 * xapi's SMAPIv2 storage socket ({@code storage-socket}) on the wire, as xenopsd calls it: hand-written XML-RPC
 * requests in the shape of xcp-idl's test data ({@code ocaml/xapi-idl/lib_test/test_data/storage/requests/}), the
 * exact answer bytes, and the datapath rules of the storage layer (a second read-write activation refused, no
 * activation before an attach, no read-only → read-write upgrade).
 */
class StorageSocketWireTest {
    @TempDir
    Path dir;

    private static final String HEAD = "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct>";

    private static String attach3(String dp, String sr, String vdi, boolean rw) {
        // member order as xcp-idl's own VDI.attach3.request.0 (ocaml-rpc writes the last parameter first)
        return "<?xml version=\"1.0\"?><methodCall><methodName>VDI.attach3</methodName><params><param><value>"
                + "<struct><member><name>read_write</name><value><boolean>" + (rw ? 1 : 0) + "</boolean></value>"
                + "</member><member><name>vdi</name><value>" + vdi + "</value></member><member><name>vm</name>"
                + "<value>7</value></member><member><name>sr</name><value>" + sr + "</value></member><member>"
                + "<name>dp</name><value>" + dp + "</value></member><member><name>dbg</name><value>dbg</value>"
                + "</member></struct></value></param></params></methodCall>";
    }

    @Test
    void attachActivateStatAndDestroyOnTheWire() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            Path sock = host.server.storageSocket().path();
            assertEquals(dir.resolve("storage.sock"), sock);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
            StorageSocketCalls s = new StorageSocketCalls(sock);
            Connection c = LifecycleSupport.login(host);
            SR sr = Pool.getAll(c).iterator().next().getDefaultSR(c);
            VM vm = LifecycleSupport.newVm(host, c, "wire");
            VBD vbd = LifecycleSupport.attachDisk(c, vm, sr, "0", 1L << 20);
            VDI vdi = vbd.getVDI(c);
            String srUuid = sr.getUuid(c);
            String loc = vdi.getLocation(c);

            // the answer to one attach, byte for byte (the path is the local file SR's file of the VDI)
            String body = s.post(attach3("vbd/7/xvda", srUuid, loc, true));
            assertTrue(body.startsWith(HEAD), body);
            String file = body.substring(
                    body.indexOf("<name>params</name><value>") + 26,
                    body.indexOf("</value>", body.indexOf("<name>params</name><value>")));
            // the file driver's datapath: the disk's raw view, named by SR and VDI
            assertTrue(file.endsWith("/" + srUuid + "/" + loc), file);
            assertEquals(
                    HEAD + "<member><name>Status</name><value>Success</value></member><member><name>Value</name>"
                            + "<value><struct><member><name>implementations</name><value><array><data><value><array>"
                            + "<data><value>XenDisk</value><value><struct><member><name>backend_type</name><value>"
                            + "vbd3</value></member><member><name>extra</name><value><struct></struct></value>"
                            + "</member><member><name>params</name><value>" + file + "</value></member></struct>"
                            + "</value></data></array></value><value><array><data><value>File</value><value><struct>"
                            + "<member><name>path</name><value>" + file + "</value></member></struct></value></data>"
                            + "</array></value></data></array></value></member></struct></value></member></struct>"
                            + "</value></param></params></methodResponse>",
                    body);
            assertTrue(Files.isRegularFile(Path.of(file)));
            // again from the same datapath: the same answer
            assertEquals(body, s.post(attach3("vbd/7/xvda", srUuid, loc, true)));
            assertEquals(Map.of("vbd/7/xvda", List.of("Attached", "RW")), s.dps(srUuid, loc));

            assertEquals(null, s.ok("VDI.activate3", "dp", "vbd/7/xvda", "sr", srUuid, "vdi", loc, "vm", "7"));
            assertEquals(Map.of("vbd/7/xvda", List.of("Activated", "RW")), s.dps(srUuid, loc));
            assertEquals(
                    Map.of(
                            "implementations",
                            List.of(
                                    List.of(
                                            "XenDisk",
                                            Map.of("backend_type", "vbd3", "extra", Map.of(), "params", file)),
                                    List.of("File", Map.of("path", file)))),
                    s.ok("DP.attach_info", "sr", srUuid, "vdi", loc, "dp", "vbd/7/xvda", "vm", "7"));

            // a second datapath may attach (on one host, two read-write users of a VDI are stopped by xapi's VBD
            // checks, not by the storage layer: storage_smapiv1_wrapper only computes the VDI's superstate)
            s.ok("VDI.attach3", "dp", "vbd/8/xvda", "sr", srUuid, "vdi", loc, "vm", "8", "read_write", true);
            Map<String, Object> stat = castMap(s.ok("DP.stat_vdi", "sr", srUuid, "vdi", loc, "unit", null));
            assertEquals(List.of("Activated", "RW"), stat.get("superstate"));
            assertEquals(
                    Map.of("vbd/7/xvda", List.of("Activated", "RW"), "vbd/8/xvda", List.of("Attached", "RW")),
                    stat.get("dps"));
            s.ok("DP.destroy", "dp", "vbd/8/xvda", "allow_leak", false);

            // the automaton's refusals
            assertEquals(
                    List.of("Illegal_transition", List.of("Detached", List.of("Activated", "RW"))),
                    s.err("VDI.activate3", "dp", "vbd/9/xvda", "sr", srUuid, "vdi", loc, "vm", "9"));
            s.ok("VDI.attach3", "dp", "vbd/9/xvdb", "sr", srUuid, "vdi", loc, "vm", "9", "read_write", false);
            assertEquals(
                    List.of("Illegal_transition", List.of(List.of("Attached", "RO"), List.of("Attached", "RW"))),
                    s.err("VDI.attach3", "dp", "vbd/9/xvdb", "sr", srUuid, "vdi", loc, "vm", "9", "read_write", true));
            assertEquals(
                    List.of("Illegal_transition", List.of(List.of("Activated", "RW"), "Detached")),
                    s.err("VDI.detach", "dp", "vbd/7/xvda", "sr", srUuid, "vdi", loc, "vm", "7"));
            s.ok("DP.destroy2", "dp", "vbd/9/xvdb", "sr", srUuid, "vdi", loc, "vm", "9", "allow_leak", false);

            // deactivate + detach free it; then nothing holds the VDI in the storage layer either
            s.ok("VDI.deactivate", "dp", "vbd/7/xvda", "sr", srUuid, "vdi", loc, "vm", "7");
            assertEquals(Map.of("vbd/7/xvda", List.of("Attached", "RW")), s.dps(srUuid, loc));
            s.ok("VDI.detach", "dp", "vbd/7/xvda", "sr", srUuid, "vdi", loc, "vm", "7");
            assertEquals(Map.of(), s.dps(srUuid, loc));
            assertEquals(
                    "Detached",
                    castMap(s.ok("DP.stat_vdi", "sr", srUuid, "vdi", loc, "unit", null))
                            .get("superstate"));
            assertEquals(List.of(), storageDps(host, sr, loc));

            // epochs: the driver's vdi_epoch_begin / vdi_epoch_end when the VDI is reset on boot (no-ops in the file
            // driver), nothing when it persists
            for (boolean persistent : new boolean[] {true, false}) {
                assertEquals(
                        null, s.ok("VDI.epoch_begin", "sr", srUuid, "vdi", loc, "vm", "7", "persistent", persistent));
                assertEquals(null, s.ok("VDI.epoch_end", "sr", srUuid, "vdi", loc, "vm", "7"));
            }
            assertEquals(
                    List.of("No_storage_plugin_for_sr", "nope"),
                    s.err("VDI.epoch_begin", "sr", "nope", "vdi", loc, "vm", "7", "persistent", true));

            // bad names and calls
            assertEquals(
                    List.of("No_storage_plugin_for_sr", "nope"),
                    s.err("VDI.attach3", "dp", "d", "sr", "nope", "vdi", loc, "vm", "1", "read_write", true));
            assertEquals(List.of("Unimplemented", "SR.scan"), s.err("SR.scan", "sr", srUuid));
            assertEquals(List.of("Internal_error", "Idl.UnknownMethod(\"VM.start\")"), s.err("VM.start", "x", "y"));
            assertEquals(
                    List.of("Internal_error", "Idl.MarshalError(\"Expecting named argument 'read_write'\")"),
                    s.err("VDI.attach3", "dp", "d", "sr", srUuid, "vdi", loc, "vm", "1"));

            // Query.query: the mux's answer, in ocaml-rpc's member order
            assertEquals(
                    HEAD + "<member><name>Status</name><value>Success</value></member><member><name>Value</name>"
                            + "<value><struct><member><name>smapi_version</name><value>SMAPIv2</value></member>"
                            + "<member><name>supported_image_formats</name><value><array><data></data></array>"
                            + "</value></member><member><name>required_cluster_stack</name><value><array><data>"
                            + "</data></array></value></member><member><name>configuration</name><value><struct>"
                            + "</struct></value></member><member><name>features</name><value><array><data></data>"
                            + "</array></value></member><member><name>required_api_version</name><value>2.0</value>"
                            + "</member><member><name>version</name><value>2.0</value></member><member><name>"
                            + "copyright</name><value>see the source code</value></member><member><name>vendor"
                            + "</name><value>XCP</value></member><member><name>description</name><value>forwards"
                            + " calls to other plugins</value></member><member><name>name</name><value>storage"
                            + " multiplexor</value></member><member><name>driver</name><value>mux</value></member>"
                            + "</struct></value></member></struct></value></param></params></methodResponse>",
                    s.post("<?xml version=\"1.0\"?><methodCall><methodName>Query.query</methodName><params><param>"
                            + "<value><struct><member><name>dbg</name><value>dbg</value></member></struct></value>"
                            + "</param></params></methodCall>"));
            // not a POST: 404, as Xcp_service answers
            assertTrue(s.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n").startsWith("HTTP/1.1 404"));
        }
    }

    /** What the server's own storage layer ({@code Smapiv2.dpsOf}) says holds the VDI. */
    static List<String> storageDps(TestHost host, SR sr, String location) throws Exception {
        return host.server.storageSocket().datapaths().storageDps(uuid(host, sr), location);
    }

    private static String uuid(TestHost host, SR sr) {
        return host.server.services().data().get(sr.toWireString(), org.xapijava.model.api.SR.UUID);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object o) {
        return (Map<String, Object>) o;
    }
}
