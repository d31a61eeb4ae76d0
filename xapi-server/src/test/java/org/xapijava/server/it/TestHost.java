package org.xapijava.server.it;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.xapijava.server.XapiServer;
import org.xapijava.server.config.XapiConfig;

/**
 * An in-process host for integration tests: a {@link XapiServer} in the development layout under a
 * temporary directory, HTTP on 127.0.0.1 with a free port, HTTPS off (port 0), its Unix socket in
 * the same directory. {@link #close()} stops it.
 */
final class TestHost implements AutoCloseable {
    final Path dir;
    final XapiServer server;

    private TestHost(Path dir, XapiServer server) {
        this.dir = dir;
        this.server = server;
    }

    /** Starts a host in {@code dir}; {@code extra} are more {@code --key value} flags. */
    static TestHost start(Path dir, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("--data-dir", dir.toString(), "--http-port", "0", "--https-port", "0",
                "--unix-socket", dir.resolve("xapi.sock").toString()));
        args.addAll(List.of(extra));
        XapiServer s = new XapiServer(XapiConfig.fromArgs(args));
        try {
            s.start();
        } catch (Exception e) {
            s.close();
            throw e;
        }
        return new TestHost(dir, s);
    }

    int port() {
        return server.httpPort();
    }

    String password() {
        return server.rootPassword();
    }

    /** {@code http://127.0.0.1:PORT} + path. */
    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    @Override
    public void close() throws Exception {
        server.close();
    }
}
