package org.xapijava.server.remotedb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The values of the v2 remote database protocol: JSON of the rpclib ({@code ppx_deriving_rpc}) encoding of
 * {@code Db_rpc_common_v2.Request.t} and {@code Response.t}:
 * <ul>
 *   <li>a constructor with arguments is the flat array {@code ["Name", arg1, arg2, ...]}, one without the string
 *       {@code "Name"}; readers match names in any letter case, as rpclib does;</li>
 *   <li>a tuple is an array; a list of pairs whose first element is a string is an object
 *       ({@code {"k": v, ...}}); an option an array of zero or one element; unit {@code null};</li>
 *   <li>{@code where_record} is the object {@code {"table", "return", "where_field", "where_value"}};
 *       expressions are constructors ({@code ["Eq", ["Field", "uuid"], ["Literal", "x"]]}, {@code "True"}).</li>
 * </ul>
 * Readers throw {@link RemoteDbProtocolException} on anything else. Stateless.
 */
final class V2Codec {
    private V2Codec() {}

    static final JsonNodeFactory F = JsonNodeFactory.instance;

    static RemoteDbProtocolException bad(String what, JsonNode n) {
        return new RemoteDbProtocolException("expected " + what + ", found " + n);
    }

    /** {@code ["Name", args...]}. */
    static ArrayNode constructor(String name, JsonNode... args) {
        ArrayNode a = F.arrayNode().add(name);
        for (JsonNode x : args) a.add(x);
        return a;
    }

    static JsonNode strings(List<String> l) {
        ArrayNode a = F.arrayNode();
        l.forEach(a::add);
        return a;
    }

    static JsonNode stringOpt(Optional<String> o) {
        ArrayNode a = F.arrayNode();
        o.ifPresent(a::add);
        return a;
    }

    static JsonNode pairs(Map<String, String> m) {
        ObjectNode o = F.objectNode();
        m.forEach(o::put);
        return o;
    }

    static String readString(JsonNode n) {
        if (!n.isTextual()) throw bad("a string", n);
        return n.textValue();
    }

    static boolean readBool(JsonNode n) {
        if (!n.isBoolean()) throw bad("a bool", n);
        return n.booleanValue();
    }

    static List<String> readStrings(JsonNode n) {
        if (!n.isArray()) throw bad("an array", n);
        List<String> out = new ArrayList<>();
        for (JsonNode x : n) out.add(readString(x));
        return out;
    }

    static Optional<String> readStringOpt(JsonNode n) {
        List<String> l = readStrings(n);
        if (l.size() > 1) throw bad("an option", n);
        return l.isEmpty() ? Optional.empty() : Optional.of(l.get(0));
    }

    static Map<String, String> readPairs(JsonNode n) {
        if (!n.isObject()) throw bad("an object", n);
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            var e = it.next();
            out.put(e.getKey(), readString(e.getValue()));
        }
        return out;
    }

    static void readUnit(JsonNode n) {
        if (!n.isNull()) throw bad("null", n);
    }

    static JsonNode where(WhereRecord w) {
        ObjectNode o = F.objectNode();
        o.put("table", w.table());
        o.put("return", w.returnField());
        o.put("where_field", w.whereField());
        o.put("where_value", w.whereValue());
        return o;
    }

    static WhereRecord readWhere(JsonNode n) {
        if (!n.isObject()) throw bad("a where_record", n);
        Map<String, String> m = new LinkedHashMap<>();
        // rpclib reads record keys in any case
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            var e = it.next();
            m.put(e.getKey().toLowerCase(java.util.Locale.ROOT), readString(e.getValue()));
        }
        for (String k : List.of("table", "return", "where_field", "where_value")) {
            if (!m.containsKey(k)) throw bad("where_record field " + k, n);
        }
        return new WhereRecord(m.get("table"), m.get("return"), m.get("where_field"), m.get("where_value"));
    }

    /** {@code ((string * string) list * (string * string list) list)}: {@code [{fields}, {setrefs}]}. */
    static JsonNode record(DbRecord r) {
        ObjectNode sets = F.objectNode();
        r.setRefs().forEach((k, refs) -> sets.set(k, strings(refs)));
        return F.arrayNode().add(pairs(r.fields())).add(sets);
    }

    static DbRecord readRecord(JsonNode fields, JsonNode sets) {
        if (!sets.isObject()) throw bad("an object", sets);
        Map<String, List<String>> s = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = sets.fields(); it.hasNext(); ) {
            var e = it.next();
            s.put(e.getKey(), readStrings(e.getValue()));
        }
        return new DbRecord(readPairs(fields), s);
    }

    static JsonNode records(List<Map.Entry<String, DbRecord>> l) {
        ObjectNode o = F.objectNode();
        for (var e : l) o.set(e.getKey(), record(e.getValue()));
        return o;
    }

    static List<Map.Entry<String, DbRecord>> readRecords(JsonNode n) {
        if (!n.isObject()) throw bad("an object", n);
        List<Map.Entry<String, DbRecord>> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode t = e.getValue();
            if (!t.isArray() || t.size() != 2) throw bad("a record pair", t);
            out.add(Map.entry(e.getKey(), readRecord(t.get(0), t.get(1))));
        }
        return out;
    }

    static JsonNode expr(DbExpr e) {
        return switch (e) {
            case DbExpr.True t -> F.textNode("True");
            case DbExpr.False f -> F.textNode("False");
            case DbExpr.Not n -> constructor("Not", expr(n.e()));
            case DbExpr.And a -> constructor("And", expr(a.a()), expr(a.b()));
            case DbExpr.Or o -> constructor("Or", expr(o.a()), expr(o.b()));
            case DbExpr.Eq q -> constructor("Eq", val(q.a()), val(q.b()));
        };
    }

    private static JsonNode val(DbExpr.Val v) {
        return switch (v) {
            case DbExpr.Field f -> constructor("Field", F.textNode(f.name()));
            case DbExpr.Literal l -> constructor("Literal", F.textNode(l.value()));
        };
    }

    static DbExpr readExpr(JsonNode n) {
        if (n.isTextual()) {
            return switch (lower(n.textValue())) {
                case "true" -> new DbExpr.True();
                case "false" -> new DbExpr.False();
                default -> throw bad("an expression", n);
            };
        }
        List<JsonNode> l = constructorArgs(n);
        String name = lower(l.get(0).textValue());
        return switch (name) {
            case "not" -> new DbExpr.Not(readExpr(arg(l, 1, 1)));
            case "and" -> new DbExpr.And(readExpr(arg(l, 1, 2)), readExpr(l.get(2)));
            case "or" -> new DbExpr.Or(readExpr(arg(l, 1, 2)), readExpr(l.get(2)));
            case "eq" -> new DbExpr.Eq(readVal(arg(l, 1, 2)), readVal(l.get(2)));
            default -> throw bad("an expression", n);
        };
    }

    private static DbExpr.Val readVal(JsonNode n) {
        List<JsonNode> l = constructorArgs(n);
        String v = readString(arg(l, 1, 1));
        return switch (lower(l.get(0).textValue())) {
            case "field" -> new DbExpr.Field(v);
            case "literal" -> new DbExpr.Literal(v);
            default -> throw bad("a value", n);
        };
    }

    /** {@code ["Name", args...]} as a list (name first); a bare {@code "Name"} as a list of one. */
    static List<JsonNode> constructorArgs(JsonNode n) {
        List<JsonNode> l = new ArrayList<>();
        if (n.isTextual()) {
            l.add(n);
            return l;
        }
        if (!n.isArray() || n.isEmpty() || !n.get(0).isTextual()) throw bad("a constructor", n);
        n.forEach(l::add);
        return l;
    }

    /** Argument {@code i} of a constructor that must have exactly {@code count} arguments. */
    static JsonNode arg(List<JsonNode> l, int i, int count) {
        if (l.size() != count + 1)
            throw bad(count + " arguments of " + l.get(0), F.arrayNode().addAll(l));
        return l.get(i);
    }

    static String lower(String s) {
        return s.toLowerCase(java.util.Locale.ROOT);
    }
}
