package org.xapijava.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Xen Orchestra's own client (npm {@code xen-api} 4.7.6, installed by {@code scripts/setup-test-system}
 * into {@code .test-deps/xo}) connects as xo-server does, over JSON-RPC and over XML-RPC: login,
 * {@code pool.get_all_records}, {@code system.listMethods}, the event loop ({@code event.inject},
 * every class's {@code get_all_records}, {@code event.from}), a barrier through pool events, an
 * async call followed through task events, and a typed error.
 */
class XenOrchestraClientTest {
    @TempDir
    static Path dir;

    static TestHost host;

    @BeforeAll
    static void start() throws Exception {
        XoClient.requireInstalled();
        host = TestHost.start(dir);
    }

    @AfterAll
    static void stop() throws Exception {
        host.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"json-rpc", "xml-rpc"})
    void xenOrchestraConnectsWatchesAndCalls(String transport) throws Exception {
        JsonNode r = XoClient.run(
                "xo-client.mjs",
                "http://127.0.0.1:" + host.server.httpPort(),
                "root",
                host.server.rootPassword(),
                transport);
        String out = r.toString();
        assertEquals("connected", r.path("connected").asText(), out);
        assertEquals(1, r.path("pools").asInt());
        assertEquals(1, r.path("hosts").asInt());
        assertTrue(r.path("templates").asInt() >= 6, out);
        assertTrue(r.path("barrier").asBoolean(), out);
        assertTrue(r.path("asyncResult").asText().startsWith("OpaqueRef:"), out);
        assertEquals("xo-net", r.path("asyncName").asText());
        assertEquals("HANDLE_INVALID", r.path("errorCode").asText());
        assertEquals("[\"VM\",\"OpaqueRef:nope\"]", r.path("errorParams").toString());
    }

    /**
     * Xen Orchestra's disk transfers ({@code VDI_exportContent}, {@code VDI_importContent}): a VHD export read with
     * {@code getResource} and its task, imported into another VDI with {@code putResource} (its empty probe PUT
     * first), both read back raw and equal.
     */
    @ParameterizedTest
    @ValueSource(strings = {"json-rpc", "xml-rpc"})
    void xenOrchestraMovesADisksContent(String transport) throws Exception {
        com.xensource.xenapi.Connection c =
                new com.xensource.xenapi.Connection(host.uri("/").toURL());
        com.xensource.xenapi.Session.loginWithPassword(c, "root", host.server.rootPassword(), "1.0");
        com.xensource.xenapi.SR sr =
                com.xensource.xenapi.Pool.getAll(c).iterator().next().getDefaultSR(c);
        long mib = 1 << 20;
        com.xensource.xenapi.VDI source = newVdi(c, sr, 6 * mib);
        com.xensource.xenapi.VDI target = newVdi(c, sr, 6 * mib);
        byte[] data = new byte[(int) (3 * mib)];
        new java.util.Random(11).nextBytes(data);
        var put = java.net.http.HttpClient.newHttpClient()
                .send(
                        java.net.http.HttpRequest.newBuilder(host.uri("/import_raw_vdi?session_id="
                                        + c.getSessionReference() + "&vdi=" + source.toWireString()))
                                .PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(data))
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.discarding());
        assertEquals(200, put.statusCode());
        JsonNode r = XoClient.run(
                "xo-transfer.mjs",
                "http://127.0.0.1:" + host.server.httpPort(),
                "root",
                host.server.rootPassword(),
                transport,
                source.toWireString(),
                target.toWireString());
        String out = r.toString();
        assertEquals("conectix", r.path("vhdCookie").asText(), out);
        assertEquals(2048 + 512 + 2 * (512 + 2 * mib) + 512, r.path("vhdBytes").asLong(), out);
        assertEquals(target.toWireString(), r.path("importResult").asText(), out);
        assertEquals(6 * mib, r.path("rawBytes").asLong(), out);
        assertTrue(r.path("same").asBoolean(), out);
    }

    /**
     * Xen Orchestra's {@code VM_export} and {@code VM_import}: a zstd XVA read with {@code getResource}, imported with
     * {@code putResource} (its probe PUT first) into the default SR; the task's result names the new VM, whose disk
     * holds the source's bytes.
     */
    @Test
    void xenOrchestraExportsAndImportsAVm() throws Exception {
        com.xensource.xenapi.Connection c =
                new com.xensource.xenapi.Connection(host.uri("/").toURL());
        com.xensource.xenapi.Session.loginWithPassword(c, "root", host.server.rootPassword(), "1.0");
        com.xensource.xenapi.SR sr =
                com.xensource.xenapi.Pool.getAll(c).iterator().next().getDefaultSR(c);
        com.xensource.xenapi.VM tmpl = com.xensource
                .xenapi
                .VM
                .getByNameLabel(c, "Other install media")
                .iterator()
                .next();
        com.xensource.xenapi.VM vm = tmpl.createClone(c, "exported by xo");
        vm.setIsATemplate(c, false);
        long mib = 1 << 20;
        com.xensource.xenapi.VDI disk = newVdi(c, sr, 4 * mib);
        com.xensource.xenapi.VBD.Record b = new com.xensource.xenapi.VBD.Record();
        b.VM = vm;
        b.VDI = disk;
        b.userdevice = "0";
        b.bootable = true;
        b.mode = com.xensource.xenapi.Types.VbdMode.RW;
        b.type = com.xensource.xenapi.Types.VbdType.DISK;
        b.empty = false;
        b.unpluggable = false;
        b.otherConfig = new java.util.HashMap<>();
        b.qosAlgorithmType = "";
        b.qosAlgorithmParams = new java.util.HashMap<>();
        com.xensource.xenapi.VBD.create(c, b);
        byte[] data = new byte[(int) (2 * mib)];
        new java.util.Random(12).nextBytes(data);
        var http = java.net.http.HttpClient.newHttpClient();
        var put = http.send(
                java.net.http.HttpRequest.newBuilder(host.uri("/import_raw_vdi?session_id=" + c.getSessionReference()
                                + "&vdi=" + disk.toWireString()))
                        .PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(data))
                        .build(),
                java.net.http.HttpResponse.BodyHandlers.discarding());
        assertEquals(200, put.statusCode());
        JsonNode r = XoClient.run(
                "xo-vm-transfer.mjs",
                "http://127.0.0.1:" + host.server.httpPort(),
                "root",
                host.server.rootPassword(),
                "json-rpc",
                vm.toWireString(),
                sr.toWireString(),
                "zstd");
        String out = r.toString();
        assertEquals("28b52ffd", r.path("head").asText(), out);
        assertTrue(r.path("imported").isArray() && r.path("imported").size() == 1, out);
        com.xensource.xenapi.VM copy =
                com.xensource.xenapi.Types.toVM(r.path("imported").get(0).asText());
        assertEquals("exported by xo", copy.getNameLabel(c));
        assertTrue(!copy.getUuid(c).equals(vm.getUuid(c)), out);
        com.xensource.xenapi.VDI copied = copy.getVBDs(c).iterator().next().getVDI(c);
        byte[] back = http.send(
                        java.net.http.HttpRequest.newBuilder(host.uri("/export_raw_vdi?session_id="
                                        + c.getSessionReference() + "&vdi=" + copied.toWireString()))
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofByteArray())
                .body();
        assertEquals(4 * mib, back.length);
        assertTrue(java.util.Arrays.equals(data, java.util.Arrays.copyOf(back, data.length)), out);
    }

    private static com.xensource.xenapi.VDI newVdi(
            com.xensource.xenapi.Connection c, com.xensource.xenapi.SR sr, long size) throws Exception {
        com.xensource.xenapi.VDI.Record d = new com.xensource.xenapi.VDI.Record();
        d.nameLabel = "moved by xo";
        d.nameDescription = "";
        d.SR = sr;
        d.virtualSize = size;
        d.type = com.xensource.xenapi.Types.VdiType.USER;
        d.sharable = false;
        d.readOnly = false;
        d.otherConfig = new java.util.HashMap<>();
        d.xenstoreData = new java.util.HashMap<>();
        d.smConfig = new java.util.HashMap<>();
        d.tags = new java.util.HashSet<>();
        return com.xensource.xenapi.VDI.create(c, d);
    }
}
