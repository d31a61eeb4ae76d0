package org.xapijava.server.xenops;

import java.util.ArrayList;
import java.util.List;
import org.xapijava.db.FieldReads;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.VM;

/** The VMs resident on a host, as Xapi's {@code get_resident_vms} splits them. Stateless. */
public final class ResidentVms {
    private ResidentVms() {}

    /** The VMs resident on {@code host} that are not control domains ({@code get_resident_vms}'s second list). */
    public static List<String> userVms(FieldReads r, String host) {
        List<String> out = new ArrayList<>();
        for (String vm : r.get(host, Host.RESIDENT_VMS)) {
            if (r.isValid(VM.XAPI_CLASS, vm) && !r.get(vm, VM.IS_CONTROL_DOMAIN)) out.add(vm);
        }
        return out;
    }
}
