package org.xapijava.db.persist;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.xapijava.model.rpc.UnwritableTextException;
import org.xapijava.model.rpc.Utf8Check;
import org.xapijava.model.util.AtomicFiles;

/**
 * Writes a {@link DbImage} as Xapi's {@code state.db}, byte for byte as Xapi's {@code Db_xml.To} with
 * Xmlm's default output does:
 *
 * <ul>
 *   <li>{@code <?xml version="1.0" encoding="UTF-8"?>} and a newline, then the whole document on one
 *       line, without trailing newline; elements without children written {@code <x .../>};
 *   <li>{@code <database><manifest>} with the pairs {@code schema_major_vsn}, {@code schema_minor_vsn},
 *       {@code generation_count}; then every table in ascending byte order of names, non-persistent
 *       tables empty ({@code <table name="session"/>});
 *   <li>rows in ascending byte order of refs, each {@code <row ref=".." __ctime=".." __mtime=".." ../>}
 *       followed by every column (including {@code _ref}) in ascending byte order of column names;
 *   <li>attribute values as Xmlm escapes them: {@code < > & "} as entities, {@code '} kept; column values (only those: not the ref,
 *       the times, table names or the manifest) first pass Xapi's whitespace protection
 *       ({@code ' '→%.}, TAB{@code →%t}, LF{@code →%n}, CR{@code →%r}, {@code %→%%}).
 * </ul>
 *
 * <p>The bytes are encoded to UTF-8 by hand into one reused buffer and streamed to the file: no
 * intermediate strings, no {@code Writer}. A string holding a character the database refuses
 * ({@link Utf8Check#firstUnstorable}: control characters other than TAB, LF, CR, unpaired surrogates,
 * noncharacters) is refused with an {@link UnwritableTextException} naming the table, row and column,
 * and no file is replaced: Xmlm would write U+FFFD for a control character (a silently changed value)
 * and U+FFFE/U+FFFF as they are (a file no XML reader loads), so a {@code state.db} this writer
 * writes always loads with the same values.
 *
 * <p>{@link #write(DbImage, Path)} replaces the file atomically (temporary file, fsync, rename, fsync
 * of the directory) and then writes {@code <path>.generation} the same way, as Xapi's
 * {@code Backend_xml.flush}. Stateless and thread-safe; callers serialize writes to one path.
 */
public final class StateDbWriter {
    /** Buffer flushed to the file whenever it fills: large enough that a write syscall moves a lot. */
    private static final int BUFFER_SIZE = 1 << 20;
    /** The most bytes one UTF-16 char can become here ({@code &quot;}); the buffer keeps that much free. */
    private static final int MAX_BYTES_PER_CHAR = 6;

    private static final byte[] DECLARATION =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n".getBytes(StandardCharsets.US_ASCII);

    private static final String WRITER = "the state.db writer";

    private StateDbWriter() {}

    /** Writes {@code image} to {@code path} (uncompressed) and its {@code .generation} file, atomically. */
    public static void write(DbImage image, Path path) throws IOException {
        write(image, path, false);
    }

    /**
     * Writes {@code image} to {@code path} and then {@code <path>.generation}, each atomically and
     * durably. With {@code compress} the XML is gzip-compressed, as Xapi's {@code compress:true}.
     */
    public static void write(DbImage image, Path path, boolean compress) throws IOException {
        AtomicFiles.replace(path, ch -> {
            OutputStream raw = new ChannelOutput(ch);
            if (compress) {
                try (GZIPOutputStream gz = new GZIPOutputStream(new NonClosing(raw), 1 << 16)) {
                    writeTo(image, gz);
                }
            } else {
                writeTo(image, raw);
            }
        });
        writeGeneration(generationPath(path), image.generation());
    }

    /** The sibling file holding the generation count of {@code dbPath}: {@code <dbPath>.generation}. */
    public static Path generationPath(Path dbPath) {
        return dbPath.resolveSibling(dbPath.getFileName().toString() + ".generation");
    }

    private static void writeGeneration(Path genPath, long generation) throws IOException {
        byte[] bytes = Long.toString(generation).getBytes(StandardCharsets.US_ASCII);
        AtomicFiles.replace(genPath, ch -> {
            ByteBuffer bb = ByteBuffer.wrap(bytes);
            while (bb.hasRemaining()) {
                ch.write(bb);
            }
        });
    }

    /** The document's bytes, for tests and for serving a dump over HTTP. */
    public static byte[] toBytes(DbImage image) {
        java.io.ByteArrayOutputStream bos = new java.io.ByteArrayOutputStream(1 << 16);
        try {
            writeTo(image, bos);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bos.toByteArray();
    }

    /** Streams the document to {@code out} (not closed, flushed). */
    public static void writeTo(DbImage image, OutputStream out) throws IOException {
        new Encoder(out).document(image);
        out.flush();
    }

    /** One document's worth of encoding state. */
    private static final class Encoder {
        private final OutputStream out;
        private final byte[] buf = new byte[BUFFER_SIZE];
        private final int limit = BUFFER_SIZE - 64;
        private int pos;

        // Per-table column ordering cache: rows of one table almost always present the same columns in
        // the same order, so the sort is done once per table, not once per row.
        private String[] lastNames = new String[0];
        private int[] lastOrder = new int[0];
        private int lastCount = -1;

        private final RowCollector collector = new RowCollector();

        Encoder(OutputStream out) {
            this.out = out;
        }

        void document(DbImage image) throws IOException {
            raw(DECLARATION);
            ascii("<database><manifest>");
            pair("schema_major_vsn", Integer.toString(image.schemaMajor()));
            pair("schema_minor_vsn", Integer.toString(image.schemaMinor()));
            pair("generation_count", Long.toString(image.generation()));
            ascii("</manifest>");
            List<DbImage.TableImage> tables = new ArrayList<>();
            image.tables().forEach(tables::add);
            tables.sort((a, b) -> Utf8Order.compare(a.name(), b.name()));
            for (int i = 1; i < tables.size(); i++) {
                if (tables.get(i).name().equals(tables.get(i - 1).name())) {
                    throw new IllegalArgumentException("table " + tables.get(i).name() + " appears twice");
                }
            }
            for (DbImage.TableImage t : tables) {
                table(t);
            }
            ascii("</database>");
            flushBuffer();
        }

        private void pair(String key, String value) throws IOException {
            ascii("<pair key=\"");
            escaped(key);
            ascii("\" value=\"");
            escaped(value);
            ascii("\"/>");
        }

        private void table(DbImage.TableImage t) throws IOException {
            ascii("<table name=\"");
            escaped(t.name());
            ascii("\"");
            List<DbImage.RowImage> rows = new ArrayList<>();
            if (t.persistent()) {
                t.rows().forEach(rows::add);
            }
            if (rows.isEmpty()) {
                ascii("/>");
                return;
            }
            ascii(">");
            rows.sort((a, b) -> Utf8Order.compare(a.ref(), b.ref()));
            lastCount = -1;
            String previous = null;
            for (DbImage.RowImage r : rows) {
                if (r.ref().equals(previous)) {
                    throw new IllegalArgumentException("table " + t.name() + " has ref " + previous + " twice");
                }
                previous = r.ref();
                row(t.name(), r);
            }
            ascii("</table>");
        }

        private void row(String table, DbImage.RowImage r) throws IOException {
            String ref = r.ref();
            ascii("<row ref=\"");
            escaped(ref);
            ascii("\" __ctime=\"");
            ascii(Long.toString(r.created()));
            ascii("\" __mtime=\"");
            ascii(Long.toString(r.modified()));
            ascii("\"");
            RowCollector c = collector;
            c.reset();
            c.column("_ref", ref);
            r.columns(c);
            int[] order = orderOf(table, ref, c);
            for (int k = 0; k < c.count; k++) {
                int i = order[k];
                ensure(1);
                buf[pos++] = ' ';
                escaped(c.names[i]);
                ascii("=\"");
                try {
                    protectedValue(c.values[i]);
                } catch (UnwritableTextException e) {
                    throw new UnwritableTextException(
                            WRITER + " (table " + table + ", row " + ref + ", column " + c.names[i] + ")", c.values[i]);
                }
                ensure(1);
                buf[pos++] = '"';
            }
            ascii("/>");
        }

        /** The sorted order of the row's columns, reusing the previous row's when the names match. */
        private int[] orderOf(String table, String ref, RowCollector c) {
            int n = c.count;
            if (n == lastCount) {
                boolean same = true;
                for (int i = 0; i < n; i++) {
                    String a = c.names[i];
                    String b = lastNames[i];
                    if (a != b && !a.equals(b)) {
                        same = false;
                        break;
                    }
                }
                if (same) {
                    return lastOrder;
                }
            }
            Integer[] idx = new Integer[n];
            for (int i = 0; i < n; i++) {
                idx[i] = i;
            }
            String[] names = c.names;
            Arrays.sort(idx, (x, y) -> Utf8Order.compare(names[x], names[y]));
            int[] order = new int[n];
            for (int i = 0; i < n; i++) {
                order[i] = idx[i];
                if (i > 0 && names[idx[i]].equals(names[idx[i - 1]])) {
                    throw new IllegalArgumentException(
                            "row " + ref + " of table " + table + " has column " + names[idx[i]] + " twice");
                }
            }
            lastNames = Arrays.copyOf(names, n);
            lastOrder = order;
            lastCount = n;
            return order;
        }

        private void ensure(int n) throws IOException {
            if (pos + n > buf.length) {
                flushBuffer();
            }
        }

        private void flushBuffer() throws IOException {
            if (pos > 0) {
                out.write(buf, 0, pos);
                pos = 0;
            }
        }

        private void raw(byte[] b) throws IOException {
            ensure(b.length);
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
        }

        /** Markup known to be ASCII. */
        private void ascii(String s) throws IOException {
            int n = s.length();
            if (pos + n > buf.length) {
                flushBuffer();
            }
            for (int i = 0; i < n; i++) {
                buf[pos++] = (byte) s.charAt(i);
            }
        }

        /** An attribute value with Xmlm's escaping only. */
        private void escaped(String s) throws IOException {
            encode(s, false);
        }

        /** A column value: Xapi's whitespace protection, then Xmlm's escaping. */
        private void protectedValue(String s) throws IOException {
            encode(s, true);
        }

        private void encode(String s, boolean protect) throws IOException {
            byte[] b = buf;
            int p = pos;
            int n = s.length();
            for (int i = 0; i < n; i++) {
                if (p > limit) {
                    pos = p;
                    flushBuffer();
                    p = 0;
                }
                char c = s.charAt(i);
                if (c < 0x80) {
                    if (c >= 0x20) {
                        switch (c) {
                            case '<' -> {
                                b[p++] = '&';
                                b[p++] = 'l';
                                b[p++] = 't';
                                b[p++] = ';';
                            }
                            case '>' -> {
                                b[p++] = '&';
                                b[p++] = 'g';
                                b[p++] = 't';
                                b[p++] = ';';
                            }
                            case '&' -> {
                                b[p++] = '&';
                                b[p++] = 'a';
                                b[p++] = 'm';
                                b[p++] = 'p';
                                b[p++] = ';';
                            }
                            case '"' -> {
                                b[p++] = '&';
                                b[p++] = 'q';
                                b[p++] = 'u';
                                b[p++] = 'o';
                                b[p++] = 't';
                                b[p++] = ';';
                            }
                            case ' ' -> {
                                if (protect) {
                                    b[p++] = '%';
                                    b[p++] = '.';
                                } else {
                                    b[p++] = ' ';
                                }
                            }
                            case '%' -> {
                                if (protect) {
                                    b[p++] = '%';
                                    b[p++] = '%';
                                } else {
                                    b[p++] = '%';
                                }
                            }
                            default -> b[p++] = (byte) c;
                        }
                    } else if (c == '\t' || c == '\n' || c == '\r') {
                        if (protect) {
                            b[p++] = '%';
                            b[p++] = (byte) (c == '\t' ? 't' : c == '\n' ? 'n' : 'r');
                        } else {
                            b[p++] = (byte) c; // Xmlm passes these through unescaped
                        }
                    } else {
                        throw new UnwritableTextException(WRITER, s); // Xmlm would write U+FFFD
                    }
                } else if (c < 0x800) {
                    b[p++] = (byte) (0xC0 | (c >> 6));
                    b[p++] = (byte) (0x80 | (c & 0x3F));
                } else if (Character.isSurrogate(c)) {
                    if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                        int cp = Character.toCodePoint(c, s.charAt(++i));
                        if (!Utf8Check.storableSupplementary(cp)) throw new UnwritableTextException(WRITER, s);
                        b[p++] = (byte) (0xF0 | (cp >> 18));
                        b[p++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                        b[p++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                        b[p++] = (byte) (0x80 | (cp & 0x3F));
                    } else {
                        throw new UnwritableTextException(WRITER, s);
                    }
                } else {
                    if (c >= 0xFDD0 && !Utf8Check.storableBmp(c)) throw new UnwritableTextException(WRITER, s);
                    b[p++] = (byte) (0xE0 | (c >> 12));
                    b[p++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                    b[p++] = (byte) (0x80 | (c & 0x3F));
                }
            }
            pos = p;
        }
    }

    /** Gathers one row's columns from {@link DbImage.RowImage#columns}; reused across rows. */
    private static final class RowCollector implements DbImage.ColumnSink {
        String[] names = new String[128];
        String[] values = new String[128];
        int count;

        void reset() {
            count = 0;
        }

        @Override
        public void column(String name, String value) {
            if (name == null || value == null) {
                throw new IllegalArgumentException("null column name or value: " + name);
            }
            if (count > 0 && name.equals("_ref")) {
                return; // the writer writes _ref itself, from the row's ref
            }
            if (count == names.length) {
                names = Arrays.copyOf(names, count * 2);
                values = Arrays.copyOf(values, count * 2);
            }
            names[count] = name;
            values[count] = value;
            count++;
        }
    }

    /** An OutputStream onto a FileChannel without extra buffering (the encoder buffers). */
    private static final class ChannelOutput extends OutputStream {
        private final FileChannel ch;

        ChannelOutput(FileChannel ch) {
            this.ch = ch;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ByteBuffer bb = ByteBuffer.wrap(b, off, len);
            while (bb.hasRemaining()) {
                ch.write(bb);
            }
        }
    }

    /** Keeps GZIPOutputStream.close from closing the channel (AtomicFiles owns it). */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
