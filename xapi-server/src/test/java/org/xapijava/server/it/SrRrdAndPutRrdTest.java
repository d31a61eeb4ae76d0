package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Task;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VM;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.MutableClock;
import org.xapijava.server.TestHost;

/**
 * SR statistics and RRDs sent between hosts, over real HTTP and the Citrix SDK: the SR's RRD (rrdp-iostat's
 * {@code io_throughput_*}, moving while a VM writes to a disk of the SR) on {@code /sr_rrd} and in
 * {@code /rrd_updates?sr_uuid=}, the host's {@code io_throughput_*_<sr8>}, the {@code SR.*_data_source*} messages,
 * and {@code PUT /rrd} (a VM's RRD replaced, or archived with {@code archive}) with its refusals and roles.
 */
class SrRrdAndPutRrdTest {
    @TempDir
    static Path dir;

    static TestHost host;
    static Connection c;
    static String s;
    static VM vm;
    static SR sr;
    static String srUuid;
    static MutableClock clock;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        clock = new MutableClock(java.time.Instant.now());
        host = TestHost.startAt(dir, clock, "--rrd-sample-period-ms", "50");
        c = LifecycleSupport.login(host);
        s = "session_id=" + c.getSessionReference();
        vm = LifecycleSupport.newVm(host, c, "writer");
        sr = Pool.getAll(c).iterator().next().getDefaultSR(c);
        srUuid = sr.getUuid(c);
        LifecycleSupport.attachDisk(c, vm, sr, "0", 8 << 20);
        vm.start(c, false, false);
        samples(12);
    }

    @AfterAll
    static void stop() throws Exception {
        if (host != null) host.close();
    }

    static void samples(long steps) throws InterruptedException {
        var sampler = host.server.statistics().sampler();
        for (long i = 0; i < steps; i++) {
            clock.advance(Duration.ofSeconds(5));
            assertTrue(sampler.awaitSamples(sampler.samples() + 1, Duration.ofSeconds(20)), "samples taken");
        }
    }

    static HttpResponse<String> get(String pathAndQuery) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(host.uri(pathAndQuery))
                        .header("Accept", "text/xml")
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> put(String pathAndQuery, String body) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(host.uri(pathAndQuery))
                        .PUT(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static Connection withRole(String role) throws Exception {
        return LifecycleSupport.loginWithRole(host, role);
    }

    @Test
    void theSrsRrdHoldsItsThroughputWhileAVmWrites() throws Exception {
        HttpResponse<String> r = get("/sr_rrd?" + s + "&uuid=" + srUuid);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("text/xml", r.headers().firstValue("content-type").orElse(""));
        String xml = r.body();
        assertTrue(xml.startsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rrd><version>0003</version>"), xml);
        for (String ds : List.of("io_throughput_read", "io_throughput_write", "io_throughput_total")) {
            assertTrue(xml.contains("<ds><name>" + ds + "</name><type>ABSOLUTE</type>"), ds);
        }
        // the host's RRD carries the same sums under rrdp-iostat's names
        String hostXml = get("/host_rrd?" + s).body();
        assertTrue(hostXml.contains("<name>io_throughput_total_" + srUuid.substring(0, 8) + "</name>"), hostXml);

        // /rrd_updates: SRs only when asked for, with sr legends; the write rate is positive while the VM runs
        String start = Long.toString(clock.millis() / 1000 - 50);
        String without = get("/rrd_updates?" + s + "&start=" + start).body();
        assertFalse(without.contains(":sr:"), without);
        String with = get("/rrd_updates?" + s + "&start=" + start + "&sr_uuid=" + srUuid)
                .body();
        String legend = "<entry>AVERAGE:sr:" + srUuid + ":io_throughput_write</entry>";
        assertTrue(with.contains(legend), with);
        double written =
                host.server.statistics().rrds().querySr(srUuid, "io_throughput_write", clock.millis() / 1000.0);
        assertTrue(written > 0, "MiB/s written: " + written);
        double viaApi = sr.queryDataSource(c, "io_throughput_write");
        assertEquals(written, viaApi, 1e-9);

        // refusals: no uuid 400, an SR without an RRD here is Xapi's failure
        assertEquals(400, get("/sr_rrd?" + s).statusCode());
        HttpResponse<String> none = get("/sr_rrd?" + s + "&uuid=00000000-0000-0000-0000-000000000000");
        assertEquals(500, none.statusCode());
        assertTrue(none.body().contains("Failure(&quot;No SR RRD available!&quot;)"), none.body());
        // read-only may read it; no credentials is 401 with the action as realm
        assertEquals(
                200,
                get("/sr_rrd?session_id=" + withRole("read-only").getSessionReference() + "&uuid=" + srUuid)
                        .statusCode());
        HttpResponse<String> anonymous = get("/sr_rrd?uuid=" + srUuid);
        assertEquals(401, anonymous.statusCode());
        assertEquals(
                "Basic realm=\"sr_rrd\"",
                anonymous.headers().firstValue("www-authenticate").orElse(""));
    }

    @Test
    void srDataSourcesAreListedQueriedForgottenAndRecorded() throws Exception {
        // through the dispatcher: the SDK cannot read max = inf, which Xapi sends too
        Map<String, Map<String, Object>> dss =
                sources(sr).stream().collect(Collectors.toMap(d -> (String) d.get("name_label"), d -> d));
        assertEquals(
                java.util.Set.of("io_throughput_read", "io_throughput_write", "io_throughput_total"), dss.keySet());
        Map<String, Object> total = dss.get("io_throughput_total");
        assertEquals(true, total.get("enabled"));
        assertEquals(true, total.get("standard"));
        assertEquals("MiB/s", total.get("units"));
        assertEquals("All SR I/O, in MiB/s", total.get("name_description"));

        sr.forgetDataSourceArchives(c, "io_throughput_read");
        assertFalse(enabled("io_throughput_read"), "forgotten: offered, not recorded");
        assertFalse(get("/sr_rrd?" + s + "&uuid=" + srUuid).body().contains("<name>io_throughput_read</name>"));
        sr.recordDataSource(c, "io_throughput_read");
        assertTrue(enabled("io_throughput_read"));
        assertTrue(get("/sr_rrd?" + s + "&uuid=" + srUuid).body().contains("<name>io_throughput_read</name>"));

        List<String> e = host.err("SR.query_data_source", c.getSessionReference(), sr.toWireString(), "no_such_source");
        assertEquals("INTERNAL_ERROR", e.get(0));
        assertTrue(e.get(1).contains("Invalid_data_source"), e.toString());
        // an SR plugged nowhere here has no sources, and Xapi's Datasource_missing when queried
        SR other =
                SR.introduce(c, java.util.UUID.randomUUID().toString(), "unplugged", "", "dummy", "", false, Map.of());
        assertEquals(0, sources(other).size());
        List<String> missing =
                host.err("SR.query_data_source", c.getSessionReference(), other.toWireString(), "io_throughput_read");
        assertTrue(missing.get(1).contains("Datasource_missing"), missing.toString());
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> sources(SR of) {
        return (List<Map<String, Object>>) host.ok("SR.get_data_sources", c.getSessionReference(), of.toWireString());
    }

    private static boolean enabled(String name) {
        return sources(sr).stream()
                .filter(d -> d.get("name_label").equals(name))
                .findFirst()
                .map(d -> (Boolean) d.get("enabled"))
                .orElseThrow();
    }

    @Test
    void anRrdPutForAVmReplacesItsOwnOrIsArchived() throws Exception {
        String vmUuid = vm.getUuid(c);
        String old = get("/vm_rrd?" + s + "&uuid=" + vmUuid).body();
        samples(2);
        assertNotEquals(old, get("/vm_rrd?" + s + "&uuid=" + vmUuid).body(), "two more samples");

        // the RRD another host sends for the VM replaces this host's (until the next sample updates it)
        Task task = Task.create(c, "put rrd", "");
        HttpResponse<String> ok = put("/rrd?" + s + "&uuid=" + vmUuid + "&task_id=" + task.toWireString(), old);
        assertEquals(200, ok.statusCode());
        assertEquals(Types.TaskStatusType.SUCCESS, LifecycleSupport.awaitTask(host, c, task).status);
        // as Xapi's Rrd.from_xml, last_ds is not read back: it dumps as unknown (0.0)
        assertEquals(
                old.replaceAll("<last_ds>[^<]*</last_ds>", "<last_ds>0.0</last_ds>"),
                get("/vm_rrd?" + s + "&uuid=" + vmUuid).body());

        // with archive: kept in the archive directory, the VM's live RRD untouched
        String live = get("/vm_rrd?" + s + "&uuid=" + vmUuid).body();
        String hostUuid = host.server.statistics().rrds().hostUuid();
        String hostXml = get("/host_rrd?" + s).body();
        assertEquals(
                200,
                put("/rrd?" + s + "&uuid=" + hostUuid + "&archive=true", hostXml)
                        .statusCode());
        Path archived = dir.resolve("rrds").resolve(hostUuid + ".gz");
        try (InputStream in = new GZIPInputStream(Files.newInputStream(archived))) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(text.contains("<name>memory_total_kib</name>"), text);
        }
        assertEquals(live, get("/vm_rrd?" + s + "&uuid=" + vmUuid).body());

        // refusals: no uuid 400; an unknown uuid 404; a host's RRD without archive 400. They are answered before the
        // body is read and the connection closed, so the probes carry no body (a body left unread on a closed
        // connection can make the client's socket reset before it reads the answer)
        assertEquals(400, put("/rrd?" + s, "").statusCode());
        assertEquals(
                404,
                put("/rrd?" + s + "&uuid=00000000-0000-0000-0000-000000000000", "")
                        .statusCode());
        assertEquals(400, put("/rrd?" + s + "&uuid=" + hostUuid, "").statusCode());
        // a body that is not an RRD: 200 (sent before the body), nothing changed, the caller's task failed
        Task bad = Task.create(c, "put rrd", "");
        assertEquals(
                200,
                put("/rrd?" + s + "&uuid=" + vmUuid + "&task_id=" + bad.toWireString(), "<rrd><step>x</step></rrd>")
                        .statusCode());
        Task.Record br = LifecycleSupport.awaitTask(host, c, bad);
        assertEquals(Types.TaskStatusType.FAILURE, br.status);
        assertTrue(br.errorInfo.contains("INTERNAL_ERROR"), br.errorInfo.toString());
        assertEquals(live, get("/vm_rrd?" + s + "&uuid=" + vmUuid).body());
        // roles: pool-admin needed (vm-admin is 403), none is 401. The refusals are sent before the body is read and
        // the connection then closed: a short body, all sent before that, so that the client reads the answer
        // rather than a reset of the body it is still writing
        String vmAdmin = "session_id=" + withRole("vm-admin").getSessionReference();
        assertEquals(403, put("/rrd?" + vmAdmin + "&uuid=" + vmUuid, "<rrd/>").statusCode());
        String poolAdmin = "session_id=" + withRole("pool-admin").getSessionReference();
        assertEquals(200, put("/rrd?" + poolAdmin + "&uuid=" + vmUuid, old).statusCode());
        assertEquals(401, put("/rrd?uuid=" + vmUuid, "<rrd/>").statusCode());
    }
}
