package org.xapijava.cli.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.xapijava.cli.protocol.CliMessage;
import org.xapijava.cli.protocol.CliProtocol;

/**
 * The server's end of one CLI connection after the handshake: commands out, responses and blobs in. Used by one
 * command at a time (the request's thread, plus a transfer's watcher thread for {@link #awaitTransfer}).
 */
public final class CliConnection {
    /** Xapi's {@code max_cli_upload_bytes}: the most a client may send in-band (Load, Prompt). */
    public static final int MAX_UPLOAD = 32 * 1024 * 1024;

    private final InputStream in;
    private final OutputStream out;

    public CliConnection(InputStream in, OutputStream out) {
        this.in = in;
        this.out = out;
    }

    /** Sends one command and flushes. */
    public void send(CliMessage.Command c) {
        try {
            synchronized (out) {
                CliProtocol.write(out, c);
                out.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void print(String text) {
        send(new CliMessage.Print(text));
    }

    public void printStderr(String text) {
        send(new CliMessage.PrintStderr(text));
    }

    /** Reads one message from the client. */
    public CliMessage receive() throws IOException {
        return CliProtocol.read(in);
    }

    /**
     * Asks the client for a file named on its command line ({@code Load}).
     *
     * @return its bytes, or null when the client answered {@code Failed} (it could not open it)
     */
    public byte[] load(String filename) throws IOException {
        send(new CliMessage.Load(filename));
        CliMessage r = receive();
        if (r == CliMessage.Response.FAILED) return null;
        if (r != CliMessage.Response.OK) throw new CliProtocol.ProtocolException("Thin CLI protocol error");
        return readBlob();
    }

    /** Asks the client for a line of its terminal ({@code Prompt}). */
    public String prompt() throws IOException {
        send(new CliMessage.Prompt());
        return new String(readBlob(), StandardCharsets.UTF_8);
    }

    /** Xapi's {@code user_says_yes}: asks, reads, and says what was typed when it is not {@code yes}. */
    public boolean userSaysYes() throws IOException {
        print("Type 'yes' to continue");
        String answer = prompt();
        boolean yes = answer.strip().toLowerCase(Locale.ROOT).equals("yes");
        if (!yes) print("Aborted (you typed: '" + answer + "')");
        return yes;
    }

    /** Chunks until End, at most {@link #MAX_UPLOAD} bytes in all. */
    private byte[] readBlob() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        while (true) {
            CliMessage m = receive();
            if (m instanceof CliMessage.End) return buf.toByteArray();
            if (!(m instanceof CliMessage.Chunk c)) throw new CliProtocol.ProtocolException("Thin CLI protocol error");
            if ((long) buf.size() + c.length() > MAX_UPLOAD) {
                throw new CliProtocol.ProtocolException("Fatal error: A CLI client tried to transfer more than the"
                        + " maximum allowed of " + MAX_UPLOAD + "B, aborting.");
            }
            byte[] data = in.readNBytes(c.length());
            if (data.length < c.length()) throw new java.io.EOFException("the client went away within a blob");
            buf.write(data);
        }
    }

    /**
     * Sends an {@code HttpGet}/{@code HttpPut}/{@code HttpConnect} and waits for the client's verdict, reading past
     * its heartbeats.
     *
     * @return {@code OK} or {@code FAILED}
     */
    public CliMessage.Response awaitTransfer(CliMessage.Command transfer) throws IOException {
        send(transfer);
        while (true) {
            CliMessage m = receive();
            if (m == CliMessage.Response.WAIT) continue;
            if (m instanceof CliMessage.Response r) return r;
            throw new CliProtocol.ProtocolException("Thin CLI protocol error");
        }
    }
}
