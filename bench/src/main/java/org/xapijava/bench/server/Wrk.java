package org.xapijava.bench.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The load generator of the out-of-process benchmarks: {@code wrk} (a C program, so that the driver takes as
 * little of the two cores as possible), posting one fixed request body on keep-alive connections. A run that saw
 * a socket error or a non-2xx answer is refused, so a failing server cannot look fast.
 */
final class Wrk {
    private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern P99 = Pattern.compile("\\n\\s+99%\\s+([0-9.]+)(us|ms|s)");

    private final Path script;
    private final int connections;
    private final int threads;

    /** One wrk run: calls per second and the 99th percentile latency in milliseconds. */
    record Run(double perSecond, double p99Millis) {}

    Wrk(String contentType, byte[] body, int connections, int threads) throws IOException {
        this.connections = connections;
        this.threads = threads;
        script = Files.createTempFile("bench-wrk-", ".lua");
        String lua = "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"" + contentType + "\"\nwrk.body = "
                + luaString(new String(body, StandardCharsets.UTF_8)) + "\n";
        Files.writeString(script, lua);
    }

    /** Whether {@code wrk} is on the PATH. */
    static boolean available() {
        try {
            return new ProcessBuilder("wrk", "--version").start().waitFor() >= 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    Run run(InetSocketAddress a, Duration d) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(
                        "wrk",
                        "-t" + threads,
                        "-c" + connections,
                        "-d" + d.toSeconds() + "s",
                        "--latency",
                        "-s",
                        script.toString(),
                        "http://" + a.getHostString() + ":" + a.getPort() + "/")
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IOException("wrk failed:\n" + out);
        if (out.contains("Non-2xx") || out.contains("Socket errors"))
            throw new IOException("wrk saw errors or non-2xx answers:\n" + out);
        Matcher m = RATE.matcher(out);
        if (!m.find()) throw new IOException("no rate in wrk's output:\n" + out);
        double p99 = Double.NaN;
        Matcher l = P99.matcher(out);
        if (l.find()) {
            double v = Double.parseDouble(l.group(1));
            p99 = switch (l.group(2)) {
                case "us" -> v / 1000;
                case "s" -> v * 1000;
                default -> v;
            };
        }
        return new Run(Double.parseDouble(m.group(1)), p99);
    }

    /** Starts a run in the background (its result is not needed: it only loads the server). */
    Process background(InetSocketAddress a, Duration d) throws IOException {
        return new ProcessBuilder(
                        "wrk",
                        "-t" + threads,
                        "-c" + connections,
                        "-d" + d.toSeconds() + "s",
                        "-s",
                        script.toString(),
                        "http://" + a.getHostString() + ":" + a.getPort() + "/")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    void delete() throws IOException {
        Files.deleteIfExists(script);
    }

    private static String luaString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                default -> b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
