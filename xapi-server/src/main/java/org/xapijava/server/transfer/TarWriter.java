package org.xapijava.server.transfer;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Tar members as Xapi writes them (ocaml-tar's {@code Header.make} defaults, reference xapi-core.md §10.1): V7
 * headers without the {@code ustar} magic, mode 0400, uid and gid 0, mtime 0, regular files; data padded to 512
 * bytes; the end is two zero blocks. Written by hand: a tar library writes ustar or GNU headers, not these. Not
 * thread-safe.
 */
final class TarWriter {
    private static final int BLOCK = 512;

    private final OutputStream out;
    private final Direct direct;

    /** Where a member's data held in a direct buffer goes without a copy into the heap (the response itself). */
    interface Direct {
        /** Writes {@code b}'s remaining bytes; returns once they are written. */
        void write(ByteBuffer b) throws IOException;
    }

    TarWriter(OutputStream out) {
        this(out, null);
    }

    /**
     * Members written to {@code out}; data in a direct buffer to {@code direct} when not null (after {@code out} is
     * flushed), which must be where {@code out} writes, uncompressed.
     */
    TarWriter(OutputStream out, Direct direct) {
        this.out = out;
        this.direct = direct;
    }

    /** A regular file {@code name} holding the first {@code n} bytes of {@code data} (its position and limit kept). */
    void file(String name, ByteBuffer data, int n) throws IOException {
        out.write(header(name, n, 0));
        if (direct != null) {
            out.flush();
            direct.write(data.slice(0, n));
        } else {
            byte[] copy = new byte[Math.min(n, 1 << 16)];
            for (int done = 0; done < n; done += copy.length) {
                int k = Math.min(copy.length, n - done);
                data.get(done, copy, 0, k);
                out.write(copy, 0, k);
            }
        }
        pad(n);
    }

    /** A regular file {@code name} holding the first {@code n} bytes of {@code data}. */
    void file(String name, byte[] data, int n) throws IOException {
        file(name, data, n, 0);
    }

    /** A regular file {@code name} holding the first {@code n} bytes of {@code data}, modified at {@code mtime}. */
    void file(String name, byte[] data, int n, long mtime) throws IOException {
        out.write(header(name, n, mtime));
        out.write(data, 0, n);
        pad(n);
    }

    private void pad(int n) throws IOException {
        int pad = (BLOCK - n % BLOCK) % BLOCK;
        if (pad > 0) out.write(new byte[pad]);
    }

    /** Two zero blocks. */
    void end() throws IOException {
        out.write(new byte[2 * BLOCK]);
    }

    /** A V7 header: name, mode, uid, gid, size, mtime, checksum, type '0'. */
    static byte[] header(String name, long size, long mtime) {
        byte[] h = new byte[BLOCK];
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        if (n.length > 100) throw new IllegalArgumentException("tar member name over 100 bytes: " + name);
        System.arraycopy(n, 0, h, 0, n.length);
        octal(h, 100, 8, 0400);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        octal(h, 124, 12, size);
        octal(h, 136, 12, mtime);
        h[156] = '0';
        for (int i = 148; i < 156; i++) h[i] = ' ';
        long sum = 0;
        for (byte b : h) sum += b & 0xff;
        String s = String.format("%06o", sum);
        System.arraycopy(s.getBytes(StandardCharsets.US_ASCII), 0, h, 148, 6);
        h[154] = 0;
        h[155] = ' ';
        return h;
    }

    /** {@code value} in octal, zero-padded to {@code len - 1} digits and NUL-terminated. */
    private static void octal(byte[] h, int at, int len, long value) {
        String s = Long.toOctalString(value);
        String padded = "0".repeat(Math.max(0, len - 1 - s.length())) + s;
        System.arraycopy(padded.getBytes(StandardCharsets.US_ASCII), 0, h, at, len - 1);
        h[at + len - 1] = 0;
    }
}
