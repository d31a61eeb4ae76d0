package org.xapijava.server.remotedb;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import javax.net.SocketFactory;

/**
 * One persistent HTTP/1.1 connection from a member to its master, as Xapi's {@code Master_connection} keeps one
 * (through stunnel): requests are written one at a time with a Content-Length, the pool secret as cookie and
 * {@code Connection: keep-alive}; an answer must be {@code 200} with a Content-Length (Xapi's
 * {@code Content_length_required}: it cannot find the next answer otherwise). Any other answer, a short read or a
 * read timeout is an {@link IOException}, after which the connection is useless. Not thread-safe: the client
 * serializes calls.
 */
final class MasterConnection implements AutoCloseable {
    /** Longest status line or header line accepted in an answer. */
    private static final int MAX_LINE = 8192;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final String host;
    private boolean closeAfter;

    MasterConnection(SocketFactory factory, String host, int port, int connectTimeoutMs, int readTimeoutMs)
            throws IOException {
        this.host = host;
        Socket s = factory.createSocket();
        try {
            s.connect(new InetSocketAddress(host, port), connectTimeoutMs);
            s.setSoTimeout(readTimeoutMs);
            s.setTcpNoDelay(true);
            if (s instanceof javax.net.ssl.SSLSocket ssl) ssl.startHandshake();
            this.in = new BufferedInputStream(s.getInputStream(), 16 * 1024);
            this.out = s.getOutputStream();
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        this.socket = s;
    }

    /** POSTs {@code body} to {@code path} and returns the answer's body. */
    byte[] post(String path, String cookie, String contentType, byte[] body) throws IOException {
        if (closeAfter) throw new IOException("the master closed the connection");
        String head = "POST " + path + " HTTP/1.1\r\n"
                + "Host: " + host + "\r\n"
                + "Cookie: " + cookie + "\r\n"
                + "Content-Type: " + contentType + "\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + "User-Agent: xapi-java\r\n"
                + "Connection: keep-alive\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
        String status = line();
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) throw new IOException("bad status line: " + status);
        long length = -1;
        for (String h = line(); !h.isEmpty(); h = line()) {
            int colon = h.indexOf(':');
            if (colon < 0) continue;
            String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = h.substring(colon + 1).trim();
            if (name.equals("content-length")) {
                try {
                    length = Long.parseLong(value);
                } catch (NumberFormatException e) {
                    throw new IOException("bad Content-Length: " + value);
                }
            } else if (name.equals("connection") && value.equalsIgnoreCase("close")) {
                closeAfter = true;
            }
        }
        if (!parts[1].equals("200")) {
            closeAfter = true;
            throw new IOException("HTTP error " + parts[1] + " from the master");
        }
        if (length < 0 || length > Integer.MAX_VALUE) {
            closeAfter = true;
            throw new IOException("Content_length_required");
        }
        byte[] b = in.readNBytes((int) length);
        if (b.length != length) throw new EOFException("answer cut short");
        return b;
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        while (true) {
            int c = in.read();
            if (c < 0) throw new EOFException("connection closed by the master");
            if (c == '\n') break;
            if (b.size() >= MAX_LINE) throw new IOException("answer header line too long");
            b.write(c);
        }
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    boolean usable() {
        return !closeAfter && !socket.isClosed();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing to do: the connection is dropped either way
        }
    }
}
