package org.xapijava.server.http;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import org.eclipse.jetty.server.ConnectionLimit;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.xapijava.server.config.XapiConfig;
import org.xapijava.server.tls.HostCertificate;
import org.xapijava.server.tls.TlsPolicy;

/**
 * A host's doors: Jetty on virtual threads with its HTTP connector, its HTTPS connector (the host certificate and
 * Xapi's TLS policy) and its Unix-socket connector (the local superuser's), with Xapi's header limits, timeouts and
 * connection caps ({@link HttpLimits}). Stateless.
 */
public final class HostConnectors {
    /** Xapi's {@code conn_limit_unix}: connections served at once on the Unix socket. */
    static final int CONN_LIMIT_UNIX = 1024;

    /**
     * The server (not started) and its connectors.
     *
     * @param https     null when HTTPS is off ({@code https-port} -1)
     * @param localRoot the connectors whose callers are the local superuser (the Unix socket)
     */
    public record Built(Server jetty, ServerConnector http, ServerConnector https, Set<Connector> localRoot) {}

    private HostConnectors() {}

    /** Jetty with its HTTP, HTTPS and Unix-socket connectors, not started. */
    public static Built build(XapiConfig config) throws Exception {
        QueuedThreadPool pool = new QueuedThreadPool(64, 4);
        pool.setName("xapi-http");
        pool.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        Server jetty = new Server(pool);
        jetty.setStopTimeout(5_000);
        jetty.setErrorHandler(new XapiErrorHandler());
        HttpLimits limits = HttpLimits.of(config);
        ServerConnector http = new ServerConnector(
                jetty, 1, 1, connectionFactory(limits, limits.headerReadTimeout(), limits.headerTotalTimeout()));
        http.setHost(config.get("bind"));
        http.setPort(config.integer("http-port"));
        http.setIdleTimeout(((XapiHttpConnectionFactory) http.getDefaultConnectionFactory()).connectorIdleTimeout());
        http.setAcceptQueueSize(HttpLimits.LISTEN_BACKLOG);
        jetty.addConnector(http);
        List<Connector> tcp = new ArrayList<>(List.of(http));
        int httpsPort = config.integer("https-port");
        ServerConnector https = null;
        if (httpsPort >= 0) {
            https = httpsConnector(jetty, config, limits, httpsPort);
            jetty.addConnector(https);
            tcp.add(https);
        }
        Set<Connector> localRoot = new HashSet<>();
        String sock = config.get("unix-socket");
        if (!sock.isEmpty()) {
            Path p = Path.of(sock);
            Files.createDirectories(p.toAbsolutePath().getParent());
            Files.deleteIfExists(p);
            // Xapi's Unix socket has no header timeouts and its own, larger connection cap
            XapiHttpConnectionFactory unixHttp = connectionFactory(limits, Duration.ZERO, Duration.ZERO);
            // a request without Host (xe's HTTP/1.0 POST /cli) has no authority a socket path could give
            unixHttp.getHttpConfiguration().setServerAuthority(new org.eclipse.jetty.util.HostPort("localhost"));
            UnixDomainServerConnector unix = new UnixDomainServerConnector(jetty, unixHttp);
            unix.setUnixDomainPath(p);
            unix.setIdleTimeout(-1);
            unix.setAcceptQueueSize(HttpLimits.LISTEN_BACKLOG);
            jetty.addConnector(unix);
            localRoot.add(unix);
            jetty.addBean(new ConnectionLimit(CONN_LIMIT_UNIX, unix));
        }
        jetty.addBean(new ConnectionLimit(limits.maxConnections(), tcp.toArray(Connector[]::new)));
        return new Built(jetty, http, https, localRoot);
    }

    /**
     * HTTPS with the host certificate ({@code server-cert}) and, for clients asking for the server name {@code
     * pool}, the pool certificate ({@code pool-cert}, its subject the inventory's installation uuid); each created at
     * first start when absent, as Xapi's gencert does; Xapi's TLS policy (TLS 1.2, ECDHE-RSA AES-GCM).
     */
    private static ServerConnector httpsConnector(Server jetty, XapiConfig config, HttpLimits limits, int port)
            throws Exception {
        String bind = config.get("bind");
        HostCertificate cert = HostCertificate.forBind(config.path("server-cert"), bind, false);
        String uuid = org.xapijava.server.bootstrap.Inventory.loadOrCreate(config.path("inventory"))
                .get(org.xapijava.server.bootstrap.Inventory.INSTALLATION_UUID);
        HostCertificate pool = HostCertificate.forPool(config.path("pool-cert"), uuid, false);
        XapiHttpConnectionFactory f =
                connectionFactory(limits, limits.headerReadTimeout(), limits.headerTotalTimeout());
        f.getHttpConfiguration().addCustomizer(TlsPolicy.secureRequestCustomizer());
        ServerConnector c = new ServerConnector(
                jetty, 1, 1, new SslConnectionFactory(TlsPolicy.sslContextFactory(cert, pool), "http/1.1"), f);
        c.setHost(bind);
        c.setPort(port);
        c.setIdleTimeout(f.connectorIdleTimeout());
        return c;
    }

    /** HTTP/1.1 with Xapi's header limits; responses without Server or X-Powered-By headers. */
    private static XapiHttpConnectionFactory connectionFactory(
            HttpLimits limits, Duration readTimeout, Duration totalTimeout) {
        HttpConfiguration hc = new HttpConfiguration();
        hc.setSendServerVersion(false);
        hc.setSendXPoweredBy(false);
        hc.setSendDateHeader(false);
        // Jetty builds a 96 KiB header-field cache per keep-alive connection: 480 MiB for 5,000 event.from
        // waiters, for no measurable gain on XenAPI's few, small headers
        hc.setHeaderCacheSize(0);
        hc.setRequestHeaderSize(limits.maxHeaderBytes());
        return new XapiHttpConnectionFactory(hc, readTimeout, totalTimeout);
    }
}
