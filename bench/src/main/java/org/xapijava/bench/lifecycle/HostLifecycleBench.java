package org.xapijava.bench.lifecycle;

import static org.xapijava.bench.Stats.loadAverage;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xapijava.bench.server.LaunchedHost;
import org.xapijava.xenopsd.XenopsClient;

/**
 * The VM lifecycle benchmark as users run the host (issue 10, item 9): the host started by {@code scripts/xapi} in
 * its own process (its JVM options, the xenopsd simulator daemon beside it on a Unix socket), VMs made from the
 * "Other install media" template ({@link LifecycleFixture#fromTemplate}), and {@code clients} clients each logged in
 * once, cycling their VMs through {@code VM.start} and {@code VM.clean_shutdown} ({@link XapiSide}). Baseline, in
 * the same run: a second simulator daemon started as {@code scripts/xapi} starts one, driven directly through
 * {@code XenopsClient} with the calls xapi makes ({@link SimulatorSide}). Run by {@code scripts/bench-lifecycle}.
 */
public final class HostLifecycleBench {
    private HostLifecycleBench() {}

    public static void main(String[] args) throws Exception {
        LifecycleBench.Options o = LifecycleBench.Options.parse(args).validated();
        PrintStream log = System.err;
        Path root = Path.of(System.getProperty("bench.root", ".")).toAbsolutePath();
        String loadBefore = loadAverage();
        try (LaunchedHost host = LaunchedHost.xapi(root, Map.of(), List.of());
                LaunchedHost sim = LaunchedHost.simulator();
                XenopsClient xapiSim = new XenopsClient(host.dataDir().resolve("xenopsd.sock"));
                XenopsClient baselineClient = new XenopsClient(sim.socket())) {
            long t0 = System.nanoTime();
            LifecycleFixture.Vms vms = LifecycleFixture.fromTemplate(host.address, host.password, o.vms());
            log.printf(Locale.ROOT, "created %d VMs in %.1f s%n", o.vms(), (System.nanoTime() - t0) / 1e9);
            XapiSide ours = new XapiSide(
                    host.address,
                    host.password,
                    xapiSim,
                    vms.refs(),
                    vms.uuids(),
                    o.clients(),
                    LifecycleBench.owners(o));
            try {
                LifecycleBench.Results r = LifecycleBench.measure(o, ours, baselineClient, vms, log, loadBefore);
                System.out.println(
                        "Host started by scripts/xapi (" + System.getenv().getOrDefault("XAPI_GC", "G1")
                                + "), VMs from \"Other install media\", simulator daemons on Unix sockets.\n");
                System.out.println(LifecycleBench.markdown(r));
            } finally {
                ours.close();
            }
        }
    }
}
