package org.xapijava.cli.client;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The client's transports (§1.1 of the CLI reference): for the literal server 127.0.0.1 first the local Unix
 * socket ({@code $XE_UNIX_SOCKET}, else {@code /var/lib/xcp/xapi}) then plain TCP; for any other server TLS, or
 * plain TCP with {@code --nossl}. The server's certificate is not checked, as Xapi's client does not check it.
 */
final class Connector {
    static final String DEFAULT_SOCKET = "/var/lib/xcp/xapi";

    private final XeOptions options;
    private final String unixSocket;
    private final DebugLog debug;

    Connector(XeOptions options, String unixSocket, DebugLog debug) {
        this.options = options;
        this.unixSocket = unixSocket == null || unixSocket.isEmpty() ? DEFAULT_SOCKET : unixSocket;
        this.debug = debug;
    }

    /** An open connection: buffered streams over a socket. */
    static final class Conn implements Closeable {
        final InputStream in;
        final OutputStream out;
        private final Closeable socket;

        Conn(InputStream in, OutputStream out, Closeable socket) {
            this.in = new BufferedInputStream(in, 65536);
            this.out = new BufferedOutputStream(out, 65536);
            this.socket = socket;
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // already gone
            }
        }
    }

    /** The connection for the CLI request itself. */
    Conn openCli() throws IOException {
        if (XeOptions.LOCALHOST.equals(options.server)) {
            debug.log("Connecting to Unix socket [" + unixSocket + "]");
            try {
                SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(unixSocket));
                debug.log("\n");
                return new Conn(Channels.newInputStream(ch), Channels.newOutputStream(ch), ch);
            } catch (IOException | RuntimeException e) {
                debug.log(" failed\n");
            }
        }
        return open(options.server);
    }

    /** A connection to {@code host} (the server's or a URL's) by TCP or TLS, never the Unix socket. */
    Conn open(String host) throws IOException {
        boolean tls = options.tls(host);
        int port = options.port(tls);
        if (tls) {
            debug.log("Connecting via TLS to [" + host + "] port [" + port + "]\n");
            SSLSocket s = (SSLSocket) tlsContext().getSocketFactory().createSocket();
            try {
                s.connect(new InetSocketAddress(resolve(unbracket(host)), port));
                s.setTcpNoDelay(true);
                s.setKeepAlive(true);
                s.setEnabledProtocols(protocols(s.getSupportedProtocols()));
                s.startHandshake();
            } catch (UnknownHostException e) {
                s.close();
                throw e;
            } catch (IOException | RuntimeException e) {
                s.close();
                throw new TlsFailure(e);
            }
            return new Conn(s.getInputStream(), s.getOutputStream(), s);
        }
        String h = unbracket(host);
        InetAddress addr = resolve(h);
        debug.log("Connecting via TCP to [" + host + "] port [" + port + "]\n");
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(addr, port));
            s.setTcpNoDelay(true);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        return new Conn(s.getInputStream(), s.getOutputStream(), s);
    }

    /**
     * No TLS connection: Xapi's client then reads nothing from its stunnel, and says it could not contact the
     * server.
     */
    static final class TlsFailure extends IOException {
        TlsFailure(Exception cause) {
            super(cause.toString(), cause);
        }
    }

    private static InetAddress resolve(String host) throws IOException {
        return InetAddress.getByName(host);
    }

    /** An IPv6 literal in brackets, without them. */
    static String unbracket(String host) {
        if (host.length() >= 2 && host.charAt(0) == '[' && host.indexOf(']') > 0) {
            return host.substring(1, host.indexOf(']'));
        }
        return host;
    }

    private static String[] protocols(String[] supported) {
        List<String> p = new ArrayList<>();
        for (String s : supported) if (s.equals("TLSv1.3") || s.equals("TLSv1.2")) p.add(s);
        return p.toArray(new String[0]);
    }

    private static SSLContext tlsContext() throws IOException {
        try {
            SSLContext c = SSLContext.getInstance("TLS");
            c.init(null, new TrustManager[] {new TrustAll()}, null);
            return c;
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS unavailable: " + e.getMessage(), e);
        }
    }

    /** Accepts any server certificate (Xapi's client runs stunnel without verification). */
    private static final class TrustAll extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
