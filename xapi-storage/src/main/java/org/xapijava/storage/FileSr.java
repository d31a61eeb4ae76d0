package org.xapijava.storage;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Pattern;
import org.xapijava.model.util.AtomicFiles;

/**
 * The local {@code file} SR type: every VDI is one sparse file {@code <uuid>.raw} directly in the SR
 * directory, and its location is its uuid, as in the SM {@code FileSR} driver. Unlike that driver
 * (which keeps VHD chains and makes raw files only on request) every VDI here is a raw image
 * ({@code sm_config:type = raw}); clones and snapshots are full copies that share extents where the
 * file system can and keep holes everywhere.
 *
 * <p>Crash safety: new content is written under a temporary name ({@code .<uuid>.raw.tmp}), flushed,
 * renamed into place and the directory flushed, so a crash leaves either the old state or the new one
 * plus a temporary file, which the next {@code FileSr} on the directory removes. Only names of the
 * form {@code <uuid>.raw} that are regular files (not symbolic links) are VDIs; any other location is
 * refused, so no call reaches outside the directory.
 *
 * <p>Thread-safe: operations on one VDI are ordered by a read-write lock per location (copies read,
 * resize / delete / overwrite write), held across the file I/O of that VDI only.
 */
public final class FileSr implements SrBackend {
    /** File name suffix of a VDI. */
    public static final String SUFFIX = ".raw";
    /** {@code sm_config} of every VDI this backend makes: the FileSR driver's marker of a raw image. */
    public static final Map<String, String> SM_CONFIG = Map.of("type", "raw");

    private static final String TMP_SUFFIX = ".tmp";
    /** Lower-case uuids only: the locations this backend itself hands out. */
    private static final Pattern UUID_RE =
            Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    /** Lock striping: bounded memory whatever the number of VDIs; collisions only serialise. */
    private static final int STRIPES = 64;

    private final Path dir;
    private final SparseFiles.CopyMethod copyMethod;
    private final ReadWriteLock[] locks = new ReadWriteLock[STRIPES];

    /**
     * An SR on the existing directory {@code dir}; removes temporary files a crash left behind.
     *
     * @throws StorageException {@link SmError#SR_UNAVAILABLE} when {@code dir} is not a directory
     */
    public FileSr(Path dir) {
        this(dir, SparseFiles.CopyMethod.AUTO);
    }

    FileSr(Path dir, SparseFiles.CopyMethod copyMethod) {
        this.copyMethod = copyMethod;
        for (int i = 0; i < STRIPES; i++) locks[i] = new ReentrantReadWriteLock();
        try {
            if (!Files.isDirectory(dir)) throw new StorageException(SmError.SR_UNAVAILABLE, "no directory " + dir);
            this.dir = dir.toRealPath();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(this.dir, ".*" + SUFFIX + TMP_SUFFIX)) {
                for (Path p : ds) Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new StorageException(SmError.SR_UNAVAILABLE, e.toString(), e);
        }
    }

    /** The SR directory (its real path). */
    public Path directory() {
        return dir;
    }

    @Override
    public VdiInfo create(VdiInfo request) {
        String type = request.smConfig().get("type");
        if (type != null && !type.equals("raw") && !type.equals("vhd")) {
            throw new StorageException(SmError.VDI_TYPE, "Invalid VDI type " + type);
        }
        if (request.virtualSize() < 0)
            throw new StorageException(SmError.VDI_SIZE, "negative size " + request.virtualSize());
        String uuid = request.uuid().isEmpty() ? UUID.randomUUID().toString() : request.uuid();
        if (!UUID_RE.matcher(uuid).matches()) throw new StorageException(SmError.INVALID_ARG, "bad uuid " + uuid);
        Path file = file(uuid);
        Lock l = lock(uuid).writeLock();
        l.lock();
        try {
            if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) throw new StorageException(SmError.VDI_EXISTS, null);
            Path tmp = tmp(uuid);
            try {
                setLengthDurably(createNew(tmp), request.virtualSize());
                publish(tmp, file);
            } catch (IOException e) {
                deleteQuietly(tmp);
                throw failure(SmError.VDI_CREATE, e);
            }
        } finally {
            l.unlock();
        }
        VdiInfo made = stat(uuid);
        return new VdiInfo(
                uuid,
                uuid,
                request.nameLabel(),
                request.nameDescription(),
                request.type(),
                made.virtualSize(),
                made.physicalUtilisation(),
                request.readOnly(),
                request.sharable(),
                SM_CONFIG);
    }

    @Override
    public void destroy(String location) {
        Path file = file(location);
        Lock l = lock(location).writeLock();
        l.lock();
        try {
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) return;
            Files.delete(file);
            forceDirectory();
        } catch (IOException e) {
            throw new StorageException(
                    SmError.VDI_DELETE, "Failed to unlink file during deleting VDI: " + e.getMessage(), e);
        } finally {
            l.unlock();
        }
    }

    @Override
    public VdiInfo clone(String location) {
        return copyToNew(location, SmError.VDI_CLONE);
    }

    @Override
    public VdiInfo snapshot(String location) {
        return copyToNew(location, SmError.VDI_SNAPSHOT);
    }

    private VdiInfo copyToNew(String location, SmError onFailure) {
        String uuid = UUID.randomUUID().toString();
        Path tmp = tmp(uuid);
        Lock l = lock(location).readLock();
        l.lock();
        try {
            SparseFiles.copy(existing(location), tmp, copyMethod);
            publish(tmp, file(uuid));
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw failure(onFailure, e);
        } finally {
            l.unlock();
        }
        return stat(uuid);
    }

    @Override
    public VdiInfo resize(String location, long newSize) {
        Lock l = lock(location).writeLock();
        l.lock();
        try (RandomAccessFile raf = new RandomAccessFile(existing(location).toFile(), "rw")) {
            long size = raf.length();
            if (newSize < size) {
                throw new StorageException(SmError.VDI_SIZE, "shrinking not allowed");
            }
            if (newSize > size) {
                raf.setLength(newSize);
                raf.getChannel().force(true);
            }
        } catch (IOException e) {
            throw failure(SmError.VDI_RESIZE, e);
        } finally {
            l.unlock();
        }
        return stat(location);
    }

    @Override
    public void copyInto(String location, Path source) {
        Path tmp = dir.resolve("." + location + "." + UUID.randomUUID() + SUFFIX + TMP_SUFFIX);
        Lock l = lock(location).writeLock();
        l.lock();
        try {
            Path file = existing(location);
            long size = Files.size(file);
            SparseFiles.copy(source, tmp, copyMethod);
            if (Files.size(tmp) < size) setLengthDurably(tmp, size);
            publish(tmp, file);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw failure(SmError.VDI_CREATE, e);
        } finally {
            l.unlock();
        }
    }

    @Override
    public Path attach(String location, boolean writable) {
        return existing(location);
    }

    @Override
    public void detach(String location) {
        file(location);
    }

    @Override
    public VdiInfo stat(String location) {
        Path file = existing(location);
        try {
            long size = Files.size(file);
            long used = SparseFiles.allocatedBytes(file);
            return info(location, size, used);
        } catch (IOException e) {
            throw new StorageException(
                    SmError.VDI_UNAVAILABLE, "VDI " + location + " unavailable: " + e.getMessage(), e);
        }
    }

    @Override
    public List<VdiInfo> scan() {
        List<String> uuids = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                String uuid = name.substring(0, name.length() - SUFFIX.length());
                if (UUID_RE.matcher(uuid).matches() && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    uuids.add(uuid);
                    files.add(p);
                }
            }
            List<Long> used = SparseFiles.allocatedBytes(files);
            List<VdiInfo> out = new ArrayList<>(uuids.size());
            for (int i = 0; i < uuids.size(); i++) out.add(info(uuids.get(i), Files.size(files.get(i)), used.get(i)));
            return out;
        } catch (IOException e) {
            throw new StorageException(SmError.SR_UNAVAILABLE, e.toString(), e);
        }
    }

    @Override
    public SrStat statSr() {
        try {
            FileStore fs = Files.getFileStore(dir);
            long total = fs.getTotalSpace();
            long used = Math.max(0, total - fs.getUnallocatedSpace());
            long virtual = 0;
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
                for (Path p : ds) {
                    String name = p.getFileName().toString();
                    if (UUID_RE.matcher(name.substring(0, name.length() - SUFFIX.length()))
                                    .matches()
                            && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                        virtual += Files.size(p);
                    }
                }
            }
            return new SrStat(total, used, virtual);
        } catch (IOException e) {
            throw new StorageException(SmError.SR_UNAVAILABLE, e.toString(), e);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static VdiInfo info(String uuid, long size, long used) {
        return new VdiInfo(uuid, uuid, "", "", "user", size, used, false, false, SM_CONFIG);
    }

    /** The file of a location; refuses anything but a uuid (so nothing outside the directory). */
    private Path file(String location) {
        if (location == null || !UUID_RE.matcher(location).matches()) {
            throw new StorageException(SmError.VDI_UNAVAILABLE, "invalid location " + location);
        }
        Path p = dir.resolve(location + SUFFIX);
        if (!p.getParent().equals(dir))
            throw new StorageException(SmError.VDI_UNAVAILABLE, "invalid location " + location);
        return p;
    }

    /** The file of an existing VDI (a regular file, not a link), or VDI_UNAVAILABLE as FileSR says it. */
    private Path existing(String location) {
        Path p = file(location);
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            throw new StorageException(SmError.VDI_UNAVAILABLE, "VDI " + location + " not found");
        }
        return p;
    }

    private Path tmp(String uuid) {
        return dir.resolve("." + uuid + SUFFIX + TMP_SUFFIX);
    }

    /** Sets the (sparse) length of {@code p} and flushes it. */
    private static void setLengthDurably(Path p, long length) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(length);
            raf.getChannel().force(true);
        }
    }

    private static Path createNew(Path p) throws IOException {
        return Files.createFile(p);
    }

    /** Renames a flushed temporary file into place, then flushes the directory. */
    private static void publish(Path tmp, Path file) throws IOException {
        try {
            AtomicFiles.publish(tmp, file);
        } catch (AtomicFiles.DirectoryNotDurableException e) {
            // some file systems refuse fsync on a directory; their renames are then as durable as they get
        }
    }

    /** Flushes the directory after an unlink, tolerating file systems that refuse (as {@link #publish}). */
    private void forceDirectory() {
        try {
            AtomicFiles.forceDirectory(dir);
        } catch (AtomicFiles.DirectoryNotDurableException e) {
            // as in publish
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // the next FileSr on this directory removes it
        }
    }

    private ReadWriteLock lock(String location) {
        return locks[Math.floorMod(location.hashCode(), STRIPES)];
    }

    private static StorageException failure(SmError kind, IOException e) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("No space left on device")) return new StorageException(SmError.SR_NO_SPACE, null, e);
        return new StorageException(kind, e.toString(), e);
    }
}
