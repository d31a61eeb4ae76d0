package org.xapijava.xenopsd.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.rpc.RpcCall;
import org.xapijava.model.xmlrpc.XmlRpcReader;
import org.xapijava.model.xmlrpc.XmlRpcWriter;
import org.xapijava.xenopsd.PowerState;
import org.xapijava.xenopsd.XenopsError;

/**
 * The simulator's storage calls, against a scripted storage service on a Unix socket: what it sends
 * ({@code VDI.epoch_begin}, {@code VDI.attach3} + {@code VDI.activate3} per VDI disk at start, RW before RO,
 * {@code DP.destroy} and {@code VDI.epoch_end} at shutdown,
 * datapath {@code vbd/<domid>/<vbd>}, {@code vm} the domid) and how a storage error fails the start (xenopsd's
 * {@code Storage_backend_error}) with every datapath destroyed.
 */
class SimulatorStorageTest {
    @TempDir
    Path dir;

    /** Answers each XML-RPC call with {@code answer.apply(call)}: a full response document. */
    private static final class FakeStorage implements AutoCloseable {
        final List<RpcCall> calls = Collections.synchronizedList(new ArrayList<>());
        private final ServerSocketChannel server;

        FakeStorage(Path path, Function<RpcCall, byte[]> answer) throws IOException {
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
            Thread.ofVirtual().start(() -> {
                while (true) {
                    SocketChannel c;
                    try {
                        c = server.accept();
                    } catch (IOException e) {
                        return;
                    }
                    Thread.ofVirtual().start(() -> serve(c, answer));
                }
            });
        }

        private void serve(SocketChannel c, Function<RpcCall, byte[]> answer) {
            try (c) {
                InputStream in = Channels.newInputStream(c);
                while (true) {
                    StringBuilder head = new StringBuilder();
                    int ch;
                    while ((ch = in.read()) >= 0) {
                        head.append((char) ch);
                        if (head.toString().endsWith("\r\n\r\n")) break;
                    }
                    if (ch < 0) return;
                    int len = 0;
                    for (String line : head.toString().split("\r\n")) {
                        if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:"))
                            len = Integer.parseInt(line.substring(15).trim());
                    }
                    RpcCall call = XmlRpcReader.REQUESTS.readCall(in.readNBytes(len));
                    calls.add(call);
                    byte[] body = answer.apply(call);
                    String h = "HTTP/1.1 200 OK\r\ncontent-length: " + body.length + "\r\n\r\n";
                    c.write(ByteBuffer.wrap(h.getBytes(StandardCharsets.US_ASCII)));
                    c.write(ByteBuffer.wrap(body));
                }
            } catch (Exception e) {
                // connection gone
            }
        }

        /** Method and datapath of every call so far. */
        List<String> summary() {
            List<String> r = new ArrayList<>();
            synchronized (calls) {
                for (RpcCall call : calls)
                    r.add(call.method() + " " + ((Map<?, ?>) call.params().get(0)).get("dp"));
            }
            return r;
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    private static final byte[] BACKEND =
            XmlRpcWriter.success(Map.of("implementations", List.of(List.of("File", Map.of("path", "/srv/disk")))));

    private static byte[] failure(Object error) {
        String v = XmlRpcWriter.toString(error);
        return ("<?xml version=\"1.0\"?><methodResponse><params><param><value><struct><member><name>Status</name>"
                        + "<value>Failure</value></member><member><name>ErrorDescription</name>" + v
                        + "</member></struct></value></param></params></methodResponse>")
                .getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void startAttachesAndActivatesEveryVdiAndShutdownDestroysTheDatapaths() throws Exception {
        Path sock = dir.resolve("storage");
        try (FakeStorage storage = new FakeStorage(
                        sock, call -> call.method().equals("VDI.attach3") ? BACKEND : XmlRpcWriter.success(null));
                SimFixture f = new SimFixture(dir, Simulator.Config.inMemory().withStorageSocket(sock))) {
            String vm = "11111111-2222-3333-4444-555555555555";
            f.client.vmImportMetadata("t", SimFixture.metadata(vm, 1L << 30));
            SimFixture.ok(f.client, f.client.vmStart("t", vm, false));
            int domid = f.client.vmStat("t", vm).state().domids().get(0);
            String a = "vbd/" + domid + "/xvda";
            String d = "vbd/" + domid + "/xvdd";
            // VDI.epoch_begin (no datapath) before each disk's attach, as xenopsd's VBD_epoch_begin
            assertEquals(
                    List.of(
                            "VDI.epoch_begin null",
                            "VDI.attach3 " + a,
                            "VDI.activate3 " + a,
                            "VDI.epoch_begin null",
                            "VDI.attach3 " + d,
                            "VDI.activate3 " + d),
                    storage.summary());
            Map<?, ?> epoch = (Map<?, ?>) storage.calls.get(0).params().get(0);
            assertEquals(
                    Map.of("dbg", "t", "sr", "sr1", "vdi", "disk0", "vm", Integer.toString(domid), "persistent", true),
                    epoch);
            Map<?, ?> attach = (Map<?, ?>) storage.calls.get(1).params().get(0);
            assertEquals("sr1", attach.get("sr"));
            assertEquals("disk0", attach.get("vdi"));
            assertEquals(Integer.toString(domid), attach.get("vm"));
            assertEquals(true, attach.get("read_write"));
            assertEquals(false, ((Map<?, ?>) storage.calls.get(4).params().get(0)).get("read_write"));
            assertEquals(Map.of(a, backendValue(), d, backendValue()), f.sim.attachedDisks());

            storage.calls.clear();
            SimFixture.ok(f.client, f.client.vmShutdown("t", vm, null));
            List<String> down = storage.summary();
            assertTrue(down.containsAll(List.of("DP.destroy " + a, "DP.destroy " + d)), down.toString());
            assertEquals(
                    2, down.stream().filter(x -> x.equals("VDI.epoch_end null")).count(), down.toString());
            assertEquals(
                    false,
                    ((Map<?, ?>) storage.calls
                                    .get(down.indexOf("DP.destroy " + a))
                                    .params()
                                    .get(0))
                            .get("allow_leak"));
            assertEquals(Map.of(), f.sim.attachedDisks());
        }
    }

    private static Object backendValue() {
        return Map.of("implementations", List.of(List.of("File", Map.of("path", "/srv/disk"))));
    }

    @Test
    void aStorageErrorFailsTheStartWithStorageBackendErrorAndNothingAttached() throws Exception {
        Path sock = dir.resolve("storage");
        try (FakeStorage storage = new FakeStorage(sock, call -> switch (call.method()) {
                    case "VDI.attach3" -> BACKEND;
                    case "VDI.activate3" ->
                        failure(List.of("Backend_error", List.of("SR_BACKEND_FAILURE_46", List.of("", "gone", ""))));
                    default -> XmlRpcWriter.success(null);
                });
                SimFixture f = new SimFixture(dir, Simulator.Config.inMemory().withStorageSocket(sock))) {
            String vm = "11111111-2222-3333-4444-555555555555";
            f.client.vmImportMetadata("t", SimFixture.metadata(vm, 1L << 30));
            XenopsError e = SimFixture.failed(f.client, f.client.vmStart("t", vm, false));
            assertEquals("Storage_backend_error", e.code());
            assertEquals(List.of("SR_BACKEND_FAILURE_46", List.of("", "gone", "")), e.args());
            assertEquals(PowerState.Halted, f.client.vmStat("t", vm).state().powerState());
            List<String> s = storage.summary();
            assertEquals("VDI.epoch_begin null", s.removeFirst());
            assertEquals("VDI.attach3", s.get(0).split(" ")[0]);
            assertEquals("VDI.activate3", s.get(1).split(" ")[0]);
            String dp = s.get(0).split(" ")[1];
            assertEquals("DP.destroy " + dp, s.get(2), "the failed activation frees its datapath at once");
            assertEquals(Map.of(), f.sim.attachedDisks());
        }
    }

    @Test
    void anUnreachableStorageServiceIsAnInternalError() throws Exception {
        try (SimFixture f = new SimFixture(dir, Simulator.Config.inMemory().withStorageSocket(dir.resolve("nobody")))) {
            String vm = "11111111-2222-3333-4444-555555555555";
            f.client.vmImportMetadata("t", SimFixture.metadata(vm, 1L << 30));
            XenopsError e = SimFixture.failed(f.client, f.client.vmStart("t", vm, false));
            assertEquals("Internal_error", e.code());
            assertEquals(PowerState.Halted, f.client.vmStat("t", vm).state().powerState());
        }
    }

    @Test
    void xenopsdsTransformOfStorageErrors() {
        XenopsError e = StorageClient.transform(List.of("Backend_error", List.of("VDI_IN_USE", List.of())));
        assertEquals(List.of("VDI_IN_USE", List.of()), e.args());
        e = StorageClient.transform(
                List.of("Backend_error_with_backtrace", List.of("SR_BACKEND_FAILURE_1", List.of("bt", "a", "b"))));
        assertEquals(List.of("SR_BACKEND_FAILURE_1", List.of("a", "b")), e.args());
        e = StorageClient.transform(List.of("No_storage_plugin_for_sr", "sr1"));
        assertEquals("Internal_error", e.code());
        assertEquals(List.of("Storage_error ([S(No_storage_plugin_for_sr);S(sr1)])"), e.args());
    }
}
