package org.xapijava.db.persist;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Crash-safe replacement of a file: the new content goes to a temporary file in the same directory, is
 * forced to disk, renamed over the target, and then the directory is forced so the rename itself is
 * durable. A crash at any point leaves either the old or the new file under the target name, never a
 * mixture; at worst a stray temporary file remains (named {@code <target>.<random>.tmp}, removed by the
 * next write of the same target).
 *
 * <p>Not safe for two concurrent writers of the same target: callers serialize writes per path.
 */
final class AtomicFiles {
    /** Temporary files get {@code <name>.<digits>.tmp}; this suffix marks them for clean-up. */
    static final String TEMP_SUFFIX = ".tmp";

    private AtomicFiles() {}

    @FunctionalInterface
    interface Content {
        void writeTo(FileChannel channel) throws IOException;
    }

    /** Replaces {@code target} with what {@code content} writes, durably and atomically. */
    static void replace(Path target, Content content) throws IOException {
        Path dir = directoryOf(target);
        deleteStaleTemps(target);
        Path temp = createTemp(dir, target.getFileName().toString());
        boolean done = false;
        try {
            try (FileChannel ch =
                    FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                content.writeTo(ch);
                ch.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot atomically rename " + temp + " to " + target, e);
            }
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(temp);
            }
        }
        forceDirectory(dir);
    }

    static Path directoryOf(Path target) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null) {
            throw new IllegalArgumentException("no directory for " + target);
        }
        return dir;
    }

    private static Path createTemp(Path dir, String name) throws IOException {
        try {
            // 0600 as Xapi's atomic_write_to_file: the database holds secrets.
            return Files.createTempFile(
                    dir,
                    name + ".",
                    TEMP_SUFFIX,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            return Files.createTempFile(dir, name + ".", TEMP_SUFFIX);
        }
    }

    /** Removes temporary files a crashed earlier write of {@code target} left behind. */
    static void deleteStaleTemps(Path target) throws IOException {
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

    /** Makes a rename or creation in {@code dir} durable (Linux: fsync on the directory). */
    static void forceDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, Set.of(StandardOpenOption.READ))) {
            ch.force(true);
        } catch (IOException e) {
            // Some platforms (not Linux) refuse to open or sync a directory; there nothing more can be done.
            if (Files.isDirectory(dir) && System.getProperty("os.name", "").startsWith("Windows")) {
                return;
            }
            throw e;
        }
    }
}
