package org.xapijava.server.vm;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.xapijava.db.FieldReads;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.PIF;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VIF;
import org.xapijava.model.api.VM;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.ops.VifChecker;

/**
 * Whether a VM could run on any host of the pool, as Xapi's {@code agility.ml} decides it for HA and
 * {@code VM.assert_agile}: its disks on properly shared SRs, its VIFs on properly shared networks, no vGPU, VUSB or
 * SR-IOV VIF. Pure functions of a database view; stateless.
 */
final class Agility {
    private Agility() {}

    /**
     * {@code vm_assert_agile}: {@code VM_HAS_VGPU [vm]}, {@code VM_HAS_VUSBS [vm]}, then for the VM's non-empty
     * VBDs in order {@code HA_CONSTRAINT_VIOLATION_SR_NOT_SHARED [sr]}, then for its VIFs in order
     * {@code HA_CONSTRAINT_VIOLATION_NETWORK_NOT_SHARED [network]} or {@code VM_HAS_SRIOV_VIF [vm]}.
     */
    static void assertAgile(FieldReads r, String vm) {
        if (!r.get(vm, VM.VGPUS).isEmpty()) throw new ApiError(ErrorCodes.VM_HAS_VGPU, vm);
        if (!r.get(vm, VM.VUSBS).isEmpty()) throw new ApiError(ErrorCodes.VM_HAS_VUSBS, vm);
        Set<String> okSrs = new HashSet<>();
        for (String vbd : r.get(vm, VM.VBDS)) {
            if (r.get(vbd, VBD.EMPTY)) continue;
            String sr = r.get(r.get(vbd, VBD.VDI), VDI.SR);
            if (okSrs.contains(sr)) continue;
            if (!srProperlyShared(r, sr)) throw new ApiError(ErrorCodes.HA_CONSTRAINT_VIOLATION_SR_NOT_SHARED, sr);
            okSrs.add(sr);
        }
        Set<String> okNetworks = new HashSet<>();
        for (String vif : r.get(vm, VM.VIFS)) {
            String network = r.get(vif, VIF.NETWORK);
            if (okNetworks.contains(network)) continue;
            if (!networkProperlyShared(r, network)) {
                throw new ApiError(ErrorCodes.HA_CONSTRAINT_VIOLATION_NETWORK_NOT_SHARED, network);
            }
            if (VifChecker.isSriovNetwork(r, network)) throw new ApiError(ErrorCodes.VM_HAS_SRIOV_VIF, vm);
            okNetworks.add(network);
        }
    }

    /** {@code is_sr_properly_shared}: shared, and every enabled host has a plugged PBD on it. */
    static boolean srProperlyShared(FieldReads r, String sr) {
        if (!r.get(sr, SR.SHARED)) return false;
        Set<String> plugged = new HashSet<>();
        for (String pbd : r.get(sr, SR.PBDS)) {
            if (r.get(pbd, PBD.CURRENTLY_ATTACHED)) plugged.add(r.get(pbd, PBD.HOST));
        }
        return enabledHosts(r).stream().allMatch(plugged::contains);
    }

    /**
     * {@code is_network_properly_shared}: every enabled host has a PIF on the network that is not a bond slave
     * (SR-IOV PIFs that need a reboot to come up do not exist here).
     */
    static boolean networkProperlyShared(FieldReads r, String network) {
        Set<String> withPif = new HashSet<>();
        for (String pif : r.where(PIF.NETWORK, network)) {
            if (!r.isValid(PIF.XAPI_CLASS, r.get(pif, PIF.BOND_SLAVE_OF))) withPif.add(r.get(pif, PIF.HOST));
        }
        return enabledHosts(r).stream().allMatch(withPif::contains);
    }

    private static List<String> enabledHosts(FieldReads r) {
        return r.all(Host.XAPI_CLASS).stream()
                .filter(h -> r.get(h, Host.ENABLED))
                .toList();
    }
}
