package org.xapijava.xenopsd;

import org.xapijava.xenopsd.internal.Rpc;

/**
 * The live state of a VBD ({@code Vbd.state}, {@code ocaml/xapi-idl/xen/xenops_interface.ml}), the second half of
 * {@code VBD.stat}. {@code qosTarget} and {@code backendPresent} are {@code null} for None.
 *
 * @param active         the device is attached (xapi's {@code currently_attached})
 * @param plugged        the frontend is connected
 * @param backendPresent the disk currently in the drive (None for an empty CD drive or an unplugged VBD)
 */
public record VbdState(boolean active, boolean plugged, Vbd.Qos qosTarget, Disk backendPresent) {

    public static final VbdState UNPLUGGED = new VbdState(false, false, null, null);

    public Object toRpc() {
        return Rpc.struct()
                .put("active", active)
                .put("plugged", plugged)
                .opt("qos_target", qosTarget == null ? null : qosTarget.toRpc())
                .opt("backend_present", backendPresent == null ? null : backendPresent.toRpc())
                .build();
    }

    public static VbdState fromRpc(Object v) {
        Rpc.Fields f = Rpc.fields(v, "state");
        return new VbdState(
                f.req("active", Rpc::bool),
                f.req("plugged", Rpc::bool),
                f.opt("qos_target", Vbd.Qos::fromRpc),
                f.opt("backend_present", Disk::fromRpc));
    }
}
