package org.xapijava.xenopsd;

import org.xapijava.xenopsd.internal.Rpc;

/** The answer of {@code VM.stat} (and one item of {@code VM.list}): the pair {@code (Vm.t, Vm.state)}. */
public record VmStat(Vm vm, VmState state) {
    public Object toRpc() {
        return Rpc.tupleOf(vm.toRpc(), state.toRpc());
    }

    public static VmStat fromRpc(Object v) {
        java.util.List<?> t = Rpc.tuple(v, 2);
        return new VmStat(Vm.fromRpc(t.get(0)), VmState.fromRpc(t.get(1)));
    }
}
