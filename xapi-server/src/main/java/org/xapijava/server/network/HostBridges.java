package org.xapijava.server.network;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Network;
import org.xapijava.model.api.PIF;
import org.xapijava.model.api.VIF;
import org.xapijava.model.api.VM;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;

/**
 * This host's side of its networks, as Xapi's {@code xapi_network.ml} drives it ({@code attach_internal},
 * {@code attach_for_vif}/{@code attach_for_vm}, {@code detach_for_vif}/{@code detach_for_vm}), over a simulated
 * networkd: there is no kernel bridge here. The simulated host has the bridge of every network with a PIF of this
 * host that is {@code currently_attached}, plus the bridges brought up here since xapi started (an internal
 * network's bridge when a VIF needs it, a PIF's when it is brought up); a bridge's interfaces are the plugged VIFs
 * of the VMs running here on its networks. Bringing a managed PIF up marks it {@code currently_attached} and adds its
 * bridge (nothing else of {@code Nm.bring_pif_up}: no IP configuration, bond or VLAN set-up); the host-internal
 * management network gets no IP address. Thread-safe (the bridges in a concurrent set, the active VIFs under this
 * object's lock, as Xapi's two mutexes).
 */
public final class HostBridges {
    private static final Logger LOG = LoggerFactory.getLogger(HostBridges.class);

    /** {@code Xapi_globs.is_guest_installer_network}: the other_config key of the host-internal management network. */
    static final String GUEST_INSTALLER_NETWORK = "is_guest_installer_network";

    private final Db data;
    private final String hostRef;
    /** Bridges brought up here since start. */
    private final Set<String> created = ConcurrentHashMap.newKeySet();
    /** {@code active_vifs_to_networks}: the VIFs attached through this host, with their network then. */
    private final Map<String, String> activeVifs = new HashMap<>();

    public HostBridges(Db data, String hostRef) {
        this.data = data;
        this.hostRef = hostRef;
    }

    private String host() {
        return hostRef;
    }

    /** {@code Net.Bridge.get_all}: the simulated host's bridges, sorted. */
    public Set<String> bridges() {
        Set<String> out = new TreeSet<>(created);
        for (String pif : data.where(PIF.HOST, host())) {
            if (!data.exists(PIF.XAPI_CLASS, pif) || !data.get(pif, PIF.CURRENTLY_ATTACHED)) continue;
            String net = data.get(pif, PIF.NETWORK);
            if (data.exists(Network.XAPI_CLASS, net)) out.add(data.get(net, Network.BRIDGE));
        }
        return out;
    }

    private boolean exists(String bridge) {
        return created.contains(bridge) || bridges().contains(bridge);
    }

    /** {@code get_local_pifs}: the network's PIFs on this host. */
    private List<String> localPifs(Db data, String network) {
        List<String> out = new ArrayList<>();
        for (String pif : data.get(network, Network.PIFS)) {
            if (data.exists(PIF.XAPI_CLASS, pif) && host().equals(data.get(pif, PIF.HOST))) out.add(pif);
        }
        return out;
    }

    /**
     * {@code attach_internal}: an unmanaged network's bridge must exist ({@code BRIDGE_NOT_AVAILABLE [bridge]});
     * a managed one gets its internal bridge when it has no PIF here, and its managed PIFs here are brought up when
     * not attached yet, or always with {@code forceBringup} ({@code CANNOT_PLUG_BOND_SLAVE [pif]} for a bond's
     * member).
     */
    public void attach(String network, boolean forceBringup) {
        boolean managed = data.get(network, Network.MANAGED);
        String bridge = data.get(network, Network.BRIDGE);
        List<String> local = localPifs(data, network);
        if (!managed) {
            if (!exists(bridge)) throw new ApiError(ErrorCodes.BRIDGE_NOT_AVAILABLE, bridge);
            return;
        }
        if (local.isEmpty() && created.add(bridge)) {
            LOG.info("Creating internal bridge {} (uuid:{})", bridge, data.get(network, Network.UUID));
        }
        if ("true".equals(data.get(network, Network.OTHER_CONFIG).get(GUEST_INSTALLER_NETWORK))) {
            LOG.info("host internal management network {}: no IP address on the simulated bridge", bridge);
        }
        for (String pif : local) {
            if (!data.get(pif, PIF.MANAGED)) {
                LOG.info("PIF {} is needed by a VM, but not managed by xapi", data.get(pif, PIF.UUID));
                continue;
            }
            if (forceBringup || !data.get(pif, PIF.CURRENTLY_ATTACHED)) {
                if (!Refs.isNull(data.get(pif, PIF.BOND_SLAVE_OF))) {
                    throw new ApiError(ErrorCodes.CANNOT_PLUG_BOND_SLAVE, pif);
                }
                LOG.info("Trying to attach PIF: {}", data.get(pif, PIF.UUID));
                created.add(bridge);
                data.set(pif, PIF.CURRENTLY_ATTACHED, true);
            }
        }
    }

    /** {@code attach_for_vif}: the VIF registered as active here, then its network attached. */
    public void attachForVif(String vif) {
        String network = data.get(vif, VIF.NETWORK);
        synchronized (this) {
            activeVifs.put(vif, network);
        }
        attach(network, false);
    }

    /** {@code attach_for_vm}: every VIF of the VM. */
    public void attachForVm(String vm) {
        for (String vif : data.get(vm, VM.VIFS)) attachForVif(vif);
    }

    /** {@code detach_for_vm}: every VIF of the VM; a failure is logged, not raised (as Xapi). */
    public void detachForVm(String vm) {
        try {
            for (String vif : data.get(vm, VM.VIFS)) deregister(vif);
        } catch (RuntimeException e) {
            LOG.error("Caught {} while detaching networks", e.toString());
        }
    }

    /**
     * {@code deregister_vif}: an internal network's bridge goes away with the last active VIF on it, unless it
     * still has interfaces.
     */
    private void deregister(String vif) {
        String network = data.get(vif, VIF.NETWORK);
        String bridge = data.get(network, Network.BRIDGE);
        boolean internalOnly = data.get(network, Network.PIFS).isEmpty();
        synchronized (this) {
            activeVifs.remove(vif);
            if (!internalOnly || activeVifs.containsValue(network)) return;
            List<String> ifs = interfaces(data, bridge);
            if (!ifs.isEmpty()) {
                LOG.error("Cannot remove bridge {}: other interfaces still present {}", bridge, ifs);
                return;
            }
            if (data.get(network, Network.MANAGED) && created.remove(bridge)) {
                LOG.info("bridge {} destroyed", bridge);
            }
        }
    }

    /** The simulated interfaces of a bridge: the plugged VIFs of VMs running here on networks with that bridge. */
    private List<String> interfaces(Db data, String bridge) {
        List<String> out = new ArrayList<>();
        for (String net : data.where(Network.BRIDGE, bridge)) {
            for (String vif : data.get(net, Network.VIFS)) {
                if (!data.exists(VIF.XAPI_CLASS, vif) || !data.get(vif, VIF.CURRENTLY_ATTACHED)) continue;
                String vm = data.get(vif, VIF.VM);
                if (!data.exists(VM.XAPI_CLASS, vm) || !host().equals(data.get(vm, VM.RESIDENT_ON))) continue;
                String power = data.get(vm, VM.POWER_STATE);
                if (power.equals("Running") || power.equals("Paused")) {
                    out.add("vif" + data.get(vm, VM.DOMID) + "." + data.get(vif, VIF.DEVICE));
                }
            }
        }
        return out;
    }
}
