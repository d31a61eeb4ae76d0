package org.xapijava.xenopsd.sim;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The simulated hypervisor's state on disk: one file per VM, {@code <dir>/vms/<vm-id>.json}, holding the VM's
 * metadata, its domain (if any) and its devices' active flags (see {@link Simulator} for the format). Each write
 * goes to a temporary file that is forced to disk and renamed over the old one, so a crash leaves either the old
 * or the new content. Writes of one VM carry a version; an older version arriving after a newer one was written
 * is dropped, so files never go back in time when writers race.
 *
 * <p>Thread-safe: one lock per VM file serialises its writes; different VMs are written in parallel.
 */
final class StateStore {
    private static final String SUFFIX = ".json";

    private final Path dir;
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final Map<String, Long> written = new HashMap<>(); // guarded by the VM's lock

    StateStore(Path stateDir) throws IOException {
        this.dir = stateDir.resolve("vms");
        Files.createDirectories(dir);
    }

    Path dir() {
        return dir;
    }

    /** Every stored VM file's content (leftover temporary files are removed). */
    List<byte[]> loadAll() throws IOException {
        List<byte[]> r = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (n.endsWith(".tmp")) {
                    Files.deleteIfExists(p);
                } else if (n.endsWith(SUFFIX)) {
                    r.add(Files.readAllBytes(p));
                }
            }
        }
        return r;
    }

    /** Writes (or with {@code content == null} deletes) the VM's file, unless a newer version was written. */
    void put(String vmId, long version, byte[] content) throws IOException {
        ReentrantLock l = locks.computeIfAbsent(vmId, k -> new ReentrantLock());
        l.lock();
        try {
            Long w = written.get(vmId);
            if (w != null && w >= version) return;
            Path target = dir.resolve(fileName(vmId));
            if (content == null) {
                Files.deleteIfExists(target);
            } else {
                Path tmp = dir.resolve(fileName(vmId) + ".tmp");
                try (FileChannel ch = FileChannel.open(
                        tmp,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
                    ByteBuffer b = ByteBuffer.wrap(content);
                    while (b.hasRemaining()) ch.write(b);
                    ch.force(true);
                }
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            written.put(vmId, version);
        } finally {
            l.unlock();
        }
    }

    /** A file name for any id: characters outside {@code [A-Za-z0-9._-]} (and a leading dot) as {@code %XX}. */
    static String fileName(String vmId) {
        StringBuilder b = new StringBuilder();
        byte[] bytes = vmId.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            int c = bytes[i] & 0xff;
            boolean plain = (c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || c == '-'
                    || c == '_'
                    || (c == '.' && i > 0);
            if (plain) b.append((char) c);
            else b.append('%').append(String.format("%02X", c));
        }
        return b + SUFFIX;
    }
}
