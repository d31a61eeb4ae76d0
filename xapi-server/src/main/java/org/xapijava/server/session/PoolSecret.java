package org.xapijava.server.session;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.util.AtomicFiles;

/**
 * The pool secret (Xapi's {@code /etc/xensource/ptoken}), read at start, created at first start, and its rotation
 * state on this host (Xapi's {@code Xapi_globs.pool_secrets} and {@code xapi_psr.ml}'s host half).
 *
 * <p>A host holds one secret, or two while a rotation runs: it accepts both from its peers and sends the first. The
 * three steps a rotation asks of every host are {@link #acceptNew}, {@link #sendNew} and {@link #cleanup}; each may be
 * asked again (a rotation resumed after a failure) and then finds the work done. While two are held, both are kept
 * on disk ({@code ptoken.old}, {@code ptoken.new} in the rotation directory) and the file {@code ptoken} holds the one
 * sent, so that a host restarted mid-rotation comes back holding the same two in the same order. Thread-safe.
 */
public final class PoolSecret {
    private static final Logger LOG = LoggerFactory.getLogger(PoolSecret.class);

    private final Path file;
    private final Path oldBackup;
    private final Path newBackup;
    /** The secrets accepted, the first the one sent (one or two). */
    private volatile List<String> secrets;
    /** The backups of an in-memory secret (no rotation directory): old, then new; null when none. */
    private List<String> memoryBackups;

    /** An in-memory secret (tests): rotation steps keep no files. */
    public PoolSecret(String secret) {
        this(null, null, List.of(secret));
    }

    private PoolSecret(Path file, Path rotationDir, List<String> secrets) {
        this.file = file;
        this.oldBackup = rotationDir == null ? null : rotationDir.resolve("ptoken.old");
        this.newBackup = rotationDir == null ? null : rotationDir.resolve("ptoken.new");
        this.secrets = secrets;
    }

    /** The secret at {@code file}, created when absent; no rotation state. */
    public static PoolSecret loadOrCreate(Path file) throws IOException {
        return loadOrCreate(file, null);
    }

    /**
     * The secret at {@code file} (created when absent), and the two secrets of a rotation interrupted on this host
     * when {@code rotationDir} holds both backups (Xapi's {@code load_psr_pool_secrets}).
     *
     * @throws IOException when the file is empty or only one of the backups exists
     */
    public static PoolSecret loadOrCreate(Path file, Path rotationDir) throws IOException {
        String current;
        if (Files.exists(file)) {
            current = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (current.isEmpty()) throw new IOException(file + ": empty pool secret");
        } else {
            current = generate();
            write(file, current);
        }
        PoolSecret s = new PoolSecret(file, rotationDir, List.of(current));
        if (rotationDir != null) {
            boolean old = Files.exists(s.oldBackup);
            boolean fresh = Files.exists(s.newBackup);
            if (old != fresh)
                throw new IOException("inconsistent pool secret backup files: " + s.oldBackup + ", " + s.newBackup);
            if (old) {
                String o = read(s.oldBackup);
                String n = read(s.newBackup);
                s.secrets = same(current, o) ? List.of(o, n) : List.of(n, o);
                LOG.info("loaded the pool secrets of an unfinished rotation");
            }
        }
        return s;
    }

    /** A new secret, of Xapi's shape (three uuids joined by '/'; {@link UUID#randomUUID} draws from a secure RNG). */
    public static String generate() {
        return UUID.randomUUID() + "/" + UUID.randomUUID() + "/" + UUID.randomUUID();
    }

    /** The secret this host sends. */
    public String value() {
        return secrets.get(0);
    }

    /** Whether a peer's secret is one this host accepts (constant time per secret held). */
    public boolean isAuthorized(String candidate) {
        if (candidate == null) return false;
        boolean ok = false;
        for (String s : secrets) ok |= same(s, candidate);
        return ok;
    }

    /** Whether a rotation's two secrets are held. */
    public boolean rotating() {
        return secrets.size() == 2;
    }

    /**
     * Xapi's {@code notify_new}: from now on {@code newPs} is accepted besides {@code oldPs}, both kept on disk.
     *
     * @param member whether this host is a pool member (which must hold no backups of its own before)
     */
    public synchronized void acceptNew(String oldPs, String newPs, boolean member) {
        List<String> s = secrets;
        if (s.size() == 2) {
            assertBackups(oldPs, newPs);
            if (same(s.get(0), oldPs) && same(s.get(1), newPs)) {
                LOG.info("pool secret rotation: already accepting the new secret");
                return;
            }
            throw ApiError.internal("notify_new: existing pool secrets are inconsistent");
        }
        if (!same(s.get(0), oldPs)) throw ApiError.internal("notify_new: old pool secret doesn't match");
        if (member && backupsExist()) throw ApiError.internal("pool member should have no backups");
        writeBackups(oldPs, newPs);
        secrets = List.of(oldPs, newPs);
    }

    /** Xapi's {@code notify_send}: {@code newPs} becomes the secret sent (and the one in {@code ptoken}). */
    public synchronized void sendNew(String oldPs, String newPs) {
        assertBackups(oldPs, newPs);
        List<String> s = secrets;
        if (s.size() != 2) throw ApiError.internal("notify_send: expected 2 pool secrets, got: " + s.size());
        if (same(s.get(0), newPs) && same(s.get(1), oldPs)) {
            LOG.info("pool secret rotation: already sending the new secret");
            return;
        }
        if (!(same(s.get(0), oldPs) && same(s.get(1), newPs)))
            throw ApiError.internal("notify_send: runtime secrets don't match");
        if (file != null) {
            try {
                write(file, newPs);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        secrets = List.of(newPs, oldPs);
    }

    /** Xapi's {@code cleanup_internal}: the old secret is no longer accepted, and the backups go. */
    public synchronized void cleanup(String oldPs, String newPs) {
        List<String> s = secrets;
        if (s.size() == 1) {
            if (!same(s.get(0), newPs))
                throw ApiError.internal("cleanup_internal: host has been cleaned up, but pool secret doesn't match");
            if (backupsExist()) throw ApiError.internal("pool member should have no backups");
            LOG.info("pool secret rotation: already cleaned up");
            return;
        }
        if (!(same(s.get(0), newPs) && same(s.get(1), oldPs)))
            throw ApiError.internal("cleanup_internal: runtime secrets don't match");
        assertBackups(oldPs, newPs);
        memoryBackups = null;
        for (Path p : new Path[] {oldBackup, newBackup}) {
            if (p == null) continue;
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                LOG.error("pool secret rotation: cannot remove {}: {}", p, e.toString());
            }
        }
        secrets = List.of(newPs);
    }

    /** The two secrets of an unfinished rotation, as backed up on disk: old, then new. */
    public synchronized List<String> backups() {
        if (oldBackup == null) {
            if (memoryBackups != null) return memoryBackups;
            throw ApiError.internal("failed to read backups");
        }
        try {
            return List.of(read(oldBackup), read(newBackup));
        } catch (IOException e) {
            throw ApiError.internal("failed to read backups");
        }
    }

    /** Whether both backups are on disk (the state of a rotation started here); one without the other is broken. */
    public synchronized boolean backupsExist() {
        if (oldBackup == null) return memoryBackups != null;
        boolean o = Files.exists(oldBackup);
        boolean n = Files.exists(newBackup);
        if (o != n) throw ApiError.internal("do_backups_exist: invalid backup state");
        return o;
    }

    /** Xapi's {@code backup}: both secrets of a rotation written before any host is told. */
    public synchronized void writeBackups(String oldPs, String newPs) {
        if (oldBackup == null) {
            memoryBackups = List.of(oldPs, newPs);
            return;
        }
        try {
            Files.createDirectories(oldBackup.getParent());
            write(oldBackup, oldPs);
            write(newBackup, newPs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void assertBackups(String oldPs, String newPs) {
        List<String> b = backups();
        if (!(same(b.get(0), oldPs) && same(b.get(1), newPs))) throw ApiError.internal("backups don't match");
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8).strip();
    }

    private static void write(Path p, String secret) throws IOException {
        Files.createDirectories(AtomicFiles.directoryOf(p));
        AtomicFiles.write(p, secret.getBytes(StandardCharsets.UTF_8), AtomicFiles.OWNER_READ_WRITE);
    }

    private static boolean same(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}
