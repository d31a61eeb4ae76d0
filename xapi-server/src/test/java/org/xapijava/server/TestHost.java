package org.xapijava.server;

import java.nio.file.Path;
import java.util.List;
import org.xapijava.server.config.XapiConfig;
import org.xapijava.server.dispatch.Caller;
import org.xapijava.server.dispatch.Dispatcher;
import org.xapijava.model.errors.ApiError;

/** An in-process host on 127.0.0.1 (free port) in a temporary directory, for tests. */
public final class TestHost implements AutoCloseable {
    public final XapiServer server;
    public final Path dir;

    private TestHost(XapiServer server, Path dir) {
        this.server = server;
        this.dir = dir;
    }

    public static TestHost start(Path dir) throws Exception {
        XapiServer s = new XapiServer(XapiConfig.fromArgs(List.of("--data-dir", dir.toString(), "--http-port", "0",
                "--https-port", "0", "--unix-socket", dir.resolve("xapi.sock").toString())));
        s.start();
        return new TestHost(s, dir);
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
        return (String) call("session.login_with_password", "root", server.rootPassword()).value();
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
