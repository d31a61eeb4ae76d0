package org.xapijava.model.jsonrpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xapijava.model.jsonrpc.JsonRpcParseException.Kind;

class JsonRpcRequestParseTest {

    private final JsonRpcCodec codec = JsonRpcCodec.standard();

    private JsonRpcRequest parse(String body) throws JsonRpcParseException {
        return codec.parseRequest(body.getBytes(StandardCharsets.UTF_8));
    }

    private JsonRpcParseException bad(String body) {
        return bad(body.getBytes(StandardCharsets.UTF_8));
    }

    private JsonRpcParseException bad(byte[] body) {
        return assertThrows(JsonRpcParseException.class, () -> codec.parseRequest(body));
    }

    // ------------------------------------------------------------------ what real clients send (client-wire.md)

    @Test
    void xenOrchestraLogin() throws Exception {
        JsonRpcRequest r = parse(
                "{\"id\":0,\"jsonrpc\":\"2.0\",\"method\":\"session.login_with_password\",\"params\":[\"root\",\"REDACTED\"]}");
        assertEquals(JsonRpcVersion.V2, r.version());
        assertEquals("session.login_with_password", r.method());
        assertEquals(List.of("root", "REDACTED"), r.params());
        assertEquals(JsonRpcId.ZERO, r.id());
    }

    @Test
    void xenOrchestraEventFromWithFloatTimeout() throws Exception {
        JsonRpcRequest r = parse(
                "{\"id\":0,\"jsonrpc\":\"2.0\",\"method\":\"event.from\",\"params\":[\"OpaqueRef:s\",[\"VM\",\"SR\"],\"00000000000000000012,00000000000000000000\",60.1]}");
        assertEquals(
                List.of("OpaqueRef:s", List.of("VM", "SR"), "00000000000000000012,00000000000000000000", 60.1),
                r.params());
    }

    @Test
    void xenOrchestraNoParamCall() throws Exception {
        JsonRpcRequest r = parse("{\"id\":0,\"jsonrpc\":\"2.0\",\"method\":\"system.listMethods\",\"params\":[]}");
        assertEquals(List.of(), r.params());
    }

    @Test
    void xenOrchestraIntegersAreNumbers() throws Exception {
        JsonRpcRequest r = parse(
                "{\"id\":0,\"jsonrpc\":\"2.0\",\"method\":\"VDI.create\",\"params\":[\"OpaqueRef:s\",{\"virtual_size\":67108864,\"sharable\":false,\"other_config\":{}}]}");
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("virtual_size", 67108864L);
        rec.put("sharable", false);
        rec.put("other_config", Map.of());
        assertEquals(List.of("OpaqueRef:s", rec), r.params());
        assertEquals(
                Long.class, ((Map<?, ?>) r.params().get(1)).get("virtual_size").getClass());
    }

    @Test
    void xenServerJavaSdkPrettyPrinted() throws Exception {
        // com.xenserver:xen-api's JsonRpcRequest (Jackson): jsonrpc, id, method, params; whitespace allowed
        JsonRpcRequest r = parse(
                "{\n  \"jsonrpc\" : \"2.0\",\n  \"id\" : 1,\n  \"method\" : \"VM.get_all_records\",\n  \"params\" : [ \"OpaqueRef:s\" ]\n}\n");
        assertEquals(JsonRpcVersion.V2, r.version());
        assertEquals(JsonRpcId.of(1), r.id());
        assertEquals(List.of("OpaqueRef:s"), r.params());
    }

    @Test
    void xapiPoolClientV1() throws Exception {
        // ocaml-rpc's string_of_call default (V1), as a Xapi member sends to its master
        JsonRpcRequest r =
                parse("{\"method\":\"session.slave_login\",\"params\":[\"OpaqueRef:h\",\"secret\"],\"id\":42}");
        assertEquals(JsonRpcVersion.V1, r.version());
        assertEquals(JsonRpcId.of(42), r.id());
    }

    // ------------------------------------------------------------------ valid variants

    @Test
    void v2ParamsObjectIsOneStructParameter() throws Exception {
        JsonRpcRequest r =
                parse("{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":{\"a\":1,\"b\":[true]},\"id\":\"x\"}");
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", 1L);
        m.put("b", List.of(true));
        assertEquals(List.of(m), r.params());
        assertEquals(JsonRpcId.of("x"), r.id());
    }

    @Test
    void v2ParamsAbsentOrNullIsEmpty() throws Exception {
        assertEquals(
                List.of(),
                parse("{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":1}").params());
        assertEquals(
                List.of(),
                parse("{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":null,\"id\":1}")
                        .params());
    }

    @Test
    void memberOrderDoesNotMatterAndUnknownMembersAreIgnored() throws Exception {
        JsonRpcRequest r =
                parse("{\"id\":\"7\",\"extra\":{\"deep\":[1]},\"params\":[],\"method\":\"m\",\"jsonrpc\":\"2.0\"}");
        assertEquals(JsonRpcVersion.V2, r.version());
        assertEquals("m", r.method());
    }

    @Test
    void everyValueKindRoundTrips() throws Exception {
        String params = "[\"s\",\"\",-9223372036854775808,9223372036854775807,0,1.5,-0.0,1e+20,true,false,null,"
                + "[],{},[[{\"k\":[1,\"v\"]}]],\"20240319T04:16:24Z\",NaN,Infinity,-Infinity,\"é😀\\u2028\"]";
        JsonRpcRequest r = parse("{\"method\":\"m\",\"params\":" + params + ",\"id\":1}");
        assertEquals(params.replace("\\u2028", "\u2028"), JsonRpcCodec.toJson(r.params()));
        assertEquals(Long.class, r.params().get(4).getClass());
        assertEquals(Double.class, r.params().get(5).getClass());
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits((Double)
                r.params().get(6)));
    }

    @Test
    void escapesAreDecoded() throws Exception {
        JsonRpcRequest r =
                parse("{\"method\":\"m\",\"params\":[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\ud83d\\ude00\"],\"id\":1}");
        assertEquals("\"\\/\b\f\n\r\tA😀", r.params().get(0));
    }

    @Test
    void likeYojsonRawControlCharsAndCommentsAreAccepted() throws Exception {
        JsonRpcRequest r = parse("/* c */ {\"method\":\"m\", // line\n \"params\":[\"a\tb\nc\"],\"id\":1}");
        assertEquals(List.of("a\tb\nc"), r.params());
    }

    @Test
    void fractionalBigNumberIsADouble() throws Exception {
        assertEquals(
                List.of(1.2345678901234568e+29),
                parse("{\"method\":\"m\",\"params\":[123456789012345678901234567890.5],\"id\":1}")
                        .params());
        assertEquals(
                List.of(1e30),
                parse("{\"method\":\"m\",\"params\":[1e30],\"id\":1}").params());
    }

    @Test
    void fromAStream() throws Exception {
        byte[] b = "{\"method\":\"m\",\"params\":[],\"id\":1}".getBytes(StandardCharsets.UTF_8);
        assertEquals("m", codec.parseRequest(new ByteArrayInputStream(b)).method());
    }

    // ------------------------------------------------------------------ malformed requests

    private static void check(JsonRpcParseException e, Kind kind, String fragment, int line, int column) {
        assertEquals(kind, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), () -> "message: " + e.getMessage());
        assertEquals(line, e.line(), e.getMessage());
        assertEquals(column, e.column(), e.getMessage());
    }

    @Test
    void missingMethod() {
        check(bad("{\"params\":[],\"id\":1}"), Kind.ENVELOPE, "Required field method is missing", 1, 1);
    }

    @Test
    void methodNotAString() {
        check(
                bad("{\"method\":12,\"params\":[],\"id\":1}"),
                Kind.ENVELOPE,
                "Invalid field 'method' in request body: expected a string, found an integer",
                1,
                11);
    }

    @Test
    void missingId() {
        check(bad("{\"method\":\"m\",\"params\":[]}"), Kind.ENVELOPE, "Invalid field 'id'", 1, 1);
    }

    @Test
    void notificationWithNullId() {
        check(
                bad("{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":[],\"id\":null}"),
                Kind.ENVELOPE,
                "notifications",
                1,
                48);
    }

    @Test
    void invalidIds() {
        check(
                bad("{\"method\":\"m\",\"params\":[],\"id\":1.5}"),
                Kind.ENVELOPE,
                "Invalid field 'id' in request body: expected a string or an integer, found a float 1.5",
                1,
                32);
        check(bad("{\"method\":\"m\",\"params\":[],\"id\":true}"), Kind.ENVELOPE, "found a boolean true", 1, 32);
        check(bad("{\"method\":\"m\",\"params\":[],\"id\":[1]}"), Kind.ENVELOPE, "found an array", 1, 32);
        check(bad("{\"method\":\"m\",\"params\":[],\"id\":{}}"), Kind.ENVELOPE, "found an object", 1, 32);
    }

    @Test
    void badJsonrpcValue() {
        check(
                bad("{\"jsonrpc\":\"1.0\",\"method\":\"m\",\"params\":[],\"id\":1}"),
                Kind.ENVELOPE,
                "Invalid field 'jsonrpc' in request body: expected \"2.0\" or no such field, found a string \"1.0\"",
                1,
                12);
        check(
                bad("{\"jsonrpc\":2.0,\"method\":\"m\",\"params\":[],\"id\":1}"),
                Kind.ENVELOPE,
                "found a float 2.0",
                1,
                12);
        check(bad("{\"jsonrpc\":null,\"method\":\"m\",\"params\":[],\"id\":1}"), Kind.ENVELOPE, "found null", 1, 12);
    }

    @Test
    void v1ParamsRequiredArray() {
        check(bad("{\"method\":\"m\",\"id\":1}"), Kind.ENVELOPE, "Required field params is missing", 1, 1);
        check(
                bad("{\"method\":\"m\",\"params\":{\"a\":1},\"id\":1}"),
                Kind.ENVELOPE,
                "Invalid field 'params' in request body: expected an array, found an object",
                1,
                24);
        check(bad("{\"method\":\"m\",\"params\":null,\"id\":1}"), Kind.ENVELOPE, "found null", 1, 24);
    }

    @Test
    void v2ParamsScalar() {
        check(
                bad("{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":\"x\",\"id\":1}"),
                Kind.ENVELOPE,
                "expected an array or an object, found a string",
                1,
                40);
    }

    @Test
    void notAnObject() {
        check(bad("[1,2]"), Kind.ENVELOPE, "Invalid request body: expected a JSON object, found an array", 1, 1);
        check(bad("  \"x\""), Kind.ENVELOPE, "found a string", 1, 3);
    }

    @Test
    void emptyBody() {
        check(bad(""), Kind.SYNTAX, "Blank request", 0, 0);
        check(bad("  \n "), Kind.SYNTAX, "Blank request", 0, 0);
    }

    @Test
    void syntaxErrorsCarryPositions() {
        JsonRpcParseException e = bad("{\"method\":\"m\",\n\"params\":[1,,2],\"id\":1}");
        assertEquals(Kind.SYNTAX, e.kind());
        assertEquals(2, e.line());
        assertEquals(13, e.column());
        assertTrue(e.getMessage().startsWith("malformed JSON: "), e.getMessage());
        check(bad("{\"method\":\"m\",\"params\":[],\"id\":1"), Kind.SYNTAX, "malformed JSON", 1, 33);
        check(bad("{\"method\":'m',\"params\":[],\"id\":1}"), Kind.SYNTAX, "malformed JSON", 1, 11);
        check(bad("{\"method\":\"m\",\"params\":[01],\"id\":1}"), Kind.SYNTAX, "malformed JSON", 1, 26);
    }

    @Test
    void trailingGarbage() {
        check(
                bad("{\"method\":\"m\",\"params\":[],\"id\":1} x"),
                Kind.SYNTAX,
                "trailing data after the request",
                1,
                35);
        check(bad("{\"method\":\"m\",\"params\":[],\"id\":1}{}"), Kind.SYNTAX, "trailing data", 1, 34);
        check(bad("{\"method\":\"m\",\"params\":[],\"id\":1}}"), Kind.SYNTAX, "trailing data", 1, 34);
    }

    @Test
    void trailingWhitespaceIsFine() throws Exception {
        assertEquals(
                "m", parse("{\"method\":\"m\",\"params\":[],\"id\":1}\r\n\t ").method());
    }

    @Test
    void duplicateEnvelopeKeys() {
        check(
                bad("{\"method\":\"m\",\"params\":[],\"id\":1,\"method\":\"n\"}"),
                Kind.ENVELOPE,
                "Duplicate field \"method\" in request body",
                1,
                34);
        check(
                bad("{\"id\":1,\"method\":\"m\",\"params\":[],\"id\":2}"),
                Kind.ENVELOPE,
                "Duplicate field \"id\"",
                1,
                34);
    }

    @Test
    void duplicateKeysInAStructParam() {
        check(
                bad("{\"method\":\"m\",\"params\":[{\"a\":1,\"a\":2}],\"id\":1}"),
                Kind.ENVELOPE,
                "duplicate key \"a\"",
                1,
                32);
    }

    @Test
    void integerTooBigForALong() {
        check(
                bad("{\"method\":\"m\",\"params\":[9223372036854775808],\"id\":1}"),
                Kind.NUMBER,
                "integer 9223372036854775808 does not fit in 64 bits",
                1,
                25);
        check(bad("{\"method\":\"m\",\"params\":[-9223372036854775809],\"id\":1}"), Kind.NUMBER, "does not fit", 1, 25);
        check(bad("{\"method\":\"m\",\"params\":[],\"id\":99999999999999999999}"), Kind.NUMBER, "does not fit", 1, 32);
    }

    @Test
    void nonFiniteSpellingsYojsonDoesNotRead() {
        check(bad("{\"method\":\"m\",\"params\":[-INF],\"id\":1}"), Kind.SYNTAX, "invalid number -INF", 1, 25);
        check(bad("{\"method\":\"m\",\"params\":[+Infinity],\"id\":1}"), Kind.SYNTAX, "invalid number", 1, 25);
    }

    @Test
    void invalidUtf8() {
        byte[] pre = "{\"method\":\"m\",\"params\":[\"".getBytes(StandardCharsets.UTF_8);
        byte[][] bads = {
            {(byte) 0xC3, 0x28}, // bad continuation
            {(byte) 0xC0, (byte) 0x80}, // overlong NUL
            {(byte) 0xE0, (byte) 0x80, (byte) 0x80}, // overlong
            {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, // UTF-8-encoded surrogate
            {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // beyond U+10FFFF
            {(byte) 0xFF},
            {(byte) 0x80},
        };
        for (byte[] b : bads) {
            byte[] body = new byte[pre.length + b.length + 20];
            System.arraycopy(pre, 0, body, 0, pre.length);
            System.arraycopy(b, 0, body, pre.length, b.length);
            byte[] tail = "\"],\"id\":1}".getBytes(StandardCharsets.UTF_8);
            System.arraycopy(tail, 0, body, pre.length + b.length, tail.length);
            byte[] exact = java.util.Arrays.copyOf(body, pre.length + b.length + tail.length);
            JsonRpcParseException e = bad(exact);
            check(e, Kind.ENCODING, "invalid UTF-8 in request body", 1, 26);
            assertTrue(e.getMessage().contains("offset 25"), e.getMessage());
        }
    }

    @Test
    void invalidUtf8PositionCountsCharactersAndLines() {
        byte[] body = "{\"method\":\"m\",\n\"params\":[\"é€😀".getBytes(StandardCharsets.UTF_8);
        byte[] full = java.util.Arrays.copyOf(body, body.length + 1);
        full[body.length] = (byte) 0xFE;
        check(bad(full), Kind.ENCODING, "byte 0xfe", 2, 15);
    }

    @Test
    void otherEncodingsAndBomRefused() {
        check(bad("\uFEFF{\"method\":\"m\",\"params\":[],\"id\":1}"), Kind.ENCODING, "byte order mark", 1, 1);
        byte[] utf16 = "{\"method\":\"m\",\"params\":[],\"id\":1}".getBytes(StandardCharsets.UTF_16BE);
        assertEquals(Kind.SYNTAX, bad(utf16).kind());
    }

    @Test
    void unpairedSurrogateEscape() {
        check(
                bad("{\"method\":\"m\",\"params\":[\"a\\ud800b\"],\"id\":1}"),
                Kind.ENCODING,
                "unpaired surrogate \\ud800",
                1,
                25);
        check(
                bad("{\"method\":\"m\",\"params\":[{\"\\udc00\":1}],\"id\":1}"),
                Kind.ENCODING,
                "unpaired surrogate",
                1,
                26);
    }

    @Test
    void depthBomb() {
        String bomb = "[".repeat(100_000);
        check(
                bad("{\"method\":\"m\",\"params\":" + bomb),
                Kind.TOO_DEEP,
                "arrays and objects nested deeper than 64 levels",
                1,
                24 + 63);
        String obj = "{\"a\":".repeat(1000);
        assertEquals(Kind.TOO_DEEP, bad("{\"method\":\"m\",\"params\":[" + obj).kind());
    }

    @Test
    void depthJustUnderTheLimitIsFine() throws Exception {
        // envelope (1) + params (2) + 62 nested arrays = 64 levels
        String deep = "[".repeat(62) + "]".repeat(62);
        assertEquals(
                1,
                parse("{\"method\":\"m\",\"params\":[" + deep + "],\"id\":1}")
                        .params()
                        .size());
        String tooDeep = "[".repeat(63) + "]".repeat(63);
        assertEquals(
                Kind.TOO_DEEP,
                bad("{\"method\":\"m\",\"params\":[" + tooDeep + "],\"id\":1}").kind());
    }

    @Test
    void oversizedBody() {
        String big = "{\"method\":\"m\",\"params\":[\"" + "x".repeat(300 * 1024) + "\"],\"id\":1}";
        check(bad(big), Kind.TOO_LARGE, "larger than the limit of 307200 bytes", 0, 0);
    }

    @Test
    void oversizedStreamStopsReading() {
        long[] read = {0};
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                read[0]++;
                return ' ';
            }

            @Override
            public int read(byte[] b, int off, int len) {
                java.util.Arrays.fill(b, off, off + len, (byte) ' ');
                read[0] += len;
                return len;
            }
        };
        JsonRpcParseException e = assertThrows(JsonRpcParseException.class, () -> codec.parseRequest(endless));
        assertEquals(Kind.TOO_LARGE, e.kind());
        assertTrue(read[0] <= 307201, "read " + read[0]);
    }

    @Test
    void configurableLimits() throws Exception {
        JsonRpcCodec small = new JsonRpcCodec(new JsonRpcLimits(64, 3));
        assertEquals(
                List.of(List.of()),
                small.parseRequest("{\"method\":\"m\",\"params\":[[]],\"id\":1}".getBytes(StandardCharsets.UTF_8))
                        .params());
        assertEquals(
                Kind.TOO_DEEP,
                assertThrows(
                                JsonRpcParseException.class,
                                () -> small.parseRequest("{\"method\":\"m\",\"params\":[[[]]],\"id\":1}"
                                        .getBytes(StandardCharsets.UTF_8)))
                        .kind());
        assertEquals(
                Kind.TOO_LARGE,
                assertThrows(
                                JsonRpcParseException.class,
                                () -> small.parseRequest(
                                        ("{\"method\":\"m\",\"params\":[\"" + "x".repeat(64) + "\"],\"id\":1}")
                                                .getBytes(StandardCharsets.UTF_8)))
                        .kind());
    }

    private static final String SPECIALS = "{}[]\",:\\0-eE.+ntfu";

    @Test
    void fuzzNeverThrowsAnythingElse() {
        java.util.Random rnd = new java.util.Random(42);
        String seed =
                "{\"jsonrpc\":\"2.0\",\"method\":\"VM.get_record\",\"params\":[\"OpaqueRef:s\",{\"a\":[1,2.5,true,null,\"é\"]}],\"id\":0}";
        byte[] base = seed.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 20000; i++) {
            byte[] b = base.clone();
            int edits = 1 + rnd.nextInt(4);
            for (int k = 0; k < edits; k++) {
                if (b.length == 0) break;
                int at = rnd.nextInt(b.length);
                switch (rnd.nextInt(3)) {
                    case 0 -> b[at] = (byte) rnd.nextInt(256);
                    case 1 -> b[at] = (byte) SPECIALS.charAt(rnd.nextInt(SPECIALS.length()));
                    default -> b = java.util.Arrays.copyOf(b, at);
                }
            }
            try {
                codec.parseRequest(b);
            } catch (JsonRpcParseException expected) {
                // fine
            } catch (RuntimeException e) {
                throw new AssertionError("input " + new String(b, StandardCharsets.ISO_8859_1), e);
            }
        }
    }
}
