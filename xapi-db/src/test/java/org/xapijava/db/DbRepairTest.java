package org.xapijava.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xapijava.db.TestSupport.DM;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.persist.DamagedFiles;
import org.xapijava.db.persist.Delta;
import org.xapijava.db.persist.DeltaBatch;
import org.xapijava.db.tool.DbTool;
import org.xapijava.model.api.VM;
import org.xapijava.model.types.Refs;

/**
 * A host hit before the value check existed: start-up names the file, table, row and column of each value the
 * database refuses, and {@code dbtool repair} replaces them so that the host starts again.
 */
class DbRepairTest {
    @TempDir
    Path dir;

    private Path stateDb() {
        return dir.resolve("state.db");
    }

    private DurableDatabase open() throws IOException {
        return DurableDatabase.open(DM, DurableDatabase.Options.inDirectory(dir));
    }

    /** A database with one VM, flushed; returns the VM's ref. */
    private String oneVm() throws IOException {
        try (DurableDatabase d = open()) {
            String vm = TestSupport.vm(d.database(), "x");
            d.database().set(vm, VM.NAME_DESCRIPTION, "keep me");
            d.database().set(vm, VM.TAGS, List.of("t1", "t2"));
            return vm;
        }
    }

    /** Rewrites {@code state.db} as an older writer would have left it (raw characters XML refuses). */
    private void damageStateDb(String from, String to) throws IOException {
        String text = Files.readString(stateDb(), StandardCharsets.UTF_8);
        assertTrue(text.contains(from), from);
        Files.writeString(stateDb(), text.replace(from, to), StandardCharsets.UTF_8);
    }

    private String[] tool(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int rc = DbTool.run(
                args,
                new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8));
        return new String[] {
            Integer.toString(rc), o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8)
        };
    }

    @Test
    void startUpNamesTheValueAndTheToolRepairsIt() throws Exception {
        String vm = oneVm();
        // the defect of issue 9: U+FFFF in a ref field (the file then does not even parse as XML), and a control
        // character in a string, which an older writer turned into U+FFFD or wrote raw
        damageStateDb("affinity=\"OpaqueRef:NULL\"", "affinity=\"x\uFFFFy\"");
        damageStateDb("name__label=\"x\"", "name__label=\"a\u0001b\uF8FFc\"");
        IOException e = assertThrows(IOException.class, this::open);
        String m = e.getMessage();
        assertTrue(m.contains(stateDb().toString()), m);
        assertTrue(m.contains("table VM row " + vm + " column "), m);
        assertTrue(m.contains("U+FFFF at index 1") || m.contains("U+0001 at index 1"), m);
        assertTrue(m.contains("xapi-db-tool repair " + stateDb()), m);

        String[] dry = tool("repair", stateDb().toString(), "--dry-run");
        assertEquals("0", dry[0], dry[2]);
        assertTrue(dry[1].contains("2 values would be replaced (dry run: nothing written)"), dry[1]);
        assertThrows(IOException.class, this::open, "a dry run changes nothing");

        String[] r = tool("repair", stateDb().toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("state.db: VM " + vm + " affinity: the value holds U+FFFF at index 1"), r[1]);
        assertTrue(r[1].contains("was: \"x\\uffffy\""), r[1]);
        assertTrue(r[1].contains("now: OpaqueRef:NULL"), r[1]);
        assertTrue(r[1].contains("state.db: VM " + vm + " name__label: the value holds U+0001 at index 1"), r[1]);
        assertTrue(r[1].contains("2 values replaced"), r[1]);
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(
                    1,
                    files.filter(p -> p.getFileName().toString().startsWith("state.db.bak-"))
                            .count());
        }

        try (DurableDatabase d = open()) {
            Database db = d.database();
            assertEquals(Refs.NULL, db.get(vm, VM.AFFINITY));
            assertEquals("a\uFFFDb\uF8FFc", db.get(vm, VM.NAME_LABEL), "each refused character becomes U+FFFD");
            assertEquals("keep me", db.get(vm, VM.NAME_DESCRIPTION));
            assertEquals(List.of("t1", "t2"), db.get(vm, VM.TAGS));
        }
        assertEquals("0", tool("repair", stateDb().toString())[0]);
        assertTrue(tool("repair", stateDb().toString())[1].contains("nothing to repair"));
    }

    @Test
    void noncharactersInAWellFormedFileAreFoundToo() throws Exception {
        String vm = oneVm();
        // U+FDD0 and U+1FFFE are legal XML: the file parses, the value check finds them
        damageStateDb("name__label=\"x\"", "name__label=\"a\uFDD0\"");
        damageStateDb("('t1'", "('t\uD83F\uDFFE'");
        IOException e = assertThrows(IOException.class, this::open);
        assertTrue(e.getMessage().contains("row " + vm), e.getMessage());
        String[] r = tool("repair", stateDb().toString());
        assertEquals("0", r[0], r[2]);
        try (DurableDatabase d = open()) {
            assertEquals("a\uFFFD", d.database().get(vm, VM.NAME_LABEL));
            assertEquals(List.of("t\uFFFD", "t2"), d.database().get(vm, VM.TAGS));
        }
    }

    @Test
    void redoLogValuesAreNamedAndRepaired() throws Exception {
        String vm = oneVm();
        long g;
        try (DurableDatabase d = open()) {
            g = d.database().generation();
        }
        Path redo = dir.resolve("state.db.redo");
        Files.delete(redo);
        DamagedFiles.writeRedoLogUnchecked(
                redo,
                new DeltaBatch(g + 1, List.of(new Delta.WriteField("VM", vm, "name__label", "bad\uFFFE"))),
                new DeltaBatch(
                        g + 2,
                        List.of(new Delta.WriteField(
                                "VM", vm, "other_config", "(('k\u0002' 'v') ('k\u0003' 'w') ('ok' '\uFFFF'))"))));
        IOException e = assertThrows(IOException.class, this::open);
        assertTrue(e.getMessage().contains("column name__label"), e.getMessage());
        assertTrue(e.getMessage().contains("with the redo log " + redo), e.getMessage());

        String[] r = tool("repair", stateDb().toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("redo log generation " + (g + 1) + ": VM " + vm + " name__label"), r[1]);
        assertTrue(r[1].contains("redo log generation " + (g + 2) + ": VM " + vm + " other_config"), r[1]);
        assertFalse(Files.exists(redo), "the redo log, now contained in state.db, is moved aside");
        try (DurableDatabase d = open()) {
            assertEquals("bad\uFFFD", d.database().get(vm, VM.NAME_LABEL));
            // two keys that become equal once repaired: the first stays
            assertEquals(Map.of("k\uFFFD", "v", "ok", "\uFFFD"), d.database().get(vm, VM.OTHER_CONFIG));
            assertEquals(g + 2, d.database().generation());
        }
    }

    @Test
    void aRowRefHoldingARefusedCharacterCannotBeRepaired() throws Exception {
        String vm = oneVm();
        damageStateDb("ref=\"" + vm + "\"", "ref=\"" + vm + "\u0007\"");
        String[] r = tool("repair", stateDb().toString());
        assertEquals("1", r[0]);
        assertTrue(r[2].contains("the row's ref holds U+0007"), r[2]);
    }
}
