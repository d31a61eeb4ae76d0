package org.xapijava.server.rrd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The archive's writes left to its background thread: read back at once, overtaken by newer saves, removed, kept. */
class RrdArchiveTest {
    private static final String UUID = "0f5c2f0e-6d3b-4a51-9d43-0b9b0d1f3e11";

    private static Rrd rrd(String source) {
        return Rrd.create(List.of(DataSource.gauge(source, source, "B", 0, false)), 1_700_000_000, false);
    }

    @Test
    void aLaterSaveIsReadBackAtOnceAndWrittenByClose(@TempDir Path dir) {
        RrdArchive a = new RrdArchive(dir);
        a.saveLater(UUID, rrd("first"));
        assertEquals(List.of("first"), a.load(UUID).names());
        a.saveLater(UUID, rrd("second"));
        assertEquals(List.of("second"), a.load(UUID).names(), "the newest bytes win");
        a.close();
        assertTrue(Files.isRegularFile(a.file(UUID)));
        assertEquals(List.of("second"), new RrdArchive(dir).load(UUID).names(), "what was written");
    }

    @Test
    void aSaveOrARemovalOvertakesAPendingWrite(@TempDir Path dir) {
        RrdArchive a = new RrdArchive(dir);
        a.saveLater(UUID, rrd("later"));
        a.save(UUID, rrd("now"));
        a.close();
        assertEquals(List.of("now"), new RrdArchive(dir).load(UUID).names());

        RrdArchive b = new RrdArchive(dir);
        b.saveLater(UUID, rrd("gone"));
        b.remove(UUID);
        assertNull(b.load(UUID));
        b.close();
        assertFalse(Files.exists(b.file(UUID)), "the removal is not undone by the background write");
    }

    @Test
    void aReceivedDumpIsKeptAsItCameAndSentOnAsItIs(@TempDir Path dir) throws Exception {
        RrdArchive a = new RrdArchive(dir);
        byte[] dump = RrdDump.xml(rrd("sent"), false).getBytes(StandardCharsets.UTF_8);
        a.saveDump(UUID, dump);
        assertTrue(Files.isRegularFile(a.file(UUID)), "written before the call returns");
        assertTrue(Arrays.equals(dump, a.loadDump(UUID)), "the same bytes, not written out again");
        assertEquals(List.of("sent"), a.load(UUID).names());
        try (var in = new GZIPInputStream(Files.newInputStream(a.file(UUID)))) {
            assertTrue(Arrays.equals(dump, in.readAllBytes()), "any gzip reader reads the file");
        }
        a.saveLater(UUID, rrd("newer"));
        assertEquals(
                List.of("newer"),
                RrdDump.parse(new ByteArrayInputStream(a.loadDump(UUID))).names(),
                "a pending write is what is sent on");
        a.close();
        assertNull(new RrdArchive(dir.resolve("none")).loadDump(UUID), "no archive: nothing to send");
    }
}
