package org.xapijava.xenopsd;

import java.util.Map;
import java.util.Objects;
import org.xapijava.xenopsd.internal.Rpc;
import org.xapijava.xenopsd.internal.RpcDecodeException;

/**
 * A virtual block device as xenopsd holds it: {@code Vbd.t} ({@code ocaml/xapi-idl/xen/xenops_interface.ml}).
 * Every member has an OCaml default, taken when it is missing on the wire. {@code null} stands for None in
 * {@code position}, {@code backend} (an empty CD drive) and {@code qos}. Immutable.
 *
 * @param position         {@code Device_number.t option}: where the disk appears; None lets xenopsd choose
 * @param unpluggable      whether the guest may unplug it
 * @param extraBackendKeys keys written to the backend's xenstore directory
 * @param extraPrivateKeys keys kept in the device's private xenstore directory
 */
public record Vbd(
        DeviceId id,
        DeviceNumber position,
        Mode mode,
        Disk backend,
        Type ty,
        boolean unpluggable,
        Map<String, String> extraBackendKeys,
        Map<String, String> extraPrivateKeys,
        Qos qos,
        boolean persistent,
        boolean canAttachEarly) {

    public Vbd {
        Objects.requireNonNull(id);
        Objects.requireNonNull(mode);
        Objects.requireNonNull(ty);
        extraBackendKeys = Rpc.frozen(extraBackendKeys);
        extraPrivateKeys = Rpc.frozen(extraPrivateKeys);
    }

    /** {@code Vbd.mode}. */
    public enum Mode {
        ReadOnly,
        ReadWrite
    }

    /** {@code Vbd.ty}. */
    public enum Type {
        CDROM,
        Disk,
        Floppy
    }

    /**
     * {@code Vbd.qos = Ionice of qos_scheduler}, flattened: the scheduler ({@code RealTime of qos_class | Idle |
     * BestEffort of qos_class}) and, except for Idle, its class ({@code Highest | High | Normal | Low | Lowest |
     * Other of int}; {@code other} is the int of {@code Other}).
     */
    public record Qos(Scheduler scheduler, QosClass qosClass, int other) {
        public enum Scheduler {
            RealTime,
            Idle,
            BestEffort
        }

        public enum QosClass {
            Highest,
            High,
            Normal,
            Low,
            Lowest,
            Other
        }

        public Qos {
            Objects.requireNonNull(scheduler);
            if (scheduler != Scheduler.Idle) Objects.requireNonNull(qosClass);
        }

        public Object toRpc() {
            Object cls = qosClass == null
                    ? null
                    : qosClass == QosClass.Other ? Rpc.tag("Other", (long) other) : qosClass.name();
            Object sched = scheduler == Scheduler.Idle ? "Idle" : Rpc.tag(scheduler.name(), cls);
            return Rpc.tag("Ionice", sched);
        }

        public static Qos fromRpc(Object v) {
            Rpc.Tag t = Rpc.variant(v);
            if (!t.is("Ionice")) throw new RpcDecodeException("Unknown tag '" + t.name() + "'");
            Rpc.Tag s = Rpc.variant(t.contents());
            Scheduler sched = Rpc.enumTag(s.name(), Scheduler.class);
            if (sched == Scheduler.Idle) return new Qos(sched, null, 0);
            Rpc.Tag c = Rpc.variant(s.contents());
            QosClass cls = Rpc.enumTag(c.name(), QosClass.class);
            return new Qos(sched, cls, cls == QosClass.Other ? Rpc.integer(c.contents()) : 0);
        }
    }

    /** A read-write disk VBD with the OCaml defaults for everything else. */
    public static Vbd of(DeviceId id, DeviceNumber position, Mode mode, Disk backend, Type ty) {
        return new Vbd(id, position, mode, backend, ty, true, Map.of(), Map.of(), null, true, false);
    }

    public Vbd withBackend(Disk b) {
        return new Vbd(
                id,
                position,
                mode,
                b,
                ty,
                unpluggable,
                extraBackendKeys,
                extraPrivateKeys,
                qos,
                persistent,
                canAttachEarly);
    }

    public Vbd withPosition(DeviceNumber p) {
        return new Vbd(
                id,
                p,
                mode,
                backend,
                ty,
                unpluggable,
                extraBackendKeys,
                extraPrivateKeys,
                qos,
                persistent,
                canAttachEarly);
    }

    public Object toRpc() {
        return Rpc.struct()
                .put("id", id.toRpc())
                .opt("position", position == null ? null : position.toRpc())
                .put("mode", mode.name())
                .opt("backend", backend == null ? null : backend.toRpc())
                .put("ty", ty.name())
                .put("unpluggable", unpluggable)
                .put("extra_backend_keys", Rpc.encodeStringMap(extraBackendKeys))
                .put("extra_private_keys", Rpc.encodeStringMap(extraPrivateKeys))
                .opt("qos", qos == null ? null : qos.toRpc())
                .put("persistent", persistent)
                .put("can_attach_early", canAttachEarly)
                .build();
    }

    public static Vbd fromRpc(Object v) {
        Rpc.Fields f = Rpc.fields(v, "t");
        return new Vbd(
                f.def("id", DeviceId::fromRpc, new DeviceId("", "")),
                f.opt("position", DeviceNumber::fromRpc),
                f.def("mode", x -> Rpc.enumTag(x, Mode.class), Mode.ReadWrite),
                f.opt("backend", Disk::fromRpc),
                f.def("ty", x -> Rpc.enumTag(x, Type.class), Type.Disk),
                f.def("unpluggable", Rpc::bool, true),
                f.def("extra_backend_keys", Rpc::stringMap, Map.of()),
                f.def("extra_private_keys", Rpc::stringMap, Map.of()),
                f.opt("qos", Qos::fromRpc),
                f.def("persistent", Rpc::bool, true),
                f.def("can_attach_early", Rpc::bool, false));
    }
}
