package org.xapijava.server.rrd;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.model.util.AtomicFiles;

/**
 * Where RRDs are kept when not in memory, as Xapi's {@code archive_rrd_internal}: one file per object,
 * {@code <dir>/<uuid>.gz}, the gzipped internal dump, replaced atomically (temp, fsync, rename). A file that cannot
 * be read is logged and ignored (the object starts a new RRD), as Xapi does. Thread-safe (one file per call).
 */
public final class RrdArchive {
    private static final Logger LOG = LoggerFactory.getLogger(RrdArchive.class);

    private final Path dir;

    /** @param dir the directory (Xapi's {@code /var/lib/xcp/blobs/rrds}); created on first save */
    public RrdArchive(Path dir) {
        this.dir = dir;
    }

    Path file(String uuid) {
        if (!uuid.matches("[0-9A-Za-z-]+")) throw new IllegalArgumentException("not a uuid: " + uuid);
        return dir.resolve(uuid + ".gz");
    }

    /** Writes {@code rrd} as the archive of {@code uuid}; an I/O failure is logged (Xapi logs and goes on). */
    public void save(String uuid, Rrd rrd) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * 1024);
            try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
                gz.write(RrdDump.xml(rrd, true).getBytes(StandardCharsets.UTF_8));
            }
            Files.createDirectories(dir);
            AtomicFiles.write(file(uuid), bytes.toByteArray());
        } catch (IOException | RuntimeException e) {
            LOG.warn("archiving the RRD of {}: {}", uuid, e.toString());
        }
    }

    /** The archived RRD of {@code uuid}, or null when there is none (or it cannot be read). */
    public Rrd load(String uuid) {
        Path f = file(uuid);
        try (InputStream in = new GZIPInputStream(Files.newInputStream(f))) {
            return RrdDump.parse(in);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | RuntimeException e) {
            LOG.warn("reading the RRD archive {}: {}", f, e.toString());
            return null;
        }
    }

    /** {@code remove_rrd}: the archive of {@code uuid} goes, if any. */
    public void remove(String uuid) {
        try {
            Files.deleteIfExists(file(uuid));
        } catch (IOException e) {
            LOG.warn("removing the RRD archive of {}: {}", uuid, e.toString());
        }
    }
}
