package org.xapijava.cli.protocol;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The thin CLI protocol's encoding: the version banner, little-endian int32s, length-prefixed strings and framed
 * messages, byte for byte as Xapi's {@code cli_protocol.ml}. Stateless; streams are the caller's.
 */
public final class CliProtocol {
    /** The banner's text, sent before the two version numbers. */
    public static final byte[] PREFIX = "XenSource thin CLI protocol".getBytes(StandardCharsets.US_ASCII);

    public static final int MAJOR = 0;
    public static final int MINOR = 2;

    /** Length of the banner: the prefix and two int32s. */
    public static final int BANNER_LENGTH = PREFIX.length + 8;

    /** The largest frame either side accepts (a string list of a console URL or an error is far smaller). */
    public static final int MAX_FRAME = 16 * 1024 * 1024;

    private static final int ENVELOPE_COMMAND = 9;
    private static final int ENVELOPE_RESPONSE = 10;
    private static final int ENVELOPE_BLOB = 11;

    private static final int PRINT = 0;
    private static final int LOAD = 1;
    private static final int PROMPT = 3;
    private static final int EXIT = 4;
    private static final int CHUNK = 7;
    private static final int END = 8;
    private static final int HTTP_GET = 12;
    private static final int HTTP_PUT = 13;
    private static final int ERROR = 14;
    private static final int DEBUG = 15;
    private static final int PRINT_STDERR = 16;
    private static final int HTTP_CONNECT = 17;

    private CliProtocol() {}

    /** A peer's protocol version. */
    public record Version(int major, int minor) {
        /** Heartbeats ({@code Response Wait}) are understood from 0.2 on. */
        public boolean heartbeats() {
            return major * 10 + minor >= 2;
        }
    }

    /** The bytes of this side's banner (0.2). */
    public static byte[] banner() {
        ByteBuffer b = ByteBuffer.allocate(BANNER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        b.put(PREFIX).putInt(MAJOR).putInt(MINOR);
        return b.array();
    }

    /** The protocol's failure to read what the other side sent. */
    public static final class ProtocolException extends IOException {
        public ProtocolException(String message) {
            super(message);
        }
    }

    /**
     * Reads a peer's banner.
     *
     * @throws ProtocolException when the first bytes are not the banner's text
     * @throws EOFException when the stream ends first
     */
    public static Version readBanner(InputStream in) throws IOException {
        byte[] b = in.readNBytes(BANNER_LENGTH);
        if (b.length < PREFIX.length) throw new EOFException("the stream ended within the banner");
        if (!Arrays.equals(b, 0, PREFIX.length, PREFIX, 0, PREFIX.length))
            throw new ProtocolException("not a thin CLI protocol banner");
        if (b.length < BANNER_LENGTH) throw new EOFException("the stream ended within the banner");
        ByteBuffer v = ByteBuffer.wrap(b, PREFIX.length, 8).order(ByteOrder.LITTLE_ENDIAN);
        return new Version(v.getInt(), v.getInt());
    }

    /** The payload (without the length prefix) of {@code m}. */
    public static byte[] payload(CliMessage m) {
        Builder b = new Builder();
        switch (m) {
            case CliMessage.Command c -> {
                b.i32(ENVELOPE_COMMAND);
                command(b, c);
            }
            case CliMessage.Response r -> b.i32(ENVELOPE_RESPONSE).i32(r.tag);
            case CliMessage.Chunk c -> b.i32(ENVELOPE_BLOB).i32(CHUNK).i32(c.length());
            case CliMessage.End e -> b.i32(ENVELOPE_BLOB).i32(END);
        }
        return b.bytes();
    }

    private static void command(Builder b, CliMessage.Command c) {
        switch (c) {
            case CliMessage.Print p -> b.i32(PRINT).str(p.text());
            case CliMessage.PrintStderr p -> b.i32(PRINT_STDERR).str(p.text());
            case CliMessage.Debug d -> b.i32(DEBUG).str(d.text());
            case CliMessage.Load l -> b.i32(LOAD).str(l.filename());
            case CliMessage.Prompt p -> b.i32(PROMPT);
            case CliMessage.HttpGet g -> b.i32(HTTP_GET).str(g.filename()).str(g.url());
            case CliMessage.HttpPut p -> b.i32(HTTP_PUT).str(p.filename()).str(p.url());
            case CliMessage.HttpConnect h -> b.i32(HTTP_CONNECT).str(h.url());
            case CliMessage.Exit e -> b.i32(EXIT).i32(e.code());
            case CliMessage.Error e -> {
                b.i32(ERROR).str(e.code()).i32(e.params().size());
                for (String p : e.params()) b.str(p);
            }
        }
    }

    /** Writes {@code m} framed (length prefix and payload); does not flush. */
    public static void write(OutputStream out, CliMessage m) throws IOException {
        byte[] p = payload(m);
        out.write(le32(p.length));
        out.write(p);
    }

    /** The little-endian bytes of {@code v}. */
    public static byte[] le32(int v) {
        return new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
    }

    /**
     * Reads one framed message.
     *
     * @throws EOFException on a short read (the peer went away)
     * @throws ProtocolException on an unknown tag, a bad length or trailing bytes in the frame
     */
    public static CliMessage read(InputStream in) throws IOException {
        int length = readInt(in);
        if (length < 4 || length > MAX_FRAME) throw new ProtocolException("bad frame length " + length);
        byte[] frame = in.readNBytes(length);
        if (frame.length < length) throw new EOFException("the stream ended within a frame");
        return decode(frame);
    }

    /** Decodes one payload (without its length prefix). */
    public static CliMessage decode(byte[] payload) throws ProtocolException {
        Reader r = new Reader(payload);
        CliMessage m = switch (r.i32()) {
            case ENVELOPE_COMMAND -> decodeCommand(r);
            case ENVELOPE_RESPONSE ->
                switch (r.i32()) {
                    case 5 -> CliMessage.Response.OK;
                    case 6 -> CliMessage.Response.FAILED;
                    case 18 -> CliMessage.Response.WAIT;
                    default -> throw new ProtocolException("unknown response tag");
                };
            case ENVELOPE_BLOB ->
                switch (r.i32()) {
                    case CHUNK -> {
                        int n = r.i32();
                        if (n < 0) throw new ProtocolException("negative chunk length");
                        yield new CliMessage.Chunk(n);
                    }
                    case END -> new CliMessage.End();
                    default -> throw new ProtocolException("unknown blob tag");
                };
            default -> throw new ProtocolException("unknown message tag");
        };
        if (r.remaining() != 0) throw new ProtocolException("trailing bytes in a frame");
        return m;
    }

    private static CliMessage.Command decodeCommand(Reader r) throws ProtocolException {
        return switch (r.i32()) {
            case PRINT -> new CliMessage.Print(r.str());
            case PRINT_STDERR -> new CliMessage.PrintStderr(r.str());
            case DEBUG -> new CliMessage.Debug(r.str());
            case LOAD -> new CliMessage.Load(r.str());
            case PROMPT -> new CliMessage.Prompt();
            case HTTP_GET -> new CliMessage.HttpGet(r.str(), r.str());
            case HTTP_PUT -> new CliMessage.HttpPut(r.str(), r.str());
            case HTTP_CONNECT -> new CliMessage.HttpConnect(r.str());
            case EXIT -> new CliMessage.Exit(r.i32());
            case ERROR -> {
                String code = r.str();
                int n = r.i32();
                if (n < 0 || n > r.remaining() / 4) throw new ProtocolException("bad list length");
                List<String> params = new ArrayList<>(n);
                for (int i = 0; i < n; i++) params.add(r.str());
                yield new CliMessage.Error(code, params);
            }
            default -> throw new ProtocolException("unknown command tag");
        };
    }

    /** Reads one little-endian int32. */
    public static int readInt(InputStream in) throws IOException {
        byte[] b = in.readNBytes(4);
        if (b.length < 4) throw new EOFException("the stream ended within an int32");
        return (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24;
    }

    private static final class Builder {
        private byte[] buf = new byte[64];
        private int n;

        private void ensure(int more) {
            if (n + more > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, n + more));
        }

        Builder i32(int v) {
            ensure(4);
            buf[n++] = (byte) v;
            buf[n++] = (byte) (v >>> 8);
            buf[n++] = (byte) (v >>> 16);
            buf[n++] = (byte) (v >>> 24);
            return this;
        }

        Builder str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i32(b.length);
            ensure(b.length);
            System.arraycopy(b, 0, buf, n, b.length);
            n += b.length;
            return this;
        }

        byte[] bytes() {
            return Arrays.copyOf(buf, n);
        }
    }

    private static final class Reader {
        private final byte[] b;
        private int p;

        Reader(byte[] b) {
            this.b = b;
        }

        int remaining() {
            return b.length - p;
        }

        int i32() throws ProtocolException {
            if (remaining() < 4) throw new ProtocolException("short frame");
            int v = (b[p] & 0xff) | (b[p + 1] & 0xff) << 8 | (b[p + 2] & 0xff) << 16 | (b[p + 3] & 0xff) << 24;
            p += 4;
            return v;
        }

        String str() throws ProtocolException {
            int n = i32();
            if (n < 0 || n > remaining()) throw new ProtocolException("bad string length");
            String s = new String(b, p, n, StandardCharsets.UTF_8);
            p += n;
            return s;
        }
    }
}
