package org.xapijava.xenopsd;

import org.xapijava.xenopsd.internal.Rpc;

/**
 * xenopsd's {@code power_state} ({@code ocaml/xapi-idl/xen/xenops_types.ml}, {@code TopLevel.power_state}). On the
 * wire each constant is its bare tag, e.g. {@code "Running"}.
 */
public enum PowerState {
    Running,
    Halted,
    Suspended,
    Paused;

    public Object toRpc() {
        return name();
    }

    public static PowerState fromRpc(Object v) {
        return Rpc.enumTag(v, PowerState.class);
    }
}
