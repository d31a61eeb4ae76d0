package org.xapijava.server.remotedb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Database;
import org.xapijava.server.http.HttpCall;
import org.xapijava.server.http.HttpHandlerTable;
import org.xapijava.server.http.RpcHandler;

/**
 * The master's side of Xapi's remote database access ({@code db_remote_cache_access_v1.ml handler},
 * {@code db_remote_cache_access_v2.ml handler}): the HTTP actions {@code post_remote_db_access} (v1, XML) and
 * {@code post_remote_db_access_v2} (v2, JSON). Both are master-only actions: the {@link HttpHandlerTable} does not
 * serve them on a member. Its authentication stage has already admitted the caller (the pool secret as cookie
 * {@code pool_secret}, or a session allowed {@code http/post_remote_db_access}); a wrong or missing secret was
 * answered 401 and nothing ran.
 *
 * <p>The body needs a Content-Length and may be at most 300 KiB ({@link RpcHandler#MAX_RPC_SIZE}); a larger one is
 * refused (HTTP 500, connection closed) without being read. The answer is HTTP 200 with a Content-Length and the
 * connection kept alive; a request Xapi cannot unmarshal, or a failure outside the protocol's exceptions, is
 * HTTP 500 as in Xapi. Each request runs on its (virtual) thread. Thread-safe.
 *
 * <p><b>More request kinds</b>: register them on {@link #v1()} / {@link #v2()} (in this package) before the
 * server starts; {@link RemoteDbClient#call} reaches them from a member.
 */
public final class RemoteDbHandler {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteDbHandler.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final V1Operations v1;
    private final V2Operations v2;

    /** Xapi's functions on the master's database. */
    public RemoteDbHandler(Database db) {
        this(new MasterDbAccess(db));
    }

    public RemoteDbHandler(RemoteDbAccess access) {
        this.v1 = V1Operations.standard(access);
        this.v2 = V2Operations.standard(access);
    }

    /** The v1 functions, for registering more. */
    public V1Operations v1() {
        return v1;
    }

    /** The v2 requests, for registering more. */
    public V2Operations v2() {
        return v2;
    }

    /**
     * Requests of {@code /remote_db_access_v2} beyond Xapi's, served before Xapi's own: xapi-java members' replica
     * feed and writes ({@link org.xapijava.server.pool.ReplicaHandler}).
     */
    @FunctionalInterface
    public interface V2Extension {
        /** Answers {@code request} and returns true when it is one of the extension's, else returns false. */
        boolean handle(HttpCall c, JsonNode request) throws IOException;
    }

    private volatile V2Extension extension;

    /** Registers both actions (the table ignores them on a member). */
    public void register(HttpHandlerTable table) {
        register(table, null);
    }

    /** {@link #register(HttpHandlerTable)}, with {@code extension} served first on v2 (null: none). */
    public void register(HttpHandlerTable table, V2Extension extension) {
        this.extension = extension;
        table.register("post_remote_db_access", this::serveV1);
        table.register("post_remote_db_access_v2", this::serveV2);
    }

    private void serveV1(HttpCall c) throws IOException {
        byte[] body = body(c);
        if (body == null) return;
        String answer;
        try {
            answer = XmlLight.write(v1.process(XmlLight.parse(body)));
        } catch (XmlLight.ParseError e) {
            LOG.warn("remote_db_access: unparsable body: {}", e.getMessage());
            RpcHandler.internalError(c, "Xml.Error(" + e.getMessage() + ")");
            return;
        } catch (RuntimeException e) {
            LOG.warn("remote_db_access failed", e);
            RpcHandler.internalError(c, e.getMessage());
            return;
        }
        send(c, answer);
    }

    private void serveV2(HttpCall c) throws IOException {
        byte[] body = body(c);
        if (body == null) return;
        String answer;
        try {
            JsonNode request = JSON.readTree(body);
            if (request == null) throw new IOException("Blank input data");
            V2Extension x = extension;
            if (x != null && x.handle(c, request)) return;
            answer = JSON.writeValueAsString(v2.process(request));
        } catch (IOException | RuntimeException e) {
            LOG.warn("remote_db_access_v2 failed", e);
            RpcHandler.internalError(c, e.getMessage());
            return;
        }
        send(c, answer);
    }

    /** The body, or null when it was refused (answered) or cut short (connection closed). */
    private static byte[] body(HttpCall c) {
        try {
            return RpcHandler.readBody(c.request());
        } catch (RpcHandler.BodyException e) {
            LOG.warn("{} refused: {}", c.action().name(), e.getMessage());
            RpcHandler.internalError(c, e.getMessage());
        } catch (IOException | RuntimeException e) {
            LOG.debug("{} body not received in full: {}", c.action().name(), e.toString());
            c.request().getConnectionMetaData().getConnection().getEndPoint().close(e);
            c.callback().failed(e);
        }
        return null;
    }

    /**
     * {@code Http_svr.response_str}: 200, no caching, Content-Length; the connection stays open (Xapi also writes
     * {@code connection: keep-alive}, the HTTP/1.1 default, which Jetty leaves out).
     */
    private static void send(HttpCall c, String answer) {
        byte[] b = answer.getBytes(StandardCharsets.UTF_8);
        Response r = c.response();
        r.setStatus(200);
        r.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache, no-store");
        r.getHeaders().put(HttpHeader.CONTENT_LENGTH, b.length);
        r.write(true, ByteBuffer.wrap(b), c.callback());
    }
}
