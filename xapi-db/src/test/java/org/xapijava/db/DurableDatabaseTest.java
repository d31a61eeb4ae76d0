package org.xapijava.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.persist.RedoLogFormatException;
import org.xapijava.db.persist.StateDbFormatException;
import org.xapijava.model.Datamodel;
import org.xapijava.model.types.Refs;

class DurableDatabaseTest {
    private final Datamodel dm = Datamodel.get();

    private static String vm(Database db, String name) {
        String ref = Refs.fresh();
        db.create("VM", ref, Map.of("uuid", java.util.UUID.randomUUID().toString(), "name_label", name));
        return ref;
    }

    @Test
    void writesSurviveRestartWithoutAnyFlush(@TempDir Path dir) throws Exception {
        DurableDatabase.Options o = DurableDatabase.Options.inDirectory(dir); // Xapi's policy: no flush for 300 s
        DurableDatabase store = DurableDatabase.open(dm, o);
        String ref = vm(store.database(), "a");
        store.database().set("VM", ref, "name_description", "d");
        store.database().set("VM", ref, "current_operations", Map.of("task", "start")); // non-persistent
        long gen = store.database().generation();
        // no close: as after a crash, only the redo log has the writes
        store.redoLog().close();
        try (DurableDatabase again = DurableDatabase.open(dm, o)) {
            Database db = again.database();
            assertEquals("d", db.get("VM", ref, "name_description"));
            assertEquals(Map.of(), db.get("VM", ref, "current_operations"));
            assertTrue(db.generation() >= gen - 1);
        }
    }

    @Test
    void closeFlushesStateDbAndEmptiesTheLog(@TempDir Path dir) throws Exception {
        DurableDatabase.Options o = DurableDatabase.Options.inDirectory(dir);
        String ref;
        long gen;
        try (DurableDatabase store = DurableDatabase.open(dm, o)) {
            ref = vm(store.database(), "x y");
            gen = store.database().generation();
        }
        assertTrue(Files.readString(dir.resolve("state.db"), StandardCharsets.UTF_8)
                .contains("name__label=\"x%.y\""));
        assertEquals(
                Long.toString(gen),
                Files.readString(dir.resolve("state.db.generation")).trim());
        try (DurableDatabase again = DurableDatabase.open(dm, o)) {
            assertEquals("x y", again.database().get("VM", ref, "name_label"));
            assertEquals(gen, again.database().generation());
        }
    }

    @Test
    void eagerPolicyFlushesInTheBackground(@TempDir Path dir) throws Exception {
        DurableDatabase.Options o =
                DurableDatabase.Options.inDirectory(dir).withPolicy(FlushPolicy.eager(Duration.ofMillis(20)));
        try (DurableDatabase store = DurableDatabase.open(dm, o)) {
            vm(store.database(), "bg");
            long gen = store.database().generation();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            Path g = dir.resolve("state.db.generation");
            while (!(Files.exists(g) && Long.parseLong(Files.readString(g).trim()) >= gen)) {
                assertTrue(System.nanoTime() < deadline, "no background flush");
                store.database()
                        .awaitGeneration(Long.MAX_VALUE - 1, Duration.ofMillis(20)); // a bounded wait, not a spin
            }
        }
    }

    @Test
    void malformedStateDbStopsStartNamingFileAndPlace(@TempDir Path dir) throws Exception {
        Files.writeString(
                dir.resolve("state.db"),
                "<?xml version=\"1.0\"?>\n<database><manifest><pair key=\"schema_major_vsn\" value=\"5\"/>\n<table name=\"VM\"><row __ctime=\"1\"/>");
        StateDbFormatException e = assertThrows(
                StateDbFormatException.class, () -> DurableDatabase.open(dm, DurableDatabase.Options.inDirectory(dir)));
        assertTrue(e.getMessage().contains(dir.resolve("state.db").toString()), e.getMessage());
        assertTrue(e.line() > 0, e.getMessage());
    }

    @Test
    void badValueInStateDbStopsStartNamingTableRowAndColumn(@TempDir Path dir) throws Exception {
        try (DurableDatabase store = DurableDatabase.open(dm, DurableDatabase.Options.inDirectory(dir))) {
            vm(store.database(), "v");
        }
        Path p = dir.resolve("state.db");
        Files.writeString(p, Files.readString(p).replace("is_a_template=\"false\"", "is_a_template=\"maybe\""));
        IOException e = assertThrows(
                IOException.class, () -> DurableDatabase.open(dm, DurableDatabase.Options.inDirectory(dir)));
        assertTrue(
                e.getMessage().contains("state.db")
                        && e.getMessage().contains("VM")
                        && e.getMessage().contains("is_a_template"),
                e.getMessage());
    }

    @Test
    void unknownEnumValueInStateDbStopsStart(@TempDir Path dir) throws Exception {
        try (DurableDatabase store = DurableDatabase.open(dm, DurableDatabase.Options.inDirectory(dir))) {
            vm(store.database(), "v");
        }
        Path p = dir.resolve("state.db");
        Files.writeString(p, Files.readString(p).replace("power_state=\"Halted\"", "power_state=\"Exploded\""));
        IOException e = assertThrows(
                IOException.class, () -> DurableDatabase.open(dm, DurableDatabase.Options.inDirectory(dir)));
        assertTrue(e.getMessage().contains("power_state") && e.getMessage().contains("Exploded"), e.getMessage());
    }

    @Test
    void damagedRedoLogStopsStart(@TempDir Path dir) throws Exception {
        Files.write(
                dir.resolve("state.db.redo"),
                "this is not a redo log at all, just some text".getBytes(StandardCharsets.UTF_8));
        RedoLogFormatException e = assertThrows(
                RedoLogFormatException.class, () -> DurableDatabase.open(dm, DurableDatabase.Options.inDirectory(dir)));
        assertTrue(e.getMessage().contains("state.db.redo"), e.getMessage());
    }

    @Test
    void tornRedoLogTailIsDroppedAndStartGoesOn(@TempDir Path dir) throws Exception {
        DurableDatabase.Options o = DurableDatabase.Options.inDirectory(dir);
        DurableDatabase store = DurableDatabase.open(dm, o);
        String ref = vm(store.database(), "kept");
        store.redoLog().close();
        Files.write(dir.resolve("state.db.redo"), new byte[] {0, 0, 0, 40, 1, 2, 3}, StandardOpenOption.APPEND);
        try (DurableDatabase again = DurableDatabase.open(dm, o)) {
            assertEquals("kept", again.database().get("VM", ref, "name_label"));
            assertFalse(again.database().getAll("VM").isEmpty());
        }
    }
}
