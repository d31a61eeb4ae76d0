package org.xapijava.bench.server;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * The load driver's HTTP/1.1 client: one keep-alive TCP connection, driven by one thread, written for
 * the least client-side work per call. A request is a pre-built byte array ({@link #post}) written with
 * one {@code write}; the response's status line and headers are scanned in the connection's own buffer;
 * the body ({@code Content-Length}, chunked, or up to end of stream) goes to a {@link Body}, which either
 * keeps it or only counts it.
 *
 * <p>Not thread-safe. After a response with {@code Connection: close} (or an HTTP/1.0 one, or one read
 * to end of stream) {@link #isOpen()} is false and the connection must not be used again.
 */
public final class RawHttpConnection implements Closeable {
    /** Longest status or header line accepted; Jetty's response headers are far shorter. */
    private static final int MAX_LINE = 8192;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private byte[] buf;
    private int pos;
    private int lim;
    private boolean open = true;

    /**
     * Connects (blocking) with {@code TCP_NODELAY} on.
     *
     * @param bufferSize receive buffer of this connection (a header line must fit; grown if one does not)
     */
    public RawHttpConnection(InetSocketAddress address, int bufferSize) throws IOException {
        socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(address);
            in = socket.getInputStream();
            out = socket.getOutputStream();
        } catch (IOException e) {
            socket.close();
            throw e;
        }
        buf = new byte[Math.max(256, bufferSize)];
    }

    /**
     * The bytes of a complete {@code POST} request with a {@code Content-Length} body. The {@code Host}
     * header carries no port, so the same bytes can be sent to servers on different ports.
     */
    public static byte[] post(String path, String contentType, byte[] body) {
        String head = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: xapi-java-bench\r\nContent-Type: "
                + contentType + "\r\nContent-Length: " + body.length + "\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] r = Arrays.copyOf(h, h.length + body.length);
        System.arraycopy(body, 0, r, h.length, body.length);
        return r;
    }

    /** Sends {@code request} and reads its response into {@code body}; returns the HTTP status. */
    public int exchange(byte[] request, Body body) throws IOException {
        send(request);
        return readResponse(body);
    }

    /** Writes a whole request (see {@link #post}). */
    public void send(byte[] request) throws IOException {
        if (!open) throw new IOException("connection closed by the server");
        out.write(request);
        out.flush();
    }

    /**
     * Reads one response: the body replaces {@code body}'s content. Returns the HTTP status code.
     *
     * @throws IOException on a malformed response or a connection closed mid-response
     */
    public int readResponse(Body body) throws IOException {
        body.reset();
        String status = readLine();
        if (!status.startsWith("HTTP/1.") || status.length() < 12) throw new IOException("bad status line: " + status);
        int code;
        try {
            code = Integer.parseInt(status.substring(9, 12));
        } catch (NumberFormatException e) {
            throw new IOException("bad status line: " + status);
        }
        boolean close = status.startsWith("HTTP/1.0");
        long length = -1;
        boolean chunked = false;
        for (String line = readLine(); !line.isEmpty(); line = readLine()) {
            int c = line.indexOf(':');
            if (c <= 0) throw new IOException("bad header line: " + line);
            String name = line.substring(0, c).trim();
            String value = line.substring(c + 1).trim();
            if (name.equalsIgnoreCase("Content-Length")) {
                length = Long.parseLong(value);
            } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
                chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
            } else if (name.equalsIgnoreCase("Connection")) {
                String v = value.toLowerCase(Locale.ROOT);
                if (v.contains("close")) close = true;
            }
        }
        if (chunked) {
            readChunked(body);
        } else if (length >= 0) {
            copy(length, body);
        } else {
            do {
                body.write(buf, pos, lim - pos);
                pos = lim;
            } while (fill());
            close = true;
        }
        if (close) open = false;
        return code;
    }

    /** Makes a read that waits longer than {@code millis} fail (0: wait forever, the default). */
    public void setReadTimeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    /** Whether the server may still be sent requests on this connection. */
    public boolean isOpen() {
        return open;
    }

    private void readChunked(Body body) throws IOException {
        while (true) {
            String size = readLine();
            int semi = size.indexOf(';');
            long n = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
            if (n == 0) break;
            copy(n, body);
            if (!readLine().isEmpty()) throw new IOException("chunk not followed by CRLF");
        }
        while (!readLine().isEmpty()) {
            // trailer fields: ignored
        }
    }

    private void copy(long n, Body body) throws IOException {
        while (n > 0) {
            if (pos == lim && !fill()) throw new EOFException("connection closed with " + n + " body bytes missing");
            int k = (int) Math.min(n, lim - pos);
            body.write(buf, pos, k);
            pos += k;
            n -= k;
        }
    }

    /** Reads more bytes into the buffer (keeping unread ones); false at end of stream. */
    private boolean fill() throws IOException {
        if (pos == lim) {
            pos = 0;
            lim = 0;
        } else if (lim == buf.length) {
            if (pos > 0) {
                System.arraycopy(buf, pos, buf, 0, lim - pos);
                lim -= pos;
                pos = 0;
            } else {
                buf = Arrays.copyOf(buf, buf.length * 2); // only while a header line does not fit (bounded by MAX_LINE)
            }
        }
        int r = in.read(buf, lim, buf.length - lim);
        if (r < 0) return false;
        lim += r;
        return true;
    }

    /** One CRLF- (or LF-) terminated line without its terminator, as ISO-8859-1. */
    private String readLine() throws IOException {
        int scanned = 0; // bytes after pos already known to hold no LF (stays valid across compaction)
        while (true) {
            for (int i = pos + scanned; i < lim; i++) {
                if (buf[i] == '\n') {
                    int end = i > pos && buf[i - 1] == '\r' ? i - 1 : i;
                    String s = new String(buf, pos, end - pos, StandardCharsets.ISO_8859_1);
                    pos = i + 1;
                    return s;
                }
            }
            scanned = lim - pos;
            if (scanned >= MAX_LINE) throw new IOException("header line longer than " + MAX_LINE + " bytes");
            if (!fill()) throw new EOFException("connection closed by the server");
        }
    }

    @Override
    public void close() throws IOException {
        open = false;
        socket.close();
    }

    /**
     * A response body: either kept ({@link #keeping}) or only counted ({@link #counting}, which remembers
     * the last {@value #TAIL} bytes so that the end of a document can still be checked).
     */
    public static final class Body {
        static final int TAIL = 64;
        private final ByteArrayOutputStream kept;
        private final byte[] tail = new byte[TAIL];
        private long length;

        private Body(ByteArrayOutputStream kept) {
            this.kept = kept;
        }

        /** A body that keeps its bytes; {@code initialCapacity} grows as needed. */
        public static Body keeping(int initialCapacity) {
            return new Body(new ByteArrayOutputStream(initialCapacity));
        }

        /** A body that only counts its bytes (and keeps the last {@value #TAIL}). */
        public static Body counting() {
            return new Body(null);
        }

        void reset() {
            length = 0;
            if (kept != null) kept.reset();
        }

        void write(byte[] b, int off, int len) {
            if (kept != null) {
                kept.write(b, off, len);
            } else if (len >= TAIL) {
                System.arraycopy(b, off + len - TAIL, tail, 0, TAIL);
            } else {
                System.arraycopy(tail, len, tail, 0, TAIL - len);
                System.arraycopy(b, off, tail, TAIL - len, len);
            }
            length += len;
        }

        /** Bytes of the last response's body. */
        public long length() {
            return length;
        }

        /** The kept bytes. @throws IllegalStateException on a counting body */
        public byte[] bytes() {
            if (kept == null) throw new IllegalStateException("a counting body keeps no bytes");
            return kept.toByteArray();
        }

        /** The body's last {@code min(length, 64)} bytes, as ISO-8859-1. */
        public String tail() {
            if (kept != null) {
                byte[] all = kept.toByteArray();
                int n = Math.min(all.length, TAIL);
                return new String(all, all.length - n, n, StandardCharsets.ISO_8859_1);
            }
            int n = (int) Math.min(length, TAIL);
            return new String(tail, TAIL - n, n, StandardCharsets.ISO_8859_1);
        }
    }
}
