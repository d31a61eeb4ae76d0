package org.xapijava.server.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.xapijava.cli.protocol.CliProtocol;
import org.xapijava.cli.server.CliHost;
import org.xapijava.model.client.Transport;
import org.xapijava.server.client.InProcessTransport;
import org.xapijava.server.dispatch.Caller;
import org.xapijava.server.dispatch.Dispatcher;

/**
 * This host as the CLI sees it: commands call through the host's {@link Dispatcher} as the {@code cli} door (the
 * Unix socket's clients are the local superuser), references are looked up in the host's database, and a member
 * relays commands to its master's {@code /cli}.
 */
public final class ServerCliHost implements CliHost {
    private final Dispatcher dispatcher;
    private final boolean master;
    private final String masterAddress;
    private volatile InetSocketAddress masterCli;
    /** The pool's TLS sockets to the master, or null: plain HTTP. */
    private volatile javax.net.ssl.SSLSocketFactory tls;
    /** How this host reaches another host's xapi: the pool's TLS when it has a fixed HTTPS port, else HTTP. */
    private volatile org.xapijava.server.pool.PoolTls poolTls;

    private volatile java.util.function.IntSupplier httpPort = () -> 0;
    /** The longest a call to another host's xapi may take (short calls: a login, records, host.migrate_receive). */
    private static final java.time.Duration REMOTE_TIMEOUT = java.time.Duration.ofSeconds(60);

    private final Function<String, RefInfo> refs;
    private final String apiVersion;

    /**
     * @param masterCli where the master's {@code /cli} listens (null on the master itself)
     * @param refs      the reference index (Xapi's {@code Ref_index})
     */
    public ServerCliHost(
            Dispatcher dispatcher,
            boolean master,
            String masterAddress,
            InetSocketAddress masterCli,
            Function<String, RefInfo> refs,
            String apiVersion) {
        this.dispatcher = dispatcher;
        this.master = master;
        this.masterAddress = masterAddress;
        this.masterCli = masterCli;
        this.refs = refs;
        this.apiVersion = apiVersion;
    }

    /**
     * This host's: on a member, the master's {@code /cli} is at {@code masterBind} (an in-process test pool's master)
     * or the pool's master address, on {@code masterPort}.
     */
    public static ServerCliHost of(
            Dispatcher dispatcher,
            org.xapijava.server.pool.PoolRole role,
            String masterBind,
            int masterPort,
            org.xapijava.db.Database db) {
        org.xapijava.model.Datamodel dm = db.datamodel();
        InetSocketAddress masterCli = role.isMaster()
                ? null
                : new InetSocketAddress(masterBind != null ? masterBind : role.masterAddress(), masterPort);
        return new ServerCliHost(
                dispatcher,
                role.isMaster(),
                role.masterAddress(),
                masterCli,
                index(db),
                dm.apiVersionMajor() + "." + dm.apiVersionMinor());
    }

    /** The HTTP port every host of the pool listens on (this host's). Returns this. */
    public ServerCliHost withHttpPort(java.util.function.IntSupplier port) {
        this.httpPort = port;
        return this;
    }

    /**
     * How this host reaches the others ({@link #remote}); on a member of a pool whose traffic is TLS ({@code tls}
     * enabled), the relay also goes to the master's HTTPS port, checked as the pool's other connections. Returns this.
     */
    public ServerCliHost withTls(org.xapijava.server.pool.PoolTls tls) {
        this.poolTls = tls;
        if (tls != null && tls.enabled() && masterCli != null) {
            masterCli = new InetSocketAddress(masterCli.getHostString(), tls.httpsPort());
            this.tls = tls.context().getSocketFactory();
        }
        return this;
    }

    /** Xapi's {@code Ref_index} over this host's database: the uuid and name-label of any object by reference. */
    public static Function<String, RefInfo> index(org.xapijava.db.Database db) {
        return ref -> {
            org.xapijava.db.Snapshot s = db.snapshot();
            String cls = s.classOf(ref);
            if (cls == null) return null;
            org.xapijava.model.ClassDef def = s.datamodel().cls(cls);
            if (def.field("uuid") == null) return null;
            String name = def.field("name_label") != null ? (String) s.get(cls, ref, "name_label") : null;
            return new RefInfo((String) s.get(cls, ref, "uuid"), name);
        };
    }

    @Override
    public Transport transport(boolean unixSocket, String clientAddress) {
        return new InProcessTransport(dispatcher, new Caller("cli", clientAddress, unixSocket, Map.of()));
    }

    @Override
    public boolean isMaster() {
        return master;
    }

    @Override
    public String masterAddress() {
        return masterAddress;
    }

    @Override
    public RefInfo lookupRef(String ref) {
        if (ref == null || !ref.startsWith("OpaqueRef:")) return null;
        return refs.apply(ref);
    }

    @Override
    public String apiVersion() {
        return apiVersion;
    }

    /**
     * Xapi's {@code forward}: {@code POST /cli HTTP/1.0} to the master with a {@code session_id=} first line and the
     * arguments joined by CRLF, the handshake as a client, then bytes copied both ways until either side closes.
     * Over TLS to the master's HTTPS port when the pool's traffic is ({@link #withTls}), else plain HTTP.
     */
    @Override
    public void forwardToMaster(String session, List<String> args, InputStream clientIn, OutputStream clientOut)
            throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("session_id=" + session);
        lines.addAll(args);
        byte[] body = String.join("\r\n", lines).getBytes(StandardCharsets.UTF_8);
        javax.net.ssl.SSLSocketFactory f = tls;
        try (Socket s = f == null ? new Socket() : f.createSocket()) {
            s.connect(masterCli, 10_000);
            s.setTcpNoDelay(true);
            OutputStream mo = s.getOutputStream();
            InputStream mi = s.getInputStream();
            String head = "POST /cli HTTP/1.0\r\nUser-agent: xapi/" + apiVersion + "\r\ncontent-length: " + body.length
                    + "\r\n\r\n";
            mo.write(head.getBytes(StandardCharsets.US_ASCII));
            mo.write(body);
            mo.flush();
            CliProtocol.readBanner(mi);
            mo.write(CliProtocol.banner());
            mo.flush();
            Thread up = Thread.ofVirtual().name("cli-relay").start(() -> {
                try {
                    clientIn.transferTo(mo);
                } catch (IOException e) {
                    // either side went away: the other copy ends too
                } finally {
                    try {
                        s.shutdownOutput();
                    } catch (IOException ignored) {
                        // closed already
                    }
                }
            });
            try {
                byte[] buf = new byte[16 * 1024];
                int n;
                while ((n = mi.read(buf)) >= 0) {
                    clientOut.write(buf, 0, n);
                    clientOut.flush();
                }
            } finally {
                up.interrupt();
            }
        }
    }

    /**
     * Another host's xapi as the pool reaches it (the hosts of a pool share their ports here, where Xapi's listen on
     * 443): HTTPS on the pool's port without certificate checks when the pool has one (xe's storage migration makes its
     * {@code remote-master} connection with {@code verify_cert:None}), else HTTP.
     */
    @Override
    public RemoteTransport remote(String address) {
        org.xapijava.server.pool.PoolTls t = poolTls;
        org.xapijava.server.client.XmlRpcTransport x = t != null && t.enabled()
                ? org.xapijava.server.client.XmlRpcTransport.tcp(
                        t.uri(address), org.xapijava.server.tls.PoolTrust.unverified(), REMOTE_TIMEOUT)
                : org.xapijava.server.client.XmlRpcTransport.tcp(
                        org.xapijava.server.client.XmlRpcTransport.hostUri(address, httpPort.getAsInt()),
                        null,
                        REMOTE_TIMEOUT);
        return new RemoteTransport() {
            @Override
            public Object call(String method, List<Object> params) {
                return x.call(method, params);
            }

            @Override
            public void close() {
                x.close();
            }
        };
    }
}
