package org.xapijava.server.alerts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rpc.Utf8Check;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;

class MessageStoreTest {
    private static final String VM = "0f5e1c1e-1111-4111-8111-000000000001";
    private static final String HOST = "0f5e1c1e-2222-4222-8222-000000000002";
    private static final ObjectExistence EXISTS =
            (cls, uuid) -> (cls.equals("VM") && uuid.equals(VM)) || (cls.equals("Host") && uuid.equals(HOST));

    @TempDir
    Path dir;

    /** A settable clock; starts at 2024-03-19T04:16:24Z. */
    static final class TestClock implements InstantSource {
        final AtomicReference<Instant> now = new AtomicReference<>(Instant.ofEpochSecond(1_710_821_784L));

        @Override
        public Instant instant() {
            return now.get();
        }

        void set(long epochSecond, long nanos) {
            now.set(Instant.ofEpochSecond(epochSecond, nanos));
        }
    }

    private final TestClock clock = new TestClock();

    private MessageStore open() throws IOException {
        return MessageStore.open(dir, EXISTS, MessageStore.DEFAULT_MESSAGE_LIMIT, clock);
    }

    private static void assertApiError(String code, List<String> params, Runnable r) {
        ApiError e = assertThrows(ApiError.class, r::run);
        assertEquals(code, e.code());
        assertEquals(params, e.params());
    }

    private List<String> messageFiles() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.matches("[0-9.]+"))
                    .sorted()
                    .toList();
        }
    }

    // ------------------------------------------------------------------ basic API

    /**
     * An operation's alert ({@code createForcedLater}) is in place and visible when the call returns, before its
     * force; a message destroyed before its force is skipped by the forcer; closing forces what waits, and the
     * messages load again.
     */
    @Test
    void alertsForcedLaterAreWrittenAtOnceAndSurviveAReopen() throws Exception {
        String kept;
        try (MessageStore s = open()) {
            clock.set(1_710_821_784L, 0);
            kept = s.createForcedLater("VM_STARTED", 5, "VM", VM, "started");
            assertEquals("started", s.getRecord(kept).get("body"));
            assertEquals(List.of("1710821784.00000"), messageFiles(), "the file is there when the call returns");
            clock.set(1_710_821_785L, 0);
            String gone = s.createForcedLater("VM_SHUTDOWN", 5, "VM", VM, "shutdown");
            s.destroy(gone); // before the forcer's turn: its file is skipped, not an error
            assertEquals(List.of("1710821784.00000"), messageFiles());
        }
        try (MessageStore s = open()) {
            assertEquals(List.of(kept), s.getAll());
            assertEquals("started", s.getRecord(kept).get("body"));
        }
    }

    @Test
    void createGetDestroy() throws Exception {
        try (MessageStore s = open()) {
            clock.set(1_710_821_784L, 123_456_789);
            long g0 = s.generation();
            String ref = s.create("VM_STARTED", 5, "VM", VM, "VM 'x' started");
            assertTrue(ref.startsWith("OpaqueRef:") && !Refs.isNull(ref), ref);
            assertTrue(s.generation() > g0);

            Map<String, Object> r = s.getRecord(ref);
            assertEquals(
                    List.of("uuid", "name", "priority", "cls", "obj_uuid", "timestamp", "body"),
                    List.copyOf(r.keySet()));
            assertEquals("VM_STARTED", r.get("name"));
            assertEquals(5L, r.get("priority"));
            assertEquals("VM", r.get("cls"));
            assertEquals(VM, r.get("obj_uuid"));
            assertEquals(DateTime.parse("20240319T04:16:24Z"), r.get("timestamp"));
            assertEquals("VM 'x' started", r.get("body"));
            String uuid = (String) r.get("uuid");
            assertEquals(ref, s.getByUuid(uuid));
            assertEquals(List.of(ref), s.getAll());
            assertEquals(Map.of(ref, r), s.getAllRecords());
            assertEquals(List.of("1710821784.12345"), messageFiles(), "named by the creation time, %.5f");

            s.destroy(ref);
            assertApiError("HANDLE_INVALID", List.of("message", ref), () -> s.getRecord(ref));
            assertApiError("HANDLE_INVALID", List.of("message", ref), () -> s.destroy(ref));
            assertApiError("UUID_INVALID", List.of("message", uuid), () -> s.getByUuid(uuid));
            assertEquals(List.of(), s.getAll());
            assertEquals(List.of(), messageFiles());
        }
    }

    @Test
    void createChecksAsXapi() throws Exception {
        try (MessageStore s = open()) {
            long g = s.generation();
            assertApiError("UUID_INVALID", List.of("VM", HOST), () -> s.create("X", 1, "VM", HOST, ""));
            assertApiError("UUID_INVALID", List.of("Host", "nope"), () -> s.create("X", 1, "host", "nope", ""));
            assertApiError(
                    "INTERNAL_ERROR",
                    List.of("Failure(\"Unknown tag/contents\")"),
                    () -> s.create("X", 1, "Network", VM, ""));
            assertApiError(
                    "INVALID_VALUE",
                    List.of("UTF8 expected"),
                    () -> s.create("X", 1, "VM", VM, "bad \ud800 surrogate"));
            // the body check comes before the object check
            assertApiError("INVALID_VALUE", List.of("UTF8 expected"), () -> s.create("X", 1, "VM", "nope", "\udc00"));
            assertEquals(g, s.generation(), "failed creates change nothing");
            assertEquals(List.of(), s.getAll());

            // enum matched ignoring case, stored canonical; any priority and name accepted
            String ref = s.create("", -7, "vm", VM, "");
            assertEquals("VM", s.getRecord(ref).get("cls"));
            assertEquals(-7L, s.getRecord(ref).get("priority"));
            String h = s.create("ALARM", 1, "HOST", HOST, "value: 0.9");
            assertEquals("Host", s.getRecord(h).get("cls"));
        }
    }

    @Test
    void destroyManyStopsAtTheFirstUnknownRef() throws Exception {
        try (MessageStore s = open()) {
            String a = s.create("A", 1, "VM", VM, "");
            String b = s.create("B", 1, "VM", VM, "");
            assertApiError(
                    "HANDLE_INVALID",
                    List.of("message", "OpaqueRef:nope"),
                    () -> s.destroyMany(List.of(a, "OpaqueRef:nope", b)));
            assertEquals(List.of(b), s.getAll());
            s.destroyMany(List.of(b));
            assertEquals(List.of(), s.getAll());
        }
    }

    @Test
    void getComparesTimestampsAndGetSinceComparesFileNames() throws Exception {
        try (MessageStore s = open()) {
            clock.set(1000, 500_000_000); // 1000.5 s: record timestamp 1000 s, file 1000.50000
            String a = s.create("A", 3, "VM", VM, "");
            clock.set(2000, 0);
            String b = s.create("B", 3, "VM", VM, "");
            clock.set(2000, 0); // same instant: the next file name, 10 µs later
            String c = s.create("C", 3, "Host", HOST, "");
            assertEquals(List.of("1000.50000", "2000.00000", "2000.00001"), messageFiles());

            DateTime t1000 = DateTime.ofInstant(Instant.ofEpochSecond(1000));
            assertEquals(t1000, s.getRecord(a).get("timestamp"));
            // get_since: by file name, so 1000.5 > 1000
            assertEquals(List.of(c, b, a), List.copyOf(s.getSince(t1000).keySet()));
            assertEquals(
                    List.of(c, b),
                    List.copyOf(s.getSince(DateTime.ofInstant(Instant.ofEpochSecond(1001)))
                            .keySet()));
            // c's name was moved 10 µs past 2000 s by the collision
            assertEquals(
                    List.of(c),
                    List.copyOf(s.getSince(DateTime.ofInstant(Instant.ofEpochSecond(2000)))
                            .keySet()));
            assertEquals(
                    List.of(),
                    List.copyOf(s.getSince(DateTime.ofInstant(Instant.ofEpochSecond(2001)))
                            .keySet()));
            // get: by record timestamp, strictly later, for that object only, newest first
            assertEquals(List.of(b), List.copyOf(s.get("VM", VM, t1000).keySet()));
            assertEquals(
                    List.of(b, a),
                    List.copyOf(s.get("vm", VM, DateTime.ofInstant(Instant.ofEpochSecond(999)))
                            .keySet()));
            assertEquals(
                    List.of(c), List.copyOf(s.get("Host", HOST, DateTime.EPOCH).keySet()));
            assertApiError("UUID_INVALID", List.of(), () -> s.get("VM", HOST, DateTime.EPOCH));
            assertApiError(
                    "INTERNAL_ERROR",
                    List.of("Failure(\"Unknown tag/contents\")"),
                    () -> s.get("bogus", VM, DateTime.EPOCH));
        }
    }

    @Test
    void getAllRecordsWhereEvaluatesXapisFilterLanguage() throws Exception {
        try (MessageStore s = open()) {
            String a = s.create("ALARM", 1, "VM", VM, "cpu");
            String b = s.create("ALARM", 5, "Host", HOST, "mem");
            String c = s.create("VM_STARTED", 5, "VM", VM, "");
            assertEquals(
                    List.of(c, b, a), List.copyOf(s.getAllRecordsWhere("true").keySet()));
            assertEquals(
                    List.of(b, a),
                    List.copyOf(
                            s.getAllRecordsWhere("field \"name\" = \"ALARM\"").keySet()));
            assertEquals(
                    List.of(c),
                    List.copyOf(s.getAllRecordsWhere("field \"priority\" = \"5\" and field \"cls\" = \"VM\"")
                            .keySet()));
            assertEquals(
                    List.of(a),
                    List.copyOf(s.getAllRecordsWhere("not (field \"priority\" = \"5\")")
                            .keySet()));
            String uuid = (String) s.getRecord(b).get("uuid");
            assertEquals(
                    List.of(b),
                    List.copyOf(s.getAllRecordsWhere("field \"uuid\" = \"" + uuid + "\"")
                            .keySet()));
            assertEquals(
                    List.of(c, b, a),
                    List.copyOf(s.getAllRecordsWhere("field \"timestamp\" = \"20240319T04:16:24Z\"")
                            .keySet()));
            // a field messages lack: Xapi's evaluation error is swallowed per message
            assertEquals(Map.of(), s.getAllRecordsWhere("field \"name_label\" = \"x\""));
            ApiError e = assertThrows(ApiError.class, () -> s.getAllRecordsWhere("field \"name\" ="));
            assertEquals("INVALID_VALUE", e.code());
        }
    }

    @Test
    void destroyAllFilters() throws Exception {
        try (MessageStore s = open()) {
            clock.set(1000, 0);
            String a = s.create("A", 1, "VM", VM, "");
            clock.set(2000, 0);
            String b = s.create("B", 2, "VM", VM, "");
            clock.set(3000, 0);
            String c = s.create("C", 1, "VM", VM, "");
            s.destroyAll(Map.of("before", "19700101T00:50:00Z", "priority", "1")); // before 3000 s, priority 1
            assertEquals(List.of(c, b), s.getAll());
            s.destroyAll(Map.of("after", "1970-01-01T00:33:20Z")); // after 2000 s
            assertEquals(List.of(b), s.getAll());
            assertApiError(
                    "INTERNAL_ERROR",
                    List.of("Failure(\"Int64.of_string\")"),
                    () -> s.destroyAll(Map.of("priority", "high")));
            assertEquals(
                    "INTERNAL_ERROR",
                    assertThrows(ApiError.class, () -> s.destroyAll(Map.of("before", "soon")))
                            .code());
            s.destroyAll(Map.of());
            assertEquals(List.of(), s.getAll());
        }
    }

    // ------------------------------------------------------------------ persistence

    @Test
    void messagesSurviveReopenInXapisFormat() throws Exception {
        String a;
        String b;
        String c;
        Map<String, Map<String, Object>> before;
        long g;
        try (MessageStore s = open()) {
            a = s.create("A", 1, "VM", VM, "body <a> & \"b\"\r\n\u0085");
            clock.set(1_710_821_785L, 0);
            b = s.create("B", 2, "Host", HOST, "");
            clock.set(1_710_821_786L, 0);
            c = s.create("C", 3, "VM", VM, "");
            s.destroy(b);
            before = s.getAllRecords();
            g = s.generation();
        }
        assertEquals(List.of("1710821784.00000", "1710821786.00000"), messageFiles());
        String xml = Files.readString(dir.resolve("1710821784.00000"));
        assertTrue(xml.startsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<message><generation>"), xml);
        assertTrue(xml.contains("<ref>" + a + "</ref><name>A</name><priority>1</priority><cls>VM</cls>"), xml);

        try (MessageStore s = open()) {
            assertEquals(before, s.getAllRecords());
            assertEquals(List.of(c, a), s.getAll());
            assertTrue(s.generation() >= g, "generation never goes back");
            // a new change is numbered above every change seen before the restart (the deletion of b included)
            String d = s.create("D", 4, "VM", VM, "");
            List<MessageEvent> ev = s.eventsSince(g);
            assertEquals(1, ev.size());
            assertEquals(d, ev.get(0).ref());
            assertTrue(ev.get(0).generation() > g);
            assertEquals(List.of(d, c, a), List.copyOf(s.getAllRecords().keySet()));
        }
    }

    @Test
    void generationStaysMonotonicAfterDeletingEverything() throws Exception {
        long g;
        try (MessageStore s = open()) {
            for (int i = 0; i < 5; i++) s.destroy(s.create("X", 1, "VM", VM, ""));
            g = s.generation();
            assertEquals(10, g);
        }
        assertEquals(List.of(), messageFiles());
        try (MessageStore s = open()) {
            assertTrue(s.generation() >= g, "reservation keeps the counter ahead: " + s.generation());
            CompletableFuture<Long> f = s.onGenerationAfter(s.generation());
            String r = s.create("Y", 1, "VM", VM, "");
            assertTrue(f.get(10, TimeUnit.SECONDS) > g);
            assertEquals(r, s.eventsSince(g).get(0).ref());
        }
    }

    @Test
    void loadsADirectoryXapiWrote() throws Exception {
        Files.writeString(
                dir.resolve("1710821784.12345"),
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                        + "<message><generation>1234567</generation><ref>OpaqueRef:5e0b2c4e-aaaa-4aaa-8aaa-000000000001</ref>"
                        + "<name>HA_HOST_FAILED</name><priority>3</priority><cls>Host</cls><obj_uuid>" + HOST
                        + "</obj_uuid>"
                        + "<timestamp>20240319T04:16:24Z</timestamp><uuid>5e0b2c4e-bbbb-4bbb-8bbb-000000000002</uuid>"
                        + "<body>Server &apos;h&apos; has failed</body></message>");
        // Xapi's symlink indexes and other files are not messages
        Files.createDirectories(dir.resolve("refs"));
        Files.createDirectories(dir.resolve("Host").resolve(HOST));
        Files.writeString(dir.resolve("notes.txt"), "hello");
        Files.writeString(dir.resolve(MessageStore.TEMP_PREFIX + "leftover"), "<message>");
        try (MessageStore s = open()) {
            String ref = "OpaqueRef:5e0b2c4e-aaaa-4aaa-8aaa-000000000001";
            assertEquals(List.of(ref), s.getAll());
            assertEquals("Server 'h' has failed", s.getRecord(ref).get("body"));
            assertEquals(ref, s.getByUuid("5e0b2c4e-bbbb-4bbb-8bbb-000000000002"));
            assertEquals(1234567, s.generation());
            List<MessageEvent> ev = s.eventsSince(0);
            assertEquals(List.of(new MessageEvent(ref, "add", s.getRecord(ref), 1234567)), ev);
            assertTrue(s.eventsSince(1234567).isEmpty());
            s.destroy(ref);
            assertEquals(List.of(), messageFiles());
        }
        assertFalse(Files.exists(dir.resolve(MessageStore.TEMP_PREFIX + "leftover")), "crash leftovers removed");
        assertTrue(Files.exists(dir.resolve("notes.txt")));
    }

    @Test
    void damagedFilesAreSkippedWithAWarningNamingThem() throws Exception {
        String good;
        try (MessageStore s = open()) {
            good = s.create("GOOD", 1, "VM", VM, "");
        }
        Files.writeString(dir.resolve("1710821790.00000"), "garbage");
        Files.writeString(
                dir.resolve("1710821791.00000"),
                "<?xml version=\"1.0\"?><message><generation>7</generation><ref>OpaqueRef:tru");
        Files.write(dir.resolve("1710821792.00000"), new byte[] {(byte) 0xc3, 0x28});
        Set<String> damaged = Set.of("1710821790.00000", "1710821791.00000", "1710821792.00000");

        Logger logger = (Logger) LoggerFactory.getLogger(MessageStore.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
        try (MessageStore s = open()) {
            assertEquals(List.of(good), s.getAll());
            Set<String> warned = new HashSet<>();
            for (ILoggingEvent e : logs.list) {
                if (e.getLevel() != ch.qos.logback.classic.Level.WARN) continue;
                for (String d : damaged) {
                    if (e.getFormattedMessage().contains(dir.resolve(d).toString())) warned.add(d);
                }
            }
            assertEquals(damaged, warned, "one warning naming each damaged file: " + logs.list);
            // a new message created at a damaged file's time takes the next name; the damaged file is kept
            clock.set(1_710_821_790L, 0);
            String r = s.create("NEW", 2, "VM", VM, "");
            assertTrue(
                    messageFiles().containsAll(List.of("1710821790.00000", "1710821790.00001")),
                    messageFiles().toString());
            assertEquals("garbage", Files.readString(dir.resolve("1710821790.00000")));
            assertEquals(List.of(r, good), s.getAll());
        } finally {
            logger.detachAppender(logs);
        }
    }

    // ------------------------------------------------------------------ cap

    @Test
    void capEvictsTheOldestByCreationTimeWithDelEvents() throws Exception {
        List<MessageEvent> seen = Collections.synchronizedList(new ArrayList<>());
        try (MessageStore s = MessageStore.open(dir, EXISTS, 3, clock)) {
            s.subscribe(seen::add);
            long g0 = s.generation();
            clock.set(5000, 0);
            String a = s.create("A", 1, "VM", VM, "");
            clock.set(1000, 0); // the clock went back: b is the oldest although created later
            String b = s.create("B", 1, "VM", VM, "");
            clock.set(6000, 0);
            String c = s.create("C", 1, "VM", VM, "");
            assertEquals(3, s.getAll().size());
            clock.set(7000, 0);
            String d = s.create("D", 1, "VM", VM, "");
            assertEquals(List.of(d, c, a), s.getAll());
            clock.set(8000, 0);
            String e = s.create("E", 1, "VM", VM, "");
            assertEquals(List.of(e, d, c), s.getAll());
            assertEquals(List.of("6000.00000", "7000.00000", "8000.00000"), messageFiles());

            List<MessageEvent> ev = s.eventsSince(g0);
            List<String> dels = ev.stream()
                    .filter(x -> x.op().equals("del"))
                    .map(MessageEvent::ref)
                    .toList();
            assertEquals(List.of(a, b), dels, "newest deletion first");
            List<String> adds = ev.stream()
                    .filter(x -> x.op().equals("add"))
                    .map(MessageEvent::ref)
                    .toList();
            assertEquals(List.of(e, d, c), adds);
            // the listener saw every change in generation order, deletions with their records
            List<String> order = seen.stream().map(x -> x.op() + " " + x.ref()).toList();
            assertEquals(
                    List.of("add " + a, "add " + b, "add " + c, "add " + d, "del " + b, "add " + e, "del " + a), order);
            for (int i = 1; i < seen.size(); i++)
                assertTrue(seen.get(i).generation() > seen.get(i - 1).generation());
            assertEquals("B", seen.get(4).snapshotOrNull().get("name"));
        }
        // over the cap at open: evicted there too
        try (MessageStore s = MessageStore.open(dir, EXISTS, 1, clock)) {
            assertEquals(1, s.getAll().size());
            assertEquals(List.of("8000.00000"), messageFiles());
        }
    }

    // ------------------------------------------------------------------ events

    @Test
    void eventsSinceHasXapisAddAndDelSemantics() throws Exception {
        try (MessageStore s = open()) {
            String old = s.create("OLD", 1, "VM", VM, "");
            long g0 = s.generation();
            String a = s.create("A", 1, "VM", VM, "");
            String b = s.create("B", 1, "VM", VM, "");
            s.destroy(a); // created and destroyed after g0: only its del
            s.destroy(old); // created before g0: its del
            String c = s.create("C", 1, "VM", VM, "");

            List<MessageEvent> ev = s.eventsSince(g0);
            assertEquals(
                    List.of("add " + c, "add " + b, "del " + old, "del " + a),
                    ev.stream().map(x -> x.op() + " " + x.ref()).toList());
            assertEquals(s.getRecord(c), ev.get(0).snapshotOrNull());
            assertNull(ev.get(2).snapshotOrNull(), "event.from's del carries no snapshot");
            assertEquals(
                    s.generation(),
                    ev.stream().mapToLong(MessageEvent::generation).max().orElseThrow());
            assertEquals(g0 + 5, s.generation());
            // from the start: every existing message as add, every remembered deletion as del
            assertEquals(4, s.eventsSince(0).size());
            assertEquals(List.of(), s.eventsSince(s.generation()));
            long gc = ev.get(0).generation();
            assertEquals(
                    List.of("add " + c),
                    s.eventsSince(gc - 1).stream()
                            .map(x -> x.op() + " " + x.ref())
                            .toList());
        }
    }

    @Test
    void onlyTheRecentDeletionsAreRemembered() throws Exception {
        try (MessageStore s = open()) {
            int n = MessageStore.DELETED_MAX + 5;
            List<String> refs = inParallel(n, k -> s.create("X", 1, "VM", VM, ""));
            long g0 = s.generation();
            List<MessageEvent> dels = Collections.synchronizedList(new ArrayList<>());
            s.subscribe(e -> {
                if (e.op().equals("del")) dels.add(e);
            });
            inParallel(n, k -> {
                s.destroy(refs.get(k));
                return "";
            });
            assertEquals(n, dels.size());
            List<MessageEvent> ev = s.eventsSince(g0);
            // pruned to the newest 512 at the 1025th deletion, then 4 more: the newest 516, newest first
            int kept = MessageStore.DELETED_KEEP + 4;
            assertEquals(kept, ev.size());
            for (int i = 0; i < kept; i++) {
                MessageEvent expected = dels.get(n - 1 - i);
                assertEquals(new MessageEvent(expected.ref(), "del", null, expected.generation()), ev.get(i));
            }
            assertEquals(kept, s.eventsSince(0).size());
        }
    }

    /** Runs {@code n} calls of {@code body} (given 0..n-1) at once on virtual threads; their results in call order. */
    private static <T> List<T> inParallel(int n, java.util.function.IntFunction<T> body) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<T>> futures = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                int k = i;
                futures.add(pool.submit(() -> {
                    go.await();
                    return body.apply(k);
                }));
            }
            go.countDown();
        }
        List<T> out = new ArrayList<>();
        for (Future<T> f : futures) out.add(f.get(60, TimeUnit.SECONDS));
        return out;
    }

    @Test
    void onGenerationAfterWakesWhenAnotherThreadWrites() throws Exception {
        try (MessageStore s = open()) {
            long g = s.generation();
            assertTrue(s.onGenerationAfter(g - 1).isDone(), "already passed");
            assertEquals(g, s.onGenerationAfter(g - 1).get());
            CompletableFuture<Long> next = s.onGenerationAfter(g);
            List<CompletableFuture<Long>> many = new ArrayList<>();
            for (int i = 0; i < 5000; i++) many.add(s.onGenerationAfter(g));
            CompletableFuture<Long> later = s.onGenerationAfter(g + 1);
            CompletableFuture<Long> cancelled = s.onGenerationAfter(g);
            cancelled.cancel(false);
            assertFalse(next.isDone());

            Thread writer = Thread.ofVirtual().start(() -> s.create("X", 1, "VM", VM, ""));
            assertEquals(g + 1, next.get(10, TimeUnit.SECONDS));
            for (CompletableFuture<Long> f : many) assertEquals(g + 1, f.get(10, TimeUnit.SECONDS));
            writer.join(10_000);
            assertFalse(later.isDone(), "generation g+1 does not pass g+1");

            Thread destroyer =
                    Thread.ofVirtual().start(() -> s.destroy(s.getAll().get(0)));
            assertEquals(g + 2, later.get(10, TimeUnit.SECONDS));
            destroyer.join(10_000);

            CompletableFuture<Long> pending = s.onGenerationAfter(s.generation());
            s.close();
            assertThrows(CancellationException.class, () -> pending.get(10, TimeUnit.SECONDS));
            assertThrows(IllegalStateException.class, () -> s.create("X", 1, "VM", VM, ""));
        }
    }

    @Test
    void thousandConcurrentCreators() throws Exception {
        int n = 1000;
        List<Long> order = Collections.synchronizedList(new ArrayList<>());
        Map<String, Map<String, Object>> records;
        try (MessageStore s = open()) {
            s.subscribe(e -> order.add(e.generation()));
            long g0 = s.generation();
            // Waiters on every intermediate generation, woken by whichever creator passes them.
            List<CompletableFuture<Long>> waits = new ArrayList<>();
            for (int i = 0; i < n; i++) waits.add(s.onGenerationAfter(g0 + i));
            // An event.from-style follower: waits for the generation to move, reads the events after its
            // token, advances the token to the largest generation read; it must see every create once.
            CompletableFuture<List<String>> followed = CompletableFuture.supplyAsync(
                    () -> {
                        List<String> seenRefs = new ArrayList<>();
                        long token = g0;
                        try {
                            while (token < g0 + n) {
                                s.onGenerationAfter(token).get(60, TimeUnit.SECONDS);
                                for (MessageEvent e : s.eventsSince(token)) {
                                    seenRefs.add(e.ref());
                                    token = Math.max(token, e.generation());
                                }
                            }
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                        return seenRefs;
                    },
                    Executors.newVirtualThreadPerTaskExecutor());
            Set<String> refs = new HashSet<>(inParallel(
                    n,
                    k -> s.create(
                            "M" + k, 1 + k % 5, k % 2 == 0 ? "VM" : "Host", k % 2 == 0 ? VM : HOST, "body " + k)));
            List<String> seenRefs = followed.get(60, TimeUnit.SECONDS);
            assertEquals(n, seenRefs.size(), "every create seen exactly once");
            assertEquals(refs, new HashSet<>(seenRefs), "no create missed");
            assertEquals(n, refs.size());
            assertFalse(refs.contains(Refs.NULL));
            assertEquals(g0 + n, s.generation());
            for (int i = 0; i < n; i++) assertTrue(waits.get(i).get(10, TimeUnit.SECONDS) > g0 + i);
            assertEquals(refs, new HashSet<>(s.getAll()));

            List<MessageEvent> ev = s.eventsSince(g0);
            assertEquals(n, ev.size());
            for (int i = 0; i < n; i++) assertEquals(g0 + n - i, ev.get(i).generation(), "adds newest first, no gaps");
            assertEquals(n, order.size());
            for (int i = 0; i < n; i++) assertEquals(g0 + 1 + i, order.get(i), "published in generation order");
            assertEquals(n, messageFiles().size());
            records = s.getAllRecords();
        }
        try (MessageStore s = open()) {
            assertEquals(records, s.getAllRecords());
        }
    }

    @Test
    void objectExistenceMapsEnumValuesToClasses() {
        assertEquals("host", ObjectExistence.classOf("Host"));
        assertEquals("pool", ObjectExistence.classOf("Pool"));
        assertEquals("PVS_proxy", ObjectExistence.classOf("PVS_proxy"));
        assertEquals("VM", ObjectExistence.classOf("VM"));
    }

    @Test
    void fileNamesHaveFiveDecimals() {
        assertEquals("1710821784.12345", MessageFileKeys.fileName(171_082_178_412_345L));
        assertEquals("0.00001", MessageFileKeys.fileName(1));
        assertEquals("12.00000", MessageFileKeys.fileName(1_200_000));
        assertTrue(Utf8Check.isStorable("a\ud83d\ude00b"));
        assertFalse(Utf8Check.isStorable("a\ude00"));
        assertFalse(Utf8Check.isStorable("a\ud83d"));
    }
}
