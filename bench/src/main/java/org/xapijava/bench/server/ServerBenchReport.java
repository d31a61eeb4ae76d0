package org.xapijava.bench.server;

import static org.xapijava.bench.Stats.max;
import static org.xapijava.bench.Stats.median;
import static org.xapijava.bench.Stats.min;

import java.util.Locale;
import org.xapijava.bench.server.ServerBench.BigResponse;
import org.xapijava.bench.server.ServerBench.Events;
import org.xapijava.bench.server.ServerBench.Options;
import org.xapijava.bench.server.ServerBench.Results;
import org.xapijava.bench.server.ServerBench.Throughput;

/**
 * The report of a {@link ServerBench} run: its {@link Results} as the Markdown rows of {@code docs/performance.md}
 * (one row per item that ran, each figure against its baseline and the target), with the environment line.
 */
public final class ServerBenchReport {
    private ServerBenchReport() {}

    /** The results as the Markdown section of {@code docs/performance.md} (rows of the items that ran). */
    public static String markdown(Results r) {
        StringBuilder b = new StringBuilder();
        b.append("Environment: ").append(r.environment()).append(".\n\n");
        b.append(
                "| measurement | xapi-java | baseline (same run) | ratio | target | met |\n|---|---|---|---|---|---|\n");
        if (r.getRecord() != null) b.append(throughputRow(r.options(), r.getRecord()));
        for (BigResponse g : r.big()) b.append(bigRow(g));
        if (r.events() != null) b.append(eventRows(r.options(), r.events()));
        if (r.getRecord() != null) {
            b.append(String.format(
                    Locale.ROOT,
                    "%nRequest bytes (`VM.get_record`): %d; response body: %,d bytes (ours), 2 bytes (baseline).%n",
                    r.getRecord().requestBytes(),
                    r.getRecord().responseBytes()));
        }
        if (r.events() != null && r.events().skipped() == null) {
            b.append(String.format(
                    Locale.ROOT,
                    "%nParking the %,d waiters (first request sent → process quiet): %.2f s median.%n",
                    r.events().waiters(),
                    median(r.events().settle())));
        }
        return b.toString();
    }

    private static String throughputRow(Options o, Throughput t) {
        double[] ours =
                t.ours().stream().mapToDouble(LoadDriver.Round::perSecond).toArray();
        double[] base =
                t.baseline().stream().mapToDouble(LoadDriver.Round::perSecond).toArray();
        double[] ratio = new double[ours.length];
        for (int i = 0; i < ours.length; i++) ratio[i] = ours[i] / base[i];
        return String.format(
                Locale.ROOT,
                "| `VM.get_record`, XML-RPC, %d keep-alive connections (calls/s; median of %d rounds of %d s, min–max) "
                        + "| %,.0f (%,.0f–%,.0f) | bare Jetty answering `ok`: %,.0f (%,.0f–%,.0f) "
                        + "| %.2f (%.2f–%.2f; median and range of the per-round ratios) | ≥ 0.6 | %s |%n",
                o.connections(),
                ours.length,
                o.round().toSeconds(),
                median(ours),
                min(ours),
                max(ours),
                median(base),
                min(base),
                max(base),
                median(ratio),
                min(ratio),
                max(ratio),
                yes(median(ratio) >= 0.6));
    }

    private static String bigRow(BigResponse g) {
        double[] x = g.oursSeconds();
        double[] y = g.baselineSeconds();
        return String.format(
                Locale.ROOT,
                "| `VM.get_all_records`, %,d VMs, %s (%,d bytes): full round trip (s; median of %d calls, min–max) "
                        + "| %.3f (%.3f–%.3f) | bare Jetty sending the same bytes: %.3f (%.3f–%.3f) | %.2f | ≤ 0.5 s | %s |%n",
                g.records(),
                g.protocol(),
                g.bytes(),
                x.length,
                median(x),
                min(x),
                max(x),
                median(y),
                min(y),
                max(y),
                median(y) / median(x),
                yes(median(x) <= 0.5));
    }

    private static String eventRows(Options o, Events e) {
        if (e.skipped() != null) {
            return String.format(
                    Locale.ROOT,
                    "| `event.from`, %,d waiters, one write: all answered | not measured: %s | | | ≤ 1 s | — |%n"
                            + "| heap used after GC, %,d waiters parked | not measured | | | ≤ 1 GB | — |%n",
                    e.waiters(),
                    e.skipped(),
                    e.waiters());
        }
        double[] all = e.allAnswered();
        return String.format(
                        Locale.ROOT,
                        "| `event.from([\"vm\"], token, 60.0)`, %,d waiters (one connection and virtual thread each), then one "
                                + "`VM.set_name_description`: write sent → every waiter has read its whole answer "
                                + "(ms; median of %d rounds after a warm-up round, min–max) "
                                + "| %.0f (%.0f–%.0f); median waiter %.0f; the write call itself %.0f | — | — | ≤ 1 s | %s |%n",
                        e.waiters(),
                        all.length,
                        median(all) * 1e3,
                        min(all) * 1e3,
                        max(all) * 1e3,
                        median(e.medianAnswer()) * 1e3,
                        median(e.writeCall()) * 1e3,
                        yes(max(all) <= 1.0))
                + String.format(
                        Locale.ROOT,
                        "| heap used after a full GC with the %,d waiters parked (MiB; in-process: server with %,d VMs, and the driver) "
                                + "| %,d | before connecting: %,d; %,d connections open, no call: %,d | +%.1f KiB per waiter over idle | ≤ 1 GB | %s |%n",
                        e.waiters(),
                        o.vms(),
                        e.heapWaiting() >> 20,
                        e.heapIdle() >> 20,
                        e.waiters(),
                        e.heapConnected() >> 20,
                        (e.heapWaiting() - e.heapIdle()) / 1024.0 / e.waiters(),
                        yes(e.heapWaiting() <= (1L << 30)));
    }

    private static String yes(boolean met) {
        return met ? "yes" : "**no**";
    }
}
