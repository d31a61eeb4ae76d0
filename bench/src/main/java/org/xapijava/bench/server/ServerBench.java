package org.xapijava.bench.server;

import static org.xapijava.bench.Stats.loadAverage;
import static org.xapijava.bench.Stats.median;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.xapijava.bench.TempDirs;
import org.xapijava.bench.VmFixture;
import org.xapijava.model.jsonrpc.JsonRpcCodec;
import org.xapijava.model.jsonrpc.JsonRpcId;
import org.xapijava.model.jsonrpc.JsonRpcLimits;
import org.xapijava.model.rpc.RpcResponse;
import org.xapijava.model.xmlrpc.XmlRpcParseException;
import org.xapijava.model.xmlrpc.XmlRpcReader;
import org.xapijava.model.xmlrpc.XmlRpcWriter;
import org.xapijava.server.XapiServer;
import org.xapijava.server.config.XapiConfig;

/**
 * Server benchmarks over loopback HTTP, each against a baseline measured in the same run (load driver,
 * not JMH; run by {@code scripts/bench-server}):
 * <ol>
 *   <li>{@code VM.get_record} calls/s over XML-RPC at {@code connections} keep-alive connections
 *       ({@link LoadDriver}), against {@link BareJetty} answering {@code ok} to the same request bytes.
 *       Warm-up, then timed rounds alternating between the two servers.</li>
 *   <li>{@code VM.get_all_records} of {@code vms} VMs: the full HTTP round trip, reading the whole
 *       response, XML-RPC and JSON-RPC; the baseline is {@link BareJetty} sending the very same response
 *       bytes (the transport alone).</li>
 *   <li>{@code waiters} concurrent {@code event.from(["vm"], token, 60.0)} calls, each on its own
 *       connection and virtual thread, then one {@code VM.set_name_description} call: time until every
 *       waiter has read its whole answer, and the heap used after a full GC while they wait (measured in
 *       this JVM, which also holds the driver). The write is sent once the process has gone quiet (see
 *       {@link EventWaiters#awaitQuiet}), i.e. every waiter is parked. One warm-up round, then timed rounds, each
 *       waiter going on with the token of its previous answer as a client's event loop does.</li>
 * </ol>
 * The server runs in this JVM ({@link XapiServer}, development layout in a temporary directory), with
 * the 10,000 VMs of {@link VmFixture} created directly in its database. Every response is checked (status
 * and exact length in timed loops, full decoding outside them), so a failing server cannot look fast.
 *
 * <p>This class holds the options, the harness (both servers), the XML-RPC calls and items 1 and 2; item 3 is
 * {@link EventWaiters}, the Markdown report {@link ServerBenchReport}.
 */
public final class ServerBench {
    private ServerBench() {}

    /** The knobs of one run; {@link #defaults()} is the run the issue asks for. */
    public record Options(
            int vms,
            int connections,
            Duration warmup,
            Duration round,
            int rounds,
            int bigCalls,
            int waiters,
            int waiterRounds,
            String items) {
        public static Options defaults() {
            return new Options(
                    VmFixture.DEFAULT_VMS, 64, Duration.ofSeconds(15), Duration.ofSeconds(3), 7, 7, 5000, 3, "123");
        }

        /**
         * {@code --vms N --connections N --warmup S --round S --rounds N --big-calls N --waiters N
         * --waiter-rounds N --items 123} (the items to run, as digits).
         */
        public static Options parse(String[] args) {
            Options o = defaults();
            for (int i = 0; i < args.length; i++) {
                if (i + 1 >= args.length) throw new IllegalArgumentException("missing value for " + args[i]);
                String a = args[i + 1];
                if (args[i].equals("--items")) {
                    o = new Options(
                            o.vms,
                            o.connections,
                            o.warmup,
                            o.round,
                            o.rounds,
                            o.bigCalls,
                            o.waiters,
                            o.waiterRounds,
                            a);
                    i++;
                    continue;
                }
                int v = Integer.parseInt(a);
                o = switch (args[i]) {
                    case "--vms" ->
                        new Options(
                                v,
                                o.connections,
                                o.warmup,
                                o.round,
                                o.rounds,
                                o.bigCalls,
                                o.waiters,
                                o.waiterRounds,
                                o.items);
                    case "--connections" ->
                        new Options(
                                o.vms, v, o.warmup, o.round, o.rounds, o.bigCalls, o.waiters, o.waiterRounds, o.items);
                    case "--warmup" ->
                        new Options(
                                o.vms,
                                o.connections,
                                Duration.ofSeconds(v),
                                o.round,
                                o.rounds,
                                o.bigCalls,
                                o.waiters,
                                o.waiterRounds,
                                o.items);
                    case "--round" ->
                        new Options(
                                o.vms,
                                o.connections,
                                o.warmup,
                                Duration.ofSeconds(v),
                                o.rounds,
                                o.bigCalls,
                                o.waiters,
                                o.waiterRounds,
                                o.items);
                    case "--rounds" ->
                        new Options(
                                o.vms,
                                o.connections,
                                o.warmup,
                                o.round,
                                v,
                                o.bigCalls,
                                o.waiters,
                                o.waiterRounds,
                                o.items);
                    case "--big-calls" ->
                        new Options(
                                o.vms,
                                o.connections,
                                o.warmup,
                                o.round,
                                o.rounds,
                                v,
                                o.waiters,
                                o.waiterRounds,
                                o.items);
                    case "--waiters" ->
                        new Options(
                                o.vms,
                                o.connections,
                                o.warmup,
                                o.round,
                                o.rounds,
                                o.bigCalls,
                                v,
                                o.waiterRounds,
                                o.items);
                    case "--waiter-rounds" ->
                        new Options(
                                o.vms, o.connections, o.warmup, o.round, o.rounds, o.bigCalls, o.waiters, v, o.items);
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                };
                i++;
            }
            return o;
        }

        boolean runs(int item) {
            return items.indexOf('0' + item) >= 0;
        }
    }

    /** Item 1: the timed rounds, paired (round i of each side ran back to back). */
    public record Throughput(
            List<LoadDriver.Round> ours, List<LoadDriver.Round> baseline, int requestBytes, long responseBytes) {}

    /** Item 2, one protocol: response size and the seconds of each timed call. */
    public record BigResponse(
            String protocol, long bytes, int records, double[] oursSeconds, double[] baselineSeconds) {}

    /**
     * Item 3 (null fields when not measured, with the reason in {@code skipped}).
     *
     * @param allAnswered  per round: seconds from sending the write to the last waiter's whole answer
     * @param medianAnswer per round: seconds to the median waiter's answer
     * @param writeCall    per round: seconds the write call itself took
     * @param settle       per round: seconds from the first waiter's request to a quiet server (the waiters parked)
     * @param heapIdle     heap used after GC before any waiter connected (server with its VMs, and the driver)
     * @param heapConnected the same with every waiter's connection open, no request sent
     * @param heapWaiting  the same with every waiter parked in {@code event.from} (largest of the timed rounds)
     */
    public record Events(
            String skipped,
            int waiters,
            double[] allAnswered,
            double[] medianAnswer,
            double[] writeCall,
            double[] settle,
            long heapIdle,
            long heapConnected,
            long heapWaiting) {
        static Events skipped(String why, int waiters) {
            return new Events(why, waiters, null, null, null, null, 0, 0, 0);
        }
    }

    /** Everything one run measured (null or empty: the item was not run). */
    public record Results(
            Options options, Throughput getRecord, List<BigResponse> big, Events events, String environment) {}

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        Results r = run(o, System.err);
        System.out.println(ServerBenchReport.markdown(r));
    }

    /** Runs the items; progress lines go to {@code log}. */
    public static Results run(Options o, PrintStream log) throws Exception {
        return run(o, log, s -> {});
    }

    /** As {@link #run(Options, PrintStream)}; {@code setup} sees the started server before the first item. */
    static Results run(Options o, PrintStream log, Consumer<XapiServer> setup) throws Exception {
        String loadBefore = loadAverage();
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "bench-server-");
        try (Harness h = Harness.start(dir, o, log)) {
            setup.accept(h.server);
            Throughput t = null;
            if (o.runs(1)) {
                log.println("item 1: VM.get_record over XML-RPC, " + o.connections + " connections");
                t = getRecord(h, o, log);
            }
            List<BigResponse> big = List.of();
            if (o.runs(2)) {
                log.println("item 2: VM.get_all_records, " + o.vms + " VMs");
                big = List.of(bigResponse(h, o, false, log), bigResponse(h, o, true, log));
            }
            Events e = null;
            if (o.runs(3)) {
                log.println("item 3: event.from, " + o.waiters + " waiters");
                e = EventWaiters.events(h, o, log);
            }
            String env = String.format(
                    Locale.ROOT,
                    "%d cores, Java %s (%s), max heap %d MiB, load average %s at start, %s at end",
                    Runtime.getRuntime().availableProcessors(),
                    Runtime.version(),
                    System.getProperty("java.vm.name"),
                    Runtime.getRuntime().maxMemory() >> 20,
                    loadBefore,
                    loadAverage());
            return new Results(o, t, big, e, env);
        } finally {
            TempDirs.deleteTree(dir);
        }
    }

    // ------------------------------------------------------------------ the two servers

    /** The server under test (with its VMs and a session) and the baseline, both on 127.0.0.1. */
    static final class Harness implements AutoCloseable {
        final XapiServer server;
        final BareJetty bare;
        final InetSocketAddress ours;
        final InetSocketAddress base;
        final String session;
        final List<String> vms;

        private Harness(XapiServer server, BareJetty bare, String session, List<String> vms) {
            this.server = server;
            this.bare = bare;
            this.ours = new InetSocketAddress("127.0.0.1", server.httpPort());
            this.base = new InetSocketAddress("127.0.0.1", bare.port());
            this.session = session;
            this.vms = vms;
        }

        static Harness start(Path dir, Options o, PrintStream log) throws Exception {
            // flush-policy xapi: state.db written at most every 300 s, as on a host, not after every login;
            // max-connections: the waiters of item 3 each hold a connection (the default limit is 800).
            XapiServer server = new XapiServer(XapiConfig.fromArgs(List.of(
                    "--data-dir",
                    dir.toString(),
                    "--http-port",
                    "0",
                    "--https-port",
                    "0",
                    "--unix-socket",
                    "",
                    "--flush-policy",
                    "xapi",
                    "--max-connections",
                    Integer.toString(o.waiters + o.connections + 64))));
            BareJetty bare = null;
            try {
                server.start();
                bare = BareJetty.start("127.0.0.1");
                long t0 = System.nanoTime();
                List<String> vms = VmFixture.populate(server.services().db(), o.vms).vmRefs;
                log.printf(Locale.ROOT, "created %d VMs in %.1f s%n", vms.size(), (System.nanoTime() - t0) / 1e9);
                InetSocketAddress a = new InetSocketAddress("127.0.0.1", server.httpPort());
                String session = (String) call(
                        a,
                        "session.login_with_password",
                        List.of("root", server.rootPassword(), "1.0", "xapi-java bench"));
                return new Harness(server, bare, session, vms);
            } catch (Exception e) {
                if (bare != null) bare.close();
                server.close();
                throw e;
            }
        }

        @Override
        public void close() throws Exception {
            try {
                bare.close();
            } finally {
                server.close();
            }
        }
    }

    /** One XML-RPC call on a fresh connection; the decoded result, or the API error thrown. */
    static Object call(InetSocketAddress a, String method, List<?> params) throws IOException {
        try (RawHttpConnection c = new RawHttpConnection(a, 16 * 1024)) {
            return call(c, method, params);
        }
    }

    static Object call(RawHttpConnection c, String method, List<?> params) throws IOException {
        RawHttpConnection.Body b = RawHttpConnection.Body.keeping(4096);
        int status = c.exchange(xmlRpcRequest(method, params), b);
        if (status != 200) throw new IOException(method + ": HTTP " + status);
        return result(b.bytes());
    }

    static byte[] xmlRpcRequest(String method, List<?> params) {
        return RawHttpConnection.post("/", "text/xml", XmlRpcWriter.call(method, params));
    }

    /** The value of a Success XML-RPC response. @throws ApiError on a Failure */
    static Object result(byte[] body) throws IOException {
        try {
            RpcResponse r = XmlRpcReader.RESPONSES.readResponse(body);
            if (!r.success()) throw r.toApiError();
            return r.contents();
        } catch (XmlRpcParseException e) {
            throw new IOException("unparsable response: " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ item 1

    static Throughput getRecord(Harness h, Options o, PrintStream log) throws Exception {
        List<byte[]> requests = new ArrayList<>();
        for (int i = 0; i < o.connections; i++) {
            requests.add(xmlRpcRequest("VM.get_record", List.of(h.session, h.vms.get(i % h.vms.size()))));
        }
        List<LoadDriver.Round> ours = new ArrayList<>();
        List<LoadDriver.Round> base = new ArrayList<>();
        try (LoadDriver d = new LoadDriver(h.ours, requests, 16 * 1024);
                LoadDriver b = new LoadDriver(h.base, requests, 16 * 1024)) {
            byte[] first = d.calibrate();
            Map<?, ?> rec = (Map<?, ?>) result(first);
            Object uuid = h.server.services().db().get("VM", h.vms.get(0), "uuid");
            if (!uuid.equals(rec.get("uuid")))
                throw new IllegalStateException("VM.get_record answered another VM: " + rec.get("uuid"));
            byte[] ok = b.calibrate();
            if (!new String(ok, StandardCharsets.US_ASCII).equals("ok"))
                throw new IllegalStateException("baseline answered " + ok.length + " bytes");
            LoadDriver.Round w = d.run(o.warmup);
            log.printf(Locale.ROOT, "  warm-up ours %.0f calls/s%n", w.perSecond());
            w = b.run(o.warmup);
            log.printf(Locale.ROOT, "  warm-up baseline %.0f calls/s%n", w.perSecond());
            for (int r = 0; r < o.rounds; r++) {
                // alternate which side goes first, so that a slow drift of the machine favours neither
                LoadDriver.Round x;
                LoadDriver.Round y;
                if (r % 2 == 0) {
                    x = d.run(o.round);
                    y = b.run(o.round);
                } else {
                    y = b.run(o.round);
                    x = d.run(o.round);
                }
                ours.add(x);
                base.add(y);
                log.printf(
                        Locale.ROOT,
                        "  round %d: ours %.0f calls/s, baseline %.0f calls/s%n",
                        r + 1,
                        x.perSecond(),
                        y.perSecond());
            }
            return new Throughput(ours, base, requests.get(0).length, first.length);
        }
    }

    // ------------------------------------------------------------------ item 2

    static BigResponse bigResponse(Harness h, Options o, boolean json, PrintStream log) throws Exception {
        byte[] req;
        String path;
        if (json) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            JsonRpcCodec.standard().writeRequest(body, JsonRpcId.of(1), "VM.get_all_records", List.of(h.session));
            path = "/jsonrpc";
            req = RawHttpConnection.post(path, "application/json", body.toByteArray());
        } else {
            path = "/";
            req = xmlRpcRequest("VM.get_all_records", List.of(h.session));
        }
        String protocol = json ? "JSON-RPC" : "XML-RPC";
        int expectRecords = h.server.services().db().getAll("VM").size();
        long length;
        int records;
        try (RawHttpConnection c = new RawHttpConnection(h.ours, 64 * 1024);
                RawHttpConnection b = new RawHttpConnection(h.base, 64 * 1024)) {
            {
                RawHttpConnection.Body all = RawHttpConnection.Body.keeping(1 << 20);
                if (c.exchange(req, all) != 200) throw new IOException(protocol + " VM.get_all_records: HTTP error");
                byte[] bytes = all.bytes();
                all = null;
                Object value = json
                        ? new JsonRpcCodec(JsonRpcLimits.RESPONSE)
                                .parseResponse(bytes)
                                .resultOrThrow()
                        : result(bytes);
                records = ((Map<?, ?>) value).size();
                if (records != expectRecords)
                    throw new IllegalStateException(protocol + ": " + records + " records, expected " + expectRecords);
                value = null;
                length = bytes.length;
                h.bare.serve(path, bytes); // the baseline sends these very bytes
            }
            RawHttpConnection.Body body = RawHttpConnection.Body.counting();
            int warm = 2;
            double[] ours = new double[o.bigCalls];
            double[] base = new double[o.bigCalls];
            for (int i = -warm; i < o.bigCalls; i++) {
                double x = timed(c, req, body, length);
                double y = timed(b, req, body, length);
                if (i >= 0) {
                    ours[i] = x;
                    base[i] = y;
                }
            }
            log.printf(
                    Locale.ROOT,
                    "  %s: %,d bytes, ours median %.3f s, baseline median %.3f s%n",
                    protocol,
                    length,
                    median(ours),
                    median(base));
            return new BigResponse(protocol, length, records, ours, base);
        } finally {
            h.bare.forget(path);
        }
    }

    private static double timed(RawHttpConnection c, byte[] req, RawHttpConnection.Body body, long length)
            throws IOException {
        long t0 = System.nanoTime();
        int status = c.exchange(req, body);
        long t = System.nanoTime() - t0;
        if (status != 200 || body.length() != length)
            throw new IOException("HTTP " + status + ", " + body.length() + " bytes, expected " + length);
        return t / 1e9;
    }
}
