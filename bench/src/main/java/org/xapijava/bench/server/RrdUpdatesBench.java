package org.xapijava.bench.server;

import static org.xapijava.bench.Stats.loadAverage;
import static org.xapijava.bench.Stats.percentile;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.xapijava.bench.TempDirs;
import org.xapijava.bench.lifecycle.LifecycleFixture;
import org.xapijava.bench.lifecycle.XmlRpcConnection;
import org.xapijava.server.XapiServer;
import org.xapijava.server.config.XapiConfig;
import org.xapijava.server.rrd.Cf;
import org.xapijava.server.rrd.Rrds;
import org.xapijava.server.rrd.Sampler;

/**
 * {@code /rrd_updates} for {@code --vms} running VMs (issue 14, item 8): a server in this JVM (embedded xenopsd
 * simulator) whose clock the bench moves by 5 s steps until every archive a request reads is full (10 minutes of 5 s
 * rows), then Xen Orchestra's requests over HTTP, each interleaved with its baseline: the same export built in this
 * JVM from the same RRDs without HTTP ({@code Rrds.updates} then the XML or JSON text as bytes), so that the ratio
 * is what the HTTP exchange (parsing, authentication, headers, copying the body to the client) adds to the work
 * xcp-rrdd does for it. No sample is taken while requests are timed (the clock stands still). Options: {@code --vms
 * N} (200), {@code --requests N} (40). Run by {@code scripts/bench-rrd}; Markdown on standard output.
 */
public final class RrdUpdatesBench {
    private RrdUpdatesBench() {}

    /** A clock the bench moves. */
    static final class SteppedClock extends Clock {
        private volatile Instant now = Instant.now();

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    public static void main(String[] args) throws Exception {
        int vms = 200;
        int requests = 40;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--vms" -> vms = Integer.parseInt(args[i + 1]);
                case "--requests" -> requests = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        PrintStream log = System.err;
        String loadBefore = loadAverage();
        Path dir = Files.createTempDirectory("bench-rrd");
        SteppedClock clock = new SteppedClock();
        XapiServer server = new XapiServer(
                XapiConfig.fromArgs(List.of(
                        "--data-dir",
                        dir.toString(),
                        "--bind",
                        "127.0.0.1",
                        "--http-port",
                        "0",
                        "--https-port",
                        "-1",
                        "--unix-socket",
                        dir.resolve("xapi.sock").toString(),
                        "--vmss-timer",
                        "off",
                        "--rrd-sample-period-ms",
                        "20")),
                null,
                clock);
        server.start();
        try {
            InetSocketAddress a = new InetSocketAddress("127.0.0.1", server.httpPort());
            long t0 = System.nanoTime();
            LifecycleFixture.Vms fixture = LifecycleFixture.create(server, a, vms);
            startAll(server, a, fixture.refs());
            log.printf(Locale.ROOT, "%d VMs created and started in %.1f s%n", vms, (System.nanoTime() - t0) / 1e9);

            Sampler sampler = server.statistics().sampler();
            int steps = 130; // 120 rows of the 5 s archive, and a few minutes rows
            double[] sampleMs = new double[steps];
            for (int i = 0; i < steps; i++) {
                long before = sampler.samples();
                long s = System.nanoTime();
                clock.advance(Duration.ofSeconds(5));
                if (!sampler.awaitSamples(before + 1, Duration.ofSeconds(60)))
                    throw new IllegalStateException("no sample in 60 s");
                sampleMs[i] = (System.nanoTime() - s) / 1e6;
            }
            log.printf(Locale.ROOT, "%d samples, p50 %.1f ms each%n", steps, percentile(sampleMs, 50));

            String session;
            try (XmlRpcConnection c = new XmlRpcConnection(a)) {
                session = (String)
                        c.call("session.login_with_password", "root", server.rootPassword(), "1.0", "bench-rrd");
            }
            Rrds rrds = server.statistics().rrds();
            long now = clock.millis() / 1000;
            HttpClient http =
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String base = "http://127.0.0.1:" + server.httpPort() + "/rrd_updates?session_id=" + session;
            record Case(String what, long start, boolean json) {}
            List<Case> cases = List.of(
                    new Case("10 minutes of 5 s rows, JSON (Xen Orchestra's first fetch)", now - 595, true),
                    new Case("10 minutes of 5 s rows, XML", now - 595, false),
                    new Case("2 hours of 1 min rows (11 kept), JSON", now - 7200 + 60, true),
                    new Case("the newest rows, JSON (Xen Orchestra's next polls)", now - 10, true));
            System.out.printf(
                    Locale.ROOT,
                    "`/rrd_updates?cf=AVERAGE&host=true&interval=5` on one host with %d running VMs (%d data sources"
                            + " each way), %d requests each, interleaved with the baseline; %d samples of 5 s taken"
                            + " before (p50 %.0f ms per sample of the host and every VM); load average %s before, %s"
                            + " after.%n%n",
                    vms,
                    rrds.updates(true, null, now - 10, 5, Cf.AVERAGE).legend().size(),
                    requests,
                    steps,
                    percentile(sampleMs, 50),
                    loadBefore,
                    loadAverage());
            System.out.println(
                    "| request | rows | body bytes | HTTP p50 ms | HTTP p99 ms | in-JVM export p50 ms | HTTP ÷ in-JVM |");
            System.out.println("|---|---:|---:|---:|---:|---:|---:|");
            for (Case k : cases) {
                URI uri = URI.create(
                        base + "&cf=AVERAGE&host=true&interval=5&start=" + k.start() + (k.json() ? "&json=true" : ""));
                double[] viaHttp = new double[requests];
                double[] inJvm = new double[requests];
                long bytes = 0;
                int rows = 0;
                for (int i = -requests / 4; i < requests; i++) { // the first quarter warms up
                    long s = System.nanoTime();
                    HttpResponse<byte[]> r = http.send(
                            HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
                    long m = System.nanoTime();
                    var u = rrds.updates(true, null, k.start(), 5, Cf.AVERAGE);
                    byte[] b = (k.json() ? u.json() : u.xml()).getBytes(StandardCharsets.UTF_8);
                    long e = System.nanoTime();
                    if (r.statusCode() != 200) throw new IllegalStateException("HTTP " + r.statusCode());
                    if (r.body().length != b.length) throw new IllegalStateException("bodies differ in length");
                    if (i < 0) continue;
                    viaHttp[i] = (m - s) / 1e6;
                    inJvm[i] = (e - m) / 1e6;
                    bytes = b.length;
                    rows = u.rows().size();
                }
                System.out.printf(
                        Locale.ROOT,
                        "| %s | %d | %d | %.2f | %.2f | %.2f | %.2f× |%n",
                        k.what(),
                        rows,
                        bytes,
                        percentile(viaHttp, 50),
                        percentile(viaHttp, 99),
                        percentile(inJvm, 50),
                        percentile(viaHttp, 50) / percentile(inJvm, 50));
            }
        } finally {
            server.close();
            TempDirs.deleteTree(dir);
        }
    }

    /** {@code VM.start} of every VM, eight at a time. */
    private static void startAll(XapiServer server, InetSocketAddress a, List<String> refs) throws Exception {
        try (ExecutorService ex = Executors.newFixedThreadPool(8)) {
            List<Future<Object>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int from = t;
                done.add(ex.submit(() -> {
                    try (XmlRpcConnection c = new XmlRpcConnection(a)) {
                        String s = (String) c.call(
                                "session.login_with_password", "root", server.rootPassword(), "1.0", "bench-rrd");
                        for (int i = from; i < refs.size(); i += 8) c.call("VM.start", s, refs.get(i), false, false);
                        c.call("session.logout", s);
                    }
                    return null;
                }));
            }
            for (Future<Object> f : done) f.get();
        }
    }
}
