package org.xapijava.cli.client;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.xapijava.cli.protocol.CliMessage;

/**
 * The out-of-band transfers the server asks for (§1.7.2–1.7.4 of the CLI reference): each on a new connection to
 * the URL's host (an {@code https} URL) or to the server given on the command line (a path), with the same
 * transport rule and port as the CLI connection; the body only after the server's status line.
 */
final class HttpCommands {
    static final int BLOCK = 64 * 1024;

    /** The response headers the client keeps (Xapi's list). */
    private static final String[] HEADERS = {
        "content-length", "cookie", "connection", "transfer-encoding", "authorization", "location"
    };

    private final Session session;

    HttpCommands(Session session) {
        this.session = session;
    }

    /** A transfer failure the user is told about ({@code Operation failed. Error: ...}). */
    private static final class ClientSideError extends Exception {
        ClientSideError(String message) {
            super(message, null, false, false);
        }
    }

    /** Where a URL points: a host to connect to and the request path. */
    record Target(String host, String path) {}

    /**
     * An {@code https} (or {@code http}) URL's host and percent-decoded path and query; anything else (normally a
     * path such as {@code /export?...}) is sent verbatim to the command line's server. The host is reached as the
     * command line's server is (its port, TLS or {@code --nossl}): the hosts of a pool listen on the same ports.
     * Xapi's {@code xe} follows {@code https} URLs only, which is all Xapi redirects to; a host of ours answers a
     * plain-HTTP request with an {@code http} redirection (decisions.md).
     */
    static Target target(String url, String server) {
        try {
            URI u = new URI(url);
            if (("https".equals(u.getScheme()) || "http".equals(u.getScheme())) && u.getHost() != null) {
                String raw = u.getRawPath() == null ? "" : u.getRawPath();
                if (u.getRawQuery() != null) raw = raw + "?" + u.getRawQuery();
                if (raw.isEmpty()) raw = "/";
                return new Target(u.getHost(), percentDecode(raw));
            }
        } catch (URISyntaxException e) {
            // not a URL: a path on the server
        }
        return new Target(server, url);
    }

    static String percentDecode(String s) {
        if (s.indexOf('%') < 0) return s;
        ByteArrayOutputStream b = new ByteArrayOutputStream(s.length());
        byte[] in = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < in.length; i++) {
            int hi;
            int lo;
            if (in[i] == '%'
                    && i + 2 < in.length
                    && (hi = Character.digit(in[i + 1], 16)) >= 0
                    && (lo = Character.digit(in[i + 2], 16)) >= 0) {
                b.write(hi << 4 | lo);
                i += 2;
            } else {
                b.write(in[i]);
            }
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    /** §1.7.3. Returns true when the client must stop with status 1 (after {@code Operation failed}). */
    boolean get(String filename, String url) throws XeException {
        return transfer("HttpGet", () -> download(filename, url, 0));
    }

    /** One transfer of a file. */
    @FunctionalInterface
    private interface Transfer {
        void run() throws XeException, ClientSideError, IOException;
    }

    /**
     * Runs {@code t}; a client-side error is answered {@code Failed} after {@code Operation failed} (true: the client
     * stops with status 1), any other failure {@code Failed} alone (the server reads the task's error).
     */
    private boolean transfer(String what, Transfer t) throws XeException {
        try {
            t.run();
            return false;
        } catch (ClientSideError e) {
            session.send(CliMessage.Response.FAILED);
            operationFailed(e.getMessage());
            return true;
        } catch (IOException | RuntimeException e) {
            session.debug.log(what + " failure: " + e + "\n");
            session.send(CliMessage.Response.FAILED);
            return false;
        }
    }

    private void download(String filename, String url, int redirects) throws XeException, ClientSideError, IOException {
        Target t = target(url, session.options.server);
        session.debug.log("Opening connection to server '" + t.host() + "' path '" + t.path() + "'\n");
        try (Connector.Conn c = session.connector.open(t.host())) {
            c.out.write(ascii("GET " + t.path() + " HTTP/1.0\r\n\r\n"));
            c.out.flush();
            String status = readLine(c.in);
            if (status == null) throw new EOFException("no HTTP status line");
            session.debug.log("Got " + status + "\n");
            int code = statusCode(status);
            if (code == 302) {
                String location = header(readHeaders(c.in), "location");
                if (location == null) throw new IOException("a redirection without a location");
                tooManyRedirects(redirects);
                c.close();
                download(filename, location, redirects + 1);
                return;
            }
            if (code != 200) throw new IOException("Unhandled response code");
            OutputStream sink;
            Path file = null;
            if (filename.isEmpty()) {
                sink = session.stdio.out();
            } else {
                session.permitted.check(filename, true);
                file = session.file(filename);
                sink = create(file, filename);
            }
            try {
                String line;
                do {
                    line = readLine(c.in);
                    if (line == null) throw new EOFException("the headers did not end");
                } while (!line.equals("\r"));
                copy(c.in, sink);
                if (file == null && session.stdio.out().checkError()) throw new IOException("stdout is closed");
                session.send(CliMessage.Response.OK);
            } finally {
                if (file != null) sink.close();
            }
        }
    }

    /** A new file, never an existing one, readable by its owner only. */
    private static OutputStream create(Path file, String name) throws ClientSideError {
        try {
            try {
                return Channels.newOutputStream(Files.newByteChannel(
                        file,
                        Set600.OPTIONS,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))));
            } catch (UnsupportedOperationException e) {
                return Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            }
        } catch (FileAlreadyExistsException e) {
            throw new ClientSideError(name + ": File exists");
        } catch (NoSuchFileException e) {
            throw new ClientSideError(name + ": No such file or directory");
        } catch (IOException e) {
            throw new ClientSideError(name + ": " + e.getMessage());
        }
    }

    /** Holder of the open options, kept off the class's start-up path. */
    private static final class Set600 {
        static final java.util.Set<StandardOpenOption> OPTIONS =
                java.util.EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    /** §1.7.2. Returns true when the client must stop with status 1 (after {@code Operation failed}). */
    boolean put(String filename, String url) throws XeException {
        session.permitted.check(filename, false);
        return transfer("HttpPut", () -> upload(filename, url, 0));
    }

    private void upload(String filename, String url, int redirects) throws XeException, ClientSideError, IOException {
        Target t = target(url, session.options.server);
        Path file = session.file(filename);
        if (!Files.exists(file)) throw new ClientSideError("file '" + filename + "' does not exist");
        String length = Files.isRegularFile(file) ? "\r\nContent-length: " + Files.size(file) : "";
        try (InputStream fin = Files.newInputStream(file);
                Connector.Conn c = session.connector.open(t.host())) {
            session.debug.log("PUTting to path [" + t.path() + "]\n");
            c.out.write(ascii("PUT " + t.path() + " HTTP/1.0" + length + "\r\n\r\n"));
            c.out.flush();
            String status = readLine(c.in);
            if (status == null) throw new EOFException("no HTTP status line");
            List<String[]> headers = readHeaders(c.in);
            int code = statusCode(status);
            if (code == 302) {
                String location = header(headers, "location");
                if (location == null) throw new IOException("a redirection without a location");
                tooManyRedirects(redirects);
                c.close();
                fin.close();
                upload(filename, location, redirects + 1);
                return;
            }
            if (code != 200) throw new IOException("Unhandled response code");
            copy(fin, c.out);
            session.send(CliMessage.Response.OK);
        }
    }

    /** §1.7.4: the terminal relayed to the console until Ctrl-]. */
    void connect(String url) throws XeException {
        new ConsoleRelay(session, this).run(target(url, session.options.server));
    }

    private static void tooManyRedirects(int redirects) throws IOException {
        if (redirects >= 20) throw new IOException("too many redirections");
    }

    private void operationFailed(String message) {
        byte[] b = Session.utf8("Operation failed. Error: " + message + "\n");
        session.stdio.err().write(b, 0, b.length);
        session.stdio.err().flush();
    }

    /** Copies to the end in 64 KiB blocks, sending the heartbeat when due. */
    void copy(InputStream from, OutputStream to) throws IOException, XeException {
        byte[] buf = new byte[BLOCK];
        long last = System.nanoTime();
        long interval = session.heartbeatMillis * 1_000_000L;
        int n;
        while ((n = from.read(buf)) >= 0) {
            to.write(buf, 0, n);
            long now = System.nanoTime();
            if (now - last >= interval) {
                session.heartbeat();
                last = now;
            }
        }
        to.flush();
    }

    /** The code of a status line such as {@code HTTP/1.1 200 OK}. */
    static int statusCode(String line) throws IOException {
        String[] parts = line.split(" ");
        try {
            if (parts.length >= 2) return Integer.parseInt(parts[1].trim());
        } catch (NumberFormatException e) {
            // below
        }
        throw new IOException("Bad response from HTTP server");
    }

    /**
     * The headers the client knows, up to the blank line. Like Xapi's client it stops quietly at the end of the
     * stream or at a line not ending in CR.
     */
    List<String[]> readHeaders(InputStream in) throws IOException {
        List<String[]> out = new ArrayList<>();
        while (true) {
            String line = readLine(in);
            if (line == null || !line.endsWith("\r")) return out;
            line = line.substring(0, line.length() - 1);
            if (line.isEmpty()) return out;
            session.debug.log("read '" + line + "'\n");
            String lower = line.toLowerCase(java.util.Locale.ROOT);
            for (String h : HEADERS) {
                if (lower.startsWith(h + ": ")) {
                    out.add(new String[] {h, line.substring(h.length() + 2)});
                    break;
                }
            }
        }
    }

    static String header(List<String[]> headers, String name) {
        for (String[] h : headers) if (h[0].equals(name)) return h[1];
        return null;
    }

    /** A line up to {@code \n} (kept {@code \r}, dropped {@code \n}); null at the end of the stream. */
    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(128);
        int c;
        boolean any = false;
        while ((c = in.read()) >= 0) {
            any = true;
            if (c == '\n') break;
            b.write(c);
            if (b.size() > 65536) throw new IOException("an HTTP line too long");
        }
        return any ? b.toString(StandardCharsets.ISO_8859_1) : null;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
