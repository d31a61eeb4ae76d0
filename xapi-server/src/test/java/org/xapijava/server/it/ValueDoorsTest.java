package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.rpc.RpcResponse;
import org.xapijava.model.xmlrpc.XmlRpcReader;
import org.xapijava.server.TestHost;

/**
 * Issue 9: the same random values sent through both doors (XML-RPC and JSON-RPC) to setters and constructors of
 * every kind of field (string, ref, enum, string set, map and map keys, int) and to {@code message.create}, then
 * read back over both doors, and again after the host restarts. Every value is either refused (with the same
 * answer on both doors when XML can carry it; XML cannot carry controls, U+FFFE/U+FFFF or unpaired surrogates,
 * which the XML-RPC door refuses as Xapi does, with HTTP 500) or read back identical, and every response parses.
 * Requests are written here by hand so that any character can be sent. The seed is printed on failure
 * ({@code -Dxapi.fuzz.seed=N}; {@code -Dxapi.fuzz.ops=N} for the length).
 */
class ValueDoorsTest {
    @TempDir
    Path dir;

    /** Jackson as a client would set it up for XenAPI values: names as long as the body limit allows. */
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(
                    StreamReadConstraints.builder().maxNameLength(1 << 20).build())
            .build());

    private final long seed = Long.getLong("xapi.fuzz.seed", System.nanoTime());
    private final Random rnd = new Random(seed);
    private TestHost host;
    private Wire wire;
    private String session;

    /** One outcome on one door: a value, an error description, or an HTTP error status. */
    record Answer(Object value, List<String> error, int httpStatus) {
        boolean ok() {
            return error == null && httpStatus == 200;
        }
    }

    private record Target(String getter, String setter, Kind kind) {}

    private enum Kind {
        STRING,
        REF,
        ENUM,
        SET,
        MAP,
        INT
    }

    private static final List<Target> TARGETS = List.of(
            new Target("VM.get_name_label", "VM.set_name_label", Kind.STRING),
            new Target("VM.get_name_description", "VM.set_name_description", Kind.STRING),
            new Target("VM.get_affinity", "VM.set_affinity", Kind.REF),
            new Target("VM.get_actions_after_shutdown", "VM.set_actions_after_shutdown", Kind.ENUM),
            new Target("VM.get_tags", "VM.set_tags", Kind.SET),
            new Target("VM.get_other_config", "VM.set_other_config", Kind.MAP),
            new Target("VM.get_user_version", "VM.set_user_version", Kind.INT));

    @Test
    void everyValueIsRefusedAlikeOrReadBackIdenticalOverBothDoorsAndAfterARestart() throws Exception {
        int ops = Integer.getInteger("xapi.fuzz.ops", 600);
        host = TestHost.start(dir);
        Map<String, Object> last = new LinkedHashMap<>();
        List<String[]> messages = new ArrayList<>();
        String vm;
        int accepted = 0;
        int refused = 0;
        try {
            wire = new Wire(host);
            session = (String) ok(xml("session.login_with_password", "root", host.password()));
            String template = null;
            @SuppressWarnings("unchecked")
            Map<String, Object> all = (Map<String, Object>) ok(xml("VM.get_all_records", session));
            for (var e : all.entrySet()) {
                @SuppressWarnings("unchecked")
                Map<String, Object> r = (Map<String, Object>) e.getValue();
                if ("1".equals(r.get("is_a_template")) || Boolean.TRUE.equals(r.get("is_a_template"))) {
                    template = e.getKey();
                    break;
                }
            }
            vm = (String) ok(xml("VM.clone", session, Objects.requireNonNull(template), "fuzz"));
            String vmUuid = (String) ok(xml("VM.get_uuid", session, vm));

            // the repro of defect 1, and a key longer than Jackson's default limit (defect 4), first
            List<Object[]> fixed = List.of(
                    new Object[] {TARGETS.get(2), "x\uffffy"},
                    new Object[] {TARGETS.get(5), Map.of("k".repeat(50_001), "v")},
                    new Object[] {TARGETS.get(5), Map.of("k".repeat(100_000), "v".repeat(100))});
            for (int i = 0; i < ops + fixed.size(); i++) {
                Target t;
                Object v;
                if (i < fixed.size()) {
                    t = (Target) fixed.get(i)[0];
                    v = fixed.get(i)[1];
                } else if (rnd.nextInt(8) == 0) {
                    // an alert: name and body are stored text too
                    String name = text();
                    String body = text();
                    Answer ax = xml("message.create", session, name, "3", "VM", vmUuid, body);
                    Answer aj = json("message.create", session, name, 3L, "VM", vmUuid, body);
                    boolean good = storable(name) && storable(body);
                    check(
                            ax,
                            aj,
                            good,
                            xmlCarries(name) && xmlCarries(body),
                            List.of("INVALID_VALUE", "UTF8 expected"),
                            "message.create");
                    if (good) {
                        accepted++;
                        messages.add(new String[] {(String) ax.value(), name, body});
                        messages.add(new String[] {((JsonNode) aj.value()).textValue(), name, body});
                    } else {
                        refused++;
                    }
                    continue;
                } else {
                    t = TARGETS.get(rnd.nextInt(TARGETS.size()));
                    v = value(t.kind());
                }
                Object before = readBoth(t, vm);
                Answer ax = xml(t.setter(), session, vm, v);
                Object afterXml = readBoth(t, vm);
                Answer aj = json(t.setter(), session, vm, v);
                Object afterJson = readBoth(t, vm);
                boolean good = storable(v) && (t.kind() != Kind.ENUM || ENUM.contains(v));
                // an enum value is checked when decoded, before the database sees it
                List<String> dbError = t.kind() == Kind.ENUM ? null : List.of("INTERNAL_ERROR", "Db_exn.Invalid_value");
                check(ax, aj, good, xmlCarries(v), dbError, t.setter() + " " + show(v));
                if (good) {
                    accepted++;
                    assertEquals(wireForm(v), afterXml, seed + ": " + t.getter() + " after the XML-RPC write");
                    assertEquals(wireForm(v), afterJson, seed + ": " + t.getter() + " after the JSON-RPC write");
                    last.put(t.getter(), afterJson);
                } else {
                    refused++;
                    assertEquals(before, afterXml, seed + ": a refused " + t.setter() + " changed the field");
                    assertEquals(before, afterJson, seed + ": a refused " + t.setter() + " changed the field");
                }
                if (i % 50 == 0) {
                    // whole records and the event stream still parse over XML-RPC
                    ok(xml("VM.get_all_records", session));
                    ok(xml("event.from", session, List.of("VM", "message"), "", 0.0));
                    ok(xml("message.get_all_records", session));
                }
            }
        } finally {
            host.close();
        }
        assertTrue(
                accepted > ops / 5 && refused > ops / 10,
                seed + ": " + accepted + " accepted, " + refused + " refused");
        System.out.printf(
                "ValueDoorsTest seed %d: %d values through both doors, %d accepted, %d refused%n",
                seed, ops + 3, accepted, refused);

        host = TestHost.start(dir);
        try {
            wire = new Wire(host);
            session = (String) ok(xml("session.login_with_password", "root", host.password()));
            for (Target t : TARGETS) {
                if (last.containsKey(t.getter())) {
                    assertEquals(last.get(t.getter()), readBoth(t, vm), seed + ": " + t.getter() + " after a restart");
                }
            }
            for (String[] m : messages) {
                @SuppressWarnings("unchecked")
                Map<String, Object> r = (Map<String, Object>) ok(xml("message.get_record", session, m[0]));
                assertEquals(m[1], r.get("name"));
                assertEquals(m[2], r.get("body"));
                JsonNode j = json("message.get_record", session, m[0]).value() instanceof JsonNode n ? n : null;
                assertEquals(m[2], Objects.requireNonNull(j).get("body").asText());
            }
            ok(xml("event.from", session, List.of("VM", "message"), "", 0.0));
        } finally {
            host.close();
        }
    }

    /**
     * Both doors' answers to the same write. A value XML can carry gets the same answer on both; one it cannot
     * is refused by the XML-RPC door's parser (HTTP 500, as Xapi's) and by the JSON-RPC door with the database's
     * error ({@code dbError}; null: any API error) or, for an unpaired surrogate, Xapi's UTF-8 check.
     */
    private void check(Answer ax, Answer aj, boolean good, boolean xmlCarries, List<String> dbError, String what) {
        String m = seed + ": " + what + ": XML-RPC " + ax + ", JSON-RPC " + aj;
        if (good) {
            assertTrue(ax.ok() && aj.ok(), m);
            return;
        }
        assertTrue(!ax.ok() && !aj.ok(), m);
        if (xmlCarries) {
            assertEquals(ax.error(), aj.error(), m);
            if (dbError != null) assertEquals(dbError, aj.error(), m);
        } else {
            assertEquals(500, ax.httpStatus(), m);
            assertTrue(aj.error() != null, m);
            boolean surrogate = aj.error().equals(List.of("INVALID_VALUE", "Invalid UTF-8 string in parameter", ""));
            assertTrue(surrogate || dbError == null || dbError.equals(aj.error()), m);
        }
    }

    private Object readBoth(Target t, String vm) throws Exception {
        Object x = wireForm(ok(xml(t.getter(), session, vm)));
        Object j = fromJson((JsonNode) ok(json(t.getter(), session, vm)));
        assertEquals(x, j, seed + ": " + t.getter() + " differs between the doors");
        return x;
    }

    private Object ok(Answer a) {
        if (!a.ok()) fail(seed + ": call failed: " + a);
        return a.value();
    }

    // ------------------------------------------------------------------ expectations

    private static final List<String> ENUM = List.of("destroy", "restart");

    private static boolean storable(Object v) {
        return switch (v) {
            case String s ->
                s.codePoints()
                        .allMatch(cp -> cp == 9
                                || cp == 10
                                || cp == 13
                                || (cp >= 0x20 && cp <= 0xD7FF)
                                || (cp >= 0xE000 && cp <= 0xFFFD && (cp < 0xFDD0 || cp > 0xFDEF))
                                || (cp >= 0x10000 && (cp & 0xFFFE) != 0xFFFE));
            case List<?> l -> l.stream().allMatch(ValueDoorsTest::storable);
            case Map<?, ?> m -> m.entrySet().stream().allMatch(e -> storable(e.getKey()) && storable(e.getValue()));
            default -> true;
        };
    }

    /** Whether XML 1.0 can carry every character of every string in {@code v}. */
    private static boolean xmlCarries(Object v) {
        return switch (v) {
            case String s ->
                s.codePoints()
                        .allMatch(cp -> cp == 9
                                || cp == 10
                                || cp == 13
                                || (cp >= 0x20 && cp <= 0xD7FF)
                                || (cp >= 0xE000 && cp <= 0xFFFD)
                                || cp >= 0x10000);
            case List<?> l -> l.stream().allMatch(ValueDoorsTest::xmlCarries);
            case Map<?, ?> m -> m.entrySet().stream().allMatch(e -> xmlCarries(e.getKey()) && xmlCarries(e.getValue()));
            default -> true;
        };
    }

    /** A value as both doors return it, for comparison: ints as decimal strings, maps as ordered maps. */
    private static Object wireForm(Object v) {
        return switch (v) {
            case Long l -> Long.toString(l);
            case List<?> l -> l.stream().map(ValueDoorsTest::wireForm).toList();
            case Map<?, ?> m -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                m.forEach((k, x) -> out.put(wireForm(k), wireForm(x)));
                yield out;
            }
            default -> v;
        };
    }

    private static Object fromJson(JsonNode n) {
        if (n.isTextual()) return n.textValue();
        if (n.isIntegralNumber()) return n.asText();
        if (n.isArray()) {
            List<Object> l = new ArrayList<>();
            n.forEach(x -> l.add(fromJson(x)));
            return l;
        }
        if (n.isObject()) {
            Map<Object, Object> m = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                m.put(e.getKey(), fromJson(e.getValue()));
            }
            return m;
        }
        return n.toString();
    }

    // ------------------------------------------------------------------ generators

    private static final String[] NASTY = {
        "\u0000", "\u0001", "\u001f", "\t", "\n", "\r", "\u007f", "\u0085", "\ud800", "\udc00", "\ufdd0", "\ufdef",
        "\ufffd", "\ufffe", "\uffff", "\ud83f\udffe", "\udbff\udfff", "\uf8ff", "\u2028", "<", "&", "]]>", "\"", "'",
        "%", " ", "\\", "\ud83d\ude00", "日本"
    };

    private String text() {
        StringBuilder b = new StringBuilder();
        for (int i = rnd.nextInt(5); i > 0; i--) {
            switch (rnd.nextInt(5)) {
                case 0 -> b.append(NASTY[rnd.nextInt(NASTY.length)]);
                case 1 -> b.append((char) rnd.nextInt(0x10000));
                case 2 -> b.appendCodePoint(0x10000 + rnd.nextInt(0x100000));
                case 3 -> {
                    int n = rnd.nextInt(30) == 0 ? 20_000 + rnd.nextInt(20_000) : rnd.nextInt(12);
                    for (int k = 0; k < n; k++) b.append((char) (0x20 + rnd.nextInt(0x5f)));
                }
                default -> b.append("v").append(rnd.nextInt(1000));
            }
        }
        return b.toString();
    }

    private Object value(Kind k) {
        return switch (k) {
            case STRING -> text();
            case REF -> rnd.nextBoolean() ? "OpaqueRef:NULL" : "OpaqueRef:" + text();
            case ENUM -> rnd.nextInt(4) == 0 ? text() : ENUM.get(rnd.nextInt(ENUM.size()));
            case SET -> {
                List<String> l = new ArrayList<>();
                for (int i = rnd.nextInt(4); i > 0; i--) l.add(text());
                yield l;
            }
            case MAP -> {
                Map<String, String> m = new LinkedHashMap<>();
                for (int i = rnd.nextInt(4); i > 0; i--) m.put(text(), text());
                yield m;
            }
            case INT -> rnd.nextLong() >> rnd.nextInt(64);
        };
    }

    private static String show(Object v) {
        StringBuilder b = new StringBuilder();
        String.valueOf(v).codePoints().limit(120).forEach(cp -> {
            if (cp >= 0x20 && cp < 0x7f) b.appendCodePoint(cp);
            else b.append(String.format("\\u{%x}", cp));
        });
        return b.toString();
    }

    // ------------------------------------------------------------------ the two doors, written by hand

    private Answer xml(String method, Object... params) throws Exception {
        StringBuilder b = new StringBuilder("<?xml version=\"1.0\"?><methodCall><methodName>")
                .append(method)
                .append("</methodName><params>");
        for (Object p : params) {
            b.append("<param>");
            xmlValue(b, p);
            b.append("</param>");
        }
        b.append("</params></methodCall>");
        HttpResponse<byte[]> r = wire.post("/", "text/xml", utf8(b));
        if (r.statusCode() != 200) return new Answer(null, null, r.statusCode());
        RpcResponse resp = XmlRpcReader.RESPONSES.readResponse(r.body()); // throws if the response does not parse
        if (resp.success()) return new Answer(resp.contents(), null, 200);
        @SuppressWarnings("unchecked")
        List<String> err = (List<String>) resp.contents();
        return new Answer(null, err, 200);
    }

    private static void xmlValue(StringBuilder b, Object v) {
        switch (v) {
            case String s -> b.append("<value>").append(xmlText(s)).append("</value>");
            case Long l -> b.append("<value>").append(l).append("</value>");
            case Double d -> b.append("<value><double>").append(d).append("</double></value>");
            case List<?> l -> {
                b.append("<value><array><data>");
                for (Object x : l) xmlValue(b, x);
                b.append("</data></array></value>");
            }
            case Map<?, ?> m -> {
                b.append("<value><struct>");
                m.forEach((k, x) -> {
                    b.append("<member><name>").append(xmlText((String) k)).append("</name>");
                    xmlValue(b, x);
                    b.append("</member>");
                });
                b.append("</struct></value>");
            }
            default -> throw new IllegalArgumentException(String.valueOf(v));
        }
    }

    private static String xmlText(String s) {
        // CR as a reference, as a careful client writes it: a raw CR reaches every XML reader as LF
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;");
    }

    private Answer json(String method, Object... params) throws Exception {
        StringBuilder b = new StringBuilder("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"")
                .append(method)
                .append("\",\"params\":");
        jsonValue(b, List.of(params));
        b.append('}');
        HttpResponse<byte[]> r = wire.post("/jsonrpc", "application/json", utf8(b));
        if (r.statusCode() != 200) return new Answer(null, null, r.statusCode());
        JsonNode n = JSON.readTree(r.body());
        JsonNode err = n.get("error");
        if (err == null || err.isNull()) return new Answer(n.get("result"), null, 200);
        List<String> d = new ArrayList<>();
        if (err.isArray()) {
            err.forEach(x -> d.add(x.asText()));
        } else {
            d.add(err.get("message").asText());
            err.get("data").forEach(x -> d.add(x.asText()));
        }
        return new Answer(null, d, 200);
    }

    /** Every character outside printable ASCII as a {@code \\u} escape, so that any UTF-16 text can be sent. */
    private static void jsonValue(StringBuilder b, Object v) {
        switch (v) {
            case String s -> {
                b.append('"');
                for (int i = 0; i < s.length(); i++) {
                    char c = s.charAt(i);
                    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') b.append(c);
                    else b.append(String.format("\\u%04x", (int) c));
                }
                b.append('"');
            }
            case Long l -> b.append(l);
            case Double d -> b.append(d);
            case List<?> l -> {
                b.append('[');
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) b.append(',');
                    jsonValue(b, l.get(i));
                }
                b.append(']');
            }
            case Map<?, ?> m -> {
                b.append('{');
                boolean first = true;
                for (var e : m.entrySet()) {
                    if (!first) b.append(',');
                    first = false;
                    jsonValue(b, e.getKey());
                    b.append(':');
                    jsonValue(b, e.getValue());
                }
                b.append('}');
            }
            default -> throw new IllegalArgumentException(String.valueOf(v));
        }
    }

    /** UTF-8, with an unpaired surrogate written as its 3-byte form (what a lenient encoder sends). */
    private static byte[] utf8(CharSequence s) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            int c = s.charAt(i);
            if (Character.isHighSurrogate((char) c)
                    && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                c = Character.toCodePoint((char) c, s.charAt(++i));
            }
            if (c < 0x80) {
                o.write(c);
            } else if (c < 0x800) {
                o.write(0xC0 | c >> 6);
                o.write(0x80 | c & 0x3F);
            } else if (c < 0x10000) {
                o.write(0xE0 | c >> 12);
                o.write(0x80 | c >> 6 & 0x3F);
                o.write(0x80 | c & 0x3F);
            } else {
                o.write(0xF0 | c >> 18);
                o.write(0x80 | c >> 12 & 0x3F);
                o.write(0x80 | c >> 6 & 0x3F);
                o.write(0x80 | c & 0x3F);
            }
        }
        return o.toByteArray();
    }
}
