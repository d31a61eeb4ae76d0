package org.xapijava.xenopsd.internal;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * Buffered blocking reads from a channel, for the HTTP/1.1 code at both ends of xenopsd's socket
 * ({@link HttpClientConnection} and the simulator's server). Not thread-safe: one reader at a time.
 */
public final class ChannelInput {
    private final ReadableByteChannel channel;
    private final ByteBuffer in = ByteBuffer.allocate(16 * 1024).flip();
    private long bytesRead;

    public ChannelInput(ReadableByteChannel channel) {
        this.channel = channel;
    }

    /** Whether bytes are buffered, or else more arrive before the end of stream (blocks for them). */
    public boolean available() throws IOException {
        return in.hasRemaining() || fill();
    }

    /** The next byte (0 to 255), or -1 at end of stream. */
    public int read() throws IOException {
        if (!available()) return -1;
        return in.get() & 0xff;
    }

    /** Exactly {@code n} bytes; {@link EOFException} with {@code eofMessage} if the stream ends first. */
    public byte[] readExactly(int n, String eofMessage) throws IOException {
        byte[] r = new byte[n];
        int off = 0;
        while (off < n) {
            if (!available()) throw new EOFException(eofMessage);
            int k = Math.min(in.remaining(), n - off);
            in.get(r, off, k);
            off += k;
        }
        return r;
    }

    /** Moves what is buffered (possibly nothing) into {@code out}. */
    public void drainTo(java.io.ByteArrayOutputStream out) {
        out.write(in.array(), in.arrayOffset() + in.position(), in.remaining());
        in.position(in.limit());
    }

    /** Bytes buffered and not yet consumed. */
    public int buffered() {
        return in.remaining();
    }

    /** Bytes read from the channel since the last {@link #resetCount()}. */
    public long bytesRead() {
        return bytesRead;
    }

    public void resetCount() {
        bytesRead = 0;
    }

    /** Reads more bytes; false at end of stream. */
    private boolean fill() throws IOException {
        in.compact();
        try {
            int n = channel.read(in);
            if (n > 0) bytesRead += n;
            return n > 0;
        } finally {
            in.flip();
        }
    }
}
