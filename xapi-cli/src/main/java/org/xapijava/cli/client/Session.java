package org.xapijava.cli.client;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.xapijava.cli.protocol.CliMessage;
import org.xapijava.cli.protocol.CliProtocol;

/**
 * One CLI session on an open connection after the request was sent: the version handshake (§1.3 of the CLI
 * reference), then the server's commands until {@code Exit} (§1.6–1.7).
 */
final class Session {
    final XeOptions options;
    final Connector connector;
    final PermittedFiles permitted;
    final DebugLog debug;
    final Stdio stdio;
    /** How often a transfer in progress sends {@code Response Wait} (Xapi: 300 s). */
    final long heartbeatMillis;

    private final InputStream in;
    private final OutputStream out;
    private boolean heartbeats;

    Session(
            XeOptions options,
            Connector connector,
            PermittedFiles permitted,
            DebugLog debug,
            Stdio stdio,
            long heartbeatMillis,
            InputStream in,
            OutputStream out) {
        this.options = options;
        this.connector = connector;
        this.permitted = permitted;
        this.debug = debug;
        this.stdio = stdio;
        this.heartbeatMillis = heartbeatMillis;
        this.in = in;
        this.out = out;
    }

    /** Runs the session; returns the exit status the server sent. */
    int run() throws XeException {
        handshake();
        HttpCommands http = new HttpCommands(this);
        while (true) {
            CliMessage m = readMessage();
            if (debug.enabled()) debug.log("Read: " + describe(m) + "\n");
            if (m instanceof CliMessage.Print p) {
                stdout(p.text() + "\n");
            } else if (m instanceof CliMessage.PrintStderr p) {
                byte[] t = utf8(p.text());
                stdio.err().write(t, 0, t.length);
                stdio.err().flush();
            } else if (m instanceof CliMessage.Debug d) {
                debug.log("debug from server: " + d.text() + "\n");
            } else if (m instanceof CliMessage.Exit e) {
                return e.code();
            } else if (m instanceof CliMessage.Error e) {
                StringBuilder b =
                        new StringBuilder("Error code: ").append(e.code()).append("\nError parameters: ");
                for (int i = 0; i < e.params().size(); i++) {
                    if (i > 0) b.append(", ");
                    b.append(e.params().get(i));
                }
                byte[] t = utf8(b.append('\n').toString());
                stdio.err().write(t, 0, t.length);
                stdio.err().flush();
            } else if (m instanceof CliMessage.Load l) {
                load(l.filename());
            } else if (m instanceof CliMessage.Prompt) {
                prompt();
            } else if (m instanceof CliMessage.HttpGet g) {
                if (http.get(g.filename(), g.url())) return 1;
            } else if (m instanceof CliMessage.HttpPut p) {
                if (http.put(p.filename(), p.url())) return 1;
            } else if (m instanceof CliMessage.HttpConnect c) {
                http.connect(c.url());
            } else {
                throw XeException.unexpected(describe(m));
            }
        }
    }

    private void handshake() throws XeException {
        byte[] prefix;
        byte[] version;
        try {
            prefix = in.readNBytes(CliProtocol.PREFIX.length);
            if (prefix.length == 0) throw XeException.connectFailure();
            if (prefix.length < CliProtocol.PREFIX.length || !Arrays.equals(prefix, CliProtocol.PREFIX)) {
                if (looksHttp(prefix)) throw XeException.serverInternalError();
                if (prefix.length < CliProtocol.PREFIX.length) throw XeException.lostConnection();
                throw XeException.notCliServer();
            }
            version = in.readNBytes(8);
        } catch (IOException e) {
            throw readError(e);
        }
        if (version.length < 8) throw XeException.lostConnection();
        int major = le32(version, 0);
        int minor = le32(version, 4);
        String versions = "Server has protocol version " + major + "." + minor + ". Client has " + CliProtocol.MAJOR
                + "." + CliProtocol.MINOR;
        debug.log(versions + "\n");
        if (major != CliProtocol.MAJOR) throw XeException.versionMismatch(versions);
        heartbeats = new CliProtocol.Version(major, minor).heartbeats();
        try {
            out.write(CliProtocol.banner());
            out.flush();
        } catch (IOException e) {
            throw XeException.socketError(e.getMessage(), "write");
        }
    }

    /** One framed message; an HTTP-looking reply is the server's internal error (it is not a CLI server). */
    private CliMessage readMessage() throws XeException {
        try {
            byte[] head = in.readNBytes(4);
            if (head.length < 4) {
                if (looksHttp(head)) throw XeException.serverInternalError();
                throw XeException.lostConnection();
            }
            int length = le32(head, 0);
            if (length < 4 || length > CliProtocol.MAX_FRAME) {
                if (looksHttp(head)) throw XeException.serverInternalError();
                throw XeException.unhandled(new CliProtocol.ProtocolException("bad frame length " + length));
            }
            byte[] body = in.readNBytes(length);
            if (body.length < length) throw XeException.lostConnection();
            try {
                return CliProtocol.decode(body);
            } catch (CliProtocol.ProtocolException e) {
                throw XeException.unhandled(e);
            }
        } catch (IOException e) {
            throw readError(e);
        }
    }

    /** Whether {@code start} (completed to 4 bytes from the stream if shorter) begins with "HTTP", in any case. */
    private boolean looksHttp(byte[] start) throws IOException {
        byte[] b = start;
        if (b.length < 4) {
            byte[] more = in.readNBytes(4 - b.length);
            b = Arrays.copyOf(b, b.length + more.length);
            System.arraycopy(more, 0, b, start.length, more.length);
        }
        return b.length >= 4 && new String(b, 0, 4, StandardCharsets.ISO_8859_1).equalsIgnoreCase("HTTP");
    }

    private static XeException readError(IOException e) {
        if (e instanceof EOFException) return XeException.lostConnection();
        return XeException.socketError(e.getMessage(), "read");
    }

    /** Sends a response or blob header on the control connection. */
    void send(CliMessage m) throws XeException {
        try {
            CliProtocol.write(out, m);
            out.flush();
        } catch (IOException e) {
            throw XeException.socketError(e.getMessage(), "write");
        }
    }

    /** A transfer's keep-alive: {@code Response Wait}, when the server understands it (0.2 and later). */
    void heartbeat() throws XeException {
        if (heartbeats) send(CliMessage.Response.WAIT);
    }

    /** Writes to stdout; a closed stdout (a reader that went away) ends the client with status 1 and no message. */
    void stdout(String text) throws XeException {
        byte[] b = utf8(text);
        stdio.out().write(b, 0, b.length);
        stdio.out().flush();
        if (stdio.out().checkError()) throw XeException.exit(1);
    }

    /** {@code name} resolved against the working directory. */
    Path file(String name) {
        return Path.of(stdio.cwd()).resolve(name);
    }

    /** §1.7.1: the file in-band as one chunk, or {@code Failed} when it cannot be read. */
    private void load(String name) throws XeException {
        permitted.check(name, false);
        Path f = file(name);
        InputStream fin;
        long size;
        try {
            if (Files.isDirectory(f)) throw new IOException(name + ": Is a directory");
            fin = Files.newInputStream(f);
            size = Files.size(f);
            if (size > Integer.MAX_VALUE) {
                fin.close();
                throw new IOException(name + ": too large for the CLI protocol");
            }
        } catch (IOException | RuntimeException e) {
            debug.log("Load failure: " + e + "\n");
            send(CliMessage.Response.FAILED);
            return;
        }
        try (fin) {
            send(CliMessage.Response.OK);
            send(new CliMessage.Chunk((int) size));
            byte[] buf = new byte[(int) Math.min(size, 1 << 20)];
            long left = size;
            while (left > 0) {
                int n = fin.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) throw new EOFException(name + " became shorter while being read");
                try {
                    out.write(buf, 0, n);
                } catch (IOException e) {
                    throw XeException.clientSide("Failed to upload file " + name);
                }
                left -= n;
            }
            send(new CliMessage.End());
        } catch (IOException e) {
            throw XeException.clientSide("Failed to upload file " + name + ": " + e.getMessage());
        }
    }

    /** One line of stdin (without its newline) as a blob; stdin at its end is a lost connection, as in Xapi. */
    private void prompt() throws XeException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try {
            int c;
            boolean any = false;
            while ((c = stdio.in().read()) >= 0) {
                any = true;
                if (c == '\n') break;
                line.write(c);
            }
            if (!any) throw XeException.lostConnection();
        } catch (IOException e) {
            throw XeException.lostConnection();
        }
        byte[] data = line.toByteArray();
        send(new CliMessage.Chunk(data.length));
        try {
            out.write(data);
        } catch (IOException e) {
            throw XeException.socketError(e.getMessage(), "write");
        }
        send(new CliMessage.End());
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static int le32(byte[] b, int o) {
        return (b[o] & 0xff) | (b[o + 1] & 0xff) << 8 | (b[o + 2] & 0xff) << 16 | (b[o + 3] & 0xff) << 24;
    }

    /** A message as Xapi's client names it in debug output and errors. */
    static String describe(CliMessage m) {
        if (m instanceof CliMessage.Print p) return "Command Print " + p.text();
        if (m instanceof CliMessage.Debug d) return "Command Debug " + d.text();
        if (m instanceof CliMessage.Load l) return "Command Load " + l.filename();
        if (m instanceof CliMessage.HttpGet g) return "Command HttpGet " + g.url() + " -> " + g.filename();
        if (m instanceof CliMessage.HttpPut p) return "Command HttpPut " + p.url() + " -> " + p.filename();
        if (m instanceof CliMessage.HttpConnect c) return "Command HttpConnect " + c.url();
        if (m instanceof CliMessage.Prompt) return "Command Prompt";
        if (m instanceof CliMessage.Exit e) return "Command Exit " + e.code();
        if (m instanceof CliMessage.Error e)
            return "Command Error " + e.code() + " [ " + String.join("; ", e.params()) + "]";
        if (m instanceof CliMessage.PrintStderr p) return "Command PrintStderr " + p.text();
        if (m == CliMessage.Response.OK) return "Response OK";
        if (m == CliMessage.Response.WAIT) return "Response Wait";
        if (m == CliMessage.Response.FAILED) return "Response Failed";
        if (m instanceof CliMessage.Chunk c) return "Blob Chunk " + c.length();
        return "Blob End";
    }
}
