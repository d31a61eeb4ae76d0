package org.xapijava.server;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.config.XapiConfig;
import org.xapijava.server.dispatch.Caller;
import org.xapijava.server.dispatch.Dispatcher;

/** An in-process host on 127.0.0.1 (free port) in a temporary directory, for tests. */
public final class TestHost implements AutoCloseable {
    public final XapiServer server;
    public final Path dir;

    private TestHost(XapiServer server, Path dir) {
        this.server = server;
        this.dir = dir;
    }

    /**
     * Starts a host in {@code dir} (development layout, HTTP and HTTPS on free ports, its Unix socket in
     * {@code dir}, the xenopsd simulator embedded with its socket and state in {@code dir}); {@code extra} are
     * more {@code --key value} flags, e.g. {@link #simulator}.
     */
    public static TestHost start(Path dir, String... extra) throws Exception {
        return start(dir, null, java.time.Clock.systemUTC(), extra);
    }

    /** As {@link #start(Path, String...)}, on {@code clock} (a {@link MutableClock} the test moves). */
    public static TestHost startAt(Path dir, java.time.Clock clock, String... extra) throws Exception {
        return start(dir, null, clock, extra);
    }

    /**
     * Starts a member of {@code master}'s pool in this JVM, on the master's database (see
     * {@link XapiServer#XapiServer(XapiConfig, XapiServer)}), in {@code dir}; {@code extra} as {@link #start}
     * (the pool's hosts share one HTTP port on different loopback addresses: give {@code --bind} and
     * {@code --http-port}, and the master's {@code --pool-secret} file).
     */
    public static TestHost startMember(Path dir, TestHost master, String... extra) throws Exception {
        return start(dir, master.server, java.time.Clock.systemUTC(), extra);
    }

    private static TestHost start(Path dir, XapiServer master, java.time.Clock clock, String... extra)
            throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "--data-dir",
                dir.toString(),
                "--http-port",
                "0",
                "--https-port",
                "0",
                "--unix-socket",
                dir.resolve("xapi.sock").toString(),
                // tests tick the snapshot schedule timer themselves: no run at a real quarter hour mid-test
                "--vmss-timer",
                "off"));
        args.addAll(List.of(extra));
        XapiServer s = new XapiServer(XapiConfig.fromArgs(args), master, clock);
        try {
            s.start();
        } catch (Exception e) {
            s.close();
            throw e;
        }
        return new TestHost(s, dir);
    }

    /**
     * Flags for the embedded xenopsd simulator: the simulated duration of its steps ({@code STEP=MS,...}, e.g.
     * {@code VM_build=500}; empty for none) and the host's memory in MiB.
     */
    public static String[] simulator(String delays, long memoryMib) {
        return new String[] {"--xenopsd-sim-delays", delays, "--xenopsd-sim-memory-mib", Long.toString(memoryMib)};
    }

    public int port() {
        return server.httpPort();
    }

    public String password() {
        return server.rootPassword();
    }

    /** {@code http://<bind address>:PORT} + path. */
    public URI uri(String path) {
        String bind = server.bindAddress();
        String h = bind.equals("0.0.0.0") || bind.equals("::") ? "127.0.0.1" : bind;
        return URI.create("http://" + h + ":" + port() + path);
    }

    public Dispatcher dispatcher() {
        return server.dispatcher();
    }

    /** A remote (not local-root) caller, as a TCP client. */
    public static Caller remote() {
        return new Caller("xmlrpc", "127.0.0.1", false, java.util.Map.of());
    }

    /** Logs in as root with the host's password over the dispatcher. */
    public String login() {
        return (String) call("session.login_with_password", "root", server.rootPassword())
                .value();
    }

    public Dispatcher.Outcome call(String method, Object... params) {
        return dispatcher().dispatch(method, List.of(params), remote());
    }

    /** Calls and returns the value, or throws the API error. */
    public Object ok(String method, Object... params) {
        Dispatcher.Outcome o = call(method, params);
        if (!o.ok()) throw o.error();
        return o.value();
    }

    /** Calls and returns the error description (fails if the call succeeded). */
    public List<String> err(String method, Object... params) {
        Dispatcher.Outcome o = call(method, params);
        if (o.ok()) throw new AssertionError(method + " succeeded: " + o.value());
        ApiError e = o.error();
        return e.description();
    }

    @Override
    public void close() throws Exception {
        server.close();
    }
}
