package org.xapijava.server.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.errors.ApiError;

/**
 * Writes an import's data into an attached VDI of {@code size} bytes: non-zero data past the end is
 * {@code VDI_IO_ERROR}. All-zero blocks are skipped when the VDI is new (it reads as zeros already: vhd-tool's
 * {@code --prezeroed}, which Xapi passes for every sparse SR; here only for a VDI the import made, so that an
 * import into an existing VDI replaces all of it). Not thread-safe.
 */
final class DiskWriter {
    private final FileChannel out;
    private final long size;
    private final boolean prezeroed;
    private final byte[] buf = new byte[RawVdiTransfer.BLOCK];

    DiskWriter(FileChannel out, long size, boolean prezeroed) {
        this.out = out;
        this.size = size;
        this.prezeroed = prezeroed;
    }

    /** The VDI's size. */
    long size() {
        return size;
    }

    /** {@code length} zero bytes at {@code at}: nothing to do when the VDI is new (it reads as zeros already). */
    void zeros(long at, long length) throws IOException {
        if (prezeroed) return;
        java.util.Arrays.fill(buf, (byte) 0);
        for (long done = 0; done < length; ) {
            int n = (int) Math.min(buf.length, length - done);
            write(at + done, buf, 0, n);
            done += n;
        }
    }

    /** The whole of {@code in}, from offset 0. */
    void stream(InputStream in, RawVdiTransfer.Progress progress) throws IOException {
        long at = 0;
        for (int n; (n = in.readNBytes(buf, 0, buf.length)) > 0; ) {
            progress.check();
            write(at, buf, n);
            at += n;
            progress.at(at);
        }
    }

    /** {@code length} bytes of {@code in} at {@code offset}. */
    void copy(InputStream in, long offset, long length, RawVdiTransfer.Progress progress, long doneBefore)
            throws IOException {
        long left = length;
        long at = offset;
        while (left > 0) {
            progress.check();
            int want = (int) Math.min(buf.length, left);
            int n = in.readNBytes(buf, 0, want);
            if (n < want) throw new IOException("the body ended inside a chunk at " + (at + n));
            write(at, buf, n);
            at += n;
            left -= n;
            progress.at(doneBefore + (length - left));
        }
    }

    private void write(long at, byte[] b, int n) throws IOException {
        write(at, b, 0, n);
    }

    /**
     * {@code n} bytes of {@code b} from {@code off} at disk offset {@code at}. Bytes past the VDI's end are dropped
     * when they are zeros (a VHD's last block may reach past a size that is not a whole number of blocks), else
     * {@code VDI_IO_ERROR}.
     */
    void write(long at, byte[] b, int off, int n) throws IOException {
        if (at + n > size) {
            int keep = (int) Math.max(0, size - at);
            if (!allZero(b, off + keep, n - keep))
                throw new ApiError(ErrorCodes.VDI_IO_ERROR, RawVdiTransfer.IO_ERRORS);
            n = keep;
        }
        if (n == 0 || prezeroed && allZero(b, off, n)) return;
        ByteBuffer bb = ByteBuffer.wrap(b, off, n);
        long pos = at;
        while (bb.hasRemaining()) pos += out.write(bb, pos);
    }

    /**
     * Whether {@code n} bytes of {@code b} from {@code off} are all zeros ({@link #allZero(ByteBuffer, int)}).
     */
    static boolean allZero(byte[] b, int off, int n) {
        return allZero(ByteBuffer.wrap(b, off, n).slice(), n);
    }

    private static final byte[] ZEROS = new byte[1 << 16];

    /**
     * Whether the first {@code n} bytes of {@code b} are all zeros (its position and limit kept): compared a 64 KiB
     * slice at a time with a block of zeros ({@link ByteBuffer#mismatch}, which the JIT vectorizes: about 40 GiB/s
     * against 5 for a byte loop).
     */
    static boolean allZero(ByteBuffer b, int n) {
        for (int done = 0; done < n; ) {
            int k = Math.min(n - done, ZEROS.length);
            if (b.slice(done, k).mismatch(ByteBuffer.wrap(ZEROS, 0, k)) >= 0) return false;
            done += k;
        }
        return true;
    }
}
