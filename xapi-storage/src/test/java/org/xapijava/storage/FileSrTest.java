package org.xapijava.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class FileSrTest {
    private static final long MIB = 1024 * 1024;

    @TempDir
    Path dir;

    private static VdiInfo req(long size) {
        return VdiInfo.request("", "disk", "a disk", "user", size, false, false, Map.of());
    }

    private static void write(Path file, long offset, String text) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(offset);
            raf.write(text.getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static String read(Path file, long offset, int len) throws IOException {
        byte[] b = new byte[len];
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            raf.seek(offset);
            raf.readFully(b);
        }
        return new String(b, StandardCharsets.US_ASCII);
    }

    @Test
    void createMakesASparseRawFileNamedByItsUuid() throws IOException {
        FileSr sr = new FileSr(dir);
        VdiInfo v = sr.create(req(64 * MIB));
        assertEquals(v.uuid(), v.location());
        Path f = dir.resolve(v.uuid() + ".raw");
        assertTrue(Files.isRegularFile(f));
        assertEquals(64 * MIB, Files.size(f));
        assertEquals(64 * MIB, v.virtualSize());
        assertTrue(v.physicalUtilisation() < MIB, "a new VDI allocates (almost) nothing: " + v.physicalUtilisation());
        assertEquals(Map.of("type", "raw"), v.smConfig());
        assertEquals("disk", v.nameLabel());
        assertEquals("a disk", v.nameDescription());
        assertEquals(f, sr.attach(v.location(), true));
    }

    @Test
    void createHonoursARequestedUuidOnce() {
        FileSr sr = new FileSr(dir);
        String uuid = UUID.randomUUID().toString();
        VdiInfo r = VdiInfo.request(uuid, "", "", "user", MIB, false, false, Map.of());
        assertEquals(uuid, sr.create(r).location());
        StorageException e = assertThrows(StorageException.class, () -> sr.create(r));
        assertEquals(SmError.VDI_EXISTS, e.error());
        assertEquals(43, e.error().code());
    }

    @Test
    void createRefusesUnknownTypesAndNegativeSizes() {
        FileSr sr = new FileSr(dir);
        StorageException e = assertThrows(
                StorageException.class,
                () -> sr.create(VdiInfo.request("", "", "", "user", MIB, false, false, Map.of("type", "qcow2"))));
        assertEquals(SmError.VDI_TYPE, e.error());
        assertEquals("Invalid VDI type [opterr=Invalid VDI type qcow2]", e.faultString());
        assertEquals(
                SmError.VDI_SIZE,
                assertThrows(StorageException.class, () -> sr.create(req(-1))).error());
        assertEquals(List.of(), sr.scan());
    }

    @ParameterizedTest
    @EnumSource(SparseFiles.CopyMethod.class)
    void cloneCopiesContentAndStaysSparse(SparseFiles.CopyMethod method) throws IOException {
        FileSr sr = new FileSr(dir, method);
        VdiInfo v = sr.create(req(256 * MIB));
        Path src = sr.attach(v.location(), true);
        write(src, 0, "boot sector");
        write(src, 100 * MIB + 7, "middle");
        write(src, 256 * MIB - 3, "end");

        VdiInfo c = sr.clone(v.location());
        assertNotEquals(v.location(), c.location());
        Path dst = sr.attach(c.location(), true);
        assertEquals(256 * MIB, c.virtualSize());
        assertEquals("boot sector", read(dst, 0, 11));
        assertEquals("middle", read(dst, 100 * MIB + 7, 6));
        assertEquals("end", read(dst, 256 * MIB - 3, 3));
        assertTrue(c.physicalUtilisation() < 16 * MIB, "clone keeps holes: " + c.physicalUtilisation());
        assertTrue(c.physicalUtilisation() > 0, "allocation is measured, not the apparent size alone");

        // independent afterwards
        write(dst, 0, "CLONE");
        assertEquals("boot ", read(src, 0, 5));
        VdiInfo s = sr.snapshot(v.location());
        assertEquals("boot sector", read(sr.attach(s.location(), false), 0, 11));
    }

    @Test
    void destroyRemovesTheFileAndForgetsMissingOnes() {
        FileSr sr = new FileSr(dir);
        VdiInfo v = sr.create(req(MIB));
        sr.destroy(v.location());
        assertFalse(Files.exists(dir.resolve(v.location() + ".raw")));
        sr.destroy(v.location());
        StorageException e = assertThrows(StorageException.class, () -> sr.stat(v.location()));
        assertEquals(SmError.VDI_UNAVAILABLE, e.error());
    }

    @Test
    void resizeGrowsAndRefusesToShrink() throws IOException {
        FileSr sr = new FileSr(dir);
        VdiInfo v = sr.create(req(MIB));
        write(sr.attach(v.location(), true), 10, "kept");
        assertEquals(8 * MIB, sr.resize(v.location(), 8 * MIB).virtualSize());
        assertEquals("kept", read(sr.attach(v.location(), true), 10, 4));
        assertEquals(
                SmError.VDI_SIZE,
                assertThrows(StorageException.class, () -> sr.resize(v.location(), MIB))
                        .error());
        assertEquals(8 * MIB, sr.stat(v.location()).virtualSize());
    }

    @Test
    void copyIntoReplacesContentAndKeepsTheLargerSize() throws IOException {
        FileSr a = new FileSr(Files.createDirectories(dir.resolve("a")));
        FileSr b = new FileSr(Files.createDirectories(dir.resolve("b")));
        VdiInfo src = a.create(req(2 * MIB));
        write(a.attach(src.location(), true), MIB, "payload");
        VdiInfo dst = b.create(req(4 * MIB));
        write(b.attach(dst.location(), true), 0, "old");
        b.copyInto(dst.location(), a.attach(src.location(), false));
        Path d = b.attach(dst.location(), false);
        assertEquals(4 * MIB, Files.size(d));
        assertEquals("payload", read(d, MIB, 7));
        assertEquals("\0\0\0", read(d, 0, 3));
    }

    @Test
    void locationsOutsideTheDirectoryAreRefused() throws IOException {
        FileSr sr = new FileSr(Files.createDirectories(dir.resolve("sr")));
        Path outside = Files.writeString(dir.resolve("secret"), "secret");
        String uuid = UUID.randomUUID().toString();
        Files.createSymbolicLink(dir.resolve("sr").resolve(uuid + ".raw"), outside);
        for (String bad : List.of("../secret", "/etc/passwd", "", uuid.toUpperCase(), uuid + "/../../secret", uuid)) {
            StorageException e = assertThrows(StorageException.class, () -> sr.attach(bad, false), bad);
            assertEquals(SmError.VDI_UNAVAILABLE, e.error(), bad);
            assertThrows(StorageException.class, () -> sr.clone(bad), bad);
        }
        assertThrows(StorageException.class, () -> sr.destroy("../secret"));
        assertEquals("secret", Files.readString(outside));
        assertEquals(List.of(), sr.scan(), "a symbolic link is no VDI");
    }

    @Test
    void leftoversOfACrashAreRemovedAndNeverListed() throws IOException {
        FileSr sr = new FileSr(dir);
        VdiInfo v = sr.create(req(MIB));
        Path stale = Files.createFile(dir.resolve("." + UUID.randomUUID() + ".raw.tmp"));
        assertEquals(
                List.of(v.location()), sr.scan().stream().map(VdiInfo::location).toList());
        new FileSr(dir);
        assertFalse(Files.exists(stale));
        assertTrue(Files.exists(dir.resolve(v.location() + ".raw")));
    }

    @Test
    void scanAndSrStatCountEveryVdi() {
        FileSr sr = new FileSr(dir);
        VdiInfo a = sr.create(req(MIB));
        VdiInfo b = sr.create(req(3 * MIB));
        Set<String> seen = new HashSet<>();
        for (VdiInfo v : sr.scan()) seen.add(v.location());
        assertEquals(Set.of(a.location(), b.location()), seen);
        SrStat st = sr.statSr();
        assertEquals(4 * MIB, st.virtualAllocation());
        assertTrue(st.physicalSize() > 0 && st.physicalUtilisation() <= st.physicalSize());
    }

    @Test
    void missingDirectoryIsUnavailable() {
        StorageException e = assertThrows(StorageException.class, () -> new FileSr(dir.resolve("nope")));
        assertEquals(SmError.SR_UNAVAILABLE, e.error());
    }

    @Test
    void concurrentClonesCreatesAndDeletesDoNotInterfere() throws Exception {
        FileSr sr = new FileSr(dir);
        VdiInfo base = sr.create(req(8 * MIB));
        write(sr.attach(base.location(), true), 4 * MIB, "base");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> fs = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                int k = i;
                fs.add(pool.submit(() -> {
                    if (k % 3 == 0) {
                        VdiInfo v = sr.create(req(MIB));
                        sr.destroy(v.location());
                        return "";
                    }
                    return sr.clone(base.location()).location();
                }));
            }
            Set<String> clones = new HashSet<>();
            for (Future<String> f : fs) {
                String l = f.get(60, TimeUnit.SECONDS);
                if (!l.isEmpty()) assertTrue(clones.add(l));
            }
            assertEquals(16, clones.size());
            for (String c : clones) assertEquals("base", read(sr.attach(c, false), 4 * MIB, 4));
            assertEquals(17, sr.scan().size());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void javaCopyKeepsContentAndHoles() throws IOException {
        Path src = dir.resolve("src");
        try (RandomAccessFile raf = new RandomAccessFile(src.toFile(), "rw")) {
            raf.setLength(40 * MIB + 5);
            raf.seek(3 * MIB + 1);
            raf.write(new byte[] {1, 2, 3});
            raf.seek(40 * MIB + 4);
            raf.write(9);
        }
        Path dst = dir.resolve("dst");
        SparseFiles.copy(src, dst, SparseFiles.CopyMethod.JAVA);
        assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(dst));
        assertTrue(
                SparseFiles.allocatedBytes(dst) <= 4 * MIB,
                "only two blocks hold data: " + SparseFiles.allocatedBytes(dst));
        assertThrows(
                IOException.class, () -> SparseFiles.copy(src, dst, SparseFiles.CopyMethod.JAVA), "never overwrites");
    }
}
