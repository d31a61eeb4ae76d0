package org.xapijava.server.bootstrap;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.db.Update;
import org.xapijava.model.api.Network;
import org.xapijava.model.api.PIF;
import org.xapijava.model.api.PIFMetrics;
import org.xapijava.model.api.enums.IpConfigurationMode;
import org.xapijava.model.api.enums.Ipv6ConfigurationMode;
import org.xapijava.model.api.enums.NetworkDefaultLockingMode;
import org.xapijava.model.api.enums.PifIgmpStatus;
import org.xapijava.model.api.enums.PrimaryAddressType;
import org.xapijava.model.types.Refs;

/**
 * The networks of start-up, after Xapi's {@code create_networks.ml} ({@code create_guest_installer_network}: the
 * pool's host internal management network, master only) and {@code dbsync_slave.ml}'s
 * {@code resynchronise_pif_params} (every host: the management PIF's flags and address), with the installer's
 * {@code pif-introduce} of the management NIC while the host's first boot is not complete.
 */
final class HostNetworks {
    static final String INTERNAL_NETWORK_NAME = "Host internal management network";
    static final String INTERNAL_NETWORK_DESCRIPTION =
            "Network on which guests will be assigned a private link-local IP address which can be used to talk XenAPI";
    static final String INTERNAL_NETWORK_BRIDGE = "xenapi";
    /** {@code network.other_config} keys marking the internal network (the second one for backward compatibility). */
    static final String IS_GUEST_INSTALLER_NETWORK = "is_guest_installer_network";

    static final String IS_HOST_INTERNAL_MANAGEMENT_NETWORK = "is_host_internal_management_network";
    /** The management NIC of the simulated host. */
    static final String MANAGEMENT_DEVICE = "eth0";
    /** The MTU of every network and PIF start-up creates. */
    static final long MTU = 1500L;

    private final StartupContext c;
    private final Db db;

    HostNetworks(StartupContext c) {
        this.c = c;
        this.db = c.db;
    }

    /** The management network, this host's PIF on it and that PIF's metrics; each NULL when absent. */
    record Management(String network, String pif, String pifMetrics) {}

    /**
     * The management network and PIF. While the first boot is not complete they are introduced when missing, as
     * the installer does ({@code pif-introduce} of {@value #MANAGEMENT_DEVICE}, static IP configuration,
     * management on); afterwards a PIF forgotten since stays forgotten (Xapi does not reintroduce it at start).
     * Then {@code update_management_flags}, the address and the PIF metrics are resynchronised.
     */
    Management syncManagement(String host, boolean firstBootPending) {
        String bridge = c.inventory.managementInterface().isEmpty()
                ? Inventory.DEFAULT_MANAGEMENT_INTERFACE
                : c.inventory.managementInterface();
        List<String> networks = db.where(Network.BRIDGE, bridge);
        String network = networks.isEmpty() ? null : networks.getLast();
        String pif = null;
        if (network != null) {
            for (String p : db.where(PIF.HOST, host)) {
                if (network.equals(db.get(p, PIF.NETWORK))) pif = p;
            }
        }
        if (pif == null && !firstBootPending) {
            return new Management(network == null ? Refs.NULL : network, Refs.NULL, Refs.NULL);
        }
        if (network == null) {
            network = Refs.fresh();
            db.create(network, managementNetwork(bridge));
        }
        if (pif == null) {
            pif = Refs.fresh();
            String metrics = Refs.fresh();
            Update.Builder u = Update.builder()
                    .create(metrics, newPifMetrics())
                    .create(pif, newManagementPif(host, network, metrics));
            db.apply(address(u, pif).build());
        } else {
            // update_management_flags and the address refresh
            Update.Builder u = Update.builder();
            for (String p : db.where(PIF.HOST, host)) u.set(p, PIF.MANAGEMENT, p.equals(pif));
            u.set(pif, PIF.CURRENTLY_ATTACHED, true);
            db.apply(address(u, pif).build());
        }
        String metrics = db.get(pif, PIF.METRICS);
        if (!c.valid(PIFMetrics.XAPI_CLASS, metrics)) {
            metrics = Refs.fresh();
            db.apply(Update.builder()
                    .create(
                            metrics,
                            FieldValues.of(PIFMetrics.XAPI_CLASS)
                                    .with(PIFMetrics.UUID, StartupContext.uuid())
                                    .with(PIFMetrics.CARRIER, true)
                                    .with(PIFMetrics.SPEED, 1000L)
                                    .with(PIFMetrics.DUPLEX, true)
                                    .with(PIFMetrics.LAST_UPDATED, c.nowDt)
                                    .with(PIFMetrics.OTHER_CONFIG, Map.of()))
                    .set(pif, PIF.METRICS, metrics)
                    .build());
        }
        db.apply(Update.builder()
                .set(metrics, PIFMetrics.CARRIER, true)
                .set(metrics, PIFMetrics.LAST_UPDATED, c.nowDt)
                .build());
        return new Management(network, pif, metrics);
    }

    private static FieldValues managementNetwork(String bridge) {
        return FieldValues.of(Network.XAPI_CLASS)
                .with(Network.UUID, StartupContext.uuid())
                .with(Network.NAME_LABEL, "Pool-wide network associated with " + MANAGEMENT_DEVICE)
                .with(Network.NAME_DESCRIPTION, "")
                .with(Network.MTU, MTU)
                .with(Network.PURPOSE, List.of())
                .with(Network.BRIDGE, bridge)
                .with(Network.MANAGED, true)
                .with(Network.OTHER_CONFIG, Map.of())
                .with(Network.BLOBS, Map.of())
                .with(Network.TAGS, List.of())
                .with(Network.DEFAULT_LOCKING_MODE, NetworkDefaultLockingMode.UNLOCKED.wire())
                .with(Network.ASSIGNED_IPS, Map.of());
    }

    private FieldValues newPifMetrics() {
        return FieldValues.of(PIFMetrics.XAPI_CLASS)
                .with(PIFMetrics.UUID, StartupContext.uuid())
                .with(PIFMetrics.CARRIER, true)
                .with(PIFMetrics.DEVICE_NAME, "")
                .with(PIFMetrics.VENDOR_NAME, "")
                .with(PIFMetrics.DEVICE_ID, "")
                .with(PIFMetrics.VENDOR_ID, "")
                .with(PIFMetrics.SPEED, 1000L)
                .with(PIFMetrics.DUPLEX, true)
                .with(PIFMetrics.PCI_BUS_PATH, "")
                .with(PIFMetrics.LAST_UPDATED, c.nowDt)
                .with(PIFMetrics.OTHER_CONFIG, Map.of());
    }

    private FieldValues newManagementPif(String host, String network, String metrics) {
        return FieldValues.of(PIF.XAPI_CLASS)
                .with(PIF.UUID, StartupContext.uuid())
                .with(PIF.DEVICE, MANAGEMENT_DEVICE)
                .with(PIF.DEVICE_NAME, MANAGEMENT_DEVICE)
                .with(PIF.NETWORK, network)
                .with(PIF.HOST, host)
                .with(PIF.MAC, macAddress())
                .with(PIF.MTU, MTU)
                .with(PIF.VLAN, -1L)
                .with(PIF.METRICS, metrics)
                .with(PIF.PHYSICAL, true)
                .with(PIF.CURRENTLY_ATTACHED, true)
                .with(PIF.IGMP_SNOOPING_STATUS, PifIgmpStatus.UNKNOWN.wire())
                .with(PIF.BOND_SLAVE_OF, Refs.NULL)
                .with(PIF.VLAN_MASTER_OF, Refs.NULL)
                .with(PIF.MANAGEMENT, true)
                .with(PIF.OTHER_CONFIG, Map.of())
                .with(PIF.DISALLOW_UNPLUG, false)
                .with(PIF.IPV6_GATEWAY, "")
                .with(PIF.PRIMARY_ADDRESS_TYPE, c.inventory.managementAddressType())
                .with(PIF.MANAGED, true)
                .with(PIF.PROPERTIES, Map.of("gro", "on"))
                .with(PIF.CAPABILITIES, List.of())
                .with(PIF.PCI, Refs.NULL)
                .with(PIF.DNS, "");
    }

    /** Adds the management address as the PIF's static IPv4 (or IPv6) configuration to {@code u}. */
    private Update.Builder address(Update.Builder u, String pif) {
        BootstrapSettings s = c.settings;
        if (s.ipv6()) {
            return u.set(pif, PIF.IP_CONFIGURATION_MODE, IpConfigurationMode.NONE.wire())
                    .set(pif, PIF.IPV6_CONFIGURATION_MODE, Ipv6ConfigurationMode.STATIC.wire())
                    .set(pif, PIF.IPV6, List.of(s.managementAddress() + "/64"))
                    .set(pif, PIF.IPV6_GATEWAY, s.managementGateway())
                    .set(pif, PIF.PRIMARY_ADDRESS_TYPE, PrimaryAddressType.IPV6.wire());
        }
        return u.set(pif, PIF.IP_CONFIGURATION_MODE, IpConfigurationMode.STATIC.wire())
                .set(pif, PIF.IP, s.managementAddress())
                .set(pif, PIF.NETMASK, s.effectiveNetmask())
                .set(pif, PIF.GATEWAY, s.managementGateway());
    }

    /** A stable, locally administered MAC for the simulated NIC, from the installation uuid. */
    private String macAddress() {
        String hex = c.inventory.installationUuid().replace("-", "");
        StringBuilder sb = new StringBuilder("02");
        for (int i = 0; i < 10; i += 2) sb.append(':').append(hex, i, i + 2);
        return sb.toString();
    }

    /**
     * {@code create_guest_installer_network}: the host internal management network (found by either of its
     * {@code other_config} flags, its bridge set back to {@value #INTERNAL_NETWORK_BRIDGE}), created when missing.
     */
    String ensureInternalNetwork() {
        for (String n : db.all(Network.XAPI_CLASS)) {
            Map<String, String> oc = db.get(n, Network.OTHER_CONFIG);
            if ("true".equals(oc.get(IS_HOST_INTERNAL_MANAGEMENT_NETWORK))
                    || "true".equals(oc.get(IS_GUEST_INSTALLER_NETWORK))) {
                db.set(n, Network.BRIDGE, INTERNAL_NETWORK_BRIDGE);
                return n;
            }
        }
        Map<String, String> oc = new LinkedHashMap<>();
        oc.put(IS_GUEST_INSTALLER_NETWORK, "true");
        oc.put(IS_HOST_INTERNAL_MANAGEMENT_NETWORK, "true");
        oc.put("ip_begin", "169.254.0.1");
        oc.put("ip_end", "169.254.255.254");
        oc.put("netmask", "255.255.0.0");
        return db.create(FieldValues.of(Network.XAPI_CLASS)
                .with(Network.UUID, StartupContext.uuid())
                .with(Network.NAME_LABEL, INTERNAL_NETWORK_NAME)
                .with(Network.NAME_DESCRIPTION, INTERNAL_NETWORK_DESCRIPTION)
                .with(Network.MTU, MTU)
                .with(Network.BRIDGE, INTERNAL_NETWORK_BRIDGE)
                .with(Network.MANAGED, true)
                .with(Network.PURPOSE, List.of())
                .with(Network.OTHER_CONFIG, oc)
                .with(Network.BLOBS, Map.of())
                .with(Network.TAGS, List.of())
                .with(Network.DEFAULT_LOCKING_MODE, NetworkDefaultLockingMode.UNLOCKED.wire())
                .with(Network.ASSIGNED_IPS, Map.of()));
    }
}
