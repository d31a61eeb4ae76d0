package org.xapijava.server.xenops;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.xapijava.xenopsd.sim.Simulator;
import org.xapijava.xenopsd.sim.SimulatorServer;

/**
 * The xenopsd simulator run inside xapi's process ({@code xenopsd = embedded}: the development layout and
 * tests), served on the same Unix socket an external daemon would use, so that xapi talks to it exactly as to
 * a separate process. With a state directory, a restart (of xapi, or of the simulator alone through
 * {@link #stop()}/{@link #start()}) finds its running domains again. Thread-safe.
 */
public final class EmbeddedXenopsd implements AutoCloseable {
    private final Path socket;
    private final Simulator.Config config;
    private Simulator sim;
    private SimulatorServer server;

    public EmbeddedXenopsd(Path socket, Simulator.Config config) {
        this.socket = socket;
        this.config = config;
    }

    /**
     * The simulator's configuration from xapi's settings.
     *
     * @param delays {@code STEP=MS,...} (empty: every step instantaneous)
     */
    public static Simulator.Config config(Path stateDir, long totalMemoryMib, String delays) {
        return config(stateDir, totalMemoryMib, delays, null, null);
    }

    /**
     * As {@link #config(Path, long, String)}, the simulator attaching VBD disks through xapi's storage socket
     * {@code storageSocket} ({@code null}: disks only recorded), and checking a migration's destination against the
     * pool's certificate bundle {@code poolBundle}.
     */
    public static Simulator.Config config(
            Path stateDir, long totalMemoryMib, String delays, Path storageSocket, Path poolBundle) {
        Map<String, Long> d = new LinkedHashMap<>();
        for (String kv : delays.split(",")) {
            if (kv.isBlank()) continue;
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("xenopsd-sim-delays: expected STEP=MS, got " + kv);
            d.put(
                    kv.substring(0, eq).trim(),
                    Long.parseLong(kv.substring(eq + 1).trim()));
        }
        return new Simulator.Config(stateDir, totalMemoryMib, Simulator.DEFAULT_WORKERS, d, storageSocket)
                .withPoolBundle(poolBundle);
    }

    /** Starts the simulator (loading its state directory) and listens on the socket. */
    public synchronized void start() throws IOException {
        if (server != null) return;
        Simulator s = Simulator.start(config);
        try {
            server = SimulatorServer.start(s, socket);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        sim = s;
    }

    /** Stops serving and stops the simulator; its state directory keeps the domains. */
    public synchronized void stop() {
        if (server != null) {
            server.close();
            server = null;
        }
        if (sim != null) {
            sim.close();
            sim = null;
        }
    }

    public synchronized boolean running() {
        return server != null;
    }

    /** The running simulator (tests trigger guest events through it), or null when stopped. */
    public synchronized Simulator simulator() {
        return sim;
    }

    public Path socket() {
        return socket;
    }

    @Override
    public void close() {
        stop();
    }
}
