package org.xapijava.storage;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A VDI's image file, handed out for reading it directly instead of through a datapath ({@link
 * Smapiv2#vdiOpenDirect}): while it is open the storage layer refuses what could change the image under the reader
 * on this host (a read-write attach, as a read-only datapath makes it refused; delete, resize, revert), and
 * {@link #close} lifts that. The file is the VDI's leaf: a {@code qcow2} image whose backing chain lies in the same
 * directory, or a {@code raw} image. Thread-safe; {@link #close} is idempotent.
 */
public final class DirectImage implements AutoCloseable {
    private final Path file;
    private final String format;
    private final Runnable release;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * @param file    the leaf image
     * @param format  {@code qcow2} or {@code raw}
     * @param release what {@link #close} runs once
     */
    public DirectImage(Path file, String format, Runnable release) {
        this.file = file;
        this.format = format;
        this.release = release;
    }

    public Path file() {
        return file;
    }

    /** {@code qcow2} or {@code raw}. */
    public String format() {
        return format;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) release.run();
    }
}
