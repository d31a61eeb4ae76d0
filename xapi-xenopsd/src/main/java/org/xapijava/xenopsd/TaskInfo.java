package org.xapijava.xenopsd;

import java.util.Map;
import java.util.Objects;
import org.xapijava.xenopsd.internal.Rpc;
import org.xapijava.xenopsd.internal.RpcDecodeException;

/**
 * A xenopsd task as {@code Task.stat} reports it: {@code Task.t} ({@code ocaml/xapi-idl/xen/xenops_interface.ml},
 * kept by {@code ocaml/xapi-idl/lib/task_server.ml}). Immutable.
 *
 * @param id          the task id (xenopsd numbers them {@code "0"}, {@code "1"}, ... per daemon run)
 * @param dbg         the caller's debug_info when the task was made
 * @param ctime       creation time, seconds since the epoch
 * @param subtasks    one level of named sub-tasks and their states
 * @param debugInfo   extra facts; xenopsd reports {@code cancel_points_seen}
 * @param backtrace   on failure, an S-expression encoded backtrace (may be empty)
 * @param cancellable false while the task is in a section that must not be interrupted
 */
public record TaskInfo(
        String id,
        String dbg,
        double ctime,
        State state,
        Map<String, State> subtasks,
        Map<String, String> debugInfo,
        String backtrace,
        boolean cancellable) {

    public TaskInfo {
        Objects.requireNonNull(id);
        Objects.requireNonNull(dbg);
        Objects.requireNonNull(state);
        subtasks = Rpc.frozen(subtasks);
        debugInfo = Rpc.frozen(debugInfo);
        Objects.requireNonNull(backtrace);
    }

    /** {@code Task.state = Pending of float | Completed of completion_t | Failed of Rpc.t}. */
    public sealed interface State permits Pending, Completed, Failed {
        default Object toRpc() {
            return switch (this) {
                case Pending p -> Rpc.tag("Pending", p.progress());
                case Completed c ->
                    Rpc.tag(
                            "Completed",
                            Rpc.struct()
                                    .put("duration", c.duration())
                                    .opt("result", c.result())
                                    .build());
                case Failed f -> Rpc.tag("Failed", f.error());
            };
        }

        static State fromRpc(Object v) {
            Rpc.Tag t = Rpc.variant(v);
            if (t.is("Pending")) return new Pending(Rpc.float64(t.contents()));
            if (t.is("Completed")) {
                Rpc.Fields f = Rpc.fields(t.contents(), "completion_t");
                // result is an Rpc.t option: as a record member, Some x is x itself and None leaves it out
                return new Completed(f.req("duration", Rpc::float64), f.opt("result", x -> x));
            }
            if (t.is("Failed")) return new Failed(t.contents());
            throw new RpcDecodeException("Unknown tag '" + t.name() + "'");
        }
    }

    /** Still running; {@code progress} in 0..1. */
    public record Pending(double progress) implements State {}

    /**
     * Finished; {@code result} is the rpc value of the result ({@code null} for None, e.g. for VM.start; the
     * new VM id for {@code VM.import_metadata_async}).
     */
    public record Completed(double duration, Object result) implements State {}

    /** Failed; {@code error} is the rpc value of the xenopsd error ({@link #toError()} decodes it). */
    public record Failed(Object error) implements State {
        /** The failure as an exception ({@code Internal_error} when it is not an {@code Errors.error}). */
        public XenopsError toError() {
            return XenopsError.fromRpc(error);
        }
    }

    public Object toRpc() {
        return Rpc.struct()
                .put("id", id)
                .put("dbg", dbg)
                .put("ctime", ctime)
                .put("state", state.toRpc())
                .put("subtasks", Rpc.encodeMap(subtasks, State::toRpc))
                .put("debug_info", Rpc.encodeStringMap(debugInfo))
                .put("backtrace", backtrace)
                .put("cancellable", cancellable)
                .build();
    }

    public static TaskInfo fromRpc(Object v) {
        Rpc.Fields f = Rpc.fields(v, "t");
        return new TaskInfo(
                f.req("id", Rpc::string),
                f.req("dbg", Rpc::string),
                f.req("ctime", Rpc::float64),
                f.req("state", State::fromRpc),
                f.req("subtasks", x -> Rpc.map(x, State::fromRpc)),
                f.req("debug_info", Rpc::stringMap),
                f.req("backtrace", Rpc::string),
                f.req("cancellable", Rpc::bool));
    }
}
