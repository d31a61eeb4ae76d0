package org.xapijava.bench;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;
import org.xapijava.db.persist.DbImage;
import org.xapijava.model.util.AtomicFiles;

/**
 * The flush baseline: the JDK's {@link XMLStreamWriter} writing a document equivalent to {@code state.db}
 * from the same {@link DbImage} (same elements and attributes, tables/rows/columns sorted the same way,
 * through a 1 MiB buffer), and for files the same durability through the same {@link AtomicFiles#replace}:
 * temporary file, {@code force}, atomic rename, fsync of the directory. What it leaves out (so it is, if
 * anything, flattered): Xapi's whitespace protection of column values and the {@code .generation} file.
 */
public final class StaxStateDb {
    private static final XMLOutputFactory FACTORY = XMLOutputFactory.newDefaultFactory();

    private StaxStateDb() {}

    public static void write(DbImage image, Path path) throws IOException {
        AtomicFiles.replace(path, ch -> {
            OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 20);
            writeTo(image, out);
            out.flush();
        });
    }

    public static void writeTo(DbImage image, OutputStream out) throws IOException {
        try {
            XMLStreamWriter w = FACTORY.createXMLStreamWriter(out, "UTF-8");
            w.writeStartDocument("UTF-8", "1.0");
            w.writeStartElement("database");
            w.writeStartElement("manifest");
            pair(w, "schema_major_vsn", Integer.toString(image.schemaMajor()));
            pair(w, "schema_minor_vsn", Integer.toString(image.schemaMinor()));
            pair(w, "generation_count", Long.toString(image.generation()));
            w.writeEndElement();
            List<DbImage.TableImage> tables = new ArrayList<>();
            image.tables().forEach(tables::add);
            tables.sort(Comparator.comparing(DbImage.TableImage::name));
            for (DbImage.TableImage t : tables) {
                if (!t.persistent()) {
                    w.writeEmptyElement("table");
                    w.writeAttribute("name", t.name());
                    continue;
                }
                List<DbImage.RowImage> rows = new ArrayList<>();
                t.rows().forEach(rows::add);
                if (rows.isEmpty()) {
                    w.writeEmptyElement("table");
                    w.writeAttribute("name", t.name());
                    continue;
                }
                w.writeStartElement("table");
                w.writeAttribute("name", t.name());
                rows.sort(Comparator.comparing(DbImage.RowImage::ref));
                for (DbImage.RowImage r : rows) {
                    w.writeEmptyElement("row");
                    w.writeAttribute("ref", r.ref());
                    w.writeAttribute("__ctime", Long.toString(r.created()));
                    w.writeAttribute("__mtime", Long.toString(r.modified()));
                    Map<String, String> cols = new TreeMap<>();
                    cols.put("_ref", r.ref());
                    r.columns(cols::put);
                    for (Map.Entry<String, String> c : cols.entrySet()) w.writeAttribute(c.getKey(), c.getValue());
                }
                w.writeEndElement();
            }
            w.writeEndElement();
            w.writeEndDocument();
            w.flush();
            w.close();
        } catch (XMLStreamException e) {
            throw new IOException(e);
        }
    }

    private static void pair(XMLStreamWriter w, String key, String value) throws XMLStreamException {
        w.writeEmptyElement("pair");
        w.writeAttribute("key", key);
        w.writeAttribute("value", value);
    }
}
