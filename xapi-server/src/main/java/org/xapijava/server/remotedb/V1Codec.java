package org.xapijava.server.remotedb;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.xapijava.server.remotedb.XmlLight.Element;
import org.xapijava.server.remotedb.XmlLight.Node;
import org.xapijava.server.remotedb.XmlLight.Text;

/**
 * The values of the v1 remote database protocol, as Xapi marshals them ({@code ocaml/libs/http-lib/xMLRPC.ml}
 * {@code To}/{@code From}, {@code ocaml/database/db_rpc_common_v1.ml}, {@code db_filter.ml}):
 * <ul>
 *   <li>a string is {@code <value>text</value>}, the empty string {@code <value/>} (readers also take
 *       {@code <value><string>text</string></value>} and {@code <value><string/></value>});</li>
 *   <li>a list, a pair, a tuple or a where-record is an array {@code <value><array><data>...</data></array></value>}
 *       (an empty one {@code <data/>});</li>
 *   <li>an option is an array of zero or one element; a bool {@code <value><boolean>1|0</boolean></value>}; unit
 *       the empty string;</li>
 *   <li>a call is the array {@code [fn_name, "", args]}; an answer {@code ["success", result]} or
 *       {@code ["failure", [exn_name, params]]}.</li>
 * </ul>
 * Readers throw {@link RemoteDbProtocolException} (Xapi's {@code DB_remote_marshall_error} / {@code RunTimeTypeError}) on
 * anything else. Stateless.
 */
final class V1Codec {
    private V1Codec() {}

    // ------------------------------------------------------------------ XMLRPC.To

    static Node string(String s) {
        return s.isEmpty() ? new Element("value", List.of()) : new Element("value", List.of(new Text(s)));
    }

    static Node array(List<Node> items) {
        return new Element("value", List.of(new Element("array", List.of(new Element("data", items)))));
    }

    static Node array(Node... items) {
        return array(List.of(items));
    }

    static Node bool(boolean b) {
        return new Element("value", List.of(new Element("boolean", List.of(new Text(b ? "1" : "0")))));
    }

    static Node strings(List<String> l) {
        List<Node> out = new ArrayList<>(l.size());
        for (String s : l) out.add(string(s));
        return array(out);
    }

    static Node strings(String... l) {
        return strings(List.of(l));
    }

    static Node stringOpt(Optional<String> o) {
        return o.isPresent() ? array(string(o.get())) : array(List.of());
    }

    static Node unit() {
        return string("");
    }

    /** {@code (string * string) list} as an array of 2-arrays. */
    static Node pairs(Map<String, String> m) {
        List<Node> out = new ArrayList<>(m.size());
        m.forEach((k, v) -> out.add(strings(k, v)));
        return array(out);
    }

    // ------------------------------------------------------------------ XMLRPC.From

    private static Element unbox(Node n, String tag) {
        if (n instanceof Element e && e.tag().equals(tag) && !e.hasAttributes()) return e;
        throw new RemoteDbProtocolException("expected <" + tag + ">");
    }

    private static Node single(Element e) {
        if (e.children().size() != 1) throw new RemoteDbProtocolException("<" + e.tag() + "> should hold one element");
        return e.children().get(0);
    }

    static String readString(Node n) {
        Element v = unbox(n, "value");
        List<Node> c = v.children();
        if (c.isEmpty()) return "";
        if (c.size() == 1 && c.get(0) instanceof Text t) return t.data();
        Element s = unbox(single(v), "string");
        if (s.children().isEmpty()) return "";
        if (single(s) instanceof Text t) return t.data();
        throw new RemoteDbProtocolException("<string> should hold text");
    }

    static List<Node> readArray(Node n) {
        Element a = unbox(single(unbox(n, "value")), "array");
        return unbox(single(a), "data").children();
    }

    static boolean readBool(Node n) {
        Node c = single(unbox(single(unbox(n, "value")), "boolean"));
        return !(c instanceof Text t && t.data().equals("0"));
    }

    /** An array of exactly {@code n} elements. */
    static List<Node> tuple(Node node, int n) {
        List<Node> l = readArray(node);
        if (l.size() != n) throw new RemoteDbProtocolException("expected " + n + " elements, got " + l.size());
        return l;
    }

    static List<String> readStrings(Node n) {
        List<String> out = new ArrayList<>();
        for (Node x : readArray(n)) out.add(readString(x));
        return out;
    }

    /** {@code unmarshall_Nstrings}: an array of exactly {@code n} strings. */
    static List<String> readStrings(Node n, int count) {
        List<String> l = readStrings(n);
        if (l.size() != count) throw new RemoteDbProtocolException("expected " + count + " strings, got " + l.size());
        return l;
    }

    static Optional<String> readStringOpt(Node n) {
        List<Node> l = readArray(n);
        if (l.isEmpty()) return Optional.empty();
        if (l.size() == 1) return Optional.of(readString(l.get(0)));
        throw new RemoteDbProtocolException("an option has at most one element");
    }

    static void readUnit(Node n) {
        if (!readString(n).isEmpty()) throw new RemoteDbProtocolException("expected unit");
    }

    static Map<String, String> readPairs(Node n) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Node x : readArray(n)) {
            List<String> kv = readStrings(x, 2);
            out.put(kv.get(0), kv.get(1));
        }
        return out;
    }

    // ------------------------------------------------------------------ protocol types

    /** {@code marshall_where_rec}: {@code [table, return, where_field, where_value]}. */
    static Node where(WhereRecord w) {
        return strings(w.table(), w.returnField(), w.whereField(), w.whereValue());
    }

    static WhereRecord readWhere(Node n) {
        List<String> l = readStrings(n, 4);
        return new WhereRecord(l.get(0), l.get(1), l.get(2), l.get(3));
    }

    /** {@code marshall_read_record_response}: {@code [[[k, v]...], [[setref_field, [ref...]]...]]}. */
    static Node record(DbRecord r) {
        List<Node> sets = new ArrayList<>(r.setRefs().size());
        r.setRefs().forEach((k, refs) -> sets.add(array(string(k), strings(refs))));
        return array(pairs(r.fields()), array(sets));
    }

    static DbRecord readRecord(Node n) {
        List<Node> l = tuple(n, 2);
        Map<String, List<String>> sets = new LinkedHashMap<>();
        for (Node x : readArray(l.get(1))) {
            List<Node> kv = tuple(x, 2);
            sets.put(readString(kv.get(0)), readStrings(kv.get(1)));
        }
        return new DbRecord(readPairs(l.get(0)), sets);
    }

    /** {@code marshall_read_records_where_response}: {@code [[ref, record]...]}. */
    static Node records(List<Map.Entry<String, DbRecord>> l) {
        List<Node> out = new ArrayList<>(l.size());
        for (var e : l) out.add(array(string(e.getKey()), record(e.getValue())));
        return array(out);
    }

    static List<Map.Entry<String, DbRecord>> readRecords(Node n) {
        List<Map.Entry<String, DbRecord>> out = new ArrayList<>();
        for (Node x : readArray(n)) {
            List<Node> rr = tuple(x, 2);
            out.add(Map.entry(readString(rr.get(0)), readRecord(rr.get(1))));
        }
        return out;
    }

    /** {@code Db_filter.xml_of_expr}. */
    static Node expr(DbExpr e) {
        return switch (e) {
            case DbExpr.True t -> strings("true");
            case DbExpr.False f -> strings("false");
            case DbExpr.Not n -> array(string("not"), expr(n.e()));
            case DbExpr.And a -> array(string("and"), expr(a.a()), expr(a.b()));
            case DbExpr.Or o -> array(string("or"), expr(o.a()), expr(o.b()));
            case DbExpr.Eq q -> array(string("eq"), val(q.a()), val(q.b()));
        };
    }

    private static Node val(DbExpr.Val v) {
        return switch (v) {
            case DbExpr.Field f -> strings("field", f.name());
            case DbExpr.Literal l -> strings("literal", l.value());
        };
    }

    /** {@code Db_filter.expr_of_xml}. */
    static DbExpr readExpr(Node n) {
        List<Node> l = readArray(n);
        if (l.isEmpty() || l.size() > 3) throw new RemoteDbProtocolException("bad expression");
        String op = readString(l.get(0));
        return switch (l.size()) {
            case 1 ->
                switch (op) {
                    case "true" -> new DbExpr.True();
                    case "false" -> new DbExpr.False();
                    default -> throw new RemoteDbProtocolException("bad expression " + op);
                };
            case 2 -> {
                if (!op.equals("not")) throw new RemoteDbProtocolException("bad expression " + op);
                yield new DbExpr.Not(readExpr(l.get(1)));
            }
            default ->
                switch (op) {
                    case "and" -> new DbExpr.And(readExpr(l.get(1)), readExpr(l.get(2)));
                    case "or" -> new DbExpr.Or(readExpr(l.get(1)), readExpr(l.get(2)));
                    case "eq" -> new DbExpr.Eq(readVal(l.get(1)), readVal(l.get(2)));
                    default -> throw new RemoteDbProtocolException("bad expression " + op);
                };
        };
    }

    private static DbExpr.Val readVal(Node n) {
        List<String> l = readStrings(n, 2);
        return switch (l.get(0)) {
            case "field" -> new DbExpr.Field(l.get(1));
            case "literal" -> new DbExpr.Literal(l.get(1));
            default -> throw new RemoteDbProtocolException("bad value " + l.get(0));
        };
    }

    static Node structuredOp(StructuredOp op) {
        return string(op.v1Name());
    }

    static StructuredOp readStructuredOp(Node n) {
        StructuredOp op = StructuredOp.ofV1(readString(n));
        if (op == null) throw new RemoteDbProtocolException("bad structured op");
        return op;
    }

    // ------------------------------------------------------------------ envelopes

    /** {@code do_remote_call}: {@code [fn_name, "", args]}. */
    static Node call(String fn, Node args) {
        return array(string(fn), string(""), args);
    }

    /** {@code DBCacheRemoteListener.success}. */
    static Node success(Node result) {
        return array(string("success"), result);
    }

    /** {@code DBCacheRemoteListener.failure}: {@code ["failure", [exn_name, params]]}. */
    static Node failure(RemoteDbError e) {
        return array(string("failure"), array(string(e.name()), strings(e.params())));
    }
}
