package org.xapijava.server.storage.rpc;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xapijava.model.rpc.RpcCall;
import org.xapijava.model.rpc.RpcValues;
import org.xapijava.model.xmlrpc.XmlRpcParseException;
import org.xapijava.model.xmlrpc.XmlRpcReader;
import org.xapijava.model.xmlrpc.XmlRpcWriter;
import org.xapijava.storage.AttachInfo;
import org.xapijava.storage.DpState;
import org.xapijava.storage.StorageContext;

/**
 * xcp-idl's storage interface ({@code ocaml/xapi-idl/storage/storage_interface.ml}) over XML-RPC, as ocaml-rpc's
 * {@code Idl} server answers it for xapi's storage mux: the named parameters are the members of the call's one
 * struct ({@code dbg} first); results are the {@code Status}/{@code Value} envelope; errors the
 * {@code Status}/{@code ErrorDescription} envelope whose description is the {@code Errors.error} variant
 * ({@code ["Backend_error", [code, [params]]]}, {@code ["Illegal_transition", [from, to]]}, ...). Records are
 * written with their members in the order ocaml-rpc writes them (last field first), so that the bytes are xapi's.
 *
 * <p>Served: {@code Query.query}, {@code VDI.attach3/attach2}, {@code VDI.activate3/activate/activate_readonly},
 * {@code VDI.deactivate}, {@code VDI.detach}, {@code DP.destroy/destroy2}, {@code DP.attach_info},
 * {@code DP.stat_vdi}, and from the database ({@link SnapshotInfoCalls}) {@code SR.update_snapshot_info_dest} and
 * {@code VDI.set_content_id}. Other calls of the interface answer {@code Unimplemented <name>}; names outside it, and
 * missing or ill-typed arguments, answer {@code Internal_error "Idl.UnknownMethod(...)"} /
 * {@code "Idl.MarshalError(...)"} (ocaml-rpc raises these, and xapi's socket server then drops the connection).
 * Stateless apart from {@link Datapaths}; thread-safe.
 */
public final class StorageRpc {
    private static final System.Logger LOG = System.getLogger(StorageRpc.class.getName());

    /** Every call name of {@code StorageAPI}. */
    static final Set<String> INTERFACE = Set.of(
            "Query.query",
            "Query.diagnostics",
            "DP.create",
            "DP.destroy",
            "DP.destroy2",
            "DP.attach_info",
            "DP.diagnostics",
            "DP.stat_vdi",
            "SR.create",
            "SR.set_name_label",
            "SR.set_name_description",
            "SR.probe",
            "SR.attach",
            "SR.detach",
            "SR.reset",
            "SR.destroy",
            "SR.scan",
            "SR.scan2",
            "SR.update_snapshot_info_src",
            "SR.update_snapshot_info_dest",
            "SR.stat",
            "SR.list",
            "VDI.create",
            "VDI.set_name_label",
            "VDI.set_name_description",
            "VDI.snapshot",
            "VDI.clone",
            "VDI.resize",
            "VDI.destroy",
            "VDI.stat",
            "VDI.introduce",
            "VDI.set_persistent",
            "VDI.epoch_begin",
            "VDI.attach",
            "VDI.attach2",
            "VDI.attach3",
            "VDI.activate",
            "VDI.activate3",
            "VDI.activate_readonly",
            "VDI.deactivate",
            "VDI.detach",
            "VDI.epoch_end",
            "VDI.get_url",
            "VDI.similar_content",
            "VDI.get_by_name",
            "VDI.set_content_id",
            "VDI.compose",
            "VDI.add_to_sm_config",
            "VDI.remove_from_sm_config",
            "VDI.enable_cbt",
            "VDI.disable_cbt",
            "VDI.data_destroy",
            "VDI.list_changed_blocks",
            "get_by_name",
            "DATA.copy",
            "DATA.mirror",
            "DATA.stat",
            "DATA.import_activate",
            "DATA.get_nbd_server",
            "DATA.MIRROR.send_start",
            "DATA.MIRROR.receive_start",
            "DATA.MIRROR.receive_start2",
            "DATA.MIRROR.receive_start3",
            "DATA.MIRROR.receive_finalize",
            "DATA.MIRROR.receive_finalize2",
            "DATA.MIRROR.receive_finalize3",
            "DATA.MIRROR.receive_cancel",
            "DATA.MIRROR.receive_cancel2",
            "DATA.MIRROR.pre_deactivate_hook",
            "DATA.MIRROR.has_mirror_failed",
            "DATA.MIRROR.list",
            "DATA.MIRROR.stat",
            "Policy.get_backend_vm",
            "TASK.stat",
            "TASK.cancel",
            "TASK.destroy",
            "TASK.list",
            "UPDATES.get");

    private final Datapaths dps;
    private final SnapshotInfoCalls snapshots;

    public StorageRpc(Datapaths dps) {
        this.dps = dps;
        this.snapshots = new SnapshotInfoCalls(dps);
    }

    /** The datapath states it serves. */
    public Datapaths datapaths() {
        return dps;
    }

    /** ocaml-rpc's {@code Idl.MarshalError}. */
    private static final class MarshalError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MarshalError(String message) {
            super(message, null, false, false);
        }
    }

    /** The named arguments of a call. */
    private static final class Args {
        private final Map<?, ?> named;

        Args(RpcCall call) {
            if (call.params().isEmpty() || !(call.params().get(0) instanceof Map<?, ?> m)) {
                throw new MarshalError(
                        "Marshalling error: Expecting dict as first argument when named parameters" + " exist");
            }
            this.named = m;
        }

        String str(String name) {
            Object v = named.get(name);
            if (v == null && !named.containsKey(name))
                throw new MarshalError("Expecting named argument '" + name + "'");
            if (!(v instanceof String s)) throw new MarshalError("Expected string, got " + describe(v));
            return s;
        }

        boolean bool(String name) {
            Object v = named.get(name);
            if (v == null && !named.containsKey(name))
                throw new MarshalError("Expecting named argument '" + name + "'");
            if (!(v instanceof Boolean b)) throw new MarshalError("Expected bool, got " + describe(v));
            return b;
        }

        /** A {@code vdi_info}: a struct with at least its {@code vdi} and {@code name_label}. */
        Map<?, ?> vdiInfo(String name) {
            Object v = named.get(name);
            if (v == null && !named.containsKey(name))
                throw new MarshalError("Expecting named argument '" + name + "'");
            return vdiInfo(v);
        }

        private static Map<?, ?> vdiInfo(Object v) {
            if (!(v instanceof Map<?, ?> m)) throw new MarshalError("Expected dict, got " + describe(v));
            for (String f : List.of("vdi", "name_label")) {
                if (!(m.get(f) instanceof String)) throw new MarshalError("No value for field '" + f + "'");
            }
            return m;
        }

        /** A list of ({@code Vdi.t}, {@code vdi_info}) pairs, which ocaml-rpc writes as a struct keyed by the VDI. */
        Map<String, Map<?, ?>> vdiInfoPairs(String name) {
            Object v = named.get(name);
            if (v == null && !named.containsKey(name))
                throw new MarshalError("Expecting named argument '" + name + "'");
            if (!(v instanceof Map<?, ?> m)) throw new MarshalError("Expected dict, got " + describe(v));
            Map<String, Map<?, ?>> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) out.put(String.valueOf(e.getKey()), vdiInfo(e.getValue()));
            return out;
        }

        private static String describe(Object v) {
            return v == null ? "null" : v.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Answers one request body with the whole response document. */
    public byte[] handle(byte[] body) {
        RpcCall call;
        try {
            call = XmlRpcReader.REQUESTS.readCall(body);
        } catch (XmlRpcParseException e) {
            return failure(StorageError.internal("Xmlrpc.Parse_error(" + e.getMessage() + ")"));
        }
        return handle(call);
    }

    /** Answers one decoded call. */
    public byte[] handle(RpcCall call) {
        try {
            return XmlRpcWriter.success(dispatch(call));
        } catch (StorageError e) {
            return failure(e);
        } catch (MarshalError e) {
            return failure(StorageError.internal("Idl.MarshalError(" + RpcValues.ocamlQuoted(e.getMessage()) + ")"));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, call.method() + " failed", e);
            return failure(StorageError.internal(e.toString()));
        }
    }

    private Object dispatch(RpcCall call) {
        String m = call.method();
        if (!INTERFACE.contains(m)) {
            throw StorageError.internal("Idl.UnknownMethod(" + RpcValues.ocamlQuoted(m) + ")");
        }
        Args a = new Args(call);
        StorageContext ctx = StorageContext.of(a.str("dbg"));
        switch (m) {
            case "Query.query" -> {
                return query();
            }
            case "VDI.attach3" -> {
                return backend(
                        dps.attach(ctx, a.str("dp"), a.str("sr"), a.str("vdi"), a.str("vm"), a.bool("read_write")));
            }
            case "VDI.attach2" -> {
                return backend(dps.attach(ctx, a.str("dp"), a.str("sr"), a.str("vdi"), "", a.bool("read_write")));
            }
            case "VDI.activate3" -> dps.activate(ctx, a.str("dp"), a.str("sr"), a.str("vdi"), a.str("vm"), false);
            case "VDI.activate" -> dps.activate(ctx, a.str("dp"), a.str("sr"), a.str("vdi"), "", false);
            case "VDI.activate_readonly" ->
                dps.activate(ctx, a.str("dp"), a.str("sr"), a.str("vdi"), a.str("vm"), true);
            case "VDI.deactivate" -> dps.deactivate(ctx, a.str("dp"), a.str("sr"), a.str("vdi"), a.str("vm"));
            case "VDI.detach" -> dps.detach(ctx, a.str("dp"), a.str("sr"), a.str("vdi"), a.str("vm"));
            case "DP.destroy" -> {
                a.str("dp");
                a.bool("allow_leak");
                dps.destroy(ctx, a.str("dp"));
            }
            case "DP.destroy2" -> {
                a.str("dp");
                a.str("sr");
                a.str("vdi");
                a.str("vm");
                a.bool("allow_leak");
                dps.destroy(ctx, a.str("dp"));
            }
            case "DP.attach_info" -> {
                a.str("sr");
                a.str("vdi");
                a.str("dp");
                a.str("vm");
                return backend(dps.attachInfo(a.str("sr"), a.str("vdi"), a.str("dp")));
            }
            case "VDI.epoch_begin" -> dps.epochBegin(ctx, a.str("sr"), a.str("vdi"), a.str("vm"), a.bool("persistent"));
            case "VDI.epoch_end" -> dps.epochEnd(ctx, a.str("sr"), a.str("vdi"), a.str("vm"));
            case "DP.stat_vdi" -> {
                return stat(dps.stat(a.str("sr"), a.str("vdi")));
            }
            case "SR.update_snapshot_info_dest" ->
                snapshots.updateSnapshotInfoDest(
                        ctx, a.str("sr"), a.str("vdi"), a.vdiInfo("src_vdi"), a.vdiInfoPairs("snapshot_pairs"));
            case "VDI.set_content_id" -> snapshots.setContentId(a.str("sr"), a.str("vdi"), a.str("content_id"));
            default -> throw StorageError.unimplemented(m);
        }
        return null; // unit
    }

    /** {@code query_result} of xapi's storage mux ({@code storage_mux.ml}). */
    static Map<String, Object> query() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("smapi_version", "SMAPIv2");
        r.put("supported_image_formats", List.of());
        r.put("required_cluster_stack", List.of());
        r.put("configuration", Map.of());
        r.put("features", List.of());
        r.put("required_api_version", "2.0");
        r.put("version", "2.0");
        r.put("copyright", "see the source code");
        r.put("vendor", "XCP");
        r.put("description", "forwards calls to other plugins");
        r.put("name", "storage multiplexor");
        r.put("driver", "mux");
        return r;
    }

    /**
     * {@code backend}: a file or device the attach gave, as {@code XenDisk {params = path; extra = [];
     * backend_type = "vbd3"}} (the blkback/tapdisk view, as the SMAPIv1 adapter answers it) and {@code File path}
     * (or {@code BlockDevice path} for a device under {@code /dev}); no implementation for an SR without a driver.
     * An attach without {@code params} (what xapi-project/sm's blktap2 layer answers: the disk is its
     * {@code params_nbd}, empty when no tapdisk is wanted) is Xapi's {@code XenDisk {params = params_nbd; extra =
     * xenstore_data; backend_type = "vbd3"}} and {@code Nbd {uri = params_nbd}} ({@code storage_smapiv1.ml}
     * {@code attach2}).
     */
    static Map<String, Object> backend(AttachInfo info) {
        if (info == null) return Map.of("implementations", List.of());
        if (info.path() == null) {
            Map<String, Object> xenDisk = new LinkedHashMap<>();
            xenDisk.put("backend_type", "vbd3");
            xenDisk.put("extra", info.xenstoreData());
            xenDisk.put("params", info.paramsNbd());
            return Map.of(
                    "implementations",
                    List.of(List.of("XenDisk", xenDisk), List.of("Nbd", Map.of("uri", info.paramsNbd()))));
        }
        String path = info.path().toString();
        Map<String, Object> xenDisk = new LinkedHashMap<>();
        xenDisk.put("backend_type", "vbd3");
        xenDisk.put("extra", Map.of());
        xenDisk.put("params", path);
        String kind = path.startsWith("/dev/") ? "BlockDevice" : "File";
        return Map.of("implementations", List.of(List.of("XenDisk", xenDisk), List.of(kind, Map.of("path", path))));
    }

    static Map<String, Object> stat(Datapaths.Stat s) {
        Map<String, Object> dpsRpc = new LinkedHashMap<>();
        for (Map.Entry<String, DpState> e : s.dps().entrySet())
            dpsRpc.put(e.getKey(), e.getValue().toRpc());
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("dps", dpsRpc);
        r.put("superstate", s.superstate().toRpc());
        return r;
    }

    private static final byte[] FAILURE_HEAD = ("<?xml version=\"1.0\"?><methodResponse><params><param><value><struct>"
                    + "<member><name>Status</name><value>Failure</value></member><member><name>ErrorDescription</name>")
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FAILURE_TAIL =
            "</member></struct></value></param></params></methodResponse>".getBytes(StandardCharsets.US_ASCII);

    /** The Failure envelope whose {@code ErrorDescription} is the error variant (not a list of strings). */
    static byte[] failure(StorageError e) {
        byte[] v = XmlRpcWriter.toString(e.value()).getBytes(StandardCharsets.UTF_8);
        byte[] r = new byte[FAILURE_HEAD.length + v.length + FAILURE_TAIL.length];
        System.arraycopy(FAILURE_HEAD, 0, r, 0, FAILURE_HEAD.length);
        System.arraycopy(v, 0, r, FAILURE_HEAD.length, v.length);
        System.arraycopy(FAILURE_TAIL, 0, r, FAILURE_HEAD.length + v.length, FAILURE_TAIL.length);
        return r;
    }
}
