package org.xapijava.server.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, byte for byte, for requests no ordinary client would send (no
 * Content-Length, oversized heads, trickled bodies). Reads responses by Content-Length.
 */
final class RawHttp implements AutoCloseable {
    /** A socket read that sees nothing for this long fails the test instead of hanging it. */
    static final int READ_TIMEOUT_MS = 20_000;

    private final java.io.Closeable channel;
    private final InputStream in;
    private final OutputStream out;

    /** A TCP connection to 127.0.0.1:port. */
    RawHttp(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), READ_TIMEOUT_MS);
        socket.setSoTimeout(READ_TIMEOUT_MS);
        socket.setTcpNoDelay(true);
        channel = socket;
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** A connection to a Unix socket (reads block without a timeout: use it for calls that must answer). */
    RawHttp(Path unixSocket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(unixSocket));
        channel = ch;
        in = Channels.newInputStream(ch);
        out = Channels.newOutputStream(ch);
    }

    /** A response: status code, headers (lower-case names), body. */
    record Reply(int status, String statusLine, Map<String, String> headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    void send(byte[] b) throws IOException {
        out.write(b);
        out.flush();
    }

    void send(String s) throws IOException {
        send(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** The head of a POST with the given extra header lines (each ending in CRLF) and no body yet. */
    static String postHead(String path, String extraHeaders) {
        return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extraHeaders + "\r\n";
    }

    /** A whole POST with Content-Length. */
    static byte[] post(String path, String contentType, byte[] body) {
        byte[] head = postHead(path, "Content-Type: " + contentType + "\r\nContent-Length: " + body.length + "\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[head.length + body.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }

    /** Reads one response; its body by Content-Length, or to the end of the stream without one. */
    Reply read() throws IOException {
        String statusLine = line();
        if (statusLine == null) throw new IOException("connection closed before a response");
        Map<String, String> headers = new LinkedHashMap<>();
        for (String l = line(); l != null && !l.isEmpty(); l = line()) {
            int c = l.indexOf(':');
            headers.put(
                    l.substring(0, c).trim().toLowerCase(Locale.ROOT),
                    l.substring(c + 1).trim());
        }
        String cl = headers.get("content-length");
        byte[] body = cl != null ? in.readNBytes(Integer.parseInt(cl)) : in.readAllBytes();
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        return new Reply(status, statusLine, headers, body);
    }

    /** True if the server closed the connection (end of stream; a reset counts as closed too). */
    boolean closedByServer() {
        try {
            return in.read() < 0;
        } catch (IOException e) {
            return true;
        }
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') break;
            if (c != '\r') b.write(c);
        }
        if (c < 0 && b.size() == 0) return null;
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
