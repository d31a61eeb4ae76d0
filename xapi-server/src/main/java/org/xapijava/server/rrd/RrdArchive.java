package org.xapijava.server.rrd;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.model.util.AtomicFiles;

/**
 * Where RRDs are kept when not in memory, as Xapi's {@code archive_rrd_internal}: one file per object,
 * {@code <dir>/<uuid>.gz}, the gzipped internal dump (or, from {@link #saveDump}, the dump another host sent, in
 * either form), replaced atomically (temp, fsync, rename). A file that cannot be read is logged and ignored (the
 * object starts a new RRD), as Xapi does. {@link #saveLater} (a halted VM's RRD) makes the bytes at once and leaves
 * the write and its forces to one background thread ({@link LatestPerKey}), so that a shutdown does not wait for the
 * disk; until written they are what {@link #load} reads, {@link #remove} drops them, a newer save wins, and {@link
 * #close} writes what is left. Thread-safe.
 */
public final class RrdArchive implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RrdArchive.class);

    private final Path dir;
    /** Held while a file is written or removed, so that an older write never lands after a newer one or a removal. */
    private final Object files = new Object();

    /** uuid → the bytes {@link #saveLater} has not written yet, written in the background. */
    private final LatestPerKey<String, byte[]> pending =
            new LatestPerKey<>("rrd-archiver", Integer.MAX_VALUE, this::writePending);

    /** @param dir the directory (Xapi's {@code /var/lib/xcp/blobs/rrds}); created on first save */
    public RrdArchive(Path dir) {
        this.dir = dir;
    }

    Path file(String uuid) {
        if (!uuid.matches("[0-9A-Za-z-]+")) throw new IllegalArgumentException("not a uuid: " + uuid);
        return dir.resolve(uuid + ".gz");
    }

    private static byte[] encode(Rrd rrd) throws IOException {
        return gzip(RrdDump.xml(rrd, true).getBytes(StandardCharsets.UTF_8));
    }

    /** {@code dump} gzipped at the fastest level (any gzip reads it; the archive is rewritten at every halt). */
    private static byte[] gzip(byte[] dump) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(dump.length / 4 + 64);
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes, 8192) {
            {
                def.setLevel(Deflater.BEST_SPEED);
            }
        }) {
            gz.write(dump);
        }
        return bytes.toByteArray();
    }

    private void write(String uuid, byte[] bytes) throws IOException {
        Files.createDirectories(dir);
        AtomicFiles.write(file(uuid), bytes);
    }

    /** Writes {@code rrd} as the archive of {@code uuid}; an I/O failure is logged (Xapi logs and goes on). */
    public void save(String uuid, Rrd rrd) {
        try {
            saveBytes(uuid, encode(rrd));
        } catch (IOException | RuntimeException e) {
            LOG.warn("archiving the RRD of {}: {}", uuid, e.toString());
        }
    }

    /**
     * As {@link #save}, of an RRD's dump as another host sent it ({@code PUT /rrd?archive=true}), already read once by
     * {@link RrdDump#parse} (so known to be an RRD): kept as it came instead of written out again.
     */
    public void saveDump(String uuid, byte[] dump) {
        try {
            saveBytes(uuid, gzip(dump));
        } catch (IOException | RuntimeException e) {
            LOG.warn("archiving the RRD of {}: {}", uuid, e.toString());
        }
    }

    private void saveBytes(String uuid, byte[] bytes) throws IOException {
        synchronized (files) {
            pending.cancel(uuid); // older than this
            write(uuid, bytes);
        }
    }

    /** As {@link #save}, the file written and forced in the background. */
    public void saveLater(String uuid, Rrd rrd) {
        byte[] bytes;
        try {
            file(uuid);
            bytes = encode(rrd);
        } catch (IOException | RuntimeException e) {
            LOG.warn("archiving the RRD of {}: {}", uuid, e.toString());
            return;
        }
        if (!pending.submit(uuid, bytes)) {
            synchronized (files) { // closed: write it now
                pending.cancel(uuid);
                writeLogged(uuid, bytes);
            }
        }
    }

    private void writePending(String uuid, byte[] bytes) {
        synchronized (files) {
            if (pending.peek(uuid) != bytes) return; // superseded by a save, or removed
            writeLogged(uuid, bytes);
        }
    }

    private void writeLogged(String uuid, byte[] bytes) {
        try {
            write(uuid, bytes);
        } catch (IOException | RuntimeException e) {
            LOG.warn("archiving the RRD of {}: {}", uuid, e.toString());
        }
    }

    /** The archived RRD of {@code uuid}, or null when there is none (or it cannot be read). */
    public Rrd load(String uuid) {
        byte[] dump = loadDump(uuid);
        if (dump == null) return null;
        try {
            return RrdDump.parse(new ByteArrayInputStream(dump));
        } catch (RuntimeException e) {
            LOG.warn("reading the RRD archive {}: {}", file(uuid), e.toString());
            return null;
        }
    }

    /**
     * The archived RRD of {@code uuid} as its dump (an RRD's XML, not read here: what another host is sent as it is),
     * or null when there is none (or it cannot be uncompressed).
     */
    public byte[] loadDump(String uuid) {
        Path f = file(uuid);
        byte[] waiting = pending.peek(uuid);
        try (InputStream in =
                new GZIPInputStream(waiting != null ? new ByteArrayInputStream(waiting) : Files.newInputStream(f))) {
            return in.readAllBytes();
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | RuntimeException e) {
            LOG.warn("reading the RRD archive {}: {}", f, e.toString());
            return null;
        }
    }

    /** {@code remove_rrd}: the archive of {@code uuid} goes, if any. */
    public void remove(String uuid) {
        synchronized (files) {
            pending.cancel(uuid);
            try {
                Files.deleteIfExists(file(uuid));
            } catch (IOException e) {
                LOG.warn("removing the RRD archive of {}: {}", uuid, e.toString());
            }
        }
    }

    /** Writes what {@link #saveLater} left (for at most 30 s, the rest dropped and logged) and stops the thread. */
    @Override
    public void close() {
        pending.close(Duration.ofSeconds(30));
    }
}
