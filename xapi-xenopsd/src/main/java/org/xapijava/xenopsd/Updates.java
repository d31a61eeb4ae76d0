package org.xapijava.xenopsd;

import java.util.List;
import org.xapijava.xenopsd.internal.Rpc;

/**
 * The answer of {@code UPDATES.get}: {@code (barrier list, Dynamic.id list, int)}
 * ({@code ocaml/xapi-idl/xen/xenops_interface.ml}, computed by {@code ocaml/xapi-idl/lib/updates.ml}).
 *
 * @param barriers barriers injected since the caller's {@code last_id}, oldest first, each with the ids of its
 *                 VM that had changed when it was injected
 * @param ids      the ids that changed since {@code last_id}, each once, in the order of their latest change
 * @param nextId   the value to pass as {@code last_id} next time (the newest event id returned)
 */
public record Updates(List<Barrier> barriers, List<DynamicId> ids, int nextId) {

    public Updates {
        barriers = List.copyOf(barriers);
        ids = List.copyOf(ids);
    }

    /** {@code Dynamic.barrier = int * Dynamic.id list}. */
    public record Barrier(int id, List<DynamicId> ids) {
        public Barrier {
            ids = List.copyOf(ids);
        }

        public Object toRpc() {
            return Rpc.tupleOf((long) id, Rpc.encodeList(ids, DynamicId::toRpc));
        }

        public static Barrier fromRpc(Object v) {
            List<?> t = Rpc.tuple(v, 2);
            return new Barrier(Rpc.integer(t.get(0)), Rpc.list(t.get(1), DynamicId::fromRpc));
        }
    }

    public Object toRpc() {
        return Rpc.tupleOf(
                Rpc.encodeList(barriers, Barrier::toRpc), Rpc.encodeList(ids, DynamicId::toRpc), (long) nextId);
    }

    public static Updates fromRpc(Object v) {
        List<?> t = Rpc.tuple(v, 3);
        return new Updates(
                Rpc.list(t.get(0), Barrier::fromRpc), Rpc.list(t.get(1), DynamicId::fromRpc), Rpc.integer(t.get(2)));
    }
}
