package org.xapijava.server.transfer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;

/** Reads an attached disk block by block, for every export format. Stateless. */
final class DiskReader {
    private DiskReader() {}

    /**
     * The disk's bytes from offset {@code at} into {@code buf}, as many as fit before the disk's {@code size}; the
     * rest of {@code buf}, and whatever lies past the file's end (a driver's file may be shorter than the disk), reads
     * as zeros.
     *
     * @return the number of the disk's bytes the block holds ({@code buf.length} but for the disk's last block)
     */
    static int read(FileChannel in, long at, long size, byte[] buf) throws IOException {
        Arrays.fill(buf, (byte) 0);
        int want = (int) Math.max(0, Math.min(buf.length, size - at));
        ByteBuffer b = ByteBuffer.wrap(buf, 0, want);
        for (long pos = at; b.hasRemaining(); ) {
            int n = in.read(b, pos);
            if (n <= 0) break;
            pos += n;
        }
        return want;
    }
}
