package org.xapijava.server.network;

import java.util.ArrayList;
import java.util.List;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Network;
import org.xapijava.model.api.PIF;
import org.xapijava.model.api.VIF;
import org.xapijava.model.api.VM;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;

/** Xapi's {@code Xapi_network_attach_helpers} checks on whether a host can use networks. Stateless. */
public final class AttachChecks {
    /** {@code Xapi_globs.assume_network_is_shared}: a PIF-less network's other_config key that makes it shared. */
    static final String ASSUME_NETWORK_IS_SHARED = "assume_network_is_shared";

    private AttachChecks() {}

    /**
     * {@code assert_can_see_named_networks}: each network must be available on {@code host} (one of its PIFs is on
     * the host; or, without PIFs, it is marked shared, unmanaged, or used by no running VM elsewhere), else
     * {@code VM_REQUIRES_NETWORK [vm; network]} for the first that is not; then none may need a bond member's PIF
     * there ({@code HOST_CANNOT_ATTACH_NETWORK [host; network]}).
     */
    public static void assertCanSeeNamedNetworks(Db r, String vm, String host, List<String> networks) {
        List<String> available = new ArrayList<>();
        for (String net : networks) {
            if (availableOn(r, host, net)) available.add(net);
        }
        for (String net : networks) {
            if (!available.contains(net)) throw new ApiError(ErrorCodes.VM_REQUIRES_NETWORK, vm, net);
        }
        for (String net : available) {
            for (String pif : r.get(net, Network.PIFS)) {
                if (r.exists(PIF.XAPI_CLASS, pif)
                        && host.equals(r.get(pif, PIF.HOST))
                        && !Refs.isNull(r.get(pif, PIF.BOND_SLAVE_OF))) {
                    throw new ApiError(ErrorCodes.HOST_CANNOT_ATTACH_NETWORK, host, net);
                }
            }
        }
    }

    private static boolean availableOn(Db r, String host, String net) {
        List<String> pifs = r.get(net, Network.PIFS);
        boolean managed = r.get(net, Network.MANAGED);
        if (!pifs.isEmpty()) {
            for (String pif : pifs) {
                if (host.equals(r.get(pif, PIF.HOST))) return true;
            }
            return false;
        }
        if ("true".equals(r.get(net, Network.OTHER_CONFIG).get(ASSUME_NETWORK_IS_SHARED))) return true;
        if (!managed) return true;
        List<String> hosts = new ArrayList<>();
        for (String vif : r.get(net, Network.VIFS)) {
            String vm = r.get(vif, VIF.VM);
            if ("Running".equals(r.get(vm, VM.POWER_STATE))) hosts.add(r.get(vm, VM.RESIDENT_ON));
        }
        return hosts.isEmpty() || hosts.contains(host);
    }
}
