package org.xapijava.bench.xenopsd;

import java.io.IOException;
import java.nio.file.Path;
import org.xapijava.xenopsd.sim.Simulator;
import org.xapijava.xenopsd.sim.SimulatorServer;

/**
 * A simulator daemon for {@link XenopsHttpBench}, run in its own JVM with the simulator daemon's options
 * ({@code -XX:+UseSerialGC -Xmx128m}): {@code SimDaemon hand|jetty SOCKET}. An in-memory simulator served by the
 * hand-written {@link SimulatorServer} or by {@link JettySimulatorServer}; prints {@code ready} once listening and
 * stops when its standard input closes.
 */
public final class SimDaemon {
    private SimDaemon() {}

    public static void main(String[] args) throws Exception {
        Path socket = Path.of(args[1]);
        Simulator sim = Simulator.start(Simulator.Config.inMemory());
        AutoCloseable server = switch (args[0]) {
            case "hand" -> SimulatorServer.start(sim, socket);
            case "jetty" -> new JettySimulatorServer(sim, socket);
            default -> throw new IllegalArgumentException("hand or jetty, not " + args[0]);
        };
        System.out.println("ready");
        System.out.flush();
        try {
            while (System.in.read() >= 0) {
                // wait for the driver to go away
            }
        } catch (IOException ignored) {
            // the driver is gone
        }
        server.close();
        sim.close();
        System.exit(0);
    }
}
