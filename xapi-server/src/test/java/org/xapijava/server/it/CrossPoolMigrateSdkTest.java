package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Date;
import java.util.HashMap;
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
import org.xapijava.server.cli.XeRun;

/**
 * {@code VM.assert_can_migrate} and {@code VM.migrate_send} between two pools: two standalone hosts started in this
 * JVM (pool A on 127.0.0.2, pool B on 127.0.0.3, one HTTP port), each with a local file SR, driven through the
 * Citrix SDK as Xen Orchestra drives them ({@code host.migrate_receive} on B, {@code VM.migrate_send} on A): halted
 * and running VMs move with their disks byte for byte and keep their uuid, A keeps nothing of them; refusals get
 * Xapi's errors; a move B refuses or the caller cancels leaves A as it was and nothing on B.
 */
class CrossPoolMigrateSdkTest {
    private static final int MIB = 1 << 20;

    @TempDir
    static Path dirA;

    @TempDir
    static Path dirB;

    @TempDir
    static Path srDirs;

    static TestHost a;
    static TestHost b;
    static Connection ca;
    static Connection cb;
    static SR srA;
    static SR srB;

    @BeforeAll
    static void start() throws Exception {
        int port = PoolHost.freePort();
        // fixed HTTPS ports: each pool's traffic goes over TLS, and so does the move between them
        String https = Integer.toString(PoolHost.freePort());
        a = TestHost.start(dirA, "--bind", "127.0.0.2", "--http-port", Integer.toString(port), "--https-port", https);
        // B's host has 4 GiB (the simulator's default is 1 TiB): a VM too big for it is refused by its import's check
        b = TestHost.start(
                dirB,
                "--bind",
                "127.0.0.3",
                "--http-port",
                Integer.toString(port),
                "--https-port",
                https,
                "--xenopsd-sim-memory-mib",
                "4096");
        ca = LifecycleSupport.login(a);
        cb = LifecycleSupport.login(b);
        srA = localSr(ca, "local-A");
        srB = localSr(cb, "local-B");
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (b != null) b.close();
        } finally {
            if (a != null) a.close();
        }
    }

    private static SR localSr(Connection c, String name) throws Exception {
        Path location = srDirs.resolve(name);
        Files.createDirectories(location);
        Host h = Host.getAll(c).iterator().next();
        return SR.create(c, h, Map.of("location", location.toString()), 0L, name, "", "file", "user", false, Map.of());
    }

    private static Host hostA() {
        return Types.toHost(a.server.services().hostRef());
    }

    private static Host hostB() {
        return Types.toHost(b.server.services().hostRef());
    }

    /** The VM's {@code scheduled_to_be_resident_on} in B's database (a field the SDK does not bind). */
    private static String scheduledOnB(VM vm) {
        return b.server.services().data().get(vm.toWireString(), org.xapijava.model.api.VM.SCHEDULED_TO_BE_RESIDENT_ON);
    }

    /** {@code host.migrate_receive} of B's host on its management network, asked of pool B. */
    private static Map<String, String> destB() throws Exception {
        return CrossPoolSupport.dest(cb, hostB());
    }

    /** Every VIF of {@code vm} to B's management network. */
    private static Map<VIF, Network> vifsToB(VM vm) throws Exception {
        return CrossPoolSupport.vifsTo(ca, vm, cb, hostB());
    }

    @Test
    void aHaltedVmMovesToTheOtherPoolWithItsDiskAndSnapshot() throws Exception {
        int size = 4 * MIB;
        VM vm = LifecycleSupport.newVm(a, ca, "xpool-halted");
        VBD disk = LifecycleSupport.attachDisk(ca, vm, srA, "0", size);
        VDI old = disk.getVDI(ca);
        byte[] then = new byte[size];
        new Random(41).nextBytes(then);
        LifecycleSupport.writeVdi(a.server, old, then);
        VM snap = vm.snapshot(ca, "before");
        VDI oldSnapDisk = diskOf(ca, snap);
        Date snapTime = oldSnapDisk.getSnapshotTime(ca);
        // its content id: other_config's (a snapshot has its disk's), else its location
        String snapContent = oldSnapDisk.getOtherConfig(ca).getOrDefault("content_id", oldSnapDisk.getLocation(ca));
        assertTrue(oldSnapDisk.getIsASnapshot(ca));
        byte[] now = new byte[size];
        new Random(42).nextBytes(now);
        LifecycleSupport.writeVdi(a.server, old, now);
        String uuid = vm.getUuid(ca);
        String snapUuid = snap.getUuid(ca);
        Set<String> onB = vdisOf(cb, srB);
        com.xensource.xenapi.Message.create(ca, "XPOOL_TEST", 3L, Types.Cls.VM, uuid, "a message that moves");
        com.xensource.xenapi.Blob blob = vm.createNewBlob(ca, "notes", "text/plain", false);
        byte[] notes = "notes that move with the VM".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.net.http.HttpResponse<Void> put = java.net.http.HttpClient.newHttpClient()
                .send(
                        java.net.http.HttpRequest.newBuilder(a.uri(
                                        "/blob?session_id=" + ca.getSessionReference() + "&ref=" + blob.toWireString()))
                                .PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(notes))
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.discarding());
        assertEquals(200, put.statusCode());

        long t0 = System.nanoTime();
        Map<String, String> dest = destB();
        // the move goes over B's HTTPS (Xapi's migration_https_only): B's migrate_receive names its HTTPS port
        for (String k : List.of("master", "xenops", "SM"))
            assertTrue(dest.get(k).startsWith("https://"), dest.get(k));
        VM there = vm.migrateSend(ca, dest, true, Map.of(old, srB), vifsToB(vm), Map.of(), Map.of());
        System.out.printf(
                "cross-pool move of a halted VM (4 MiB disk + snapshot): %d ms%n",
                (System.nanoTime() - t0) / 1_000_000);

        // on B: the VM with its uuid, its disk a new VDI on B's SR with the same bytes, its snapshot too
        assertEquals(there.toWireString(), VM.getByUuid(cb, uuid).toWireString());
        VM.Record r = there.getRecord(cb);
        assertEquals(Types.VmPowerState.HALTED, r.powerState);
        assertEquals("xpool-halted", r.nameLabel);
        // reserved on B by host.allocate_resources_for_vm, then cleared by VM.pool_migrate_complete there
        assertEquals("OpaqueRef:NULL", scheduledOnB(there), "scheduled_to_be_resident_on");
        VDI moved = diskOf(cb, there);
        assertEquals(srB.toWireString(), moved.getSR(cb).toWireString());
        assertArrayEquals(now, LifecycleSupport.vdiBytes(b.server, moved, size));
        VM snapThere = VM.getByUuid(cb, snapUuid);
        assertTrue(snapThere.getIsASnapshot(cb));
        assertEquals(there.toWireString(), snapThere.getSnapshotOf(cb).toWireString());
        VDI movedSnap = diskOf(cb, snapThere);
        assertArrayEquals(then, LifecycleSupport.vdiBytes(b.server, movedSnap, size));
        // the snapshot's disk there is a snapshot of the VM's disk there, taken when it was here
        // (update_snapshot_info through B's /services/SM), both with the content id of their original
        assertTrue(movedSnap.getIsASnapshot(cb), "is_a_snapshot");
        assertEquals(moved.toWireString(), movedSnap.getSnapshotOf(cb).toWireString(), "snapshot_of");
        assertEquals(snapTime, movedSnap.getSnapshotTime(cb), "snapshot_time");
        assertFalse(moved.getIsASnapshot(cb));
        assertEquals(
                List.of(movedSnap.toWireString()),
                moved.getSnapshots(cb).stream().map(VDI::toWireString).toList());
        assertEquals(snapContent, movedSnap.getOtherConfig(cb).get("content_id"));
        for (VIF v : there.getVIFs(cb)) {
            assertEquals(
                    managementNetwork(cb, hostB()).toWireString(),
                    v.getNetwork(cb).toWireString());
            assertFalse(v.getOtherConfig(cb).containsKey("maps_to"));
        }
        Set<String> added = vdisOf(cb, srB);
        added.removeAll(onB);
        assertEquals(Set.of(moved.toWireString(), movedSnap.toWireString()), added, "two new VDIs on B");
        // on A: nothing left of it
        assertFalse(vmUuids(ca).contains(uuid));
        assertFalse(vmUuids(ca).contains(snapUuid));
        assertFalse(vdisOf(ca, srA).contains(old.toWireString()));
        assertFalse(vdisOf(ca, srA).contains(oldSnapDisk.toWireString()));
        assertThrows(Types.UuidInvalid.class, () -> VM.getByUuid(ca, uuid));
        // its blob too (migrate_push), and none is left on A
        com.xensource.xenapi.Blob blobThere = there.getBlobs(cb).get("notes");
        assertEquals("text/plain", blobThere.getMimeType(cb));
        java.net.http.HttpResponse<byte[]> got = java.net.http.HttpClient.newHttpClient()
                .send(
                        java.net.http.HttpRequest.newBuilder(b.uri("/blob?session_id=" + cb.getSessionReference()
                                        + "&ref=" + blobThere.toWireString()))
                                .GET()
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        assertArrayEquals(notes, got.body());
        assertThrows(Types.HandleInvalid.class, () -> blob.getUuid(ca));
        // its messages went with it (send_messages): the snapshot's alert and this one
        Date epoch = new Date(0);
        Set<String> bodies = com.xensource.xenapi.Message.get(cb, Types.Cls.VM, uuid, epoch).values().stream()
                .map(m -> m.body)
                .collect(Collectors.toSet());
        assertTrue(bodies.contains("a message that moves"), bodies::toString);
        assertEquals(2, bodies.size(), bodies::toString);
        assertTrue(
                com.xensource.xenapi.Message.getAllRecords(ca).values().stream().noneMatch(m -> uuid.equals(m.objUuid)),
                "A keeps none of its messages");
    }

    @Test
    void aRunningVmMovesToTheOtherPoolAndRunsThereOnItsDisk() throws Exception {
        int size = 32 * MIB;
        VM vm = LifecycleSupport.newVm(a, ca, "xpool-running");
        VBD disk = LifecycleSupport.attachDisk(ca, vm, srA, "0", size);
        VDI old = disk.getVDI(ca);
        old.setOtherConfig(ca, Map.of("config-drive", "true"));
        vm.startOn(ca, hostA(), false, false);
        String uuid = vm.getUuid(ca);
        String dev = disk.getDevice(ca);
        byte[] model = new byte[size];
        new Random(43).nextBytes(model);
        sim(a).guestDiskWrite(uuid, dev, 0, model);
        Map<String, String> dest = destB();
        // its NIC goes to a network of B's whose bridge A does not have: xenopsd on B must put it there
        Network.Record nr = new Network.Record();
        nr.nameLabel = "xpool-private";
        nr.nameDescription = "";
        nr.MTU = 1500L;
        nr.otherConfig = Map.of();
        nr.tags = Set.of();
        nr.managed = true;
        Network privateB = Network.create(cb, nr);
        String bridgeB = privateB.getBridge(cb);
        Map<VIF, Network> vifs = new HashMap<>();
        for (VIF v : vm.getVIFs(ca)) vifs.put(v, privateB);
        assertFalse(sim(a).vifList("t", uuid).isEmpty(), "the VM has a NIC");
        for (var st : sim(a).vifList("t", uuid))
            assertNotEquals(
                    new org.xapijava.xenopsd.Vif.Local(bridgeB), st.vif().backend());
        // A samples it once: it has an RRD to send along
        var sampler = a.server.statistics().sampler();
        long samples = sampler.samples();
        // polled: LifecycleSupport.await waits for database changes, and none may come meanwhile
        PoolHost.await("an RRD of the VM on A", java.time.Duration.ofSeconds(20), () -> {
            try {
                sampler.awaitSamples(samples + 1, java.time.Duration.ofSeconds(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return a.server.statistics().rrds().hasVm(uuid);
        });
        // a data source of A's RRD that B's sampling never makes: B has it only if A's RRD went there
        var rrdsA = a.server.statistics().rrds();
        var rrd = rrdsA.takeVm(uuid);
        rrd.addSource(
                org.xapijava.server.rrd.DataSource.gauge("xpool_marker", "", "", 1.0, false),
                System.currentTimeMillis() / 1000.0);
        rrdsA.putVm(uuid, rrd, vm.getDomid(ca));

        // the guest keeps writing blocks during the move; a write it made is one that returned (a write issued once
        // the VM is paused waits, and fails once the VM has left this host)
        GuestWriter writer = GuestWriter.start(sim(a), uuid, dev, model, 48);
        long t0 = System.nanoTime();
        VM there;
        try {
            there = vm.migrateSend(ca, dest, true, Map.of(old, srB), vifs, Map.of(), Map.of());
        } finally {
            writer.close();
        }
        System.out.printf(
                "cross-pool move of a running VM (%d MiB disk, %d guest writes meanwhile): %d ms%n",
                size / MIB, writer.writes(), (System.nanoTime() - t0) / 1_000_000);
        assertTrue(writer.writes() > 1, "the guest wrote during the move");

        assertEquals(uuid, there.getUuid(cb));
        VM.Record r = there.getRecord(cb);
        assertEquals(Types.VmPowerState.RUNNING, r.powerState);
        assertEquals(hostB().toWireString(), r.residentOn.toWireString(), "resident_on");
        assertEquals("OpaqueRef:NULL", scheduledOnB(there), "scheduled_to_be_resident_on");
        assertTrue(sim(b).vmExists("t", uuid), "B's xenopsd runs it");
        assertFalse(sim(a).vmExists("t", uuid), "A's no longer has it");
        assertEquals(
                org.xapijava.xenopsd.PowerState.Running,
                sim(b).vmStat("t", uuid).state().powerState(),
                "unpaused on B");
        for (var st : sim(b).vifList("t", uuid))
            assertEquals(
                    new org.xapijava.xenopsd.Vif.Local(bridgeB), st.vif().backend(), "xenopsd's VIF map (remap_vif)");
        for (VIF v : there.getVIFs(cb))
            assertEquals(privateB.toWireString(), v.getNetwork(cb).toWireString());
        VDI moved = diskOf(cb, there);
        assertEquals(srB.toWireString(), moved.getSR(cb).toWireString());
        assertEquals("true", moved.getOtherConfig(cb).get("config-drive"), "vdi_other_config_sync_keys");
        assertFalse(moved.getOtherConfig(cb).containsKey("maps_to"));
        assertArrayEquals(model, sim(b).guestDiskRead(uuid, dev, 0, size), "the guest reads on B what it wrote on A");
        assertFalse(vmUuids(ca).contains(uuid));
        assertFalse(vdisOf(ca, srA).contains(old.toWireString()));
        assertFalse(a.server.statistics().rrds().hasVm(uuid), "A sent its RRD (migrate_rrd)");
        String dump = b.server.statistics().rrds().vmDump(uuid, false);
        assertTrue(dump != null && dump.contains("xpool_marker"), "B holds A's RRD");
        LifecycleSupport.await(
                b, "the VM unmarked on B", () -> there.getCurrentOperations(cb).isEmpty());
        there.hardShutdown(cb);
        assertEquals(Types.VmPowerState.HALTED, there.getPowerState(cb));
    }

    @Test
    void aSuspendedVmMovesWithItsSuspendImageAndResumesThere() throws Exception {
        int size = 2 * MIB;
        VM vm = LifecycleSupport.newVm(a, ca, "xpool-suspended");
        VBD disk = LifecycleSupport.attachDisk(ca, vm, srA, "0", size);
        vm.startOn(ca, hostA(), false, false);
        String uuid = vm.getUuid(ca);
        String dev = disk.getDevice(ca);
        byte[] model = new byte[size];
        new Random(47).nextBytes(model);
        sim(a).guestDiskWrite(uuid, dev, 0, model);
        vm.suspend(ca);
        VDI image = vm.getSuspendVDI(ca);
        // the image goes to B's pool's suspend image SR (not in the map)
        Host h = hostB();
        h.setSuspendImageSr(cb, srB);
        try {
            vm.migrateSend(ca, destB(), false, Map.of(disk.getVDI(ca), srB), vifsToB(vm), Map.of(), Map.of());
        } finally {
            h.setSuspendImageSr(cb, Types.toSR("OpaqueRef:NULL"));
        }
        VM there = VM.getByUuid(cb, uuid);
        assertEquals(Types.VmPowerState.SUSPENDED, there.getPowerState(cb));
        VDI imageThere = there.getSuspendVDI(cb);
        assertEquals(srB.toWireString(), imageThere.getSR(cb).toWireString());
        assertThrows(Types.HandleInvalid.class, () -> image.getUuid(ca), "the image here is destroyed");
        assertFalse(vmUuids(ca).contains(uuid));
        there.resumeOn(cb, hostB(), false, false);
        assertEquals(hostB().toWireString(), there.getResidentOn(cb).toWireString());
        assertArrayEquals(model, sim(b).guestDiskRead(uuid, dev, 0, size));
        there.hardShutdown(cb);
    }

    @Test
    void refusalsGetXapisErrorsAndChangeNothing() throws Exception {
        VM vm = LifecycleSupport.newVm(a, ca, "xpool-refused");
        VBD disk = LifecycleSupport.attachDisk(ca, vm, srA, "0", MIB);
        VDI old = disk.getVDI(ca);
        Map<String, String> dest = destB();
        Set<String> onB = vdisOf(cb, srB);
        Set<String> vmsOnB = vmUuids(cb);
        // another SR of pool A: not one pool B knows (SR.get_type there)
        SR otherA = localSr(ca, "local-A2");
        Types.HandleInvalid unknown = assertThrows(
                Types.HandleInvalid.class,
                () -> vm.assertCanMigrate(ca, dest, true, Map.of(old, otherA), vifsToB(vm), Map.of(), Map.of()));
        assertEquals("SR", unknown.clazz);
        // the disk's own SR passes the check (Xapi skips a disk mapped to its SR) but not the move (B's SR.get_PBDs)
        vm.assertCanMigrate(ca, dest, true, Map.of(old, srA), vifsToB(vm), Map.of(), Map.of());
        assertThrows(
                Types.HandleInvalid.class,
                () -> vm.migrateSend(ca, dest, true, Map.of(old, srA), vifsToB(vm), Map.of(), Map.of()));
        // a VIF not in the map
        Types.VifNotInMap vif = assertThrows(
                Types.VifNotInMap.class,
                () -> vm.assertCanMigrate(ca, dest, true, Map.of(old, srB), Map.of(), Map.of(), Map.of()));
        assertEquals(vm.getVIFs(ca).iterator().next().toWireString(), vif.vif);
        // a disk not in the map
        assertThrows(
                Types.VdiNotInMap.class,
                () -> vm.migrateSend(ca, dest, true, Map.of(), vifsToB(vm), Map.of(), Map.of()));
        // the checks that pass: the dry run on B too
        vm.assertCanMigrate(ca, dest, true, Map.of(old, srB), vifsToB(vm), Map.of(), Map.of());
        // copy of a running VM
        vm.startOn(ca, hostA(), false, false);
        Types.VmBadPowerState bad = assertThrows(
                Types.VmBadPowerState.class,
                () -> vm.assertCanMigrate(
                        ca, dest, true, Map.of(old, srB), vifsToB(vm), Map.of("copy", "true"), Map.of()));
        assertEquals("halted", bad.expected);
        assertEquals("running", bad.actual);
        // a running VM that last booted on a CPU with features B's lacks: the dry run's check_cpu there
        var dbA = a.server.services().data();
        var flags = new HashMap<>(dbA.get(vm.toWireString(), org.xapijava.model.api.VM.LAST_BOOT_CPU_FLAGS));
        flags.put("features", String.join("-", java.util.Collections.nCopies(16, "ffffffff")));
        dbA.set(vm.toWireString(), org.xapijava.model.api.VM.LAST_BOOT_CPU_FLAGS, flags);
        Types.VmIncompatibleWithThisHost cpu = assertThrows(
                Types.VmIncompatibleWithThisHost.class,
                () -> vm.assertCanMigrate(ca, dest, true, Map.of(old, srB), vifsToB(vm), Map.of(), Map.of()));
        assertEquals("OpaqueRef:NULL", cpu.vm, "the VM being imported has no reference there");
        assertEquals(hostB().toWireString(), cpu.host);
        // forced, the CPU is not checked (Xapi's check_cpu = not force)
        vm.assertCanMigrate(ca, dest, true, Map.of(old, srB), vifsToB(vm), Map.of("force", "true"), Map.of());
        vm.hardShutdown(ca);
        // a disabled destination
        hostB().disable(cb);
        try {
            Types.HostDisabled off = assertThrows(
                    Types.HostDisabled.class,
                    () -> vm.migrateSend(ca, dest, true, Map.of(old, srB), vifsToB(vm), Map.of(), Map.of()));
            assertEquals(hostB().toWireString(), off.host);
        } finally {
            hostB().enable(cb);
        }
        assertEquals(onB, vdisOf(cb, srB), "nothing made on B");
        assertEquals(vmsOnB, vmUuids(cb));
        assertEquals(old.toWireString(), disk.getVDI(ca).toWireString());
        assertFalse(old.getOtherConfig(ca).containsKey("maps_to"), "no maps_to left");
        for (VIF v : vm.getVIFs(ca)) assertFalse(v.getOtherConfig(ca).containsKey("maps_to"));
    }

    /** The dry run of the import on B is Xapi's {@code assert_can_live_import}: a running VM needs its memory there. */
    @Test
    void aRunningVmTooBigForTheDestinationIsRefusedByTheDryRunThere() throws Exception {
        VM vm = LifecycleSupport.newVm(a, ca, "xpool-too-big");
        VBD disk = LifecycleSupport.attachDisk(ca, vm, srA, "0", MIB);
        VDI old = disk.getVDI(ca);
        long gib = 1L << 30;
        vm.setMemoryLimits(ca, gib, 8 * gib, 8 * gib, 8 * gib);
        Map<String, String> dest = destB();
        Set<String> onB = vdisOf(cb, srB);
        Set<String> vmsOnB = vmUuids(cb);
        // halted, it passes (no memory is needed there yet)
        vm.assertCanMigrate(ca, dest, true, Map.of(old, srB), vifsToB(vm), Map.of(), Map.of());
        vm.startOn(ca, hostA(), false, false);
        Types.HostNotEnoughFreeMemory e = assertThrows(
                Types.HostNotEnoughFreeMemory.class,
                () -> vm.migrateSend(ca, dest, true, Map.of(old, srB), vifsToB(vm), Map.of(), Map.of()));
        assertTrue(Long.parseLong(e.needed) > 8 * gib, e.needed);
        assertTrue(Long.parseLong(e.available) < 4 * gib, e.available);
        assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(ca));
        assertEquals(onB, vdisOf(cb, srB), "nothing made on B");
        assertEquals(vmsOnB, vmUuids(cb));
        LifecycleSupport.await(
                a, "the VM unmarked", () -> vm.getCurrentOperations(ca).isEmpty());
        vm.hardShutdown(ca);
    }

    @Test
    void aRunningVmsSnapshotDiskIsASnapshotOfItsDiskThere() throws Exception {
        VM vm = LifecycleSupport.newVm(a, ca, "xpool-running-snap");
        VDI old = LifecycleSupport.attachDisk(ca, vm, srA, "0", 2 * MIB).getVDI(ca);
        VM snap = vm.snapshot(ca, "before");
        Date snapTime = diskOf(ca, snap).getSnapshotTime(ca);
        String snapUuid = snap.getUuid(ca);
        vm.startOn(ca, hostA(), false, false);

        VM there = vm.migrateSend(ca, destB(), true, Map.of(old, srB), vifsToB(vm), Map.of(), Map.of());

        assertEquals(Types.VmPowerState.RUNNING, there.getPowerState(cb));
        VDI moved = diskOf(cb, there);
        VDI movedSnap = diskOf(cb, VM.getByUuid(cb, snapUuid));
        assertTrue(movedSnap.getIsASnapshot(cb), "is_a_snapshot");
        assertEquals(moved.toWireString(), movedSnap.getSnapshotOf(cb).toWireString(), "snapshot_of");
        assertEquals(snapTime, movedSnap.getSnapshotTime(cb), "snapshot_time");
        LifecycleSupport.await(
                b, "the VM unmarked on B", () -> there.getCurrentOperations(cb).isEmpty());
        there.hardShutdown(cb);
    }

    @Test
    void aRefusalOfTheOtherPoolsStorageServiceFailsTheMoveAndLeavesNothingThere() throws Exception {
        VM vm = LifecycleSupport.newVm(a, ca, "xpool-sm-refused");
        VDI old = LifecycleSupport.attachDisk(ca, vm, srA, "0", MIB).getVDI(ca);
        VM snap = vm.snapshot(ca, "before");
        Set<String> onB = vdisOf(cb, srB);
        Set<String> vmsOnB = vmUuids(cb);
        // B's /services/SM refuses the session of dest's SM URL: the calls after the copy (content ids, then
        // SR.update_snapshot_info_dest) fail, and so does the move
        Map<String, String> dest = new HashMap<>(destB());
        dest.put("SM", dest.get("SM").replaceFirst("session_id=[^&]*", "session_id=OpaqueRef:not-a-session"));
        Types.XenAPIException e = assertThrows(
                Types.XenAPIException.class,
                () -> vm.migrateSend(ca, dest, false, Map.of(old, srB), vifsToB(vm), Map.of(), Map.of()));
        assertTrue(
                e instanceof Types.InternalError ie && ie.message.contains("HTTP 401"),
                () -> e + " " + (e instanceof Types.InternalError ie ? ie.message : ""));
        assertEquals(Types.VmPowerState.HALTED, vm.getPowerState(ca));
        assertEquals(
                List.of(snap.toWireString()),
                vm.getSnapshots(ca).stream().map(VM::toWireString).toList());
        assertTrue(vdisOf(ca, srA).contains(old.toWireString()));
        assertEquals(onB, vdisOf(cb, srB), "no VDI left on B");
        assertEquals(vmsOnB, vmUuids(cb), "no VM left on B");
    }

    @Test
    void aMoveTheOtherPoolRefusesLeavesTheVmRunningHereAndNothingThere() throws Exception {
        int size = 2 * MIB;
        VM vm = LifecycleSupport.newVm(a, ca, "xpool-refused-by-b");
        VBD disk = LifecycleSupport.attachDisk(ca, vm, srA, "0", size);
        VDI old = disk.getVDI(ca);
        vm.startOn(ca, hostA(), false, false);
        String uuid = vm.getUuid(ca);
        byte[] model = new byte[size];
        new Random(44).nextBytes(model);
        sim(a).guestDiskWrite(uuid, disk.getDevice(ca), 0, model);
        Set<String> onB = vdisOf(cb, srB);
        Set<String> vmsOnB = vmUuids(cb);
        Map<String, String> dest = destB();
        b.server.xenops().xenops().debugTrigger("t", "refuse-migration", List.of("on"));
        try {
            assertThrows(
                    Types.XenAPIException.class,
                    () -> vm.migrateSend(ca, dest, true, Map.of(old, srB), vifsToB(vm), Map.of(), Map.of()));
        } finally {
            b.server.xenops().xenops().debugTrigger("t", "refuse-migration", List.of("off"));
        }
        VM.Record r = vm.getRecord(ca);
        assertEquals(Types.VmPowerState.RUNNING, r.powerState);
        assertEquals(hostA().toWireString(), r.residentOn.toWireString());
        assertEquals(
                org.xapijava.xenopsd.PowerState.Running,
                sim(a).vmStat("t", uuid).state().powerState(),
                "unpaused again");
        assertFalse(sim(b).vmExists("t", uuid));
        assertEquals(old.toWireString(), disk.getVDI(ca).toWireString());
        assertEquals(onB, vdisOf(cb, srB), "no VDI left on B");
        assertEquals(vmsOnB, vmUuids(cb), "no VM left on B");
        assertArrayEquals(model, sim(a).guestDiskRead(uuid, disk.getDevice(ca), 0, size));
        LifecycleSupport.await(
                a, "the VM unmarked", () -> vm.getCurrentOperations(ca).isEmpty());
        vm.hardShutdown(ca);
    }

    @Test
    void aCancelledMoveLeavesTheVmHereAndNothingThere() throws Exception {
        long size = 2048L * MIB; // sparse: a copy long enough to be cancelled while it runs
        VM vm = LifecycleSupport.newVm(a, ca, "xpool-cancelled");
        VBD disk = LifecycleSupport.attachDisk(ca, vm, srA, "0", size);
        VDI old = disk.getVDI(ca);
        vm.startOn(ca, hostA(), false, false);
        String uuid = vm.getUuid(ca);
        Set<String> onB = vdisOf(cb, srB);
        Set<String> vmsOnB = vmUuids(cb);

        Task task = vm.migrateSendAsync(ca, destB(), true, Map.of(old, srB), vifsToB(vm), Map.of(), Map.of());
        LifecycleSupport.await(a, "the copy under way", () -> {
            Task.Record t = task.getRecord(ca);
            return t.progress > 0 || t.status != Types.TaskStatusType.PENDING;
        });
        task.cancel(ca);
        Task.Record end = LifecycleSupport.awaitTask(a, ca, task);
        assertEquals(Types.TaskStatusType.CANCELLED, end.status, String.valueOf(List.of(end.errorInfo)));

        assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(ca));
        assertTrue(sim(a).vmExists("t", uuid));
        assertFalse(sim(b).vmExists("t", uuid));
        assertEquals(old.toWireString(), disk.getVDI(ca).toWireString());
        assertEquals(onB, vdisOf(cb, srB), "no VDI left on B");
        assertEquals(vmsOnB, vmUuids(cb), "no VM left on B");
        LifecycleSupport.await(
                a, "the VM unmarked", () -> vm.getCurrentOperations(ca).isEmpty());
        vm.hardShutdown(ca);
    }

    @Test
    void aCopyOfAHaltedVmLeavesTheOriginalHere() throws Exception {
        int size = 2 * MIB;
        VM vm = LifecycleSupport.newVm(a, ca, "xpool-copy");
        VBD disk = LifecycleSupport.attachDisk(ca, vm, srA, "0", size);
        VDI old = disk.getVDI(ca);
        byte[] bytes = new byte[size];
        new Random(45).nextBytes(bytes);
        LifecycleSupport.writeVdi(a.server, old, bytes);

        VM there = vm.migrateSend(ca, destB(), true, Map.of(old, srB), vifsToB(vm), Map.of("copy", "true"), Map.of());

        assertNotEquals(vm.getUuid(ca), there.getUuid(cb), "a copy is a new VM");
        assertEquals("xpool-copy", there.getNameLabel(cb));
        assertArrayEquals(bytes, LifecycleSupport.vdiBytes(b.server, diskOf(cb, there), size));
        assertEquals(old.toWireString(), disk.getVDI(ca).toWireString(), "the original keeps its disk");
        assertArrayEquals(bytes, LifecycleSupport.vdiBytes(a.server, old, size));
    }

    /**
     * {@code xe vm-migrate remote-master=<B>} with a disk and a network map on pool A: the CLI's storage migration
     * logs in to pool B, asks its host's {@code host.migrate_receive} and calls {@code VM.migrate_send} here, which
     * moves the VM to pool B.
     */
    @Test
    void xeVmMigrateToARemoteMasterMovesTheVmToTheOtherPool() throws Exception {
        int size = 2 * MIB;
        VM vm = LifecycleSupport.newVm(a, ca, "xpool-xe");
        VBD disk = LifecycleSupport.attachDisk(ca, vm, srA, "0", size);
        VDI old = disk.getVDI(ca);
        byte[] bytes = new byte[size];
        new Random(46).nextBytes(bytes);
        LifecycleSupport.writeVdi(a.server, old, bytes);
        String uuid = vm.getUuid(ca);
        String vdiUuid = old.getUuid(ca);
        Path home = Files.createDirectories(dirA.resolve("home"));
        XeRun.Result r = XeRun.unix(
                a,
                home,
                "",
                "vm-migrate",
                "uuid=" + uuid,
                "remote-master=127.0.0.3",
                "remote-username=root",
                "remote-password=" + b.password(),
                "vdi:" + vdiUuid + "=" + srB.getUuid(cb),
                "vif:" + vm.getVIFs(ca).iterator().next().getUuid(ca) + "="
                        + managementNetwork(cb, hostB()).getUuid(cb));
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.out().contains("VDI " + vdiUuid + " -> SR " + srB.getUuid(cb)), r.out());
        VM there = VM.getByUuid(cb, uuid);
        assertEquals(Types.VmPowerState.HALTED, there.getPowerState(cb));
        assertArrayEquals(bytes, LifecycleSupport.vdiBytes(b.server, diskOf(cb, there), size));
        assertFalse(vmUuids(ca).contains(uuid));
    }
}
