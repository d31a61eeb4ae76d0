package org.xapijava.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.api.Session;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rbac.Rbac;
import org.xapijava.server.TestHost;
import org.xapijava.server.session.PoolSecret;

/**
 * The HTTP handler table on a real host: test handlers registered under real action names, called over real
 * HTTP (and the Unix socket), through Xapi's authentication order.
 */
class HttpHandlerTableTest {
    @TempDir
    static Path dir;

    static TestHost host;
    static HttpClient http;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir);
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        HttpHandlerTable t = host.server.httpHandlers();
        // echoes which action ran, the proven session and whether the caller was the local superuser
        ActionHandler echo = c -> {
            String body =
                    c.action().name() + "|" + c.session() + "|" + c.caller().localRoot();
            c.response().getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
            c.response().write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), c.callback());
        };
        t.register("get_vncsnapshot", echo);
        t.register("get_wlb_report", echo);
        // public: no credentials checked (get_blob, the other public GET, is the blob handler's)
        t.register("get_pool_update_download", echo);
        // answers a handler's own parameter as Xapi looks it up (cookie first, then query)
        t.register(
                "get_wlb_diagnostics",
                c -> c.response()
                        .write(
                                true,
                                ByteBuffer.wrap(c.param("vdi").orElse("none").getBytes(StandardCharsets.UTF_8)),
                                c.callback()));
        t.register("connect_console_ws", c -> {
            throw new ApiError("VM_BAD_POWER_STATE", List.of("OpaqueRef:x", "running", "halted"));
        });
        t.register("put_bundle", c -> {
            // reads the body as a handler would, answers its length
            long n = Content.Source.asInputStream(c.request()).readAllBytes().length;
            c.response().write(true, ByteBuffer.wrap(Long.toString(n).getBytes(StandardCharsets.UTF_8)), c.callback());
        });
    }

    @AfterAll
    static void stop() throws Exception {
        if (host != null) host.close();
    }

    private static HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(host.uri(path)).timeout(Duration.ofSeconds(30));
        if (headers.length > 0) b.headers(headers);
        return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String readOnlySession() {
        String s = host.login();
        var db = host.server.services().db();
        db.set(s, Session.IS_LOCAL_SUPERUSER, false);
        db.set(s, Session.RBAC_PERMISSIONS, Rbac.of(db.datamodel()).permissionsOf("read-only"));
        return s;
    }

    @Test
    void aValidSessionReachesTheHandlerByQueryOrCookie() throws Exception {
        String s = host.login();
        HttpResponse<String> r = get("/vncsnapshot?session_id=" + s + "&uuid=x");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("get_vncsnapshot|" + s + "|false", r.body());

        // the cookie wins over the query (Xapi's lookup_param_of_req)
        r = get("/vncsnapshot?session_id=OpaqueRef:nonsense", "Cookie", "session_id=" + s);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("get_vncsnapshot|" + s + "|false", r.body());
    }

    @Test
    void aHandlersParametersComeFromTheCookieFirstThenTheQuery() throws Exception {
        String s = host.login();
        assertEquals("q", get("/wlb_diagnostics?session_id=" + s + "&vdi=q").body());
        assertEquals(
                "c",
                get("/wlb_diagnostics?session_id=" + s + "&vdi=q", "Cookie", "vdi=c")
                        .body());
        assertEquals("none", get("/wlb_diagnostics?session_id=" + s).body());
    }

    @Test
    void noOrBadCredentialsAre401WithTheActionAsRealm() throws Exception {
        for (String path : List.of(
                "/vncsnapshot", "/vncsnapshot?session_id=OpaqueRef:nonsense", "/vncsnapshot?pool_secret=wrong")) {
            HttpResponse<String> r = get(path);
            assertEquals(401, r.statusCode(), path);
            assertEquals(
                    "Basic realm=\"get_vncsnapshot\"",
                    r.headers().firstValue("WWW-Authenticate").orElse(""),
                    path);
            assertTrue(r.body().contains("HTTP 401 unauthorised"), r.body());
        }
    }

    @Test
    void aSessionWithoutThePermissionIs403AndFailsItsTask() throws Exception {
        String root = host.login();
        String task = (String) host.ok("task.create", root, "export", "a refused export");
        String ro = readOnlySession();
        HttpResponse<String> r = get("/vncsnapshot?session_id=" + ro + "&task_id=" + task);
        assertEquals(403, r.statusCode(), r.body());

        @SuppressWarnings("unchecked")
        Map<String, Object> rec = (Map<String, Object>) host.ok("task.get_record", root, task);
        assertEquals("failure", rec.get("status"));
        @SuppressWarnings("unchecked")
        List<String> info = (List<String>) rec.get("error_info");
        assertEquals("RBAC_PERMISSION_DENIED", info.get(0), info.toString());
        assertEquals("http/get_vncsnapshot", info.get(1), info.toString());

        // a public action does not look at the session at all
        assertEquals(200, get("/update/x?session_id=" + ro).statusCode());
    }

    @Test
    void thePoolSecretIsTrustedWithoutASession() throws Exception {
        String secret = PoolSecret.loadOrCreate(dir.resolve("ptoken")).value();
        assertTrue(Files.exists(dir.resolve("ptoken")));
        HttpResponse<String> r = get("/vncsnapshot?pool_secret=" + secret);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("get_vncsnapshot|null|false", r.body());
        r = get("/vncsnapshot", "Cookie", "pool_secret=" + secret);
        assertEquals(200, r.statusCode(), r.body());
    }

    @Test
    void basicAuthLogsATemporarySessionInAndOut() throws Exception {
        String good = Base64.getEncoder().encodeToString(("root:" + host.password()).getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> r = get("/vncsnapshot", "Authorization", "Basic " + good);
        assertEquals(200, r.statusCode(), r.body());
        String temp = r.body().split("\\|")[1];
        assertTrue(temp.startsWith("OpaqueRef:"), r.body());
        // logged out once the handler finished
        // (the table logs out after the handler returned, which may be just after the client read the answer)
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        boolean gone = false;
        while (!gone && System.nanoTime() < deadline) {
            try {
                host.server.services().sessions().check(temp);
                Thread.sleep(10);
            } catch (ApiError e) {
                gone = true;
            }
        }
        assertTrue(gone, "temporary session " + temp + " still valid");

        String bad = Base64.getEncoder().encodeToString("root:wrong".getBytes(StandardCharsets.UTF_8));
        r = get("/vncsnapshot", "Authorization", "Basic " + bad);
        assertEquals(401, r.statusCode());
        r = get("/vncsnapshot", "Authorization", "Basic !!!not-base64");
        assertEquals(401, r.statusCode());
        // Xapi's header parser knows Basic only: another scheme is an internal error
        r = get("/vncsnapshot", "Authorization", "Bearer abc");
        assertEquals(500, r.statusCode());
    }

    @Test
    void theLongestRegisteredPrefixWinsAndPublicActionsNeedNoCredentials() throws Exception {
        String s = host.login();
        assertEquals(
                "get_wlb_report|" + s + "|false",
                get("/wlb_report?session_id=" + s).body());
        assertEquals(
                "get_vncsnapshot|" + s + "|false",
                get("/vncsnapshot/sub?session_id=" + s).body());
        HttpResponse<String> r = get("/update/x");
        assertEquals(200, r.statusCode());
        assertEquals("get_pool_update_download|null|false", r.body());
    }

    @Test
    void unroutedRequestsGetXapisDefaults() throws Exception {
        // a GET no registered action claims: 403, as before any handler existed
        HttpResponse<String> r = get("/nothing-here");
        assertEquals(403, r.statusCode());
        // a method Xapi's parser does not know: 501
        HttpResponse<String> head = http.send(
                HttpRequest.newBuilder(host.uri("/vncsnapshot"))
                        .method("DELETE", HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(501, head.statusCode());
        // the RPC doors are actions of the same table
        HttpResponse<String> rpc = http.send(
                HttpRequest.newBuilder(host.uri("/RPC2"))
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "<?xml version=\"1.0\"?><methodCall><methodName>session.get_all_subject_identifiers"
                                        + "</methodName><params/></methodCall>"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, rpc.statusCode());
        assertTrue(rpc.body().contains("<methodResponse>"), rpc.body());
    }

    @Test
    void anApiErrorFromAHandlerIs500NamingIt() throws Exception {
        String s = host.login();
        HttpResponse<String> r = get("/console?session_id=" + s);
        assertEquals(500, r.statusCode());
        assertTrue(r.body().contains("VM_BAD_POWER_STATE: [ OpaqueRef:x; running; halted ]"), r.body());
    }

    @Test
    void aHandlerReadsTheBody() throws Exception {
        String s = host.login();
        byte[] body = new byte[100_000];
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(host.uri("/bundle?session_id=" + s))
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("100000", r.body());
    }

    @Test
    void theUnixSocketIsTheLocalSuperuser() throws Exception {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(dir.resolve("xapi.sock")))) {
            ch.write(ByteBuffer.wrap("GET /vncsnapshot HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII)));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(4096);
            while (ch.read(buf) > 0) {
                out.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            String resp = out.toString(StandardCharsets.US_ASCII);
            assertTrue(resp.startsWith("HTTP/1.1 200"), resp);
            assertTrue(resp.endsWith("get_vncsnapshot|null|true"), resp);
        }
    }

    @Test
    void registrationKnowsOnlyTheDatamodelsActionsOnce() {
        HttpHandlerTable t = host.server.httpHandlers();
        assertThrows(IllegalArgumentException.class, () -> t.register("get_nonsense", c -> {}));
        assertThrows(IllegalArgumentException.class, () -> t.register("get_vncsnapshot", c -> {}));
        assertTrue(
                Set.copyOf(t.registered()).containsAll(Set.of("post_root", "post_RPC2", "post_json", "post_jsonrpc")));
        assertFalse(t.registered().contains("get_root"));
    }
}
