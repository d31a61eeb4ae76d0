package org.xapijava.server.appliance;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMAppliance;
import org.xapijava.model.api.enums.VbdType;
import org.xapijava.model.errors.ApiError;

/**
 * The disaster-recovery checks of Xapi's {@code xapi_vm_helpers.ml} and {@code xapi_vm_appliance.ml}: which SRs a VM
 * needs ({@code list_required_SRs}: the SRs of its non-CD disks, ISO SRs left out, ordered by ref), whether the pool
 * of {@code session_to} has each of them with a plugged PBD ({@code VM_REQUIRES_SR [vm, sr]} for the first that has
 * not), and which it lacks.
 *
 * <p>Xapi reads the VM from the database of the caller's session (a foreign one, opened from a metadata VDI by
 * {@code VDI.open_database}) and the SRs from the database of {@code session_to} (any session that is not a foreign
 * database's reads the pool's own, and is not checked). Foreign databases do not exist here
 * ({@code VDI.open_database} answers {@code NOT_IMPLEMENTED}), so both are this pool's database: these checks are the
 * ones Xapi makes when both sessions are the pool's own. Stateless.
 */
final class Recovery {
    private Recovery() {}

    /** {@code list_required_SRs}: the SRs of the VM's disks (not CDs) that are not ISO SRs, ordered by ref. */
    static List<String> requiredSrs(Db from, String vm) {
        TreeSet<String> srs = new TreeSet<>();
        for (String vbd : from.get(vm, VM.VBDS)) {
            if (from.get(vbd, VBD.TYPE).equals(VbdType.CD.wire())) continue;
            String sr = from.get(from.get(vbd, VBD.VDI), VDI.SR);
            if (!from.get(sr, SR.CONTENT_TYPE).equals("iso")) srs.add(sr);
        }
        return new ArrayList<>(srs);
    }

    /** {@code VM.assert_can_be_recovered}: {@code VM_REQUIRES_SR [vm, sr]} for the first required SR not there. */
    static void assertCanBeRecovered(Db from, Db to, String vm) {
        for (String sr : requiredSrs(from, vm)) {
            Optional<String> there = to.findByUuid(SR.XAPI_CLASS, from.get(sr, SR.UUID));
            if (there.isEmpty()) throw new ApiError(ErrorCodes.VM_REQUIRES_SR, vm, sr);
            if (!plugged(to, there.get())) throw new ApiError(ErrorCodes.VM_REQUIRES_SR, vm, there.get());
        }
    }

    /** {@code VM.get_SRs_required_for_recovery}: the required SRs that {@code to} lacks or has no plugged PBD of. */
    static List<String> missingSrs(Db from, Db to, String vm) {
        List<String> out = new ArrayList<>();
        for (String sr : requiredSrs(from, vm)) {
            Optional<String> there = to.findByUuid(SR.XAPI_CLASS, from.get(sr, SR.UUID));
            if (there.isEmpty() || !plugged(to, there.get())) out.add(sr);
        }
        return out;
    }

    /** {@code VM_appliance.assert_can_be_recovered}: each VM's check, in the appliance's order. */
    static void assertApplianceCanBeRecovered(Db from, Db to, String appliance) {
        for (String vm : from.get(appliance, VMAppliance.VMS)) assertCanBeRecovered(from, to, vm);
    }

    /** {@code VM_appliance.get_SRs_required_for_recovery}: the union over its VMs, ordered by ref. */
    static List<String> applianceMissingSrs(Db from, Db to, String appliance) {
        TreeSet<String> srs = new TreeSet<>();
        for (String vm : from.get(appliance, VMAppliance.VMS)) srs.addAll(missingSrs(from, to, vm));
        return new ArrayList<>(srs);
    }

    private static boolean plugged(Db db, String sr) {
        for (String pbd : db.get(sr, SR.PBDS)) {
            if (db.get(pbd, PBD.CURRENTLY_ATTACHED)) return true;
        }
        return false;
    }
}
