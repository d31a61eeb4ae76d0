package org.xapijava.server.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.util.function.Function;
import org.xapijava.model.errors.ApiError;

/**
 * A disk image read from a stream that only goes forward (VHD, qcow2): it knows its position, and a structure that
 * is behind it, or a stream that ends early, is the image format's refusal ({@code bad}). Not thread-safe.
 */
final class ForwardStream {
    private final InputStream in;
    private final Function<String, ApiError> bad;
    private long pos;

    ForwardStream(InputStream in, Function<String, ApiError> bad) {
        this.in = in;
        this.bad = bad;
    }

    long position() {
        return pos;
    }

    byte[] read(int n) throws IOException {
        byte[] b = new byte[n];
        readFully(b);
        return b;
    }

    void readFully(byte[] b) throws IOException {
        if (in.readNBytes(b, 0, b.length) < b.length) throw bad.apply("the image ends early at " + pos);
        pos += b.length;
    }

    void skipTo(long offset) throws IOException {
        if (offset < pos) throw bad.apply("a structure at " + offset + " before " + pos);
        in.skipNBytes(offset - pos);
        pos = offset;
    }
}
