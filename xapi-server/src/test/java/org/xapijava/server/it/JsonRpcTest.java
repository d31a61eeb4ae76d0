package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.rpc.RpcResponse;
import org.xapijava.model.xmlrpc.XmlRpcReader;
import org.xapijava.server.TestHost;

/**
 * JSON-RPC v1 and v2 on {@code /jsonrpc} and XML-RPC on the other POST paths, over plain HTTP:
 * envelopes, ids, content types, errors, shared sessions, aliases, preflight and routing.
 */
class JsonRpcTest {
    @TempDir
    static Path dir;

    static TestHost host;
    static Wire wire;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir);
        wire = new Wire(host);
    }

    @AfterAll
    static void stop() throws Exception {
        if (host != null) host.close();
    }

    private static String loginV2() throws Exception {
        JsonNode r = wire.json(Wire.v2("session.login_with_password", "root", host.password()));
        return r.get("result").asText();
    }

    @Test
    void v2LoginAndGetAllRecords() throws Exception {
        HttpResponse<byte[]> raw = wire.jsonPost(Wire.v2("session.login_with_password", "root", host.password()));
        assertEquals(200, raw.statusCode());
        assertEquals(List.of("application/json"), raw.headers().allValues("content-type"));
        assertEquals(
                "*", raw.headers().firstValue("access-control-allow-origin").orElse(null));
        assertEquals(
                "X-Requested-With",
                raw.headers().firstValue("access-control-allow-headers").orElse(null));
        JsonNode r = Wire.JSON.readTree(raw.body());
        assertEquals("2.0", r.get("jsonrpc").asText());
        assertFalse(r.has("error"), r.toString());
        assertEquals(0, r.get("id").asInt());
        assertTrue(r.get("id").isInt());
        String session = r.get("result").asText();
        assertTrue(session.startsWith("OpaqueRef:"), session);

        JsonNode pools = wire.json(Wire.v2("pool.get_all_records", session)).get("result");
        assertEquals(1, pools.size());
        var e = pools.fields().next();
        assertEquals(host.server.services().poolRef(), e.getKey());
        JsonNode pool = e.getValue();
        assertEquals(host.server.services().hostRef(), pool.get("master").asText());
        assertTrue(pool.get("other_config").isObject());
        assertTrue(pool.get("uuid").isTextual());
        // int64 fields are JSON numbers in JSON-RPC (strings only in XML-RPC)
        JsonNode h = wire.json(Wire.v2(
                        "host.get_record", session, host.server.services().hostRef()))
                .get("result");
        assertTrue(
                h.get("API_version_major").isIntegralNumber(),
                h.get("API_version_major").toString());
    }

    @Test
    void v1LoginWithFourParamsAndErrorsAsArrays() throws Exception {
        JsonNode r = wire.json(Wire.v1("session.login_with_password", "root", host.password(), "1.0", "json test"));
        assertFalse(r.has("jsonrpc"));
        assertTrue(r.get("error").isNull(), r.toString());
        assertEquals(1, r.get("id").asInt());
        String session = r.get("result").asText();
        assertTrue(session.startsWith("OpaqueRef:"));

        JsonNode f = wire.json(Wire.v1("VM.get_record", session, "OpaqueRef:nope"));
        assertTrue(f.get("result").isNull(), f.toString());
        assertEquals(List.of("HANDLE_INVALID", "VM", "OpaqueRef:nope"), strings(f.get("error")));
        assertEquals(1, f.get("id").asInt());

        f = wire.json(Wire.v1("pool.get_all", "OpaqueRef:bad"));
        assertEquals(List.of("SESSION_INVALID", "OpaqueRef:bad"), strings(f.get("error")));
        f = wire.json(Wire.v1("VM.get_record", session));
        assertEquals(List.of("MESSAGE_PARAMETER_COUNT_MISMATCH", "VM.get_record", "1", "0"), strings(f.get("error")));
        f = wire.json(Wire.v1("no.such_method"));
        assertEquals(List.of("MESSAGE_METHOD_UNKNOWN", "no.such_method"), strings(f.get("error")));
    }

    @Test
    void v2ErrorsAreObjectsWithCodeOneMessageAndData() throws Exception {
        String session = loginV2();
        JsonNode f = wire.json(Wire.v2("VM.get_record", session, "OpaqueRef:nope"));
        assertFalse(f.has("result"), f.toString());
        JsonNode err = f.get("error");
        assertEquals(1, err.get("code").asInt());
        assertTrue(err.get("code").isInt());
        assertEquals("HANDLE_INVALID", err.get("message").asText());
        assertEquals(List.of("VM", "OpaqueRef:nope"), strings(err.get("data")));
        assertEquals(0, f.get("id").asInt());

        err = wire.json(Wire.v2("session.login_with_password", "root", "wrong")).get("error");
        assertEquals("SESSION_AUTHENTICATION_FAILED", err.get("message").asText());
        assertEquals("root", err.get("data").get(0).asText());
        // an error without parameters still has an array
        err = wire.json(Wire.v2("VMPP.get_all", session)).get("error");
        assertEquals("MESSAGE_REMOVED", err.get("message").asText());
        assertTrue(err.get("data").isArray() && err.get("data").isEmpty(), err.toString());
    }

    @Test
    void idsAreEchoedAsSentAndAMissingIdIsHttp500() throws Exception {
        JsonNode r =
                wire.json("{\"jsonrpc\":\"2.0\",\"method\":\"system.listMethods\",\"params\":[],\"id\":\"abc\\\"1\"}");
        assertTrue(r.get("id").isTextual());
        assertEquals("abc\"1", r.get("id").asText());
        r = wire.json("{\"jsonrpc\":\"2.0\",\"method\":\"system.listMethods\",\"params\":[],\"id\":4711}");
        assertTrue(r.get("id").isIntegralNumber());
        assertEquals(4711, r.get("id").asInt());
        r = wire.json("{\"method\":\"system.listMethods\",\"params\":[],\"id\":\"v1-id\"}");
        assertEquals("v1-id", r.get("id").asText());

        for (String body : List.of(
                "{\"jsonrpc\":\"2.0\",\"method\":\"system.listMethods\",\"params\":[]}",
                "{\"jsonrpc\":\"2.0\",\"method\":\"system.listMethods\",\"params\":[],\"id\":null}",
                "{\"method\":\"system.listMethods\",\"params\":[]}")) {
            HttpResponse<byte[]> h = wire.jsonPost(body);
            assertEquals(500, h.statusCode(), body);
            assertEquals("text/html", h.headers().firstValue("content-type").orElse(null));
            assertTrue(Wire.text(h).startsWith("<html><body><h1>HTTP 500 internal server error</h1>"), Wire.text(h));
        }
        HttpResponse<byte[]> h = wire.jsonPost("{not json");
        assertEquals(500, h.statusCode());
    }

    @Test
    void sessionsAreSharedBetweenXmlRpcAndJsonRpc() throws Exception {
        String xmlSession = (String) wire.xmlValue("session.login_with_password", "root", host.password(), "2.14");
        JsonNode r = wire.json(Wire.v2("pool.get_all", xmlSession));
        assertEquals(host.server.services().poolRef(), r.get("result").get(0).asText());

        String jsonSession = loginV2();
        Object v = wire.xmlValue("pool.get_all", jsonSession);
        assertEquals(List.of(host.server.services().poolRef()), v);
        wire.xmlValue("session.logout", jsonSession);
        JsonNode f = wire.json(Wire.v2("pool.get_all", jsonSession));
        assertEquals("SESSION_INVALID", f.get("error").get("message").asText());
    }

    @Test
    void listMethodsIsBareInXmlRpcAndAPlainResultInJson() throws Exception {
        HttpResponse<byte[]> raw = wire.xmlPost("/", "system.listMethods");
        assertEquals(200, raw.statusCode());
        assertEquals(List.of("text/xml"), raw.headers().allValues("content-type"));
        String text = Wire.text(raw);
        assertTrue(
                text.startsWith("<?xml version=\"1.0\"?><methodResponse><params><param><value><array><data>"),
                text.substring(0, 120));
        assertFalse(text.contains("Status"), "not wrapped in Status/Value");
        RpcResponse r = XmlRpcReader.RESPONSES.readResponse(raw.body());
        List<?> methods = assertInstanceOf(List.class, r.contents());
        assertTrue(methods.contains("VM.get_all_records"));
        assertTrue(methods.contains("session.login_with_password"));
        assertTrue(methods.contains("event.from"));

        JsonNode j = wire.json(Wire.v2("system.listMethods"));
        assertEquals(methods.size(), j.get("result").size());
    }

    @Test
    void classUnderscoreMethodAliases() throws Exception {
        JsonNode r = wire.json(Wire.v2("session_login_with_password", "root", host.password()));
        String session = r.get("result").asText();
        assertTrue(session.startsWith("OpaqueRef:"), r.toString());
        JsonNode all = wire.json(Wire.v2("pool_get_all", session));
        assertEquals(host.server.services().poolRef(), all.get("result").get(0).asText());
        // event_from resolves to event.from: whatever it answers, it is not an unknown method
        JsonNode ev = wire.json(Wire.v2("event_from", session, List.of("pool"), "", 0.1));
        if (ev.has("error")) {
            assertEquals("NOT_IMPLEMENTED", ev.get("error").get("message").asText(), ev.toString());
            assertEquals(List.of("event.from"), strings(ev.get("error").get("data")));
        } else {
            assertNotNull(ev.get("result").get("token"), ev.toString());
        }
        // XML-RPC too (XenAPI.py's watch-all-events sample calls event_from)
        RpcResponse x = wire.xml("pool_get_all", session);
        assertTrue(x.success());
    }

    @Test
    void optionsPreflightHeaders() throws Exception {
        for (String path : List.of("/", "/json", "/jsonrpc", "/anything")) {
            var req = java.net.http.HttpRequest.newBuilder(host.uri(path))
                    .method("OPTIONS", java.net.http.HttpRequest.BodyPublishers.noBody())
                    .header("Access-Control-Request-Headers", "content-type")
                    .timeout(Wire.TIMEOUT)
                    .build();
            HttpResponse<byte[]> r =
                    java.net.http.HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, r.statusCode(), path);
            assertEquals(
                    "*", r.headers().firstValue("access-control-allow-origin").orElse(null));
            assertEquals(
                    "content-type, X-Requested-With",
                    r.headers().firstValue("access-control-allow-headers").orElse(null));
            assertEquals(
                    "PUT",
                    r.headers().firstValue("access-control-allow-methods").orElse(null));
            assertEquals(0, r.body().length);
        }
        HttpResponse<byte[]> r = wire.send("OPTIONS", "/", null, null);
        assertEquals(
                "X-Requested-With",
                r.headers().firstValue("access-control-allow-headers").orElse(null));
    }

    @Test
    void xmlRpcOnEveryOtherPostPath() throws Exception {
        String session = loginV2();
        for (String path : List.of("/", "/RPC2", "/json", "/xmlrpc", "/some/where")) {
            HttpResponse<byte[]> r = wire.xmlPost(path, "pool.get_all", session);
            assertEquals(200, r.statusCode(), path);
            assertEquals(List.of("text/xml"), r.headers().allValues("content-type"), path);
            String text = Wire.text(r);
            // compact: no whitespace anywhere between tags, bare strings
            assertEquals(
                    "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct><member><name>Status</name>"
                            + "<value>Success</value></member><member><name>Value</name><value><array><data><value>"
                            + host.server.services().poolRef()
                            + "</value></data></array></value></member></struct></value></param>"
                            + "</params></methodResponse>",
                    text,
                    path);
        }
        // a JSON body on an XML-RPC path is an XML parse error
        HttpResponse<byte[]> r = wire.post(
                "/json", "application/json", Wire.v2("pool.get_all", session).getBytes(StandardCharsets.UTF_8));
        assertEquals(500, r.statusCode());
    }

    @Test
    void otherMethodsAndPathsAreRefused() throws Exception {
        for (String[] mp : new String[][] {{"GET", "/"}, {"GET", "/jsonrpc"}, {"PUT", "/x"}, {"PUT", "/"}}) {
            HttpResponse<byte[]> r = wire.send(mp[0], mp[1], null, mp[0].equals("PUT") ? new byte[] {1, 2} : null);
            assertEquals(403, r.statusCode(), mp[0] + " " + mp[1]);
            assertEquals("text/html", r.headers().firstValue("content-type").orElse(null));
            assertEquals(
                    "<html><body><h1>HTTP 403 forbidden</h1>Access to the requested resource is forbidden.</body></html>",
                    Wire.text(r));
        }
        HttpResponse<byte[]> r = wire.send("DELETE", "/", null, null);
        assertEquals(501, r.statusCode());
        assertEquals(
                "<html><body><h1>HTTP 501 Method Not Implemented</h1><p>Unknown DELETE not supported.<br /></p></body></html>",
                Wire.text(r));
    }

    @Test
    void asyncTaskResultIsAnXmlRpcFragmentEvenForJsonClients() throws Exception {
        String session = loginV2();
        String poolRef = host.server.services().poolRef();
        Map<String, Object> rec = new java.util.LinkedHashMap<>();
        rec.put("name_label", "json net");
        rec.put("name_description", "");
        rec.put("MTU", 1500);
        rec.put("other_config", Map.of());
        rec.put("bridge", "xapi99");
        JsonNode t = wire.json(Wire.v2("Async.network.create", session, rec));
        String task = t.get("result").asText();
        assertTrue(task.startsWith("OpaqueRef:"), t.toString());
        var db = host.server.services().db();
        JsonNode record;
        while (true) {
            long g = db.generation();
            record = wire.json(Wire.v2("task.get_record", session, task)).get("result");
            if (!record.get("status").asText().equals("pending")) break;
            db.awaitGeneration(g, Wire.TIMEOUT);
        }
        assertEquals("success", record.get("status").asText(), record.toString());
        String result = record.get("result").asText();
        assertTrue(result.matches("<value>OpaqueRef:[0-9a-f-]{36}</value>"), result);
        assertNotNull(poolRef);
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
