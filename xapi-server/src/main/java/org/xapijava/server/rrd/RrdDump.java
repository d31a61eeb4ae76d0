package org.xapijava.server.rrd;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * A whole RRD as rrdtool's dump, as Xapi writes and reads it ({@code Rrd.xml_to_output}, {@code Rrd.from_xml},
 * {@code Rrd.Json}): {@code /host_rrd}, {@code /vm_rrd} and the archives kept on disk (the internal form adds each
 * source's {@code last_updated}). Rows go oldest first. Stateless.
 */
public final class RrdDump {
    /** Xmlm's declaration, as Xapi's output starts. */
    static final String XML_DECLARATION = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

    private RrdDump() {}

    /** {@code xml_to_output}. */
    public static String xml(Rrd r, boolean internal) {
        Xml x = new Xml(new StringBuilder(4096 + r.dss.size() * 40_000));
        x.raw(XML_DECLARATION);
        x.open("rrd");
        x.leaf("version", "0003");
        x.leaf("step", Long.toString(r.step));
        x.leaf("lastupdate", Long.toString((long) r.lastUpdated));
        for (Rrd.Ds d : r.dss) {
            x.open("ds");
            x.leaf("name", d.name);
            x.leaf("type", d.type.name());
            x.leaf("minimal_heartbeat", Floats.toString(d.heartbeat));
            x.leaf("min", Floats.toString(d.min));
            x.leaf("max", Floats.toString(d.max));
            x.leaf("last_ds", last(d));
            x.leaf("value", Floats.toString(d.value));
            x.leaf("unknown_sec", Long.toString((long) d.unknownSec));
            if (internal) x.leaf("last_updated", Floats.toString(d.lastUpdated));
            x.close("ds");
        }
        for (Rrd.Rra a : r.rras) {
            x.open("rra");
            x.leaf("cf", a.cf.name());
            x.leaf("pdp_per_row", Integer.toString(a.pdpCount));
            x.open("params");
            x.leaf("xff", Floats.toString(a.xff));
            x.close("params");
            x.openOrEmpty("cdp_prep", a.cdps.isEmpty());
            for (Rrd.Cdp c : a.cdps) {
                x.open("ds");
                x.leaf("primary_value", "0.0");
                x.leaf("secondary_value", "0.0");
                x.leaf("value", Floats.toString(c.value));
                x.leaf("unknown_datapoints", Integer.toString(c.unknownPdps));
                x.close("ds");
            }
            if (!a.cdps.isEmpty()) x.close("cdp_prep");
            x.openOrEmpty("database", a.rings.isEmpty());
            if (!a.rings.isEmpty()) {
                int rows = a.rings.getFirst().size();
                for (int row = 0; row < rows; row++) {
                    x.open("row");
                    for (Rrd.Ring g : a.rings) x.leaf("v", Floats.toString(g.peek(rows - row - 1)));
                    x.close("row");
                }
                x.close("database");
            }
            x.close("rra");
        }
        x.close("rrd");
        return x.toString();
    }

    /** {@code Rrd.Json.rrd}: every number a JSON string. */
    public static String json(Rrd r) {
        Json j = new Json(new StringBuilder(4096 + r.dss.size() * 40_000));
        j.b.append('{');
        j.key("version").str("0003").comma();
        j.key("step").str(Long.toString(r.step)).comma();
        j.key("lastupdate").str(Floats.toString(r.lastUpdated)).comma();
        j.key("ds").b.append('[');
        for (int i = 0; i < r.dss.size(); i++) {
            Rrd.Ds d = r.dss.get(i);
            if (i > 0) j.comma();
            j.b.append('{');
            j.key("name").str(d.name).comma();
            j.key("type").str(d.type.name()).comma();
            j.key("minimal_heartbeat").str(Floats.toString(d.heartbeat)).comma();
            j.key("min").str(Floats.toString(d.min)).comma();
            j.key("max").str(Floats.toString(d.max)).comma();
            j.key("last_ds").str(last(d)).comma();
            j.key("value").str(Floats.toString(d.value)).comma();
            j.key("unknown_sec").str(Floats.toString(d.unknownSec)).comma();
            j.key("last_updated").str(Floats.toString(d.lastUpdated));
            j.b.append('}');
        }
        j.b.append("],");
        j.key("rra").b.append('[');
        for (int n = 0; n < r.rras.size(); n++) {
            Rrd.Rra a = r.rras.get(n);
            if (n > 0) j.comma();
            j.b.append('{');
            j.key("cf").str(a.cf.name()).comma();
            j.key("pdp_per_row").str(Integer.toString(a.pdpCount)).comma();
            j.key("params").b.append('{');
            j.key("xff").str(Floats.toString(a.xff)).b.append("},");
            j.key("cdp_prep").b.append('{');
            j.key("ds").b.append('[');
            for (int i = 0; i < a.cdps.size(); i++) {
                Rrd.Cdp c = a.cdps.get(i);
                if (i > 0) j.comma();
                j.b.append('{');
                j.key("primary_value").str("0.0").comma();
                j.key("secondary_value").str("0.0").comma();
                j.key("value").str(Floats.toString(c.value)).comma();
                j.key("unknown_datapoints").str(Integer.toString(c.unknownPdps));
                j.b.append('}');
            }
            j.b.append("]},");
            j.key("database").b.append('[');
            if (!a.rings.isEmpty()) {
                int rows = a.rings.getFirst().size();
                for (int row = 0; row < rows; row++) {
                    if (row > 0) j.comma();
                    j.b.append('[');
                    for (int c = 0; c < a.rings.size(); c++) {
                        if (c > 0) j.comma();
                        j.str(Floats.toString(a.rings.get(c).peek(rows - row - 1)));
                    }
                    j.b.append(']');
                }
            }
            j.b.append("]}");
        }
        j.b.append("]}");
        return j.b.toString();
    }

    private static String last(Rrd.Ds d) {
        if (Double.isNaN(d.last)) return "0.0"; // VT_Unknown
        return d.lastInteger ? Long.toString((long) d.last) : Floats.toString(d.last);
    }

    /** One factory for every parse (finding one is a service look-up). */
    private static final XMLInputFactory XML = org.xapijava.model.util.SafeXml.inputFactory();

    /**
     * {@code Rrd.from_xml}: an RRD from its dump (either form). A source's {@code min} below 0 is read as 0
     * (CA-408126); a source named twice keeps its first occurrence.
     *
     * @throws IllegalArgumentException when the text is not such a dump
     */
    public static Rrd parse(InputStream in) {
        try {
            XMLStreamReader x = XML.createXMLStreamReader(in);
            Element root = Element.read(x);
            if (!root.name.equals("rrd")) throw new IllegalArgumentException("not an RRD: <" + root.name + ">");
            long step = Long.parseLong(root.text("step"));
            double lastUpdate = Floats.parse(root.text("lastupdate"));
            Rrd r = new Rrd(step, lastUpdate);
            for (Element e : root.all("ds")) {
                Rrd.Ds d = new Rrd.Ds(
                        e.text("name"),
                        DsType.of(e.text("type")),
                        Math.max(Floats.parse(e.text("min")), 0.0),
                        Floats.parse(e.text("max")),
                        Floats.parse(e.text("minimal_heartbeat")));
                d.value = Floats.parse(e.text("value"));
                d.unknownSec = Floats.parse(e.text("unknown_sec"));
                Element lu = e.first("last_updated");
                d.lastUpdated = lu == null ? lastUpdate : Floats.parse(lu.body);
                r.dss.add(d);
            }
            for (Element e : root.all("rra")) {
                Element params = e.first("params");
                List<Element> rows = e.first("database").all("row");
                Rrd.Rra a = new Rrd.Rra(
                        Cf.valueOf(e.text("cf")),
                        rows.size(),
                        Integer.parseInt(e.text("pdp_per_row")),
                        Floats.parse(params.text("xff")));
                for (Element c : e.first("cdp_prep").all("ds")) {
                    a.cdps.add(
                            new Rrd.Cdp(Floats.parse(c.text("value")), Integer.parseInt(c.text("unknown_datapoints"))));
                }
                for (int i = 0; i < r.dss.size(); i++) {
                    Rrd.Ds d = r.dss.get(i);
                    Rrd.Ring g = new Rrd.Ring(rows.size(), d.min, d.max);
                    for (Element row : rows) g.push(Floats.parse(row.children.get(i).body));
                    a.rings.add(g);
                }
                if (a.cdps.size() != r.dss.size()) throw new IllegalArgumentException("cdp_prep does not match ds");
                r.rras.add(a);
            }
            // a source named twice: keep its first occurrence
            List<String> seen = new ArrayList<>();
            for (int i = 0; i < r.dss.size(); ) {
                String name = r.dss.get(i).name;
                if (seen.contains(name)) {
                    r.dss.remove(i);
                    for (Rrd.Rra a : r.rras) {
                        a.rings.remove(i);
                        a.cdps.remove(i);
                    }
                } else {
                    seen.add(name);
                    i++;
                }
            }
            return r;
        } catch (XMLStreamException | RuntimeException e) {
            throw new IllegalArgumentException("not an RRD dump: " + e.getMessage(), e);
        }
    }

    /** A parsed element: its name, children and text. */
    private record Element(String name, List<Element> children, String body) {
        static Element read(XMLStreamReader x) throws XMLStreamException {
            while (x.next() != XMLStreamConstants.START_ELEMENT) {}
            return readFrom(x);
        }

        private static Element readFrom(XMLStreamReader x) throws XMLStreamException {
            String name = x.getLocalName();
            List<Element> children = new ArrayList<>();
            StringBuilder text = new StringBuilder();
            while (true) {
                int ev = x.next();
                if (ev == XMLStreamConstants.START_ELEMENT) children.add(readFrom(x));
                else if (ev == XMLStreamConstants.CHARACTERS || ev == XMLStreamConstants.CDATA)
                    text.append(x.getText());
                else if (ev == XMLStreamConstants.END_ELEMENT) return new Element(name, children, text.toString());
            }
        }

        Element first(String n) {
            for (Element c : children) if (c.name.equals(n)) return c;
            return null;
        }

        List<Element> all(String n) {
            List<Element> out = new ArrayList<>();
            for (Element c : children) if (c.name.equals(n)) out.add(c);
            return out;
        }

        String text(String n) {
            Element c = first(n);
            if (c == null) throw new IllegalArgumentException("missing <" + n + "> in <" + name + ">");
            return c.body.trim();
        }
    }

    /** Xmlm's compact output: no indentation, empty elements as {@code <x/>}, text escaped. */
    static final class Xml {
        final StringBuilder b;

        Xml(StringBuilder b) {
            this.b = b;
        }

        void raw(String s) {
            b.append(s);
        }

        void open(String tag) {
            b.append('<').append(tag).append('>');
        }

        void openOrEmpty(String tag, boolean empty) {
            if (empty) b.append('<').append(tag).append("/>");
            else open(tag);
        }

        void close(String tag) {
            b.append("</").append(tag).append('>');
        }

        void leaf(String tag, String text) {
            if (text.isEmpty()) {
                b.append('<').append(tag).append("/>");
                return;
            }
            open(tag);
            escape(b, text);
            close(tag);
        }

        static void escape(StringBuilder b, String s) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '<' -> b.append("&lt;");
                    case '>' -> b.append("&gt;");
                    case '&' -> b.append("&amp;");
                    case '"' -> b.append("&quot;");
                    default -> b.append(c);
                }
            }
        }

        @Override
        public String toString() {
            return b.toString();
        }
    }

    /** Yojson's compact output of the few shapes used here. */
    static final class Json {
        final StringBuilder b;

        Json(StringBuilder b) {
            this.b = b;
        }

        Json key(String k) {
            str(k);
            b.append(':');
            return this;
        }

        Json str(String s) {
            b.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> b.append("\\\"");
                    case '\\' -> b.append("\\\\");
                    case '\n' -> b.append("\\n");
                    case '\r' -> b.append("\\r");
                    case '\t' -> b.append("\\t");
                    default -> {
                        if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                        else b.append(c);
                    }
                }
            }
            b.append('"');
            return this;
        }

        Json comma() {
            b.append(',');
            return this;
        }
    }
}
