package org.xapijava.db.persist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xapijava.db.persist.TestImage.row;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.rpc.UnwritableTextException;

/** The writers of state.db and the redo log refuse what their readers would refuse or alter. */
class UnstorableTextTest {
    @TempDir
    Path dir;

    private static final List<String> REFUSED = List.of(
            "a\u0001", "\u0000", "x\uFFFF", "\uFFFE", "\uFDD0", "\uFDEF", "lone\uD800", "\uDC00", "\uD83F\uDFFF");

    @Test
    void stateDbWriterRefusesAndKeepsTheOldFile() throws IOException {
        Path p = dir.resolve("state.db");
        StateDbWriter.write(new TestImage(1, 5, 1).table("VM", true, row("OpaqueRef:a", 1, 1, "name__label", "ok")), p);
        byte[] before = Files.readAllBytes(p);
        for (String bad : REFUSED) {
            TestImage img = new TestImage(2, 5, 1).table("VM", true, row("OpaqueRef:a", 1, 2, "name__label", bad));
            UnwritableTextException e = assertThrows(UnwritableTextException.class, () -> StateDbWriter.write(img, p));
            assertTrue(e.getMessage().contains("table VM, row OpaqueRef:a, column name__label"), e.getMessage());
            assertArrayEquals(before, Files.readAllBytes(p), "nothing replaced");
        }
        // what may be stored is written and read back unchanged
        String fine = "\t\n\r \u007f\u0085\uFDCF\uFDF0\uFFFD\uD83D\uDE00\uF8FF%";
        StateDbWriter.write(new TestImage(3, 5, 1).table("VM", true, row("OpaqueRef:a", 1, 3, "name__label", fine)), p);
        assertEquals(
                fine, StateDbReader.read(p).tables().get("VM").get(0).columns().get("name__label"));
    }

    @Test
    void redoLogRefusesInTheCommittingThreadAndStaysUsable() throws Exception {
        Path p = dir.resolve("redo");
        try (RedoLog log = RedoLog.open(p)) {
            for (String bad : REFUSED) {
                DeltaBatch b =
                        new DeltaBatch(1, List.of(new Delta.WriteField("VM", "OpaqueRef:a", "name__label", bad)));
                UnwritableTextException e = assertThrows(UnwritableTextException.class, () -> log.append(b));
                assertTrue(e.getMessage().contains("table VM, row OpaqueRef:a, column name__label"), e.getMessage());
            }
            long t = log.append(new DeltaBatch(
                    1, List.of(new Delta.CreateRow("VM", "OpaqueRef:a", java.util.Map.of("name__label", "ok")))));
            log.awaitDurable(t);
        }
        assertEquals(1, RedoLog.replay(p, 0).size());
    }

    @Test
    void tolerantReadingKeepsWhatXmlRefusesAndTheEscapeCharacter() throws IOException {
        Path p = dir.resolve("state.db");
        String doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<database><manifest>"
                + "<pair key=\"schema_major_vsn\" value=\"5\"/><pair key=\"schema_minor_vsn\" value=\"1\"/>"
                + "<pair key=\"generation_count\" value=\"9\"/></manifest><table name=\"VM\">"
                + "<row ref=\"r\" __ctime=\"1\" __mtime=\"1\" a=\"x\uFFFFy\" b=\"\u0001\uF8FF\uF8FF\uE000\" c=\"%.\uFFFE\"/>"
                + "</table></database>";
        Files.writeString(p, doc, StandardCharsets.UTF_8);
        // the strict reading alone refuses the file
        assertThrows(StateDbFormatException.class, () -> StateDbReader.read(Files.newInputStream(p), "x"));
        var cols = StateDbReader.read(p).tables().get("VM").get(0).columns();
        assertEquals("x\uFFFFy", cols.get("a"));
        assertEquals("\u0001\uF8FF\uF8FF\uE000", cols.get("b"));
        assertEquals(" \uFFFE", cols.get("c"));
        // markup damage is still reported as the strict reading found it
        Files.writeString(p, doc.replace("<table name", "<tab\u0001le name"), StandardCharsets.UTF_8);
        assertThrows(StateDbFormatException.class, () -> StateDbReader.read(p));
    }

    @Test
    void escaperRoundTripsEveryCharacterWhateverTheReadSizes() throws IOException {
        StringBuilder all = new StringBuilder();
        for (int c = 0; c < 0x10000; c++) if (!Character.isSurrogate((char) c)) all.append((char) c);
        String text = all.toString();
        for (int chunk : new int[] {1, 2, 3, 7, 4096}) {
            Reader r = new IllegalCharEscaper(new StringReader(text));
            StringWriter w = new StringWriter();
            char[] buf = new char[chunk];
            for (int n; (n = r.read(buf, 0, chunk)) >= 0; ) w.write(buf, 0, n);
            String escaped = w.toString();
            for (int i = 0; i < escaped.length(); i++) {
                char c = escaped.charAt(i);
                assertTrue(c >= 0x20 || c == '\t' || c == '\n' || c == '\r', "chunk " + chunk + " at " + i);
                assertTrue(c != 0xFFFE && c != 0xFFFF);
            }
            assertEquals(text, IllegalCharEscaper.unescape(escaped), "chunk " + chunk);
        }
    }
}
