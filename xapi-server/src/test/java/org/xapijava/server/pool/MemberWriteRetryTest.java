package org.xapijava.server.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.xapijava.db.Database;
import org.xapijava.db.Update;
import org.xapijava.model.Datamodel;
import org.xapijava.model.api.Blob;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.RawHttp;
import org.xapijava.server.ops.AllowedOperations;
import org.xapijava.server.ops.Checkers;

/**
 * A member's write that does not reach the master is sent again (Xapi's {@code master_connection.ml}), and the master
 * runs a write's id once, so a write whose answer was lost is not applied twice.
 */
class MemberWriteRetryTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Database db = Database.empty(Datamodel.get());
    private final ReplicaService service = new ReplicaService(db, new AllowedOperations(db, new Checkers(false)));

    private String blob() {
        String ref = Refs.fresh();
        db.create("blob", ref, Map.of("uuid", UUID.randomUUID().toString(), "name_label", "b", "mime_type", "x"));
        return ref;
    }

    private JsonNode applyRequest(Update u, String id) {
        var req = JsonNodeFactory.instance.arrayNode().add("Apply").add(UpdateJson.encode(u));
        if (id != null) req.add(id);
        return req;
    }

    @Test
    void theMasterRunsAWritesIdOnceAndAnswersARepeatAsTheFirstTime() {
        String ref = blob();
        Update delete = Update.builder().delete(Blob.XAPI_CLASS, ref).build();
        JsonNode req = applyRequest(delete, "write-1");
        long first = ReplicaService.result(service.handle(req));
        assertFalse(db.exists("blob", ref));
        String other = blob(); // the database moves on
        assertEquals(first, ReplicaService.result(service.handle(req)), "the first answer, not a second delete");
        assertTrue(db.exists("blob", other));
        // without an id a repeat runs again: the row is gone
        String third = blob();
        Update again = Update.builder().delete(Blob.XAPI_CLASS, third).build();
        ReplicaService.result(service.handle(applyRequest(again, null)));
        ApiError gone =
                assertThrows(ApiError.class, () -> ReplicaService.result(service.handle(applyRequest(again, null))));
        assertEquals("HANDLE_INVALID", gone.code());
    }

    @Test
    void aWriteWhoseConnectionClosesBeforeTheAnswerIsSentAgainWithTheSameId() throws Exception {
        List<String> bodies = new CopyOnWriteArrayList<>();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread master = Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 0; i < 2; i++) {
                        try (Socket s = server.accept()) {
                            InputStream in = s.getInputStream();
                            String body = RawHttp.body(in, RawHttp.head(in));
                            bodies.add(body);
                            if (i == 0) continue; // closed under the request: no answer
                            byte[] answer = "{\"ok\":42}".getBytes(StandardCharsets.UTF_8);
                            OutputStream out = s.getOutputStream();
                            out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                                            + answer.length + "\r\nConnection: close\r\n\r\n")
                                    .getBytes(StandardCharsets.US_ASCII));
                            out.write(answer);
                            out.flush();
                        }
                    }
                } catch (Exception e) {
                    // the test fails on what the link saw
                }
            });
            URI uri = URI.create("http://127.0.0.1:" + server.getLocalPort());
            try (HttpMasterLink link = new HttpMasterLink(uri, null, () -> "secret", Duration.ofSeconds(20))) {
                long g = link.apply(
                        Update.builder().set(Refs.fresh(), Blob.NAME_LABEL, "x").build());
                assertEquals(42, g);
            }
            master.join(5000);
        }
        assertEquals(2, bodies.size(), bodies::toString);
        JsonNode a = JSON.readTree(bodies.get(0));
        JsonNode b = JSON.readTree(bodies.get(1));
        assertEquals("Apply", a.get(0).asText());
        assertEquals(a, b, "the same request, id included");
        assertEquals(3, a.size());
    }

    @Test
    void aMasterThatNeverAnswersIsAnInternalErrorAfterTheTimeout() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed: every connection refused
        }
        URI uri = URI.create("http://127.0.0.1:" + port);
        long t0 = System.nanoTime();
        try (HttpMasterLink link = new HttpMasterLink(uri, null, () -> "secret", Duration.ofMillis(800))) {
            ApiError e = assertThrows(
                    ApiError.class,
                    () -> link.apply(Update.builder()
                            .set(Refs.fresh(), Blob.NAME_LABEL, "x")
                            .build()));
            assertEquals("INTERNAL_ERROR", e.code());
            assertTrue(e.getMessage().contains("cannot reach the pool master"), e.getMessage());
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= 300 && ms < 10_000, "sent again for about the timeout: " + ms + " ms");
    }
}
