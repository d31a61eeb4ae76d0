package org.xapijava.model.util;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.security.KeyManagementException;
import java.security.SecureRandom;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * A client TLS context whose every connection asks for one server name (TLS SNI): the pool's connections ask for
 * {@code pool}, as Xapi's stunnel client does ({@code sni = pool}), so that another host serves its pool certificate.
 * Its engines, its sockets and its default parameters (which the JDK's HTTP client copies) carry the name; an HTTP
 * client that names a DNS host replaces it with that name, as it would for stunnel. Everything else is the wrapped
 * context's.
 */
public final class ServerNameTls {
    /** The server name the pool's hosts ask for (Xapi's stunnel client: {@code sni = pool}). */
    public static final String POOL = "pool";

    private ServerNameTls() {}

    /** {@code inner} (initialised), its connections asking for the server name {@code name}. */
    public static SSLContext wrap(SSLContext inner, String name) {
        return new Wrapped(inner, new SNIHostName(name));
    }

    private static final class Wrapped extends SSLContext {
        Wrapped(SSLContext inner, SNIHostName name) {
            super(new Spi(inner, name), inner.getProvider(), inner.getProtocol());
        }
    }

    private static SSLParameters withName(SSLParameters p, SNIHostName name) {
        p.setServerNames(List.of(name));
        return p;
    }

    private static SSLEngine named(SSLEngine e, SNIHostName name) {
        e.setSSLParameters(withName(e.getSSLParameters(), name));
        return e;
    }

    private static Socket named(Socket s, SNIHostName name) {
        if (s instanceof SSLSocket t) t.setSSLParameters(withName(t.getSSLParameters(), name));
        return s;
    }

    private static final class Spi extends SSLContextSpi {
        private final SSLContext inner;
        private final SNIHostName name;

        Spi(SSLContext inner, SNIHostName name) {
            this.inner = inner;
            this.name = name;
        }

        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) throws KeyManagementException {
            inner.init(km, tm, sr);
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            return new Sockets(inner.getSocketFactory(), name);
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            return inner.getServerSocketFactory();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            return named(inner.createSSLEngine(), name);
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            return named(inner.createSSLEngine(host, port), name);
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return inner.getServerSessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return inner.getClientSessionContext();
        }

        @Override
        protected SSLParameters engineGetDefaultSSLParameters() {
            return withName(inner.getDefaultSSLParameters(), name);
        }

        @Override
        protected SSLParameters engineGetSupportedSSLParameters() {
            return inner.getSupportedSSLParameters();
        }
    }

    /** The wrapped context's sockets, each asking for the name before its handshake. */
    private static final class Sockets extends SSLSocketFactory {
        private final SSLSocketFactory inner;
        private final SNIHostName name;

        Sockets(SSLSocketFactory inner, SNIHostName name) {
            this.inner = inner;
            this.name = name;
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return inner.getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return inner.getSupportedCipherSuites();
        }

        @Override
        public Socket createSocket() throws IOException {
            return named(inner.createSocket(), name);
        }

        @Override
        public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
            return named(inner.createSocket(s, host, port, autoClose), name);
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return named(inner.createSocket(host, port), name);
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return named(inner.createSocket(host, port, localHost, localPort), name);
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return named(inner.createSocket(host, port), name);
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
                throws IOException {
            return named(inner.createSocket(address, port, localAddress, localPort), name);
        }
    }
}
