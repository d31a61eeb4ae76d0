package org.xapijava.xenopsd.sim;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.model.jsonrpc.JsonRpcCodec;
import org.xapijava.model.jsonrpc.JsonRpcLimits;
import org.xapijava.xenopsd.DeviceId;
import org.xapijava.xenopsd.Vbd;
import org.xapijava.xenopsd.Vif;
import org.xapijava.xenopsd.Vm;
import org.xapijava.xenopsd.internal.Rpc;

/**
 * Everything the simulator knows about one VM: its metadata ({@code vm}, devices, passed-through PCI/vGPU/VUSB
 * values), its domain when it has one, and its devices' active flags (keys {@code vbd.<name>}, {@code vif.<name>}).
 * This is also the content of a VM's state file, {@code <state-dir>/vms/<vm>.json} ({@link #toState()},
 * {@link #fromState(byte[])}): a JSON object with members {@code vm}, {@code vbds}, {@code vifs}, {@code pcis},
 * {@code vgpus}, {@code vusbs}, {@code domain} (absent without one) and {@code active}.
 *
 * <p>Immutable: a change makes a new entry, which {@link VmTable} puts in place of the old one.
 */
record VmEntry(
        Vm vm,
        List<Vbd> vbds,
        List<Vif> vifs,
        List<Object> pcis,
        List<Object> vgpus,
        List<Object> vusbs,
        Domain domain,
        Map<String, Boolean> active) {

    /** The state files' and the exported {@code domains} member's JSON (large limits: it is our own output). */
    static final JsonRpcCodec STATE_JSON = new JsonRpcCodec(new JsonRpcLimits(256L << 20, 64));

    VmEntry {
        vbds = List.copyOf(vbds);
        vifs = List.copyOf(vifs);
        active = Collections.unmodifiableMap(new LinkedHashMap<>(active));
    }

    /** A VM with no devices and no domain ({@code VM.add} of an unknown VM). */
    static VmEntry of(Vm vm) {
        return new VmEntry(vm, List.of(), List.of(), List.of(), List.of(), List.of(), null, Map.of());
    }

    VmEntry withVm(Vm v) {
        return new VmEntry(v, vbds, vifs, pcis, vgpus, vusbs, domain, active);
    }

    VmEntry withDomain(Domain d) {
        return new VmEntry(vm, vbds, vifs, pcis, vgpus, vusbs, d, active);
    }

    VmEntry withVbds(List<Vbd> v) {
        return new VmEntry(vm, v, vifs, pcis, vgpus, vusbs, domain, active);
    }

    VmEntry withVifs(List<Vif> v) {
        return new VmEntry(vm, vbds, v, pcis, vgpus, vusbs, domain, active);
    }

    VmEntry withActive(String key, boolean b) {
        Map<String, Boolean> a = new LinkedHashMap<>(active);
        a.put(key, b);
        return new VmEntry(vm, vbds, vifs, pcis, vgpus, vusbs, domain, a);
    }

    Vbd vbd(String name) {
        for (Vbd v : vbds) if (v.id().name().equals(name)) return v;
        return null;
    }

    Vif vif(String name) {
        for (Vif v : vifs) if (v.id().name().equals(name)) return v;
        return null;
    }

    /** The key of a device's active flag: {@code kind} is {@code "vbd"} or {@code "vif"}. */
    static String activeKey(String kind, DeviceId id) {
        return kind + "." + id.name();
    }

    /** The state file's content. */
    byte[] toState() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vm", vm.toRpc());
        m.put("vbds", Rpc.encodeList(vbds, Vbd::toRpc));
        m.put("vifs", Rpc.encodeList(vifs, Vif::toRpc));
        m.put("pcis", new ArrayList<>(pcis));
        m.put("vgpus", new ArrayList<>(vgpus));
        m.put("vusbs", new ArrayList<>(vusbs));
        if (domain != null) m.put("domain", domain.toRpc());
        m.put("active", new LinkedHashMap<String, Object>(active));
        return JsonRpcCodec.toJson(m).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Reads a state file's content.
     *
     * @throws Exception when it is not JSON or not the shape {@link #toState()} writes
     */
    static VmEntry fromState(byte[] b) throws Exception {
        Object v = STATE_JSON.parseValue(b);
        Rpc.Fields f = Rpc.fields(v, "vm_state");
        return new VmEntry(
                f.req("vm", Vm::fromRpc),
                f.def("vbds", x -> Rpc.list(x, Vbd::fromRpc), List.of()),
                f.def("vifs", x -> Rpc.list(x, Vif::fromRpc), List.of()),
                f.def("pcis", x -> new ArrayList<Object>(Rpc.list(x)), List.of()),
                f.def("vgpus", x -> new ArrayList<Object>(Rpc.list(x)), List.of()),
                f.def("vusbs", x -> new ArrayList<Object>(Rpc.list(x)), List.of()),
                f.opt("domain", Domain::fromRpc),
                f.def("active", x -> Rpc.map(x, Rpc::bool), Map.of()));
    }
}
