package org.xapijava.server.transfer;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Xapi's own framing of a raw import ({@code import_raw_vdi?chunked}, vhd-tool's {@code chunked.ml}): repeated
 * {@code {offset: u64 LE; length: u32 LE}} headers, each followed by {@code length} bytes of data for that offset,
 * ended by a header of offset 0 and length 0. Stateless.
 */
final class ChunkedRaw {
    static final int HEADER = 12;

    private ChunkedRaw() {}

    /** Reads every chunk of {@code in} into {@code w}; the body must end with the end marker. */
    static void read(InputStream in, DiskWriter w, RawVdiTransfer.Progress progress) throws IOException {
        byte[] h = new byte[HEADER];
        long done = 0;
        while (true) {
            if (in.readNBytes(h, 0, HEADER) < HEADER) throw new EOFException("the chunked body ended without its end");
            ByteBuffer b = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
            long offset = b.getLong();
            long length = Integer.toUnsignedLong(b.getInt());
            if (offset == 0 && length == 0) return;
            if (offset < 0) throw new IOException("a chunk at offset " + Long.toUnsignedString(offset));
            w.copy(in, offset, length, progress, done);
            done += length;
        }
    }

    /** One chunk's header (for writers and tests). */
    static byte[] header(long offset, int length) {
        return ByteBuffer.allocate(HEADER)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(offset)
                .putInt(length)
                .array();
    }
}
