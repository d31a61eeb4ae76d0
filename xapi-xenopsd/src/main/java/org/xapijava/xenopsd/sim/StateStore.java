package org.xapijava.xenopsd.sim;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.xapijava.model.util.AtomicFiles;

/**
 * The simulated hypervisor's state on disk: one file per VM, {@code <dir>/vms/<vm-id>.json}, holding the VM's
 * metadata, its domain (if any) and its devices' active flags (see {@link Simulator} for the format). Each write
 * is an {@link AtomicFiles#writeInCleanDirectory} (temporary file, forced, renamed over the old one, directory
 * forced), so a crash leaves either the old or the new content; the temporary files a crash leaves are removed by
 * {@link #loadAll}, which the owner calls once before any write. Writes of one VM carry a version; an older version arriving after a newer one was written
 * is dropped, so files never go back in time when writers race.
 *
 * <p>Thread-safe: one lock per VM file serialises its writes; different VMs are written in parallel.
 */
final class StateStore {
    private static final String SUFFIX = ".json";

    private final Path dir;
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    // each entry is guarded by its VM's lock; the map itself is shared by all VMs' writers, so concurrent
    private final Map<String, Long> written = new ConcurrentHashMap<>();

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
                // loadAll, at start, removed what a crashed write left: no look for it on every write
                AtomicFiles.writeInCleanDirectory(target, content);
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
