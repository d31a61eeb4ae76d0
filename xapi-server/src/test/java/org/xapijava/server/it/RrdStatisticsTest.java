package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.VM;
import java.io.ByteArrayInputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.xapijava.server.TestHost;

/**
 * Statistics end to end: a host sampling every 50 ms on a clock the test moves by 5 s steps, a VM started through
 * the Citrix SDK, then {@code /rrd_updates} read as Xen Orchestra's {@code xapi-stats} reads it (JSON, numbers as
 * strings turned into numbers, {@code meta.step} the interval asked, legends {@code AVERAGE:(host|vm):uuid:ds},
 * newest row first) and in Xapi's XML; {@code /host_rrd}, {@code /vm_rrd}, the data source messages, and the
 * archives kept across a restart.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class RrdStatisticsTest {
    @TempDir
    static Path dir;

    static TestHost host;
    static Connection c;
    static String session;
    static VM vm;
    static String vmUuid;
    static String hostUuid;
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();

    static org.xapijava.server.MutableClock clock;

    static String[] flags() {
        return new String[] {"--rrd-sample-period-ms", "50"};
    }

    @BeforeAll
    static void start() throws Exception {
        clock = new org.xapijava.server.MutableClock(java.time.Instant.now());
        host = TestHost.startAt(dir, clock, flags());
        c = LifecycleSupport.login(host);
        session = c.getSessionReference();
        vm = LifecycleSupport.newVm(host, c, "graphed");
        SR sr = Pool.getAll(c).iterator().next().getDefaultSR(c);
        LifecycleSupport.attachDisk(c, vm, sr, "0", 8 << 20);
        vm.start(c, false, false);
        vmUuid = vm.getUuid(c);
        hostUuid = host.server.statistics().rrds().hostUuid();
        awaitSamples(12);
    }

    @AfterAll
    static void stop() throws Exception {
        if (host != null) host.close();
    }

    /** Moves the server's clock {@code steps} steps of 5 s, letting a sample be taken at each. */
    static void awaitSamples(long steps) throws InterruptedException {
        var sampler = host.server.statistics().sampler();
        for (long i = 0; i < steps; i++) {
            clock.advance(Duration.ofSeconds(5));
            // the sampler takes one sample per instant: the next one is at the new time
            assertTrue(sampler.awaitSamples(sampler.samples() + 1, Duration.ofSeconds(20)), "samples taken");
        }
    }

    static HttpResponse<String> get(String pathAndQuery, String accept) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(host.uri(pathAndQuery)).GET();
        if (accept != null) b.header("Accept", accept);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static long serverTime() throws Exception {
        Host h = com.xensource.xenapi.Types.toHost(host.server.services().hostRef());
        return h.getServertime(c).getTime() / 1000;
    }

    /** The columns of an xport as Xen Orchestra reads them: legend → values (NaN as null), newest first. */
    static Map<String, List<Double>> columns(JsonNode json) {
        Map<String, List<Double>> out = new TreeMap<>();
        JsonNode legend = json.get("meta").get("legend");
        for (int i = 0; i < legend.size(); i++) {
            List<Double> values = new ArrayList<>();
            for (JsonNode row : json.get("data")) {
                double v = Double.parseDouble(row.get("values").get(i).asText());
                values.add(Double.isNaN(v) ? null : v);
            }
            out.put(legend.get(i).asText(), values);
        }
        return out;
    }

    @Test
    void rrdUpdatesAsXenOrchestraReadsThem() throws Exception {
        long start = serverTime() - 600 + 5;
        HttpResponse<String> r = get(
                "/rrd_updates?session_id=" + session + "&cf=AVERAGE&host=true&interval=5&json=true&start=" + start,
                null);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("content-type").orElse(""));
        assertEquals("*", r.headers().firstValue("access-control-allow-origin").orElse(""));
        assertEquals(
                r.body().getBytes(StandardCharsets.UTF_8).length,
                Long.parseLong(r.headers().firstValue("content-length").orElse("-1")));
        JsonNode json = JSON.readTree(r.body());
        JsonNode meta = json.get("meta");
        assertTrue(meta.get("step").isTextual(), "every number is a JSON string, as Xapi writes it");
        assertEquals(5, Integer.parseInt(meta.get("step").asText()), "XO's parseNumber(meta.step) === interval");
        assertEquals(json.get("data").size(), Integer.parseInt(meta.get("rows").asText()));
        assertTrue(json.get("data").size() >= 8, "rows: " + json.get("data").size());
        long previous = Long.MAX_VALUE;
        for (JsonNode row : json.get("data")) {
            long t = Long.parseLong(row.get("t").asText());
            assertTrue(t < previous, "newest first");
            assertEquals(0, t % 5);
            previous = t;
        }
        Map<String, List<Double>> cols = columns(json);
        for (String l : cols.keySet()) assertTrue(l.matches("^AVERAGE:(host|vm):[^:]+:.+$"), l);
        String h = "AVERAGE:host:" + hostUuid + ":";
        String v = "AVERAGE:vm:" + vmUuid + ":";
        for (String ds : List.of("cpu0", "cpu_avg", "loadavg", "memory_total_kib", "memory_free_kib", "pif_eth0_rx"))
            assertTrue(cols.containsKey(h + ds), h + ds + " in " + cols.keySet());
        for (String ds : List.of("cpu0", "memory", "memory_target", "vif_0_rx", "vif_0_tx"))
            assertTrue(cols.containsKey(v + ds), v + ds + " in " + cols.keySet());
        assertTrue(
                cols.keySet().stream().anyMatch(k -> k.matches(v.replace(".", "\\.") + "vbd_.*_read")),
                "a disk: " + cols.keySet());
        assertMoving(cols.get(v + "cpu0"), 0.0, 1.0);
        assertMoving(cols.get(v + "vif_0_rx"), 1_000, 1e7);
        assertMoving(cols.get(h + "cpu0"), 0.0, 1.0);
        List<Double> mem =
                cols.get(v + "memory").stream().filter(x -> x != null && x > 0).toList();
        assertEquals(256.0 * (1 << 20), mem.getFirst(), "memory is the domain's");
        double total = cols.get(h + "memory_total_kib").getFirst();
        double free = cols.get(h + "memory_free_kib").getFirst();
        assertTrue(total > free && free > 0, total + " / " + free);

        // one VM, no host
        JsonNode one = JSON.readTree(get(
                        "/rrd_updates?session_id=" + session + "&json=true&interval=5&cf=AVERAGE&start=-60&vm_uuid="
                                + vmUuid,
                        null)
                .body());
        for (JsonNode l : one.get("meta").get("legend")) assertTrue(l.asText().startsWith(v), l.asText());
    }

    /** Known values within bounds that take more than one value. */
    static void assertMoving(List<Double> values, double min, double max) {
        List<Double> known = values.stream().filter(x -> x != null && x != 0.0).toList();
        assertTrue(known.size() >= 4, "known values: " + values);
        for (double x : known) assertTrue(x > min && x <= max, x + " in " + values);
        Set<Double> distinct = new HashSet<>(known);
        assertTrue(distinct.size() >= 3, "the values move: " + values);
    }

    @Test
    void rrdUpdatesInXmlAndErrors() throws Exception {
        HttpResponse<String> r = get(
                "/rrd_updates?session_id=" + session + "&host=true&interval=60&start=" + (serverTime() - 3600), null);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("text/xml", r.headers().firstValue("content-type").orElse(""));
        assertTrue(r.body().startsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xport><meta><start>"), r.body());
        Document d = DocumentBuilderFactory.newInstance()
                .newDocumentBuilder()
                .parse(new ByteArrayInputStream(r.body().getBytes(StandardCharsets.UTF_8)));
        assertEquals("60", d.getElementsByTagName("step").item(0).getTextContent());
        int columns = Integer.parseInt(d.getElementsByTagName("columns").item(0).getTextContent());
        assertEquals(columns, d.getElementsByTagName("entry").getLength());
        // no cf: every archive of the minute timescale; the host has MIN and MAX there, the VM its AVERAGE
        Set<String> cfs = new HashSet<>();
        for (int i = 0; i < columns; i++)
            cfs.add(d.getElementsByTagName("entry").item(i).getTextContent().split(":")[0]);
        assertEquals(Set.of("AVERAGE", "MIN", "MAX"), cfs);
        // */* prefers JSON
        assertEquals(
                "application/json",
                get("/rrd_updates?session_id=" + session + "&start=-10", "*/*")
                        .headers()
                        .firstValue("content-type")
                        .orElse(""));
        assertEquals(
                400,
                get("/rrd_updates?session_id=" + session + "&json=true", null).statusCode());
        assertEquals(401, get("/rrd_updates?start=0", null).statusCode());
        // Xen Orchestra passes a task of its own: it completes once answered
        com.xensource.xenapi.Task task = com.xensource.xenapi.Task.create(c, "stats", "");
        assertEquals(
                200,
                get("/rrd_updates?session_id=" + session + "&json=true&start=-10&task_id=" + task.toWireString(), null)
                        .statusCode());
        assertEquals(com.xensource.xenapi.Types.TaskStatusType.SUCCESS, task.getStatus(c));
    }

    @Test
    void prometheusMetricsHoldTheNewestValues() throws Exception {
        HttpResponse<String> m = get("/metrics?session_id=" + session, null);
        assertEquals(200, m.statusCode());
        assertEquals(
                "text/plain; version=0.0.4; charset=utf-8",
                m.headers().firstValue("content-type").orElse(""));
        java.util.regex.Pattern sample = java.util.regex.Pattern.compile(
                "(xapi_(host|vm|sr)_[a-zA-Z0-9_:]+)\\{uuid=\"([0-9a-f-]{36})\"\\} (NaN|[-+]?Inf|[-0-9.Ee]+)");
        java.util.Set<String> typed = new java.util.HashSet<>();
        String current = null;
        Map<String, Double> values = new java.util.HashMap<>();
        for (String line : m.body().split("\n")) {
            if (line.startsWith("# TYPE ")) {
                String[] w = line.split(" ");
                assertEquals("gauge", w[3], line);
                assertTrue(typed.add(w[2]), "one group per metric: " + w[2]);
                current = w[2];
                continue;
            }
            var x = sample.matcher(line);
            assertTrue(x.matches(), line);
            assertEquals(current, x.group(1), "a sample under its own TYPE line");
            values.put(
                    x.group(1) + "/" + x.group(3),
                    x.group(4).equals("NaN") ? Double.NaN : Double.parseDouble(x.group(4)));
        }
        double cpu = values.get("xapi_host_cpu_avg/" + hostUuid);
        assertTrue(cpu >= 0 && cpu <= 1, "host cpu_avg " + cpu);
        assertTrue(values.get("xapi_vm_memory/" + vmUuid) > 0, "the VM's memory");
        assertTrue(
                values.keySet().stream().anyMatch(k -> k.startsWith("xapi_sr_io_throughput_read/")),
                "the plugged SR's throughput: " + values.keySet());
        // a scraper's basic authentication, and none
        String basic = java.util.Base64.getEncoder()
                .encodeToString(("root:" + host.password()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        HttpResponse<String> scraped = HTTP.send(
                HttpRequest.newBuilder(host.uri("/metrics"))
                        .header("Authorization", "Basic " + basic)
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, scraped.statusCode());
        assertEquals(401, get("/metrics", null).statusCode());
    }

    @Test
    void wholeRrds() throws Exception {
        HttpResponse<String> h = get("/host_rrd?session_id=" + session, null);
        assertEquals(200, h.statusCode());
        assertTrue(
                h.body()
                        .startsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rrd><version>0003</version>"
                                + "<step>5</step><lastupdate>"),
                h.body().substring(0, 200));
        assertTrue(h.body().contains("<ds><name>cpu_avg</name><type>DERIVE</type>"), "host sources");
        assertTrue(h.body().contains("<rra><cf>MAX</cf><pdp_per_row>17280</pdp_per_row>"), "the year's MAX");
        HttpResponse<String> v = get("/vm_rrd?session_id=" + session + "&uuid=" + vmUuid + "&json=true", null);
        assertEquals(200, v.statusCode());
        JsonNode json = JSON.readTree(v.body());
        assertEquals("5", json.get("step").asText());
        assertEquals(4, json.get("rra").size(), "a VM has AVERAGE archives unless the pool asks for MIN and MAX");
        assertEquals(
                404,
                get("/vm_rrd?session_id=" + session + "&uuid=" + java.util.UUID.randomUUID(), null)
                        .statusCode());
        assertEquals(400, get("/vm_rrd?session_id=" + session, null).statusCode());
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> sources(String method, String self) {
        return (List<Map<String, Object>>) host.ok(method, session, self);
    }

    static Map<String, Object> source(String method, String self, String name) {
        return sources(method, self).stream()
                .filter(s -> s.get("name_label").equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError(name + " in " + sources(method, self)));
    }

    @Test
    void dataSourceMessages() throws Exception {
        String hostRef = host.server.services().hostRef();
        Map<String, Object> avg = source("host.get_data_sources", hostRef, "cpu_avg");
        assertEquals(true, avg.get("enabled"));
        assertEquals(true, avg.get("standard"));
        assertEquals("(fraction)", avg.get("units"));
        assertEquals(1.0, avg.get("max"));
        assertEquals(0.0, avg.get("value"), "Xapi leaves the value at 0");
        // Xapi's XML-RPC writes an unbounded max as %.16g does: inf (the Citrix SDK cannot read it, as with Xapi)
        String wire = HTTP.send(
                        HttpRequest.newBuilder(host.uri("/"))
                                .POST(HttpRequest.BodyPublishers.ofString("<?xml version=\"1.0\"?><methodCall>"
                                        + "<methodName>host.get_data_sources</methodName><params><param><value>"
                                        + session + "</value></param><param><value>" + hostRef
                                        + "</value></param></params></methodCall>"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        assertTrue(wire.contains("<name>max</name><value><double>inf</double></value>"), wire);
        Host h = com.xensource.xenapi.Types.toHost(hostRef);
        double total = h.queryDataSource(c, "memory_total_kib");
        assertTrue(total > 0, "memory_total_kib " + total);
        List<String> err = new RawConnection(LifecycleSupport.url(host))
                .failure("host.query_data_source", session, hostRef, "no_such_ds");
        assertEquals("INTERNAL_ERROR", err.get(0), err.toString());
        assertTrue(err.get(1).contains("Invalid_data_source"), err.toString());

        assertEquals(
                true,
                source("VM.get_data_sources", vm.toWireString(), "vif_0_tx").get("enabled"));
        double cpu = vm.queryDataSource(c, "cpu0");
        assertTrue(cpu >= 0 && cpu <= 1, "cpu0 " + cpu);
        vm.forgetDataSourceArchives(c, "memory_target");
        assertEquals(
                false,
                source("VM.get_data_sources", vm.toWireString(), "memory_target")
                        .get("enabled"),
                "forgotten: still offered, no longer recorded");
        vm.recordDataSource(c, "memory_target");
        assertEquals(
                true,
                source("VM.get_data_sources", vm.toWireString(), "memory_target")
                        .get("enabled"));
        List<String> missing = new RawConnection(LifecycleSupport.url(host))
                .failure("VM.record_data_source", session, vm.toWireString(), "no_such_ds");
        assertEquals(
                List.of("INTERNAL_ERROR", "Rrd_interface.Rrdd_error([S(Datasource_missing);S(no_such_ds)])"), missing);
        assertTrue(h.getServerLocaltime(c).getTime() > 0);
    }

    @Test
    void backupRrdsArchivesTheRunningVmsRrdAfterItsDelay() throws Exception {
        Path file = dir.resolve("rrds").resolve(vmUuid + ".gz");
        Files.deleteIfExists(file);
        com.xensource.xenapi.Host h = com.xensource.xenapi.Host.getByUuid(c, hostUuid);
        h.backupRrds(c, 2.0);
        assertFalse(Files.exists(file), "not before its delay");
        PoolHost.await("the running VM's RRD archived", Duration.ofSeconds(20), () -> Files.exists(file));
        assertTrue(Files.size(file) > 0);
    }

    @Test
    @org.junit.jupiter.api.Order(100) // restarts the host: last
    void archivesOutliveTheVmAndARestart() throws Exception {
        VM other = LifecycleSupport.newVm(host, c, "archived");
        other.start(c, false, false);
        String uuid = other.getUuid(c);
        awaitSamples(3);
        other.hardShutdown(c);
        awaitSamples(2);
        assertTrue(Files.exists(dir.resolve("rrds").resolve(uuid + ".gz")), "archived when it stopped running");
        HttpResponse<String> fromArchive = get("/vm_rrd?session_id=" + session + "&uuid=" + uuid, null);
        assertEquals(200, fromArchive.statusCode(), "a halted VM's RRD is read from its archive");
        assertTrue(fromArchive.body().contains("<name>cpu0</name>"));

        String before = get("/host_rrd?session_id=" + session, null).body();
        host.close();
        host = null;
        String archived = new String(
                new java.util.zip.GZIPInputStream(
                                Files.newInputStream(dir.resolve("rrds").resolve(hostUuid + ".gz")))
                        .readAllBytes(),
                StandardCharsets.UTF_8);
        String lastUpdate = before.replaceAll("(?s).*?<lastupdate>(\\d+)</lastupdate>.*", "$1");
        assertTrue(archived.contains("<lastupdate>"), "the host's RRD archived at shutdown");
        clock = new org.xapijava.server.MutableClock(clock.instant().plusSeconds(5));
        host = TestHost.startAt(dir, clock, flags());
        c = LifecycleSupport.login(host);
        session = c.getSessionReference();
        String after = get("/host_rrd?session_id=" + session, null).body();
        String restored = after.replaceAll("(?s).*?<lastupdate>(\\d+)</lastupdate>.*", "$1");
        assertTrue(Long.parseLong(restored) >= Long.parseLong(lastUpdate), "restored, then sampled on");
        // the rows of before the restart are still there: the minute archive of cpu_avg kept its values
        awaitSamples(2);
        after = get("/host_rrd?session_id=" + session, null).body();
        assertTrue(countKnown(after, 0) >= countKnown(before, 0), "the 5 s rows of before the restart are kept");
    }

    /** Known (not NaN) values in the rows of the {@code n}th archive of a dump. */
    static int countKnown(String dump, int n) {
        String[] rras = dump.split("<rra>");
        String db = rras[n + 1].replaceAll("(?s).*<database>", "");
        int known = 0;
        for (String v : db.split("<v>")) if (!v.startsWith("NaN") && v.contains("</v>")) known++;
        return known;
    }
}
