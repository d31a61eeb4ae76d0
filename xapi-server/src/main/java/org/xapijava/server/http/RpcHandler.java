package org.xapijava.server.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.PreEncodedHttpField;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.jsonrpc.JsonRpcCodec;
import org.xapijava.model.jsonrpc.JsonRpcParseException;
import org.xapijava.model.jsonrpc.JsonRpcRequest;
import org.xapijava.model.rpc.RpcCall;
import org.xapijava.model.rpc.UnwritableTextException;
import org.xapijava.model.rpc.Utf8Check;
import org.xapijava.model.xmlrpc.XmlRpcParseException;
import org.xapijava.model.xmlrpc.XmlRpcReader;
import org.xapijava.model.xmlrpc.XmlRpcWriter;
import org.xapijava.server.dispatch.Caller;
import org.xapijava.server.dispatch.Dispatcher;

/**
 * The API's doors in the {@link HttpHandlerTable}: XML-RPC on {@code post_root} ({@code /}, so by longest prefix
 * every POST path that no more specific action claims, XO's {@code /xmlrpc} among them), {@code post_RPC2}
 * ({@code /RPC2}) and {@code post_json} ({@code /json}); JSON-RPC on {@code post_jsonrpc} ({@code /jsonrpc});
 * CORS preflight on the {@code OPTIONS} actions ({@code post_root_options} sits on {@code /}, so it answers
 * every path).
 *
 * <p>Bodies need a {@code Content-Length} and are limited to 300 KiB (Xapi's
 * {@code http_limit_max_rpc_size}); violations and unparsable bodies are HTTP 500 (Xapi's page and
 * texts), after which the connection is closed; a body cut short closes the connection without an
 * answer. API errors are HTTP 200 with an error envelope. Runs blocking on a virtual thread.
 */
public final class RpcHandler {
    private static final Logger LOG = LoggerFactory.getLogger(RpcHandler.class);
    /** Xapi's {@code Constants.http_limit_max_rpc_size}. */
    public static final int MAX_RPC_SIZE = 307_200;

    private final Dispatcher dispatcher;
    private final JsonRpcCodec json = JsonRpcCodec.standard();

    public RpcHandler(Dispatcher dispatcher) {
        this.dispatcher = dispatcher;
    }

    /** Registers the RPC and preflight actions. */
    public void register(HttpHandlerTable table) {
        for (String a : List.of("post_root", "post_RPC2", "post_json")) table.register(a, c -> post(c, false));
        table.register("post_jsonrpc", c -> post(c, true));
        for (String a : List.of("post_root_options", "post_json_options", "post_jsonrpc_options")) {
            table.register(a, c -> preflight(c.request(), c.response(), c.callback()));
        }
    }

    private void post(HttpCall c, boolean jsonDoor) throws IOException {
        Request request = c.request();
        Response response = c.response();
        Callback callback = c.callback();
        byte[] body;
        try {
            body = readBody(request);
        } catch (BodyException e) {
            HttpErrors.internalError(response, callback, e.getMessage());
            return;
        } catch (IOException | RuntimeException e) {
            // the client went away mid-body: Xapi (End_of_file) closes without an answer
            LOG.debug("RPC body not received in full: {}", e.toString());
            request.getConnectionMetaData().getConnection().getEndPoint().close(e);
            callback.failed(e);
            return;
        }
        if (jsonDoor) {
            jsonRpc(body, c.caller(), response, callback);
        } else {
            xmlRpc(body, c.caller(), response, callback);
        }
    }

    /** A body refused before it is read: its text is Xapi's exception as printed, for the 500 page. */
    public static final class BodyException extends Exception {
        private static final long serialVersionUID = 1L;

        BodyException(String m) {
            super(m, null, false, false);
        }
    }

    /**
     * The body, of exactly Content-Length bytes, at most {@link #MAX_RPC_SIZE}; Xapi's
     * {@code Http_svr.read_body ~limit}. A larger body is refused before any of it is read.
     *
     * @throws BodyException without a Content-Length or over the limit (answer: {@link #internalError})
     * @throws IOException   when the body is cut short (close the connection without an answer)
     */
    public static byte[] readBody(Request request) throws BodyException, IOException {
        return readBody(request, MAX_RPC_SIZE);
    }

    /** {@link #readBody(Request)} with another limit ({@code /cli}: 200 KiB). */
    public static byte[] readBody(Request request, long limit) throws BodyException, IOException {
        long len = request.getLength();
        // Xapi's texts: Printexc of its exceptions
        if (len < 0) throw new BodyException("Failure(\"We require a content-length: HTTP header\")");
        if (len > limit) throw new BodyException("Http_svr.Client_requested_size_over_limit");
        InputStream in = Content.Source.asInputStream(request);
        byte[] b = in.readNBytes((int) len);
        if (b.length != len) throw new EofException("End_of_file");
        return b;
    }

    /**
     * Xapi's answer to an exception escaping a handler (a refused body among them): HTTP 500 whose page shows
     * {@code info}; the connection is closed.
     */
    public static void internalError(HttpCall c, String info) {
        HttpErrors.internalError(c.response(), c.callback(), info);
    }

    private void xmlRpc(byte[] body, Caller caller, Response response, Callback callback) throws IOException {
        RpcCall call;
        try {
            call = XmlRpcReader.REQUESTS.readCall(body);
        } catch (XmlRpcParseException e) {
            HttpErrors.internalError(response, callback, "Xmlrpc.Parse_error(" + e.getMessage() + ")");
            return;
        }
        Dispatcher.Outcome o = dispatcher.dispatch(call.method(), call.params(), caller);
        XmlRpcWriter w = new XmlRpcWriter();
        try {
            if (!o.ok()) w.writeFailure(o.error().description());
            else if (o.bare()) w.writeBare(o.value());
            else w.writeSuccess(o.value());
        } catch (UnwritableTextException e) {
            w.reset();
            w.writeFailure(unwritable(call.method(), e).description());
        }
        send(response, callback, XML, w.byteBuffer());
    }

    private void jsonRpc(byte[] body, Caller caller, Response response, Callback callback) throws IOException {
        JsonRpcRequest req;
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        try {
            req = json.parseRequest(body);
        } catch (JsonRpcParseException e) {
            if (e.kind() == JsonRpcParseException.Kind.ENCODING) {
                // Xapi parses bytes without checking UTF-8 and rejects the parameter afterwards
                json.writePreDispatchFailure(out, "INVALID_VALUE", List.of(Utf8Check.INVALID_UTF8_IN_PARAMETER, ""));
                send(response, callback, JSON, ByteBuffer.wrap(out.toByteArray()));
                return;
            }
            HttpErrors.internalError(response, callback, "Jsonrpc.Malformed_method_request(" + e.getMessage() + ")");
            return;
        }
        Dispatcher.Outcome o = dispatcher.dispatch(req.method(), req.params(), caller);
        if (!o.ok()) {
            ApiError e = o.error();
            json.writeFailure(out, req.version(), req.id(), e);
        } else {
            try {
                json.writeSuccess(out, req.version(), req.id(), o.value());
            } catch (UnwritableTextException e) {
                out.reset();
                json.writeFailure(out, req.version(), req.id(), unwritable(req.method(), e));
            }
        }
        send(response, callback, JSON, ByteBuffer.wrap(out.toByteArray()));
    }

    /**
     * The answer to a call whose result a writer refused ({@link UnwritableTextException}): a value the
     * database's check should have kept out, so a bug, logged as one; the client gets an INTERNAL_ERROR
     * naming the problem rather than a response it cannot parse or an altered value.
     */
    private static ApiError unwritable(String method, UnwritableTextException e) {
        LOG.error("the result of {} cannot be written", method, e);
        return ApiError.internal(e.getMessage());
    }

    // The constant headers of every RPC answer, encoded once (Jetty copies their bytes as they are).
    private static final HttpField CACHE_CONTROL =
            new PreEncodedHttpField(HttpHeader.CACHE_CONTROL, HttpErrors.CACHE_CONTROL);
    private static final HttpField XML = new PreEncodedHttpField(HttpHeader.CONTENT_TYPE, "text/xml");
    private static final HttpField JSON = new PreEncodedHttpField(HttpHeader.CONTENT_TYPE, "application/json");
    private static final HttpField ALLOW_ORIGIN = new PreEncodedHttpField("Access-Control-Allow-Origin", "*");
    private static final HttpField ALLOW_HEADERS =
            new PreEncodedHttpField("Access-Control-Allow-Headers", "X-Requested-With");

    private static void send(Response response, Callback callback, HttpField contentType, ByteBuffer body) {
        response.setStatus(200);
        var h = response.getHeaders();
        h.put(CACHE_CONTROL);
        h.put(contentType);
        h.put(HttpHeader.CONTENT_LENGTH, body.remaining());
        h.put(ALLOW_ORIGIN);
        h.put(ALLOW_HEADERS);
        response.write(true, body, callback);
    }

    private static void preflight(Request request, Response response, Callback callback) {
        String requested = request.getHeaders().get("Access-Control-Request-Headers");
        response.setStatus(200);
        var h = response.getHeaders();
        h.put(HttpHeader.CACHE_CONTROL, HttpErrors.CACHE_CONTROL);
        h.put("Access-Control-Allow-Origin", "*");
        h.put("Access-Control-Allow-Headers", (requested == null ? "" : requested + ", ") + "X-Requested-With");
        h.put("Access-Control-Allow-Methods", "PUT");
        h.put(HttpHeader.CONTENT_LENGTH, "0");
        response.write(true, ByteBuffer.allocate(0), callback);
    }
}
