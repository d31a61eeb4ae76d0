package org.xapijava.db.persist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xapijava.db.persist.TestImage.row;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateDbTest {
    @TempDir
    Path dir;

    static TestImage smallImage() {
        return new TestImage(42, 5, 786)
                .table(
                        "VM",
                        true,
                        row("OpaqueRef:b", 5, 5, "uuid", "u2"),
                        row(
                                "OpaqueRef:a",
                                3,
                                7,
                                "uuid",
                                "u1",
                                "name__label",
                                "My VM 100% \"quoted\" <b> & 'x'",
                                "name__description",
                                "line1\nline2\tTab\rCR",
                                "other_config",
                                "(('k' 'v'))",
                                "HVM__boot_policy",
                                "BIOS order",
                                "_hidden",
                                "x",
                                "bell",
                                "a\u0085b\u007f",
                                "unicode",
                                "héllo 日本 😀"))
                .table("session", false, row("OpaqueRef:s", 1, 1, "uuid", "s"))
                .table("host", true)
                .table("SR", true);
    }

    static final String SMALL_EXPECTED = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<database><manifest><pair key=\"schema_major_vsn\" value=\"5\"/>"
            + "<pair key=\"schema_minor_vsn\" value=\"786\"/><pair key=\"generation_count\" value=\"42\"/></manifest>"
            + "<table name=\"SR\"/>"
            + "<table name=\"VM\">"
            + "<row ref=\"OpaqueRef:a\" __ctime=\"3\" __mtime=\"7\" HVM__boot_policy=\"BIOS%.order\" _hidden=\"x\""
            + " _ref=\"OpaqueRef:a\" bell=\"a\u0085b\u007f\" name__description=\"line1%nline2%tTab%rCR\""
            + " name__label=\"My%.VM%.100%%%.&quot;quoted&quot;%.&lt;b&gt;%.&amp;%.'x'\""
            + " other_config=\"(('k'%.'v'))\" unicode=\"héllo%.日本%.😀\" uuid=\"u1\"/>"
            + "<row ref=\"OpaqueRef:b\" __ctime=\"5\" __mtime=\"5\" _ref=\"OpaqueRef:b\" uuid=\"u2\"/>"
            + "</table>"
            + "<table name=\"host\"/><table name=\"session\"/></database>";

    @Test
    void writerProducesXapisExactBytes() {
        byte[] bytes = StateDbWriter.toBytes(smallImage());
        assertEquals(SMALL_EXPECTED, new String(bytes, StandardCharsets.UTF_8));
        assertArrayEquals(SMALL_EXPECTED.getBytes(StandardCharsets.UTF_8), bytes);
    }

    @Test
    void writerEscapesOnlyColumnsWithSpaceProtectionAndOrdersByUtf8Bytes() {
        // A surrogate pair (U+1F600) sorts after U+FFFD in UTF-8 byte order, though not in UTF-16 order.
        TestImage img =
                new TestImage(1, 5, 1).table("T", true, row("r 1\t<", 1, 1, "\uFFFDz", "a", "😀", "b", "Z", "c%"));
        String s = new String(StateDbWriter.toBytes(img), StandardCharsets.UTF_8);
        assertTrue(
                s.contains(
                        "<row ref=\"r 1\t&lt;\" __ctime=\"1\" __mtime=\"1\" Z=\"c%%\" _ref=\"r%.1%t&lt;\" \uFFFDz=\"a\" 😀=\"b\"/>"),
                s);
    }

    @Test
    void writerIgnoresASinkProvidedRefAndRejectsDuplicateColumns() {
        TestImage img = new TestImage(1, 5, 1).table("T", true, row("r", 1, 1, "_ref", "other", "a", "1"));
        assertTrue(new String(StateDbWriter.toBytes(img), StandardCharsets.UTF_8).contains("_ref=\"r\" a=\"1\"/>"));
        TestImage dup = new TestImage(1, 5, 1).table("T", true, row("r", 1, 1, "a", "1"), row("r", 2, 2, "a", "1"));
        assertThrows(IllegalArgumentException.class, () -> StateDbWriter.toBytes(dup));
    }

    @Test
    void readsXapiLayoutAndWritesItBackByteForByte() throws IOException {
        Path p = resource("xapi-layout.db");
        LoadedDb db = StateDbReader.read(p);
        assertEquals(1234, db.generation());
        assertEquals(5, db.schemaMajor());
        assertEquals(786, db.schemaMinor());
        assertEquals(
                List.of("Bond", "Certificate", "SR", "VM", "host", "session", "task"),
                List.copyOf(db.tables().keySet()));
        List<LoadedDb.LoadedRow> vms = db.tables().get("VM");
        assertEquals(2, vms.size());
        LoadedDb.LoadedRow vm = vms.get(0);
        assertEquals("OpaqueRef:1f2e3d4c-aaaa-4bbb-8ccc-000000000001", vm.ref());
        assertEquals(20, vm.created());
        assertEquals(1200, vm.modified());
        assertFalse(vm.columns().containsKey("_ref"));
        assertEquals(
                "Test VM with a 100% \"quoted\" <name>\nand a second line",
                vm.columns().get("name__description"));
        assertEquals(
                "(('base_template_name' 'Debian Bookworm 12'))", vm.columns().get("other_config"));
        assertEquals("BIOS order", vm.columns().get("HVM__boot_policy"));
        assertEquals("Café", vms.get(1).columns().get("name__label"));
        assertEquals("", db.tables().get("SR").get(0).columns().get("name__description"));
        assertArrayEquals(Files.readAllBytes(p), StateDbWriter.toBytes(TestImage.of(db)));
    }

    @Test
    void readsIndentedFileWithLegacyEscapeAndEntities() throws IOException {
        LoadedDb db = StateDbReader.read(resource("indented.db"));
        assertEquals(77, db.generation());
        List<LoadedDb.LoadedRow> vms = db.tables().get("VM");
        assertEquals("two  spaces and one", vms.get(0).columns().get("name__label"));
        assertEquals("it's A\n", vms.get(0).columns().get("name__description"));
        assertEquals(0, vms.get(1).created());
        assertEquals(0, vms.get(1).modified());
        assertEquals(Map.of("name__label", "", "uuid", "u-b"), vms.get(1).columns());
        assertEquals(List.of(), db.tables().get("session"));
    }

    @Test
    void roundTripThroughFileWithGenerationFile() throws IOException {
        Path p = dir.resolve("state.db");
        StateDbWriter.write(smallImage(), p);
        assertEquals(OptionalLong.of(42), StateDbReader.readGeneration(p));
        assertEquals("42", Files.readString(dir.resolve("state.db.generation")));
        LoadedDb db = StateDbReader.read(p);
        LoadedDb.LoadedRow a = db.tables().get("VM").get(0);
        assertEquals("OpaqueRef:a", a.ref());
        assertEquals("My VM 100% \"quoted\" <b> & 'x'", a.columns().get("name__label"));
        assertEquals("line1\nline2\tTab\rCR", a.columns().get("name__description"));
        assertEquals("a\u0085b\u007f", a.columns().get("bell"));
        assertEquals("héllo 日本 😀", a.columns().get("unicode"));
        assertEquals(List.of(), db.tables().get("session"));
        // written again from what was read: the same bytes
        assertArrayEquals(Files.readAllBytes(p), StateDbWriter.toBytes(TestImage.of(db)));
    }

    @Test
    void gzipCompressedRoundTrip() throws IOException {
        Path p = dir.resolve("state.db");
        StateDbWriter.write(smallImage(), p, true);
        byte[] raw = Files.readAllBytes(p);
        assertEquals(0x1f, raw[0] & 0xff);
        assertEquals(0x8b, raw[1] & 0xff);
        try (InputStream in = new java.util.zip.GZIPInputStream(Files.newInputStream(p))) {
            assertEquals(SMALL_EXPECTED, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        assertEquals(42, StateDbReader.read(p).generation());
        byte[] truncated = java.util.Arrays.copyOf(raw, raw.length / 2);
        assertThrows(StateDbFormatException.class, () -> read(truncated));
    }

    @Test
    void generationFileMissingOrMalformed() throws IOException {
        Path p = dir.resolve("x.db");
        assertEquals(OptionalLong.empty(), StateDbReader.readGeneration(p));
        Files.writeString(dir.resolve("x.db.generation"), "12\n");
        assertEquals(OptionalLong.of(12), StateDbReader.readGeneration(p));
        Files.writeString(dir.resolve("x.db.generation"), "twelve");
        StateDbFormatException e = assertThrows(StateDbFormatException.class, () -> StateDbReader.readGeneration(p));
        assertTrue(e.getMessage().contains("x.db.generation"), e.getMessage());
    }

    static final String HEAD = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<database><manifest>"
            + "<pair key=\"schema_major_vsn\" value=\"5\"/><pair key=\"schema_minor_vsn\" value=\"786\"/>"
            + "<pair key=\"generation_count\" value=\"9\"/></manifest>";

    static Stream<String[]> malformed() {
        return Stream.of(
                new String[] {"not xml at all", "malformed XML"},
                new String[] {"", "malformed XML"},
                new String[] {
                    "<?xml version=\"1.0\"?>\n<database><table name=\"VM\"/></database>", "expected <manifest>"
                },
                new String[] {"<?xml version=\"1.0\"?>\n<db/>", "expected <database>"},
                new String[] {
                    "<database><manifest><pair key=\"schema_major_vsn\" value=\"5\"/>"
                            + "<pair key=\"schema_minor_vsn\" value=\"1\"/></manifest></database>",
                    "no generation_count"
                },
                new String[] {
                    "<database><manifest><pair key=\"schema_major_vsn\" value=\"5\"/>"
                            + "<pair key=\"schema_minor_vsn\" value=\"1\"/><pair key=\"generation_count\" value=\"x9\"/></manifest></database>",
                    "generation_count is not a number"
                },
                new String[] {
                    HEAD + "<table name=\"VM\"><row __ctime=\"1\" uuid=\"u\"/></table></database>", "row has no ref"
                },
                new String[] {
                    HEAD + "<table name=\"VM\"><row ref=\"r1\" __ctime=\"one\"/></table></database>",
                    "__ctime is not a number"
                },
                new String[] {
                    HEAD + "<table name=\"VM\"><row ref=\"r1\" __mtime=\"\"/></table></database>",
                    "__mtime is not a number"
                },
                new String[] {HEAD + "<table name=\"VM\"><row ref=\"r1\" a=\"50%q\"/></table></database>", "bad escape"
                },
                new String[] {
                    HEAD + "<table name=\"VM\"><row ref=\"r1\" a=\"50%\"/></table></database>", "'%' at the end"
                },
                new String[] {
                    HEAD + "<table name=\"VM\"><row ref=\"r1\"/><row ref=\"r1\"/></table></database>", "duplicate ref"
                },
                new String[] {HEAD + "<table name=\"VM\"/><table name=\"VM\"/></database>", "appears twice"},
                new String[] {HEAD + "<table name=\"VM\"><row ref=\"r1\"><x/></row></table></database>", "must be empty"
                },
                new String[] {HEAD + "<table name=\"VM\">hello</table></database>", "unexpected text"},
                new String[] {HEAD + "<table name=\"VM\"><column/></table></database>", "expected <row>"},
                new String[] {HEAD + "<table/></database>", "exactly one attribute"},
                new String[] {HEAD + "</database><database/>", "malformed XML"},
                new String[] {HEAD + "<table name=\"VM\"><row ref=\"r1\" a=\"&bogus;\"/></table></database>", ""},
                new String[] {
                    "<?xml version=\"1.0\"?>\n<!DOCTYPE database [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
                            + "<database><manifest/><table name=\"VM\"><row ref=\"&x;\"/></table></database>",
                    ""
                },
                new String[] {
                    "<?xml version=\"1.0\"?>\n<!DOCTYPE database>\n" + HEAD.substring(HEAD.indexOf("<database>"))
                            + "</database>",
                    "DOCTYPE"
                });
    }

    @Test
    void everyMalformedInputIsAFormatErrorWithThePlace() {
        malformed().forEach(c -> {
            StateDbFormatException e = assertThrows(
                    StateDbFormatException.class,
                    () -> read(c[0].getBytes(StandardCharsets.UTF_8)),
                    () -> "accepted: " + c[0]);
            assertTrue(e.getMessage().startsWith("test.db:"), e.getMessage());
            assertTrue(e.getMessage().contains(c[1]), () -> "'" + c[1] + "' not in: " + e.getMessage());
            assertTrue(e.line() > 0 || e.getMessage().contains("(table"), () -> "no place in: " + e.getMessage());
        });
    }

    @Test
    void malformedUtf8IsAFormatError() {
        byte[] good = (HEAD + "<table name=\"VM\"><row ref=\"r1\" a=\"xé\"/></table></database>")
                .getBytes(StandardCharsets.UTF_8);
        byte[] bad = good.clone();
        int i = new String(good, StandardCharsets.ISO_8859_1).indexOf("x\u00c3") + 2; // second byte of é
        bad[i] = 'y';
        assertThrows(StateDbFormatException.class, () -> read(bad));
    }

    @Test
    void errorsInsideARowNameTableAndRow() {
        StateDbFormatException e = assertThrows(
                StateDbFormatException.class,
                () -> read((HEAD + "<table name=\"VM\"><row ref=\"r1\"/><row ref=\"r2\" x=\"%z\"/></table></database>")
                        .getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains("(table VM, row r2)"), e.getMessage());
        assertEquals(2, e.line());
    }

    @Test
    void everyTruncationOfAFileIsAFormatError() throws IOException {
        byte[] full = StateDbWriter.toBytes(smallImage());
        for (int n = 0; n < full.length; n++) {
            byte[] cut = java.util.Arrays.copyOf(full, n);
            assertThrows(StateDbFormatException.class, () -> read(cut), "prefix of " + n + " bytes accepted");
        }
        // A trailing newline (or other whitespace) is fine.
        byte[] nl = (new String(full, StandardCharsets.UTF_8) + "\n").getBytes(StandardCharsets.UTF_8);
        assertEquals(42, read(nl).generation());
    }

    @Test
    void crashBetweenTempWriteAndRenameLeavesOldFile() throws IOException {
        Path p = dir.resolve("state.db");
        StateDbWriter.write(smallImage(), p);
        byte[] before = Files.readAllBytes(p);
        // What a crash after writing the temporary file but before the rename leaves behind.
        Path stale = dir.resolve("state.db.1234567.tmp");
        Files.write(stale, java.util.Arrays.copyOf(before, before.length / 2));
        assertArrayEquals(before, Files.readAllBytes(p));
        assertEquals(42, StateDbReader.read(p).generation());
        // A write that fails half-way (here: the image throws) leaves the old file and no temp file.
        TestImage failing = new TestImage(43, 5, 786) {
            @Override
            public Iterable<? extends TableImage> tables() {
                throw new IllegalStateException("snapshot broke");
            }
        };
        assertThrows(IllegalStateException.class, () -> StateDbWriter.write(failing, p));
        assertArrayEquals(before, Files.readAllBytes(p));
        assertEquals(OptionalLong.of(42), StateDbReader.readGeneration(p));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(
                    List.of("state.db", "state.db.generation"),
                    s.map(x -> x.getFileName().toString()).sorted().toList());
        }
        // The next successful write cleans up and replaces.
        Files.write(stale, new byte[] {1, 2, 3});
        StateDbWriter.write(new TestImage(44, 5, 786).table("VM", true), p);
        assertEquals(44, StateDbReader.read(p).generation());
        assertFalse(Files.exists(stale));
    }

    @Test
    void writesTenThousandVmsQuickly() throws IOException {
        TestImage img = PerfImages.vms(10_000, 90);
        Path p = dir.resolve("big.db");
        StateDbWriter.write(img, p); // warm-up
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            StateDbWriter.write(img, p);
            best = Math.min(best, System.nanoTime() - t0);
        }
        long t0 = System.nanoTime();
        LoadedDb db = StateDbReader.read(p);
        long read = System.nanoTime() - t0;
        assertEquals(10_000, db.tables().get("VM").size());
        System.out.printf(
                "state.db: 10000 VMs x 90 columns, %d MB: write+fsync %d ms, read %d ms%n",
                Files.size(p) >> 20, best / 1_000_000, read / 1_000_000);
        assertTrue(best < 5_000_000_000L, "far too slow: " + best / 1_000_000 + " ms");
    }

    private static LoadedDb read(byte[] bytes) throws IOException {
        return StateDbReader.read(new ByteArrayInputStream(bytes), "test.db");
    }

    private static Path resource(String name) {
        try {
            return Path.of(StateDbTest.class.getResource("/statedb/" + name).toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
