package org.xapijava.model.jsonrpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rpc.Marshal;
import org.xapijava.model.rpc.UnwritableTextException;
import org.xapijava.model.rpc.VersionedRecord;
import org.xapijava.model.types.DateTime;

/** Exact bytes of what the server writes (ocaml-rpc's Jsonrpc over Yojson.Safe.to_string). */
class JsonRpcWriteTest {

    private final JsonRpcCodec codec = JsonRpcCodec.standard();

    interface Body {
        void write(OutputStream out) throws IOException;
    }

    static String bytes(Body b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        b.write(out);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void v1Success() throws IOException {
        assertEquals(
                "{\"result\":\"OpaqueRef:abc\",\"error\":null,\"id\":7}",
                bytes(o -> codec.writeSuccess(o, JsonRpcVersion.V1, JsonRpcId.of(7), "OpaqueRef:abc")));
    }

    @Test
    void v2Success() throws IOException {
        assertEquals(
                "{\"jsonrpc\":\"2.0\",\"result\":\"OpaqueRef:abc\",\"id\":0}",
                bytes(o -> codec.writeSuccess(o, JsonRpcVersion.V2, JsonRpcId.ZERO, "OpaqueRef:abc")));
    }

    @Test
    void v2SuccessWithStringIdAndVoidResult() throws IOException {
        assertEquals(
                "{\"jsonrpc\":\"2.0\",\"result\":\"\",\"id\":\"a\\\"b\"}",
                bytes(o -> codec.writeSuccess(o, JsonRpcVersion.V2, JsonRpcId.of("a\"b"), "")));
    }

    @Test
    void v1Failure() throws IOException {
        assertEquals(
                "{\"result\":null,\"error\":[\"HANDLE_INVALID\",\"VM\",\"OpaqueRef:x\"],\"id\":1}",
                bytes(o -> codec.writeFailure(
                        o, JsonRpcVersion.V1, JsonRpcId.of(1), "HANDLE_INVALID", List.of("VM", "OpaqueRef:x"))));
    }

    @Test
    void v2Failure() throws IOException {
        assertEquals(
                "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":1,\"message\":\"HANDLE_INVALID\",\"data\":[\"VM\",\"OpaqueRef:x\"]},\"id\":0}",
                bytes(o -> codec.writeFailure(
                        o, JsonRpcVersion.V2, JsonRpcId.ZERO, ApiError.handleInvalid("VM", "OpaqueRef:x"))));
    }

    @Test
    void v2FailureWithoutParamsHasEmptyData() throws IOException {
        assertEquals(
                "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":1,\"message\":\"HOST_STILL_BOOTING\",\"data\":[]},\"id\":\"x\"}",
                bytes(o ->
                        codec.writeFailure(o, JsonRpcVersion.V2, JsonRpcId.of("x"), "HOST_STILL_BOOTING", List.of())));
    }

    @Test
    void emergencyQuirkEnvelope() throws IOException {
        assertEquals(
                "{\"jsonrpc\":\"2.0\",\"error\":[\"HOST_STILL_BOOTING\"],\"id\":0}",
                bytes(o -> codec.writePreDispatchFailure(o, "HOST_STILL_BOOTING", List.of())));
        assertEquals(
                "{\"jsonrpc\":\"2.0\",\"error\":[\"HOST_IS_SLAVE\",\"10.0.0.1\"],\"id\":0}",
                bytes(o -> codec.writePreDispatchFailure(o, "HOST_IS_SLAVE", List.of("10.0.0.1"))));
    }

    @Test
    void untranslatedV2Failure() throws IOException {
        assertEquals(
                "{\"jsonrpc\":\"2.0\",\"error\":[\"SESSION_INVALID\",\"OpaqueRef:s\"],\"id\":3}",
                bytes(o -> codec.writeUntranslatedFailure(
                        o, JsonRpcVersion.V2, JsonRpcId.of(3), List.of("SESSION_INVALID", "OpaqueRef:s"))));
        assertEquals(
                "{\"result\":null,\"error\":[\"X\"],\"id\":3}",
                bytes(o -> codec.writeUntranslatedFailure(o, JsonRpcVersion.V1, JsonRpcId.of(3), List.of("X"))));
    }

    @Test
    void everyValueKind() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "x");
        m.put("l", 9223372036854775807L);
        m.put("neg", Long.MIN_VALUE);
        m.put("i", 42);
        m.put("d", 1.0);
        m.put("t", true);
        m.put("f", false);
        m.put("n", null);
        m.put("dt", new DateTime(LocalDateTime.of(2024, 3, 19, 4, 16, 24), ZoneOffset.UTC));
        m.put("dtz", new DateTime(LocalDateTime.of(1970, 1, 1, 0, 0, 0), null));
        m.put("list", List.of(1L, "a", List.of()));
        m.put("map", Map.of());
        assertEquals(
                "{\"s\":\"x\",\"l\":9223372036854775807,\"neg\":-9223372036854775808,\"i\":42,\"d\":1.0,"
                        + "\"t\":true,\"f\":false,\"n\":null,\"dt\":\"20240319T04:16:24Z\",\"dtz\":\"19700101T00:00:00\","
                        + "\"list\":[1,\"a\",[]],\"map\":{}}",
                JsonRpcCodec.toJson(m));
    }

    @Test
    void floatsInsideValues() {
        List<Object> l = List.of(
                1.0,
                0.1,
                1e20,
                123456789.123,
                -0.0,
                9223372036854775808.0,
                Double.NaN,
                Double.POSITIVE_INFINITY,
                Double.NEGATIVE_INFINITY);
        assertEquals(
                "[1.0,0.1,1e+20,123456789.123,-0.0,9.223372036854776e+18,NaN,Infinity,-Infinity]",
                JsonRpcCodec.toJson(l));
    }

    @Test
    void stringEscapingAsYojson() {
        assertEquals("\"\\\"\\\\/\"", JsonRpcCodec.toJson("\"\\/"));
        assertEquals("\"\\b\\f\\n\\r\\t\"", JsonRpcCodec.toJson("\b\f\n\r\t"));
        assertEquals("\"\\u0000\\u0001\\u001f\\u007f\\u000b\"", JsonRpcCodec.toJson("\u0000\u0001\u001f\u007f\u000b"));
        // non-ASCII (incl. U+2028/U+2029 and astral) raw in UTF-8
        String s = "é€\u2028\u2029😀";
        assertArrayEquals(
                ("\"" + s + "\"").getBytes(StandardCharsets.UTF_8),
                JsonRpcCodec.toJson(s).getBytes(StandardCharsets.UTF_8));
        assertEquals("\"\u0080\u07ff\u0800\uffff\"", JsonRpcCodec.toJson("\u0080\u07ff\u0800\uffff"));
    }

    @Test
    void unpairedSurrogateWrittenAsReplacementChar() {
        assertEquals("\"a\uFFFDb\uFFFD\"", JsonRpcCodec.toJson("a\uD800b\uDC00"));
    }

    @Test
    void resultsAndRequestsRefuseWhatUtf8CannotCarryErrorsReplaceIt() throws IOException {
        assertThrows(
                UnwritableTextException.class,
                () -> bytes(o -> codec.writeSuccess(o, JsonRpcVersion.V2, JsonRpcId.ZERO, List.of("a\uD800"))));
        assertThrows(
                UnwritableTextException.class,
                () -> bytes(o -> codec.writeSuccess(o, JsonRpcVersion.V1, JsonRpcId.ZERO, Map.of("\uDC00", ""))));
        assertThrows(
                UnwritableTextException.class,
                () -> bytes(o -> codec.writeRequest(o, JsonRpcVersion.V1, JsonRpcId.ZERO, "m", List.of("\uD800"))));
        assertEquals(
                "{\"result\":null,\"error\":[\"X\",\"a\uFFFD\"],\"id\":0}",
                bytes(o -> codec.writeFailure(o, JsonRpcVersion.V1, JsonRpcId.ZERO, "X", List.of("a\uD800"))));
        // JSON carries U+FFFF, noncharacters and (escaped) controls unchanged: nothing to refuse there
        assertEquals(
                "{\"result\":\"\uFFFF\uFDD0\\u0001\",\"error\":null,\"id\":0}",
                bytes(o -> codec.writeSuccess(o, JsonRpcVersion.V1, JsonRpcId.ZERO, "\uFFFF\uFDD0\u0001")));
    }

    @Test
    void longStringsCrossTheBuffer() throws Exception {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 20000; i++) b.append("é\n😀x\u0001");
        String s = b.toString();
        String json = JsonRpcCodec.toJson(s);
        assertEquals(s, codec.parseValue(json.getBytes(StandardCharsets.UTF_8)));
        String expected = "\"" + s.replace("\n", "\\n").replace("\u0001", "\\u0001") + "\"";
        assertEquals(expected, json);
    }

    @Test
    void keysAreEscapedToo() {
        assertEquals("{\"a\\\"\\n\":1}", JsonRpcCodec.toJson(Map.of("a\"\n", 1L)));
    }

    @Test
    void notAnRpcValueIsAProgrammingError() {
        assertThrows(IllegalArgumentException.class, () -> JsonRpcCodec.toJson(new Object()));
        assertThrows(IllegalArgumentException.class, () -> JsonRpcCodec.toJson(Map.of(1, "x")));
        List<Object> cyclic = new ArrayList<>();
        cyclic.add(cyclic);
        assertThrows(IllegalArgumentException.class, () -> JsonRpcCodec.toJson(cyclic));
    }

    @Test
    void writesStraightToTheStreamInChunks() throws IOException {
        // a big get_all_records-like result: many records, the stream sees bounded writes
        Map<String, Object> all = new LinkedHashMap<>();
        for (int i = 0; i < 2000; i++) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("uuid", "00000000-0000-0000-0000-" + String.format("%012d", i));
            r.put("name_label", "vm " + i);
            r.put("memory_static_max", 4294967296L);
            r.put("other_config", Map.of("k", "v"));
            all.put("OpaqueRef:" + i, r);
        }
        int[] maxChunk = {0};
        long[] total = {0};
        OutputStream counting = new OutputStream() {
            @Override
            public void write(int b) {
                total[0]++;
                maxChunk[0] = Math.max(maxChunk[0], 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                total[0] += len;
                maxChunk[0] = Math.max(maxChunk[0], len);
            }
        };
        codec.writeSuccess(counting, JsonRpcVersion.V2, JsonRpcId.ZERO, all);
        assertEquals(
                bytes(o -> codec.writeSuccess(o, JsonRpcVersion.V2, JsonRpcId.ZERO, all))
                        .getBytes(StandardCharsets.UTF_8)
                        .length,
                total[0]);
        assertEquals(true, maxChunk[0] <= Utf8JsonWriter.BUFFER_SIZE);
    }

    /**
     * A record of a database row encodes as the same fields in a plain map, the first, second (kept) and third
     * (reused) time; the kept bytes stand for the row's version (a value changed behind it is not seen, which a
     * database row never allows), and a new version is encoded afresh, inside a larger answer too.
     */
    @Test
    void recordsOfTheSameVersionReuseTheirEncodingAndANewVersionIsEncodedAfresh() throws IOException {
        org.xapijava.model.Datamodel dm = org.xapijava.model.Datamodel.get();
        org.xapijava.model.ClassDef vm = dm.cls("VM");
        VersionedRecord first = new VersionedRecord(vm, "first \"name\" \u00e9");
        String plain = bytes(o -> codec.writeSuccess(
                o, JsonRpcVersion.V2, JsonRpcId.of(1), new LinkedHashMap<>(Marshal.record(dm, vm, first))));
        for (int i = 0; i < 3; i++) {
            assertEquals(
                    plain,
                    bytes(o ->
                            codec.writeSuccess(o, JsonRpcVersion.V2, JsonRpcId.of(1), Marshal.record(dm, vm, first))),
                    "encoding " + i);
        }
        first.changeInPlace("name_label", "changed in place");
        assertEquals(
                plain,
                bytes(o -> codec.writeSuccess(o, JsonRpcVersion.V2, JsonRpcId.of(1), Marshal.record(dm, vm, first))),
                "the kept bytes were reused");
        VersionedRecord second = new VersionedRecord(vm, "second");
        String fresh = bytes(o ->
                codec.writeSuccess(o, JsonRpcVersion.V2, JsonRpcId.of(1), List.of(Marshal.record(dm, vm, second))));
        org.junit.jupiter.api.Assertions.assertTrue(fresh.contains("second") && !fresh.contains("first"), fresh);
        assertEquals(
                bytes(o -> codec.writeSuccess(
                        o,
                        JsonRpcVersion.V2,
                        JsonRpcId.of(1),
                        List.of(new LinkedHashMap<>(Marshal.record(dm, vm, new LinkedHashMap<>(second)))))),
                fresh);
    }
}
