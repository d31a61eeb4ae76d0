package org.xapijava.server.transfer;

import java.io.IOException;
import java.nio.ByteBuffer;
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

    /**
     * {@link #read(long, long, byte[])} into the whole of {@code buf} (its position and limit are ignored and kept):
     * into a direct buffer the disk's bytes are copied once, without a heap array in between.
     */
    int read(long at, long size, ByteBuffer buf) throws IOException;

    /**
     * Whether the disk's {@code len} bytes from {@code at} are known to be zeros without reading them: never written
     * (a hole of the file, clusters no image of the chain allocated, or marked zero). False when unknown; a writer
     * that wants to skip zeros reads and checks such a block itself.
     */
    default boolean knownZero(long at, long len) throws IOException {
        return false;
    }

    /**
     * Whether a differencing writer may skip the {@code len} bytes from {@code at} unread: a hole in {@code in} and,
     * when there is one, in {@code base} too (both zeros, so no difference).
     */
    static boolean knownZero(DiskReader in, DiskReader base, long at, long len) throws IOException {
        return in.knownZero(at, len) && (base == null || base.knownZero(at, len));
    }

    /** Zeros into {@code len} bytes of {@code buf} from {@code off}. */
    static void zero(ByteBuffer buf, int off, int len) {
        for (int done = 0; done < len; ) {
            int n = Math.min(len - done, Zeros.ZEROS.length);
            buf.put(off + done, Zeros.ZEROS, 0, n);
            done += n;
        }
    }

    /** A block of zeros, never written. */
    final class Zeros {
        private static final byte[] ZEROS = new byte[1 << 16];

        private Zeros() {}
    }

    @Override
    void close() throws IOException;
}
