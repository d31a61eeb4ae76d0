package org.xapijava.xenopsd;

import java.util.Objects;
import org.xapijava.xenopsd.internal.Rpc;
import org.xapijava.xenopsd.internal.RpcDecodeException;

/**
 * The id of something that changed, as {@code UPDATES.get} reports it: {@code Dynamic.id}
 * ({@code ocaml/xapi-idl/xen/xenops_interface.ml}): {@code Vm of Vm.id | Vbd of Vbd.id | Vif of Vif.id |
 * Pci of Pci.id | Vgpu of Vgpu.id | Vusb of Vusb.id | Task of Task.id}. On the wire e.g. {@code ["Vm", "uuid"]},
 * {@code ["Vbd", ["uuid", "xvda"]]}, {@code ["Task", "12"]}.
 */
public sealed interface DynamicId {

    record Vm(String id) implements DynamicId {
        public Vm {
            Objects.requireNonNull(id);
        }
    }

    record Vbd(DeviceId id) implements DynamicId {
        public Vbd {
            Objects.requireNonNull(id);
        }
    }

    record Vif(DeviceId id) implements DynamicId {
        public Vif {
            Objects.requireNonNull(id);
        }
    }

    record Pci(DeviceId id) implements DynamicId {
        public Pci {
            Objects.requireNonNull(id);
        }
    }

    record Vgpu(DeviceId id) implements DynamicId {
        public Vgpu {
            Objects.requireNonNull(id);
        }
    }

    record Vusb(DeviceId id) implements DynamicId {
        public Vusb {
            Objects.requireNonNull(id);
        }
    }

    record Task(String id) implements DynamicId {
        public Task {
            Objects.requireNonNull(id);
        }
    }

    /** The VM this id belongs to ({@code null} for a task). */
    default String vmId() {
        return switch (this) {
            case Vm v -> v.id();
            case Vbd d -> d.id().vm();
            case Vif d -> d.id().vm();
            case Pci d -> d.id().vm();
            case Vgpu d -> d.id().vm();
            case Vusb d -> d.id().vm();
            case Task t -> null;
        };
    }

    default Object toRpc() {
        return switch (this) {
            case Vm v -> Rpc.tag("Vm", v.id());
            case Vbd d -> Rpc.tag("Vbd", d.id().toRpc());
            case Vif d -> Rpc.tag("Vif", d.id().toRpc());
            case Pci d -> Rpc.tag("Pci", d.id().toRpc());
            case Vgpu d -> Rpc.tag("Vgpu", d.id().toRpc());
            case Vusb d -> Rpc.tag("Vusb", d.id().toRpc());
            case Task t -> Rpc.tag("Task", t.id());
        };
    }

    static DynamicId fromRpc(Object v) {
        Rpc.Tag t = Rpc.variant(v);
        if (t.is("Vm")) return new Vm(Rpc.string(t.contents()));
        if (t.is("Vbd")) return new Vbd(DeviceId.fromRpc(t.contents()));
        if (t.is("Vif")) return new Vif(DeviceId.fromRpc(t.contents()));
        if (t.is("Pci")) return new Pci(DeviceId.fromRpc(t.contents()));
        if (t.is("Vgpu")) return new Vgpu(DeviceId.fromRpc(t.contents()));
        if (t.is("Vusb")) return new Vusb(DeviceId.fromRpc(t.contents()));
        if (t.is("Task")) return new Task(Rpc.string(t.contents()));
        throw new RpcDecodeException("Unknown tag '" + t.name() + "'");
    }
}
