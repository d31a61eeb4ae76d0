package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xapijava.server.it.CrossPoolSupport.diskOf;
import static org.xapijava.server.it.CrossPoolSupport.managementNetwork;
import static org.xapijava.server.it.CrossPoolSupport.sim;
import static org.xapijava.server.it.CrossPoolSupport.vdisOf;
import static org.xapijava.server.it.CrossPoolSupport.vmUuids;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.Network;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Task;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VBD;
import com.xensource.xenapi.VDI;
import com.xensource.xenapi.VIF;
import com.xensource.xenapi.VM;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;

/**
 * {@code VM.migrate_send} to another pool of a VM of a pool member, driven through the Citrix SDK on pool A's master
 * as clients do: pool A is a master (127.0.0.2) and a member (127.0.0.3, reaching A's database only over HTTP), pool B
 * one standalone host (127.0.0.4), all in this JVM on one HTTP port. A's master forwards the call to the member (the
 * running VM's host; for a halted VM the one host seeing its disk), which exports the metadata, copies the disks from
 * its local SR, moves the domain from its xenopsd and sends the RRD, while the VM's messages and blobs go through A's
 * master and its records are destroyed in A's database through the master. {@code VM.assert_can_migrate} of a VM on
 * the member answers as for a standalone host.
 */
class CrossPoolMemberMigrateSdkTest {
    private static final int MIB = 1 << 20;

    @TempDir
    static Path dirA;

    @TempDir
    static Path dirMember;

    @TempDir
    static Path dirB;

    @TempDir
    static Path srDirs;

    static TwoHostPool poolA;
    static TestHost master;
    static TestHost member;
    static TestHost b;
    static Connection ca;
    static Connection cb;
    static SR srMember;
    static SR srB;

    @BeforeAll
    static void start() throws Exception {
        poolA = TwoHostPool.start(dirA, dirMember);
        master = poolA.master();
        member = poolA.member();
        try {
            b = TestHost.start(dirB, "--bind", "127.0.0.4", "--http-port", Integer.toString(master.port()));
        } catch (Exception | Error e) {
            poolA.close();
            throw e;
        }
        ca = LifecycleSupport.login(master);
        cb = LifecycleSupport.login(b);
        srMember = localSr(ca, memberHost(), "local-member");
        srB = localSr(cb, hostB(), "local-B");
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (b != null) b.close();
        } finally {
            if (poolA != null) poolA.close();
        }
    }

    private static SR localSr(Connection c, Host h, String name) throws Exception {
        Path location = srDirs.resolve(name);
        Files.createDirectories(location);
        return SR.create(c, h, Map.of("location", location.toString()), 0L, name, "", "file", "user", false, Map.of());
    }

    private static Host memberHost() {
        return Types.toHost(member.server.services().hostRef());
    }

    private static Host hostB() {
        return Types.toHost(b.server.services().hostRef());
    }

    /** {@code host.migrate_receive} of B's host on its management network, asked of pool B. */
    private static Map<String, String> destB() throws Exception {
        return CrossPoolSupport.dest(cb, hostB());
    }

    private static Map<VIF, Network> vifsToB(VM vm) throws Exception {
        return CrossPoolSupport.vifsTo(ca, vm, cb, hostB());
    }

    /** Each VIF of {@code there} (a VM of B) on B's management network, without the migration's {@code maps_to}. */
    private static void assertVifsOnB(VM there) throws Exception {
        assertFalse(there.getVIFs(cb).isEmpty());
        for (VIF v : there.getVIFs(cb)) {
            assertEquals(
                    managementNetwork(cb, hostB()).toWireString(),
                    v.getNetwork(cb).toWireString());
            assertFalse(v.getOtherConfig(cb).containsKey("maps_to"));
        }
    }

    /** Whether the member's replica of A's database still holds a row {@code ref} of {@code cls}. */
    private static boolean inMemberReplica(String cls, String ref) {
        return member.server.services().db().snapshot().exists(cls, ref);
    }

    private static int status(HttpResponse<?> r) {
        return r.statusCode();
    }

    @Test
    void aRunningVmOfTheMemberMovesToTheOtherPoolAndRunsThereOnItsDisk() throws Exception {
        int size = 16 * MIB;
        VM vm = LifecycleSupport.newVm(master, ca, "xpool-member-running");
        VBD disk = LifecycleSupport.attachDisk(ca, vm, srMember, "0", size);
        VDI old = disk.getVDI(ca);
        vm.startOn(ca, memberHost(), false, false);
        assertEquals(memberHost().toWireString(), vm.getResidentOn(ca).toWireString());
        String uuid = vm.getUuid(ca);
        String dev = disk.getDevice(ca);
        byte[] model = new byte[size];
        new Random(61).nextBytes(model);
        sim(member).guestDiskWrite(uuid, dev, 0, model);
        // a message and a blob of the VM, both kept by A's master
        com.xensource.xenapi.Message.create(ca, "XPOOL_MEMBER", 3L, Types.Cls.VM, uuid, "a message from the member");
        com.xensource.xenapi.Blob blob = vm.createNewBlob(ca, "notes", "text/plain", false);
        byte[] notes = "notes of a VM of the member".getBytes(StandardCharsets.UTF_8);
        HttpClient http = HttpClient.newHttpClient();
        assertEquals(
                200,
                status(http.send(
                        HttpRequest.newBuilder(master.uri(
                                        "/blob?session_id=" + ca.getSessionReference() + "&ref=" + blob.toWireString()))
                                .PUT(HttpRequest.BodyPublishers.ofByteArray(notes))
                                .build(),
                        HttpResponse.BodyHandlers.discarding())));
        // the member samples it: an RRD with a data source B's sampling never makes, to find it there
        // (polled: the member's replica, whose changes LifecycleSupport.await waits for, may stay quiet meanwhile)
        PoolHost.await(
                "an RRD of the VM on the member",
                java.time.Duration.ofSeconds(20),
                () -> member.server.statistics().rrds().hasVm(uuid));
        var rrds = member.server.statistics().rrds();
        var rrd = rrds.takeVm(uuid);
        rrd.addSource(
                org.xapijava.server.rrd.DataSource.gauge("xpool_member_marker", "", "", 1.0, false),
                System.currentTimeMillis() / 1000.0);
        rrds.putVm(uuid, rrd, vm.getDomid(ca));
        Map<String, String> dest = destB();
        Map<VIF, Network> vifs = vifsToB(vm);

        GuestWriter writer = GuestWriter.start(sim(member), uuid, dev, model, 62);
        long t0 = System.nanoTime();
        VM there;
        try {
            there = vm.migrateSend(ca, dest, true, Map.of(old, srB), vifs, Map.of(), Map.of());
        } finally {
            writer.close();
        }
        System.out.printf(
                "cross-pool move of a running VM of a pool member (%d MiB disk, %d guest writes meanwhile): %d ms%n",
                size / MIB, writer.writes(), (System.nanoTime() - t0) / 1_000_000);
        assertTrue(writer.writes() > 1, "the guest wrote during the move");

        // on B: running on its host, on a new VDI of its SR, with what the guest wrote on A's member
        assertEquals(uuid, there.getUuid(cb));
        VM.Record r = there.getRecord(cb);
        assertEquals(Types.VmPowerState.RUNNING, r.powerState);
        assertEquals(hostB().toWireString(), r.residentOn.toWireString(), "resident_on");
        assertTrue(sim(b).vmExists("t", uuid), "B's xenopsd runs it");
        assertEquals(
                org.xapijava.xenopsd.PowerState.Running,
                sim(b).vmStat("t", uuid).state().powerState(),
                "unpaused on B");
        VDI moved = diskOf(cb, there);
        assertEquals(srB.toWireString(), moved.getSR(cb).toWireString());
        assertFalse(moved.getOtherConfig(cb).containsKey("maps_to"));
        assertVifsOnB(there);
        assertArrayEquals(model, sim(b).guestDiskRead(uuid, dev, 0, size), "the guest reads on B what it wrote on A");
        // on A: the member's xenopsd has it no more; A's database (the master's and the member's replica) neither
        // the VM nor its disk, which is gone from the member's SR
        assertFalse(sim(member).vmExists("t", uuid), "the member's xenopsd no longer has it");
        assertFalse(sim(master).vmExists("t", uuid));
        assertFalse(vmUuids(ca).contains(uuid));
        assertFalse(vdisOf(ca, srMember).contains(old.toWireString()));
        assertFalse(master.server.services().db().snapshot().exists("VM", vm.toWireString()));
        LifecycleSupport.await(
                member,
                "the member's replica without the VM",
                () -> !inMemberReplica("VM", vm.toWireString()) && !inMemberReplica("VDI", old.toWireString()));
        // the RRD went from the member to B
        assertFalse(member.server.statistics().rrds().hasVm(uuid), "the member sent its RRD (migrate_rrd)");
        String dump = b.server.statistics().rrds().vmDump(uuid, false);
        assertTrue(dump != null && dump.contains("xpool_member_marker"), "B holds the member's RRD");
        // its messages and its blob went from A's master to B's, none left on A
        Set<String> bodies = com.xensource.xenapi.Message.get(cb, Types.Cls.VM, uuid, new Date(0)).values().stream()
                .map(m -> m.body)
                .collect(Collectors.toSet());
        assertTrue(bodies.contains("a message from the member"), bodies::toString);
        assertTrue(
                com.xensource.xenapi.Message.getAllRecords(ca).values().stream().noneMatch(m -> uuid.equals(m.objUuid)),
                "A keeps none of its messages");
        com.xensource.xenapi.Blob blobThere = there.getBlobs(cb).get("notes");
        HttpResponse<byte[]> got = http.send(
                HttpRequest.newBuilder(b.uri(
                                "/blob?session_id=" + cb.getSessionReference() + "&ref=" + blobThere.toWireString()))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertArrayEquals(notes, got.body());
        assertThrows(Types.HandleInvalid.class, () -> blob.getUuid(ca));
        LifecycleSupport.await(
                b, "the VM unmarked on B", () -> there.getCurrentOperations(cb).isEmpty());
        there.hardShutdown(cb);
        assertEquals(Types.VmPowerState.HALTED, there.getPowerState(cb));
    }

    /** A halted VM whose disk only the member sees: the master forwards the call to the member, which sends it. */
    @Test
    void aHaltedVmOnTheMembersLocalSrMovesToTheOtherPool() throws Exception {
        int size = 4 * MIB;
        VM vm = LifecycleSupport.newVm(master, ca, "xpool-member-halted");
        VBD disk = LifecycleSupport.attachDisk(ca, vm, srMember, "0", size);
        VDI old = disk.getVDI(ca);
        byte[] bytes = new byte[size];
        new Random(63).nextBytes(bytes);
        LifecycleSupport.writeVdi(member.server, old, bytes);
        String uuid = vm.getUuid(ca);
        Set<String> onB = vdisOf(cb, srB);

        long t0 = System.nanoTime();
        VM there = vm.migrateSend(ca, destB(), true, Map.of(old, srB), vifsToB(vm), Map.of(), Map.of());
        System.out.printf(
                "cross-pool move of a halted VM on a pool member's SR (%d MiB disk): %d ms%n",
                size / MIB, (System.nanoTime() - t0) / 1_000_000);

        assertEquals(there.toWireString(), VM.getByUuid(cb, uuid).toWireString());
        assertEquals(Types.VmPowerState.HALTED, there.getPowerState(cb));
        VDI moved = diskOf(cb, there);
        assertEquals(srB.toWireString(), moved.getSR(cb).toWireString());
        assertArrayEquals(bytes, LifecycleSupport.vdiBytes(b.server, moved, size));
        assertVifsOnB(there);
        Set<String> added = vdisOf(cb, srB);
        added.removeAll(onB);
        assertEquals(Set.of(moved.toWireString()), added, "one new VDI on B");
        assertFalse(vmUuids(ca).contains(uuid));
        assertThrows(Types.UuidInvalid.class, () -> VM.getByUuid(ca, uuid));
        assertFalse(vdisOf(ca, srMember).contains(old.toWireString()), "its disk is gone from the member's SR");
        // it runs on B from the copy
        there.startOn(cb, hostB(), false, false);
        assertEquals(Types.VmPowerState.RUNNING, there.getPowerState(cb));
        there.hardShutdown(cb);
    }

    /**
     * The task of a move the member runs, cancelled on A's master (which forwards {@code task.cancel} to the member)
     * during the disk copy: the VM runs on on the member, nothing is left on B.
     */
    @Test
    void aCancelledMoveOfAVmOfTheMemberLeavesItThereAndNothingOnB() throws Exception {
        long size = 2048L * MIB; // sparse: a copy long enough to be cancelled while it runs
        VM vm = LifecycleSupport.newVm(master, ca, "xpool-member-cancelled");
        VBD disk = LifecycleSupport.attachDisk(ca, vm, srMember, "0", size);
        VDI old = disk.getVDI(ca);
        vm.startOn(ca, memberHost(), false, false);
        String uuid = vm.getUuid(ca);
        Set<String> onB = vdisOf(cb, srB);
        Set<String> vmsOnB = vmUuids(cb);

        Task task = vm.migrateSendAsync(ca, destB(), true, Map.of(old, srB), vifsToB(vm), Map.of(), Map.of());
        LifecycleSupport.await(master, "the copy under way", () -> {
            Task.Record t = task.getRecord(ca);
            return t.progress > 0 || t.status != Types.TaskStatusType.PENDING;
        });
        assertEquals(memberHost().toWireString(), task.getResidentOn(ca).toWireString(), "forwarded to the member");
        task.cancel(ca);
        Task.Record end = LifecycleSupport.awaitTask(master, ca, task);
        assertEquals(Types.TaskStatusType.CANCELLED, end.status, String.valueOf(List.of(end.errorInfo)));

        assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(ca));
        assertEquals(memberHost().toWireString(), vm.getResidentOn(ca).toWireString());
        assertTrue(sim(member).vmExists("t", uuid));
        assertEquals(
                org.xapijava.xenopsd.PowerState.Running,
                sim(member).vmStat("t", uuid).state().powerState());
        assertFalse(sim(b).vmExists("t", uuid));
        assertEquals(old.toWireString(), disk.getVDI(ca).toWireString());
        assertEquals(onB, vdisOf(cb, srB), "no VDI left on B");
        assertEquals(vmsOnB, vmUuids(cb), "no VM left on B");
        LifecycleSupport.await(
                master, "the VM unmarked", () -> vm.getCurrentOperations(ca).isEmpty());
        vm.hardShutdown(ca);
    }

    /** {@code VM.assert_can_migrate} of a VM running on the member: the checks and the dry run as on a lone host. */
    @Test
    void assertCanMigrateOfAVmOfTheMemberAnswersAsForAStandaloneHost() throws Exception {
        VM vm = LifecycleSupport.newVm(master, ca, "xpool-member-check");
        VBD disk = LifecycleSupport.attachDisk(ca, vm, srMember, "0", MIB);
        VDI old = disk.getVDI(ca);
        vm.startOn(ca, memberHost(), false, false);
        Map<String, String> dest = destB();
        Set<String> onB = vdisOf(cb, srB);
        Set<String> vmsOnB = vmUuids(cb);
        try {
            Types.VdiNotInMap missing = assertThrows(
                    Types.VdiNotInMap.class,
                    () -> vm.assertCanMigrate(ca, dest, true, Map.of(), vifsToB(vm), Map.of(), Map.of()));
            assertEquals(old.toWireString(), missing.vdi);
            Types.VifNotInMap vif = assertThrows(
                    Types.VifNotInMap.class,
                    () -> vm.assertCanMigrate(ca, dest, true, Map.of(old, srB), Map.of(), Map.of(), Map.of()));
            assertEquals(vm.getVIFs(ca).iterator().next().toWireString(), vif.vif);
            // the checks that pass, the dry run of the import on B too
            vm.assertCanMigrate(ca, dest, true, Map.of(old, srB), vifsToB(vm), Map.of(), Map.of());
            // a refusal of the move itself, which the member runs: nothing is made on B, the VM runs on
            assertThrows(
                    Types.VdiNotInMap.class,
                    () -> vm.migrateSend(ca, dest, true, Map.of(), vifsToB(vm), Map.of(), Map.of()));
            assertEquals(onB, vdisOf(cb, srB), "nothing made on B");
            assertEquals(vmsOnB, vmUuids(cb));
            assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(ca));
            assertEquals(memberHost().toWireString(), vm.getResidentOn(ca).toWireString());
            assertFalse(old.getOtherConfig(ca).containsKey("maps_to"), "no maps_to left");
            for (VIF v : vm.getVIFs(ca)) assertFalse(v.getOtherConfig(ca).containsKey("maps_to"));
        } finally {
            LifecycleSupport.await(
                    master, "the VM unmarked", () -> vm.getCurrentOperations(ca).isEmpty());
            vm.hardShutdown(ca);
        }
    }
}
