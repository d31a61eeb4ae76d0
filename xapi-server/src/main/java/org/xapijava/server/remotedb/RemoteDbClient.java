package org.xapijava.server.remotedb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import javax.net.SocketFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.server.http.RpcHandler;
import org.xapijava.server.remotedb.XmlLight.Node;

/**
 * A pool member's access to its master's database, as Xapi's {@code Db_rpc_client_v1} (or {@code _v2}) over
 * {@code Master_connection}: one persistent keep-alive connection (HTTP, or HTTPS through the given socket
 * factory) to {@code /remote_db_access} ({@code /remote_db_access_v2}), the pool secret as cookie
 * {@code pool_secret}, one call at a time. The typed methods are {@link RemoteDbAccess}'s; the master's
 * protocol failures come back as the same {@link RemoteDbError}s.
 *
 * <p>When the connection fails (refused, reset, a non-200 answer such as the 401 of a wrong secret, an answer
 * without Content-Length, no answer within {@link ReconnectPolicy#readTimeout}) the call is retried on a new
 * connection after the policy's backoff (Xapi: 2 s doubling to 256 s), and fails with
 * {@link RemoteDbUnavailableException} once it has lasted longer than the policy's timeout. A request over 300 KiB
 * is refused at once ({@link IllegalArgumentException}, Xapi's {@code Client_requested_size_over_limit}); an
 * answer that does not parse throws {@link RemoteDbProtocolException} (not retried, as in Xapi).
 *
 * <p><b>More request kinds</b>: {@link #call(String, Node, Function)} (v1) and {@link #callV2} send any function
 * registered on the master's {@link V1Operations} / {@link V2Operations}. Thread-safe.
 */
public final class RemoteDbClient implements RemoteDbAccess, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteDbClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The two wire protocols. */
    public enum Protocol {
        V1("/remote_db_access", "text/xml"),
        V2("/remote_db_access_v2", "application/json");

        final String path;
        final String contentType;

        Protocol(String path, String contentType) {
            this.path = path;
            this.contentType = contentType;
        }
    }

    private final String host;
    private final int port;
    private final SocketFactory sockets;
    private final String cookie;
    private final ReconnectPolicy policy;
    private final Protocol protocol;
    private final int connectTimeoutMs;
    private final ReentrantLock calls = new ReentrantLock();
    private final Object wake = new Object();
    private MasterConnection conn; // guarded by calls
    private long opened; // guarded by calls
    private boolean woken; // guarded by wake
    private volatile boolean closed;

    private RemoteDbClient(Builder b) {
        this.host = b.host;
        this.port = b.port;
        this.sockets = b.sockets;
        this.cookie = "pool_secret=" + percentEncode(b.poolSecret);
        this.policy = b.policy;
        this.protocol = b.protocol;
        this.connectTimeoutMs = (int) Math.min(Integer.MAX_VALUE, b.connectTimeout.toMillis());
    }

    /** A client of the master at {@code host:port} (plain HTTP, v1, {@link ReconnectPolicy#XAPI_STARTUP}). */
    public static Builder builder(String host, int port, String poolSecret) {
        return new Builder(host, port, poolSecret);
    }

    /** Options of a {@link RemoteDbClient}. */
    public static final class Builder {
        private final String host;
        private final int port;
        private final String poolSecret;
        private SocketFactory sockets = SocketFactory.getDefault();
        private ReconnectPolicy policy = ReconnectPolicy.XAPI_STARTUP;
        private Protocol protocol = Protocol.V1;
        private Duration connectTimeout = Duration.ofSeconds(10);

        private Builder(String host, int port, String poolSecret) {
            this.host = Objects.requireNonNull(host);
            this.port = port;
            this.poolSecret = Objects.requireNonNull(poolSecret);
        }

        /** HTTPS: sockets from this factory (e.g. {@code SSLContext.getSocketFactory()} trusting the pool). */
        public Builder sockets(SocketFactory f) {
            this.sockets = Objects.requireNonNull(f);
            return this;
        }

        public Builder policy(ReconnectPolicy p) {
            this.policy = Objects.requireNonNull(p);
            return this;
        }

        public Builder protocol(Protocol p) {
            this.protocol = Objects.requireNonNull(p);
            return this;
        }

        /** How long one TCP connect may take (default 10 s). */
        public Builder connectTimeout(Duration d) {
            this.connectTimeout = Objects.requireNonNull(d);
            return this;
        }

        public RemoteDbClient build() {
            return new RemoteDbClient(this);
        }
    }

    /** How many connections this client has opened (one while the master stays reachable). */
    public long connectionsOpened() {
        calls.lock();
        try {
            return opened;
        } finally {
            calls.unlock();
        }
    }

    /** Cuts a backoff wait short: the waiting call reconnects now (Xapi's {@code PipeDelay.signal}). */
    public void retryNow() {
        synchronized (wake) {
            woken = true;
            wake.notifyAll();
        }
    }

    /** Closes the connection; calls after this fail. */
    @Override
    public void close() {
        closed = true;
        retryNow();
        calls.lock();
        try {
            dropConnection();
        } finally {
            calls.unlock();
        }
    }

    // ------------------------------------------------------------------ the typed functions

    @Override
    public Optional<String> getTableFromRef(String ref) {
        return call(
                "get_table_from_ref",
                V1Codec.string(ref),
                V1Codec::readStringOpt,
                a -> V2Codec.readStringOpt(one(a)),
                txt(ref));
    }

    @Override
    public boolean isValidRef(String ref) {
        return call("is_valid_ref", V1Codec.string(ref), V1Codec::readBool, a -> V2Codec.readBool(one(a)), txt(ref));
    }

    @Override
    public List<String> readRefs(String table) {
        return call(
                "read_refs", V1Codec.string(table), V1Codec::readStrings, a -> V2Codec.readStrings(one(a)), txt(table));
    }

    @Override
    public List<String> readFieldWhere(WhereRecord where) {
        return call(
                "read_field_where",
                V1Codec.where(where),
                V1Codec::readStrings,
                a -> V2Codec.readStrings(one(a)),
                V2Codec.where(where));
    }

    @Override
    public String dbGetByUuid(String table, String uuid) {
        return call(
                "db_get_by_uuid",
                V1Codec.strings(table, uuid),
                V1Codec::readString,
                a -> V2Codec.readString(one(a)),
                txt(table),
                txt(uuid));
    }

    @Override
    public Optional<String> dbGetByUuidOpt(String table, String uuid) {
        return call(
                "db_get_by_uuid_opt",
                V1Codec.strings(table, uuid),
                V1Codec::readStringOpt,
                a -> V2Codec.readStringOpt(one(a)),
                txt(table),
                txt(uuid));
    }

    @Override
    public List<String> dbGetByNameLabel(String table, String label) {
        return call(
                "db_get_by_name_label",
                V1Codec.strings(table, label),
                V1Codec::readStrings,
                a -> V2Codec.readStrings(one(a)),
                txt(table),
                txt(label));
    }

    @Override
    public void createRow(String table, Map<String, String> columns, String ref) {
        call(
                "create_row",
                V1Codec.array(V1Codec.string(table), V1Codec.pairs(columns), V1Codec.string(ref)),
                unitV1(),
                unitV2(),
                txt(table),
                V2Codec.pairs(columns),
                txt(ref));
    }

    @Override
    public void deleteRow(String table, String ref) {
        call("delete_row", V1Codec.strings(table, ref), unitV1(), unitV2(), txt(table), txt(ref));
    }

    @Override
    public void writeField(String table, String ref, String column, String value) {
        call(
                "write_field",
                V1Codec.strings(table, ref, column, value),
                unitV1(),
                unitV2(),
                txt(table),
                txt(ref),
                txt(column),
                txt(value));
    }

    @Override
    public String readField(String table, String column, String ref) {
        return call(
                "read_field",
                V1Codec.strings(table, column, ref),
                V1Codec::readString,
                a -> V2Codec.readString(one(a)),
                txt(table),
                txt(column),
                txt(ref));
    }

    @Override
    public List<String> findRefsWithFilter(String table, DbExpr expr) {
        return call(
                "find_refs_with_filter",
                V1Codec.array(V1Codec.string(table), V1Codec.expr(expr)),
                V1Codec::readStrings,
                a -> V2Codec.readStrings(one(a)),
                txt(table),
                V2Codec.expr(expr));
    }

    @Override
    public DbRecord readRecord(String table, String ref) {
        return call(
                "read_record",
                V1Codec.strings(table, ref),
                V1Codec::readRecord,
                a -> {
                    if (a.size() != 2) throw new RemoteDbProtocolException("Read_record needs 2 arguments");
                    return V2Codec.readRecord(a.get(0), a.get(1));
                },
                txt(table),
                txt(ref));
    }

    @Override
    public List<Map.Entry<String, DbRecord>> readRecordsWhere(String table, DbExpr expr) {
        return call(
                "read_records_where",
                V1Codec.array(V1Codec.string(table), V1Codec.expr(expr)),
                V1Codec::readRecords,
                a -> V2Codec.readRecords(one(a)),
                txt(table),
                V2Codec.expr(expr));
    }

    @Override
    public void processStructuredField(
            String key, String value, String table, String column, String ref, StructuredOp op) {
        Node v1 = V1Codec.array(
                V1Codec.strings(key, value),
                V1Codec.string(table),
                V1Codec.string(column),
                V1Codec.string(ref),
                V1Codec.structuredOp(op));
        call(
                "process_structured_field",
                v1,
                unitV1(),
                unitV2(),
                V2Codec.F.arrayNode().add(key).add(value),
                txt(table),
                txt(column),
                txt(ref),
                txt(op.v2Name()));
    }

    // ------------------------------------------------------------------ generic calls

    private static JsonNode txt(String s) {
        return V2Codec.F.textNode(s);
    }

    private static JsonNode one(List<JsonNode> a) {
        if (a.size() != 1) throw new RemoteDbProtocolException("expected one result, got " + a.size());
        return a.get(0);
    }

    private static Function<Node, Void> unitV1() {
        return n -> {
            V1Codec.readUnit(n);
            return null;
        };
    }

    private static Function<List<JsonNode>, Void> unitV2() {
        return a -> {
            V2Codec.readUnit(one(a));
            return null;
        };
    }

    /** One function in the client's protocol: v1 {@code fn} with {@code v1Args}, or its v2 constructor. */
    private <T> T call(
            String fn, Node v1Args, Function<Node, T> v1Read, Function<List<JsonNode>, T> v2Read, JsonNode... v2Args) {
        if (protocol == Protocol.V1) return call(fn, v1Args, v1Read);
        return v2Read.apply(callV2(Character.toUpperCase(fn.charAt(0)) + fn.substring(1), List.of(v2Args)));
    }

    /**
     * Calls v1 function {@code fn} (Xapi's {@code do_remote_call}): sends {@code [fn, "", args]} and reads the
     * result of {@code ["success", result]} with {@code reader}.
     *
     * @throws RemoteDbError                for {@code ["failure", [exn, params]]}
     * @throws RemoteDbProtocolException    for any other answer
     * @throws RemoteDbUnavailableException when the master stayed unreachable past the policy's timeout
     */
    <T> T call(String fn, Node args, Function<Node, T> reader) {
        byte[] answer = post(XmlLight.write(V1Codec.call(fn, args)).getBytes(StandardCharsets.UTF_8));
        Node resp;
        try {
            resp = XmlLight.parse(answer);
        } catch (XmlLight.ParseError e) {
            throw new RemoteDbProtocolException("unparsable answer to " + fn + ": " + e.getMessage());
        }
        List<Node> l = V1Codec.readArray(resp);
        if (l.size() != 2) throw new RemoteDbProtocolException("Remote_db_server_returned_bad_message");
        if (V1Codec.readString(l.get(0)).equals("success")) return reader.apply(l.get(1));
        List<Node> exn = V1Codec.readArray(l.get(1));
        if (exn.size() != 2) throw new RemoteDbProtocolException("Remote_db_server_returned_unknown_exception");
        String name = V1Codec.readString(exn.get(0));
        int arity = RemoteDbError.arity(name);
        if (arity < 0) throw new RemoteDbProtocolException("DB_remote_marshall_error: unknown exception " + name);
        throw new RemoteDbError(name, V1Codec.readStrings(exn.get(1), arity));
    }

    /**
     * Sends the v2 request {@code [name, args...]} and returns the arguments of the answer's constructor of the
     * same name.
     *
     * @throws RemoteDbError for an error constructor ({@code Dbcache_notfound}, ...)
     */
    List<JsonNode> callV2(String name, List<JsonNode> args) {
        JsonNode req = V2Codec.F.arrayNode().add(name).addAll(args);
        JsonNode resp;
        try {
            resp = JSON.readTree(post(JSON.writeValueAsBytes(req)));
        } catch (IOException e) {
            throw new RemoteDbProtocolException("unparsable answer to " + name + ": " + e.getMessage());
        }
        if (resp == null) throw new RemoteDbProtocolException("empty answer to " + name);
        List<JsonNode> l = V2Codec.constructorArgs(resp);
        String got = l.get(0).textValue();
        List<JsonNode> rest = l.subList(1, l.size());
        if (got.equalsIgnoreCase(name)) return rest;
        String exn = got.toLowerCase(java.util.Locale.ROOT);
        int arity = RemoteDbError.arity(exn);
        if (arity < 0 || rest.size() != arity) throw new RemoteDbProtocolException("unexpected answer " + resp);
        List<String> params = new ArrayList<>();
        for (JsonNode p : rest) params.add(V2Codec.readString(p));
        throw new RemoteDbError(exn, params);
    }

    // ------------------------------------------------------------------ the connection

    /** Xapi's {@code do_db_xml_rpc_persistent_with_reopen}: the answer's body, retrying per the policy. */
    private byte[] post(byte[] body) {
        if (body.length > RpcHandler.MAX_RPC_SIZE) {
            throw new IllegalArgumentException("Client_requested_size_over_limit: request of " + body.length
                    + " bytes, the limit is " + RpcHandler.MAX_RPC_SIZE);
        }
        calls.lock();
        try {
            long start = System.nanoTime();
            Duration delay = policy.initialDelay();
            while (true) {
                if (closed) throw new RemoteDbUnavailableException("the client is closed", null);
                try {
                    if (conn == null || !conn.usable()) {
                        dropConnection();
                        conn = new MasterConnection(sockets, host, port, connectTimeoutMs, (int)
                                policy.readTimeout().toMillis());
                        opened++;
                    }
                    return conn.post(protocol.path, cookie, protocol.contentType, body);
                } catch (IOException | RuntimeException e) {
                    dropConnection();
                    Duration spent = Duration.ofNanos(System.nanoTime() - start);
                    if (policy.timeout() != null && spent.compareTo(policy.timeout()) >= 0) {
                        throw new RemoteDbUnavailableException(
                                "the master " + host + ":" + port + " was unreachable for " + spent.toMillis() + " ms: "
                                        + e.getMessage(),
                                e);
                    }
                    LOG.warn(
                            "connection to the master {}:{} failed ({}); retrying in {} ms",
                            host,
                            port,
                            e.toString(),
                            delay.toMillis());
                    sleep(delay);
                    delay = policy.next(delay);
                }
            }
        } finally {
            calls.unlock();
        }
    }

    private void sleep(Duration d) {
        long until = System.nanoTime() + d.toNanos();
        synchronized (wake) {
            try {
                for (long left = d.toNanos(); left > 0 && !woken; left = until - System.nanoTime()) {
                    wake.wait(Math.max(1, left / 1_000_000));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RemoteDbUnavailableException("interrupted while waiting to reconnect", e);
            }
            woken = false;
        }
    }

    private void dropConnection() {
        if (conn != null) conn.close();
        conn = null;
    }

    /** The characters ocaml-uri leaves as they are in a query component (its {@code safe_chars_for_query}). */
    private static final String QUERY_SAFE = "-._~!$'()*,=:@/?";

    /**
     * Xapi's {@code Uri.pct_encode ~component:`Query} of the secret, which Xapi's cookie header carries
     * ({@code Http.Request.to_header_list}); Xapi's secrets ({@code uuid/uuid/uuid}) pass unchanged.
     */
    static String percentEncode(String s) {
        StringBuilder b = new StringBuilder();
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            boolean alnum = c < 0x80 && Character.isLetterOrDigit(c);
            if (alnum || QUERY_SAFE.indexOf(c) >= 0) b.append((char) c);
            else b.append('%').append(String.format("%02X", c));
        }
        return b.toString();
    }
}
