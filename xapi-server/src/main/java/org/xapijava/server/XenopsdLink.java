package org.xapijava.server;

import java.nio.file.Path;
import java.time.Duration;
import org.xapijava.db.Db;
import org.xapijava.server.config.XapiConfig;
import org.xapijava.server.storage.StorageBackends;
import org.xapijava.server.storage.rpc.Datapaths;
import org.xapijava.server.storage.rpc.StorageRpc;
import org.xapijava.server.storage.rpc.StorageSocket;
import org.xapijava.server.xenops.EmbeddedXenopsd;
import org.xapijava.server.xenops.XenopsService;
import org.xapijava.xenopsd.XenopsClient;

/**
 * A host's link to xenopsd, started and closed as one: xapi's SMAPIv2 interface (also served on
 * {@code /services/SM}) and its socket that xenopsd attaches disks through ({@code storage-socket}, unless empty), the xenopsd itself (with {@code xenopsd = embedded} a simulator started
 * here on {@code xenopsd-socket}, state in {@code xenopsd-state-dir}; with {@code external} a daemon already there),
 * the client of its socket, and xapi's side of it ({@link XenopsService}). {@link #close()} closes them in the
 * reverse order; what a failed {@link #start} had started is closed there too.
 */
final class XenopsdLink implements AutoCloseable {
    private final XapiConfig config;
    private StorageRpc storageRpc;
    private StorageSocket storageSocket;
    private EmbeddedXenopsd embedded;
    private XenopsClient client;
    private XenopsService service;

    XenopsdLink(XapiConfig config) {
        this.config = config;
    }

    /**
     * Serves the storage socket over {@code backends}, starts or finds xenopsd, and builds xapi's side of it (not yet
     * started: {@link XenopsService#start()} runs once the server answers calls).
     */
    void start(Services services, Db data, StorageBackends backends) throws Exception {
        String storagePath = config.get("storage-socket");
        storageRpc = new StorageRpc(new Datapaths(data, backends));
        if (!storagePath.isEmpty()) {
            storageSocket = new StorageSocket(Path.of(storagePath), storageRpc);
            storageSocket.start();
        }
        Path socket = config.path("xenopsd-socket");
        switch (config.get("xenopsd")) {
            case "embedded" -> {
                embedded = new EmbeddedXenopsd(
                        socket,
                        EmbeddedXenopsd.config(
                                config.path("xenopsd-state-dir"),
                                Long.parseLong(config.get("xenopsd-sim-memory-mib")),
                                config.get("xenopsd-sim-delays"),
                                storageSocket == null ? null : storageSocket.path(),
                                config.path("pool-bundle")));
                embedded.start();
            }
            case "external" -> {}
            default ->
                throw new IllegalArgumentException(
                        "xenopsd: expected embedded or external, got " + config.get("xenopsd"));
        }
        client = new XenopsClient(
                socket,
                XenopsClient.DEFAULT_CONNECT_TIMEOUT,
                Duration.ofMillis(config.integer("xenopsd-call-timeout-ms")));
        service = new XenopsService(
                services.data(),
                services.db(),
                services.clock(),
                services.hostRef(),
                services.poolRef(),
                services.tasks(),
                services.allowed(),
                client,
                socket,
                Duration.ofMillis(config.integer("xenopsd-reconnect-max-ms")));
    }

    /** xapi's side of xenopsd, or null before {@link #start}. */
    XenopsService service() {
        return service;
    }

    /** The client of xenopsd's socket, or null before {@link #start}. */
    XenopsClient client() {
        return client;
    }

    /** The in-process xenopsd simulator, or null when xenopsd is external. */
    EmbeddedXenopsd embedded() {
        return embedded;
    }

    /** xapi's storage interface (the socket's and {@code /services/SM}'s), or null before {@link #start}. */
    StorageRpc storageRpc() {
        return storageRpc;
    }

    /** xapi's storage socket, or null when not served. */
    StorageSocket storageSocket() {
        return storageSocket;
    }

    /** Closes xapi's side, the client, the simulator, then the storage socket. Idempotent. */
    @Override
    public void close() {
        if (service != null) {
            service.close();
            service = null;
        }
        if (client != null) {
            client.close();
            client = null;
        }
        if (embedded != null) {
            embedded.close();
            embedded = null;
        }
        if (storageSocket != null) {
            storageSocket.close();
            storageSocket = null;
        }
    }
}
