package org.xapijava.server.network;

import java.util.ArrayList;
import java.util.List;
import org.xapijava.db.Db;
import org.xapijava.db.Update;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.HostMetrics;
import org.xapijava.model.api.Network;
import org.xapijava.model.api.VIF;
import org.xapijava.model.api.enums.NetworkDefaultLockingMode;
import org.xapijava.model.api.enums.NetworkPurpose;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.NetworkApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;

/**
 * The network messages of Xapi's {@code xapi_network.ml}: {@code add_purpose} / {@code remove_purpose} (a managed
 * network only; {@code nbd} and {@code insecure_nbd} never coexist in the pool), {@code set_default_locking_mode}
 * (refused while a VIF on the network is attached: the new default reaches a VIF with {@code network_default} when
 * it is next plugged or started), and the host-side calls {@code attach}, {@code attach_for_vm},
 * {@code detach_for_vm} on the simulated bridges of {@link HostBridges}. The host-side calls run on the host their
 * {@code host} argument names ({@code Placements}); none marks an operation, as in Xapi. Thread-safe.
 */
public final class NetworkMessages implements Messages {
    private final Db data;
    private final String hostRef;
    private final HostBridges bridges;

    public NetworkMessages(Db data, String hostRef, HostBridges bridges) {
        this.data = data;
        this.hostRef = hostRef;
        this.bridges = bridges;
    }

    @Override
    public void bind(MessageTable table) {
        NetworkApi.bind(table, new Api());
    }

    /**
     * The forwarding layer's {@code check_live} for a {@code host} argument that did not lead to another host: this
     * host runs the call; any other that is not live (or no host at all) is {@code HOST_OFFLINE [host]}.
     */
    private void assertHere(String host) {
        if (host.equals(hostRef)) return;
        boolean live = data.exists(Host.XAPI_CLASS, host)
                && data.exists(HostMetrics.XAPI_CLASS, data.get(host, Host.METRICS))
                && data.get(data.get(host, Host.METRICS), HostMetrics.LIVE);
        if (!live) throw new ApiError(ErrorCodes.HOST_OFFLINE, host);
    }

    /** {@code assert_can_add_purpose}: no network of the pool has the purpose the new one excludes. */
    private static void assertCanAddPurpose(Db data, NetworkPurpose value) {
        NetworkPurpose excluded = value == NetworkPurpose.NBD ? NetworkPurpose.INSECURE_NBD : NetworkPurpose.NBD;
        for (String net : data.all(Network.XAPI_CLASS)) {
            if (data.get(net, Network.PURPOSE).contains(excluded.wire())) {
                throw new ApiError(ErrorCodes.NETWORK_INCOMPATIBLE_PURPOSES, value.wire(), excluded.wire());
            }
        }
    }

    private final class Api implements NetworkApi {
        @Override
        public void addPurpose(CallContext ctx, String self, NetworkPurpose value) {
            Db.retrying(() -> {
                long read = data.modified(Network.XAPI_CLASS, self);
                if (!data.get(self, Network.MANAGED)) throw new ApiError(ErrorCodes.NETWORK_UNMANAGED, self);
                List<String> current = data.get(self, Network.PURPOSE);
                if (current.contains(value.wire())) return;
                assertCanAddPurpose(data, value);
                List<String> now = new ArrayList<>();
                now.add(value.wire());
                now.addAll(current);
                data.apply(Update.builder()
                        .unchanged(Network.XAPI_CLASS, self, read)
                        .set(self, Network.PURPOSE, now)
                        .build());
            });
        }

        @Override
        public void removePurpose(CallContext ctx, String self, NetworkPurpose value) {
            Db.retrying(() -> {
                long read = data.modified(Network.XAPI_CLASS, self);
                List<String> current = data.get(self, Network.PURPOSE);
                if (!current.contains(value.wire())) return;
                List<String> now = new ArrayList<>(current);
                now.removeIf(p -> p.equals(value.wire()));
                data.apply(Update.builder()
                        .unchanged(Network.XAPI_CLASS, self, read)
                        .set(self, Network.PURPOSE, now)
                        .build());
            });
        }

        @Override
        public void setDefaultLockingMode(CallContext ctx, String network, NetworkDefaultLockingMode value) {
            Db.retrying(() -> {
                Update.Builder u = Update.builder();
                for (String vif : data.where(VIF.NETWORK, network)) {
                    long read = data.modified(VIF.XAPI_CLASS, vif);
                    if (data.get(vif, VIF.CURRENTLY_ATTACHED)) {
                        throw new ApiError(ErrorCodes.VIF_IN_USE, network, vif);
                    }
                    u.unchanged(VIF.XAPI_CLASS, vif, read); // a VIF attached meanwhile is a conflict: read again
                }
                data.apply(u.set(network, Network.DEFAULT_LOCKING_MODE, value.wire())
                        .build());
            });
        }

        @Override
        public void attach(CallContext ctx, String network, String host) {
            assertHere(host);
            bridges.attach(network, true);
        }

        @Override
        public void attachForVm(CallContext ctx, String host, String vm) {
            assertHere(host);
            bridges.attachForVm(vm);
        }

        @Override
        public void detachForVm(CallContext ctx, String host, String vm) {
            assertHere(host);
            bridges.detachForVm(vm);
        }
    }
}
