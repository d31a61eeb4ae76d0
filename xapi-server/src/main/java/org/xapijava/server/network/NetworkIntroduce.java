package org.xapijava.server.network;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.model.api.Network;
import org.xapijava.model.api.enums.NetworkDefaultLockingMode;
import org.xapijava.model.types.Refs;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.NetworkApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;

/**
 * {@code network.pool_introduce} as Xapi's {@code xapi_network.ml}: a network record with the given fields (used
 * when a host joins a pool), unlocked by default, no operations, blobs, tags or assigned IPs. Like Xapi it checks
 * nothing (the MTU and bridge are taken as given: the caller is another host of the pool). Thread-safe.
 */
public final class NetworkIntroduce implements Messages {
    private final Db data;

    public NetworkIntroduce(Db data) {
        this.data = data;
    }

    @Override
    public void bind(MessageTable table) {
        NetworkApi.bind(table, new NetworkApi() {
            @Override
            public String poolIntroduce(
                    CallContext ctx,
                    String nameLabel,
                    String nameDescription,
                    long mtu,
                    Map<String, String> otherConfig,
                    String bridge,
                    boolean managed,
                    List<String> purpose) {
                return introduce(nameLabel, nameDescription, mtu, otherConfig, bridge, managed, purpose);
            }
        });
    }

    String introduce(
            String nameLabel,
            String nameDescription,
            long mtu,
            Map<String, String> otherConfig,
            String bridge,
            boolean managed,
            List<String> purpose) {
        String ref = Refs.fresh();
        data.create(
                ref,
                FieldValues.of(Network.XAPI_CLASS)
                        .with(Network.UUID, UUID.randomUUID().toString())
                        .with(Network.CURRENT_OPERATIONS, Map.of())
                        .with(Network.ALLOWED_OPERATIONS, List.of())
                        .with(Network.PURPOSE, purpose)
                        .with(Network.NAME_LABEL, nameLabel)
                        .with(Network.NAME_DESCRIPTION, nameDescription)
                        .with(Network.MTU, mtu)
                        .with(Network.BRIDGE, bridge)
                        .with(Network.MANAGED, managed)
                        .with(Network.OTHER_CONFIG, otherConfig)
                        .with(Network.BLOBS, Map.of())
                        .with(Network.TAGS, List.of())
                        .with(Network.DEFAULT_LOCKING_MODE, NetworkDefaultLockingMode.UNLOCKED.wire())
                        .with(Network.ASSIGNED_IPS, Map.of()));
        return ref;
    }
}
