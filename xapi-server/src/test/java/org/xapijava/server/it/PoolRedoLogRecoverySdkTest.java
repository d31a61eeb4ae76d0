package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.APIVersion;
import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Message;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Session;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VDI;
import com.xensource.xenapi.VM;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.persist.VdiRedoLog;

/**
 * A member made master by {@code pool.emergency_transition_to_master} in a pool of two hosts with a shared {@code file}
 * SR and the redo log enabled, through the SDK: the member's backup is older than the old master's last write (the
 * member was stopped, the master renamed a VM, then died without a clean stop); the new master takes the newer database
 * the redo-log VDI holds, keeps the redo log enabled and mirrors its own writes to it. With the VDI damaged or gone, the
 * new master starts on its backup and, as the pool's {@code other_config:metadata_lun_alerts} asks, raises
 * {@code METADATA_LUN_BROKEN}.
 */
class PoolRedoLogRecoverySdkTest {
    @TempDir
    Path dirA;

    @TempDir
    Path dirB;

    @TempDir
    Path nas;

    PoolHost a;
    PoolHost b;

    @AfterEach
    void stop() {
        PoolHost.closeAll(b, a);
    }

    /** What {@link #setUp} leaves: the VM renamed after the member's last backup, the redo log's disk. */
    record Pooled(String vm, Path device) {}

    @Test
    void theNewMasterTakesTheWritesTheOldMasterMadeAfterTheLastBackup() throws Exception {
        Pooled p = setUp();
        Connection nb = transition();
        VM vm = VM.getByUuid(nb, p.vm());
        assertEquals("written after the last backup", vm.getNameLabel(nb), "the redo log's database was taken");
        Pool pool = Pool.getAll(nb).iterator().next();
        assertTrue(pool.getRedoLogEnabled(nb));
        assertEquals("127.0.0.3", pool.getMaster(nb).getAddress(nb));

        // the new master mirrors its own writes to the same VDI
        vm.setNameLabel(nb, "written by the new master");
        assertTrue(PoolRedoLogSdkTest.written(
                VdiRedoLog.read(p.device()).replay(), vm.toWireString(), "name__label", "written by the new master"));
        assertTrue(noBrokenAlert(nb));
    }

    @Test
    void aDamagedRedoLogLeavesTheBackupAndRaisesTheAlert() throws Exception {
        Pooled p = setUp();
        byte[] garbage = new byte[4096];
        java.util.Arrays.fill(garbage, (byte) 0x5a);
        try (var ch = java.nio.channels.FileChannel.open(p.device(), java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(garbage), 0); // the header: no redo log on this disk any more
        }
        Connection nb = transition();
        assertEquals("written before the backup", VM.getByUuid(nb, p.vm()).getNameLabel(nb), "the backup is kept");
        assertFalse(noBrokenAlert(nb), "METADATA_LUN_BROKEN raised");
        Message.Record alert = brokenAlert(nb);
        assertEquals(3L, alert.priority);
        assertEquals(Types.Cls.POOL, alert.cls);
        assertEquals(Pool.getAll(nb).iterator().next().getUuid(nb), alert.objUuid);
        assertEquals("Redo log [HA redo log]", alert.body);
        // the new master writes a fresh redo log over the damaged one
        assertEquals(
                "written before the backup",
                PoolRedoLogSdkTest.column(VdiRedoLog.read(p.device()).snapshot(), "VM", "name__label", vmRef(nb, p)));
    }

    @Test
    void aMissingRedoLogVdiLeavesTheBackup() throws Exception {
        Pooled p = setUp();
        Files.delete(p.device());
        Connection nb = transition();
        assertEquals("written before the backup", VM.getByUuid(nb, p.vm()).getNameLabel(nb), "the backup is kept");
        assertFalse(noBrokenAlert(nb), "METADATA_LUN_BROKEN raised");
    }

    /**
     * A and B pooled, the redo log on the shared SR, a VM renamed; B stopped cleanly (its backup written), the VM
     * renamed again on A, A killed; B started again, in emergency mode since its master is gone.
     */
    private Pooled setUp() throws Exception {
        int port = PoolHost.freePort();
        a = PoolHost.start(dirA, "127.0.0.2", port);
        b = PoolHost.start(dirB, "127.0.0.3", port);
        Connection master = PoolHost.login(a);
        Pool.join(PoolHost.login(b), "127.0.0.2", "root", a.password());
        PoolHost.await("B restarted as a member", Duration.ofSeconds(60), () -> b.starts() >= 2);
        PoolHost.await(
                "two hosts enabled and live", Duration.ofSeconds(60), () -> PoolHost.allEnabledAndLive(master, 2));
        Pool pool = Pool.getAll(master).iterator().next();
        pool.addToOtherConfig(master, "metadata_lun_alerts", "true");
        SR shared = SR.create(
                master,
                PoolHost.hostAt(master, "127.0.0.2"),
                Map.of("location", nas.toString()),
                0L,
                "NAS",
                "",
                "file",
                "user",
                true,
                Map.of());
        pool.enableRedoLog(master, shared);
        VDI vdi = pool.getRedoLogVdi(master);
        Path device = nas.resolve(vdi.getUuid(master) + ".raw");
        VM vm = LifecycleSupport.newVm(a.server(), master, "recovered");
        vm.setNameLabel(master, "written before the backup");

        b.close(); // a clean stop: B's backup holds the first name
        PoolHost.await("A sees B gone", Duration.ofSeconds(30), () -> !PoolHost.allEnabledAndLive(master, 2));
        vm.setNameLabel(master, "written after the last backup");
        assertTrue(PoolRedoLogSdkTest.written(
                VdiRedoLog.read(device).replay(), vm.toWireString(), "name__label", "written after the last backup"));
        String uuid = vm.getUuid(master);
        a.kill();

        b = PoolHost.start(dirB, "127.0.0.3", port);
        PoolHost.await(
                "B in emergency mode", Duration.ofSeconds(60), () -> b.server().inEmergencyMode());
        return new Pooled(uuid, device);
    }

    /** {@code pool.emergency_transition_to_master} on B; a session on B as the new master. */
    private Connection transition() throws Exception {
        Connection cb = new Connection(b.url());
        Session.slaveLocalLoginWithPassword(cb, "root", a.password()); // the pool's, synced to B
        int before = b.starts();
        Pool.emergencyTransitionToMaster(cb);
        PoolHost.await(
                "B restarted as master",
                Duration.ofSeconds(90),
                () -> b.starts() > before && !b.server().inEmergencyMode());
        Connection nb = new Connection(b.url());
        Session.loginWithPassword(nb, "root", a.password(), APIVersion.latest().toString());
        return nb;
    }

    private static String vmRef(Connection c, Pooled p) throws Exception {
        return VM.getByUuid(c, p.vm()).toWireString();
    }

    private static boolean noBrokenAlert(Connection c) throws Exception {
        return brokenAlert(c) == null;
    }

    private static Message.Record brokenAlert(Connection c) throws Exception {
        for (Message.Record r : Message.getAllRecords(c).values()) if (r.name.equals("METADATA_LUN_BROKEN")) return r;
        return null;
    }
}
