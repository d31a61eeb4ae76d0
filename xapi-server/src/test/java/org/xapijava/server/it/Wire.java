package org.xapijava.server.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.xapijava.model.rpc.RpcResponse;
import org.xapijava.model.xmlrpc.XmlRpcReader;
import org.xapijava.model.xmlrpc.XmlRpcWriter;
import org.xapijava.server.TestHost;

/**
 * Plain HTTP calls for the integration tests (java.net.http, HTTP/1.1): XML-RPC bodies written by
 * our writer, JSON-RPC bodies as text and read back with Jackson (independent of our JSON codec).
 */
final class Wire {
    static final ObjectMapper JSON = new ObjectMapper();
    /** Generous per-request timeout: a hung server fails the test instead of hanging it. */
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(TIMEOUT)
            .build();
    private final TestHost host;

    Wire(TestHost host) {
        this.host = host;
    }

    HttpResponse<byte[]> send(String method, String path, String contentType, byte[] body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(host.uri(path))
                .timeout(TIMEOUT)
                .method(
                        method,
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) b.header("Content-Type", contentType);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<byte[]> post(String path, String contentType, byte[] body) throws IOException, InterruptedException {
        return send("POST", path, contentType, body);
    }

    /** POSTs an XML-RPC call to {@code path}; the raw HTTP response. */
    HttpResponse<byte[]> xmlPost(String path, String method, Object... params)
            throws IOException, InterruptedException {
        return post(path, "text/xml", XmlRpcWriter.call(method, List.of(params)));
    }

    /** An XML-RPC call on {@code /}, decoded (the HTTP status must be 200). */
    RpcResponse xml(String method, Object... params) throws Exception {
        return xmlAt("/", method, params);
    }

    RpcResponse xmlAt(String path, String method, Object... params) throws Exception {
        HttpResponse<byte[]> r = xmlPost(path, method, params);
        if (r.statusCode() != 200) throw new AssertionError("HTTP " + r.statusCode() + ": " + text(r));
        return XmlRpcReader.RESPONSES.readResponse(r.body());
    }

    /** The {@code Value} of a successful XML-RPC call. */
    Object xmlValue(String method, Object... params) throws Exception {
        RpcResponse r = xml(method, params);
        if (!r.success()) throw new AssertionError(method + " failed: " + r.contents());
        return r.contents();
    }

    /** POSTs a JSON document to {@code /jsonrpc}. */
    HttpResponse<byte[]> jsonPost(String json) throws IOException, InterruptedException {
        return post("/jsonrpc", "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    /** A JSON-RPC call (HTTP 200 required), decoded by Jackson. */
    JsonNode json(String json) throws Exception {
        HttpResponse<byte[]> r = jsonPost(json);
        if (r.statusCode() != 200) throw new AssertionError("HTTP " + r.statusCode() + ": " + text(r));
        return JSON.readTree(r.body());
    }

    /** A JSON-RPC v2 request with integer id 0 (as Xen Orchestra sends), params given as JSON values. */
    static String v2(String method, Object... params) throws IOException {
        return "{\"id\":0,\"jsonrpc\":\"2.0\",\"method\":" + JSON.writeValueAsString(method) + ",\"params\":"
                + JSON.writeValueAsString(List.of(params)) + "}";
    }

    /** A JSON-RPC v1 request (no {@code jsonrpc} member) with integer id 1. */
    static String v1(String method, Object... params) throws IOException {
        return "{\"method\":" + JSON.writeValueAsString(method) + ",\"params\":"
                + JSON.writeValueAsString(List.of(params)) + ",\"id\":1}";
    }

    static String text(HttpResponse<byte[]> r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    static URI uri(TestHost h, String path) {
        return h.uri(path);
    }
}
