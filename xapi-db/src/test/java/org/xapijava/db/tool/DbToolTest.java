package org.xapijava.db.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.persist.Delta;
import org.xapijava.db.persist.DeltaBatch;
import org.xapijava.db.persist.RedoLog;

class DbToolTest {
    @TempDir
    Path dir;

    private String out;
    private String err;

    private int run(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int rc = DbTool.run(
                args,
                new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8));
        out = o.toString(StandardCharsets.UTF_8);
        err = e.toString(StandardCharsets.UTF_8);
        return rc;
    }

    @Test
    void printsAStateDb() throws Exception {
        Path db =
                Path.of(DbToolTest.class.getResource("/statedb/xapi-layout.db").toURI());
        assertEquals(0, run("state.db", db.toString()));
        assertTrue(out.contains("generation_count: 1234"), out);
        assertTrue(out.contains("schema: 5.786"), out);
        assertTrue(out.matches("(?s).*VM +2 rows.*"), out);
        assertTrue(!out.contains("OpaqueRef:host-1"), out);
        assertEquals(0, run("state.db", db.toString(), "--rows"));
        assertTrue(out.contains("host OpaqueRef:host-1  ctime=2 mtime=1234"), out);
        assertTrue(out.contains("name__label = \"Local storage\""), out);
        Path bad = dir.resolve("bad.db");
        Files.writeString(bad, "<database>");
        assertEquals(1, run("state.db", bad.toString()));
        assertTrue(err.contains("bad.db"), err);
        assertEquals(2, run("state.db"));
        assertEquals(2, run("state.db", dir.resolve("missing.db").toString()));
    }

    @Test
    void printsARedoLogAndItsTornTail() throws Exception {
        Path log = dir.resolve("redo.log");
        try (RedoLog r = RedoLog.open(log)) {
            r.awaitDurable(r.append(new DeltaBatch(
                    7, List.of(new Delta.CreateRow("VM", "OpaqueRef:a", Map.of("name__label", "a b"))))));
            r.awaitDurable(r.append(new DeltaBatch(
                    8,
                    List.of(
                            new Delta.WriteField("VM", "OpaqueRef:a", "power_state", "Running"),
                            new Delta.DeleteRow("VM", "OpaqueRef:b")))));
        }
        long size = Files.size(log);
        Files.write(log, new byte[] {0, 0, 1, 0, 9}, java.nio.file.StandardOpenOption.APPEND);
        assertEquals(0, run("redo-log", log.toString()));
        assertTrue(out.contains("format version 1"), out);
        assertTrue(out.contains("batch generation 7"), out);
        assertTrue(out.contains("name__label = \"a b\""), out);
        assertTrue(out.contains("WriteField VM OpaqueRef:a power_state = Running"), out);
        assertTrue(out.contains("DeleteRow VM OpaqueRef:b"), out);
        assertTrue(out.contains("torn tail: 5 bytes from byte " + size), out);
        Files.write(log, new byte[] {1, 2, 3});
        assertEquals(1, run("redo-log", log.toString()));
        assertTrue(err.contains("magic"), err);
    }
}
