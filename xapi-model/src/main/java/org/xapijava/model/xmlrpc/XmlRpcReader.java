package org.xapijava.model.xmlrpc;

import static org.xapijava.model.xmlrpc.StaxTokens.END;
import static org.xapijava.model.xmlrpc.StaxTokens.START;
import static org.xapijava.model.xmlrpc.StaxTokens.TEXT;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.stream.XMLStreamException;
import org.xapijava.model.rpc.RpcCall;
import org.xapijava.model.rpc.RpcResponse;
import org.xapijava.model.rpc.RpcValues;
import org.xapijava.model.types.CFloat;
import org.xapijava.model.types.DateTime;

/**
 * Streaming XML-RPC decoder (StAX): {@code methodCall} → {@link RpcCall}, {@code methodResponse} →
 * {@link RpcResponse}, a lone {@code <value>} document → an RPC value (see {@code org.xapijava.model.rpc} for
 * the value tree).
 *
 * <p>Accepted input follows ocaml-rpc's parser as used by Xapi: {@code <string>}, untyped
 * {@code <value>text</value>} and empty {@code <value/>} are strings; {@code <i4>}, {@code <i8>}, {@code <int>}
 * decode to {@link Long} (OCaml {@code Int64.of_string} syntax); {@code <boolean>} is true only for the text
 * {@code 1}; empty {@code <string/>}, {@code <array/>}, {@code <struct/>} are allowed; whitespace between
 * elements is ignored; {@code <params>} is mandatory in a call.
 *
 * <p>Refused with {@link XmlRpcParseException} (never another exception type for bad input): malformed or
 * truncated XML, content after the root element, invalid UTF-8, an encoding other than UTF-8, XML other than
 * 1.0, any DOCTYPE (so no entity expansion and no external entities), namespaced elements (Apache XML-RPC's
 * {@code ex:} extensions), unknown elements, values that do not parse, more than {@link Limits#maxDepth()}
 * nested elements, and more than {@link Limits#maxBytes()} bytes of input (counted while streaming).
 *
 * <p>Byte arrays go through {@link FastXmlRpcParser} first. The StAX path has three parts: this class (the API
 * and the XML-RPC grammar), {@link StaxTokens} (the token layer over StAX and the XML checks) and
 * {@link LimitedUtf8Input} (the byte limit and the strict UTF-8 check of the input).
 *
 * <p>Thread-safe: instances are immutable and share one configured {@code XMLInputFactory}.
 */
public final class XmlRpcReader {

    /**
     * Input limits.
     *
     * @param maxBytes most bytes read from the input before the parse is refused
     * @param maxDepth most nested elements (the document element is depth 1)
     */
    public record Limits(long maxBytes, int maxDepth) {
        public Limits {
            if (maxBytes <= 0 || maxDepth <= 0) throw new IllegalArgumentException("limits must be positive");
        }
    }

    /**
     * Limits for requests: Xapi refuses RPC bodies above 300 KiB ({@code Constants.http_limit_max_rpc_size}); 64
     * levels are far more than any XenAPI value needs (a record of maps nests about 12 deep).
     */
    public static final Limits REQUEST_LIMITS = new Limits(307_200, 64);

    /** Limits for responses read by pool-internal clients: results such as get_all_records can be large. */
    public static final Limits RESPONSE_LIMITS = new Limits(1L << 30, 64);

    /** A reader with {@link #REQUEST_LIMITS}. */
    public static final XmlRpcReader REQUESTS = new XmlRpcReader(REQUEST_LIMITS);

    /** A reader with {@link #RESPONSE_LIMITS}. */
    public static final XmlRpcReader RESPONSES = new XmlRpcReader(RESPONSE_LIMITS);

    private final Limits limits;

    public XmlRpcReader(Limits limits) {
        this.limits = java.util.Objects.requireNonNull(limits);
    }

    public Limits limits() {
        return limits;
    }

    /** Decodes a {@code methodCall}. Genuine I/O errors of {@code in} are rethrown as they are. */
    public RpcCall readCall(InputStream in) throws XmlRpcParseException, IOException {
        return new Parse(in, limits).call();
    }

    /**
     * Decodes a {@code methodCall} held in memory: the plain form every client sends is scanned directly
     * ({@link FastXmlRpcParser}), anything else goes through StAX; both give the same call for the same bytes.
     */
    public RpcCall readCall(byte[] bytes) throws XmlRpcParseException {
        RpcCall fast = FastXmlRpcParser.parse(bytes, limits);
        return fast != null ? fast : readCallStax(bytes);
    }

    /** {@link #readCall(byte[])} without the fast path (for tests that compare the two). */
    RpcCall readCallStax(byte[] bytes) throws XmlRpcParseException {
        try {
            return readCall(new ByteArrayInputStream(bytes));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Decodes a {@code methodResponse}: Xapi's {@code {Status: Success, Value}} becomes a success with that value,
     * {@code {Status: Failure, ErrorDescription}} a failure with that array, any other value (e.g. the bare array
     * of {@code system.listMethods}) a success with the value itself, and an XML-RPC {@code <fault>} a failure
     * {@code ["fault", faultCode, faultString]} (as ocaml-rpc does).
     */
    public RpcResponse readResponse(InputStream in) throws XmlRpcParseException, IOException {
        return new Parse(in, limits).response();
    }

    public RpcResponse readResponse(byte[] bytes) throws XmlRpcParseException {
        RpcResponse fast = FastXmlRpcParser.parseResponse(bytes, limits);
        return fast != null ? fast : readResponseStax(bytes);
    }

    /** {@link #readResponse(byte[])} without the fast path (for tests that compare the two). */
    RpcResponse readResponseStax(byte[] bytes) throws XmlRpcParseException {
        try {
            return readResponse(new ByteArrayInputStream(bytes));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Decodes a document that is a single {@code <value>} (the form of {@code task.result}). */
    public Object readValue(byte[] bytes) throws XmlRpcParseException {
        try {
            return new Parse(new ByteArrayInputStream(bytes), limits).lone();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    public Object readValue(String xml) throws XmlRpcParseException {
        return readValue(xml.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A response's value as a result: Xapi's {@code {Status: Success, Value}} and {@code {Status: Failure,
     * ErrorDescription}} envelopes, or any other value as a success (shared by both parse paths).
     */
    static RpcResponse interpret(Object v) {
        if (v instanceof Map<?, ?> m) {
            Object status = m.get("Status");
            if ("Success".equals(status) && m.containsKey("Value")) return RpcResponse.success(m.get("Value"));
            if ("Failure".equals(status) && m.containsKey("ErrorDescription")) {
                return RpcResponse.failure(m.get("ErrorDescription"));
            }
        }
        return RpcResponse.success(v);
    }

    /** One parse: the XML-RPC grammar over {@link StaxTokens}; not thread-safe, used once. */
    private static final class Parse {
        private final StaxTokens t;

        Parse(InputStream in, Limits limits) throws XmlRpcParseException, IOException {
            this.t = new StaxTokens(in, limits);
        }

        RpcCall call() throws XmlRpcParseException, IOException {
            try {
                try {
                    t.expectRoot("methodCall");
                    t.openExpected("methodName", "methodCall");
                    String method = t.data("methodName");
                    t.closeTag("methodName");
                    t.openExpected("params", "methodCall");
                    List<Object> params = new ArrayList<>();
                    while (t.peekSkippingSpace() != END) {
                        t.openExpected("param", "params");
                        params.add(value());
                        t.closeTag("param");
                    }
                    t.closeTag("params");
                    t.closeTag("methodCall");
                    t.expectEof();
                    return new RpcCall(method, params);
                } finally {
                    t.close();
                }
            } catch (XMLStreamException | RuntimeException e) {
                throw t.translate(e);
            }
        }

        RpcResponse response() throws XmlRpcParseException, IOException {
            try {
                try {
                    t.expectRoot("methodResponse");
                    String tag = t.openTag("methodResponse");
                    RpcResponse r;
                    if (tag.equals("params")) {
                        t.openExpected("param", "params");
                        Object v = value();
                        t.closeTag("param");
                        t.closeTag("params");
                        r = XmlRpcReader.interpret(v);
                    } else if (tag.equals("fault")) {
                        Object v = value();
                        t.closeTag("fault");
                        if (v instanceof Map<?, ?> m && m.containsKey("faultCode") && m.containsKey("faultString")) {
                            List<Object> d = new ArrayList<>(3);
                            d.add("fault");
                            d.add(m.get("faultCode"));
                            d.add(m.get("faultString"));
                            r = RpcResponse.failure(d);
                        } else {
                            throw t.fail("<fault> must hold a struct with faultCode and faultString, not "
                                    + RpcValues.debugString(v));
                        }
                    } else {
                        throw t.fail("expected <params> or <fault> in <methodResponse>, found <" + tag + ">");
                    }
                    t.closeTag("methodResponse");
                    t.expectEof();
                    return r;
                } finally {
                    t.close();
                }
            } catch (XMLStreamException | RuntimeException e) {
                throw t.translate(e);
            }
        }

        Object lone() throws XmlRpcParseException, IOException {
            try {
                try {
                    if (t.peekSkippingSpace() != START || !t.name.equals("value")) {
                        throw t.fail("expected <value> as the document element");
                    }
                    Object v = value();
                    t.expectEof();
                    return v;
                } finally {
                    t.close();
                }
            } catch (XMLStreamException | RuntimeException e) {
                throw t.translate(e);
            }
        }

        // ---- values ----

        private Object value() throws XMLStreamException, XmlRpcParseException, IOException {
            t.openExpected("value", null);
            Object r;
            int k = t.peek();
            if (k == END) {
                r = "";
            } else if (k == TEXT) {
                String d = t.text;
                t.consume();
                if (StaxTokens.isSpace(d) && t.peek() == START) {
                    r = typed();
                } else {
                    r = d;
                }
            } else {
                r = typed();
            }
            t.closeTag("value");
            return r;
        }

        private Object typed() throws XMLStreamException, XmlRpcParseException, IOException {
            String tag = t.openTag("value");
            if (t.peek() == END) {
                Object empty = switch (tag) {
                    case "string" -> "";
                    case "array" -> new ArrayList<>(0);
                    case "struct" -> new LinkedHashMap<String, Object>(4);
                    case "nil" -> null;
                    case "int", "i4", "i8", "boolean", "double", "dateTime.iso8601", "base64" ->
                        throw t.fail("empty <" + tag + ">");
                    default -> throw unknown(tag);
                };
                t.closeTag(tag);
                return empty;
            }
            Object r;
            switch (tag) {
                case "int", "i4", "i8" -> {
                    String d = t.data(tag);
                    try {
                        r = RpcValues.parseOcamlInt64(d);
                    } catch (NumberFormatException e) {
                        throw t.fail("<" + tag + "> is not a 64-bit integer: '" + StaxTokens.clip(d) + "'");
                    }
                }
                case "boolean" -> r = "1".equals(t.data(tag));
                case "double" -> {
                    String d = t.data(tag);
                    try {
                        r = CFloat.parse(d);
                    } catch (NumberFormatException e) {
                        throw t.fail("<double> is not a float: '" + StaxTokens.clip(d) + "'");
                    }
                }
                case "string" -> r = t.data(tag);
                case "dateTime.iso8601" -> {
                    String d = t.data(tag);
                    try {
                        r = DateTime.parse(d);
                    } catch (IllegalArgumentException e) {
                        throw t.fail("<dateTime.iso8601> is not a date and time: '" + StaxTokens.clip(d) + "'");
                    }
                }
                case "base64" -> {
                    String d = t.data(tag);
                    try {
                        r = Base64.getDecoder().decode(StaxTokens.stripSpace(d));
                    } catch (IllegalArgumentException e) {
                        throw t.fail("<base64> is not base64: " + e.getMessage());
                    }
                }
                case "array" -> {
                    t.openExpected("data", "array");
                    List<Object> l = new ArrayList<>();
                    while (t.peekSkippingSpace() != END) l.add(value());
                    t.closeTag("data");
                    r = l;
                }
                case "struct" -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    while (t.peekSkippingSpace() != END) {
                        t.openExpected("member", "struct");
                        t.openExpected("name", "member");
                        String key = t.data("name");
                        t.closeTag("name");
                        Object v = value();
                        t.closeTag("member");
                        m.putIfAbsent(key, v);
                    }
                    r = m;
                }
                case "nil" -> r = null;
                default -> throw unknown(tag);
            }
            t.closeTag(tag);
            return r;
        }

        private XmlRpcParseException unknown(String tag) {
            return t.fail("unknown element <" + tag + "> in <value> (expected one of int, i4, i8, boolean, double, "
                    + "string, dateTime.iso8601, base64, array, struct, nil)");
        }
    }
}
