package org.xapijava.server.remotedb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.xapijava.db.Database;
import org.xapijava.model.Datamodel;
import org.xapijava.model.FieldDef;
import org.xapijava.model.api.Network;
import org.xapijava.model.types.DbStrings;
import org.xapijava.server.TestHost;
import org.xapijava.server.config.XapiConfig;
import org.xapijava.server.remotedb.RemoteDbClient.Protocol;
import org.xapijava.server.session.PoolSecret;

/**
 * Every remote database function through {@link RemoteDbClient}, v1 and v2, against a running master
 * ({@link TestHost}, real HTTP), with the master's own database as the witness; Xapi's exception names; the
 * pool-secret check; the body limit; one connection for many calls; reconnecting and giving up.
 */
class RemoteDbClientTest {
    @TempDir
    static Path dir;

    static TestHost master;
    static String secret;
    static String host;
    static Database db;

    /** Short backoff for tests: 50 ms doubling to 200 ms, give up after 2 s. */
    static final ReconnectPolicy FAST = new ReconnectPolicy(
            Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofSeconds(2), Duration.ofSeconds(10));

    @BeforeAll
    static void start() throws Exception {
        master = TestHost.start(dir.resolve("master"));
        secret = PoolSecret.loadOrCreate(XapiConfig.fromArgs(
                                List.of("--data-dir", dir.resolve("master").toString()))
                        .path("pool-secret"))
                .value();
        host = master.uri("/").getHost();
        db = master.server.services().db();
    }

    @AfterAll
    static void stop() throws Exception {
        if (master != null) master.close();
    }

    static RemoteDbClient client(Protocol p) {
        return RemoteDbClient.builder(host, master.port(), secret)
                .protocol(p)
                .policy(FAST)
                .build();
    }

    /** A network row as a member's generated code writes one: every column, in database strings. */
    static Map<String, String> networkColumns(String uuid, String label) {
        Datamodel dm = Datamodel.get();
        Map<String, String> cols = new LinkedHashMap<>();
        for (FieldDef f : dm.cls(Network.XAPI_CLASS).dbFields()) {
            cols.put(f.column(), DbStrings.toDb(f.type(), f.hasDefault() ? f.defaultValue() : dm.emptyValue(f.type())));
        }
        cols.put("uuid", uuid);
        cols.put("name__label", label);
        cols.put("other_config", "(('a' '1'))");
        return cols;
    }

    static String freshRef() {
        return "OpaqueRef:" + UUID.randomUUID();
    }

    static void assertError(String name, List<String> params, Runnable call) {
        RemoteDbError e = assertThrows(RemoteDbError.class, call::run);
        assertEquals(name, e.name());
        assertEquals(params, e.params());
    }

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void everyFunction(Protocol p) {
        try (RemoteDbClient c = client(p)) {
            String ref = freshRef();
            String uuid = UUID.randomUUID().toString();
            String label = "remote-db-" + p + "-" + uuid;
            c.createRow("network", networkColumns(uuid, label), ref);
            assertEquals(label, db.get(ref, Network.NAME_LABEL));
            assertEquals(Map.of("a", "1"), db.get(ref, Network.OTHER_CONFIG));
            // the same row again is no error (Xapi's create_row')
            c.createRow("network", Map.of("uuid", uuid), ref);

            assertEquals(Optional.of("network"), c.getTableFromRef(ref));
            assertEquals(Optional.empty(), c.getTableFromRef(freshRef()));
            assertTrue(c.isValidRef(ref));
            assertFalse(c.isValidRef(freshRef()));
            assertTrue(c.readRefs("network").contains(ref));
            List<String> refs = c.readRefs("network");
            assertEquals(
                    refs.stream().sorted(java.util.Comparator.reverseOrder()).toList(), refs, "Xapi's order");
            assertEquals(List.of(ref), c.readFieldWhere(new WhereRecord("network", "_ref", "name__label", label)));
            assertEquals(List.of(uuid), c.readFieldWhere(new WhereRecord("network", "uuid", "_ref", ref)));
            assertEquals(ref, c.dbGetByUuid("network", uuid));
            assertEquals(Optional.of(ref), c.dbGetByUuidOpt("network", uuid));
            assertEquals(Optional.empty(), c.dbGetByUuidOpt("network", "no-such-uuid"));
            assertEquals(List.of(ref), c.dbGetByNameLabel("network", label));

            c.writeField("network", ref, "MTU", "9000");
            assertEquals(9000L, db.get(ref, Network.MTU));
            assertEquals("9000", c.readField("network", "MTU", ref));
            assertEquals(ref, c.readField("network", "_ref", ref));

            DbExpr byLabel = DbExpr.eq("name__label", label);
            assertEquals(List.of(ref), c.findRefsWithFilter("network", byLabel));
            assertEquals(
                    List.of(ref),
                    c.findRefsWithFilter("network", new DbExpr.And(byLabel, new DbExpr.Not(DbExpr.eq("MTU", "1500")))));
            assertEquals(List.of(), c.findRefsWithFilter("network", new DbExpr.And(byLabel, new DbExpr.False())));

            DbRecord r = c.readRecord("network", ref);
            assertEquals(ref, r.fields().get("_ref"));
            assertEquals(label, r.fields().get("name__label"));
            assertEquals("(('a' '1'))", r.fields().get("other_config"));
            assertEquals(List.of(), r.setRefs().get("VIFs"));
            assertEquals(List.of(), r.setRefs().get("PIFs"));
            assertFalse(r.setRefs().containsKey("tags"), "only Set(Ref _) columns");
            List<Map.Entry<String, DbRecord>> rs = c.readRecordsWhere("network", DbExpr.eq("uuid", uuid));
            assertEquals(1, rs.size());
            assertEquals(ref, rs.get(0).getKey());
            assertEquals(r, rs.get(0).getValue());

            c.processStructuredField("b", "2", "network", "other_config", ref, StructuredOp.ADD_MAP);
            assertEquals(Map.of("a", "1", "b", "2"), db.get(ref, Network.OTHER_CONFIG));
            assertEquals("(('b' '2') ('a' '1'))", c.readField("network", "other_config", ref), "the pair first");
            // idempotent on a slave's connection: the same pair again is no error
            c.processStructuredField("b", "2", "network", "other_config", ref, StructuredOp.ADD_MAP);
            assertError(
                    RemoteDbError.DUPLICATE_KEY_OF,
                    List.of("network", "other_config", ref, "b"),
                    () -> c.processStructuredField("b", "3", "network", "other_config", ref, StructuredOp.ADD_MAP));
            c.processStructuredField("b", "", "network", "other_config", ref, StructuredOp.REMOVE_MAP);
            assertEquals(Map.of("a", "1"), db.get(ref, Network.OTHER_CONFIG));
            c.processStructuredField("t1", "", "network", "tags", ref, StructuredOp.ADD_SET);
            c.processStructuredField("t2", "", "network", "tags", ref, StructuredOp.ADD_SET);
            c.processStructuredField("t1", "", "network", "tags", ref, StructuredOp.ADD_SET);
            assertEquals(List.of("t2", "t1"), db.get(ref, Network.TAGS));
            c.processStructuredField("t1", "", "network", "tags", ref, StructuredOp.REMOVE_SET);
            assertEquals(List.of("t2"), db.get(ref, Network.TAGS));

            c.deleteRow("network", ref);
            assertFalse(db.exists("network", ref));
            assertFalse(c.isValidRef(ref));
        }
    }

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void xapiExceptionNames(Protocol p) {
        try (RemoteDbClient c = client(p)) {
            String gone = freshRef();
            assertError(
                    RemoteDbError.DBCACHE_NOTFOUND,
                    List.of("missing row", "network", gone),
                    () -> c.readField("network", "MTU", gone));
            assertError(
                    RemoteDbError.DBCACHE_NOTFOUND,
                    List.of("missing row", "network", gone),
                    () -> c.deleteRow("network", gone));
            assertError(
                    RemoteDbError.DBCACHE_NOTFOUND,
                    List.of("missing table", "no_such_table", ""),
                    () -> c.readRefs("no_such_table"));
            String ref = freshRef();
            String uuid = UUID.randomUUID().toString();
            c.createRow("network", networkColumns(uuid, "exceptions"), ref);
            try {
                assertError(
                        RemoteDbError.DBCACHE_NOTFOUND,
                        List.of("missing field", "no_such_column", ""),
                        () -> c.readField("network", "no_such_column", ref));
                assertError(
                        RemoteDbError.DBCACHE_NOTFOUND,
                        List.of("missing column", "network", "no_such_column"),
                        () -> c.writeField("network", ref, "no_such_column", "x"));
                assertError(
                        RemoteDbError.DBCACHE_NOTFOUND,
                        List.of("missing default value in datamodel for new field", "uuid", ""),
                        () -> c.createRow("network", Map.of("name__label", "no uuid"), freshRef()));
                // another row with the same uuid
                String other = freshRef();
                assertError(
                        RemoteDbError.UNIQUENESS_CONSTRAINT_VIOLATION,
                        List.of("network", "uuid", uuid),
                        () -> c.createRow("network", networkColumns(uuid, "twin"), other));
                assertFalse(db.exists("network", other));
                assertError(
                        RemoteDbError.READ_MISSING_UUID,
                        List.of("network", "", "no-such-uuid"),
                        () -> c.dbGetByUuid("network", "no-such-uuid"));
                // a uuid of another table is missing in this one
                assertError(RemoteDbError.READ_MISSING_UUID, List.of("VM", "", uuid), () -> c.dbGetByUuid("VM", uuid));
                assertError(
                        RemoteDbError.DUPLICATE_KEY_OF,
                        List.of("network", "other_config", ref, "a"),
                        () -> c.processStructuredField("a", "2", "network", "other_config", ref, StructuredOp.ADD_MAP));
            } finally {
                c.deleteRow("network", ref);
            }
        }
    }

    /**
     * Request kinds registered later on the running master's handler (the extension point) reach it through the
     * client's generic calls; too_many_values (which Xapi declares and raises nowhere) travels both protocols.
     */
    @Test
    void registeredExtensionCallsAndTooManyValues() {
        RemoteDbHandler h = master.server.remoteDb();
        h.v1().register(
                        "count_rows",
                        a -> V1Codec.string(Integer.toString(db.snapshot().count(V1Codec.readString(a)))));
        h.v1().register("too_many", a -> {
            throw new RemoteDbError(RemoteDbError.TOO_MANY_VALUES, List.of("VM", "", V1Codec.readString(a)));
        });
        h.v2().register("Too_many", 1, a -> {
            throw new RemoteDbError(RemoteDbError.TOO_MANY_VALUES, List.of("VM", "", V2Codec.readString(a.get(0))));
        });
        try (RemoteDbClient c = client(Protocol.V1)) {
            assertEquals("1", c.call("count_rows", V1Codec.string("host"), V1Codec::readString));
            assertError(
                    RemoteDbError.TOO_MANY_VALUES,
                    List.of("VM", "", "u"),
                    () -> c.call("too_many", V1Codec.string("u"), V1Codec::readString));
            // an unknown function is Xapi's HTTP 500, which a member retries like any HTTP error until its timeout
            RemoteDbUnavailableException e = assertThrows(
                    RemoteDbUnavailableException.class,
                    () -> c.call("no_such_function", V1Codec.string(""), V1Codec::readString));
            assertTrue(e.getMessage().contains("500"), e.getMessage());
        }
        try (RemoteDbClient c = client(Protocol.V2)) {
            assertError(
                    RemoteDbError.TOO_MANY_VALUES,
                    List.of("VM", "", "u"),
                    () -> c.callV2("Too_many", List.of(V2Codec.F.textNode("u"))));
        }
    }

    @Test
    void oneConnectionForManyCalls() throws Exception {
        try (CountingProxy proxy = new CountingProxy(host, master.port());
                RemoteDbClient c = RemoteDbClient.builder("127.0.0.1", proxy.port(), secret)
                        .policy(FAST)
                        .build()) {
            for (int i = 0; i < 50; i++) assertTrue(c.readRefs("host").size() >= 1);
            assertEquals(1, proxy.accepted(), "the master saw one TCP connection");
            assertEquals(1, c.connectionsOpened());
        }
    }

    /** As Xapi's members do (through stunnel): over TLS, to the master's HTTPS port, trusting its certificate. */
    @Test
    void overHttps() throws Exception {
        org.xapijava.server.tls.HostCertificate cert = org.xapijava.server.tls.HostCertificate.load(
                dir.resolve("master").resolve("xapi-ssl.pem"));
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("master", cert.certificate());
        javax.net.ssl.TrustManagerFactory tmf =
                javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        try (RemoteDbClient c = RemoteDbClient.builder("127.0.0.1", master.server.httpsPort(), secret)
                .sockets(ctx.getSocketFactory())
                .policy(FAST)
                .build()) {
            for (int i = 0; i < 5; i++)
                assertEquals(List.of(master.server.services().poolRef()), c.readRefs("pool"));
            assertEquals(1, c.connectionsOpened());
        }
    }

    @Test
    void reconnectsAfterTheConnectionIsCut() throws Exception {
        try (CountingProxy proxy = new CountingProxy(host, master.port());
                RemoteDbClient c = RemoteDbClient.builder("127.0.0.1", proxy.port(), secret)
                        .policy(FAST)
                        .build()) {
            String hostRef = c.readRefs("host").get(0);
            proxy.cutAll();
            assertEquals(Optional.of("host"), c.getTableFromRef(hostRef));
            assertEquals(2, proxy.accepted());
            assertEquals(2, c.connectionsOpened());
        }
    }

    @Test
    void givesUpAfterTheTimeoutWithXapisBackoff() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        ReconnectPolicy p = new ReconnectPolicy(
                Duration.ofMillis(100), Duration.ofMillis(400), Duration.ofMillis(1000), Duration.ofSeconds(5));
        assertEquals(Duration.ofMillis(200), p.next(Duration.ofMillis(100)));
        assertEquals(Duration.ofMillis(400), p.next(Duration.ofMillis(400)));
        assertEquals(Duration.ofSeconds(256), ReconnectPolicy.XAPI_FOREVER.next(Duration.ofSeconds(256)));
        assertEquals(Duration.ofSeconds(4), ReconnectPolicy.XAPI_STARTUP.next(ReconnectPolicy.XAPI_INITIAL_DELAY));
        try (RemoteDbClient c =
                RemoteDbClient.builder("127.0.0.1", port, secret).policy(p).build()) {
            long t0 = System.nanoTime();
            RemoteDbUnavailableException e = assertThrows(RemoteDbUnavailableException.class, () -> c.readRefs("host"));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            // waits 100 + 200 + 400 + 400 ms between attempts: gives up at the first failure past 1 s
            assertTrue(ms >= 1000 && ms < 4000, "gave up after " + ms + " ms");
            assertTrue(e.getMessage().contains("unreachable"), e.getMessage());
        }
    }

    @Test
    void aWrongOrMissingSecretIsRefusedAndWritesNothing() throws Exception {
        String ref = freshRef();
        String body = XmlLight.write(V1Codec.call(
                "create_row",
                V1Codec.array(
                        V1Codec.string("network"),
                        V1Codec.pairs(networkColumns(UUID.randomUUID().toString(), "intruder")),
                        V1Codec.string(ref))));
        for (String cookie : new String[] {"pool_secret=wrong", null}) {
            String answer = rawPost("/remote_db_access", cookie, body.getBytes(StandardCharsets.UTF_8), -1);
            assertTrue(answer.startsWith("HTTP/1.1 401"), answer);
            assertTrue(
                    answer.toLowerCase().contains("www-authenticate: basic realm=\"post_remote_db_access\""), answer);
            assertFalse(db.exists("network", ref));
        }
        // the right secret, same bytes: done
        String ok = rawPost("/remote_db_access", "pool_secret=" + secret, body.getBytes(StandardCharsets.UTF_8), -1);
        assertTrue(ok.startsWith("HTTP/1.1 200"), ok);
        assertTrue(ok.toLowerCase().contains("content-length:"), ok);
        assertTrue(ok.endsWith("<value><array><data><value>success</value><value/></data></array></value>"), ok);
        assertTrue(db.exists("network", ref));
        db.transact(tx -> tx.delete("network", ref));
        // the client keeps retrying a 401 (Xapi reconnects on every HTTP error) until its timeout
        try (RemoteDbClient c = RemoteDbClient.builder(host, master.port(), "wrong")
                .policy(FAST)
                .build()) {
            RemoteDbUnavailableException e = assertThrows(RemoteDbUnavailableException.class, () -> c.readRefs("host"));
            assertTrue(e.getMessage().contains("401"), e.getMessage());
        }
    }

    /**
     * The request bytes of a real Xapi member ({@code Http.Request.to_wire_string} of
     * {@code Xmlrpc_client.xmlrpc ~version:"1.1" ~keep_alive:true}: cookie, Content-Length, User-Agent, Connection in
     * that order), twice on one connection, and the exact answer, here with a Host header and no frame header (what
     * a Xapi member really sends: {@link #xapiMembersFramedRequest}).
     */
    @Test
    void xapisOwnRequestBytes() throws Exception {
        String body = XmlLight.write(V1Codec.call("read_refs", V1Codec.string("pool")));
        String req = "POST /remote_db_access HTTP/1.1\r\nHost: " + host + "\r\nCookie: pool_secret=" + secret
                + "\r\nContent-Length: "
                + body.length() + "\r\nUser-Agent: xapi/25.6\r\nConnection: keep-alive\r\n\r\n" + body;
        try (Socket s = new Socket(host, master.port())) {
            s.setSoTimeout(10_000);
            for (int i = 0; i < 2; i++) { // twice on one connection: kept alive
                s.getOutputStream().write(req.getBytes(StandardCharsets.UTF_8));
                byte[] head = readHead(s.getInputStream());
                String h = new String(head, StandardCharsets.ISO_8859_1);
                assertTrue(h.startsWith("HTTP/1.1 200"), h);
                // Jetty leaves out Xapi's "connection: keep-alive" (the HTTP/1.1 default) but keeps the connection
                assertFalse(h.toLowerCase().contains("connection: close"), h);
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)")
                        .matcher(h);
                assertTrue(m.find(), h);
                String answer =
                        new String(s.getInputStream().readNBytes(Integer.parseInt(m.group(1))), StandardCharsets.UTF_8);
                String pool = master.server.services().poolRef();
                assertEquals(
                        "<value><array><data><value>success</value><value><array><data><value>" + pool
                                + "</value></data></array></value></data></array></value>",
                        answer);
            }
        }
    }

    /**
     * What a real Xapi member sends: {@code FRAME <12-digit head length>} before a request without Host
     * ({@code Http.Request.to_wire_string} with {@code ~frame:true}), several on one kept-alive connection, the second
     * one written in two parts cut inside the frame header and the third cut just before the head's last line break.
     */
    @Test
    void xapiMembersFramedRequest() throws Exception {
        String body = XmlLight.write(V1Codec.call("read_refs", V1Codec.string("pool")));
        String head = "POST /remote_db_access HTTP/1.1\r\nCookie: pool_secret=" + secret + "\r\nContent-Length: "
                + body.length() + "\r\nUser-Agent: xapi/25.6\r\nConnection: keep-alive\r\n\r\n";
        byte[] req = (String.format("FRAME %012d", head.length()) + head + body).getBytes(StandardCharsets.UTF_8);
        String pool = master.server.services().poolRef();
        try (Socket s = new Socket(host, master.port())) {
            s.setSoTimeout(10_000);
            s.setTcpNoDelay(true);
            int[][] cuts = {{req.length}, {9, req.length}, {18 + head.length() - 2, req.length}};
            for (int[] parts : cuts) {
                int from = 0;
                for (int to : parts) {
                    s.getOutputStream().write(req, from, to - from);
                    s.getOutputStream().flush();
                    if (to < req.length) Thread.sleep(100); // the server sees the first part alone
                    from = to;
                }
                String h = new String(readHead(s.getInputStream()), StandardCharsets.ISO_8859_1);
                assertTrue(h.startsWith("HTTP/1.1 200"), h);
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)")
                        .matcher(h);
                assertTrue(m.find(), h);
                String answer =
                        new String(s.getInputStream().readNBytes(Integer.parseInt(m.group(1))), StandardCharsets.UTF_8);
                assertEquals(
                        "<value><array><data><value>success</value><value><array><data><value>" + pool
                                + "</value></data></array></value></data></array></value>",
                        answer);
            }
        }
        // a frame header longer than its head: the head ends without the Host line, and is refused (as a malformed
        // request: Xapi's 500 page) as Jetty refuses any HTTP/1.1 request without Host
        String lying = String.format("FRAME %012d", head.length() + 40) + head + body;
        try (Socket s = new Socket(host, master.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(lying.getBytes(StandardCharsets.UTF_8));
            String h = new String(readHead(s.getInputStream()), StandardCharsets.ISO_8859_1);
            assertTrue(h.startsWith("HTTP/1.1 500"), h);
        }
    }

    static byte[] readHead(InputStream in) throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        while (true) {
            int c = in.read();
            if (c < 0) throw new java.io.EOFException();
            b.write(c);
            byte[] x = b.toByteArray();
            int n = x.length;
            if (n >= 4 && x[n - 4] == '\r' && x[n - 3] == '\n' && x[n - 2] == '\r' && x[n - 1] == '\n') return x;
        }
    }

    @Test
    void aBodyOver300KiBIsRefusedUnread() throws Exception {
        // Content-Length announces 400 KiB; only 1 KiB is sent: the refusal comes without waiting for the rest
        byte[] part = new byte[1024];
        String answer = rawPost("/remote_db_access", "pool_secret=" + secret, part, 400 * 1024);
        assertTrue(answer.startsWith("HTTP/1.1 500"), answer);
        assertTrue(answer.contains("Client_requested_size_over_limit"), answer);
        // the client refuses such a request itself, at once (Xapi: Client_requested_size_over_limit)
        try (RemoteDbClient c = client(Protocol.V1)) {
            assertThrows(
                    IllegalArgumentException.class,
                    () -> c.writeField("network", freshRef(), "name__description", "x".repeat(310 * 1024)));
            assertEquals(0, c.connectionsOpened());
        }
    }

    @Test
    void notServedOnAMember() throws Exception {
        try (TestHost member = TestHost.startMember(dir.resolve("member"), master)) {
            assertFalse(member.server.httpHandlers().registered().contains("post_remote_db_access"));
            assertFalse(member.server.httpHandlers().registered().contains("post_remote_db_access_v2"));
            assertTrue(master.server.httpHandlers().registered().contains("post_remote_db_access"));
        }
    }

    /**
     * POSTs {@code body} on a new connection and returns the whole answer (head and body) as text, read until the
     * answer's Content-Length or the end of the connection.
     *
     * @param announced the Content-Length to send (-1: the body's length)
     */
    static String rawPost(String path, String cookie, byte[] body, int announced) throws IOException {
        try (Socket s = new Socket(host, master.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            String head = "POST " + path + " HTTP/1.1\r\nHost: " + host + "\r\n"
                    + (cookie == null ? "" : "Cookie: " + cookie + "\r\n")
                    + "Content-Length: " + (announced < 0 ? body.length : announced) + "\r\n\r\n";
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            InputStream in = s.getInputStream();
            java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            while (true) {
                int n = in.read(buf);
                if (n < 0) break;
                got.write(buf, 0, n);
                String t = got.toString(StandardCharsets.UTF_8);
                int end = t.indexOf("\r\n\r\n");
                if (end >= 0) {
                    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)")
                            .matcher(t.substring(0, end));
                    if (m.find()
                            && got.size() - (t.substring(0, end + 4).getBytes(StandardCharsets.UTF_8).length)
                                    >= Integer.parseInt(m.group(1))) break;
                }
            }
            return got.toString(StandardCharsets.UTF_8);
        }
    }
}
