package org.xapijava.server.pool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Database;
import org.xapijava.db.FeedBatch;
import org.xapijava.db.FeedCodec;
import org.xapijava.server.http.HttpCall;
import org.xapijava.server.http.RpcHandler;
import org.xapijava.server.remotedb.RemoteDbHandler;

/**
 * The xapi-java members' requests on the master's {@code POST /remote_db_access_v2} (after the handler table checked
 * the pool secret): a JSON array naming the request. {@code ["Feed", epoch, since, wait_ms]} answers the master's changes after
 * generation {@code since} ({@link Database#awaitFeed}; with the member's id as a fifth element, the request also
 * acknowledges that its replica holds {@code since}, {@link Followers}), waiting up to {@code wait_ms} for one; a full image when the
 * member is new, behind the tombstones or of another epoch of the master) in {@link FeedCodec}'s form;
 * {@code ["Apply", update]} and {@code ["Update_allowed_operations", cls, ref]} are {@link ReplicaService}'s. Other
 * requests are Xapi's own v2 ones ({@link RemoteDbHandler}, which also reads the body within Xapi's 300 KiB).
 * Thread-safe.
 */
public final class ReplicaHandler implements RemoteDbHandler.V2Extension {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaHandler.class);
    /** The longest a feed request waits for a change. */
    static final Duration MAX_WAIT = Duration.ofSeconds(60);
    /** How often a waiting feed request looks whether the master is stopping. */
    private static final Duration SLICE = Duration.ofMillis(250);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Database database;
    private final FeedCodec codec;
    private final ReplicaService service;
    private final Followers followers;
    private volatile boolean closed;

    public ReplicaHandler(Database database, ReplicaService service, Followers followers) {
        this.database = database;
        this.codec = new FeedCodec(database.datamodel());
        this.service = service;
        this.followers = followers;
    }

    @Override
    public boolean handle(HttpCall c, JsonNode req) throws IOException {
        String kind = req.isArray() && !req.isEmpty() ? req.get(0).asText() : "";
        switch (kind) {
            case "Feed" -> feed(c, req);
            // no replication wait here: the writing member waits for its own replica, and the client call it serves
            // waits for every member at its end (PoolForwarding)
            case "Apply", "Update_allowed_operations" ->
                send(c, "application/json", JSON.writeValueAsBytes(service.handle(req)));
            default -> {
                return false;
            }
        }
        return true;
    }

    private void feed(HttpCall c, JsonNode req) throws IOException {
        String epoch = req.get(1).asText();
        long since = req.get(2).asLong();
        // the member's id: its replica holds generation `since` of this master's epoch
        if (req.size() > 4 && epoch.equals(database.feedEpoch()))
            followers.acked(req.get(4).asText(), since);
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
            LOG.warn("feed request interrupted");
            RpcHandler.internalError(c, "interrupted");
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

    /** Answers 200 with {@code body} of {@code type}. */
    static void send(HttpCall c, String type, byte[] body) {
        Response r = c.response();
        r.setStatus(200);
        r.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        r.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        r.write(true, ByteBuffer.wrap(body), c.callback());
    }
}
