package org.xapijava.db.persist;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.xapijava.model.rpc.UnwritableTextException;
import org.xapijava.model.rpc.Utf8Check;

/**
 * Bytes of the redo log, format version 1 (see {@link RedoLog} and {@code docs/redo-log-format.md}).
 * All integers big-endian.
 *
 * <pre>
 * header:  magic "XJREDOLG" | u32 format version (1) | u64 first group (the group of the first record,
 *          or of the next record written when there is none) | u32 CRC32C of the 20 bytes before
 * record:  u32 payload length L | u32 CRC32C over (the 4 length bytes, payload) | payload (L bytes)
 * payload: u8 flags (bit 0: last record of its group write) | u64 group | u64 generation
 *          | u32 delta count | deltas
 * delta:   u8 kind (1 CreateRow, 2 DeleteRow, 3 WriteField) | str table | str ref
 *          | CreateRow: u32 n, n x (str column, str value) | WriteField: str column, str value
 * str:     u32 byte length | UTF-8 bytes
 * </pre>
 */
final class RedoLogCodec {
    static final byte[] MAGIC = {'X', 'J', 'R', 'E', 'D', 'O', 'L', 'G'};
    static final int VERSION = 1;
    /** magic, version, first group, CRC. */
    static final int HEADER_SIZE = 8 + 4 + 8 + 4;
    /** Frame: length and CRC before the payload. */
    static final int FRAME_OVERHEAD = 8;
    /** flags, group, generation, delta count. */
    static final int MIN_PAYLOAD = 1 + 8 + 8 + 4;
    /** A bigger length field can only be damage (a real batch is far smaller than this). */
    static final int MAX_PAYLOAD = 1 << 30;

    static final int FLAG_END_OF_GROUP = 1;

    static final byte KIND_CREATE = 1;
    static final byte KIND_DELETE = 2;
    static final byte KIND_WRITE = 3;

    private RedoLogCodec() {}

    static ByteBuffer header(long firstGroup) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE);
        b.put(MAGIC).putInt(VERSION).putLong(firstGroup);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 20);
        b.putInt((int) crc.getValue()).flip();
        return b;
    }

    /** A decoded header. */
    record Header(int version, long firstGroup) {}

    /** Checks magic, then version, then completeness and checksum (so a newer format says so). */
    static Header parseHeader(ByteBuffer b, String file) throws RedoLogFormatException {
        for (int i = 0; i < MAGIC.length; i++) {
            if (i >= b.limit() || b.get(i) != MAGIC[i]) {
                throw new RedoLogFormatException(file, 0, "not a redo log (wrong magic)");
            }
        }
        if (b.limit() < 12) {
            throw new RedoLogFormatException(file, 8, "truncated redo log header");
        }
        int version = b.getInt(8);
        if (version != VERSION) {
            throw new RedoLogFormatException(
                    file,
                    8,
                    "unsupported redo log format version " + version + " (this build reads version " + VERSION + ")");
        }
        if (b.limit() < HEADER_SIZE) {
            throw new RedoLogFormatException(file, 12, "truncated redo log header");
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), b.arrayOffset(), 20);
        if ((int) crc.getValue() != b.getInt(20)) {
            throw new RedoLogFormatException(file, 20, "redo log header checksum mismatch");
        }
        return new Header(version, b.getLong(12));
    }

    /**
     * Refuses a batch holding a string that the database refuses ({@link Utf8Check#firstUnstorable}): the
     * encoder could only write such a string altered (an unpaired surrogate) or as a value a load refuses.
     *
     * @throws UnwritableTextException naming the table, row and column
     */
    static void checkWritable(DeltaBatch batch) {
        for (Delta d : batch.deltas()) {
            switch (d) {
                case Delta.CreateRow c -> {
                    check(c.table(), c.ref(), "_ref", c.ref());
                    for (Map.Entry<String, String> e : c.columns().entrySet()) {
                        check(c.table(), c.ref(), e.getKey(), e.getKey());
                        check(c.table(), c.ref(), e.getKey(), e.getValue());
                    }
                }
                case Delta.DeleteRow x -> check(x.table(), x.ref(), "_ref", x.ref());
                case Delta.WriteField w -> {
                    check(w.table(), w.ref(), "_ref", w.ref());
                    check(w.table(), w.ref(), w.column(), w.value());
                }
            }
        }
    }

    private static void check(String table, String ref, String column, String s) {
        if (Utf8Check.firstUnstorable(s) >= 0) {
            throw new UnwritableTextException(
                    "the redo log writer (table " + table + ", row " + ref + ", column " + column + ")", s);
        }
    }

    /** Encodes records into a growing buffer; one per writer thread (holds a CharsetEncoder). */
    static final class Encoder {
        private ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        private final CharsetEncoder utf8 = StandardCharsets.UTF_8
                .newEncoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE)
                .replaceWith(new byte[] {(byte) 0xEF, (byte) 0xBF, (byte) 0xBD});
        private final CRC32C crc = new CRC32C();

        void clear() {
            buf.clear();
        }

        /** The bytes encoded since {@link #clear}, ready to write. */
        ByteBuffer flip() {
            buf.flip();
            return buf;
        }

        int size() {
            return buf.position();
        }

        /** Appends one framed record; returns its offset within the buffer. */
        int record(DeltaBatch batch, long group, boolean endOfGroup) {
            int start = buf.position();
            ensure(FRAME_OVERHEAD + MIN_PAYLOAD);
            buf.position(start + FRAME_OVERHEAD);
            buf.put((byte) (endOfGroup ? FLAG_END_OF_GROUP : 0))
                    .putLong(group)
                    .putLong(batch.generation())
                    .putInt(batch.deltas().size());
            for (Delta d : batch.deltas()) {
                ensure(1);
                switch (d) {
                    case Delta.CreateRow c -> {
                        buf.put(KIND_CREATE);
                        str(c.table());
                        str(c.ref());
                        ensure(4);
                        buf.putInt(c.columns().size());
                        for (Map.Entry<String, String> e : c.columns().entrySet()) {
                            str(e.getKey());
                            str(e.getValue());
                        }
                    }
                    case Delta.DeleteRow x -> {
                        buf.put(KIND_DELETE);
                        str(x.table());
                        str(x.ref());
                    }
                    case Delta.WriteField w -> {
                        buf.put(KIND_WRITE);
                        str(w.table());
                        str(w.ref());
                        str(w.column());
                        str(w.value());
                    }
                }
            }
            int payload = buf.position() - start - FRAME_OVERHEAD;
            if (payload > MAX_PAYLOAD) {
                throw new IllegalArgumentException(
                        "batch of generation " + batch.generation() + " too large for the redo log");
            }
            buf.putInt(start, payload);
            crc.reset();
            crc.update(buf.array(), start, 4);
            crc.update(buf.array(), start + FRAME_OVERHEAD, payload);
            buf.putInt(start + 4, (int) crc.getValue());
            return start;
        }

        /** Sets the end-of-group flag of the record at {@code offset} (fixing its CRC). */
        void markEndOfGroup(int offset) {
            byte[] a = buf.array();
            int payload = buf.getInt(offset);
            a[offset + FRAME_OVERHEAD] |= FLAG_END_OF_GROUP;
            crc.reset();
            crc.update(a, offset, 4);
            crc.update(a, offset + FRAME_OVERHEAD, payload);
            buf.putInt(offset + 4, (int) crc.getValue());
        }

        private void str(String s) {
            // UTF-8 needs at most 3 bytes per UTF-16 unit (a surrogate pair: 4 bytes for 2 units)
            ensure(4 + s.length() * 3);
            int lenAt = buf.position();
            buf.position(lenAt + 4);
            utf8.reset();
            utf8.encode(CharBuffer.wrap(s), buf, true);
            utf8.flush(buf);
            buf.putInt(lenAt, buf.position() - lenAt - 4);
        }

        private void ensure(int n) {
            if (buf.remaining() < n) {
                int cap = buf.capacity();
                while (cap - buf.position() < n) {
                    cap *= 2;
                }
                ByteBuffer bigger = ByteBuffer.allocate(cap);
                buf.flip();
                bigger.put(buf);
                buf = bigger;
            }
        }
    }

    /** One decoded record. */
    record Record(long offset, int length, int flags, long group, DeltaBatch batch) {
        boolean endOfGroup() {
            return (flags & FLAG_END_OF_GROUP) != 0;
        }

        long end() {
            return offset + FRAME_OVERHEAD + length;
        }
    }

    /**
     * Checks the frame at {@code at} in {@code b} (absolute file offset {@code fileOffset} of
     * {@code b}'s position 0) and decodes it; {@code null} when it is incomplete, has a bad length or
     * CRC, or does not decode.
     */
    static Record tryDecode(ByteBuffer b, int at, long fileOffset) {
        if (b.limit() - at < FRAME_OVERHEAD) {
            return null;
        }
        int len = b.getInt(at);
        if (len < MIN_PAYLOAD || len > MAX_PAYLOAD || (long) b.limit() - at - FRAME_OVERHEAD < len) {
            return null;
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), b.arrayOffset() + at, 4);
        crc.update(b.array(), b.arrayOffset() + at + FRAME_OVERHEAD, len);
        if ((int) crc.getValue() != b.getInt(at + 4)) {
            return null;
        }
        try {
            return decodePayload(b.slice(at + FRAME_OVERHEAD, len), fileOffset + at, len);
        } catch (RuntimeException e) {
            return null; // CRC matched but the content does not decode: damage (or a CRC collision)
        }
    }

    private static Record decodePayload(ByteBuffer p, long offset, int len) {
        int flags = p.get() & 0xff;
        if ((flags & ~FLAG_END_OF_GROUP) != 0) {
            throw new IllegalArgumentException("unknown flags");
        }
        long group = p.getLong();
        long generation = p.getLong();
        int n = p.getInt();
        if (n < 0 || n > p.remaining()) {
            throw new IllegalArgumentException("bad delta count");
        }
        List<Delta> deltas = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            byte kind = p.get();
            String table = str(p);
            String ref = str(p);
            switch (kind) {
                case KIND_CREATE -> {
                    int m = p.getInt();
                    if (m < 0 || m > p.remaining()) {
                        throw new IllegalArgumentException("bad column count");
                    }
                    Map<String, String> cols = new HashMap<>(Math.max(4, m * 4 / 3 + 1));
                    for (int j = 0; j < m; j++) {
                        cols.put(str(p), str(p));
                    }
                    deltas.add(new Delta.CreateRow(table, ref, cols));
                }
                case KIND_DELETE -> deltas.add(new Delta.DeleteRow(table, ref));
                case KIND_WRITE -> deltas.add(new Delta.WriteField(table, ref, str(p), str(p)));
                default -> throw new IllegalArgumentException("unknown delta kind " + kind);
            }
        }
        if (p.hasRemaining()) {
            throw new IllegalArgumentException("trailing bytes in record");
        }
        return new Record(offset, len, flags, group, new DeltaBatch(generation, deltas));
    }

    private static String str(ByteBuffer p) {
        int n = p.getInt();
        if (n < 0 || n > p.remaining()) {
            throw new IllegalArgumentException("bad string length");
        }
        String s;
        if (p.hasArray()) {
            s = new String(p.array(), p.arrayOffset() + p.position(), n, StandardCharsets.UTF_8);
        } else {
            byte[] tmp = new byte[n];
            p.get(p.position(), tmp);
            s = new String(tmp, StandardCharsets.UTF_8);
        }
        p.position(p.position() + n);
        return s;
    }
}
