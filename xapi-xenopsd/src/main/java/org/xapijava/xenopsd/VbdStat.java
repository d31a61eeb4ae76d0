package org.xapijava.xenopsd;

import org.xapijava.xenopsd.internal.Rpc;

/** The answer of {@code VBD.stat} (and one item of {@code VBD.list}): the pair {@code (Vbd.t, Vbd.state)}. */
public record VbdStat(Vbd vbd, VbdState state) {
    public Object toRpc() {
        return Rpc.tupleOf(vbd.toRpc(), state.toRpc());
    }

    public static VbdStat fromRpc(Object v) {
        java.util.List<?> t = Rpc.tuple(v, 2);
        return new VbdStat(Vbd.fromRpc(t.get(0)), VbdState.fromRpc(t.get(1)));
    }
}
