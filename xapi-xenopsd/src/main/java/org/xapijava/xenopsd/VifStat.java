package org.xapijava.xenopsd;

import org.xapijava.xenopsd.internal.Rpc;

/** The answer of {@code VIF.stat} (and one item of {@code VIF.list}): the pair {@code (Vif.t, Vif.state)}. */
public record VifStat(Vif vif, VifState state) {
    public Object toRpc() {
        return Rpc.tupleOf(vif.toRpc(), state.toRpc());
    }

    public static VifStat fromRpc(Object v) {
        java.util.List<?> t = Rpc.tuple(v, 2);
        return new VifStat(Vif.fromRpc(t.get(0)), VifState.fromRpc(t.get(1)));
    }
}
