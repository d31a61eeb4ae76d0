package org.xapijava.bench.server;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xapijava.bench.Stats;
import org.xapijava.bench.lifecycle.XmlRpcConnection;

/**
 * What a login costs on a development host (issue 15, item 5): every {@code xe} command logs in and out, and the
 * password file's hash decides most of that. A host started by {@code scripts/xapi} (its own process, its JVM
 * options) is driven over HTTP on one keep-alive connection with the project's XML-RPC codec; each sample times
 * {@code session.login_with_password} + {@code session.logout}, and, in the same run and interleaved, the
 * baseline: two {@code session.get_uuid} calls of one open session (the same two round trips without the password
 * check). Reports p50/p99 in ms of both and of their difference.
 *
 * <p>Hosts measured: this checkout's ({@code bench.root}), whose password file is made at first start; with
 * {@code --before-root DIR}, also the host of another checkout (e.g. the commit before a change of the password
 * hash), and then this checkout's host started on a copy of that host's password file, so that its first login
 * (the legacy check and the rewrite of the line) is timed once before the samples. Run by
 * {@code scripts/bench-login}. Options: {@code --samples N} (default 200), {@code --warmup N} (default 30),
 * {@code --before-label TEXT} (the name of the other checkout in the table).
 */
public final class LoginBench {
    private LoginBench() {}

    /** One host's figures: samples in ms. */
    record Result(String label, double firstLoginMs, double[] login, double[] baseline) {}

    public static void main(String[] args) throws Exception {
        int samples = 200;
        int warmup = 30;
        Path before = null;
        String beforeLabel = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--samples" -> samples = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--before-root" -> before = Path.of(args[++i]).toAbsolutePath();
                case "--before-label" -> beforeLabel = args[++i];
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        PrintStream log = System.err;
        Path root = Path.of(System.getProperty("bench.root", ".")).toAbsolutePath();
        List<Result> results = new ArrayList<>();
        String loadBefore = Stats.loadAverage();
        Map<String, String> legacyFiles = null;
        if (before != null) {
            try (LaunchedHost host = LaunchedHost.xapi(before, Map.of(), List.of())) {
                log.println("before: " + firstLine(host.dataDir().resolve("passwd")));
                String label = "before (" + (beforeLabel != null ? beforeLabel : before.getFileName()) + ")";
                results.add(measure(label, host, Double.NaN, samples, warmup, log));
                legacyFiles = new LinkedHashMap<>();
                for (String f : List.of("passwd", "root-password")) {
                    legacyFiles.put(f, Files.readString(host.dataDir().resolve(f), StandardCharsets.UTF_8));
                }
            }
        }
        try (LaunchedHost host = LaunchedHost.xapi(root, Map.of(), List.of())) {
            log.println("after: " + firstLine(host.dataDir().resolve("passwd")));
            results.add(measure("after (new file)", host, Double.NaN, samples, warmup, log));
        }
        if (legacyFiles != null) {
            try (LaunchedHost host = LaunchedHost.xapi(root, Map.of(), List.of(), legacyFiles)) {
                double first;
                try (XmlRpcConnection c = new XmlRpcConnection(host.address)) {
                    first = loginLogout(c, host.password);
                }
                log.println("after upgrade: " + firstLine(host.dataDir().resolve("passwd")));
                results.add(measure("after (upgraded legacy file)", host, first, samples, warmup, log));
            }
        }
        System.out.println(markdown(results, samples, warmup, loadBefore));
    }

    /** The start of the password file's first line: user and scheme, no hash. */
    private static String firstLine(Path passwd) throws Exception {
        String line = Files.readAllLines(passwd).getFirst();
        return line.substring(0, Math.min(line.length(), 28)) + "...";
    }

    static Result measure(String label, LaunchedHost host, double firstMs, int samples, int warmup, PrintStream log)
            throws Exception {
        double[] login = new double[samples];
        double[] baseline = new double[samples];
        try (XmlRpcConnection c = new XmlRpcConnection(host.address)) {
            String session = (String) c.call("session.login_with_password", "root", host.password, "1.0", "bench");
            for (int i = 0; i < warmup; i++) {
                loginLogout(c, host.password);
                twoTrivialCalls(c, session);
            }
            for (int i = 0; i < samples; i++) {
                login[i] = loginLogout(c, host.password);
                baseline[i] = twoTrivialCalls(c, session);
            }
            c.call("session.logout", session);
        }
        log.printf(
                Locale.ROOT,
                "%s: login+logout p50 %.2f ms, baseline p50 %.2f ms%n",
                label,
                Stats.percentile(login, 50),
                Stats.percentile(baseline, 50));
        return new Result(label, firstMs, login, baseline);
    }

    private static double loginLogout(XmlRpcConnection c, String password) throws Exception {
        long t0 = System.nanoTime();
        String s = (String) c.call("session.login_with_password", "root", password, "1.0", "bench");
        c.call("session.logout", s);
        return (System.nanoTime() - t0) / 1e6;
    }

    private static double twoTrivialCalls(XmlRpcConnection c, String session) throws Exception {
        long t0 = System.nanoTime();
        c.call("session.get_uuid", session, session);
        c.call("session.get_uuid", session, session);
        return (System.nanoTime() - t0) / 1e6;
    }

    static String markdown(List<Result> results, int samples, int warmup, String loadBefore) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(
                Locale.ROOT,
                "Hosts started by scripts/xapi; one keep-alive HTTP connection; %d samples after %d warm-up pairs;"
                        + " %d cores; load average %s before, %s after.%n%n",
                samples,
                warmup,
                Runtime.getRuntime().availableProcessors(),
                loadBefore,
                Stats.loadAverage()));
        b.append("| host | login+logout p50 | p99 | baseline (2 × session.get_uuid) p50 | p99 |"
                + " login cost p50 (difference) | first login |\n");
        b.append("|---|---:|---:|---:|---:|---:|---:|\n");
        for (Result r : results) {
            double lp50 = Stats.percentile(r.login(), 50);
            double bp50 = Stats.percentile(r.baseline(), 50);
            b.append(String.format(
                    Locale.ROOT,
                    "| %s | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %s |%n",
                    r.label(),
                    lp50,
                    Stats.percentile(r.login(), 99),
                    bp50,
                    Stats.percentile(r.baseline(), 99),
                    lp50 - bp50,
                    Double.isNaN(r.firstLoginMs()) ? "-" : String.format(Locale.ROOT, "%.1f ms", r.firstLoginMs())));
        }
        return b.toString();
    }
}
