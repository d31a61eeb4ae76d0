package org.xapijava.server.transfer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.server.storage.StorageBackends;
import org.xapijava.storage.DirectImage;

/**
 * A VDI opened for an export: its image chain read directly when that is safe ({@link StorageBackends#openDirect}:
 * a local SR of a bundled file driver, nothing attached read-write; then {@link Qcow2Chain}, itself refused when a
 * process has a file of the chain open for writing), else through a read-only datapath of the export's own ({@code
 * dp}), as before. Both give the same bytes. {@link #close} releases the hold or destroys the datapath, and must come
 * before the export's body ends (a client may use the VDI as soon as it has read it all). Not thread-safe.
 */
final class ExportDisk implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ExportDisk.class);
    /** Disks opened directly and through a datapath since start (diagnostics; the tests look at them). */
    static final LongAdder DIRECT = new LongAdder(), DATAPATH = new LongAdder();

    private final StorageBackends storage;
    private final DiskReader reader;
    private final DirectImage direct;
    private final Path path;
    private String dp;

    private ExportDisk(StorageBackends storage, DiskReader reader, DirectImage direct, Path path, String dp) {
        this.storage = storage;
        this.reader = reader;
        this.direct = direct;
        this.path = path;
        this.dp = dp;
    }

    /**
     * {@code vdi} opened for reading: directly when {@code mayReadDirectly} and safe, else through datapath {@code dp}.
     *
     * @throws org.xapijava.model.errors.ApiError the datapath's refusal
     * @throws IOException the attached file cannot be opened (the datapath is destroyed)
     */
    static ExportDisk open(StorageBackends storage, String vdi, String dp, boolean mayReadDirectly) throws IOException {
        if (mayReadDirectly) {
            DirectImage image = storage.openDirect(vdi);
            if (image != null) {
                try {
                    DiskReader r = "raw".equals(image.format())
                            ? FileDiskReader.open(image.file())
                            : Qcow2Chain.open(image.file());
                    LOG.debug("{} read directly from {}", vdi, image.file());
                    DIRECT.increment();
                    return new ExportDisk(storage, r, image, null, null);
                } catch (IOException | RuntimeException e) {
                    image.close();
                    LOG.info("{} read through a datapath: {}", vdi, e.getMessage());
                }
            }
        }
        Path path = storage.attach(vdi, false, dp);
        try {
            ExportDisk d = new ExportDisk(storage, DiskReader.open(path), null, path, dp);
            DATAPATH.increment();
            return d;
        } catch (IOException | RuntimeException e) {
            TransferRequests.detach(storage, dp);
            throw e;
        }
    }

    DiskReader reader() {
        return reader;
    }

    /** Whether the image is read directly (no datapath). */
    boolean direct() {
        return direct != null;
    }

    /** The attached datapath's file; null when read directly. */
    Path path() {
        return path;
    }

    /** Closes {@code d} unless null; returns null. */
    static ExportDisk close(ExportDisk d) {
        if (d != null) d.close();
        return null;
    }

    /** The reader closed, then the hold released or the datapath destroyed (a failure logged); idempotent. */
    @Override
    public void close() {
        try {
            reader.close();
        } catch (IOException e) {
            LOG.warn("closing the reader: {}", e.toString());
        }
        if (direct != null) direct.close();
        dp = TransferRequests.detach(storage, dp);
    }
}
