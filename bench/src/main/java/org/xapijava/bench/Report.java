package org.xapijava.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a JMH JSON result file into the Markdown table of {@code docs/performance.md}: every
 * {@code Class.case_ours} beside its {@code Class.case_<baseline>} of the same run, with the ratio (how many
 * times faster ours is: ops/s ÷ ops/s, or time ÷ time for average-time benchmarks), the range of the
 * measured iterations (min–max; with 3 iterations JMH's 99.9% interval is too wide to say anything on a shared
 * machine), and MB/s where the benchmark counts bytes.
 *
 * <pre>java -cp bench/target/benchmarks.jar org.xapijava.bench.Report bench/target/jmh-result.json</pre>
 */
public final class Report {
    private Report() {}

    record Result(
            String cls,
            String kase,
            String side,
            int threads,
            double score,
            double min,
            double max,
            String unit,
            double bytesPerSec) {}

    public static void main(String[] args) throws Exception {
        JsonNode root = new ObjectMapper()
                .readTree(Path.of(args.length > 0 ? args[0] : "bench/target/jmh-result.json")
                        .toFile());
        Map<String, Map<String, Result>> cases = new LinkedHashMap<>();
        for (JsonNode b : root) {
            String name = b.get("benchmark").asText();
            String[] parts = name.split("\\.");
            String cls = parts[parts.length - 2];
            String method = parts[parts.length - 1];
            int u = method.lastIndexOf('_');
            String kase = u < 0 ? method : method.substring(0, u);
            String side = u < 0 ? "" : method.substring(u + 1);
            JsonNode pm = b.get("primaryMetric");
            JsonNode bytes = b.path("secondaryMetrics").path("bytes");
            double min = Double.MAX_VALUE;
            double max = -Double.MAX_VALUE;
            for (JsonNode fork : pm.get("rawData")) {
                for (JsonNode x : fork) {
                    min = Math.min(min, x.asDouble());
                    max = Math.max(max, x.asDouble());
                }
            }
            Result r = new Result(
                    cls,
                    kase,
                    side,
                    b.get("threads").asInt(),
                    pm.get("score").asDouble(),
                    min,
                    max,
                    pm.get("scoreUnit").asText(),
                    bytes.isMissingNode() ? Double.NaN : bytes.get("score").asDouble());
            cases.computeIfAbsent(cls + "." + kase, k -> new LinkedHashMap<>()).put(side, r);
        }
        System.out.println(
                "| benchmark | threads | ours | baseline | ratio (ours ÷ baseline speed) | ours MB/s | baseline MB/s |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (var e : cases.entrySet()) {
            Result ours = e.getValue().get("ours");
            Result base = null;
            for (var s : e.getValue().entrySet()) if (!s.getKey().equals("ours")) base = s.getValue();
            if (ours == null) continue;
            boolean time = ours.unit().contains("/op");
            String ratio = base == null
                    ? ""
                    : String.format(
                            Locale.ROOT, "%.2f×", time ? base.score() / ours.score() : ours.score() / base.score());
            System.out.printf(
                    Locale.ROOT,
                    "| %s | %d | %s | %s | %s | %s | %s |%n",
                    e.getKey(),
                    ours.threads(),
                    fmt(ours),
                    base == null ? "" : base.side() + ": " + fmt(base),
                    ratio,
                    mb(ours),
                    base == null ? "" : mb(base));
        }
    }

    private static String fmt(Result r) {
        String range = r.min() == r.max() ? "" : " (" + num(r.min()) + "–" + num(r.max()) + ")";
        return num(r.score()) + " " + r.unit() + range;
    }

    private static String num(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String mb(Result r) {
        return Double.isNaN(r.bytesPerSec()) ? "" : String.format(Locale.ROOT, "%.0f", r.bytesPerSec() / 1e6);
    }
}
