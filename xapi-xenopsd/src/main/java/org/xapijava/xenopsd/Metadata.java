package org.xapijava.xenopsd;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.xapijava.model.jsonrpc.JsonRpcCodec;
import org.xapijava.model.jsonrpc.JsonRpcLimits;
import org.xapijava.model.jsonrpc.JsonRpcParseException;
import org.xapijava.xenopsd.internal.Rpc;
import org.xapijava.xenopsd.internal.RpcDecodeException;

/**
 * Everything xenopsd needs to know about a VM, as xapi pushes it with {@code VM.import_metadata}:
 * {@code Metadata.t} ({@code ocaml/xapi-idl/xen/xenops_interface.ml}). The PCI, vGPU and vUSB lists are kept as
 * their rpc values (lifecycle passes them through). {@code domains} is {@code null} for None. Immutable.
 *
 * <p>The wire form of {@code VM.import_metadata}/{@code VM.export_metadata} is a string holding the rpc value
 * as JSON, written by ocaml-rpc's {@code Jsonrpc.to_string} (compact Yojson): {@link #toJson()} and
 * {@link #fromJson(String)}.
 */
public record Metadata(
        Vm vm,
        List<Vbd> vbds,
        List<Vif> vifs,
        List<Object> pcis,
        List<Object> vgpus,
        List<Object> vusbs,
        String domains) {

    /** A metadata document beyond this is refused (far above any real VM's). */
    private static final JsonRpcCodec JSON = new JsonRpcCodec(new JsonRpcLimits(64L << 20, 64));

    public Metadata {
        Objects.requireNonNull(vm);
        vbds = List.copyOf(vbds);
        vifs = List.copyOf(vifs);
        pcis = java.util.Collections.unmodifiableList(new ArrayList<>(pcis));
        vgpus = java.util.Collections.unmodifiableList(new ArrayList<>(vgpus));
        vusbs = java.util.Collections.unmodifiableList(new ArrayList<>(vusbs));
    }

    public static Metadata of(Vm vm, List<Vbd> vbds, List<Vif> vifs) {
        return new Metadata(vm, vbds, vifs, List.of(), List.of(), List.of(), null);
    }

    public Object toRpc() {
        return Rpc.struct()
                .put("vm", vm.toRpc())
                .put("vbds", Rpc.encodeList(vbds, Vbd::toRpc))
                .put("vifs", Rpc.encodeList(vifs, Vif::toRpc))
                .put("pcis", new ArrayList<>(pcis))
                .put("vgpus", new ArrayList<>(vgpus))
                .put("vusbs", new ArrayList<>(vusbs))
                .opt("domains", domains)
                .build();
    }

    public static Metadata fromRpc(Object v) {
        Rpc.Fields f = Rpc.fields(v, "t");
        return new Metadata(
                f.req("vm", Vm::fromRpc),
                f.def("vbds", x -> Rpc.list(x, Vbd::fromRpc), List.of()),
                f.def("vifs", x -> Rpc.list(x, Vif::fromRpc), List.of()),
                f.def("pcis", x -> new ArrayList<Object>(Rpc.list(x)), List.of()),
                f.def("vgpus", x -> new ArrayList<Object>(Rpc.list(x)), List.of()),
                f.def("vusbs", x -> new ArrayList<Object>(Rpc.list(x)), List.of()),
                f.opt("domains", Rpc::string));
    }

    /** The JSON text xapi sends ({@code Jsonrpc.to_string (rpc_of Metadata.t md)}). */
    public String toJson() {
        return JsonRpcCodec.toJson(toRpc());
    }

    /**
     * Parses the JSON text of {@code VM.import_metadata}.
     *
     * @throws RpcDecodeException when it is not JSON or not a {@code Metadata.t}
     */
    public static Metadata fromJson(String json) {
        try {
            return fromRpc(JSON.parseValue(json.getBytes(StandardCharsets.UTF_8)));
        } catch (JsonRpcParseException e) {
            throw new RpcDecodeException("metadata is not valid JSON: " + e.getMessage());
        }
    }
}
