package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.rpc.RpcResponse;
import org.xapijava.model.xmlrpc.XmlRpcReader;
import org.xapijava.model.xmlrpc.XmlRpcWriter;

/**
 * The real launcher ({@code org.xapijava.server.Main}) in a child JVM: its one ready line on
 * standard output, a change made over HTTP, a clean stop on SIGTERM, and a restart on the same data
 * directory that still has the change.
 */
class LauncherTest {
    /** The whole ready line; group 1 the port, group 2 the password. */
    private static final Pattern READY =
            Pattern.compile("xapi ready: http://127\\.0\\.0\\.1:(\\d+) user=root password=(\\S+)");
    /** Generous bound for a JVM to start or stop on a loaded 2-core machine. */
    private static final long START_STOP_SECONDS = 60;

    @TempDir
    Path dir;

    /** A running child: the process, the ready line's port and password, and its standard output so far. */
    private record Child(Process process, int port, String password, BufferedReader stdout, Path stderr) {}

    private Child launch(Path dataDir, String tag) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // surefire runs tests from a manifest-only jar; its property holds the real class path
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path stderr = dir.resolve("stderr-" + tag + ".txt");
        ProcessBuilder pb = new ProcessBuilder(
                        java,
                        "-cp",
                        cp,
                        "org.xapijava.server.Main",
                        "--data-dir",
                        dataDir.toString(),
                        "--http-port",
                        "0",
                        "--https-port",
                        "0")
                .redirectError(stderr.toFile());
        Process p = pb.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        String line;
        try {
            line = first.get(START_STOP_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            p.destroyForcibly();
            throw new AssertionError("no ready line; stderr:\n" + Files.readString(stderr), e);
        }
        assertNotNull(line, () -> "stdout closed; stderr:\n" + read(stderr));
        Matcher m = READY.matcher(line);
        assertTrue(m.matches(), "ready line: " + line);
        return new Child(p, Integer.parseInt(m.group(1)), m.group(2), out, stderr);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** SIGTERM, then the exit status and whatever else the child wrote on standard output. */
    private static List<String> stop(Child c) throws Exception {
        // SIGTERM through the process handle: Process.destroy() would also close our end of its stdout
        assertTrue(c.process().toHandle().destroy(), "SIGTERM not sent");
        assertTrue(c.process().waitFor(START_STOP_SECONDS, TimeUnit.SECONDS), "still running after SIGTERM");
        int rc = c.process().exitValue();
        // the JVM reports death by SIGTERM as 128 + 15 once its shutdown hooks have run
        assertTrue(rc == 0 || rc == 143, "exit status " + rc + "; stderr:\n" + read(c.stderr()));
        List<String> rest = new ArrayList<>();
        for (String l = c.stdout().readLine(); l != null; l = c.stdout().readLine()) rest.add(l);
        return rest;
    }

    private static Object call(int port, String method, Object... params) throws Exception {
        try (RawHttp c = new RawHttp(port)) {
            c.send(RawHttp.post("/", "text/xml", XmlRpcWriter.call(method, List.of(params))));
            RawHttp.Reply r = c.read();
            assertEquals(200, r.status());
            RpcResponse rr = XmlRpcReader.RESPONSES.readResponse(r.body());
            assertTrue(rr.success(), method + ": " + rr.contents());
            return rr.contents();
        }
    }

    @Test
    void readyLineLoginChangeSigtermAndRestartKeepsTheChange() throws Exception {
        Path data = dir.resolve("data");
        Child c = launch(data, "first");
        String label = "launcher test " + System.nanoTime();
        try {
            String s = (String) call(c.port(), "session.login_with_password", "root", c.password(), "2.14");
            String pool = (String) ((List<?>) call(c.port(), "pool.get_all", s)).get(0);
            call(c.port(), "pool.set_name_label", s, pool, label);
            assertEquals(label, call(c.port(), "pool.get_name_label", s, pool));
        } catch (Throwable t) {
            c.process().destroyForcibly();
            throw t;
        }
        assertEquals(List.of(), stop(c), "exactly one line on standard output");
        assertTrue(read(c.stderr()).contains("xapi stopped"), read(c.stderr()));

        Child again = launch(data, "second");
        try {
            String s = (String) call(again.port(), "session.login_with_password", "root", again.password(), "2.14");
            String pool = (String) ((List<?>) call(again.port(), "pool.get_all", s)).get(0);
            assertEquals(label, call(again.port(), "pool.get_name_label", s, pool));
        } finally {
            assertEquals(List.of(), stop(again));
        }
    }

    @Test
    void badArgumentsExitWithUsageAndNoReadyLine() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder(java, "-cp", cp, "org.xapijava.server.Main", "--no-such-option", "1")
                .redirectErrorStream(true)
                .start();
        String all = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(START_STOP_SECONDS, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), all);
        assertTrue(all.contains("usage: xapi"), all);
        assertNull(READY.matcher(all).find() ? all : null);
    }
}
