package org.xapijava.bench.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.xapijava.bench.TempDirs;

/**
 * A process the benchmarks measure from outside: a xapi host started by {@code scripts/xapi} exactly as a user
 * starts one (its JVM options from {@code scripts/xapi-jvm.sh}, the xenopsd simulator daemon beside it on a Unix
 * socket), or a {@link BareJettyMain} baseline started with the same JVM options. Standard error goes to a log
 * file; {@link #close} stops the process tree (SIGTERM, then SIGKILL after 30 s) and removes the data directory.
 */
public final class LaunchedHost implements AutoCloseable {
    private static final Pattern READY =
            Pattern.compile("xapi ready: http://([^:]+):(\\d+) user=(\\S+) password=(\\S+)");
    private static final Pattern BARE = Pattern.compile("bare-jetty ready: (\\d+)");
    private static final Pattern SIM = Pattern.compile("xenopsd-simulator ready: (\\S+)");

    private final Process process;
    private final Path dir;
    public final InetSocketAddress address;
    public final String password;

    private LaunchedHost(Process process, Path dir, InetSocketAddress address, String password) {
        this.process = process;
        this.dir = dir;
        this.address = address;
        this.password = password;
    }

    /**
     * Starts {@code scripts/xapi} of the checkout at {@code root} on a free port of 127.0.0.1, in a fresh data
     * directory, with {@code env} added to the environment (e.g. {@code XAPI_GC}) and {@code extraArgs} after the
     * data directory and port; waits for its ready line.
     */
    public static LaunchedHost xapi(Path root, Map<String, String> env, List<String> extraArgs) throws IOException {
        return xapi(root, env, extraArgs, Map.of());
    }

    /**
     * {@link #xapi(Path, Map, List)} with {@code seed} written into the fresh data directory first (file name to
     * content, mode 0600), e.g. the password file and {@code root-password} of another host.
     */
    public static LaunchedHost xapi(
            Path root, Map<String, String> env, List<String> extraArgs, Map<String, String> seed) throws IOException {
        Path dir = Files.createTempDirectory("bench-host-");
        Path data = Files.createDirectory(dir.resolve("data"));
        for (Map.Entry<String, String> f : seed.entrySet()) {
            Path file = data.resolve(f.getKey());
            Files.writeString(file, f.getValue(), StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        }
        List<String> cmd = new ArrayList<>(List.of(
                root.resolve("scripts/xapi").toString(),
                "--data-dir",
                dir.resolve("data").toString(),
                "--http-port",
                Integer.toString(freePort()),
                "--https-port",
                Integer.toString(freePort())));
        cmd.addAll(extraArgs);
        ProcessBuilder pb =
                new ProcessBuilder(cmd).redirectError(dir.resolve("stderr.log").toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        Matcher m = awaitLine(p, READY, Duration.ofSeconds(180), dir);
        return new LaunchedHost(p, dir, new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2))), m.group(4));
    }

    /**
     * Starts the xenopsd simulator daemon as {@code scripts/xapi} starts it beside a host (its JVM options, a Unix
     * socket and a state directory of its own); {@link #socket()} is where it listens.
     */
    public static LaunchedHost simulator() throws IOException {
        Path dir = Files.createTempDirectory("bench-sim-");
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC",
                "-Xmx128m",
                "-Xss512k",
                "-cp",
                System.getProperty("java.class.path"),
                "org.xapijava.xenopsd.sim.SimulatorMain",
                "--socket",
                dir.resolve("xenopsd.sock").toString(),
                "--state-dir",
                dir.resolve("state").toString()));
        Process p = new ProcessBuilder(cmd)
                .redirectError(dir.resolve("stderr.log").toFile())
                .start();
        awaitLine(p, SIM, Duration.ofSeconds(60), dir);
        return new LaunchedHost(p, dir, null, null);
    }

    /** The data directory of a host started by {@link #xapi}. */
    public Path dataDir() {
        return dir.resolve("data");
    }

    /** The Unix socket of a simulator started by {@link #simulator}. */
    public Path socket() {
        return dir.resolve("xenopsd.sock");
    }

    /** Starts {@link BareJettyMain} with {@code jvmOptions} (the host's, for a like-for-like baseline). */
    public static LaunchedHost bareJetty(List<String> jvmOptions) throws IOException {
        Path dir = Files.createTempDirectory("bench-bare-");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of(
                "-cp", System.getProperty("java.class.path"), BareJettyMain.class.getName(), Integer.toString(0)));
        Process p = new ProcessBuilder(cmd)
                .redirectError(dir.resolve("stderr.log").toFile())
                .start();
        Matcher m = awaitLine(p, BARE, Duration.ofSeconds(60), dir);
        return new LaunchedHost(p, dir, new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(1))), null);
    }

    private static Matcher awaitLine(Process p, Pattern pattern, Duration limit, Path dir) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<Matcher> ready = CompletableFuture.supplyAsync(() -> {
            try {
                for (String line; (line = out.readLine()) != null; ) {
                    Matcher m = pattern.matcher(line);
                    if (m.find()) return m;
                }
                return null;
            } catch (IOException e) {
                return null;
            }
        });
        Matcher m;
        try {
            m = ready.get(limit.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            m = null;
        }
        if (m == null) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new IOException("no ready line from " + p.info().command().orElse("the process") + "; see "
                    + dir.resolve("stderr.log"));
        }
        // keep draining standard output so the process never blocks on a full pipe; a platform thread, since a
        // pipe read holds its carrier: two of them on virtual threads took both carriers of a 2-core machine and
        // starved every other virtual thread of the benchmark (the event waiters never ran)
        Thread.ofPlatform().daemon().name("drain-" + dir.getFileName()).start(() -> {
            try {
                while (out.readLine() != null) {
                    // nothing: the ready line was all we needed
                }
            } catch (IOException ignored) {
                // the process went away
            }
        });
        return m;
    }

    /** The JVM running the host itself (a child of the launcher script), or the process for a baseline. */
    public ProcessHandle jvm() {
        return process.descendants()
                .filter(h -> h.info()
                        .commandLine()
                        .map(c -> c.contains("org.xapijava.server.Main"))
                        .orElse(false))
                .findFirst()
                .orElse(process.toHandle());
    }

    /** A line of {@code /proc/PID/status} of {@link #jvm()} in KiB ({@code VmRSS}, {@code VmHWM}), or -1. */
    public long statusKib(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(jvm().pid()), "status"))) {
                if (line.startsWith(key + ":")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (IOException | NumberFormatException e) {
            // gone, or not Linux
        }
        return -1;
    }

    @Override
    public void close() throws IOException {
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        // the host first (a clean stop flushes its database), then the rest
        tree.forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly();
            for (ProcessHandle h : tree) {
                h.onExit().get(30, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            tree.forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        if (Boolean.getBoolean("bench.keep")) {
            System.err.println("kept " + dir);
            return;
        }
        TempDirs.deleteTree(dir);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }
}
