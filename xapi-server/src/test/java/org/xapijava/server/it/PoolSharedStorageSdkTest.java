package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.PBD;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VBD;
import com.xensource.xenapi.VDI;
import com.xensource.xenapi.VM;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shared storage in a pool of hosts that reach their master only over the wire (item 6 of the pool issue): a
 * {@code file} SR created with {@code shared=true} at a directory every host reaches gets a PBD per host, each
 * plugged by its own host's driver; a host joining later gets its PBD and plugs it at its start, as Xapi's
 * {@code create_pbds_for_shared_srs}; a disk on it is activated read-write on one host only (the driver's
 * activation tag moves with a live migration, a second VM using the disk elsewhere is refused).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PoolSharedStorageSdkTest {
    @TempDir
    static Path dirA;

    @TempDir
    static Path dirB;

    @TempDir
    static Path dirC;

    @TempDir
    static Path nas;

    static PoolHost a;
    static PoolHost b;
    static PoolHost c;
    static Connection master;
    static SR shared;
    static VDI disk;

    @BeforeAll
    static void start() throws Exception {
        int port = PoolHost.freePort();
        a = PoolHost.start(dirA, "127.0.0.2", port);
        b = PoolHost.start(dirB, "127.0.0.3", port);
        c = PoolHost.start(dirC, "127.0.0.4", port);
        master = login(a);
        Pool.join(login(b), "127.0.0.2", "root", a.password());
        PoolHost.await("B restarted as a member", Duration.ofSeconds(60), () -> b.starts() >= 2);
        PoolHost.await("two hosts enabled and live", Duration.ofSeconds(60), () -> allEnabledAndLive(2));
    }

    @AfterAll
    static void stop() {
        PoolHost.closeAll(c, b, a);
    }

    static Connection login(PoolHost h) throws Exception {
        return PoolHost.login(h);
    }

    static boolean allEnabledAndLive(int n) {
        return PoolHost.allEnabledAndLive(master, n);
    }

    /** The hosts with a plugged PBD of {@code sr}, by address. */
    static Set<String> pluggedOn(SR sr) throws Exception {
        return sr.getPBDs(master).stream()
                .filter(p -> get(() -> p.getCurrentlyAttached(master)))
                .map(p -> get(() -> p.getHost(master).getAddress(master)))
                .collect(Collectors.toSet());
    }

    /** The hosts {@code vdi}'s driver tags as activated on, by address, with the mode. */
    static Map<String, String> activatedOn(VDI vdi) throws Exception {
        Map<String, String> out = new HashMap<>();
        for (var e : vdi.getSmConfig(master).entrySet()) {
            if (!e.getKey().startsWith("host_")) continue;
            Host h = Types.toHost(e.getKey().substring("host_".length()));
            out.put(h.getAddress(master), e.getValue());
        }
        return out;
    }

    static Host hostAt(String address) throws Exception {
        return PoolHost.hostAt(master, address);
    }

    interface Get<T> {
        T get() throws Exception;
    }

    static <T> T get(Get<T> g) {
        try {
            return g.get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    @Order(1)
    void aSharedSrCreatedOnThePoolIsPluggedOnEveryHostByItsOwnDriver() throws Exception {
        shared = SR.create(
                master,
                hostAt("127.0.0.2"),
                Map.of("location", nas.toString()),
                0L,
                "NAS",
                "shared by the pool",
                "file",
                "user",
                true,
                Map.of());
        assertTrue(shared.getShared(master));
        assertEquals(Set.of("127.0.0.2", "127.0.0.3"), pluggedOn(shared));
        assertEquals(2, shared.getPBDs(master).size(), "one PBD per host");
        // each host's storage layer attached it: the member answers for its own PBD
        PBD onB = null;
        for (PBD p : shared.getPBDs(master)) if (p.getHost(master).equals(hostAt("127.0.0.3"))) onB = p;
        onB.unplug(master);
        assertEquals(Set.of("127.0.0.2"), pluggedOn(shared));
        onB.plug(master);
        assertEquals(Set.of("127.0.0.2", "127.0.0.3"), pluggedOn(shared));
        disk = VDI.create(master, LifecycleSupport.vdiRecord(shared, "pool disk", 64L << 20));
        assertEquals(shared, disk.getSR(master));
    }

    @Test
    @Order(2)
    void aDiskOnItIsActivatedOnOneHostAndFollowsItsVmWhenItMigrates() throws Exception {
        VM vm = LifecycleSupport.newVm(a.server(), master, "on-the-nas");
        LifecycleSupport.diskVbd(master, vm, disk, "1");
        vm.startOn(master, hostAt("127.0.0.3"), false, false);
        assertEquals(Map.of("127.0.0.3", "RW"), activatedOn(disk));
        assertTrue(b.server().xenops().xenops().vmExists("test", vm.getUuid(master)));

        VM other = LifecycleSupport.newVm(a.server(), master, "wants-the-same-disk");
        LifecycleSupport.diskVbd(master, other, disk, "1");
        assertThrows(Types.VdiInUse.class, () -> other.startOn(master, hostAt("127.0.0.2"), false, false));
        assertEquals(Types.VmPowerState.HALTED, other.getPowerState(master));
        assertEquals(Map.of("127.0.0.3", "RW"), activatedOn(disk));

        vm.poolMigrate(master, hostAt("127.0.0.2"), Map.of("live", "true"));
        assertEquals(hostAt("127.0.0.2"), vm.getResidentOn(master));
        assertEquals(Map.of("127.0.0.2", "RW"), activatedOn(disk), "the tag moved with the VM");
        assertFalse(b.server().xenops().xenops().vmExists("test", vm.getUuid(master)));
        vm.hardShutdown(master);
        assertEquals(Map.of(), activatedOn(disk));
        other.destroy(master);
        for (VBD v : vm.getVBDs(master)) if (v.getVDI(master).equals(disk)) v.destroy(master);
        vm.destroy(master);
    }

    @Test
    @Order(3)
    void aHostJoiningLaterGetsItsPbdPluggedAndRunsTheDisk() throws Exception {
        Pool.join(login(c), "127.0.0.2", "root", a.password());
        PoolHost.await("C restarted as a member", Duration.ofSeconds(60), () -> c.starts() >= 2);
        PoolHost.await("three hosts enabled and live", Duration.ofSeconds(60), () -> allEnabledAndLive(3));
        PoolHost.await(
                "C's PBD of the shared SR is plugged",
                Duration.ofSeconds(30),
                () -> get(() -> pluggedOn(shared)).contains("127.0.0.4"));
        assertEquals(3, shared.getPBDs(master).size());
        PBD onC = null;
        for (PBD p : shared.getPBDs(master)) if (p.getHost(master).equals(hostAt("127.0.0.4"))) onC = p;
        assertEquals(Map.of("location", nas.toString()), onC.getDeviceConfig(master), "the master's, as Xapi");

        VM vm = LifecycleSupport.newVm(a.server(), master, "on-c");
        LifecycleSupport.diskVbd(master, vm, disk, "1");
        vm.startOn(master, hostAt("127.0.0.4"), false, false);
        assertEquals(Map.of("127.0.0.4", "RW"), activatedOn(disk));
        vm.hardShutdown(master);
        assertEquals(Map.of(), activatedOn(disk));
    }

    @Test
    @Order(4)
    void aDisksContentOnAMembersLocalSrIsRedirectedToThatMember() throws Exception {
        Host hb = hostAt("127.0.0.3");
        SR local = null;
        for (PBD p : PBD.getAll(master)) {
            SR sr = p.getSR(master);
            if (p.getHost(master).equals(hb) && sr.getType(master).equals("file") && !sr.getShared(master)) local = sr;
        }
        VDI onB = VDI.create(master, LifecycleSupport.vdiRecord(local, "on-b", 1 << 20));
        String q = "session_id=" + master.getSessionReference() + "&vdi=" + onB.toWireString();
        byte[] data = new byte[1 << 20];
        new java.util.Random(21).nextBytes(data);
        var http = java.net.http.HttpClient.newHttpClient();
        // on the master: the SR is not plugged here, so the answer sends the client to B, same port, same query
        var put = http.send(
                java.net.http.HttpRequest.newBuilder(a.url().toURI().resolve("/import_raw_vdi?" + q))
                        .PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(new byte[0]))
                        .build(),
                java.net.http.HttpResponse.BodyHandlers.discarding());
        assertEquals(302, put.statusCode());
        String location = put.headers().firstValue("location").orElseThrow();
        assertEquals(b.url().toURI().resolve("/import_raw_vdi?" + q).toString(), location);
        assertEquals(
                200,
                http.send(
                                java.net.http.HttpRequest.newBuilder(java.net.URI.create(location))
                                        .PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(data))
                                        .build(),
                                java.net.http.HttpResponse.BodyHandlers.discarding())
                        .statusCode());
        var follow = java.net.http.HttpClient.newBuilder()
                .followRedirects(java.net.http.HttpClient.Redirect.NORMAL)
                .build();
        var out = follow.send(
                java.net.http.HttpRequest.newBuilder(a.url().toURI().resolve("/export_raw_vdi?" + q))
                        .GET()
                        .build(),
                java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, out.statusCode());
        assertEquals(b.url().getHost(), out.uri().getHost(), "served by B");
        org.junit.jupiter.api.Assertions.assertArrayEquals(data, out.body());
        onB.destroy(master);
    }

    /**
     * A VM whose disk is on a member's local SR: its export through the master is redirected to the member, which
     * marks the VM {@code export} in the pool's database while it streams; an import into that SR through the master
     * is redirected there too and makes the VM, whose disk holds the same bytes.
     */
    @Test
    @Order(5)
    void aVmOnAMembersLocalSrExportsAndImportsOnThatMember() throws Exception {
        Host hb = hostAt("127.0.0.3");
        SR local = null;
        for (PBD p : PBD.getAll(master)) {
            SR sr = p.getSR(master);
            if (p.getHost(master).equals(hb) && sr.getType(master).equals("file") && !sr.getShared(master)) local = sr;
        }
        com.xensource.xenapi.VM vm = com.xensource
                .xenapi
                .VM
                .getByNameLabel(master, "Other install media")
                .iterator()
                .next()
                .createClone(master, "on b");
        vm.setIsATemplate(master, false);
        VDI onB = VDI.create(master, LifecycleSupport.vdiRecord(local, "on-b disk", 8L << 20));
        LifecycleSupport.diskVbd(master, vm, onB, "0");
        byte[] data = new byte[8 << 20];
        new java.util.Random(22).nextBytes(data);
        String s = "session_id=" + master.getSessionReference();
        var follow = java.net.http.HttpClient.newBuilder()
                .followRedirects(java.net.http.HttpClient.Redirect.NORMAL)
                .build();
        // an empty probe first, as Xen Orchestra does: the master does not read a body it redirects, and a client
        // still writing one may lose the 302 when the connection closes
        var rawProbe = java.net.http.HttpClient.newHttpClient()
                .send(
                        java.net.http.HttpRequest.newBuilder(
                                        a.url().toURI().resolve("/import_raw_vdi?" + s + "&vdi=" + onB.toWireString()))
                                .PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(new byte[0]))
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.discarding());
        assertEquals(302, rawProbe.statusCode());
        java.net.URI there =
                java.net.URI.create(rawProbe.headers().firstValue("location").orElseThrow());
        assertEquals(b.url().getHost(), there.getHost(), "sent to B");
        assertEquals(
                200,
                follow.send(
                                java.net.http.HttpRequest.newBuilder(there)
                                        .PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(data))
                                        .build(),
                                java.net.http.HttpResponse.BodyHandlers.discarding())
                        .statusCode());
        var out = follow.send(
                java.net.http.HttpRequest.newBuilder(
                                a.url().toURI().resolve("/export?" + s + "&ref=" + vm.toWireString()))
                        .build(),
                java.net.http.HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, out.statusCode());
        assertEquals(b.url().getHost(), out.uri().getHost(), "served by B");
        java.io.ByteArrayOutputStream xva = new java.io.ByteArrayOutputStream();
        try (java.io.InputStream in = out.body()) {
            xva.write(in.readNBytes(1 << 20));
            assertEquals(
                    java.util.List.of("export"),
                    java.util.List.copyOf(vm.getCurrentOperations(master).values()).stream()
                            .map(Object::toString)
                            .map(x -> x.toLowerCase(java.util.Locale.ROOT))
                            .toList(),
                    "marked in the pool's database while B streams");
            in.transferTo(xva);
        }
        PoolHost.await(
                "the mark gone",
                Duration.ofSeconds(20),
                () -> get(() -> vm.getCurrentOperations(master).isEmpty()));
        // as Xen Orchestra does: an empty probe PUT finds where to send the body (the master does not read a body
        // it redirects, and a client still writing one may lose the 302 when the connection closes)
        var http = java.net.http.HttpClient.newHttpClient();
        var probe = http.send(
                java.net.http.HttpRequest.newBuilder(
                                a.url().toURI().resolve("/import?" + s + "&sr_id=" + local.toWireString()))
                        .PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(new byte[0]))
                        .build(),
                java.net.http.HttpResponse.BodyHandlers.discarding());
        assertEquals(302, probe.statusCode());
        var put = http.send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                                probe.headers().firstValue("location").orElseThrow()))
                        .PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(xva.toByteArray()))
                        .build(),
                java.net.http.HttpResponse.BodyHandlers.discarding());
        assertEquals(200, put.statusCode());
        assertEquals(b.url().getHost(), put.uri().getHost(), "imported by B");
        com.xensource.xenapi.Task t =
                Types.toTask(put.headers().firstValue("task-id").orElseThrow());
        PoolHost.await(
                "the import done",
                Duration.ofSeconds(30),
                () -> get(() -> t.getStatus(master)) != Types.TaskStatusType.PENDING);
        assertEquals(Types.TaskStatusType.SUCCESS, t.getStatus(master), String.valueOf(t.getErrorInfo(master)));
        String result = t.getResult(master);
        com.xensource.xenapi.VM copy = Types.toVM(result.replaceAll(".*<value>(OpaqueRef:[^<]+)</value>.*", "$1"));
        VDI copied = copy.getVBDs(master).iterator().next().getVDI(master);
        assertEquals(local, copied.getSR(master));
        var back = follow.send(
                java.net.http.HttpRequest.newBuilder(
                                a.url().toURI().resolve("/export_raw_vdi?" + s + "&vdi=" + copied.toWireString()))
                        .build(),
                java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        org.junit.jupiter.api.Assertions.assertArrayEquals(data, back.body());
    }
}
