package org.xapijava.server.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Qcow2Chain} against QEMU's own reading of the same images ({@code qemu-img convert -O raw}), byte for byte:
 * a base with a delta over it (a snapshot's chain), sparse regions, zero clusters over backing data, compressed
 * clusters, a raw base, a base smaller than its child, version 2 images, other cluster sizes, odd block sizes; and
 * its refusals: a file open for writing by QEMU, a writer that comes while the chain is read, features it does not
 * read, a backing file outside the leaf's directory.
 */
class Qcow2ChainTest {
    @TempDir
    Path dir;

    private static final int MIB = 1 << 20;

    private void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
    }

    private int exit(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor();
    }

    private void io(Path image, String... commands) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "qcow2"));
        for (String c : commands) {
            cmd.add("-c");
            cmd.add(c);
        }
        cmd.add(image.toString());
        run(cmd.toArray(String[]::new));
    }

    private Path raw(String name, long size, long seed, long... dataAt) throws IOException {
        Path p = dir.resolve(name);
        try (var ch = java.nio.channels.FileChannel.open(
                p, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
            byte[] b = new byte[3 * MIB / 2 + 4097];
            new Random(seed).nextBytes(b);
            for (long at : dataAt) ch.write(java.nio.ByteBuffer.wrap(b), at);
            ch.truncate(size);
            if (ch.size() < size) ch.write(java.nio.ByteBuffer.wrap(new byte[1]), size - 1);
        }
        return p;
    }

    /** QEMU's reading of the chain from {@code leaf}. */
    private byte[] qemu(Path leaf) throws Exception {
        Path out = dir.resolve("qemu-" + System.nanoTime() + ".raw");
        run("qemu-img", "convert", "-O", "raw", leaf.toString(), out.toString());
        byte[] b = Files.readAllBytes(out);
        Files.delete(out);
        return b;
    }

    /** Ours, with blocks of {@code block} bytes. */
    private static byte[] ours(Path leaf, long size, int block) throws IOException {
        byte[] all = new byte[(int) size];
        byte[] buf = new byte[block];
        try (Qcow2Chain c = Qcow2Chain.open(leaf)) {
            for (long at = 0; at < size; ) {
                int n = c.read(at, size, buf);
                System.arraycopy(buf, 0, all, (int) at, n);
                at += n;
            }
        }
        return all;
    }

    /** Ours into a direct buffer of {@code block} bytes (filled with garbage first: every byte must be written). */
    private static byte[] oursDirect(Path leaf, long size, int block) throws IOException {
        byte[] all = new byte[(int) size];
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocateDirect(block);
        byte[] garbage = new byte[block];
        Arrays.fill(garbage, (byte) 0x5a);
        try (Qcow2Chain c = Qcow2Chain.open(leaf)) {
            for (long at = 0; at < size; ) {
                buf.put(0, garbage);
                int n = c.read(at, size, buf);
                buf.get(0, all, (int) at, n);
                for (int i = n; i < block; i++) assertEquals(0, buf.get(i), "zeros past the disk's end");
                at += n;
            }
        }
        return all;
    }

    /** Same bytes as QEMU reads; the number of 64 KiB blocks {@link Qcow2Chain#knownZero} told were zeros. */
    private int same(Path leaf, long size) throws Exception {
        byte[] expected = qemu(leaf);
        assertEquals(size, expected.length);
        for (int block : new int[] {MIB, 65536 + 512, 4096 * 3}) {
            byte[] got = ours(leaf, size, block);
            assertEquals(-1, Arrays.mismatch(expected, got), "block " + block + ": first difference");
            assertEquals(-1, Arrays.mismatch(expected, oursDirect(leaf, size, block)), "direct buffer, block " + block);
        }
        int known = 0;
        try (Qcow2Chain c = Qcow2Chain.open(leaf)) {
            for (long at = 0; at < size; at += 65536) {
                int n = (int) Math.min(65536, size - at);
                if (!c.knownZero(at, n)) continue;
                known++;
                for (int i = 0; i < n; i++) assertEquals(0, expected[(int) at + i], "known zero at " + (at + i));
            }
        }
        return known;
    }

    @Test
    void aSnapshotChainWithSparseRegionsReadsAsQemuReadsIt() throws Exception {
        long size = 40L * MIB + 512;
        Path base = dir.resolve("base.qcow2");
        run(
                "qemu-img",
                "convert",
                "-f",
                "raw",
                "-O",
                "qcow2",
                raw("base.raw", size, 1, 0, 9 * MIB + 123, 30 * MIB).toString(),
                base.toString());
        Path delta = dir.resolve("delta.qcow2");
        run("qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", delta.toString());
        io(delta, "write -P 0xab 4096 8192", "write -P 0xcd 9M 2M", "write -z 30M 64k", "write -P 0x11 39M 1M");
        Path leaf = dir.resolve("leaf.qcow2");
        run("qemu-img", "create", "-q", "-f", "qcow2", "-b", "delta.qcow2", "-F", "qcow2", leaf.toString());
        io(leaf, "write -P 0x22 10M 100k", "write -z 0 64k");
        // of 641 blocks, the data of the three images covers about 100: the rest is told zero without reading
        assertTrue(same(leaf, size) > 500);
        assertTrue(same(delta, size) > 500);
        try (Qcow2Chain c = Qcow2Chain.open(leaf)) {
            assertEquals(3, c.depth());
        }
    }

    @Test
    void compressedClustersRawBasesSmallerBasesVersion2AndOtherClusterSizes() throws Exception {
        long size = 12L * MIB;
        Path data = raw("data.raw", size, 2, 0, 5 * MIB);
        Path compressed = dir.resolve("c.qcow2");
        run("qemu-img", "convert", "-c", "-f", "raw", "-O", "qcow2", data.toString(), compressed.toString());
        same(compressed, size);

        Path overRaw = dir.resolve("over-raw.qcow2");
        run("qemu-img", "create", "-q", "-f", "qcow2", "-b", "data.raw", "-F", "raw", overRaw.toString());
        io(overRaw, "write -P 0x33 1M 64k");
        same(overRaw, size);

        Path small = dir.resolve("small.qcow2");
        run(
                "qemu-img",
                "convert",
                "-f",
                "raw",
                "-O",
                "qcow2",
                raw("small.raw", 2 * MIB, 3, 0).toString(),
                small.toString());
        Path grown = dir.resolve("grown.qcow2");
        run("qemu-img", "create", "-q", "-f", "qcow2", "-b", "small.qcow2", "-F", "qcow2", grown.toString(), "6M");
        io(grown, "write -P 0x44 5M 4k");
        same(grown, 6L * MIB);

        for (String options : new String[] {"compat=0.10", "cluster_size=4096", "cluster_size=2M"}) {
            Path p = dir.resolve("o-" + options.replace('=', '-') + ".qcow2");
            run("qemu-img", "convert", "-f", "raw", "-O", "qcow2", "-o", options, data.toString(), p.toString());
            Path top = dir.resolve("top-" + options.replace('=', '-') + ".qcow2");
            run(
                    "qemu-img",
                    "create",
                    "-q",
                    "-f",
                    "qcow2",
                    "-o",
                    options,
                    "-b",
                    p.getFileName().toString(),
                    "-F",
                    "qcow2",
                    top.toString());
            io(top, "write -P 0x55 3M 70000");
            same(top, size);
        }
    }

    @Test
    void anImageOpenForWritingIsRefusedAndAWriterCannotComeWhileItIsRead() throws Exception {
        Path base = dir.resolve("b.qcow2");
        run("qemu-img", "create", "-q", "-f", "qcow2", base.toString(), "4M");
        Path leaf = dir.resolve("l.qcow2");
        run("qemu-img", "create", "-q", "-f", "qcow2", "-b", "b.qcow2", "-F", "qcow2", leaf.toString());
        Path sock = dir.resolve("qmp.sock");
        Process writer = new ProcessBuilder(
                        "qemu-storage-daemon",
                        "--blockdev",
                        "driver=file,node-name=f,filename=" + leaf,
                        "--blockdev",
                        "driver=qcow2,node-name=q,file=f",
                        "--nbd-server",
                        "addr.type=unix,addr.path=" + sock,
                        "--export",
                        "type=nbd,id=e,node-name=q,writable=on")
                .redirectErrorStream(true)
                .start();
        try {
            for (int i = 0; i < 100 && !Files.exists(sock); i++) Thread.sleep(50);
            assertTrue(Files.exists(sock), "the daemon started");
            Qcow2Chain.Unsupported refused = assertThrows(Qcow2Chain.Unsupported.class, () -> Qcow2Chain.open(leaf));
            assertTrue(refused.getMessage().contains("open for writing"), refused.getMessage());
        } finally {
            writer.destroy();
            writer.waitFor(10, TimeUnit.SECONDS);
        }
        try (Qcow2Chain c = Qcow2Chain.open(leaf)) {
            // while it is read, QEMU may read the chain but not write any file of it
            assertEquals(0, exit("qemu-img", "info", leaf.toString()));
            assertTrue(exit("qemu-io", "-f", "qcow2", "-c", "write 0 4k", leaf.toString()) != 0, "leaf writer refused");
            assertTrue(exit("qemu-img", "commit", "-d", leaf.toString()) != 0, "commit into the base refused");
            assertEquals(3, c.read(0, 3, new byte[8]));
        }
        assertEquals(0, exit("qemu-io", "-f", "qcow2", "-c", "write 0 4k", leaf.toString()), "the locks went with it");
    }

    @Test
    void whatItDoesNotReadIsRefused() throws Exception {
        Path enc = dir.resolve("ext.qcow2");
        run(
                "qemu-img",
                "create",
                "-q",
                "-f",
                "qcow2",
                "-o",
                "data_file=" + dir.resolve("ext.data"),
                enc.toString(),
                "1M");
        assertThrows(Qcow2Chain.Unsupported.class, () -> Qcow2Chain.open(enc));
        Path zstd = dir.resolve("zstd.qcow2");
        if (exit("qemu-img", "create", "-q", "-f", "qcow2", "-o", "compression_type=zstd", zstd.toString(), "1M") == 0)
            assertThrows(Qcow2Chain.Unsupported.class, () -> Qcow2Chain.open(zstd));
        Path l2 = dir.resolve("l2.qcow2");
        run("qemu-img", "create", "-q", "-f", "qcow2", "-o", "extended_l2=on", l2.toString(), "1M");
        assertThrows(Qcow2Chain.Unsupported.class, () -> Qcow2Chain.open(l2));

        Files.createDirectories(dir.resolve("sr"));
        Path outside = dir.resolve("outside.qcow2");
        run("qemu-img", "create", "-q", "-f", "qcow2", outside.toString(), "1M");
        Path leaf = dir.resolve("sr/leaf.qcow2");
        run("qemu-img", "create", "-q", "-f", "qcow2", "-b", "../outside.qcow2", "-F", "qcow2", leaf.toString());
        Qcow2Chain.Unsupported e = assertThrows(Qcow2Chain.Unsupported.class, () -> Qcow2Chain.open(leaf));
        assertTrue(e.getMessage().contains("outside"), e.getMessage());
        Path plain = Files.write(dir.resolve("plain.raw"), new byte[4096]);
        assertThrows(Qcow2Chain.Unsupported.class, () -> Qcow2Chain.open(plain));
    }
}
