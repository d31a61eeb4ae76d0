package org.xapijava.server.blob;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.model.util.AtomicFiles;

/**
 * The host's blob directory (Xapi's {@code xapi_blob_location}, {@code /var/lib/xcp/blobs}): one file per blob, named
 * by the blob's uuid, mode 0600 in a 0700 directory. A file is written whole or not at all (a temporary file,
 * synced, then renamed over the old one), so a reader sees the old data or the new, never a part. Blobs never PUT
 * have no file. Thread-safe (the file system serialises the renames; the last complete PUT wins).
 */
public final class BlobStore {
    private static final Logger LOG = LoggerFactory.getLogger(BlobStore.class);
    /** What a blob's file name may be: a uuid as the database keeps them (nothing that could leave the directory). */
    private static final Pattern UUID_NAME = Pattern.compile("[0-9a-fA-F-]{1,64}");
    /** Copy buffer: large enough for disk-speed copies, small enough for many concurrent uploads. */
    private static final int BUFFER = 64 * 1024;
    /** In the name of an upload being written ({@code .<uuid>.part-<random>}), never a blob's. */
    private static final String PART = ".part-";

    private final Path dir;
    private final long maxSize;

    private BlobStore(Path dir, long maxSize) {
        this.dir = dir;
        this.maxSize = maxSize;
    }

    /**
     * The store in {@code dir}, created (0700) when missing, as Xapi's {@code enable_binary_storage} does.
     *
     * @param maxSize the largest blob a PUT may store, in bytes
     */
    public static BlobStore open(Path dir, long maxSize) throws IOException {
        if (maxSize < 0) throw new IllegalArgumentException("blob-max-size must not be negative: " + maxSize);
        Path d = dir.toAbsolutePath();
        if (!Files.isDirectory(d)) {
            Files.createDirectories(d.getParent());
            try {
                if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                    Files.createDirectory(
                            d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                } else {
                    Files.createDirectory(d);
                }
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // created meanwhile: fine
            }
        }
        // uploads a crash cut short (nothing else writes here before the store is open)
        try (java.nio.file.DirectoryStream<Path> parts = Files.newDirectoryStream(d, ".*" + PART + "*")) {
            for (Path p : parts) Files.deleteIfExists(p);
        }
        return new BlobStore(d, maxSize);
    }

    /** The directory. */
    public Path dir() {
        return dir;
    }

    /** The largest blob a PUT may store, in bytes. */
    public long maxSize() {
        return maxSize;
    }

    /** Whether the directory is there (Xapi answers {@code Local storage missing} otherwise). */
    public boolean present() {
        return Files.isDirectory(dir);
    }

    /** The file of the blob with {@code uuid}, or null when the uuid cannot name a file here. */
    public Path file(String uuid) {
        return UUID_NAME.matcher(uuid).matches() ? dir.resolve(uuid) : null;
    }

    /**
     * Stores exactly {@code length} bytes of {@code in} as the data of blob {@code uuid}, replacing what was there
     * once all arrived and reached the disk. Returns the size stored.
     *
     * @throws EOFException when {@code in} ends early (nothing changed)
     * @throws IOException  on a write failure (nothing changed)
     */
    public long store(String uuid, InputStream in, long length) throws IOException {
        Path target = file(uuid);
        if (target == null) throw new IOException("not a blob uuid: " + uuid);
        Path tmp = dir.resolve("." + uuid + PART + UUID.randomUUID());
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(
                    tmp,
                    java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(AtomicFiles.OWNER_READ_WRITE))) {
                byte[] buf = new byte[(int) Math.min(BUFFER, Math.max(1, length))];
                long left = length;
                while (left > 0) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                    if (n < 0) throw new EOFException("blob data ended after " + (length - left) + " of " + length);
                    ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                    while (b.hasRemaining()) ch.write(b);
                    left -= n;
                }
                ch.force(true); // Xapi opens the file O_SYNC
            }
            try {
                AtomicFiles.publish(tmp, target); // the rename, then the directory forced
            } catch (AtomicFiles.DirectoryNotDurableException e) {
                LOG.debug("blob {}: {}", uuid, e.getMessage()); // the new data is in place all the same
            }
            done = true;
            return length;
        } finally {
            if (!done) Files.deleteIfExists(tmp);
        }
    }

    /** One blob's data file: its name (the blob's uuid), size in bytes and modification time (ms since the epoch). */
    public record Entry(String name, long size, long modified) {}

    /** Every blob's data file here (uploads in progress left out), in name order. */
    public java.util.List<Entry> list() throws IOException {
        java.util.List<Entry> out = new java.util.ArrayList<>();
        try (java.nio.file.DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (!UUID_NAME.matcher(n).matches()) continue;
                java.nio.file.attribute.BasicFileAttributes a;
                try {
                    a = Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class);
                } catch (java.nio.file.NoSuchFileException gone) {
                    continue; // removed meanwhile
                }
                if (a.isRegularFile())
                    out.add(new Entry(n, a.size(), a.lastModifiedTime().toMillis()));
            }
        }
        out.sort(java.util.Comparator.comparing(Entry::name));
        return out;
    }

    /**
     * The data of blob {@code uuid}, or null when it has none; at most {@link #maxSize()} bytes (a larger file, put
     * here by other means, is refused).
     */
    public byte[] read(String uuid) throws IOException {
        Path f = file(uuid);
        if (f == null) return null;
        try (java.io.InputStream in = Files.newInputStream(f)) {
            byte[] data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxSize + 1));
            if (data.length > maxSize) throw new IOException("blob " + uuid + " is larger than " + maxSize + " bytes");
            return data;
        } catch (java.nio.file.NoSuchFileException e) {
            return null;
        }
    }

    /**
     * Makes the data of blob {@code uuid} exactly {@code data}, modified at {@code modified} (ms since the epoch), as
     * a copy of another host's (whole or not at all, as {@link #store}).
     */
    public void mirror(String uuid, byte[] data, long modified) throws IOException {
        store(uuid, new java.io.ByteArrayInputStream(data), data.length);
        Files.setLastModifiedTime(file(uuid), java.nio.file.attribute.FileTime.fromMillis(modified));
    }

    /** Removes the data of blob {@code uuid}, if any (Xapi's {@code unlink_safe}: a failure is logged, not raised). */
    public void remove(String uuid) {
        Path f = file(uuid);
        if (f == null) return;
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            LOG.warn("blob {}: data file not removed: {}", uuid, e.toString());
        }
    }
}
