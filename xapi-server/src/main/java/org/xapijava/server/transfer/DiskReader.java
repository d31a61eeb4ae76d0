package org.xapijava.server.transfer;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A disk read block by block, for every export format: through a datapath ({@link FileDiskReader} of the attached
 * file) or directly from its image ({@link Qcow2Chain}, or {@link FileDiskReader} of a raw image); both give the
 * same bytes. Not thread-safe: one per transfer.
 */
interface DiskReader extends AutoCloseable {
    /** The disk at {@code path} (an attached datapath's file), holes told apart where the file can. */
    static DiskReader open(Path path) throws IOException {
        return FileDiskReader.open(path);
    }

    /**
     * The disk's bytes from offset {@code at} into {@code buf}, as many as fit before the disk's {@code size}; the
     * rest of {@code buf} reads as zeros.
     *
     * @return the number of the disk's bytes the block holds ({@code buf.length} but for the disk's last block)
     */
    int read(long at, long size, byte[] buf) throws IOException;

    @Override
    void close() throws IOException;
}
