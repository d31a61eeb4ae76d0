package org.xapijava.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Copying disk images without filling their holes, and measuring what they really occupy.
 * Stateless and thread-safe.
 *
 * <p>The JDK can neither clone extents (reflink) nor find holes ({@code SEEK_DATA}) nor read
 * {@code st_blocks}, so where GNU coreutils are present they do those: {@code cp --reflink=auto
 * --sparse=always} (a copy-on-write clone where the file system can, else a copy that skips the
 * source's holes) and {@code stat}. Without them a pure Java copy leaves every all-zero block as a
 * hole, and the apparent size stands for the allocation.
 */
public final class SparseFiles {
    /** How copies are made; {@link #AUTO} in production, the others for tests. */
    public enum CopyMethod {
        /** {@code cp --reflink=auto --sparse=always} when coreutils are installed, else {@link #JAVA}. */
        AUTO,
        /** Block copy in Java that writes only blocks holding a non-zero byte. */
        JAVA
    }

    /** Block of the Java copy: large enough for throughput, small enough to find holes of 1 MiB. */
    static final int BLOCK = 1 << 20;
    /** A {@code stat} of a few paths answers in milliseconds; longer means something is wrong. */
    private static final long STAT_TIMEOUT_SECONDS = 30;

    private static final byte[] ZEROES = new byte[BLOCK];
    private static final Path CP = firstExecutable("/usr/bin/cp", "/bin/cp");
    private static final Path STAT = firstExecutable("/usr/bin/stat", "/bin/stat");

    private SparseFiles() {}

    private static Path firstExecutable(String... candidates) {
        for (String c : candidates) {
            Path p = Path.of(c);
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    /**
     * Copies {@code src} to {@code dst}, which must not exist, keeping holes (and sharing extents when
     * the file system can clone); {@code dst} is flushed to stable storage before this returns. On
     * failure {@code dst} may be left partially written: callers copy to a temporary name.
     */
    public static void copy(Path src, Path dst, CopyMethod method) throws IOException {
        if (Files.exists(dst, LinkOption.NOFOLLOW_LINKS)) throw new FileAlreadyExistsException(dst.toString());
        if (method == CopyMethod.AUTO && CP != null && Files.isRegularFile(src) && cpCopy(src, dst)) {
            fsync(dst);
            return;
        }
        javaCopy(src, dst);
    }

    /** {@code cp --reflink=auto --sparse=always}; false (and no {@code dst}) when cp failed. */
    private static boolean cpCopy(Path src, Path dst) throws IOException {
        Process p = new ProcessBuilder(
                        CP.toString(), "--reflink=auto", "--sparse=always", "--", src.toString(), dst.toString())
                .redirectErrorStream(true)
                .start();
        byte[] out;
        try (InputStream in = p.getInputStream()) {
            out = in.readAllBytes();
        }
        int rc;
        try {
            rc = p.waitFor();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while copying " + src, e);
        }
        if (rc == 0) return true;
        Files.deleteIfExists(dst);
        String msg = new String(out, StandardCharsets.UTF_8).strip();
        if (msg.contains("No space left on device")) throw new IOException("No space left on device");
        return false;
    }

    /** Block copy writing only the blocks that hold data; the length is set at the end. */
    static void javaCopy(Path src, Path dst) throws IOException {
        Files.createFile(dst);
        try (FileChannel in = FileChannel.open(src, StandardOpenOption.READ);
                RandomAccessFile raf = new RandomAccessFile(dst.toFile(), "rw")) {
            FileChannel out = raf.getChannel();
            ByteBuffer buf = ByteBuffer.allocate(BLOCK);
            byte[] a = buf.array();
            long pos = 0;
            while (true) {
                buf.clear();
                int n = readFully(in, buf, pos);
                if (n <= 0) break;
                if (Arrays.mismatch(a, 0, n, ZEROES, 0, n) >= 0) {
                    buf.flip();
                    long p = pos;
                    while (buf.hasRemaining()) p += out.write(buf, p);
                }
                pos += n;
                if (n < BLOCK) break;
            }
            // the length without writing: trailing zero blocks stay a hole
            raf.setLength(Math.max(pos, in.size()));
            out.force(true);
        }
    }

    private static int readFully(FileChannel in, ByteBuffer buf, long pos) throws IOException {
        int total = 0;
        while (buf.hasRemaining()) {
            int r = in.read(buf, pos + total);
            if (r < 0) break;
            total += r;
        }
        return total;
    }

    /** Flushes a file's data and metadata to stable storage. */
    public static void fsync(Path file) throws IOException {
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
            c.force(true);
        }
    }

    /** Bytes the file system really allocated for {@code file}; see {@link #allocatedBytes(List)}. */
    public static long allocatedBytes(Path file) throws IOException {
        return allocatedBytes(List.of(file)).get(0);
    }

    /**
     * Bytes the file system really allocated for each file ({@code st_blocks} times the block unit),
     * in order, measured with one {@code stat} run; the apparent size where {@code stat} is missing.
     */
    public static List<Long> allocatedBytes(List<Path> files) throws IOException {
        List<Long> out = new ArrayList<>(files.size());
        if (files.isEmpty()) return out;
        if (STAT != null) {
            List<String> cmd = new ArrayList<>(List.of(STAT.toString(), "--printf=%b %B\\n", "--"));
            for (Path f : files) cmd.add(f.toString());
            Process p = new ProcessBuilder(cmd)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            String text;
            try (InputStream in = p.getInputStream()) {
                text = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            }
            try {
                if (!p.waitFor(STAT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IOException("stat did not answer");
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            String[] lines = text.isEmpty() ? new String[0] : text.split("\n");
            if (p.exitValue() == 0 && lines.length == files.size()) {
                for (String l : lines) {
                    String[] f = l.trim().split(" ");
                    out.add(Long.parseLong(f[0]) * Long.parseLong(f[1]));
                }
                return out;
            }
            // a file vanished meanwhile: fall through and report sizes, failing like stat would
        }
        for (Path f : files) out.add(Files.size(f));
        return out;
    }
}
