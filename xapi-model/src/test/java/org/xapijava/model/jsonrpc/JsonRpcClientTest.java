package org.xapijava.model.jsonrpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.jsonrpc.JsonRpcParseException.Kind;

/** The pool-internal client side: requests written, responses read, and round trips through the server side. */
class JsonRpcClientTest {

    private final JsonRpcCodec server = JsonRpcCodec.standard();
    private final JsonRpcCodec client = new JsonRpcCodec(JsonRpcLimits.RESPONSE);

    private static String text(JsonRpcWriteTest.Body b) throws IOException {
        return JsonRpcWriteTest.bytes(b);
    }

    private JsonRpcResponse response(String s) throws JsonRpcParseException {
        return client.parseResponse(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void v2RequestBytes() throws IOException {
        assertEquals(
                "{\"jsonrpc\":\"2.0\",\"method\":\"session.login_with_password\",\"params\":[\"root\",\"pw\"],\"id\":1}",
                text(o ->
                        client.writeRequest(o, JsonRpcId.of(1), "session.login_with_password", List.of("root", "pw"))));
    }

    @Test
    void v1RequestBytesAsOcamlRpc() throws IOException {
        assertEquals(
                "{\"method\":\"host.get_record\",\"params\":[\"OpaqueRef:s\",\"OpaqueRef:h\"],\"id\":5}",
                text(o -> client.writeRequest(
                        o,
                        JsonRpcVersion.V1,
                        JsonRpcId.of(5),
                        "host.get_record",
                        List.of("OpaqueRef:s", "OpaqueRef:h"))));
    }

    @Test
    void v2SingleStructParameterIsSentAsAnObject() throws Exception {
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("name_label", "x");
        rec.put("virtual_size", 1L);
        String req = text(o -> client.writeRequest(o, JsonRpcVersion.V2, JsonRpcId.of("q"), "m", List.of(rec)));
        assertEquals(
                "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":{\"name_label\":\"x\",\"virtual_size\":1},\"id\":\"q\"}",
                req);
        // and the server reads it back as one struct parameter
        assertEquals(
                List.of(rec),
                server.parseRequest(req.getBytes(StandardCharsets.UTF_8)).params());
    }

    @Test
    void requestRoundTripThroughTheServerParser() throws Exception {
        List<Object> params = List.of("OpaqueRef:s", List.of("VM", "*"), "", 30.0, 7L, true, Map.of("k", List.of()));
        for (JsonRpcVersion v : JsonRpcVersion.values()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            client.writeRequest(out, v, JsonRpcId.of(99), "event.from", params);
            JsonRpcRequest r = server.parseRequest(out.toByteArray());
            assertEquals(v, r.version());
            assertEquals("event.from", r.method());
            assertEquals(params, r.params());
            assertEquals(JsonRpcId.of(99), r.id());
        }
    }

    @Test
    void successRoundTrip() throws Exception {
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("uuid", "u");
        rec.put("VCPUs_utilisation", Map.of("0", 0.25));
        rec.put("memory", 4294967296L);
        rec.put("ok", false);
        rec.put("none", null);
        for (JsonRpcVersion v : JsonRpcVersion.values()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            server.writeSuccess(out, v, JsonRpcId.of("id-1"), rec);
            JsonRpcResponse r = client.parseResponse(new ByteArrayInputStream(out.toByteArray()));
            assertTrue(r.success());
            assertEquals(v, r.version());
            assertEquals(JsonRpcId.of("id-1"), r.id());
            assertEquals(rec, r.result());
            assertEquals(rec, r.resultOrThrow());
        }
    }

    @Test
    void failureRoundTripBothShapes() throws Exception {
        for (JsonRpcVersion v : JsonRpcVersion.values()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            server.writeFailure(out, v, JsonRpcId.of(3), "SESSION_INVALID", List.of("OpaqueRef:s"));
            JsonRpcResponse r = client.parseResponse(out.toByteArray());
            assertFalse(r.success());
            assertEquals(List.of("SESSION_INVALID", "OpaqueRef:s"), r.error());
            ApiError e = assertThrows(ApiError.class, r::resultOrThrow);
            assertEquals("SESSION_INVALID", e.code());
            assertEquals(List.of("OpaqueRef:s"), e.params());
        }
    }

    @Test
    void emergencyQuirkIsReadAsAnError() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        server.writePreDispatchFailure(out, "HOST_STILL_BOOTING", List.of());
        JsonRpcResponse r = client.parseResponse(out.toByteArray());
        assertFalse(r.success());
        assertEquals(JsonRpcVersion.V2, r.version());
        assertEquals(JsonRpcId.ZERO, r.id());
        assertEquals(List.of("HOST_STILL_BOOTING"), r.error());
    }

    @Test
    void v1NullResultAndNullErrorIsSuccess() throws Exception {
        JsonRpcResponse r = response("{\"result\":null,\"error\":null,\"id\":1}");
        assertTrue(r.success());
        assertEquals(null, r.result());
    }

    @Test
    void v2ErrorDataVariants() throws Exception {
        assertEquals(
                List.of("X"),
                response("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":1,\"message\":\"X\"},\"id\":1}")
                        .error());
        assertEquals(
                List.of("X", "p"),
                response("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":1,\"message\":\"X\",\"data\":\"p\"},\"id\":1}")
                        .error());
        assertEquals(
                List.of("X", "1", "{\"a\":true}"),
                response(
                                "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32000,\"message\":\"X\",\"data\":[1,{\"a\":true}]},\"id\":1}")
                        .error());
    }

    @Test
    void malformedResponses() {
        record Case(String body, String fragment) {}
        List<Case> cases = List.of(
                new Case("{\"result\":1,\"error\":null}", "Required field id is missing in response body"),
                new Case("{\"result\":1,\"error\":null,\"id\":null}", "Invalid field 'id' in response body"),
                new Case("{\"result\":1,\"error\":null,\"id\":1.0}", "Invalid field 'id' in response body"),
                new Case("{\"result\":1,\"id\":1}", "Required field error is missing"),
                new Case("{\"error\":null,\"id\":1}", "Required field result is missing"),
                new Case("{\"result\":1,\"error\":[\"X\"],\"id\":1}", "both 'result' and 'error' are non-null"),
                new Case(
                        "{\"jsonrpc\":\"2.0\",\"result\":1,\"error\":[\"X\"],\"id\":1}",
                        "both 'result' and 'error' are present"),
                new Case("{\"jsonrpc\":\"2.0\",\"id\":1}", "neither 'result' nor 'error'"),
                new Case("{\"jsonrpc\":\"2.0\",\"error\":\"X\",\"id\":1}", "'error' is a string"),
                new Case(
                        "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":\"1\",\"message\":\"X\"},\"id\":1}",
                        "error 'code' is not an integer"),
                new Case("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":1},\"id\":1}", "error 'message' is not a string"),
                new Case("{\"jsonrpc\":\"3.0\",\"result\":1,\"id\":1}", "Invalid field 'jsonrpc' in response body"),
                new Case("[]", "Invalid response body: expected a JSON object"),
                new Case("{\"result\":1,\"error\":null,\"id\":1} 1", "trailing data after the response"));
        for (Case c : cases) {
            JsonRpcParseException e = assertThrows(JsonRpcParseException.class, () -> response(c.body()), c.body());
            assertTrue(e.getMessage().contains(c.fragment()), () -> c.body() + " -> " + e.getMessage());
        }
    }

    @Test
    void responseLimitsAreLargerButStillEnforced() throws Exception {
        String big = "{\"result\":\"" + "x".repeat(1_000_000) + "\",\"error\":null,\"id\":1}";
        assertEquals(1_000_000, ((String) response(big).result()).length());
        JsonRpcCodec tiny = new JsonRpcCodec(new JsonRpcLimits(100, 8));
        assertEquals(
                Kind.TOO_LARGE,
                assertThrows(
                                JsonRpcParseException.class,
                                () -> tiny.parseResponse(
                                        new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))))
                        .kind());
    }

    @Test
    void parseValueRoundTrip() throws Exception {
        Object v = client.parseValue("{\"a\":[1,2.5,\"s\",null,true,{\"b\":{}}]}".getBytes(StandardCharsets.UTF_8));
        assertEquals("{\"a\":[1,2.5,\"s\",null,true,{\"b\":{}}]}", JsonRpcCodec.toJson(v));
        assertEquals(
                Kind.SYNTAX,
                assertThrows(
                                JsonRpcParseException.class,
                                () -> client.parseValue("[1] [2]".getBytes(StandardCharsets.UTF_8)))
                        .kind());
    }

    @Test
    void idToStringIsItsWireForm() {
        assertEquals("0", JsonRpcId.ZERO.toString());
        assertEquals("\"a\\\"b\"", JsonRpcId.of("a\"b").toString());
        assertEquals(-5L, JsonRpcId.of(-5).value());
        assertFalse(JsonRpcId.of(1).isString());
    }

    @Test
    void minusZeroIdComesBackAsZero() throws Exception {
        JsonRpcRequest r =
                server.parseRequest("{\"method\":\"m\",\"params\":[],\"id\":-0}".getBytes(StandardCharsets.UTF_8));
        assertEquals(
                "{\"result\":\"\",\"error\":null,\"id\":0}",
                text(o -> server.writeSuccess(o, r.version(), r.id(), "")));
    }
}
