package org.xapijava.server.it;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.xapijava.server.XapiServer;
import org.xapijava.server.config.XapiConfig;

/**
 * One host of a pool under test, started as {@code scripts/xapi} starts it but in this JVM: its own data directory,
 * database (or replica of its master's), xenopsd simulator and address on the pool's shared HTTP port, and restarted
 * (a new {@link XapiServer} on the same configuration) whenever it asks to be, as {@code Main} does: after
 * {@code pool.join}, when its master is lost, after an emergency transition. Timings are short: 1 s heartbeats, a
 * member declared dead after 4 s of silence, a lost master noticed after 6 s (and a new one waited for as long at start), members' backups written every 2 s.
 */
final class PoolHost implements AutoCloseable {
    final Path dir;
    final String address;
    private final XapiConfig config;
    private volatile XapiServer server;
    private volatile boolean closed;
    private final AtomicInteger starts = new AtomicInteger();
    private final Thread watcher;

    private PoolHost(Path dir, String address, XapiConfig config) throws Exception {
        this.dir = dir;
        this.address = address;
        this.config = config;
        startOnce();
        watcher = Thread.ofVirtual().name("pool-host-" + address).start(this::watch);
    }

    /** A free port on 127.0.0.2 for the whole pool. */
    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.2", 0));
            return s.getLocalPort();
        }
    }

    /** Waits until {@code done} holds, looking every 50 ms; fails the test with {@code what} after {@code timeout}. */
    static void await(String what, java.time.Duration timeout, java.util.function.BooleanSupplier done)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) org.junit.jupiter.api.Assertions.fail("timed out waiting: " + what);
            Thread.sleep(50);
        }
    }

    /** A client logged in as root on {@code h} (an ordinary session: {@code HOST_IS_SLAVE} on a member). */
    static com.xensource.xenapi.Connection login(PoolHost h) throws Exception {
        return login(h, h.password());
    }

    /** A root session on {@code h} with {@code password} (a member's is its pool's, synced from the master). */
    static com.xensource.xenapi.Connection login(PoolHost h, String password) throws Exception {
        com.xensource.xenapi.Connection conn = new com.xensource.xenapi.Connection(h.url());
        com.xensource.xenapi.Session.loginWithPassword(
                conn, "root", password, com.xensource.xenapi.APIVersion.latest().toString());
        return conn;
    }

    /** The host of the pool {@code conn} is logged in to whose address is {@code address}. */
    static com.xensource.xenapi.Host hostAt(com.xensource.xenapi.Connection conn, String address) throws Exception {
        for (var e : com.xensource.xenapi.Host.getAllRecords(conn).entrySet())
            if (e.getValue().address.equals(address)) return e.getKey();
        throw new AssertionError("no host at " + address);
    }

    /** Whether the pool has {@code n} hosts, every one enabled and live. */
    static boolean allEnabledAndLive(com.xensource.xenapi.Connection conn, int n) {
        try {
            var hosts = com.xensource.xenapi.Host.getAllRecords(conn);
            if (hosts.size() != n) return false;
            for (var r : hosts.values()) if (!r.enabled || !r.metrics.getLive(conn)) return false;
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** Closes every host given (nulls skipped), each even when another fails. */
    static void closeAll(PoolHost... hosts) {
        for (PoolHost h : hosts) {
            try {
                if (h != null) h.close();
            } catch (Exception e) {
                // the next one still stops
            }
        }
    }

    static PoolHost start(Path dir, String address, int port, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "--data-dir", dir.toString(),
                "--bind", address,
                "--http-port", Integer.toString(port),
                "--https-port", "-1",
                "--unix-socket", dir.resolve("xapi.sock").toString(),
                "--vmss-timer", "off",
                "--heartbeat-interval-seconds", "1",
                "--host-assumed-dead-seconds", "4",
                "--master-call-timeout-seconds", "10",
                "--master-backoff-min-ms", "100",
                "--master-backoff-max-ms", "400",
                "--master-connection-timeout-seconds", "6",
                "--emergency-retry-seconds", "3600",
                "--pool-backup-interval-seconds", "2"));
        args.addAll(List.of(extra));
        return new PoolHost(dir, address, XapiConfig.fromArgs(args));
    }

    private void startOnce() throws Exception {
        XapiServer s = new XapiServer(config);
        try {
            s.start();
        } catch (Exception e) {
            s.close();
            throw e;
        }
        server = s;
        starts.incrementAndGet();
    }

    private void watch() {
        while (!closed) {
            XapiServer s = server;
            try {
                s.restartRequested().get();
            } catch (InterruptedException e) {
                return;
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e);
            }
            synchronized (this) {
                if (closed) return;
                try {
                    s.close();
                    startOnce();
                } catch (Exception e) {
                    throw new IllegalStateException("restart of " + address + " failed", e);
                }
            }
        }
    }

    /** This host's configuration. */
    XapiConfig config() {
        return config;
    }

    XapiServer server() {
        return server;
    }

    /** How many times this host has started. */
    int starts() {
        return starts.get();
    }

    String password() {
        return server.rootPassword();
    }

    java.net.URL url() throws Exception {
        return java.net
                .URI
                .create("http://" + address + ":" + config.integer("http-port") + "/")
                .toURL();
    }

    /** Stops the host cleanly (a member tells its master it is shutting down). */
    @Override
    public void close() throws Exception {
        synchronized (this) {
            closed = true;
        }
        watcher.interrupt();
        server.close();
    }

    /** Stops the host without telling its master (a crash, as far as the pool sees). */
    void kill() throws Exception {
        synchronized (this) {
            closed = true;
        }
        watcher.interrupt();
        server.requestRestart(); // not a clean stop: no shutting-down heartbeat
        server.close();
    }
}
