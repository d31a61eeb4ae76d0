package org.xapijava.xenopsd;

import java.util.List;
import java.util.Objects;
import org.xapijava.xenopsd.internal.Rpc;

/**
 * The id of a VM's device in xenopsd: {@code Vbd.id}, {@code Vif.id}, {@code Pci.id}, {@code Vgpu.id},
 * {@code Vusb.id} ({@code ocaml/xapi-idl/xen/xenops_interface.ml}), all {@code string * string}: the VM id and the
 * device's name within the VM (xapi uses the device's userdevice or the object's uuid). On the wire a 2-tuple
 * {@code [vm, name]}.
 */
public record DeviceId(String vm, String name) {
    public DeviceId {
        Objects.requireNonNull(vm);
        Objects.requireNonNull(name);
    }

    public Object toRpc() {
        return Rpc.tupleOf(vm, name);
    }

    public static DeviceId fromRpc(Object v) {
        List<?> t = Rpc.tuple(v, 2);
        return new DeviceId(Rpc.string(t.get(0)), Rpc.string(t.get(1)));
    }

    /** xenopsd's own rendering in messages such as {@code Does_not_exist ("VBD", "vm.xvda")}. */
    @Override
    public String toString() {
        return vm + "." + name;
    }
}
