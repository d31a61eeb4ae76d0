package org.xapijava.xenopsd;

import org.xapijava.xenopsd.internal.Rpc;

/**
 * The live state of a VIF ({@code Vif.state}, {@code ocaml/xapi-idl/xen/xenops_interface.ml}), the second half of
 * {@code VIF.stat}. {@code device} is {@code null} for None.
 *
 * @param kthreadPid the backend's kernel thread (0 when unknown)
 * @param device     the backend's network device name in domain 0, e.g. {@code vif3.0}
 */
public record VifState(
        boolean active, boolean plugged, int kthreadPid, boolean mediaPresent, String device, boolean pvsRulesActive) {

    public static final VifState UNPLUGGED = new VifState(false, false, 0, false, null, false);

    public Object toRpc() {
        return Rpc.struct()
                .put("active", active)
                .put("plugged", plugged)
                .put("kthread_pid", (long) kthreadPid)
                .put("media_present", mediaPresent)
                .opt("device", device)
                .put("pvs_rules_active", pvsRulesActive)
                .build();
    }

    public static VifState fromRpc(Object v) {
        Rpc.Fields f = Rpc.fields(v, "state");
        return new VifState(
                f.req("active", Rpc::bool),
                f.req("plugged", Rpc::bool),
                f.req("kthread_pid", Rpc::integer),
                f.req("media_present", Rpc::bool),
                f.opt("device", Rpc::string),
                f.req("pvs_rules_active", Rpc::bool));
    }
}
