package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.Message;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Task;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VBD;
import com.xensource.xenapi.VDI;
import com.xensource.xenapi.VM;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.client.XenApi;
import org.xapijava.server.TestHost;

/**
 * The VM messages few clients call, through the Citrix SDK and the raw wire: {@code VM.import} of an XVA served by an
 * HTTP server (redirections followed, at most five, and Xapi's {@code IMPORT_ERROR} for the rest), {@code VM.csvm}
 * (a clone of a suspended VM that resumes), the pool-internal {@code VM.atomic_set_resident_on} and
 * {@code hard_reboot_internal} (refused to a client's session), and {@code VM.retrieve_wlb_recommendations} without
 * a WLB server.
 */
class VmRareCallsSdkTest {
    @TempDir
    static Path dir;

    static TestHost host;
    static Connection c;
    static String session;
    static SR sr;
    static HttpServer web;
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static volatile byte[] xva = new byte[0];

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir);
        c = LifecycleSupport.login(host);
        session = c.getSessionReference();
        sr = Pool.getAll(c).iterator().next().getDefaultSR(c);
        web = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        web.createContext("/vm.xva", x -> {
            x.sendResponseHeaders(200, xva.length);
            x.getResponseBody().write(xva);
            x.close();
        });
        web.createContext("/moved", x -> redirect(x, "/vm.xva"));
        web.createContext("/stall", x -> {
            // half of the archive, then nothing: a server that hangs mid-transfer
            x.sendResponseHeaders(200, xva.length);
            x.getResponseBody().write(xva, 0, xva.length / 2);
            x.getResponseBody().flush();
            try {
                Thread.sleep(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            x.close();
        });
        web.createContext("/loop", x -> redirect(x, "/loop"));
        web.createContext("/nowhere", x -> {
            x.sendResponseHeaders(302, -1);
            x.close();
        });
        web.createContext("/missing", x -> {
            x.sendResponseHeaders(404, -1);
            x.close();
        });
        web.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        web.start();
    }

    static void redirect(com.sun.net.httpserver.HttpExchange x, String to) throws java.io.IOException {
        x.getResponseHeaders().add("Location", to);
        x.sendResponseHeaders(302, -1);
        x.close();
    }

    @AfterAll
    static void stop() throws Exception {
        if (web != null) web.stop(0);
        if (host != null) host.close();
    }

    static String url(String path) {
        return "http://127.0.0.1:" + web.getAddress().getPort() + path;
    }

    static byte[] read(VDI vdi) throws Exception {
        HttpResponse<byte[]> r = HTTP.send(
                HttpRequest.newBuilder(host.uri("/export_raw_vdi?session_id=" + session + "&vdi=" + vdi.toWireString()))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        return r.body();
    }

    static VDI disk(VM vm) throws Exception {
        for (VBD b : vm.getVBDs(c)) if (b.getType(c) == Types.VbdType.DISK) return b.getVDI(c);
        throw new AssertionError("no disk");
    }

    @Test
    void vmImportFetchesAnXvaFromAUrlAndFollowsRedirections() throws Exception {
        VM vm = LifecycleSupport.newVm(host, c, "served");
        VBD vbd = LifecycleSupport.attachDisk(c, vm, sr, "0", 2L << 20);
        byte[] data = new byte[2 << 20];
        new Random(7).nextBytes(data);
        HttpResponse<byte[]> w = HTTP.send(
                HttpRequest.newBuilder(host.uri("/import_raw_vdi?session_id=" + session + "&vdi="
                                + vbd.getVDI(c).toWireString()))
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(data))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, w.statusCode());
        HttpResponse<byte[]> out = HTTP.send(
                HttpRequest.newBuilder(host.uri("/export?session_id=" + session + "&ref=" + vm.toWireString()))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, out.statusCode());
        xva = out.body();

        int before = VM.getAll(c).size();
        Set<VM> imported = VM.import_(c, url("/moved"), sr, false, false);
        assertEquals(1, imported.size());
        VM copy = imported.iterator().next();
        assertEquals(before + 1, VM.getAll(c).size());
        assertEquals("served", copy.getNameLabel(c));
        assertNotEquals(vm.getUuid(c), copy.getUuid(c));
        assertTrue(copy.getCurrentOperations(c).isEmpty());
        assertArrayEquals(data, read(disk(copy)));

        // full_restore keeps the exported uuid
        vm.destroy(c);
        VM restored = VM.import_(c, url("/vm.xva"), sr, true, false).iterator().next();
        assertEquals(copy.getNameLabel(c), restored.getNameLabel(c));
        assertArrayEquals(data, read(disk(restored)));

        // as Async: the task's result is the VMs
        Task t = VM.import_Async(c, url("/vm.xva"), sr, false, false);
        Task.Record done = LifecycleSupport.awaitTask(host, c, t);
        assertEquals(Types.TaskStatusType.SUCCESS, done.status, String.valueOf(done.errorInfo));
        assertTrue(done.result.contains("OpaqueRef:"), done.result);

        RawConnection raw = new RawConnection(LifecycleSupport.url(host));
        int vms = VM.getAll(c).size();
        assertEquals(
                List.of("IMPORT_ERROR", "Maximum redirect limit reached"),
                raw.failure("VM.import", session, url("/loop"), sr.toWireString(), false, false));
        assertEquals(
                List.of("IMPORT_ERROR", "Redirect with no new location"),
                raw.failure("VM.import", session, url("/nowhere"), sr.toWireString(), false, false));
        assertEquals(
                List.of("IMPORT_ERROR", "404 Not Found"),
                raw.failure("VM.import", session, url("/missing"), sr.toWireString(), false, false));
        assertEquals(
                List.of("IMPORT_ERROR", "Unsupported URI scheme: ftp"),
                raw.failure("VM.import", session, "ftp://127.0.0.1/x", sr.toWireString(), false, false));
        // Xapi's Open_uri texts for what it cannot open; no JDK exception names
        assertEquals(
                List.of("IMPORT_ERROR", "Failed to parse URI: "),
                raw.failure("VM.import", session, "", sr.toWireString(), false, false));
        assertEquals(
                List.of("IMPORT_ERROR", "Failed to parse URI: no scheme"),
                raw.failure("VM.import", session, "no scheme", sr.toWireString(), false, false));
        assertEquals(
                List.of("IMPORT_ERROR", "Failed to parse host and port from URI: http:/vm.xva"),
                raw.failure("VM.import", session, "http:/vm.xva", sr.toWireString(), false, false));
        int closed; // a port nothing listens on
        try (java.net.ServerSocket free =
                new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            closed = free.getLocalPort();
        }
        assertEquals(
                List.of("IMPORT_ERROR", "Cannot reach http://127.0.0.1:" + closed + ": Connection refused"),
                raw.failure(
                        "VM.import",
                        session,
                        "http://127.0.0.1:" + closed + "/vm.xva",
                        sr.toWireString(),
                        false,
                        false));
        // an archive cut short: Xapi's error, and nothing of it left
        xva = java.util.Arrays.copyOf(out.body(), out.body().length / 2);
        assertEquals(
                List.of("IMPORT_ERROR_PREMATURE_EOF"),
                raw.failure("VM.import", session, url("/vm.xva"), sr.toWireString(), false, false));
        assertEquals(
                List.of("HANDLE_INVALID", "SR", "OpaqueRef:nope"),
                raw.failure("VM.import", session, url("/vm.xva"), "OpaqueRef:nope", false, false));
        assertEquals(vms, VM.getAll(c).size(), "no VM left by the failures");

        // a server that stops sending: the import's task is cancelled, and ends, leaving nothing
        xva = out.body();
        Task stalled = VM.import_Async(c, url("/stall"), sr, false, false);
        LifecycleSupport.await(
                host, "the import has made its objects", () -> VM.getAll(c).size() > vms || isDone(stalled));
        stalled.cancel(c);
        Task.Record cancelled = LifecycleSupport.awaitTask(host, c, stalled);
        assertEquals(Types.TaskStatusType.CANCELLED, cancelled.status, String.valueOf(cancelled.errorInfo));
        assertEquals(vms, VM.getAll(c).size(), "the cancelled import's VM is gone");
    }

    static boolean isDone(Task t) throws Exception {
        return t.getStatus(c) != Types.TaskStatusType.PENDING;
    }

    @Test
    void csvmClonesASuspendedVmWhichResumes() throws Exception {
        VM vm = LifecycleSupport.newVm(host, c, "to-csvm");
        RawConnection raw = new RawConnection(LifecycleSupport.url(host));
        assertEquals(
                List.of("VM_BAD_POWER_STATE", vm.toWireString(), "suspended", "halted"),
                raw.failure("VM.csvm", session, vm.toWireString()));
        vm.start(c, false, false);
        vm.suspend(c);
        VM copy = Types.toVM((String) host.ok("VM.csvm", session, vm.toWireString()));
        assertEquals("to-csvm-cloned-suspended", copy.getNameLabel(c));
        assertEquals(Types.VmPowerState.SUSPENDED, copy.getPowerState(c));
        assertNotEquals(vm.getSuspendVDI(c), copy.getSuspendVDI(c), "the suspend image is cloned");
        assertTrue(vm.getCurrentOperations(c).isEmpty());
        boolean cloned = false;
        for (Message.Record m : Message.getAllRecords(c).values())
            cloned |= m.name.equals("VM_CLONED")
                    && m.objUuid.equals(vm.getUuid(c))
                    && m.body.endsWith("cloned (new uuid: " + copy.getUuid(c) + ")");
        assertTrue(cloned, "a VM_CLONED message on the original");
        copy.resume(c, false, false);
        assertEquals(Types.VmPowerState.RUNNING, copy.getPowerState(c));
        copy.hardShutdown(c);
        vm.hardShutdown(c);
    }

    @Test
    void poolInternalCallsAreRefusedToClientsAndWorkForTheHost() throws Exception {
        VM vm = LifecycleSupport.newVm(host, c, "internal");
        Host me = Host.getAll(c).iterator().next();
        RawConnection raw = new RawConnection(LifecycleSupport.url(host));
        List<String> refused = raw.failure("VM.atomic_set_resident_on", session, vm.toWireString(), me.toWireString());
        assertEquals("INTERNAL_ERROR", refused.get(0));
        assertEquals(Types.VmPowerState.HALTED, vm.getPowerState(c));
        XenApi internal = host.dispatcher().internalApi(null);
        internal.vm().atomicSetResidentOn(vm.toWireString(), me.toWireString());
        assertEquals(me, vm.getResidentOn(c));
        assertEquals("OpaqueRef:NULL", host.ok("VM.get_scheduled_to_be_resident_on", session, vm.toWireString()));
        internal.vm().atomicSetResidentOn(vm.toWireString(), "OpaqueRef:NULL");
        assertEquals("OpaqueRef:NULL", vm.getResidentOn(c).toWireString());

        // hard_reboot_internal: a running VM gets a new domain; a halted one is refused
        assertEquals(
                "VM_BAD_POWER_STATE",
                host.err("VM.hard_reboot_internal", internalSession(), vm.toWireString())
                        .get(0));
        vm.start(c, false, false);
        long domid = vm.getDomid(c);
        internal.vm().hardRebootInternal(vm.toWireString());
        assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c));
        assertNotEquals(domid, vm.getDomid(c).longValue(), "a new domain");
        assertTrue(vm.getCurrentOperations(c).isEmpty());
        for (VBD b : vm.getVBDs(c)) assertTrue(b.getCurrentOperations(c).isEmpty());
        vm.hardShutdown(c);
    }

    /** A session of this host's own, as pool-internal calls use. */
    static String internalSession() {
        return (String) host.ok("session.slave_local_login_with_password", "root", host.password());
    }

    @Test
    void wlbRecommendationsNeedAWlbServer() throws Exception {
        VM vm = LifecycleSupport.newVm(host, c, "wlb");
        RawConnection raw = new RawConnection(LifecycleSupport.url(host));
        assertEquals(
                List.of("WLB_NOT_INITIALIZED"),
                raw.failure("VM.retrieve_wlb_recommendations", session, vm.toWireString()));
        assertEquals(
                List.of("HANDLE_INVALID", "VM", "OpaqueRef:nope"),
                raw.failure("VM.retrieve_wlb_recommendations", session, "OpaqueRef:nope"));
        Pool pool = Pool.getAll(c).iterator().next();
        Map<String, String> restrictions = pool.getRestrictions(c);
        assertEquals("false", restrictions.get("restrict_wlb"), "XCP-ng licenses WLB");
    }
}
