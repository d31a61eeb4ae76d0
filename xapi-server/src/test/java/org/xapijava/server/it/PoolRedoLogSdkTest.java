package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VDI;
import com.xensource.xenapi.VM;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.persist.Delta;
import org.xapijava.db.persist.DeltaBatch;
import org.xapijava.db.persist.LoadedDb;
import org.xapijava.db.persist.VdiRedoLog;

/**
 * {@code pool.enable_redo_log(sr)} and {@code pool.disable_redo_log} in a pool of two hosts with a shared {@code file}
 * SR, through the SDK: a {@code redo_log} VDI of Xapi's minimum size on the SR, the pool's fields set, the database
 * mirrored to the VDI (read back as a new master would: the snapshot, then the writes acknowledged after it), an SR
 * that cannot hold the VDI refused with {@code CANNOT_ENABLE_REDO_LOG} and nothing changed, disable stopping the mirror
 * and keeping the VDI, which a new enable takes again.
 */
class PoolRedoLogSdkTest {
    @TempDir
    static Path dirA;

    @TempDir
    static Path dirB;

    @TempDir
    static Path nas;

    static PoolHost a;
    static PoolHost b;

    @AfterAll
    static void stop() {
        PoolHost.closeAll(b, a);
    }

    @Test
    void theDatabaseIsMirroredToARedoLogVdiOnTheSharedSr() throws Exception {
        int port = PoolHost.freePort();
        a = PoolHost.start(dirA, "127.0.0.2", port);
        b = PoolHost.start(dirB, "127.0.0.3", port);
        Connection master = PoolHost.login(a);
        Connection first = master;
        Connection joiner = PoolHost.login(b);
        Pool.join(joiner, "127.0.0.2", "root", a.password());
        PoolHost.await("B restarted as a member", Duration.ofSeconds(60), () -> b.starts() >= 2);
        PoolHost.await(
                "two hosts enabled and live", Duration.ofSeconds(60), () -> PoolHost.allEnabledAndLive(first, 2));
        Pool pool = Pool.getAll(master).iterator().next();
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

        // an SR that cannot hold the VDI: refused, nothing changed
        SR dvd = null;
        for (var e : SR.getAllRecords(master).entrySet())
            if (e.getValue().contentType.equals("iso")) dvd = e.getKey();
        SR iso = dvd;
        Types.CannotEnableRedoLog refused =
                assertThrows(Types.CannotEnableRedoLog.class, () -> pool.enableRedoLog(first, iso));
        assertEquals("failed to create a VDI for the redo log on the SR with the given UUID.", refused.reason);
        assertFalse(pool.getRedoLogEnabled(master));
        assertEquals("OpaqueRef:NULL", pool.getRedoLogVdi(master).toWireString());

        pool.enableRedoLog(master, shared);
        assertTrue(pool.getRedoLogEnabled(master));
        VDI vdi = pool.getRedoLogVdi(master);
        assertEquals(shared, vdi.getSR(master));
        assertEquals(Types.VdiType.REDO_LOG, vdi.getType(master));
        assertEquals("Metadata redo-log", vdi.getNameLabel(master));
        assertEquals(3_988_783_104L, vdi.getVirtualSize(master));
        assertTrue(vdi.getSharable(master));

        // a write acknowledged after the enable is on the VDI, after the snapshot that holds the enable
        VM vm = LifecycleSupport.newVm(a.server(), master, "mirrored");
        vm.setNameLabel(master, "renamed while mirrored");
        Path device = nas.resolve(vdi.getUuid(master) + ".raw");
        VdiRedoLog.Contents onDisk = VdiRedoLog.read(device);
        assertEquals("true", column(onDisk.snapshot(), "pool", "redo_log_enabled"));
        assertTrue(written(onDisk.replay(), vm.toWireString(), "name__label", "renamed while mirrored"));

        // the master restarted takes its redo log up again: a fresh snapshot, then its writes
        int starts = a.starts();
        a.server().requestRestart();
        PoolHost.await("A restarted", Duration.ofSeconds(60), () -> a.starts() > starts);
        master = PoolHost.login(a);
        Connection m = master;
        PoolHost.await(
                "two hosts enabled and live again", Duration.ofSeconds(60), () -> PoolHost.allEnabledAndLive(m, 2));
        assertTrue(pool.getRedoLogEnabled(master));
        vm.setNameLabel(master, "renamed after restart");
        assertTrue(
                written(VdiRedoLog.read(device).replay(), vm.toWireString(), "name__label", "renamed after restart"));

        pool.disableRedoLog(master);
        assertFalse(pool.getRedoLogEnabled(master));
        assertEquals(vdi, pool.getRedoLogVdi(master), "Xapi keeps the VDI");
        vm.setNameLabel(master, "renamed after disable");
        assertFalse(
                written(VdiRedoLog.read(device).replay(), vm.toWireString(), "name__label", "renamed after disable"));

        pool.enableRedoLog(master, shared);
        assertEquals(vdi, pool.getRedoLogVdi(master), "the existing VDI is taken again");
        assertEquals(1, shared.getVDIs(master).size());
        assertEquals(
                "renamed after disable",
                column(VdiRedoLog.read(device).snapshot(), "VM", "name__label", vm.toWireString()));
        pool.disableRedoLog(master);
    }

    /** A column of the only row of {@code table} in {@code db}. */
    static String column(LoadedDb db, String table, String column) {
        List<LoadedDb.LoadedRow> rows = db.tables().get(table);
        assertEquals(1, rows.size());
        return rows.get(0).columns().get(column);
    }

    static String column(LoadedDb db, String table, String column, String ref) {
        for (LoadedDb.LoadedRow r : db.tables().get(table))
            if (r.ref().equals(ref)) return r.columns().get(column);
        return null;
    }

    static boolean written(List<DeltaBatch> batches, String ref, String column, String value) {
        for (DeltaBatch b : batches)
            for (Delta d : b.deltas())
                if (d instanceof Delta.WriteField w
                        && w.ref().equals(ref)
                        && w.column().equals(column)
                        && w.value().equals(value)) return true;
        return false;
    }
}
