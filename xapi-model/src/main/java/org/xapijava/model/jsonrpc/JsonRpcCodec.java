package org.xapijava.model.jsonrpc;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.jsonrpc.JsonRpcParseException.Kind;

/**
 * Xapi's JSON-RPC codec ({@code POST /jsonrpc}): requests and responses on both the server side and the
 * (pool-internal) client side, byte-compatible with ocaml-rpc's {@code Jsonrpc} module over Yojson 2.x.
 *
 * <h2>Values</h2>
 * Rpc values are plain Java: {@link String}, {@link Long} (JSON integers; {@link Integer} is also written),
 * {@link Double}, {@link Boolean}, {@link org.xapijava.model.types.DateTime} (written as its wire string),
 * {@link List}, {@link Map} with String keys (read as {@link LinkedHashMap}, document order), {@code null}.
 * Output is compact (no whitespace), escaped and formatted as Yojson does (see {@link Utf8JsonWriter},
 * {@link YojsonFloat}).
 *
 * <h2>Input</h2>
 * Documents are read whole (with the byte limit enforced while reading), checked as strict UTF-8 by the JDK's
 * decoder (overlong forms, encoded surrogates, byte order marks refused) and parsed by Jackson from the
 * decoded characters (so Jackson never guesses an encoding). Accepted like Yojson: {@code NaN},
 * {@code Infinity}, {@code -Infinity}, raw control characters inside strings, {@code //} and {@code /* *}{@code /}
 * comments. Refused (unlike Yojson): duplicate keys in any object, unpaired surrogates in {@code \\u}
 * escapes. Every problem with the input is a {@link JsonRpcParseException}.
 *
 * <p>Thread-safe: an instance holds one {@link JsonFactory} (itself thread-safe) and the limits; share one
 * per configuration. Writers never close or flush the stream they are given.
 */
public final class JsonRpcCodec {

    private static final JsonRpcCodec STANDARD = new JsonRpcCodec(JsonRpcLimits.REQUEST);

    private static final String JSONRPC_V2 = "2.0";

    private final JsonRpcLimits limits;
    private final JsonFactory factory;

    public JsonRpcCodec(JsonRpcLimits limits) {
        this.limits = limits;
        this.factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxDocumentLength(limits.maxBytes())
                        .maxNestingDepth(limits.maxDepth() + 1) // backstop: TreeReader reports depth first
                        .maxStringLength((int) limits.maxBytes())
                        // keys as long as strings: XML-RPC takes a member name up to the body limit
                        .maxNameLength((int) limits.maxBytes())
                        .build())
                .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                .enable(JsonReadFeature.ALLOW_UNESCAPED_CONTROL_CHARS)
                .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
                .build();
    }

    /** The codec with {@link JsonRpcLimits#REQUEST} (Xapi's 300 KiB), for the server's {@code /jsonrpc}. */
    public static JsonRpcCodec standard() {
        return STANDARD;
    }

    public JsonRpcLimits limits() {
        return limits;
    }

    // ------------------------------------------------------------------------------------------------ server

    /** Parses a request body. */
    public JsonRpcRequest parseRequest(byte[] body) throws JsonRpcParseException {
        return parseRequest(body, 0, body.length);
    }

    public JsonRpcRequest parseRequest(byte[] body, int off, int len) throws JsonRpcParseException {
        Envelope env = readEnvelope(body, off, len, "request");
        // checked in ocaml-rpc's order (method, jsonrpc, params, id): it decides which message is seen
        Field method = env.require("method", "request");
        if (!(method.value instanceof String name)) {
            throw invalid("method", "a string", method);
        }
        JsonRpcVersion version = versionOf(env, "request");
        List<Object> params;
        if (version == JsonRpcVersion.V1) {
            Field f = env.require("params", "request");
            if (!(f.value instanceof List<?> l)) throw invalid("params", "an array", f);
            params = cast(l);
        } else {
            Field f = env.fields.get("params");
            if (f == null || f.value == null) {
                params = List.of();
            } else if (f.value instanceof List<?> l) {
                params = cast(l);
            } else if (f.value instanceof Map<?, ?>) {
                params = List.of(f.value);
            } else {
                throw invalid("params", "an array or an object", f);
            }
        }
        Field idField = env.fields.get("id");
        if (idField == null || idField.value == null) {
            throw new JsonRpcParseException(
                    Kind.ENVELOPE,
                    "Invalid field 'id' in request body: notifications (no id, or a null id) are not supported",
                    idField == null ? env.line : idField.line,
                    idField == null ? env.column : idField.column);
        }
        return new JsonRpcRequest(version, name, params, idOf(idField, "request"));
    }

    /** Reads a request body from a stream, stopping as soon as it exceeds {@link JsonRpcLimits#maxBytes()}. */
    public JsonRpcRequest parseRequest(InputStream in) throws JsonRpcParseException, IOException {
        byte[] b = readLimited(in, "request");
        return parseRequest(b, 0, b.length);
    }

    /** V1 {@code {"result":R,"error":null,"id":ID}}, V2 {@code {"jsonrpc":"2.0","result":R,"id":ID}}. */
    public void writeSuccess(OutputStream out, JsonRpcVersion version, JsonRpcId id, Object result) throws IOException {
        Utf8JsonWriter w = new Utf8JsonWriter(out, true);
        if (version == JsonRpcVersion.V1) {
            w.ascii("{\"result\":");
            w.writeValue(result);
            w.ascii(",\"error\":null,\"id\":");
        } else {
            w.ascii("{\"jsonrpc\":\"2.0\",\"result\":");
            w.writeValue(result);
            w.ascii(",\"id\":");
        }
        writeId(w, id);
        w.raw('}');
        w.flushBuffer();
    }

    /**
     * An API error: V1 {@code {"result":null,"error":["CODE","p1",...],"id":ID}}, V2
     * {@code {"jsonrpc":"2.0","error":{"code":1,"message":"CODE","data":["p1",...]},"id":ID}} ({@code code} is
     * always 1 in Xapi, {@code data} always an array).
     */
    public void writeFailure(OutputStream out, JsonRpcVersion version, JsonRpcId id, String code, List<String> params)
            throws IOException {
        Utf8JsonWriter w = new Utf8JsonWriter(out);
        if (version == JsonRpcVersion.V1) {
            w.ascii("{\"result\":null,\"error\":[");
            w.writeString(code);
            for (String p : params) {
                w.raw(',');
                w.writeString(p);
            }
            w.ascii("],\"id\":");
        } else {
            w.ascii("{\"jsonrpc\":\"2.0\",\"error\":{\"code\":1,\"message\":");
            w.writeString(code);
            w.ascii(",\"data\":");
            w.writeValue(params);
            w.ascii("},\"id\":");
        }
        writeId(w, id);
        w.raw('}');
        w.flushBuffer();
    }

    public void writeFailure(OutputStream out, JsonRpcVersion version, JsonRpcId id, ApiError error)
            throws IOException {
        writeFailure(out, version, id, error.code(), error.params());
    }

    /**
     * An error whose description is written as a bare array whatever the version: V1 as {@link #writeFailure},
     * V2 as {@code {"jsonrpc":"2.0","error":[...],"id":ID}}. Xapi answers so where it skips the V2
     * translation: a failing {@code system.listMethods}, and errors raised before dispatch (see
     * {@link #writePreDispatchFailure}).
     */
    public void writeUntranslatedFailure(
            OutputStream out, JsonRpcVersion version, JsonRpcId id, List<String> description) throws IOException {
        Utf8JsonWriter w = new Utf8JsonWriter(out);
        w.ascii(version == JsonRpcVersion.V1 ? "{\"result\":null,\"error\":" : "{\"jsonrpc\":\"2.0\",\"error\":");
        w.writeValue(description);
        w.ascii(",\"id\":");
        writeId(w, id);
        w.raw('}');
        w.flushBuffer();
    }

    /**
     * Xapi's answer on {@code /jsonrpc} to an API error raised before dispatch (a member in emergency mode,
     * e.g. {@code HOST_STILL_BOOTING}), whatever the request's version and id:
     * {@code {"jsonrpc":"2.0","error":["CODE","p1",...],"id":0}}.
     */
    public void writePreDispatchFailure(OutputStream out, String code, List<String> params) throws IOException {
        List<String> d = new ArrayList<>(params.size() + 1);
        d.add(code);
        d.addAll(params);
        writeUntranslatedFailure(out, JsonRpcVersion.V2, JsonRpcId.ZERO, d);
    }

    // ------------------------------------------------------------------------------------------------ client

    /**
     * Writes a call as ocaml-rpc's {@code string_of_call} does: V1 {@code {"method":M,"params":[...],"id":ID}},
     * V2 {@code {"jsonrpc":"2.0","method":M,"params":P,"id":ID}} where P is the single parameter itself when
     * that parameter is an object (Xapi reads an object as one struct parameter), else the array.
     */
    public void writeRequest(OutputStream out, JsonRpcVersion version, JsonRpcId id, String method, List<?> params)
            throws IOException {
        Utf8JsonWriter w = new Utf8JsonWriter(out, true);
        if (version == JsonRpcVersion.V1) {
            w.ascii("{\"method\":");
            w.writeString(method);
            w.ascii(",\"params\":");
            w.writeValue(params);
        } else {
            w.ascii("{\"jsonrpc\":\"2.0\",\"method\":");
            w.writeString(method);
            w.ascii(",\"params\":");
            w.writeValue(params.size() == 1 && params.get(0) instanceof Map<?, ?> m ? m : params);
        }
        w.ascii(",\"id\":");
        writeId(w, id);
        w.raw('}');
        w.flushBuffer();
    }

    /** Writes a V2 call (the default for pool-internal calls here; Xapi's own client sends V1). */
    public void writeRequest(OutputStream out, JsonRpcId id, String method, List<?> params) throws IOException {
        writeRequest(out, JsonRpcVersion.V2, id, method, params);
    }

    /**
     * Parses a response: V1 needs both {@code result} and {@code error} (a null error means success); V2 needs
     * exactly one of them, the error being an object with an integer {@code code} and a string {@code message}
     * (the XenAPI code; {@code data} holds the parameters) or, as Xapi's pre-dispatch quirk sends, an array.
     * The id must be an integer or a string.
     */
    public JsonRpcResponse parseResponse(byte[] body) throws JsonRpcParseException {
        return parseResponse(body, 0, body.length);
    }

    public JsonRpcResponse parseResponse(InputStream in) throws JsonRpcParseException, IOException {
        byte[] b = readLimited(in, "response");
        return parseResponse(b, 0, b.length);
    }

    public JsonRpcResponse parseResponse(byte[] body, int off, int len) throws JsonRpcParseException {
        Envelope env = readEnvelope(body, off, len, "response");
        JsonRpcId id = idOf(env.require("id", "response"), "response");
        JsonRpcVersion version = versionOf(env, "response");
        Field result = env.fields.get("result");
        Field error = env.fields.get("error");
        if (version == JsonRpcVersion.V1) {
            if (result == null) env.require("result", "response");
            if (error == null) env.require("error", "response");
            if (error.value == null) return new JsonRpcResponse(version, id, true, result.value, List.of());
            if (result.value != null) {
                throw new JsonRpcParseException(
                        Kind.ENVELOPE,
                        "Malformed response: both 'result' and 'error' are non-null",
                        env.line,
                        env.column);
            }
            return new JsonRpcResponse(version, id, false, null, description(error));
        }
        if (result != null && error != null) {
            throw new JsonRpcParseException(
                    Kind.ENVELOPE, "Malformed response: both 'result' and 'error' are present", env.line, env.column);
        }
        if (result == null && error == null) {
            throw new JsonRpcParseException(
                    Kind.ENVELOPE, "Malformed response: neither 'result' nor 'error' is present", env.line, env.column);
        }
        if (result != null) return new JsonRpcResponse(version, id, true, result.value, List.of());
        return new JsonRpcResponse(version, id, false, null, description(error));
    }

    private static List<String> description(Field error) throws JsonRpcParseException {
        if (error.value instanceof List<?> l) {
            List<String> d = new ArrayList<>(l.size());
            for (Object o : l) d.add(asText(o));
            return d;
        }
        if (error.value instanceof Map<?, ?> m) {
            if (!(m.get("code") instanceof Long)) {
                throw new JsonRpcParseException(
                        Kind.ENVELOPE, "Malformed response: error 'code' is not an integer", error.line, error.column);
            }
            if (!(m.get("message") instanceof String code)) {
                throw new JsonRpcParseException(
                        Kind.ENVELOPE, "Malformed response: error 'message' is not a string", error.line, error.column);
            }
            List<String> d = new ArrayList<>();
            d.add(code);
            Object data = m.get("data");
            if (data instanceof List<?> l) {
                for (Object o : l) d.add(asText(o));
            } else if (data != null || m.containsKey("data")) {
                d.add(asText(data));
            }
            return d;
        }
        throw new JsonRpcParseException(
                Kind.ENVELOPE,
                "Malformed response: 'error' is " + kindOf(error.value) + ", expected an array or an object",
                error.line,
                error.column);
    }

    private static String asText(Object o) {
        return o instanceof String s ? s : toJson(o);
    }

    // ------------------------------------------------------------------------------------------------ values

    /** Parses a single JSON value into an rpc value (same rules and limits as the envelopes). */
    public Object parseValue(byte[] json) throws JsonRpcParseException {
        if (json.length > limits.maxBytes()) throw tooLarge("document");
        char[] chars = decode(json, 0, json.length, "document");
        JsonParser p = null;
        try {
            p = factory.createParser(chars, 0, chars.length);
            Object v = new TreeReader(p, limits.maxDepth()).value(first(p, "document"), 1);
            expectEnd(p, "document");
            return v;
        } catch (IOException | RuntimeException e) {
            throw wrap(e, p);
        } finally {
            closeQuietly(p);
        }
    }

    /** Writes one rpc value (compact, Yojson's bytes). */
    public static void writeValue(OutputStream out, Object value) throws IOException {
        Utf8JsonWriter w = new Utf8JsonWriter(out);
        w.writeValue(value);
        w.flushBuffer();
    }

    /** One rpc value as JSON text (for logs, messages and tests). */
    public static String toJson(Object value) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try {
            writeValue(b, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // cannot happen with a byte array
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------------------------------------ internals

    /** A member of the envelope: its value and where the value starts. */
    private record Field(Object value, int line, int column) {}

    /** The top-level object's members, and where it starts. */
    private record Envelope(Map<String, Field> fields, int line, int column) {
        Field require(String name, String what) throws JsonRpcParseException {
            Field f = fields.get(name);
            if (f == null) {
                throw new JsonRpcParseException(
                        Kind.ENVELOPE, "Required field " + name + " is missing in " + what + " body", line, column);
            }
            return f;
        }
    }

    private Envelope readEnvelope(byte[] body, int off, int len, String what) throws JsonRpcParseException {
        if (len > limits.maxBytes()) throw tooLarge(what);
        char[] chars = decode(body, off, len, what);
        JsonParser p = null;
        try {
            p = factory.createParser(chars, 0, chars.length);
            JsonToken t = first(p, what);
            JsonLocation start = p.currentTokenLocation();
            if (t != JsonToken.START_OBJECT) {
                throw TreeReader.error(
                        Kind.ENVELOPE,
                        "Invalid " + what + " body: expected a JSON object, found " + tokenKind(t),
                        start);
            }
            TreeReader r = new TreeReader(p, limits.maxDepth());
            Map<String, Field> fields = new LinkedHashMap<>();
            JsonToken k;
            while ((k = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                if (fields.containsKey(name)) {
                    throw TreeReader.error(
                            Kind.ENVELOPE,
                            "Duplicate field " + toJson(TreeReader.clip(name)) + " in " + what + " body",
                            p.currentTokenLocation());
                }
                JsonToken vt = p.nextToken();
                JsonLocation at = p.currentTokenLocation();
                Object v = r.value(vt, 2);
                fields.put(name, new Field(v, at.getLineNr(), at.getColumnNr()));
            }
            if (k != JsonToken.END_OBJECT) {
                throw TreeReader.error(Kind.SYNTAX, "unexpected end of input", p.currentLocation());
            }
            expectEnd(p, what);
            return new Envelope(fields, start.getLineNr(), start.getColumnNr());
        } catch (IOException | RuntimeException e) {
            throw wrap(e, p);
        } finally {
            closeQuietly(p);
        }
    }

    private static void closeQuietly(JsonParser p) {
        if (p != null) {
            try {
                p.close();
            } catch (IOException ignored) {
                // closing a parser over a char array does no I/O
            }
        }
    }

    private static JsonToken first(JsonParser p, String what) throws IOException, JsonRpcParseException {
        JsonToken t = p.nextToken();
        if (t == null) throw new JsonRpcParseException(Kind.SYNTAX, "Blank " + what + ": no JSON value", 0, 0);
        return t;
    }

    private static void expectEnd(JsonParser p, String what) throws JsonRpcParseException {
        JsonToken t;
        try {
            t = p.nextToken();
        } catch (IOException | RuntimeException e) {
            throw TreeReader.error(Kind.SYNTAX, "trailing data after the " + what, p.currentTokenLocation());
        }
        if (t != null) {
            throw TreeReader.error(Kind.SYNTAX, "trailing data after the " + what, p.currentTokenLocation());
        }
    }

    private static JsonRpcParseException wrap(Exception e, JsonParser p) {
        if (e instanceof StreamConstraintsException c) {
            String m = c.getOriginalMessage();
            Kind kind = m != null && m.contains("nesting depth") ? Kind.TOO_DEEP : Kind.TOO_LARGE;
            return TreeReader.error(kind, "limit exceeded: " + oneLine(m), p == null ? null : p.currentLocation());
        }
        if (e instanceof JsonProcessingException j) {
            JsonLocation loc = j.getLocation();
            if (loc == null && p != null) loc = p.currentLocation();
            return TreeReader.error(Kind.SYNTAX, "malformed JSON: " + oneLine(j.getOriginalMessage()), loc);
        }
        return TreeReader.error(
                Kind.SYNTAX,
                "malformed JSON: " + oneLine(String.valueOf(e.getMessage())),
                p == null ? null : p.currentLocation());
    }

    private static String oneLine(String s) {
        if (s == null) return "";
        String t = s.replace('\n', ' ').replace('\r', ' ');
        return t.length() <= 200 ? t : t.substring(0, 197) + "...";
    }

    /** Strict UTF-8 → chars; reports the first bad byte with its line and column. */
    private static char[] decode(byte[] b, int off, int len, String what) throws JsonRpcParseException {
        CharsetDecoder dec = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(b, off, len);
        CharBuffer out = CharBuffer.allocate(len); // UTF-8 never yields more chars than bytes
        CoderResult r = dec.decode(in, out, true);
        if (!r.isError()) r = dec.flush(out);
        if (r.isError()) {
            int at = in.position();
            int line = 1, column = 1;
            for (int i = off; i < at; i++) {
                byte x = b[i];
                if (x == '\n') {
                    line++;
                    column = 1;
                } else if ((x & 0xC0) != 0x80) {
                    column++;
                }
            }
            throw new JsonRpcParseException(
                    Kind.ENCODING,
                    String.format("invalid UTF-8 in %s body (byte 0x%02x at offset %d)", what, b[at] & 0xFF, at - off),
                    line,
                    column);
        }
        if (out.position() > 0 && out.get(0) == '\uFEFF') {
            throw new JsonRpcParseException(
                    Kind.ENCODING, "byte order mark at the start of the " + what + " body", 1, 1);
        }
        return out.position() == out.capacity() ? out.array() : Arrays.copyOf(out.array(), out.position());
    }

    private byte[] readLimited(InputStream in, String what) throws IOException, JsonRpcParseException {
        long max = limits.maxBytes();
        byte[] buf = new byte[(int) Math.min(8192, max + 1)];
        int n = 0;
        while (true) {
            if (n == buf.length) {
                buf = Arrays.copyOf(buf, (int) Math.min((long) buf.length * 2, max + 1));
            }
            int r = in.read(buf, n, buf.length - n);
            if (r < 0) break;
            n += r;
            if (n > max) throw tooLarge(what);
        }
        return n == buf.length ? buf : Arrays.copyOf(buf, n);
    }

    private JsonRpcParseException tooLarge(String what) {
        return new JsonRpcParseException(
                Kind.TOO_LARGE,
                "The " + what + " body is larger than the limit of " + limits.maxBytes() + " bytes",
                0,
                0);
    }

    private static JsonRpcVersion versionOf(Envelope env, String what) throws JsonRpcParseException {
        Field f = env.fields.get("jsonrpc");
        if (f == null) return JsonRpcVersion.V1;
        if (JSONRPC_V2.equals(f.value)) return JsonRpcVersion.V2;
        throw new JsonRpcParseException(
                Kind.ENVELOPE,
                "Invalid field 'jsonrpc' in " + what + " body: expected \"2.0\" or no such field, found "
                        + describe(f.value),
                f.line,
                f.column);
    }

    private static JsonRpcId idOf(Field f, String what) throws JsonRpcParseException {
        if (f.value instanceof Long l) return JsonRpcId.of(l);
        if (f.value instanceof String s) return JsonRpcId.of(s);
        throw new JsonRpcParseException(
                Kind.ENVELOPE,
                "Invalid field 'id' in " + what + " body: expected a string or an integer, found " + describe(f.value),
                f.line,
                f.column);
    }

    private static JsonRpcParseException invalid(String field, String expected, Field f) {
        return new JsonRpcParseException(
                Kind.ENVELOPE,
                "Invalid field '" + field + "' in request body: expected " + expected + ", found " + kindOf(f.value),
                f.line,
                f.column);
    }

    private static void writeId(Utf8JsonWriter w, JsonRpcId id) throws IOException {
        if (id.value() instanceof Long l) w.writeLong(l);
        else w.writeString((String) id.value());
    }

    /** A short description of a value for messages: its kind, and the value itself when it is a scalar. */
    private static String describe(Object v) {
        if (v == null || v instanceof Map || v instanceof List) return kindOf(v);
        return kindOf(v) + " " + TreeReader.clip(toJson(v));
    }

    private static String kindOf(Object v) {
        if (v == null) return "null";
        if (v instanceof String) return "a string";
        if (v instanceof Long) return "an integer";
        if (v instanceof Double) return "a float";
        if (v instanceof Boolean) return "a boolean";
        if (v instanceof List) return "an array";
        if (v instanceof Map) return "an object";
        return v.getClass().getSimpleName();
    }

    private static String tokenKind(JsonToken t) {
        return switch (t) {
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT -> "an integer";
            case VALUE_NUMBER_FLOAT -> "a float";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.name();
        };
    }

    @SuppressWarnings("unchecked")
    private static List<Object> cast(List<?> l) {
        return (List<Object>) l;
    }
}
