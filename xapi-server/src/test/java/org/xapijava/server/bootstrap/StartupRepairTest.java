package org.xapijava.server.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.Database;
import org.xapijava.db.LocalDb;
import org.xapijava.db.Update;
import org.xapijava.model.ClassDef;
import org.xapijava.model.Datamodel;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.SR;
import org.xapijava.model.types.Refs;

/**
 * A start interrupted between any two of its database steps (each atomic) leaves valid references, and the next
 * start finishes it: the same objects as an uninterrupted start, each once.
 */
class StartupRepairTest {
    private final Datamodel dm = Datamodel.get();

    @TempDir
    Path dir;

    private BootstrapSettings settings(Inventory inv) {
        return new BootstrapSettings(
                "xcp-test.lab.example.org",
                "127.0.0.1",
                "",
                "",
                inv,
                dir.resolve("sr"),
                dir.resolve("iso"),
                BootstrapSettings.DEFAULT_SM_DIRECTORY,
                StartupSyncTest.hardware(),
                Clock.fixed(Instant.parse("2026-03-01T10:00:00Z"), ZoneOffset.UTC));
    }

    private static Map<String, Integer> counts(Database db) {
        Map<String, Integer> m = new HashMap<>();
        for (ClassDef c : db.datamodel().classes())
            m.put(c.name(), db.getAll(c.name()).size());
        return m;
    }

    private static boolean createsA(Update u, String cls) {
        return u.ops().stream()
                .anyMatch(op -> op instanceof Update.Create c && c.cls().equals(cls));
    }

    @Test
    void aCrashAfterTheHostWasCreatedButBeforeTheLocalSrStillEndsWithALocalSr() {
        Database db = Database.empty(dm);
        BootstrapSettings s = settings(Inventory.fresh(StartupSyncTest.hardware()));
        InterruptedDb crashing = new InterruptedDb(new LocalDb(db), u -> createsA(u, SR.XAPI_CLASS));
        assertThrows(InterruptedDb.Crash.class, () -> StartupSync.run(crashing, s));
        String host = db.getByUuid(Host.XAPI_CLASS, s.inventory().installationUuid());
        assertEquals(List.of(), db.getAll(SR.XAPI_CLASS), "the crash came before the first SR");
        assertEquals(List.of(), RefIntegrity.dangling(db));

        HostObjects o = StartupSync.run(new LocalDb(db), s);
        assertFalse(o.firstStart(), "the host was created by the interrupted start");
        assertEquals(host, o.host());
        assertNotEquals(Refs.NULL, o.localSr());
        assertNotEquals(Refs.NULL, o.localSrPbd());
        assertNotEquals(Refs.NULL, o.removableStorageSr());
        assertNotEquals(Refs.NULL, o.dvdDrivesSr());
        assertNotEquals(Refs.NULL, o.toolsSr());
        assertNotEquals(Refs.NULL, o.managementPif());
        assertEquals(TemplateCatalog.templates().size(), o.templatesByUuid().size());
        assertEquals(o.localSr(), db.get(Pool.XAPI_CLASS, o.pool(), Pool.DEFAULT_SR.name()));
        assertEquals(o.localSr(), db.get(Host.XAPI_CLASS, host, Host.SUSPEND_IMAGE_SR.name()));
        assertTrue(((String) db.get(Host.XAPI_CLASS, host, Host.ISCSI_IQN.name())).startsWith("iqn."));
        assertEquals(Boolean.TRUE, db.get(Host.XAPI_CLASS, host, Host.ENABLED.name()));
        assertEquals(List.of(), RefIntegrity.dangling(db));
    }

    @Test
    void aStartInterruptedBeforeAnyWriteIsFinishedByTheNextStart() {
        Inventory inv = Inventory.fresh(StartupSyncTest.hardware());
        BootstrapSettings s = settings(inv);
        Database whole = Database.empty(dm);
        InterruptedDb counting = new InterruptedDb(new LocalDb(whole), u -> false);
        HostObjects uninterrupted = StartupSync.run(counting, s);
        int writes = counting.writes();
        Map<String, Integer> expected = counts(whole);
        assertTrue(writes > 20, "a first start takes " + writes + " steps");

        for (int n = 0; n < writes; n++) {
            Database db = Database.empty(dm);
            int crashAt = n;
            assertThrows(
                    InterruptedDb.Crash.class,
                    () -> StartupSync.run(InterruptedDb.beforeWrite(new LocalDb(db), crashAt), s));
            assertEquals(List.of(), RefIntegrity.dangling(db), "after a crash before write " + n);

            HostObjects o = StartupSync.run(new LocalDb(db), s);
            String at = "repaired after a crash before write " + n;
            assertEquals(expected, counts(db), at);
            assertEquals(List.of(), RefIntegrity.dangling(db), at);
            assertNotEquals(Refs.NULL, o.localSr(), at);
            assertNotEquals(Refs.NULL, o.removableStorageSr(), at);
            assertNotEquals(Refs.NULL, o.dvdDrivesSr(), at);
            assertNotEquals(Refs.NULL, o.managementPif(), at);
            assertEquals(
                    uninterrupted.templatesByUuid().keySet(),
                    o.templatesByUuid().keySet(),
                    at);
            assertEquals(Boolean.TRUE, db.get(Host.XAPI_CLASS, o.host(), Host.ENABLED.name()), at);

            StartupSync.run(new LocalDb(db), s);
            assertEquals(expected, counts(db), "a further start after " + at);
        }
    }
}
