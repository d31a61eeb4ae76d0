package org.xapijava.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a script of {@code src/test/resources/xo} with Xen Orchestra's own client (npm {@code xen-api}, installed by
 * {@code scripts/setup-test-system} into {@code .test-deps/xo}) and answers the JSON line it printed last.
 */
public final class XoClient {
    public static final Path XO =
            Path.of("..", ".test-deps", "xo").toAbsolutePath().normalize();

    private XoClient() {}

    /** Fails clearly when the client is not installed. */
    public static void requireInstalled() {
        if (!Files.exists(XO.resolve("node_modules/xen-api/package.json"))) {
            throw new IllegalStateException(
                    "Xen Orchestra's client is missing in " + XO + ": run scripts/setup-test-system");
        }
    }

    /**
     * {@code node <script> <args>} in the client's directory; fails the test when it does not end within 90 s or
     * ends with another status than 0 (its whole output in the message).
     */
    public static JsonNode run(String script, String... args) throws Exception {
        requireInstalled();
        try (InputStream in = XoClient.class.getResourceAsStream("/xo/" + script)) {
            Files.copy(in, XO.resolve(script), StandardCopyOption.REPLACE_EXISTING);
        }
        List<String> command = new ArrayList<>(List.of("node", script));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command)
                .directory(XO.toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(90, TimeUnit.SECONDS), "client did not stop");
        assertEquals(0, p.exitValue(), out);
        String last = out.strip().lines().reduce((a, b) -> b).orElse("");
        System.out.println(script + ": " + last);
        return new ObjectMapper().readTree(last);
    }
}
