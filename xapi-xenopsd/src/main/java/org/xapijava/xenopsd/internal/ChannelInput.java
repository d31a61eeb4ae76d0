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

    /**
     * A line in ISO-8859-1 without its terminator (LF, or CRLF), for HTTP heads and chunk sizes.
     *
     * @param budget {@code budget[0]} is how many more bytes the caller accepts (a head's limit across its
     *               lines); every byte read, the terminator included, is taken from it
     * @return the line, or {@code null} when the stream ends before any byte of it
     * @throws EOFException         when the stream ends inside the line
     * @throws LineTooLongException when the budget runs out first
     */
    public String readLine(int[] budget) throws IOException {
        StringBuilder b = new StringBuilder();
        for (; ; ) {
            int c = read();
            if (c < 0) {
                if (b.isEmpty()) return null;
                throw new EOFException("connection closed in a line");
            }
            if (--budget[0] < 0) throw new LineTooLongException();
            if (c == '\n') {
                int n = b.length();
                if (n > 0 && b.charAt(n - 1) == '\r') b.setLength(n - 1);
                return b.toString();
            }
            b.append((char) c);
        }
    }

    /** A line, or the head it belongs to, is longer than the reader's caller accepts. */
    public static final class LineTooLongException extends IOException {
        private static final long serialVersionUID = 1L;

        public LineTooLongException() {
            super("line too long");
        }
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
