package org.xapijava.server.xenops;

import java.util.ArrayList;
import java.util.List;
import org.xapijava.db.FieldReads;
import org.xapijava.model.api.Network;
import org.xapijava.model.api.PIF;
import org.xapijava.model.api.VIF;
import org.xapijava.model.api.VM;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;

/**
 * Whether a host can give a VM its networks, as Xapi's {@code xapi_network_attach_helpers.ml} asks before a VM
 * boots there ({@code assert_can_see_named_networks}): pure functions of a database view. Stateless.
 */
final class NetworkReach {
    /** {@code Xapi_globs.assume_network_is_shared}: a PIF-less network so marked counts as everywhere. */
    static final String ASSUME_SHARED = "assume_network_is_shared";

    private NetworkReach() {}

    /**
     * {@code assert_can_see_networks}: the network of every VIF of the VM is on the host, else {@code
     * VM_REQUIRES_NETWORK [vm, network]} for the first that is not; then every one of them can be brought up there
     * (no local PIF on it is a bond slave), else {@code HOST_CANNOT_ATTACH_NETWORK [host, network]}.
     */
    static void assertCanSeeNetworks(FieldReads r, String vm, String host) {
        List<String> required = new ArrayList<>();
        for (String vif : r.get(vm, VM.VIFS)) {
            if (r.isValid(VIF.XAPI_CLASS, vif)) required.add(r.get(vif, VIF.NETWORK));
        }
        List<String> available = new ArrayList<>();
        for (String net : required) {
            if (!availableOn(r, net, host)) throw new ApiError("VM_REQUIRES_NETWORK", vm, net);
            available.add(net);
        }
        for (String net : available) {
            for (String pif : r.where(PIF.NETWORK, net)) {
                if (host.equals(r.get(pif, PIF.HOST)) && !Refs.isNull(r.get(pif, PIF.BOND_SLAVE_OF))) {
                    throw new ApiError("HOST_CANNOT_ATTACH_NETWORK", host, net);
                }
            }
        }
    }

    /**
     * {@code is_network_available_on}: a network with PIFs is on the hosts of its PIFs; one without is everywhere
     * when {@code other_config:assume_network_is_shared} is {@code true} or it is not managed; else (an internal
     * network) on the host every running VM with a VIF on it is resident on, or anywhere while none runs.
     */
    static boolean availableOn(FieldReads r, String net, String host) {
        if (!r.isValid(Network.XAPI_CLASS, net)) return false;
        List<String> pifs = r.get(net, Network.PIFS);
        if (!pifs.isEmpty()) {
            for (String pif : pifs) {
                if (r.isValid(PIF.XAPI_CLASS, pif) && host.equals(r.get(pif, PIF.HOST))) return true;
            }
            return false;
        }
        if ("true".equals(r.get(net, Network.OTHER_CONFIG).get(ASSUME_SHARED))) return true;
        if (!r.get(net, Network.MANAGED)) return true;
        List<String> hosts = new ArrayList<>();
        for (String vif : r.get(net, Network.VIFS)) {
            if (!r.isValid(VIF.XAPI_CLASS, vif)) continue;
            String other = r.get(vif, VIF.VM);
            if (r.isValid(VM.XAPI_CLASS, other) && "Running".equals(r.get(other, VM.POWER_STATE))) {
                hosts.add(r.get(other, VM.RESIDENT_ON));
            }
        }
        return hosts.isEmpty() || hosts.contains(host);
    }
}
