package org.xapijava.bench.lifecycle;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xapijava.xenopsd.Metadata;
import org.xapijava.xenopsd.Xenops;

/**
 * The side under test: {@code VM.start(vm, false, false)} and {@code VM.clean_shutdown(vm)}, synchronous XenAPI
 * calls over XML-RPC/HTTP with the project's own codec, each client on its own keep-alive connection and session.
 * The requests are built once per VM (a VM always belongs to the same client). Thread-safe as used: client
 * {@code c} is only ever driven by one thread.
 */
final class XapiSide implements Side {
    private final XmlRpcConnection check;
    private final String checkSession;
    private final Xenops xenops;
    private final List<String> vms;
    private final List<String> uuids;
    private final List<XmlRpcConnection> connections = new ArrayList<>();
    private final List<byte[]> startRequests = new ArrayList<>();
    private final List<byte[]> shutdownRequests = new ArrayList<>();

    /**
     * Logs each client in on its own connection.
     *
     * @param owner the client of each VM
     */
    XapiSide(
            InetSocketAddress a,
            String password,
            Xenops xenops,
            List<String> vms,
            List<String> uuids,
            int clients,
            int[] owner)
            throws IOException {
        this.xenops = xenops;
        this.vms = List.copyOf(vms);
        this.uuids = List.copyOf(uuids);
        this.check = new XmlRpcConnection(a);
        this.checkSession = (String) check.call("session.login_with_password", "root", password, "1.0", "bench check");
        List<String> sessions = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            XmlRpcConnection c = new XmlRpcConnection(a);
            connections.add(c);
            sessions.add((String)
                    c.call("session.login_with_password", "root", password, "1.0", "xapi-java lifecycle bench"));
        }
        for (int v = 0; v < vms.size(); v++) {
            String session = sessions.get(owner[v]);
            startRequests.add(XmlRpcConnection.request("VM.start", List.of(session, vms.get(v), false, false)));
            shutdownRequests.add(XmlRpcConnection.request("VM.clean_shutdown", List.of(session, vms.get(v))));
        }
    }

    @Override
    public String name() {
        return "xapi-java";
    }

    @Override
    public void start(int client, int vm) throws IOException {
        connections.get(client).send(startRequests.get(vm));
    }

    @Override
    public void cleanShutdown(int client, int vm) throws IOException {
        connections.get(client).send(shutdownRequests.get(vm));
    }

    /** Every VM Halted with nothing in {@code current_operations}, and unknown to xapi's simulator. */
    @Override
    public void checkIdle() throws IOException {
        for (int v = 0; v < vms.size(); v++) {
            String vm = vms.get(v);
            Object power = check.call("VM.get_power_state", checkSession, vm);
            if (!"Halted".equals(power)) throw new IllegalStateException("VM " + vm + " is " + power);
            Map<?, ?> ops = (Map<?, ?>) check.call("VM.get_current_operations", checkSession, vm);
            if (!ops.isEmpty()) throw new IllegalStateException("VM " + vm + " is still marked: " + ops);
            if (xenops.vmExists("bench", uuids.get(v)))
                throw new IllegalStateException("xapi's simulator still has VM " + uuids.get(v));
        }
    }

    /**
     * The metadata xapi pushed to its simulator for the running VM {@code uuid} ({@code VM.export_metadata}),
     * without the running domain's state that the export adds (xapi pushes none: importing it would recreate the
     * domain, as on a migration).
     */
    String exportMetadata(String uuid) {
        Metadata m = Metadata.fromJson(xenops.vmExportMetadata("bench", uuid));
        return new Metadata(m.vm(), m.vbds(), m.vifs(), m.pcis(), m.vgpus(), m.vusbs(), null).toJson();
    }

    void close() throws IOException {
        for (XmlRpcConnection c : connections) c.close();
        check.close();
    }
}
