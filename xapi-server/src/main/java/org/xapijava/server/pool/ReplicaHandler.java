package org.xapijava.server.pool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Database;
import org.xapijava.db.FeedBatch;
import org.xapijava.db.FeedCodec;
import org.xapijava.server.http.ActionHandler;
import org.xapijava.server.http.HttpCall;

/**
 * The master's {@code POST /remote_db_access_v2} for xapi-java members (after the handler table checked the pool
 * secret): a JSON array naming the request. {@code ["Feed", epoch, since, wait_ms]} answers the master's changes after
 * generation {@code since} ({@link Database#awaitFeed}, waiting up to {@code wait_ms} for one; a full image when the
 * member is new, behind the tombstones or of another epoch of the master) in {@link FeedCodec}'s form;
 * {@code ["Apply", update]} and {@code ["Update_allowed_operations", cls, ref]} are {@link ReplicaService}'s. Other
 * requests go to {@code other} (Xapi's own v2 requests). A body over Xapi's 300 KiB is refused unread. Thread-safe.
 */
public final class ReplicaHandler implements ActionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaHandler.class);
    /** Xapi's limit on a remote database request body. */
    static final int MAX_BODY = 300 * 1024;
    /** The longest a feed request waits for a change. */
    static final Duration MAX_WAIT = Duration.ofSeconds(60);
    /** How often a waiting feed request looks whether the master is stopping. */
    private static final Duration SLICE = Duration.ofMillis(250);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Database database;
    private final FeedCodec codec;
    private final ReplicaService service;
    private final ActionHandler other;
    private volatile boolean closed;

    public ReplicaHandler(Database database, ReplicaService service, ActionHandler other) {
        this.database = database;
        this.codec = new FeedCodec(database.datamodel());
        this.service = service;
        this.other = other;
    }

    @Override
    public void handle(HttpCall c) throws Exception {
        long len = c.request().getLength();
        if (len < 0 || len > MAX_BODY) {
            fail(c, "Http_svr.Client_requested_size_over_limit");
            return;
        }
        InputStream in = Content.Source.asInputStream(c.request());
        byte[] body = in.readNBytes((int) len);
        JsonNode req;
        try {
            req = JSON.readTree(body);
        } catch (IOException e) {
            fail(c, "malformed request: " + e.getMessage());
            return;
        }
        String kind = req.isArray() && !req.isEmpty() ? req.get(0).asText() : "";
        switch (kind) {
            case "Feed" -> feed(c, req);
            case "Apply", "Update_allowed_operations" ->
                send(c, "application/json", JSON.writeValueAsBytes(service.handle(req)));
            default -> {
                if (other != null) other.handle(c); // TODO(merge): hand the parsed body to Xapi's v2 handler
                else fail(c, "unknown request " + kind);
            }
        }
    }

    private void feed(HttpCall c, JsonNode req) throws IOException {
        String epoch = req.get(1).asText();
        long since = req.get(2).asLong();
        Duration wait = Duration.ofMillis(
                Math.min(MAX_WAIT.toMillis(), Math.max(0, req.get(3).asLong())));
        FeedBatch b;
        try {
            // in slices, so that a stopping master answers its members at once instead of holding its stop
            long deadline = System.nanoTime() + wait.toNanos();
            do {
                long left = Math.max(0, Math.min(SLICE.toNanos(), deadline - System.nanoTime()));
                b = database.awaitFeed(epoch, since, Duration.ofNanos(left));
            } while (b.isEmpty() && !b.full() && !closed && System.nanoTime() < deadline);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(c, "interrupted");
            return;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        codec.encode(b, out);
        send(c, "application/octet-stream", out.toByteArray());
    }

    /** The master is stopping: waiting feed requests answer now (empty). */
    public void close() {
        closed = true;
    }

    private static void send(HttpCall c, String type, byte[] body) {
        Response r = c.response();
        r.setStatus(200);
        r.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        r.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        r.write(true, ByteBuffer.wrap(body), c.callback());
    }

    private static void fail(HttpCall c, String why) {
        LOG.warn("remote database request refused: {}", why);
        Response r = c.response();
        byte[] b = why.getBytes(StandardCharsets.UTF_8);
        r.setStatus(500);
        r.getHeaders().put(HttpHeader.CONTENT_LENGTH, b.length);
        r.write(true, ByteBuffer.wrap(b), Callback.from(c.callback()::succeeded, c.callback()::failed));
    }
}
