package org.xapijava.storage.smapiv1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.storage.SmError;
import org.xapijava.storage.StorageException;

class Smapiv1ExecutorTest {
    @TempDir
    Path dir;

    Path driver;
    Smapiv1Executor exec;

    @BeforeEach
    void setUp() throws Exception {
        driver = ScriptedPlugins.install(dir, "ScriptSR");
        exec = new Smapiv1Executor(
                new Smapiv1Executor.Config(Path.of("/tmp/test-xapi.sock"), Duration.ofSeconds(20), 16 << 20, 1 << 20));
    }

    private Smapiv1Call call(String command, Map<String, String> dc) {
        return Smapiv1Call.builder("OpaqueRef:host", command, List.of("a1", "a2"))
                .deviceConfig(dc)
                .sessionRef("OpaqueRef:sess")
                .sr("OpaqueRef:sr", "sr-uuid")
                .vdi("OpaqueRef:vdi", "loc", "vdi-uuid", "persist", false)
                .build();
    }

    private StorageException fails(Map<String, String> dc) {
        return assertThrows(StorageException.class, () -> exec.exec(driver, call("vdi_attach", dc)));
    }

    private static List<String> desc(StorageException e) {
        return e.xapiError().description();
    }

    @Test
    @SuppressWarnings("unchecked")
    void pluginReceivesArgvEnvironmentAndStruct() throws Exception {
        Path out = dir.resolve("echo.json");
        Smapiv1Call c = call("vdi_attach", Map.of("mode", "echo", "out", out.toString()));
        Object r = exec.exec(driver, c);
        assertEquals(Map.of("uuid", "u-1", "location", "loc-1"), r);
        Map<String, Object> got = new ObjectMapper().readValue(out.toFile(), Map.class);
        assertEquals(List.of(c.toXml()), got.get("argv"));
        Map<String, String> env = new LinkedHashMap<>((Map<String, String>) got.get("env"));
        env.remove("PWD"); // python's os.environ never adds it, but be safe across versions
        env.remove("LC_CTYPE"); // python may coerce the C locale
        assertEquals(
                Map.of(
                        "PATH", "/sbin:/usr/sbin:/bin:/usr/bin",
                        "ORIGINATOR", "SM",
                        "XAPI_UNIX_SOCKET", "/tmp/test-xapi.sock"),
                env);
        Map<String, Object> s = (Map<String, Object>) got.get("struct");
        assertEquals("vdi_attach", got.get("command"));
        assertEquals("OpaqueRef:sess", s.get("session_ref"));
        assertEquals(List.of("a1", "a2"), s.get("args"));
        assertEquals("false", s.get("vdi_allow_caching"));
        assertEquals("", got.get("stdin"));
        // the driver leads its own session and process group
        assertEquals(got.get("pid"), got.get("pgid"));
        assertEquals(got.get("pid"), got.get("sid"));
    }

    @Test
    void namedFaults() {
        assertEquals(List.of("SR_NOT_EMPTY"), desc(fails(Map.of("mode", "fault", "code", "39"))));
        assertEquals(List.of("VDI_IN_USE"), desc(fails(Map.of("mode", "fault", "code", "24"))));
        assertEquals(List.of("SR_DEVICE_IN_USE"), desc(fails(Map.of("mode", "fault", "code", "16"))));
        assertEquals(
                List.of("VDI_MISSING", "OpaqueRef:sr", "OpaqueRef:vdi"),
                desc(fails(Map.of("mode", "fault", "code", "144"))));
        StorageException unimpl = fails(Map.of("mode", "fault", "code", "38"));
        assertEquals(SmError.UNIMPLEMENTED, unimpl.error());
        assertNull(unimpl.xapiError());
    }

    @Test
    void otherFaultsAreBackendFailures() {
        StorageException e = fails(Map.of("mode", "fault", "code", "46", "text", "The VDI is not available"));
        assertEquals(List.of("SR_BACKEND_FAILURE_46", "", "The VDI is not available", "driver stderr"), desc(e));
        assertEquals(SmError.VDI_UNAVAILABLE, e.error());
        assertEquals(
                List.of("SR_BACKEND_FAILURE_222", "", "it failed", "driver stderr"),
                desc(fails(Map.of("mode", "fault", "code", "222"))));
    }

    @Test
    void badXml() {
        List<String> d = desc(fails(Map.of("mode", "badxml")));
        assertEquals("SR_BACKEND_FAILURE", d.get(0));
        assertFalse(d.get(1).isEmpty());
        assertEquals("this is <not xml", d.get(2));
        assertEquals("oops", d.get(3));
    }

    @Test
    void nonZeroExit() {
        assertEquals(
                List.of("SR_BACKEND_FAILURE", "non-zero exit", "some output", "some error"),
                desc(fails(Map.of("mode", "exit"))));
    }

    @Test
    void killedBySignal() {
        assertEquals(
                List.of("SR_BACKEND_FAILURE", "received signal: SIGTERM", "partial", ""),
                desc(fails(Map.of("mode", "signal"))));
    }

    @Test
    void wrongResultShape() {
        List<String> unexpected = List.of("INTERNAL_ERROR", "Unexpected response from SM plugin");
        assertEquals(unexpected, desc(fails(Map.of("mode", "twoparams"))));
        assertEquals(unexpected, desc(fails(Map.of("mode", "noparams"))));
        // a fault without a code is a parse failure
        List<String> d = desc(fails(Map.of(
                "mode",
                "raw",
                "xml",
                "<methodResponse><fault><value><struct><member><name>x</name><value>1</value></member>"
                        + "</struct></value></fault></methodResponse>")));
        assertEquals("SR_BACKEND_FAILURE", d.get(0));
    }

    @Test
    void rawResultsAreReturned() {
        assertNull(exec.exec(
                driver,
                call(
                        "vdi_detach",
                        Map.of(
                                "mode",
                                "raw",
                                "xml",
                                "<methodResponse><params><param><value><nil/></value></param>"
                                        + "</params></methodResponse>"))));
        assertEquals(
                "<SRlist/>",
                exec.exec(
                        driver,
                        call(
                                "sr_probe",
                                Map.of(
                                        "mode",
                                        "raw",
                                        "xml",
                                        "<methodResponse><params><param><value>&lt;SRlist/&gt;"
                                                + "</value></param></params></methodResponse>"))));
    }

    @Test
    void hugeOutputKillsThePlugin() {
        List<String> d = desc(fails(Map.of("mode", "huge", "mib", "40")));
        assertEquals("SR_BACKEND_FAILURE", d.get(0));
        assertEquals("stdout over 16777216 bytes", d.get(1));
        List<String> e = desc(fails(Map.of("mode", "hugeerr", "mib", "3")));
        assertEquals("stderr over 1048576 bytes", e.get(1));
    }

    @Test
    void hangingPluginAndItsChildAreKilledAtTimeout() throws Exception {
        exec = new Smapiv1Executor(new Smapiv1Executor.Config(null, Duration.ofSeconds(2), 1 << 20, 1 << 20));
        Path out = dir.resolve("child.pid");
        long t0 = System.nanoTime();
        List<String> d = desc(fails(Map.of("mode", "hang", "out", out.toString())));
        assertEquals(List.of("SR_BACKEND_FAILURE", "timed out after 2 s", "", ""), d);
        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(15).toNanos());
        for (String pid : Files.readString(out).trim().split(" ")) {
            long child = Long.parseLong(pid);
            for (int i = 0; i < 100 && alive(child); i++) Thread.sleep(50);
            assertFalse(alive(child), "descendant " + child);
        }
    }

    @Test
    void aChildHoldingThePipesDoesNotHoldTheCall() throws Exception {
        Path out = dir.resolve("daemon.pid");
        long t0 = System.nanoTime();
        try {
            assertEquals(
                    "done",
                    exec.exec(driver, call("vdi_attach", Map.of("mode", "daemonchild", "out", out.toString()))));
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(15).toNanos());
        } finally {
            ProcessHandle.of(Long.parseLong(Files.readString(out).trim())).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void attachDetachAndProbeAreSerialized() throws Exception {
        Path out = dir.resolve("times.txt");
        Map<String, String> dc = Map.of("mode", "sleep", "seconds", "0.4", "out", out.toString());
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<Object>> fs = new ArrayList<>();
            for (String c : List.of("sr_attach", "sr_detach", "sr_probe")) {
                fs.add(pool.submit(() -> exec.exec(driver, call(c, dc))));
            }
            for (Future<Object> f : fs) f.get();
        } finally {
            pool.shutdown();
        }
        List<double[]> spans = new ArrayList<>();
        for (String line : Files.readAllLines(out)) {
            String[] p = line.split(" ");
            spans.add(new double[] {Double.parseDouble(p[1]), Double.parseDouble(p[2])});
        }
        assertEquals(3, spans.size());
        spans.sort((a, b) -> Double.compare(a[0], b[0]));
        for (int i = 1; i < spans.size(); i++) {
            assertTrue(spans.get(i)[0] >= spans.get(i - 1)[1], "overlap: " + line(spans));
        }
    }

    @Test
    void otherCommandsRunInParallel() throws Exception {
        Path out = dir.resolve("times2.txt");
        Map<String, String> dc = Map.of("mode", "sleep", "seconds", "1.5", "out", out.toString());
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Object> a = pool.submit(() -> exec.exec(driver, call("vdi_attach", dc)));
            Future<Object> b = pool.submit(() -> exec.exec(driver, call("vdi_detach", dc)));
            a.get();
            b.get();
        } finally {
            pool.shutdown();
        }
        List<double[]> spans = new ArrayList<>();
        for (String line : Files.readAllLines(out)) {
            String[] p = line.split(" ");
            spans.add(new double[] {Double.parseDouble(p[1]), Double.parseDouble(p[2])});
        }
        spans.sort((x, y) -> Double.compare(x[0], y[0]));
        assertTrue(spans.get(1)[0] < spans.get(0)[1], "no overlap: " + line(spans));
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private static String line(List<double[]> spans) {
        StringBuilder b = new StringBuilder();
        for (double[] s : spans) b.append(String.format("[%.3f,%.3f] ", s[0], s[1]));
        return b.toString();
    }
}
