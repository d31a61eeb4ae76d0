package org.xapijava.server.transfer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.errors.ApiError;

/** A disk in Xapi's chunk form ({@link DiskTar}) and the tar headers it is written with ({@link TarWriter}). */
class DiskTarTest {
    @TempDir
    Path dir;

    static final RawVdiTransfer.Progress NO_PROGRESS = RawVdiTransfer.Progress.NONE;

    @Test
    void xxh64IsPrintedAsXapiPrintsIt() {
        // the XXH64 reference vectors (seed 0); Xapi's empty-chunk checksum is the first
        assertEquals("EF46DB3751D8E999", DiskTar.xxh64(new byte[0], 0));
        assertEquals("D24EC4F1A98C6E5B", DiskTar.xxh64("a".getBytes(StandardCharsets.US_ASCII), 1));
        assertEquals("44BC2CF5AD770999", DiskTar.xxh64("abc".getBytes(StandardCharsets.US_ASCII), 3));
    }

    @Test
    void headersAreV7WithXapisDefaults() {
        byte[] h = TarWriter.header("vdi/00000000", 1 << 20, 0);
        assertEquals("vdi/00000000", new String(h, 0, 12, StandardCharsets.US_ASCII));
        assertEquals("0000400\0", new String(h, 100, 8, StandardCharsets.US_ASCII));
        assertEquals("00004000000\0", new String(h, 124, 12, StandardCharsets.US_ASCII));
        assertEquals('0', h[156]);
        assertEquals("\0\0\0\0\0\0", new String(h, 257, 6, StandardCharsets.US_ASCII), "no ustar magic");
        long sum = 0;
        for (int i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? ' ' : h[i] & 0xff;
        assertEquals(Long.toOctalString(sum), new String(h, 148, 6, StandardCharsets.US_ASCII).replaceFirst("^0+", ""));
    }

    @Test
    void chunksSkipZerosButTheFirstAndLastAndReadBackWhole() throws Exception {
        long size = 5 * DiskTar.CHUNK + 1000; // 6 chunks, the last short
        byte[] disk = new byte[(int) size];
        byte[] two = new byte[DiskTar.CHUNK];
        new Random(1).nextBytes(two);
        System.arraycopy(two, 0, disk, 2 * DiskTar.CHUNK, DiskTar.CHUNK);
        Path src = dir.resolve("src");
        Files.write(src, disk);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (DiskReader in = DiskReader.open(src)) {
            DiskTar.write(in, size, DiskTar.PREFIX, out, null, NO_PROGRESS);
        }
        // the same bytes when chunks go out from their direct buffer
        ByteArrayOutputStream direct = new ByteArrayOutputStream();
        try (DiskReader in = DiskReader.open(src)) {
            DiskTar.write(
                    in,
                    size,
                    DiskTar.PREFIX,
                    direct,
                    b -> {
                        byte[] copy = new byte[b.remaining()];
                        b.get(copy);
                        direct.write(copy);
                    },
                    NO_PROGRESS);
        }
        assertArrayEquals(out.toByteArray(), direct.toByteArray());
        List<String> names = new ArrayList<>();
        try (TarArchiveInputStream t = new TarArchiveInputStream(new ByteArrayInputStream(out.toByteArray()))) {
            for (TarArchiveEntry e; (e = t.getNextEntry()) != null; ) names.add(e.getName() + ":" + e.getSize());
        }
        assertEquals(
                List.of(
                        "vdi/00000000:1048576",
                        "vdi/00000000.xxhash:16",
                        "vdi/00000002:1048576",
                        "vdi/00000002.xxhash:16",
                        "vdi/00000005:1000",
                        "vdi/00000005.xxhash:16"),
                names);

        Path dst = dir.resolve("dst");
        Files.write(dst, new byte[(int) size]);
        try (FileChannel o = FileChannel.open(dst, StandardOpenOption.WRITE)) {
            DiskTar.read(
                    new ByteArrayInputStream(out.toByteArray()), "vdi", new DiskWriter(o, size, false), NO_PROGRESS);
        }
        assertEquals(
                java.util.HexFormat.of().formatHex(disk),
                java.util.HexFormat.of().formatHex(Files.readAllBytes(dst)));

        // a flipped byte: the chunk's checksum fails, as Xapi's
        byte[] bad = out.toByteArray();
        bad[512 + 7] ^= 1; // inside chunk 0's data
        ApiError e;
        try (FileChannel o = FileChannel.open(dst, StandardOpenOption.WRITE)) {
            e = assertThrows(
                    ApiError.class,
                    () -> DiskTar.read(
                            new ByteArrayInputStream(bad), "vdi", new DiskWriter(o, size, false), NO_PROGRESS));
        }
        assertEquals("INTERNAL_ERROR", e.code());
        assertEquals(true, e.params().get(0).startsWith("Block vdi/00000000 checksum failed"), e.getMessage());
    }

    @Test
    void keepAliveEmptyChunksShiftTheNumbersAndTheDiskReadsBackTheSame() throws Exception {
        long size = 6L * DiskTar.CHUNK;
        byte[] disk = new byte[(int) size];
        new Random(2).nextBytes(disk);
        java.util.Arrays.fill(disk, DiskTar.CHUNK, 4 * DiskTar.CHUNK, (byte) 0); // chunks 1-3 are zeros
        Path src = dir.resolve("ka");
        Files.write(src, disk);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (DiskReader in = DiskReader.open(src)) {
            TarWriter tar = new TarWriter(out);
            // a keep-alive period of 0: every skipped chunk sends an empty one, as a 5 s pause would
            DiskTar.writeChunks(tar, in, size, "Ref:3", NO_PROGRESS, 0);
            tar.end();
        }
        List<String> names = new ArrayList<>();
        try (TarArchiveInputStream t = new TarArchiveInputStream(new ByteArrayInputStream(out.toByteArray()))) {
            for (TarArchiveEntry e; (e = t.getNextEntry()) != null; )
                if (!e.getName().endsWith(".xxhash")) names.add(e.getName() + ":" + e.getSize());
        }
        // chunk k goes out (data or an empty keep-alive) as number k + (empty chunks before it): Xapi's timeout
        // workaround; a reader placing chunks by the gaps between numbers puts the data where it was
        assertEquals(
                List.of(
                        "Ref:3/00000000:1048576",
                        "Ref:3/00000001:0",
                        "Ref:3/00000003:0",
                        "Ref:3/00000005:0",
                        "Ref:3/00000007:1048576",
                        "Ref:3/00000008:1048576"),
                names);
        Path dst = dir.resolve("ka-dst");
        Files.write(dst, new byte[(int) size]);
        try (FileChannel o = FileChannel.open(dst, StandardOpenOption.WRITE)) {
            new DiskTar.Reader(new TarArchiveInputStream(new ByteArrayInputStream(out.toByteArray())), true)
                    .disk("Ref:3", new DiskWriter(o, size, false), NO_PROGRESS);
        }
        assertEquals(
                java.util.HexFormat.of().formatHex(disk),
                java.util.HexFormat.of().formatHex(Files.readAllBytes(dst)));
    }

    @Test
    void aSparseFileReadsTheSameWhetherItsHolesAreSkippedOrNot() throws Exception {
        Path sparse = dir.resolve("sparse");
        long size = 64L << 20;
        byte[] a = new byte[5000];
        byte[] b = new byte[3 * DiskTar.CHUNK + 17];
        new Random(7).nextBytes(a);
        new Random(8).nextBytes(b);
        try (var f = new java.io.RandomAccessFile(sparse.toFile(), "rw")) {
            f.setLength(size - 4096); // the file shorter than the disk: the rest reads as zeros
            f.seek(10L << 20);
            f.write(a);
            f.seek((40L << 20) + 3);
            f.write(b);
        }
        byte[] expected = new byte[(int) size];
        System.arraycopy(a, 0, expected, 10 << 20, a.length);
        System.arraycopy(b, 0, expected, (40 << 20) + 3, b.length);
        byte[] buf = new byte[DiskTar.CHUNK];
        try (DiskReader r = DiskReader.open(sparse)) {
            for (long at = 0; at < size; at += DiskTar.CHUNK) {
                assertEquals(DiskTar.CHUNK, r.read(at, size, buf));
                assertEquals(
                        java.util.HexFormat.of().formatHex(expected, (int) at, (int) at + DiskTar.CHUNK),
                        java.util.HexFormat.of().formatHex(buf),
                        "block at " + at);
            }
            // out of order too (an export of a VHD reads each block twice)
            assertEquals(DiskTar.CHUNK, r.read(10L << 20, size, buf));
            assertEquals(a[0], buf[0]);
            assertEquals(1000, r.read(size - 1000, size, buf), "the disk's last bytes");
            // what a writer may skip unread: only zeros, and the holes of this file (ext4 and tmpfs tell them)
            for (long at = 0; at < size; at += DiskTar.CHUNK) {
                if (r.knownZero(at, DiskTar.CHUNK))
                    assertTrue(DiskWriter.allZero(expected, (int) at, DiskTar.CHUNK), "known zero at " + at);
            }
            assertTrue(r.knownZero(20L << 20, DiskTar.CHUNK), "a hole");
            assertFalse(r.knownZero(10L << 20, DiskTar.CHUNK), "data");
            assertFalse(r.knownZero(39L << 20, DiskTar.CHUNK + 4), "a hole then data");
        }
    }

    @Test
    void allZeroLooksAtEveryByteOfItsRange() {
        byte[] b = new byte[3 * DiskTar.CHUNK + 5];
        assertTrue(DiskWriter.allZero(b, 0, b.length));
        for (int at : new int[] {0, 65535, 65536, DiskTar.CHUNK + 7, b.length - 1}) {
            b[at] = 1;
            assertFalse(DiskWriter.allZero(b, 0, b.length), "a one at " + at);
            assertTrue(at == 0 || DiskWriter.allZero(b, 0, at), "zeros before " + at);
            assertTrue(DiskWriter.allZero(b, at + 1, b.length - at - 1), "zeros after " + at);
            b[at] = 0;
        }
    }
}
