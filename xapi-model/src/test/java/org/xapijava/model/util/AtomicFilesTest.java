package org.xapijava.model.util;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void writeCreatesAndReplacesWithMode0600AndLeavesNoTemporaryFile() throws Exception {
        Path f = dir.resolve("state.db");
        AtomicFiles.write(f, ascii("one"));
        assertArrayEquals(ascii("one"), Files.readAllBytes(f));
        AtomicFiles.write(f, ascii("two, longer"));
        AtomicFiles.write(f, ascii("3"));
        assertArrayEquals(ascii("3"), Files.readAllBytes(f), "a shorter content is not padded by the old one");
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(f));
        assertEquals(List.of("state.db"), names());
    }

    @Test
    void theModeIsApplied() throws Exception {
        Path f = dir.resolve("xapi-ssl.pem");
        AtomicFiles.write(f, ascii("key"), AtomicFiles.OWNER_READ_ONLY);
        assertEquals(PosixFilePermissions.fromString("r--------"), Files.getPosixFilePermissions(f));
        // a read-only target is still replaced: rename does not need write permission on the file
        AtomicFiles.write(f, ascii("key2"), AtomicFiles.OWNER_READ_ONLY);
        assertArrayEquals(ascii("key2"), Files.readAllBytes(f));
        AtomicFiles.write(f, ascii("key3"), PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals(PosixFilePermissions.fromString("rw-r--r--"), Files.getPosixFilePermissions(f));
    }

    @Test
    void aFailingWriterLeavesTheOldFileAndNoTemporaryFile() throws Exception {
        Path f = dir.resolve("redo.log");
        AtomicFiles.write(f, ascii("old"));
        IOException e = assertThrows(
                IOException.class,
                () -> AtomicFiles.replace(f, ch -> {
                    AtomicFiles.writeFully(ch, ascii("half of the n"));
                    throw new IOException("disk full");
                }));
        assertEquals("disk full", e.getMessage());
        assertThrows(
                IllegalStateException.class,
                () -> AtomicFiles.replace(f, ch -> {
                    throw new IllegalStateException("snapshot broke");
                }));
        assertArrayEquals(ascii("old"), Files.readAllBytes(f));
        assertEquals(List.of("redo.log"), names());
    }

    @Test
    void staleTemporaryFilesOfTheTargetAloneAreRemovedByTheNextReplace() throws Exception {
        Path f = dir.resolve("state.db");
        List<String> stale = List.of("state.db.123.tmp", "state.db.98765432109876.tmp");
        List<String> kept =
                List.of("state.db.generation", "state.db.x1.tmp", "state.db..tmp", "other.db.1.tmp", "state.db");
        for (String n : stale) Files.write(dir.resolve(n), ascii("partial"));
        for (String n : kept) Files.write(dir.resolve(n), ascii("keep"));
        AtomicFiles.write(f, ascii("new"));
        assertEquals(kept.stream().sorted().toList(), names());
        assertArrayEquals(ascii("new"), Files.readAllBytes(f));

        Files.write(dir.resolve("state.db.5.tmp"), ascii("partial"));
        AtomicFiles.deleteStaleTemps(f);
        assertFalse(Files.exists(dir.resolve("state.db.5.tmp")));
    }

    @Test
    void aWriteInACleanDirectoryReplacesTheTargetAndLeavesOtherFilesAlone() throws Exception {
        Path f = dir.resolve("vm.json");
        Files.write(dir.resolve("vm.json.77.tmp"), ascii("left by someone else"));
        AtomicFiles.writeInCleanDirectory(f, ascii("one"));
        AtomicFiles.writeInCleanDirectory(f, ascii("two"));
        assertArrayEquals(ascii("two"), Files.readAllBytes(f));
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(f));
        assertEquals(List.of("vm.json", "vm.json.77.tmp"), names());
    }

    @Test
    void createNewCreatesOnceAndNeverReplaces() throws Exception {
        Path f = dir.resolve("passwd");
        assertTrue(
                AtomicFiles.createNew(f, AtomicFiles.OWNER_READ_WRITE, ch -> AtomicFiles.writeFully(ch, ascii("a"))));
        assertFalse(
                AtomicFiles.createNew(f, AtomicFiles.OWNER_READ_WRITE, ch -> AtomicFiles.writeFully(ch, ascii("b"))));
        assertArrayEquals(ascii("a"), Files.readAllBytes(f));
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(f));
        assertEquals(List.of("passwd"), names());
    }

    @Test
    void concurrentCreatorsHaveExactlyOneWinner() throws Exception {
        Path f = dir.resolve("ptoken");
        List<Callable<Boolean>> tasks = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            byte[] mine = ascii("creator " + i);
            tasks.add(() ->
                    AtomicFiles.createNew(f, AtomicFiles.OWNER_READ_WRITE, ch -> AtomicFiles.writeFully(ch, mine)));
        }
        int winners = 0;
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Future<Boolean> r : ex.invokeAll(tasks)) {
                if (r.get()) winners++;
            }
        }
        assertEquals(1, winners);
        assertTrue(new String(Files.readAllBytes(f), StandardCharsets.US_ASCII).startsWith("creator "));
        assertEquals(List.of("ptoken"), names());
    }

    @Test
    void publishRenamesAForcedFileIntoPlace() throws Exception {
        Path tmp = dir.resolve(".vdi.raw.tmp");
        Path f = dir.resolve("vdi.raw");
        Files.write(f, ascii("old"));
        Files.write(tmp, ascii("new"));
        AtomicFiles.publish(tmp, f);
        assertArrayEquals(ascii("new"), Files.readAllBytes(f));
        assertEquals(List.of("vdi.raw"), names());
        // nothing to rename: fails, the target stays
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.publish(tmp, f));
        assertFalse(e instanceof AtomicFiles.DirectoryNotDurableException, e.toString());
        assertArrayEquals(ascii("new"), Files.readAllBytes(f));
    }

    @Test
    void aDirectoryThatCannotBeForcedIsReportedAsSuch() {
        Path missing = dir.resolve("gone");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.forceDirectory(missing));
        assertInstanceOf(AtomicFiles.DirectoryNotDurableException.class, e);
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void theTargetDirectoryMustExist() {
        Path f = dir.resolve("no/such/dir/file");
        assertThrows(IOException.class, () -> AtomicFiles.write(f, ascii("x")));
        assertFalse(Files.exists(dir.resolve("no")));
    }

    @Test
    void directoryOfIsAbsolute() {
        assertTrue(AtomicFiles.directoryOf(Path.of("relative.txt")).isAbsolute());
        assertEquals(dir, AtomicFiles.directoryOf(dir.resolve("x")));
    }
}
