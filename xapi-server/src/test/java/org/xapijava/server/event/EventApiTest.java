package org.xapijava.server.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.Database;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.XapiServer;
import org.xapijava.server.config.XapiConfig;
import org.xapijava.server.dispatch.Caller;
import org.xapijava.server.dispatch.Dispatcher;
import org.xapijava.server.session.SessionManager;

/** event.* through an in-process server's dispatcher (and once over HTTP). */
class EventApiTest {
    private static final Pattern TOKEN = Pattern.compile("\\d{20},\\d{20}");
    /** Long enough that a call returning before it proves it was woken, not timed out. */
    private static final double LONG_TIMEOUT = 60.0;
    /** How long a test waits for a woken call (well below {@link #LONG_TIMEOUT}). */
    private static final long WAIT_S = 30;
    /** How long a test lets a call start and block before acting (a single delay, not a poll). */
    private static final long SETTLE_MS = 400;

    @TempDir
    Path tmp;

    XapiServer server;
    Dispatcher dispatcher;
    Database db;
    String session;

    @BeforeEach
    void start() throws Exception {
        server = new XapiServer(XapiConfig.fromArgs(List.of(
                "--data-dir",
                tmp.toString(),
                "--http-port",
                "0",
                "--https-port",
                "0",
                "--unix-socket",
                tmp.resolve("xapi.sock").toString())));
        server.start();
        dispatcher = server.dispatcher();
        db = server.services().db();
        session = login();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    // ------------------------------------------------------------------ helpers

    private String login() {
        return (String) call("session.login_with_password", "root", server.rootPassword());
    }

    private Object call(String method, Object... params) {
        Dispatcher.Outcome o = dispatcher.dispatch(method, new ArrayList<>(List.of(params)), Caller.internal());
        if (!o.ok()) throw o.error();
        return o.value();
    }

    private ApiError failure(String method, Object... params) {
        Dispatcher.Outcome o = dispatcher.dispatch(method, new ArrayList<>(List.of(params)), Caller.internal());
        if (o.ok()) fail(method + " succeeded: " + o.value());
        return o.error();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> from(List<String> classes, String token, double timeout) {
        return (Map<String, Object>) call("event.from", session, new ArrayList<Object>(classes), token, timeout);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> events(Map<String, Object> batch) {
        return (List<Map<String, Object>>) batch.get("events");
    }

    private CompletableFuture<Map<String, Object>> fromAsync(
            String sess, List<String> classes, String token, double timeout) {
        CompletableFuture<Map<String, Object>> f = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            Dispatcher.Outcome o = dispatcher.dispatch(
                    "event.from",
                    new ArrayList<>(List.of(sess, new ArrayList<Object>(classes), token, timeout)),
                    Caller.internal());
            if (o.ok()) {
                @SuppressWarnings("unchecked")
                Map<String, Object> v = (Map<String, Object>) o.value();
                f.complete(v);
            } else {
                f.completeExceptionally(o.error());
            }
        });
        return f;
    }

    private String createVm(String label) {
        String ref = Refs.fresh();
        Map<String, Object> v = new HashMap<>();
        v.put("uuid", UUID.randomUUID().toString());
        v.put("name_label", label);
        db.create("VM", ref, v);
        return ref;
    }

    /** The current token without waiting: everything up to now counts as seen. */
    private String now(List<String> classes) {
        return (String) from(classes, "", 0.0).get("token");
    }

    private static ApiError cause(ExecutionException e) {
        return assertInstanceOf(ApiError.class, e.getCause());
    }

    // ------------------------------------------------------------------ event.from

    @Test
    @SuppressWarnings("unchecked")
    void emptyTokenReturnsEveryObjectAsAddAndTheTokenRoundTrips() {
        Map<String, Object> b = from(List.of("pool"), "", 0.0);
        assertEquals(List.of("events", "valid_ref_counts", "token"), new ArrayList<>(b.keySet()));
        List<Map<String, Object>> ev = events(b);
        assertEquals(1, ev.size());
        Map<String, Object> e = ev.get(0);
        assertEquals(List.of("id", "timestamp", "class", "operation", "ref", "snapshot"), new ArrayList<>(e.keySet()));
        assertEquals("pool", e.get("class"));
        assertEquals("add", e.get("operation"));
        assertEquals("0.0", e.get("timestamp"));
        assertEquals(server.services().poolRef(), e.get("ref"));
        assertInstanceOf(String.class, e.get("id"));
        Map<String, Object> snap = (Map<String, Object>) e.get("snapshot");
        assertEquals(db.get("pool", server.services().poolRef(), "uuid"), snap.get("uuid"));
        assertInstanceOf(Map.class, snap.get("other_config"));
        String token = (String) b.get("token");
        assertTrue(TOKEN.matcher(token).matches(), token);

        Map<String, Object> again = from(List.of("pool"), token, 0.0);
        assertTrue(events(again).isEmpty());
        assertEquals(token, again.get("token"), "nothing new: the token stays");

        db.set("pool", server.services().poolRef(), "name_label", "renamed");
        Map<String, Object> m = from(List.of("POOL"), token, 5.0);
        assertEquals(1, events(m).size());
        Map<String, Object> mod = events(m).get(0);
        assertEquals("mod", mod.get("operation"));
        assertEquals("renamed", ((Map<String, Object>) mod.get("snapshot")).get("name_label"));
        assertTrue(((String) m.get("token")).compareTo(token) > 0);
        assertEquals(
                Long.parseLong(((String) m.get("token")).substring(0, 20)), Long.parseLong((String) mod.get("id")));
    }

    @Test
    @SuppressWarnings("unchecked")
    void addModDelAndNoDelSnapshot() {
        String t0 = now(List.of("vm"));
        String vm = createVm("one");
        Map<String, Object> b1 = from(List.of("vm"), t0, 5.0);
        assertEquals(
                List.of("add"), events(b1).stream().map(e -> e.get("operation")).toList());
        assertEquals(vm, events(b1).get(0).get("ref"));

        db.set("VM", vm, "name_label", "two");
        Map<String, Object> b2 = from(List.of("vm"), (String) b1.get("token"), 5.0);
        assertEquals("mod", events(b2).get(0).get("operation"));
        assertEquals("two", ((Map<String, Object>) events(b2).get(0).get("snapshot")).get("name_label"));

        db.delete("VM", vm);
        Map<String, Object> b3 = from(List.of("vm"), (String) b2.get("token"), 5.0);
        Map<String, Object> del = events(b3).get(0);
        assertEquals("del", del.get("operation"));
        assertEquals(vm, del.get("ref"));
        assertFalse(del.containsKey("snapshot"), "event.from dels carry no snapshot");

        // From the first token the object was created and deleted inside the window: nothing at all.
        Map<String, Object> b4 = from(List.of("vm"), t0, 0.2);
        assertTrue(events(b4).isEmpty(), events(b4).toString());
    }

    @Test
    void onlyTheLatestStateOfAnObjectIsReported() {
        String t0 = now(List.of("vm"));
        String vm = createVm("a");
        db.set("VM", vm, "name_label", "b");
        db.set("VM", vm, "name_label", "c");
        List<Map<String, Object>> ev = events(from(List.of("vm"), t0, 5.0));
        assertEquals(1, ev.size());
        assertEquals("add", ev.get(0).get("operation"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void objectSubscriptionsSelectOneObject() {
        String t0 = now(List.of("vm"));
        String a = createVm("a");
        String b = createVm("b");
        List<Map<String, Object>> ev = events(from(List.of("VM/" + b), t0, 5.0));
        assertEquals(List.of(b), ev.stream().map(e -> e.get("ref")).toList());
        // "*" sees both (and the VM back-pointers of nothing else: VMs reference no other object here)
        List<Object> refs = events(from(List.of("*"), t0, 5.0)).stream()
                .map(e -> e.get("ref"))
                .toList();
        assertTrue(refs.containsAll(List.of(a, b)), refs.toString());
    }

    @Test
    void aBlockedCallWakesOnAWriteFromAnotherThread() throws Exception {
        String t0 = now(List.of("vm"));
        CompletableFuture<Map<String, Object>> f = fromAsync(session, List.of("vm"), t0, LONG_TIMEOUT);
        Thread.sleep(SETTLE_MS);
        assertFalse(f.isDone(), "nothing changed yet: the call blocks");
        // a write in a class nobody asked for does not end the wait
        db.set("pool", server.services().poolRef(), "name_label", "unrelated");
        long before = System.nanoTime();
        String vm = createVm("x");
        Map<String, Object> b = f.get(WAIT_S, TimeUnit.SECONDS);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before);
        assertEquals(1, events(b).size());
        assertEquals(vm, events(b).get(0).get("ref"));
        // Xapi's batching: 6.25 ms after the wake-up; allow scheduling slack but far below the timeout.
        assertTrue(ms < 2_000, "returned " + ms + " ms after the write");
    }

    @Test
    void aTimeoutReturnsNoEventsAndTheSameToken() {
        String t0 = now(List.of("vm"));
        long start = System.nanoTime();
        Map<String, Object> b = from(List.of("vm"), t0, 0.3);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(events(b).isEmpty());
        assertEquals(t0, b.get("token"));
        assertTrue(ms >= 300, "returned after " + ms + " ms");
    }

    @Test
    void unknownClassesAreAcceptedAndNeverMatch() {
        Map<String, Object> b = from(List.of("no_such_class", "vm/a/b", ""), "", 0.1);
        assertTrue(events(b).isEmpty());
        assertEquals(EventToken.format(0, 0), b.get("token"));
    }

    @Test
    void badTokensAreRejectedWithTheToken() {
        for (String bad : List.of("garbage", "1,2,3", "12")) {
            ApiError e = failure("event.from", session, new ArrayList<Object>(List.of("vm")), bad, 1.0);
            assertEquals("EVENT_FROM_TOKEN_PARSE_FAILURE", e.code());
            assertEquals(List.of(bad), e.params());
        }
        // the class-method alias works too
        ApiError e = failure("event_from", session, new ArrayList<Object>(List.of("vm")), "x", 1.0);
        assertEquals("EVENT_FROM_TOKEN_PARSE_FAILURE", e.code());
    }

    @Test
    @SuppressWarnings("unchecked")
    void validRefCountsCoverEveryTableAsInt32() {
        Map<String, Object> b = from(List.of("pool"), "", 0.0);
        Map<String, Object> counts = (Map<String, Object>) b.get("valid_ref_counts");
        assertEquals(server.services().dm().classes().size(), counts.size());
        assertEquals(Integer.valueOf(1), counts.get("pool"));
        assertEquals(Integer.valueOf(1), counts.get("host"));
        assertEquals(Integer.valueOf(1), counts.get("session"), "tables without events count too");
        assertEquals(Integer.valueOf(0), counts.get("message"));
        assertTrue(counts.containsKey("task"));
        assertTrue(counts.containsKey("vm_metrics"));
        List<String> names = new ArrayList<>(
                server.services().dm().classes().stream().map(c -> c.name()).toList());
        names.sort(java.util.Comparator.reverseOrder());
        assertEquals(
                names.stream().map(n -> n.toLowerCase(java.util.Locale.ROOT)).toList(),
                new ArrayList<>(counts.keySet()),
                "Xapi lists the tables by name, descending");
    }

    @Test
    void injectTouchesTheObjectAndReturnsTheTokenBeforeIt() {
        String pool = server.services().poolRef();
        String token = (String) call("event.inject", session, "pool", pool);
        assertTrue(TOKEN.matcher(token).matches(), token);
        assertTrue(token.endsWith(",00000000000000000000"));
        List<Map<String, Object>> ev = events(from(List.of("pool"), token, 5.0));
        assertEquals(1, ev.size());
        assertEquals("mod", ev.get(0).get("operation"));
        assertEquals(pool, ev.get(0).get("ref"));
        assertEquals(Long.parseLong(token.substring(0, 20)) + 1, Long.parseLong((String)
                ev.get(0).get("id")));

        ApiError wrongClass = failure("event.inject", session, "Pool", pool);
        assertEquals("HANDLE_INVALID", wrongClass.code());
        assertEquals(List.of("Pool", pool), wrongClass.params());
        ApiError unknown = failure("event.inject", session, "VM", "OpaqueRef:nope");
        assertEquals(List.of("VM", "OpaqueRef:nope"), unknown.params());
    }

    @Test
    void loggingOutWhileWaitingGivesSessionInvalid() throws Exception {
        String other = login();
        String t0 = now(List.of("vm"));
        CompletableFuture<Map<String, Object>> f = fromAsync(other, List.of("vm"), t0, LONG_TIMEOUT);
        Thread.sleep(SETTLE_MS);
        assertFalse(f.isDone());
        call("session.logout", other);
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                ExecutionException.class, () -> f.get(WAIT_S, TimeUnit.SECONDS));
        ApiError err = cause(e);
        assertEquals("SESSION_INVALID", err.code());
        assertEquals(List.of(other), err.params());
    }

    @Test
    @SuppressWarnings("unchecked")
    void messagesComeFromTheStoreWithIdZero() throws Exception {
        String poolUuid = (String) db.get("pool", server.services().poolRef(), "uuid");
        Map<String, Object> start = from(List.of("message"), "", 0.0);
        assertTrue(events(start).isEmpty());
        String t0 = (String) start.get("token");
        assertEquals(EventToken.format(0, 0), t0);

        CompletableFuture<Map<String, Object>> f = fromAsync(session, List.of("message"), t0, LONG_TIMEOUT);
        Thread.sleep(SETTLE_MS);
        assertFalse(f.isDone());
        String msg = (String) call("message.create", session, "ALERT", 3L, "Pool", poolUuid, "body");
        Map<String, Object> b = f.get(WAIT_S, TimeUnit.SECONDS);
        Map<String, Object> add = events(b).get(0);
        assertEquals("0", add.get("id"));
        assertEquals("message", add.get("class"));
        assertEquals("add", add.get("operation"));
        assertEquals(msg, add.get("ref"));
        assertEquals("ALERT", ((Map<String, Object>) add.get("snapshot")).get("name"));
        String t1 = (String) b.get("token");
        assertTrue(Long.parseLong(t1.substring(21)) > 0, t1);

        call("message.destroy", session, msg);
        Map<String, Object> d = from(List.of("message"), t1, 5.0);
        Map<String, Object> del = events(d).get(0);
        assertEquals("del", del.get("operation"));
        assertFalse(del.containsKey("snapshot"));

        // the message half of the token is 0 when messages are not subscribed
        assertTrue(((String) from(List.of("pool"), "", 0.0).get("token")).endsWith(",00000000000000000000"));
    }

    // ------------------------------------------------------------------ event.next

    @Test
    @SuppressWarnings("unchecked")
    void registerNextUnregister() throws Exception {
        ApiError notRegistered = failure("event.next", session);
        assertEquals("SESSION_NOT_REGISTERED", notRegistered.code());
        assertEquals(List.of("trackid=" + SessionManager.trackId(session)), notRegistered.params());

        long id0 = (Long) call("event.get_current_id", session);
        call("event.register", session, new ArrayList<Object>(List.of("VM")));
        String vm = createVm("first");
        List<Object> n1 = (List<Object>) call("event.next", session);
        Map<String, Object> add = (Map<String, Object>) n1.get(0);
        assertEquals(
                List.of("id", "timestamp", "class", "operation", "ref", "snapshot"), new ArrayList<>(add.keySet()));
        assertEquals("add", add.get("operation"));
        assertEquals("vm", add.get("class"));
        assertEquals(vm, add.get("ref"));
        assertEquals(Long.toString(id0), add.get("id"));
        assertTrue(((String) add.get("timestamp")).matches("\\d+\\."), (String) add.get("timestamp"));
        assertEquals(id0 + 1, (Long) call("event.get_current_id", session));

        db.set("VM", vm, "name_label", "second");
        Map<String, Object> mod = (Map<String, Object>) ((List<Object>) call("event.next", session)).get(0);
        assertEquals("mod", mod.get("operation"));
        db.delete("VM", vm);
        Map<String, Object> del = (Map<String, Object>) ((List<Object>) call("event.next", session)).get(0);
        assertEquals("del", del.get("operation"));
        assertEquals(
                "second",
                ((Map<String, Object>) del.get("snapshot")).get("name_label"),
                "event.next dels carry the record as it was");
        assertTrue(Long.parseLong((String) mod.get("id")) < Long.parseLong((String) del.get("id")));

        // a blocked event.next wakes on a new event
        CompletableFuture<Object> f = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            Dispatcher.Outcome o =
                    dispatcher.dispatch("event.next", new ArrayList<>(List.of(session)), Caller.internal());
            if (o.ok()) f.complete(o.value());
            else f.completeExceptionally(o.error());
        });
        Thread.sleep(SETTLE_MS);
        assertFalse(f.isDone());
        String vm2 = createVm("third");
        List<Object> n3 = (List<Object>) f.get(WAIT_S, TimeUnit.SECONDS);
        assertEquals(vm2, ((Map<String, Object>) n3.get(0)).get("ref"));

        // after unregistering, VM events are no longer queued; another session's host events are
        call("event.unregister", session, new ArrayList<Object>(List.of("vm")));
        String other = login();
        call("event.register", other, new ArrayList<Object>(List.of("host")));
        long before = (Long) call("event.get_current_id", session);
        createVm("ignored");
        db.set("pool", server.services().poolRef(), "name_label", "x");
        db.set("host", server.services().hostRef(), "name_label", "h");
        List<Object> hostEvents = (List<Object>) call("event.next", other); // the pump has seen every write above
        assertEquals("host", ((Map<String, Object>) hostEvents.get(0)).get("class"));
        assertEquals(before + 1, (Long) call("event.get_current_id", session), "only the host event was queued");
    }

    @Test
    void nextFailsWithSessionInvalidOnLogout() throws Exception {
        String other = login();
        call("event.register", other, new ArrayList<Object>(List.of("vm")));
        CompletableFuture<Object> f = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            Dispatcher.Outcome o =
                    dispatcher.dispatch("event.next", new ArrayList<>(List.of(other)), Caller.internal());
            if (o.ok()) f.complete(o.value());
            else f.completeExceptionally(o.error());
        });
        Thread.sleep(SETTLE_MS);
        assertFalse(f.isDone());
        call("session.logout", other);
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                ExecutionException.class, () -> f.get(WAIT_S, TimeUnit.SECONDS));
        assertEquals("SESSION_INVALID", cause(e).code());
        assertEquals(List.of(other), cause(e).params());
    }

    @Test
    @SuppressWarnings("unchecked")
    void nextCarriesMessageEvents() {
        String poolUuid = (String) db.get("pool", server.services().poolRef(), "uuid");
        call("event.register", session, new ArrayList<Object>(List.of("message")));
        String msg = (String) call("message.create", session, "HELLO", 1L, "Pool", poolUuid, "b");
        List<Object> n = (List<Object>) call("event.next", session);
        Map<String, Object> add = (Map<String, Object>) n.get(0);
        assertEquals("message", add.get("class"));
        assertEquals(msg, add.get("ref"));
        assertEquals("HELLO", ((Map<String, Object>) add.get("snapshot")).get("name"));
    }

    // ------------------------------------------------------------------ scale

    @Test
    void twoThousandWaitersAllWakeOnOneWrite() throws Exception {
        int n = 2_000;
        String t0 = now(List.of("vm"));
        List<String> sessions = new ArrayList<>();
        for (int i = 0; i < 20; i++) sessions.add(login());
        List<CompletableFuture<Map<String, Object>>> calls = new ArrayList<>(n);
        for (int i = 0; i < n; i++)
            calls.add(fromAsync(sessions.get(i % sessions.size()), List.of("vm"), t0, LONG_TIMEOUT));
        Thread.sleep(2_000);
        for (CompletableFuture<Map<String, Object>> c : calls) assertFalse(c.isDone(), "blocked before the write");
        long start = System.nanoTime();
        String vm = createVm("wake");
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(WAIT_S, TimeUnit.SECONDS);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        for (CompletableFuture<Map<String, Object>> c : calls) {
            List<Map<String, Object>> ev = events(c.get());
            assertEquals(1, ev.size());
            assertEquals(vm, ev.get(0).get("ref"));
            assertEquals("add", ev.get(0).get("operation"));
        }
        System.out.println(
                "EVENTS-SCALE: " + n + " event.from waiters woken by one write, all returned in " + ms + " ms");
    }

    // ------------------------------------------------------------------ wire

    @Test
    void overXmlRpcCountsAreI4AndIdsAreStrings() throws Exception {
        String body = "<?xml version=\"1.0\"?><methodCall><methodName>event.from</methodName><params>"
                + "<param><value>" + session + "</value></param>"
                + "<param><value><array><data><value>pool</value></data></array></value></param>"
                + "<param><value></value></param>"
                + "<param><value><double>0.0</double></value></param></params></methodCall>";
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + "/"))
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "text/xml")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        String x = r.body();
        assertTrue(
                Pattern.compile("<member><name>task</name><value><i4>\\d+</i4></value></member>")
                        .matcher(x)
                        .find(),
                x);
        assertTrue(x.contains("<member><name>timestamp</name><value>0.0</value></member>"), x);
        assertTrue(
                Pattern.compile("<member><name>id</name><value>\\d+</value></member>")
                        .matcher(x)
                        .find(),
                x);
        assertTrue(
                Pattern.compile("<member><name>token</name><value>\\d{20},\\d{20}</value></member>")
                        .matcher(x)
                        .find(),
                x);
    }

    @Test
    void theJavaSdkParsesTheBatch() throws Exception {
        com.xensource.xenapi.Connection c =
                new com.xensource.xenapi.Connection(new java.net.URL("http://127.0.0.1:" + server.httpPort() + "/"));
        try {
            com.xensource.xenapi.Session.loginWithPassword(c, "root", server.rootPassword(), "2.14");
        } catch (Exception e) {
            // the SDK's login needs host and session getters that other modules provide
            org.junit.jupiter.api.Assumptions.abort("SDK login not possible yet: " + e);
        }
        com.xensource.xenapi.EventBatch b = com.xensource.xenapi.Event.from(c, java.util.Set.of("pool"), "", 1.0);
        assertEquals(1, b.events.size());
        com.xensource.xenapi.Event.Record e = b.events.iterator().next();
        assertEquals("pool", e.clazz);
        assertNotNull(e.id);
        assertEquals(0L, e.timestamp.getTime());
        assertInstanceOf(com.xensource.xenapi.Pool.Record.class, e.snapshot);
        assertTrue(TOKEN.matcher(b.token).matches());
        String token =
                com.xensource.xenapi.Event.inject(c, "pool", server.services().poolRef());
        com.xensource.xenapi.EventBatch b2 = com.xensource.xenapi.Event.from(c, java.util.Set.of("pool"), token, 5.0);
        assertEquals(1, b2.events.size());
    }
}
