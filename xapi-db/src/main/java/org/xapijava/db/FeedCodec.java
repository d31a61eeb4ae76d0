package org.xapijava.db;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.db.internal.Row;
import org.xapijava.db.internal.Schema;
import org.xapijava.db.internal.Schema.TableSchema;
import org.xapijava.db.internal.Tombstones.Tomb;
import org.xapijava.model.Datamodel;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.XType;

/**
 * The wire form of a {@link FeedBatch}: a compact binary encoding, typed by the datamodel, that gives back exactly
 * the values it was given (floats by their bits, datetimes with or without zone, map and set order, None options,
 * any Java string). Encoding streams rows to the output as it goes and decoding reads the input in small buffers:
 * neither holds the bytes of a whole batch.
 *
 * <pre>
 * batch  = "XJF" 1 (version) fingerprint:u64 epoch:str since:zz to:zz full:u8 nparts:uv part* 0x2E
 * part   = table:str tombLen:uv tombDropped:zz ndel:uv (ref:str created:zz deleted:zz)*
 *          nnames:uv (label:str n:uv ref:str*)* nrows:uv (ref:str created:zz modified:zz value*)*
 * value  = by column type, columns in datamodel database order: string/enum/ref str; int zz; float 8 bytes of
 *          its IEEE bits, big-endian; bool u8; datetime zz (local seconds since 1970 as UTC) u8 (1: zz offset
 *          seconds follows, 0: no zone); set uv value*; map uv (key value)*; option u8 (0 None, 1 value)
 * str    = uv 0 for null, else 1 + number of UTF-16 chars, then each char in 1 to 3 bytes (as UTF-8 encodes a
 *          code point below U+10000; surrogates each on their own)
 * uv     = unsigned LEB128; zz = zigzag then uv
 * </pre>
 *
 * The fingerprint hashes every table's name and columns with their types: a batch from a master with another
 * datamodel is refused. Thread-safe (stateless apart from the schema).
 */
public final class FeedCodec {
    private static final byte[] MAGIC = {'X', 'J', 'F', 1};
    private static final int END = 0x2E;
    /** Larger counts or strings mean a damaged stream (a whole pool is far below this). */
    private static final int MAX_COUNT = 1 << 28;

    private final Schema schema;
    private final long fingerprint;

    public FeedCodec(Datamodel dm) {
        this.schema = new Schema(dm);
        long h = 0xcbf29ce484222325L; // FNV-1a 64
        for (TableSchema ts : schema.tables) {
            StringBuilder b = new StringBuilder(ts.name).append('{');
            for (int i = 0; i < ts.columns.length; i++)
                b.append(ts.columns[i]).append(':').append(ts.types[i]).append(';');
            for (char c : b.append('}').toString().toCharArray()) {
                h ^= c;
                h *= 0x100000001b3L;
            }
        }
        this.fingerprint = h;
    }

    /** Writes {@code b} to {@code os} (flushed, not closed). */
    public void encode(FeedBatch b, OutputStream os) throws IOException {
        Out o = new Out(os);
        o.bytes(MAGIC);
        o.u64(fingerprint);
        o.str(b.epoch);
        o.zz(b.since);
        o.zz(b.to);
        o.u8(b.full ? 1 : 0);
        o.uv(b.parts.size());
        for (FeedBatch.Part p : b.parts) {
            TableSchema ts = schema.tableOrThrow(p.table());
            o.str(ts.name);
            o.uv(p.tombLen());
            o.zz(p.tombDropped());
            o.uv(p.deleted().size());
            for (Tomb t : p.deleted()) {
                o.str(t.ref());
                o.zz(t.created());
                o.zz(t.deleted());
            }
            o.uv(p.names().size());
            for (Map.Entry<String, List<String>> e : p.names().entrySet()) {
                o.str(e.getKey());
                o.uv(e.getValue().size());
                for (String r : e.getValue()) o.str(r);
            }
            o.uv(p.rows().size());
            for (Row r : p.rows()) {
                o.str(r.ref());
                o.zz(r.created());
                o.zz(r.modified());
                Object[] vs = r.values();
                for (int i = 0; i < vs.length; i++) {
                    try {
                        value(o, ts.types[i], vs[i]);
                    } catch (RuntimeException e) {
                        throw new IllegalStateException(
                                "cannot encode " + ts.name + "." + ts.columns[i] + " of " + r.ref() + ": " + e, e);
                    }
                }
            }
        }
        o.u8(END);
        o.flush();
    }

    /**
     * Reads one batch from {@code in} (exactly its bytes: what follows stays unread only up to the codec's
     * buffering, so give it a stream holding one batch).
     *
     * @throws IOException when the stream ends early, is damaged, or comes from a master with another datamodel
     */
    public FeedBatch decode(InputStream in) throws IOException {
        In i = new In(in);
        for (byte m : MAGIC) if (i.u8() != (m & 0xFF)) throw new IOException("not a replica feed batch (bad magic)");
        if (i.u64() != fingerprint)
            throw new IOException("replica feed batch from a master with another datamodel (schema fingerprint)");
        String epoch = i.str();
        long since = i.zz();
        long to = i.zz();
        boolean full = i.u8() != 0;
        int nparts = i.count();
        List<FeedBatch.Part> parts = new ArrayList<>(nparts);
        for (int k = 0; k < nparts; k++) {
            String name = i.str();
            TableSchema ts = name == null ? null : schema.table(name);
            if (ts == null) throw new IOException("replica feed batch names unknown table " + name);
            int tombLen = i.count();
            long tombDropped = i.zz();
            int ndel = i.count();
            List<Tomb> deleted = new ArrayList<>(Math.min(ndel, 4096));
            for (int d = 0; d < ndel; d++) {
                String ref = i.str();
                long created = i.zz();
                deleted.add(new Tomb(created, i.zz(), ref, null));
            }
            int nnames = i.count();
            Map<String, List<String>> names = new HashMap<>();
            for (int n = 0; n < nnames; n++) {
                String label = i.str();
                int c = i.count();
                List<String> refs = new ArrayList<>(Math.min(c, 4096));
                for (int r = 0; r < c; r++) refs.add(i.str());
                names.put(label, List.copyOf(refs));
            }
            int nrows = i.count();
            List<Row> rows = new ArrayList<>(Math.min(nrows, 65536));
            for (int r = 0; r < nrows; r++) {
                String ref = i.str();
                long created = i.zz();
                long modified = i.zz();
                Object[] vs = new Object[ts.types.length];
                for (int c = 0; c < vs.length; c++) vs[c] = value(i, ts.types[c]);
                rows.add(new Row(ref, created, modified, vs));
            }
            parts.add(new FeedBatch.Part(ts.name, rows, deleted, names, tombLen, tombDropped));
        }
        if (i.u8() != END) throw new IOException("replica feed batch does not end where it should");
        return new FeedBatch(epoch, since, to, full, parts);
    }

    // ------------------------------------------------------------------ values

    private static void value(Out o, XType t, Object v) throws IOException {
        switch (t) {
            case XType.Prim p -> {
                switch (p.kind()) {
                    case STRING, VOID -> o.str((String) v);
                    case INT -> o.zz((Long) v);
                    case FLOAT -> o.u64(Double.doubleToRawLongBits((Double) v));
                    case BOOL -> o.u8(((Boolean) v) ? 1 : 0);
                    case DATETIME -> {
                        DateTime d = (DateTime) v;
                        o.zz(d.local().toEpochSecond(ZoneOffset.UTC));
                        if (d.offset() == null) {
                            o.u8(0);
                        } else {
                            o.u8(1);
                            o.zz(d.offset().getTotalSeconds());
                        }
                    }
                }
            }
            case XType.EnumType e -> o.str((String) v);
            case XType.RefType r -> o.str((String) v);
            case XType.SetType s -> {
                List<?> l = (List<?>) v;
                o.uv(l.size());
                for (Object x : l) value(o, s.element(), x);
            }
            case XType.MapType m -> {
                Map<?, ?> mv = (Map<?, ?>) v;
                o.uv(mv.size());
                for (Map.Entry<?, ?> e : mv.entrySet()) {
                    value(o, m.key(), e.getKey());
                    value(o, m.value(), e.getValue());
                }
            }
            case XType.OptionType op -> {
                if (v == null) {
                    o.u8(0);
                } else {
                    o.u8(1);
                    value(o, op.inner(), v);
                }
            }
            case XType.RecordType r -> throw new IllegalArgumentException("records are not stored in the database");
        }
    }

    private static Object value(In i, XType t) throws IOException {
        return switch (t) {
            case XType.Prim p ->
                switch (p.kind()) {
                    case STRING, VOID -> i.str();
                    case INT -> i.zz();
                    case FLOAT -> Double.longBitsToDouble(i.u64());
                    case BOOL -> i.u8() != 0;
                    case DATETIME -> {
                        LocalDateTime local = LocalDateTime.ofEpochSecond(i.zz(), 0, ZoneOffset.UTC);
                        ZoneOffset off = i.u8() == 0 ? null : ZoneOffset.ofTotalSeconds(Math.toIntExact(i.zz()));
                        yield new DateTime(local, off);
                    }
                };
            case XType.EnumType e -> i.str();
            case XType.RefType r -> i.str();
            case XType.SetType s -> {
                int n = i.count();
                if (n == 0) yield List.of();
                List<Object> out = new ArrayList<>(Math.min(n, 4096));
                for (int k = 0; k < n; k++) out.add(value(i, s.element()));
                yield Collections.unmodifiableList(out);
            }
            case XType.MapType m -> {
                int n = i.count();
                if (n == 0) yield Map.of();
                Map<Object, Object> out = new LinkedHashMap<>();
                for (int k = 0; k < n; k++) {
                    Object key = value(i, m.key());
                    if (out.put(key, value(i, m.value())) != null || out.size() != k + 1)
                        throw new IOException("replica feed batch repeats a map key");
                }
                yield Collections.unmodifiableMap(out);
            }
            case XType.OptionType op -> i.u8() == 0 ? null : value(i, op.inner());
            case XType.RecordType r -> throw new IOException("records are not stored in the database");
        };
    }

    // ------------------------------------------------------------------ bytes

    /** A buffered writer of the primitive forms (no synchronization: one batch, one thread). */
    private static final class Out {
        private final OutputStream os;
        private byte[] buf = new byte[1 << 16];
        private int pos;

        Out(OutputStream os) {
            this.os = os;
        }

        private void room(int n) throws IOException {
            if (pos + n <= buf.length) return;
            os.write(buf, 0, pos);
            pos = 0;
            if (n > buf.length) buf = new byte[n];
        }

        void flush() throws IOException {
            os.write(buf, 0, pos);
            pos = 0;
            os.flush();
        }

        void bytes(byte[] b) throws IOException {
            room(b.length);
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
        }

        void u8(int v) throws IOException {
            room(1);
            buf[pos++] = (byte) v;
        }

        void u64(long v) throws IOException {
            room(8);
            for (int s = 56; s >= 0; s -= 8) buf[pos++] = (byte) (v >>> s);
        }

        void uv(long v) throws IOException {
            room(10);
            while ((v & ~0x7FL) != 0) {
                buf[pos++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            buf[pos++] = (byte) v;
        }

        void zz(long v) throws IOException {
            uv((v << 1) ^ (v >> 63));
        }

        void str(String s) throws IOException {
            if (s == null) {
                uv(0);
                return;
            }
            int n = s.length();
            uv(n + 1L);
            room(3 * n);
            byte[] b = buf;
            int p = pos;
            for (int k = 0; k < n; k++) {
                char c = s.charAt(k);
                if (c < 0x80) {
                    b[p++] = (byte) c;
                } else if (c < 0x800) {
                    b[p++] = (byte) (0xC0 | (c >> 6));
                    b[p++] = (byte) (0x80 | (c & 0x3F));
                } else {
                    b[p++] = (byte) (0xE0 | (c >> 12));
                    b[p++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                    b[p++] = (byte) (0x80 | (c & 0x3F));
                }
            }
            pos = p;
        }
    }

    /** A buffered reader of the primitive forms. */
    private static final class In {
        private final InputStream is;
        private final byte[] buf = new byte[1 << 16];
        private int pos;
        private int lim;

        In(InputStream is) {
            this.is = is;
        }

        int u8() throws IOException {
            if (pos == lim) {
                lim = is.read(buf, 0, buf.length);
                pos = 0;
                if (lim <= 0) {
                    lim = 0;
                    throw new EOFException("replica feed batch ends early");
                }
            }
            return buf[pos++] & 0xFF;
        }

        long u64() throws IOException {
            long v = 0;
            for (int k = 0; k < 8; k++) v = (v << 8) | u8();
            return v;
        }

        long uv() throws IOException {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                int b = u8();
                v |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) return v;
            }
            throw new IOException("replica feed batch holds a malformed number");
        }

        long zz() throws IOException {
            long v = uv();
            return (v >>> 1) ^ -(v & 1);
        }

        int count() throws IOException {
            long n = uv();
            if (n < 0 || n > MAX_COUNT) throw new IOException("replica feed batch holds a count of " + n);
            return (int) n;
        }

        String str() throws IOException {
            int n1 = count();
            if (n1 == 0) return null;
            int n = n1 - 1;
            if (lim - pos >= n) { // fast path: all ASCII inside the buffer
                int k = 0;
                while (k < n && buf[pos + k] >= 0) k++;
                if (k == n) {
                    String s = new String(buf, pos, n, java.nio.charset.StandardCharsets.ISO_8859_1);
                    pos += n;
                    return s;
                }
            }
            char[] cs = new char[n];
            for (int k = 0; k < n; k++) {
                int b = u8();
                if (b < 0x80) {
                    cs[k] = (char) b;
                } else if (b < 0xE0) {
                    cs[k] = (char) (((b & 0x1F) << 6) | (cont()));
                } else {
                    int b2 = cont();
                    cs[k] = (char) (((b & 0x0F) << 12) | (b2 << 6) | cont());
                }
            }
            return new String(cs);
        }

        private int cont() throws IOException {
            int b = u8();
            if ((b & 0xC0) != 0x80) throw new IOException("replica feed batch holds a malformed string");
            return b & 0x3F;
        }
    }
}
