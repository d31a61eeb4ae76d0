package org.xapijava.bench.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xapijava.db.Change;
import org.xapijava.db.Changes;
import org.xapijava.db.Database;
import org.xapijava.model.ClassDef;
import org.xapijava.model.rpc.Marshal;
import org.xapijava.server.XapiServer;
import org.xapijava.server.dispatch.Implementation;
import org.xapijava.server.dispatch.RawRpc;

/** The driver end to end on tiny sizes (correctness of the driver only; no time is asserted). */
class ServerBenchTest {

    /**
     * A stand-in {@code event.from} for builds that lack it: waits on the database's generation and
     * answers the changes of the named classes in Xapi's event-batch shape.
     */
    static Implementation fakeEventFrom(Database db) {
        return (ctx, a) -> {
            @SuppressWarnings("unchecked")
            List<String> classes = (List<String>) a.get(0);
            String token = (String) a.get(1);
            double timeout = (Double) a.get(2);
            List<String> names = new ArrayList<>();
            for (String c : classes) names.add(db.datamodel().clsIgnoreCase(c).name());
            long since = token.isEmpty() ? -1 : Long.parseLong(token);
            long deadline = System.nanoTime() + (long) (timeout * 1e9);
            while (true) {
                Changes ch = db.changesSince(names, since);
                long left = deadline - System.nanoTime();
                if (!ch.changes().isEmpty() || left <= 0) {
                    List<Object> events = new ArrayList<>();
                    for (Change c : ch.changes()) {
                        ClassDef cd = db.datamodel().cls(c.cls());
                        Map<String, Object> e = new LinkedHashMap<>();
                        e.put("id", Long.toString(c.id()));
                        e.put("class", c.cls().toLowerCase(java.util.Locale.ROOT));
                        e.put("operation", c.op().name().toLowerCase(java.util.Locale.ROOT));
                        e.put("ref", c.ref());
                        if (c.op() != Change.Op.DEL)
                            e.put(
                                    "snapshot",
                                    Marshal.record(
                                            db.datamodel(), cd, ch.snapshot().getRecord(c.cls(), c.ref())));
                        events.add(e);
                    }
                    Map<String, Object> batch = new LinkedHashMap<>();
                    batch.put("events", events);
                    batch.put("valid_ref_counts", Map.of());
                    batch.put("token", Long.toString(ch.token()));
                    return new RawRpc(batch);
                }
                db.awaitGeneration(ch.snapshot().generation(), Duration.ofNanos(left));
            }
        };
    }

    private static void bindFakeIfMissing(XapiServer s) {
        if (!s.messageTable().isBound("event.from"))
            s.messageTable().bind("event.from", fakeEventFrom(s.services().db()));
    }

    @Test
    void allThreeItemsRunAndReport() throws Exception {
        var o = new ServerBench.Options(120, 4, Duration.ofSeconds(1), Duration.ofSeconds(1), 2, 2, 40, 2, "123");
        PrintStream quiet = new PrintStream(java.io.OutputStream.nullOutputStream());
        ServerBench.Results r = ServerBench.run(o, quiet, ServerBenchTest::bindFakeIfMissing);

        assertEquals(2, r.getRecord().ours().size());
        assertEquals(2, r.getRecord().baseline().size());
        for (LoadDriver.Round x : r.getRecord().ours()) assertTrue(x.calls() > 0);
        assertTrue(r.getRecord().responseBytes() > 1000, "a VM record, not an error");

        assertEquals(2, r.big().size());
        for (ServerBench.BigResponse g : r.big()) {
            assertTrue(
                    g.records() >= 120,
                    "the 120 VMs, with dom0 and the templates of first start"); // the exact count is checked by the
            // driver
            assertEquals(2, g.oursSeconds().length);
        }
        assertTrue(r.big().get(0).bytes() > r.big().get(1).bytes(), "XML-RPC is larger than JSON-RPC");

        ServerBench.Events e = r.events();
        assertNull(e.skipped());
        assertEquals(2, e.allAnswered().length);
        for (int i = 0; i < 2; i++) assertTrue(e.allAnswered()[i] >= e.medianAnswer()[i]);
        assertTrue(e.heapWaiting() > 0 && e.heapIdle() > 0);

        String md = ServerBenchReport.markdown(r);
        assertTrue(md.contains("| `VM.get_record`, XML-RPC, 4 keep-alive connections"), md);
        assertTrue(md.contains("VMs, JSON-RPC ("), md);
        assertTrue(md.contains("40 waiters"), md);
    }

    @Test
    void eventsItemReportsWhenEventFromIsMissing() throws Exception {
        var o = new ServerBench.Options(10, 2, Duration.ofSeconds(1), Duration.ofSeconds(1), 1, 1, 10, 1, "3");
        ServerBench.Results r = ServerBench.run(o, new PrintStream(java.io.OutputStream.nullOutputStream()), s -> {});
        assertNull(r.getRecord());
        if (r.events().skipped() != null) {
            assertTrue(ServerBenchReport.markdown(r).contains("not measured"));
        } else {
            assertEquals(1, r.events().allAnswered().length); // the build has event.from: it was measured
        }
    }

    @Test
    void loadDriverFailsOnAnAnswerOfAnotherLength() throws Exception {
        try (BareJetty bare = BareJetty.start("127.0.0.1")) {
            byte[] req = RawHttpConnection.post("/changing", "text/plain", "x".getBytes(StandardCharsets.US_ASCII));
            try (LoadDriver d =
                    new LoadDriver(new InetSocketAddress("127.0.0.1", bare.port()), List.of(req, req), 1024)) {
                assertEquals("ok", new String(d.calibrate(), StandardCharsets.US_ASCII));
                assertTrue(d.run(Duration.ofMillis(200)).calls() > 0);
                bare.serve("/changing", "not ok".getBytes(StandardCharsets.US_ASCII));
                IOException e = assertThrows(IOException.class, () -> d.run(Duration.ofMillis(200)));
                assertTrue(e.getMessage().contains("expected 2"), e.getMessage());
            }
        }
    }

    @Test
    void optionsParse() {
        var o = ServerBench.Options.parse(
                new String[] {"--vms", "50", "--waiters", "7", "--items", "12", "--round", "2"});
        assertEquals(50, o.vms());
        assertEquals(7, o.waiters());
        assertEquals(Duration.ofSeconds(2), o.round());
        assertTrue(o.runs(1) && o.runs(2) && !o.runs(3));
        assertEquals(64, o.connections());
        assertThrows(IllegalArgumentException.class, () -> ServerBench.Options.parse(new String[] {"--nope", "1"}));
    }
}
