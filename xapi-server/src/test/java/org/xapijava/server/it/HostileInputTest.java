package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.Database;
import org.xapijava.model.rpc.RpcResponse;
import org.xapijava.model.xmlrpc.XmlRpcReader;
import org.xapijava.model.xmlrpc.XmlRpcWriter;
import org.xapijava.server.TestHost;

/**
 * Requests a hostile or broken client sends: oversized and unframed bodies, entity bombs, deep
 * nesting, invalid UTF-8, oversized heads, slow senders. Each must get Xapi's answer without
 * hurting the daemon, which keeps answering other clients.
 */
class HostileInputTest {
    @TempDir
    static Path dir;

    static TestHost host;
    static Wire wire;
    static String session;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir);
        wire = new Wire(host);
        session = (String) wire.xmlValue("session.login_with_password", "root", host.password());
    }

    @AfterAll
    static void stop() throws Exception {
        if (host != null) host.close();
    }

    /** The daemon still answers a plain call on a fresh connection. */
    private static void stillAnswers() throws Exception {
        assertEquals(List.of(host.server.services().poolRef()), wire.xmlValue("pool.get_all", session));
    }

    /** An XML-RPC login call whose body is exactly {@code size} bytes (the password is the filler). */
    private static byte[] loginBodyOfSize(int size) {
        byte[] base = XmlRpcWriter.call("session.login_with_password", List.of("root", ""));
        String s = new String(
                XmlRpcWriter.call("session.login_with_password", List.of("root", "x".repeat(size - base.length))),
                StandardCharsets.UTF_8);
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        assertEquals(size, b.length);
        return b;
    }

    @Test
    void bodiesUpTo300KiBAreReadAndLargerOnesAre500() throws Exception {
        try (RawHttp c = new RawHttp(host.port())) {
            c.send(RawHttp.post("/", "text/xml", loginBodyOfSize(307_200)));
            RawHttp.Reply r = c.read();
            assertEquals(200, r.status());
            assertTrue(
                    r.text().contains("SESSION_AUTHENTICATION_FAILED"), r.text().substring(0, 200));
        }
        try (RawHttp c = new RawHttp(host.port())) {
            // only the head: Xapi refuses on the Content-Length alone and never reads the body
            c.send(RawHttp.postHead("/", "Content-Type: text/xml\r\nContent-Length: 307201\r\n"));
            RawHttp.Reply r = c.read();
            assertEquals(500, r.status());
            assertEquals("text/html", r.header("content-type"));
            assertEquals("close", r.header("connection"));
            assertTrue(
                    r.text()
                            .endsWith(
                                    "<h1> Additional information </h1>Http_svr.Client_requested_size_over_limit</body></html>"),
                    r.text());
            assertTrue(c.closedByServer());
        }
        try (RawHttp c = new RawHttp(host.port())) {
            // the same on /jsonrpc, with the body actually sent
            byte[] big = new byte[400_000];
            java.util.Arrays.fill(big, (byte) ' ');
            c.send(RawHttp.postHead(
                    "/jsonrpc", "Content-Type: application/json\r\nContent-Length: " + big.length + "\r\n"));
            RawHttp.Reply r = c.read();
            assertEquals(500, r.status());
            assertTrue(r.text().contains("Http_svr.Client_requested_size_over_limit"));
        }
        stillAnswers();
    }

    @Test
    void chunkedBodyWithoutContentLengthIs500() throws Exception {
        byte[] body = XmlRpcWriter.call("pool.get_all", List.of(session));
        try (RawHttp c = new RawHttp(host.port())) {
            // in one write: the server answers on the head alone and hangs up, so later writes could fail
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.writeBytes(RawHttp.postHead("/", "Content-Type: text/xml\r\nTransfer-Encoding: chunked\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            b.writeBytes((Integer.toHexString(body.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            b.writeBytes(body);
            b.writeBytes("\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            c.send(b.toByteArray());
            RawHttp.Reply r = c.read();
            assertEquals(500, r.status());
            assertTrue(
                    r.text()
                            .endsWith(
                                    "<h1> Additional information </h1>Failure(&quot;We require a content-length: HTTP header&quot;)</body></html>"),
                    r.text());
        }
        stillAnswers();
    }

    @Test
    void entityBombsAndExternalEntitiesAre500WithoutExpansion() throws Exception {
        StringBuilder bomb = new StringBuilder("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
        bomb.append("<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">");
        for (int i = 2; i <= 9; i++) {
            bomb.append("<!ENTITY lol").append(i).append(" \"");
            for (int j = 0; j < 10; j++) bomb.append("&lol").append(i - 1).append(';');
            bomb.append("\">");
        }
        bomb.append(
                "]><methodCall><methodName>session.login_with_password</methodName><params><param><value>&lol9;</value>"
                        + "</param><param><value>x</value></param></params></methodCall>");
        String xxe =
                "<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><methodCall><methodName>"
                        + "session.login_with_password</methodName><params><param><value>&x;</value></param><param><value>x</value>"
                        + "</param></params></methodCall>";
        Runtime rt = Runtime.getRuntime();
        for (String doc : List.of(bomb.toString(), xxe)) {
            long t0 = System.nanoTime();
            HttpResponse<byte[]> r = wire.post("/", "text/xml", doc.getBytes(StandardCharsets.UTF_8));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertEquals(500, r.statusCode());
            assertTrue(Wire.text(r).startsWith("<html><body><h1>HTTP 500 internal server error</h1>"));
            assertFalse(Wire.text(r).contains("root:"), "no external entity content");
            // a billion laughs expands to 3 GB: refused before any expansion, so quickly and in little memory
            assertTrue(ms < 5_000, "took " + ms + " ms");
        }
        assertTrue(rt.totalMemory() - rt.freeMemory() < rt.maxMemory(), "heap still usable");
        stillAnswers();
    }

    @Test
    void deepNestingIsRefusedAndTheDaemonSurvives() throws Exception {
        int depth = 5_000; // 43 bytes a level: the document stays under the 300 KiB body limit
        StringBuilder x = new StringBuilder(
                "<?xml version=\"1.0\"?><methodCall><methodName>system.isAlive:x</methodName><params><param>");
        x.append("<value><array><data>".repeat(depth))
                .append("<value>1</value>")
                .append("</data></array></value>".repeat(depth));
        x.append("</param></params></methodCall>");
        byte[] doc = x.toString().getBytes(StandardCharsets.UTF_8);
        assertTrue(doc.length <= 307_200, "size " + doc.length);
        HttpResponse<byte[]> r = wire.post("/", "text/xml", doc);
        assertEquals(500, r.statusCode(), Wire.text(r));
        assertTrue(Wire.text(r).contains("Xmlrpc.Parse_error"), Wire.text(r));
        String j = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system.isAlive:x\",\"params\":[" + "[".repeat(depth)
                + "]".repeat(depth) + "]}";
        assertEquals(500, wire.jsonPost(j).statusCode());
        stillAnswers();
    }

    @Test
    void invalidUtf8IsRefusedAndNothingIsWritten() throws Exception {
        Database db = host.server.services().db();
        String pool = host.server.services().poolRef();
        long before = db.generation();
        Object nameBefore = db.get("pool", pool, "name_label");

        // XML-RPC: Xapi's XML parser (xmlm) refuses the malformed byte stream: HTTP 500
        byte[] bad = {(byte) 0xC3, (byte) 0x28};
        for (String where : List.of("string", "member")) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.writeBytes(("<?xml version=\"1.0\"?><methodCall><methodName>pool.add_to_other_config</methodName><params>"
                            + "<param><value>" + session + "</value></param><param><value>" + pool + "</value></param>")
                    .getBytes(StandardCharsets.UTF_8));
            if (where.equals("string")) {
                b.writeBytes("<param><value>k</value></param><param><value>v".getBytes(StandardCharsets.UTF_8));
                b.writeBytes(bad);
                b.writeBytes("</value></param>".getBytes(StandardCharsets.UTF_8));
            } else {
                b.writeBytes("<param><value><struct><member><name>k".getBytes(StandardCharsets.UTF_8));
                b.writeBytes(bad);
                b.writeBytes("</name><value>v</value></member></struct></value></param><param><value>v</value></param>"
                        .getBytes(StandardCharsets.UTF_8));
            }
            b.writeBytes("</params></methodCall>".getBytes(StandardCharsets.UTF_8));
            HttpResponse<byte[]> r = wire.post("/", "text/xml", b.toByteArray());
            assertEquals(500, r.statusCode(), where);
        }

        // JSON-RPC: Yojson takes the bytes; Xapi's dispatcher then refuses the parameter
        // (INVALID_VALUE raised before dispatch: the bare-array v2 envelope with id 0)
        for (String where : List.of("string", "key")) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            if (where.equals("string")) {
                b.writeBytes(("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"pool.set_name_label\",\"params\":[\""
                                + session + "\",\"" + pool + "\",\"v")
                        .getBytes(StandardCharsets.UTF_8));
                b.writeBytes(bad);
                b.writeBytes("\"]}".getBytes(StandardCharsets.UTF_8));
            } else {
                b.writeBytes(("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"pool.set_other_config\",\"params\":[\""
                                + session + "\",\"" + pool + "\",{\"k")
                        .getBytes(StandardCharsets.UTF_8));
                b.writeBytes(bad);
                b.writeBytes("\":\"v\"}]}".getBytes(StandardCharsets.UTF_8));
            }
            HttpResponse<byte[]> r = wire.post("/jsonrpc", "application/json", b.toByteArray());
            assertEquals(200, r.statusCode(), where);
            JsonNode j = Wire.JSON.readTree(r.body());
            assertEquals("2.0", j.get("jsonrpc").asText());
            assertEquals(0, j.get("id").asInt());
            assertTrue(j.get("error").isArray(), j.toString());
            assertEquals("INVALID_VALUE", j.get("error").get(0).asText());
            assertEquals(
                    "Invalid UTF-8 string in parameter", j.get("error").get(1).asText());
        }
        // a lone low surrogate escape is what Yojson turns into invalid UTF-8 too
        JsonNode j = wire.json("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"pool.set_name_label\",\"params\":[\""
                + session + "\",\"" + pool + "\",\"v\\udc00\"]}");
        assertEquals("INVALID_VALUE", j.get("error").get(0).asText());

        assertEquals(before, db.generation(), "nothing written");
        assertEquals(nameBefore, db.get("pool", pool, "name_label"));
        stillAnswers();
    }

    /** A request head of exactly {@code length} bytes (request line through the blank line). */
    private static byte[] headOfLength(int length, byte[] body) {
        String fixed = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\nContent-Length: " + body.length
                + "\r\nX-Pad: ";
        String head = fixed + "p".repeat(length - fixed.length() - 4) + "\r\n\r\n";
        assertEquals(length, head.length());
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(head.getBytes(StandardCharsets.ISO_8859_1));
        b.writeBytes(body);
        return b.toByteArray();
    }

    @Test
    void requestHeadsAreLimitedTo1006BytesAsXapiCountsThem() throws Exception {
        byte[] body = XmlRpcWriter.call("pool.get_all", List.of(session));
        try (RawHttp c = new RawHttp(host.port())) {
            c.send(headOfLength(1006, body));
            RawHttp.Reply r = c.read();
            assertEquals(200, r.status(), r.text());
        }
        try (RawHttp c = new RawHttp(host.port())) {
            c.send(headOfLength(1007, body));
            RawHttp.Reply r = c.read();
            assertEquals(431, r.status(), r.text());
            assertEquals(
                    "<html><body><h1>HTTP 431 request header fields too large</h1>Exceeded the maximum header size.</body></html>",
                    r.text());
            assertTrue(c.closedByServer());
        }
        try (RawHttp c = new RawHttp(host.port())) {
            // a long request line counts the same
            c.send("POST /" + "a".repeat(2000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n");
            assertEquals(431, c.read().status());
        }
        try (RawHttp c = new RawHttp(host.port())) {
            c.send("this is not HTTP\r\n\r\n");
            RawHttp.Reply r = c.read();
            assertEquals(500, r.status(), r.text());
            assertTrue(r.text().contains("The HTTP headers could not be parsed."), r.text());
        }
        stillAnswers();
    }

    @Test
    void keptAliveConnectionsAreUnharmedByOthersBadRequests() throws Exception {
        // a regression guard: bad heads on other connections once corrupted pooled buffers of good ones
        byte[] body = XmlRpcWriter.call("pool.get_all", List.of(session));
        byte[] large = XmlRpcWriter.call("pool.get_all", List.of(session, "x".repeat(5_000)));
        for (int i = 0; i < 40; i++) {
            if (i % 2 == 0) stillAnswers();
            else {
                // a body larger than the head allowance arrives with the head
                HttpResponse<byte[]> r = wire.post("/", "text/xml", large);
                assertEquals(200, r.statusCode(), i + ": " + Wire.text(r));
                assertTrue(Wire.text(r).contains("MESSAGE_PARAMETER_COUNT_MISMATCH"), Wire.text(r));
            }
            try (RawHttp c = new RawHttp(host.port())) {
                c.send(
                        i % 3 == 0
                                ? "this is not HTTP\r\n\r\n".getBytes(StandardCharsets.US_ASCII)
                                : headOfLength(1007, body));
                int status = c.read().status();
                assertTrue(status == 500 || status == 431, "status " + status);
            }
        }
    }

    @Test
    void aSlowSenderDoesNotBlockOtherClients() throws Exception {
        byte[] body = XmlRpcWriter.call("pool.get_all", List.of(session));
        try (RawHttp slow = new RawHttp(host.port())) {
            slow.send(RawHttp.postHead("/", "Content-Type: text/xml\r\nContent-Length: " + body.length + "\r\n"));
            slow.send(java.util.Arrays.copyOf(body, 10));
            CompletableFuture<RawHttp.Reply> slowReply = CompletableFuture.supplyAsync(() -> {
                try {
                    return slow.read();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            // while the body trickles in, other clients are served, many times over
            for (int i = 10; i < body.length; i++) {
                slow.send(new byte[] {body[i]});
                if (i % 20 == 0) {
                    stillAnswers();
                    assertFalse(slowReply.isDone(), "the slow request cannot be answered before its body is in");
                }
                if (i % 4 == 0) Thread.sleep(5);
            }
            RawHttp.Reply r = slowReply.get(20, TimeUnit.SECONDS);
            assertEquals(200, r.status());
            RpcResponse rr = XmlRpcReader.RESPONSES.readResponse(r.body());
            assertEquals(List.of(host.server.services().poolRef()), rr.contents());
        }
    }

    @Test
    void http10RequestsWithoutHostAreServedAndClosed() throws Exception {
        byte[] body = XmlRpcWriter.call("pool.get_all", List.of(session));
        try (RawHttp c = new RawHttp(host.port())) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.writeBytes(("POST /RPC2 HTTP/1.0\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            b.writeBytes(body);
            c.send(b.toByteArray());
            RawHttp.Reply r = c.read();
            assertEquals(200, r.status(), r.text());
            assertTrue(r.text().contains(host.server.services().poolRef()));
            // Xapi closes HTTP/1.0 connections after the answer
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void responsesCarryXapiHeaders() throws Exception {
        List<String> seen = new ArrayList<>();
        try (RawHttp c = new RawHttp(host.port())) {
            c.send(RawHttp.post("/", "text/xml", XmlRpcWriter.call("pool.get_all", List.of(session))));
            RawHttp.Reply r = c.read();
            seen.addAll(r.headers().keySet());
            assertEquals("no-cache, no-store", r.header("cache-control"));
            assertEquals("text/xml", r.header("content-type"));
            assertEquals(null, r.header("server"));
            assertEquals(null, r.header("date"));
            // keep-alive: many more calls on the same connection (each head counted on its own)
            for (int i = 0; i < 20; i++) {
                c.send(RawHttp.post("/", "text/xml", XmlRpcWriter.call("pool.get_all", List.of(session))));
                RawHttp.Reply again = c.read();
                assertEquals(200, again.status(), i + ": " + again.text());
            }
        }
        assertTrue(seen.contains("content-length"), seen.toString());
    }

    /** Xapi's 408 page as written before any request exists. */
    private static final String TIMEOUT_PAGE =
            "<html><body><h1>HTTP 408 request timeout</h1>Timed out waiting for the request.</body></html>";

    @Test
    void headerTimeoutsApplyToTheFirstRequestOnly(@TempDir Path other) throws Exception {
        // short timeouts so that the test is quick; the defaults are Xapi's 10 s and 60 s
        try (TestHost h = TestHost.start(other, "--header-read-timeout", "0.25", "--header-total-timeout", "1")) {
            Wire w = new Wire(h);
            String s = (String) w.xmlValue("session.login_with_password", "root", h.password());
            byte[] call = XmlRpcWriter.call("pool.get_all", List.of(s));

            // silence: 408 after the read timeout, then the connection is closed
            long t0 = System.nanoTime();
            try (RawHttp c = new RawHttp(h.port())) {
                RawHttp.Reply r = c.read();
                assertEquals(408, r.status());
                assertEquals(TIMEOUT_PAGE, r.text());
                assertEquals("close", r.header("connection"));
                assertTrue(c.closedByServer());
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms >= 200 && ms < 10_000, "408 after " + ms + " ms");

            // headers trickled faster than the read timeout still run into the total timeout
            try (RawHttp c = new RawHttp(h.port())) {
                String head =
                        RawHttp.postHead("/", "Content-Type: text/xml\r\nContent-Length: " + call.length + "\r\n");
                CompletableFuture<Void> trickle = CompletableFuture.runAsync(() -> {
                    try {
                        for (int i = 0; i < head.length(); i++) {
                            c.send(head.substring(i, i + 1));
                            Thread.sleep(100);
                        }
                    } catch (Exception e) {
                        // the server hung up: expected
                    }
                });
                t0 = System.nanoTime();
                RawHttp.Reply r = c.read();
                ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertEquals(408, r.status());
                assertTrue(ms >= 900 && ms < 10_000, "408 after " + ms + " ms");
                trickle.get(20, TimeUnit.SECONDS);
            }

            // once a request's headers are in, nothing times out: not the body, not keep-alive
            try (RawHttp c = new RawHttp(h.port())) {
                c.send(RawHttp.postHead("/", "Content-Type: text/xml\r\nContent-Length: " + call.length + "\r\n"));
                Thread.sleep(600);
                c.send(call);
                assertEquals(200, c.read().status());
                Thread.sleep(600);
                c.send(RawHttp.post("/", "text/xml", call));
                RawHttp.Reply r = c.read();
                assertEquals(200, r.status());
                assertTrue(r.text().contains(h.server.services().poolRef()));
            }
            // the Unix socket has no header timeouts
            try (RawHttp c = new RawHttp(h.dir.resolve("xapi.sock"))) {
                Thread.sleep(600);
                c.send(RawHttp.post("/", "text/xml", call));
                assertEquals(200, c.read().status());
            }
        }
    }

    @Test
    void connectionsBeyondTheCapWaitUntilOthersClose(@TempDir Path other) throws Exception {
        int cap = 800; // Xapi's conn_limit_tcp, the default of max-connections
        // a long read timeout, so that no idle connection is dropped while the test runs
        try (TestHost h = TestHost.start(other, "--header-read-timeout", "120")) {
            Path sock = h.dir.resolve("xapi.sock");
            // logins and checks go through the Unix socket: a TCP client's kept-alive connection would take a slot
            String s = (String)
                    unixValue(sock, XmlRpcWriter.call("session.login_with_password", List.of("root", h.password())));
            byte[] call = XmlRpcWriter.call("pool.get_all", List.of(s));
            java.util.Map<Integer, org.eclipse.jetty.io.Connection> serverSide =
                    new java.util.concurrent.ConcurrentHashMap<>();
            java.util.concurrent.Semaphore opened = new java.util.concurrent.Semaphore(0);
            java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicInteger maxOpen = new java.util.concurrent.atomic.AtomicInteger();
            h.server.httpConnector().addEventListener(new org.eclipse.jetty.io.Connection.Listener() {
                @Override
                public void onOpened(org.eclipse.jetty.io.Connection c) {
                    if (c.getEndPoint().getRemoteSocketAddress() instanceof java.net.InetSocketAddress a)
                        serverSide.put(a.getPort(), c);
                    maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
                    opened.release();
                }

                @Override
                public void onClosed(org.eclipse.jetty.io.Connection c) {
                    open.decrementAndGet();
                }
            });
            List<java.nio.channels.SocketChannel> accepted = new ArrayList<>();
            List<java.nio.channels.SocketChannel> pending = new ArrayList<>();
            try {
                java.net.InetSocketAddress addr = new java.net.InetSocketAddress("127.0.0.1", h.port());
                // up to the cap, in batches smaller than the listen backlog (a full backlog drops SYNs, and
                // the kernel retries them only after seconds)
                for (int i = 0; i < cap; i += 100) {
                    for (int j = 0; j < 100; j++) accepted.add(java.nio.channels.SocketChannel.open(addr));
                    assertTrue(
                            opened.tryAcquire(100, 20, TimeUnit.SECONDS),
                            "accepted " + (i + opened.availablePermits()));
                }

                // at the cap, a real client connects (the kernel queues it) but is not served
                RawHttp queued = new RawHttp(h.port());
                queued.send(RawHttp.post("/", "text/xml", call));
                CompletableFuture<RawHttp.Reply> answer = CompletableFuture.supplyAsync(() -> {
                    try {
                        return queued.read();
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                // and 1,200 more idle ones pile up behind it, 2,000 connections in all
                for (int i = cap; i < 2_000; i++) pending.add(connectNonBlocking(addr));
                assertFalse(opened.tryAcquire(1, 300, TimeUnit.MILLISECONDS), "nothing accepted beyond the cap");
                assertFalse(answer.isDone());

                // clients of the Unix socket (its own cap) are still served
                assertEquals(List.of(h.server.services().poolRef()), unixValue(sock, call));

                // one accepted connection closes: the first one waiting (our client) is accepted and served
                java.nio.channels.SocketChannel first = accepted.get(0);
                assertTrue(serverSide.containsKey(((java.net.InetSocketAddress) first.getLocalAddress()).getPort()));
                // measured before the close: after it, Jetty's limit frees the slot (and may accept the next
                // client) before our listener hears of the close, so our own count can briefly read cap + 1
                assertEquals(cap, maxOpen.get(), "never more than the cap at once");
                first.close();
                RawHttp.Reply r = answer.get(30, TimeUnit.SECONDS);
                assertEquals(200, r.status());
                assertTrue(r.text().contains(h.server.services().poolRef()));
                queued.close();
            } finally {
                for (var ch : accepted) ch.close();
                for (var ch : pending) ch.close();
            }
            // everyone gone: new TCP clients are served again
            try (RawHttp c = new RawHttp(h.port())) {
                c.send(RawHttp.post("/", "text/xml", call));
                assertEquals(200, c.read().status());
            }
        }
    }

    /** The value of a successful XML-RPC call over the Unix socket. */
    private static Object unixValue(Path sock, byte[] call) throws Exception {
        try (RawHttp c = new RawHttp(sock)) {
            c.send(RawHttp.post("/", "text/xml", call));
            RawHttp.Reply r = c.read();
            assertEquals(200, r.status());
            RpcResponse rr = XmlRpcReader.RESPONSES.readResponse(r.body());
            assertTrue(rr.success(), String.valueOf(rr.contents()));
            return rr.contents();
        }
    }

    private static java.nio.channels.SocketChannel connectNonBlocking(java.net.InetSocketAddress addr)
            throws java.io.IOException {
        java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open();
        ch.configureBlocking(false);
        ch.connect(addr);
        return ch;
    }
}
