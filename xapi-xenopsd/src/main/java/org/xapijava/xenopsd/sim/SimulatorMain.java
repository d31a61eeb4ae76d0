package org.xapijava.xenopsd.sim;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The simulator daemon: {@code xenopsd-sim [--socket PATH] [--state-dir DIR] [--total-memory-mib N]
 * [--workers N] [--delay-ms STEP=MS,...] [--storage-socket PATH] [--pool-ca-bundle PATH]}. Prints {@code xenopsd-simulator ready: <socket>} once it listens;
 * stops cleanly on SIGTERM or Ctrl-C (and on {@code DEBUG.shutdown}), removing its socket.
 *
 * <p>Defaults: socket {@code /var/lib/xcp/xenopsd} (xenopsd's), no state directory (state in memory), 1 TiB of
 * memory (what xenopsd's simulator reports), 16 workers, every step instantaneous.
 */
public final class SimulatorMain {
    private SimulatorMain() {}

    static final String USAGE = """
            usage: xenopsd-sim [options]
              --socket PATH            Unix socket to listen on (default /var/lib/xcp/xenopsd)
              --state-dir DIR          keep the simulated hypervisor state in DIR (default: memory only)
              --total-memory-mib N     host memory in MiB (default 1048576 = 1 TiB)
              --workers N              VM queues served at once (default 16)
              --delay-ms STEP=MS,...   simulated duration of atomic steps, e.g. VM_build=200,VBD_plug=20
              --storage-socket PATH    xapi's SMAPIv2 storage socket: VBD disks are attached and activated
                                       through it as xenopsd does (default: none, disks only recorded)
              --pool-ca-bundle PATH    the pool's certificate bundle a migration with verify_dest checks its
                                       destination against (xapi's pool-bundle; default: none, such a
                                       migration fails)
              --help                   this text
            """;

    /** Parsed command line. */
    record Options(
            Path socket,
            Path stateDir,
            long totalMemoryMib,
            int workers,
            Map<String, Long> delays,
            Path storageSocket,
            Path poolBundle) {}

    static Options parse(String[] args) {
        Path socket = Path.of("/var/lib/xcp/xenopsd");
        Path stateDir = null;
        Path storageSocket = null;
        Path poolBundle = null;
        long mem = Simulator.DEFAULT_TOTAL_MEMORY_MIB;
        int workers = Simulator.DEFAULT_WORKERS;
        Map<String, Long> delays = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                v = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            if (a.equals("--help") || a.equals("-h")) throw new UsageException(null);
            if (v == null) {
                if (i + 1 >= args.length) throw new UsageException("missing value for " + a);
                v = args[++i];
            }
            try {
                switch (a) {
                    case "--socket" -> socket = Path.of(v);
                    case "--state-dir" -> stateDir = Path.of(v);
                    case "--storage-socket" -> storageSocket = Path.of(v);
                    case "--pool-ca-bundle" -> poolBundle = Path.of(v);
                    case "--total-memory-mib" -> mem = Long.parseLong(v);
                    case "--workers" -> workers = Integer.parseInt(v);
                    case "--delay-ms" -> {
                        for (String kv : v.split(",")) {
                            if (kv.isBlank()) continue;
                            int e = kv.indexOf('=');
                            if (e <= 0) throw new UsageException("--delay-ms expects STEP=MS, got " + kv);
                            String step = kv.substring(0, e).trim();
                            StepDelays.checkStepName(step);
                            long ms = Long.parseLong(kv.substring(e + 1).trim());
                            if (ms < 0) throw new UsageException("negative delay for " + step);
                            delays.put(step, ms);
                        }
                    }
                    default -> throw new UsageException("unknown option " + a);
                }
            } catch (NumberFormatException e) {
                throw new UsageException("bad number for " + a + ": " + v);
            } catch (IllegalArgumentException e) {
                if (e instanceof UsageException u) throw u;
                throw new UsageException(e.getMessage());
            }
        }
        return new Options(socket, stateDir, mem, workers, delays, storageSocket, poolBundle);
    }

    static final class UsageException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Options o;
        try {
            o = parse(args);
        } catch (UsageException e) {
            if (e.getMessage() == null) {
                out.print(USAGE);
                return 0;
            }
            err.println("xenopsd-sim: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        Simulator sim;
        SimulatorServer server;
        CountDownLatch stop = new CountDownLatch(1);
        try {
            sim = Simulator.start(
                    new Simulator.Config(o.stateDir(), o.totalMemoryMib(), o.workers(), o.delays(), o.storageSocket())
                            .withPoolBundle(o.poolBundle()));
        } catch (IOException | IllegalArgumentException e) {
            err.println("xenopsd-sim: cannot start: " + e.getMessage());
            return 1;
        }
        try {
            server = SimulatorServer.start(sim, o.socket(), stop::countDown);
        } catch (IOException e) {
            err.println("xenopsd-sim: cannot listen on " + o.socket() + ": " + e);
            sim.close();
            return 1;
        }
        Thread hook = new Thread(
                () -> {
                    server.close();
                    sim.close();
                },
                "xenopsd-sim-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        out.println("xenopsd-simulator ready: " + o.socket());
        out.flush();
        try {
            stop.await(); // DEBUG.shutdown; SIGTERM runs the hook and exits
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.close();
        sim.close();
        return 0;
    }
}
