package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VM;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.MutableClock;
import org.xapijava.server.TestHost;

/**
 * RRDs follow their VMs through a pool of two in-process hosts (master on 127.0.0.2, member on 127.0.0.3, one HTTP
 * port), both sampling every 50 ms on one clock the test moves by 5 s: a migration ({@code VM.pool_migrate}, {@code
 * host.evacuate}) sends the VM's RRD to the destination ({@code PUT /rrd?uuid=}), a halt archives it on the master
 * (from the member over {@code PUT /rrd?archive=true}), a start on either host resumes from that archive (the master
 * sends it to the member), and the member's own RRD is backed up to the master. Between two moves of the clock no
 * sample is taken, so an RRD read just before a move and just after must hold the same rows.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class PoolRrdTest {
    @TempDir
    static Path dirA;

    @TempDir
    static Path dirB;

    static MutableClock clock;
    static TestHost master;
    static TestHost member;
    static Connection c;
    static String session;
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();

    static String[] flags(String... more) {
        List<String> f = new ArrayList<>(List.of(
                "--rrd-sample-period-ms",
                "50",
                "--rrd-backup-interval-seconds",
                "30",
                // the test's clock runs minutes ahead of the heartbeats: no host declared dead meanwhile
                "--host-assumed-dead-seconds",
                "100000"));
        f.addAll(List.of(more));
        return f.toArray(String[]::new);
    }

    @BeforeAll
    static void start() throws Exception {
        clock = new MutableClock(java.time.Instant.now());
        String port = Integer.toString(PoolHost.freePort());
        master = TestHost.startAt(dirA, clock, flags("--bind", "127.0.0.2", "--http-port", port));
        Files.writeString(dirB.resolve("pool.conf"), "slave:127.0.0.2");
        member = startMember(port);
        c = LifecycleSupport.login(master);
        session = c.getSessionReference();
    }

    static TestHost startMember(String port) throws Exception {
        return TestHost.startAt(
                dirB,
                clock,
                flags(
                        "--bind",
                        "127.0.0.3",
                        "--http-port",
                        port,
                        "--pool-secret",
                        dirA.resolve("ptoken").toString()));
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (member != null) member.close();
        } finally {
            if (master != null) master.close();
        }
    }

    @AfterEach
    void tidy() throws Exception {
        for (VM vm : VM.getAll(c)) {
            VM.Record r = vm.getRecord(c);
            if (!r.isControlDomain && !r.isATemplate && r.powerState == Types.VmPowerState.RUNNING) vm.hardShutdown(c);
        }
    }

    private static Host hostA() {
        return Types.toHost(master.server.services().hostRef());
    }

    private static Host hostB() {
        return Types.toHost(member.server.services().hostRef());
    }

    /** Moves the clock {@code steps} times by 5 s, each time until both hosts took their sample. */
    static void awaitSamples(int steps) throws InterruptedException {
        for (int i = 0; i < steps; i++) {
            var a = master.server.statistics().sampler();
            var b = member.server.statistics().sampler();
            long sa = a.samples();
            long sb = b.samples();
            clock.advance(Duration.ofSeconds(5));
            assertTrue(a.awaitSamples(sa + 1, Duration.ofSeconds(20)), "the master sampled");
            assertTrue(b.awaitSamples(sb + 1, Duration.ofSeconds(20)), "the member sampled");
        }
    }

    static HttpResponse<String> get(TestHost h, String pathAndQuery) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(h.uri(pathAndQuery)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The VM's whole RRD as {@code h} serves it ({@code /vm_rrd}); 200 expected. */
    static String vmRrd(TestHost h, String uuid) throws Exception {
        HttpResponse<String> r = get(h, "/vm_rrd?session_id=" + session + "&uuid=" + uuid);
        assertEquals(200, r.statusCode(), "GET /vm_rrd at " + h.server.bindAddress());
        return r.body();
    }

    /**
     * The VM's whole RRD as {@code h} serves it once its history is {@code expected} (an RRD the master sends after a
     * start travels in the background); after 20 s, what {@code h} serves then.
     */
    static String awaitVmRrd(TestHost h, String uuid, List<String> expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            HttpResponse<String> r = get(h, "/vm_rrd?session_id=" + session + "&uuid=" + uuid);
            boolean there = r.statusCode() == 200 && history(r.body()).equals(expected);
            if (there || System.nanoTime() > deadline) {
                assertEquals(200, r.statusCode(), "GET /vm_rrd at " + h.server.bindAddress());
                return r.body();
            }
            Thread.sleep(50);
        }
    }

    /** What a dump holds of history: its last update, its sources, and every archive's rows. */
    static List<String> history(String dump) {
        List<String> out = new ArrayList<>();
        out.add(dump.replaceAll("(?s).*?<lastupdate>(\\d+)</lastupdate>.*", "$1"));
        for (String part : dump.split("<ds>")) {
            if (part.contains("<name>")) out.add(part.replaceAll("(?s).*?<name>\\s*([^<]*?)\\s*</name>.*", "$1"));
        }
        for (String rra : dump.split("<database>")) {
            if (rra.contains("</database>")) out.add(rra.substring(0, rra.indexOf("</database>")));
        }
        return out;
    }

    /** How many known (not NaN) values the VM's {@code cpu0} has in {@code h}'s 5 s rows since {@code start}. */
    static int knownCpuValues(TestHost h, String uuid, long start) throws Exception {
        HttpResponse<String> r = get(
                h,
                "/rrd_updates?session_id=" + session + "&cf=AVERAGE&interval=5&json=true&vm_uuid=" + uuid + "&start="
                        + start);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode json = JSON.readTree(r.body());
        JsonNode legend = json.get("meta").get("legend");
        int column = -1;
        for (int i = 0; i < legend.size(); i++)
            if (legend.get(i).asText().equals("AVERAGE:vm:" + uuid + ":cpu0")) column = i;
        assertTrue(column >= 0, "the VM's cpu0 is served: " + legend);
        int known = 0;
        for (JsonNode row : json.get("data"))
            if (!Double.isNaN(Double.parseDouble(row.get("values").get(column).asText()))) known++;
        return known;
    }

    static long now() {
        return clock.millis() / 1000;
    }

    @Test
    void aMigratedVmKeepsItsHistoryOnTheDestination() throws Exception {
        VM vm = LifecycleSupport.newVm(master, c, "rrd-migrate");
        vm.startOn(c, hostB(), false, false);
        String uuid = vm.getUuid(c);
        long since = now();
        awaitSamples(6);
        String onSource = vmRrd(member, uuid);
        int knownOnSource = knownCpuValues(member, uuid, since);
        assertTrue(knownOnSource >= 4, "values gathered on the member: " + knownOnSource);

        vm.poolMigrate(c, hostA(), Map.of());
        assertEquals(hostA(), vm.getResidentOn(c));
        assertEquals(history(onSource), history(vmRrd(master, uuid)), "the destination holds the source's rows");
        assertFalse(member.server.statistics().rrds().hasVm(uuid), "the source no longer keeps it");
        // the member now sends readers of the VM's RRD to the host it runs on
        HttpResponse<String> moved = get(member, "/vm_rrd?session_id=" + session + "&uuid=" + uuid);
        assertEquals(302, moved.statusCode());
        assertTrue(moved.headers().firstValue("location").orElse("").contains("127.0.0.2"));

        awaitSamples(3);
        int knownAfter = knownCpuValues(master, uuid, since);
        assertTrue(
                knownAfter >= knownOnSource + 2,
                "the rows of the source and the destination's own: " + knownOnSource + " then " + knownAfter);
    }

    @Test
    void anEvacuatedVmsRrdFollowsIt() throws Exception {
        VM vm = LifecycleSupport.newVm(master, c, "rrd-evacuate");
        vm.startOn(c, hostB(), false, false);
        String uuid = vm.getUuid(c);
        awaitSamples(4);
        String onSource = vmRrd(member, uuid);
        hostB().evacuate(c);
        assertEquals(hostA(), vm.getResidentOn(c));
        assertEquals(history(onSource), history(vmRrd(master, uuid)));
    }

    @Test
    void aHaltedVmIsArchivedOnTheMasterAndResumesFromItOnEitherHost() throws Exception {
        VM vm = LifecycleSupport.newVm(master, c, "rrd-halt");
        vm.startOn(c, hostB(), false, false);
        String uuid = vm.getUuid(c);
        long since = now();
        awaitSamples(5);
        String running = vmRrd(member, uuid);

        // halted on the member: its RRD goes to the master's archive, not the member's
        vm.hardShutdown(c);
        Path onMaster = dirA.resolve("rrds").resolve(uuid + ".gz");
        assertTrue(Files.exists(onMaster), "archived on the master");
        assertFalse(Files.exists(dirB.resolve("rrds").resolve(uuid + ".gz")), "not on the member");
        assertEquals(history(running), history(unzip(onMaster)));
        assertEquals(history(running), history(vmRrd(master, uuid)), "the master serves the archive");
        // the member sends readers of a halted VM's RRD to the master's archive
        HttpResponse<String> toMaster = get(member, "/vm_rrd?session_id=" + session + "&uuid=" + uuid);
        assertEquals(302, toMaster.statusCode());
        String location = toMaster.headers().firstValue("location").orElse("");
        assertTrue(location.contains("127.0.0.2") && location.contains("rrd_unarchive="), location);

        // started on the member again: the master sends it the archive (in the background, after the call)
        vm.startOn(c, hostB(), false, false);
        assertEquals(history(running), history(awaitVmRrd(member, uuid, history(running))), "resumed from the archive");
        awaitSamples(2);
        assertTrue(knownCpuValues(member, uuid, since) >= 6, "the rows of the first run and of the second");

        // halted, then started on the master: read from its own archive at its first sample
        vm.hardShutdown(c);
        String second = unzip(onMaster);
        vm.startOn(c, hostA(), false, false);
        awaitSamples(1);
        String resumed = vmRrd(master, uuid);
        List<String> h = history(resumed);
        assertTrue(Long.parseLong(h.getFirst()) > Long.parseLong(history(second).getFirst()), "sampled on");
        assertTrue(knownCpuValues(master, uuid, since) >= 7, "every run's rows");

        // destroyed: its archive goes (remove_rrd)
        vm.hardShutdown(c);
        assertTrue(Files.exists(onMaster));
        vm.destroy(c);
        assertFalse(Files.exists(onMaster), "the archive went with the VM");
    }

    @Test
    void aStartDoesNotWaitForTheRrdToReachAMemberThatDoesNotAnswer() throws Exception {
        VM vm = LifecycleSupport.newVm(master, c, "rrd-silent-member");
        vm.startOn(c, hostB(), false, false);
        String uuid = vm.getUuid(c);
        awaitSamples(2);
        vm.hardShutdown(c);
        assertTrue(Files.exists(dirA.resolve("rrds").resolve(uuid + ".gz")), "archived on the master");
        vm.startOn(c, hostB(), false, false);

        // the member's address now leads to a socket that takes the PUT and never answers (Xapi's call waits 30 s)
        org.xapijava.db.Database db = master.server.services().db();
        String memberRef = member.server.services().hostRef();
        List<Socket> held = new CopyOnWriteArrayList<>();
        CompletableFuture<String> requestLine = new CompletableFuture<>();
        try (ServerSocket silent = new ServerSocket(master.port(), 50, InetAddress.getByName("127.0.0.77"))) {
            Thread.ofVirtual().start(() -> {
                try {
                    Socket s = silent.accept();
                    held.add(s);
                    var in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                    requestLine.complete(in.readLine());
                } catch (IOException e) {
                    requestLine.completeExceptionally(e);
                }
            });
            db.set(memberRef, org.xapijava.model.api.Host.ADDRESS, "127.0.0.77");
            try {
                long start = System.nanoTime();
                master.server.statistics().forwarded("VM.start", List.of(vm.toWireString(), false, false));
                long ms = Duration.ofNanos(System.nanoTime() - start).toMillis();
                assertTrue(ms < 2_000, "the forwarding layer's hook returned in " + ms + " ms");
                String line = requestLine.get(20, TimeUnit.SECONDS);
                assertTrue(line.startsWith("PUT /rrd?uuid=" + uuid + " "), line);
            } finally {
                db.set(memberRef, org.xapijava.model.api.Host.ADDRESS, "127.0.0.3");
                for (Socket s : held) s.close(); // the waiting push fails (logged)
            }
        }
    }

    @Test
    void theMembersOwnRrdIsBackedUpToTheMaster() throws Exception {
        String memberUuid = member.server.statistics().rrds().hostUuid();
        awaitSamples(7); // past the 30 s backup interval
        Path onMaster = dirA.resolve("rrds").resolve(memberUuid + ".gz");
        assertTrue(Files.exists(onMaster), "the member's RRD backed up on the master");
        // what a member asks at its start when it has no archive of its own (dbsync)
        HttpResponse<String> r = get(master, "/host_rrd?session_id=" + session + "&dbsync=true&uuid=" + memberUuid);
        assertEquals(200, r.statusCode());
        assertEquals(history(unzip(onMaster)).subList(1, 3), history(r.body()).subList(1, 3));
        assertTrue(r.body().contains("<name>cpu_avg</name>"));
        assertEquals(
                400,
                get(master, "/host_rrd?session_id=" + session + "&dbsync=true").statusCode());
        assertEquals(
                404,
                get(master, "/host_rrd?session_id=" + session + "&dbsync=true&uuid=no-such-host")
                        .statusCode());
    }

    @Test
    @org.junit.jupiter.api.Order(Integer.MAX_VALUE) // restarts the member: last (unordered tests come first)
    void aMemberWithoutItsOwnArchiveReadsTheMastersAtItsStart() throws Exception {
        String memberUuid = member.server.statistics().rrds().hostUuid();
        awaitSamples(2);
        String port = Integer.toString(member.port());
        member.close(); // sends its RRD to the master (send_host_rrd_to_master), and writes it locally
        member = null;
        String kept = unzip(dirA.resolve("rrds").resolve(memberUuid + ".gz"));
        Files.delete(dirB.resolve("rrds").resolve(memberUuid + ".gz"));
        member = startMember(port);
        HttpResponse<String> r = get(member, "/host_rrd?session_id=" + session);
        assertEquals(200, r.statusCode());
        assertEquals(history(kept), history(r.body()), "read from the master at its start");
    }

    static String unzip(Path gz) throws Exception {
        try (var in = new GZIPInputStream(Files.newInputStream(gz))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
