package org.xapijava.xenopsd.internal;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * One HTTP/1.1 client connection on a Unix domain socket: writes a {@code POST} with a body and reads the
 * response (Content-Length, chunked, or until the server closes). Blocking I/O; time limits come from the caller
 * through {@link Deadlines}. Not thread-safe: one exchange at a time (the pool hands it to one caller).
 */
public final class HttpClientConnection implements AutoCloseable {

    /** Longest status line plus headers accepted. */
    private static final int MAX_HEAD = 64 * 1024;
    /** Largest response body accepted (a VM.list of thousands of VMs is far smaller). */
    private static final int MAX_BODY = 256 << 20;

    private static final String BODY_EOF = "connection closed in the response body";

    private final SocketChannel channel;
    private final ChannelInput in;
    private boolean used;

    private HttpClientConnection(SocketChannel channel) {
        this.channel = channel;
        this.in = new ChannelInput(channel);
    }

    /** Connects, failing after {@code timeoutNanos}. */
    public static HttpClientConnection connect(Path socket, long timeoutNanos) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try (Deadlines.Deadline d = Deadlines.arm(ch, timeoutNanos)) {
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                if (d.expired()) throw new TimeoutIOException("connect to " + socket + " timed out");
                throw e;
            }
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return new HttpClientConnection(ch);
    }

    /** The connection was closed by the deadline. */
    public static final class TimeoutIOException extends IOException {
        private static final long serialVersionUID = 1L;

        public TimeoutIOException(String message) {
            super(message);
        }
    }

    /** A response: status code, body, and whether the connection may carry another request. */
    public record Response(int status, byte[] body, boolean keepAlive) {}

    /** Whether this connection has carried an exchange before (a pooled connection). */
    public boolean reused() {
        return used;
    }

    /** Bytes of the response read so far in the current exchange (0: the server sent nothing). */
    public long bytesReadThisExchange() {
        return in.bytesRead();
    }

    public SocketChannel channel() {
        return channel;
    }

    /**
     * Whether the idle connection still looks usable: open, and the server has neither closed it nor sent
     * anything unasked.
     */
    public boolean idleAndOpen() {
        if (!channel.isOpen()) return false;
        try {
            channel.configureBlocking(false);
            try {
                ByteBuffer one = ByteBuffer.allocate(1);
                return channel.read(one) == 0;
            } finally {
                channel.configureBlocking(true);
            }
        } catch (IOException e) {
            return false;
        }
    }

    /** Writes one request and reads its response. */
    public Response post(String target, byte[] body, String userAgent) throws IOException {
        in.resetCount();
        used = true;
        String head = "POST " + target + " HTTP/1.1\r\n"
                + "Host: localhost\r\n"
                + "User-Agent: " + userAgent + "\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + "\r\n";
        byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer out =
                ByteBuffer.allocate(h.length + body.length).put(h).put(body).flip();
        while (out.hasRemaining()) channel.write(out);
        return readResponse();
    }

    private Response readResponse() throws IOException {
        int[] headBudget = {MAX_HEAD};
        String statusLine = readLine(headBudget);
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1."))
            throw new ProtocolIOException("bad status line: " + statusLine);
        int status;
        try {
            status = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new ProtocolIOException("bad status line: " + statusLine);
        }
        boolean http10 = parts[0].equals("HTTP/1.0");
        long contentLength = -1;
        boolean chunked = false;
        boolean close = http10;
        for (; ; ) {
            String line = readLine(headBudget);
            if (line.isEmpty()) break;
            int colon = line.indexOf(':');
            if (colon <= 0) throw new ProtocolIOException("bad header line: " + line);
            String name = line.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> {
                    try {
                        contentLength = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        throw new ProtocolIOException("bad content-length: " + value);
                    }
                    if (contentLength < 0) throw new ProtocolIOException("bad content-length: " + value);
                }
                case "transfer-encoding" ->
                    chunked = value.toLowerCase(java.util.Locale.ROOT).contains("chunked");
                case "connection" -> {
                    String v = value.toLowerCase(java.util.Locale.ROOT);
                    if (v.contains("close")) close = true;
                    if (v.contains("keep-alive")) close = false;
                }
                default -> {}
            }
        }
        byte[] bodyBytes;
        if (chunked) {
            bodyBytes = readChunked();
        } else if (contentLength >= 0) {
            if (contentLength > MAX_BODY) throw new ProtocolIOException("response body too large: " + contentLength);
            bodyBytes = in.readExactly((int) contentLength, BODY_EOF);
        } else {
            bodyBytes = readToEnd();
            close = true;
        }
        return new Response(status, bodyBytes, !close);
    }

    private byte[] readChunked() throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (; ; ) {
            String sizeLine = readLine();
            int semi = sizeLine.indexOf(';');
            String hex = (semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).trim();
            int size;
            try {
                size = Integer.parseInt(hex, 16);
            } catch (NumberFormatException e) {
                throw new ProtocolIOException("bad chunk size: " + sizeLine);
            }
            if (size < 0 || b.size() + (long) size > MAX_BODY) throw new ProtocolIOException("response body too large");
            if (size == 0) {
                while (!readLine().isEmpty()) {
                    /* trailers */
                }
                return b.toByteArray();
            }
            b.write(in.readExactly(size, BODY_EOF));
            if (!readLine().isEmpty()) throw new ProtocolIOException("missing CRLF after chunk");
        }
    }

    private byte[] readToEnd() throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (; ; ) {
            if (!in.available()) return b.toByteArray();
            if (b.size() + in.buffered() > MAX_BODY) throw new ProtocolIOException("response body too large");
            in.drainTo(b);
        }
    }

    /** A line of the response ({@link ChannelInput#readLine}), taken from {@code budget}. */
    private String readLine(int[] budget) throws IOException {
        String line;
        try {
            line = in.readLine(budget);
        } catch (ChannelInput.LineTooLongException e) {
            throw new ProtocolIOException("response head too large");
        } catch (EOFException e) {
            throw new EOFException("connection closed in the response head");
        }
        if (line == null) {
            throw new EOFException(
                    in.bytesRead() == 0
                            ? "connection closed before the response"
                            : "connection closed in the response head");
        }
        return line;
    }

    /** A line of a chunked body (a chunk size, a chunk's CRLF, a trailer). */
    private String readLine() throws IOException {
        return readLine(new int[] {MAX_HEAD});
    }

    /** The response is not HTTP as expected. */
    public static final class ProtocolIOException extends IOException {
        private static final long serialVersionUID = 1L;

        public ProtocolIOException(String message) {
            super(message);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing more to do
        }
    }
}
