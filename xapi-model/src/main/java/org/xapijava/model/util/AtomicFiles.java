package org.xapijava.model.util;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Crash-safe writing of whole files, the one place that knows the sequence: the new content goes to a
 * temporary file in the target's directory, is forced to disk, renamed over the target (or, for {@link
 * #createNew}, hard-linked to it), and then the directory is forced so the rename itself is durable. A
 * crash at any point leaves either the old or the new file under the target name, never a mixture; at
 * worst a stray temporary file remains, named {@code <target>.<digits>.tmp} and removed by the next
 * {@link #replace} of the same target (or by {@link #deleteStaleTemps}).
 *
 * <p>Files are written with an explicit mode, by default {@link #OWNER_READ_WRITE} (0600, as Xapi's
 * {@code atomic_write_to_file}: most of what we persist holds secrets). On a file system without POSIX
 * permissions the mode is not applied.
 *
 * <p>When the file system refuses to force the directory, the content is already in place and the call
 * fails with {@link DirectoryNotDurableException}; callers that accept a rename which might not survive
 * a power cut catch that one type.
 *
 * <p>Stateless, but not safe for two concurrent writers of the same target: callers serialize writes per
 * path. Writers of different targets, in the same directory or not, do not interfere.
 */
public final class AtomicFiles {
    /** Temporary files are {@code <target name>.<digits>.tmp}; this suffix marks them for clean-up. */
    public static final String TEMP_SUFFIX = ".tmp";

    /** 0600: the default mode. */
    public static final Set<PosixFilePermission> OWNER_READ_WRITE = PosixFilePermissions.fromString("rw-------");

    /** 0400, e.g. Xapi's server certificate files when no group is configured. */
    public static final Set<PosixFilePermission> OWNER_READ_ONLY = PosixFilePermissions.fromString("r--------");

    private AtomicFiles() {}

    /** Writes the new content of a file; the channel is positioned at 0 of an empty file. */
    @FunctionalInterface
    public interface Content {
        void writeTo(FileChannel channel) throws IOException;
    }

    /**
     * The target holds its new content, but forcing its directory failed, so the rename (or link) may
     * not survive a crash. Thrown after the fact: the caller decides whether that is acceptable.
     */
    public static final class DirectoryNotDurableException extends IOException {
        private static final long serialVersionUID = 1L;

        DirectoryNotDurableException(Path dir, IOException cause) {
            super("cannot force directory " + dir + ": " + cause.getMessage(), cause);
        }
    }

    /** Replaces {@code target} with {@code bytes}, mode 0600; see {@link #replace(Path, Set, Content)}. */
    public static void write(Path target, byte[] bytes) throws IOException {
        replace(target, OWNER_READ_WRITE, ch -> writeFully(ch, bytes));
    }

    /**
     * {@link #write(Path, byte[])} for a caller that removed the stale temporary files of its directory itself when it
     * opened it, and so skips looking for them on every write: that look reads the whole directory, which costs in
     * proportion to the files there when one directory holds many targets written often (a simulated host's VM
     * state files).
     */
    public static void writeInCleanDirectory(Path target, byte[] bytes) throws IOException {
        replaceKeepingTemps(target, OWNER_READ_WRITE, ch -> writeFully(ch, bytes));
    }

    /** Replaces {@code target} with {@code bytes}, with the given mode; see {@link #replace(Path, Set, Content)}. */
    public static void write(Path target, byte[] bytes, Set<PosixFilePermission> mode) throws IOException {
        replace(target, mode, ch -> writeFully(ch, bytes));
    }

    /** Replaces {@code target} with what {@code content} writes, mode 0600; see {@link #replace(Path, Set, Content)}. */
    public static void replace(Path target, Content content) throws IOException {
        replace(target, OWNER_READ_WRITE, content);
    }

    /**
     * Replaces {@code target} with what {@code content} writes, durably and atomically, leaving it with
     * {@code mode}: removes stale temporary files of {@code target}, writes a new one, forces it, renames
     * it over {@code target}, forces the directory. The directory must exist.
     *
     * @throws DirectoryNotDurableException when only the final directory force failed (the new content
     *     is in place)
     * @throws IOException when anything before the rename failed; {@code target} is then untouched and no
     *     temporary file is left
     */
    public static void replace(Path target, Set<PosixFilePermission> mode, Content content) throws IOException {
        deleteStaleTemps(target);
        replaceKeepingTemps(target, mode, content);
    }

    /** {@link #replace} without the look for stale temporary files. */
    private static void replaceKeepingTemps(Path target, Set<PosixFilePermission> mode, Content content)
            throws IOException {
        Path temp = writeTemp(target, mode, content);
        try {
            rename(temp, target);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        forceDirectory(directoryOf(target));
    }

    /**
     * Creates {@code target} with what {@code content} writes, unless it exists: like {@link #replace},
     * but the temporary file is hard-linked to the target name, which fails when the name is taken, so
     * of concurrent creators exactly one wins and readers never see a partial file. Stale temporary
     * files are left alone (a concurrent creator may own them).
     *
     * @return false, with nothing changed, when {@code target} already existed
     * @throws DirectoryNotDurableException when only the final directory force failed (the file exists)
     */
    public static boolean createNew(Path target, Set<PosixFilePermission> mode, Content content) throws IOException {
        Path temp = writeTemp(target, mode, content);
        try {
            Files.createLink(target, temp);
        } catch (FileAlreadyExistsException e) {
            return false;
        } finally {
            Files.deleteIfExists(temp);
        }
        forceDirectory(directoryOf(target));
        return true;
    }

    /**
     * The last two steps alone, for content written by other means (a sparse copy, say): renames {@code
     * temp}, already complete and forced by the caller, over {@code target} in the same directory, then
     * forces the directory. On failure before the rename {@code temp} is left to the caller.
     *
     * @throws DirectoryNotDurableException when only the directory force failed (the rename happened)
     */
    public static void publish(Path temp, Path target) throws IOException {
        rename(temp, target);
        forceDirectory(directoryOf(target));
    }

    private static void rename(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            // A rename within one directory is atomic on every POSIX file system; without that there is
            // no crash-safe replacement, so refuse rather than copy.
            throw new IOException("cannot atomically rename " + temp + " to " + target, e);
        }
    }

    /** A new temporary file beside {@code target} holding {@code content}, with {@code mode}, forced. */
    private static Path writeTemp(Path target, Set<PosixFilePermission> mode, Content content) throws IOException {
        Path dir = directoryOf(target);
        boolean posix;
        Path temp;
        try {
            // Created 0600 whatever the final mode: it must be writable, and never readable by others.
            temp = Files.createTempFile(
                    dir,
                    target.getFileName() + ".",
                    TEMP_SUFFIX,
                    PosixFilePermissions.asFileAttribute(OWNER_READ_WRITE));
            posix = true;
        } catch (UnsupportedOperationException e) {
            temp = Files.createTempFile(dir, target.getFileName() + ".", TEMP_SUFFIX);
            posix = false;
        }
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                content.writeTo(ch);
                if (posix && !mode.equals(OWNER_READ_WRITE)) {
                    Files.setPosixFilePermissions(temp, mode);
                }
                ch.force(true);
            }
            done = true;
            return temp;
        } finally {
            if (!done) {
                Files.deleteIfExists(temp);
            }
        }
    }

    /** Writes all of {@code bytes} at the channel's position. */
    public static void writeFully(FileChannel ch, byte[] bytes) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /** The absolute directory {@code target} lives in. */
    public static Path directoryOf(Path target) {
        Path dir = target.toAbsolutePath().getParent();
        if (dir == null) {
            throw new IllegalArgumentException("no directory for " + target);
        }
        return dir;
    }

    /** Removes temporary files that a crashed earlier write of {@code target} left behind. */
    public static void deleteStaleTemps(Path target) throws IOException {
        Path dir = directoryOf(target);
        String prefix = target.getFileName().toString() + ".";
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, p -> {
            String n = p.getFileName().toString();
            return n.startsWith(prefix)
                    && n.endsWith(TEMP_SUFFIX)
                    && isDigits(n, prefix.length(), n.length() - TEMP_SUFFIX.length());
        })) {
            for (Path p : ds) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static boolean isDigits(String s, int from, int to) {
        if (from >= to) {
            return false;
        }
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    /**
     * Makes a rename, creation or deletion in {@code dir} durable (Linux: fsync of the directory).
     *
     * @throws DirectoryNotDurableException when the directory cannot be opened or forced
     */
    public static void forceDirectory(Path dir) throws DirectoryNotDurableException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Windows cannot open a directory as a file; there nothing more can be done.
            if (Files.isDirectory(dir) && System.getProperty("os.name", "").startsWith("Windows")) {
                return;
            }
            throw new DirectoryNotDurableException(dir, e);
        }
    }
}
