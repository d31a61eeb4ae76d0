package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;

/**
 * The unit tests of the project's Python {@code XenAPI} module ({@code scripts/python/test_XenAPI.py}, run with
 * {@code python3 -m unittest}) against an in-process host: HTTP, HTTPS with {@code ignore_ssl}, the Unix socket
 * ({@code xapi_local}), {@code Failure} details, {@code Async.} calls and session renewal.
 */
class XenApiPyTest {
    static final Path PYTHON =
            Path.of("..", "scripts", "python").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    @Test
    void xenApiModuleUnitTests() throws Exception {
        assertTrue(Files.exists(PYTHON.resolve("XenAPI.py")), "missing " + PYTHON.resolve("XenAPI.py"));
        try (TestHost h = TestHost.start(dir.resolve("host"))) {
            ProcessBuilder pb = new ProcessBuilder(
                            List.of("python3", "-m", "unittest", "discover", "-v", "-s", ".", "-p", "test_*.py"))
                    .directory(PYTHON.toFile())
                    .redirectErrorStream(true);
            pb.environment()
                    .putAll(Map.of(
                            "XAPI_TEST_URL", h.uri("/").toString(),
                            "XAPI_TEST_HTTPS_URL", "https://127.0.0.1:" + h.server.httpsPort() + "/",
                            "XAPI_TEST_PASSWORD", h.password(),
                            "XAPI_TEST_SOCKET", h.dir.resolve("xapi.sock").toString(),
                            "PYTHONDONTWRITEBYTECODE", "1"));
            pb.environment().remove("XAPI_UNIX_SOCKET");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "python3 -m unittest did not stop");
            assertEquals(0, p.exitValue(), out);
            assertTrue(out.contains("OK") && !out.contains("skipped"), out);
        }
    }
}
