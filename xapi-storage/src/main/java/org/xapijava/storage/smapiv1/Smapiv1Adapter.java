package org.xapijava.storage.smapiv1;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.xapijava.model.rpc.RpcValues;
import org.xapijava.storage.AttachInfo;
import org.xapijava.storage.SmError;
import org.xapijava.storage.StorageContext;
import org.xapijava.storage.StorageException;
import org.xapijava.storage.VdiInfo;
import org.xapijava.storage.smapiv1.VdiAutomaton.Op;

/**
 * The v2→v1 conversion of {@link Smapiv1Storage} (Xapi's {@code storage_smapiv1.ml}): how a call on an SR or VDI
 * becomes a driver command (device_config with {@code SRmaster}, the VDI's ref, location, uuid, on_boot and
 * allow_caching, the task as {@code subtask_of}, a fresh {@code __sm__backend} session), how results are read
 * ({@code {uuid, location}} then the database, the attach struct) and the four datapath operations with their
 * database side effects (read-caching keys, {@code content_id}).
 */
final class Smapiv1Adapter {
    private static final System.Logger LOG = System.getLogger(Smapiv1Adapter.class.getName());

    /** An SR bound to its driver, with its ref. */
    record Target(String sr, String srRef, DriverInfo driver) {}

    private final Smapiv1Executor executor;
    private final Smapiv1Host host;

    /** The task a call runs under, sent as {@code subtask_of}; null (member absent) outside any task. */
    static String subtask(StorageContext ctx) {
        return ctx.task().equals("OpaqueRef:NULL") ? null : ctx.task();
    }

    Smapiv1Adapter(Smapiv1Executor executor, Smapiv1Host host) {
        this.executor = executor;
        this.host = host;
    }

    Map<String, String> deviceConfig(Map<String, String> base, boolean master) {
        Map<String, String> dc = new LinkedHashMap<>(base);
        dc.remove("SRmaster");
        dc.put("SRmaster", Boolean.toString(master));
        return dc;
    }

    Smapiv1Call.Builder call(StorageContext ctx, Target t, String command, List<String> args) {
        return Smapiv1Call.builder(host.hostRef(), command, args)
                .deviceConfig(deviceConfig(host.deviceConfig(t.srRef()), host.isSrMaster(t.srRef())))
                .sr(t.srRef(), t.sr())
                .subtaskOf(Smapiv1Adapter.subtask(ctx))
                .localCacheSr(host.localCacheSrUuid());
    }

    Smapiv1Call.Builder vdiCall(StorageContext ctx, Target t, String command, List<String> args, String ref) {
        Smapiv1Host.VdiRecord r = host.vdi(ref);
        if (r == null) throw vdiDoesNotExist(ref);
        return call(ctx, t, command, args).vdi(ref, r.location(), r.uuid(), r.onBoot(), r.allowCaching());
    }

    /** Runs a call with a fresh SM session scoped to {@code srRef} (null: none). */
    Object exec(DriverInfo d, Smapiv1Call c, String srRef) {
        String session = host.openSmSession(srRef);
        try {
            return executor.exec(Path.of(d.driverFilename()), c.withSession(session));
        } finally {
            host.closeSmSession(session);
        }
    }

    Object exec(Target t, Smapiv1Call c) {
        return exec(t.driver(), c, t.srRef());
    }

    /** The ref of SR {@code sr}, or UUID_INVALID. */
    String srRefOrFail(String sr) {
        String ref = host.srRef(sr);
        if (ref == null) throw StorageException.xapi(SmError.SR_UNAVAILABLE, "UUID_INVALID", List.of("SR", sr));
        return ref;
    }

    String vdiRefOrFail(Target t, String vdi) {
        String ref = host.vdiRef(t.srRef(), vdi);
        if (ref == null) throw vdiDoesNotExist(vdi);
        return ref;
    }

    static StorageException vdiDoesNotExist(String vdi) {
        return StorageException.xapi(
                SmError.VDI_MISSING,
                "INTERNAL_ERROR",
                List.of("Storage_interface.Storage_error(Vdi_does_not_exist(\"" + vdi + "\"))"));
    }

    static StorageException parseFailure(Object value, String reason) {
        return StorageException.xapi(
                SmError.GENERIC,
                "SR_BACKEND_FAILURE",
                List.of("", "XML parse failure: " + RpcValues.debugString(value), reason));
    }

    /** The {@code location} of a {@code {uuid, location}} result ({@code Sm_exec.parse_vdi_info}). */
    static String location(Object result) {
        if (!(result instanceof Map<?, ?> m)) throw parseFailure(result, "expected a <struct>");
        for (String k : List.of("uuid", "location")) {
            if (!(m.get(k) instanceof String)) throw parseFailure(result, "<struct> missing field: " + k);
        }
        return (String) m.get("location");
    }

    /** The VDI at {@code location} as the database now has it. */
    VdiInfo reread(Target t, String location) {
        VdiInfo v = host.vdiInfo(vdiRefOrFail(t, location));
        if (v == null) throw vdiDoesNotExist(location);
        return v;
    }

    /** One backend operation (Xapi's {@code storage_smapiv1.ml} attach2/activate/deactivate/detach). */
    AttachInfo backend(StorageContext ctx, Target t, String vdi, Op op, boolean rw) {
        String ref = host.vdiRef(t.srRef(), vdi);
        if (ref == null) {
            if (op == Op.DEACTIVATE || op == Op.DETACH) {
                LOG.log(System.Logger.Level.ERROR, "VDI {0} is gone: {1} taken as done", vdi, op);
                return null;
            }
            throw vdiDoesNotExist(vdi);
        }
        String onKey = "read-caching-enabled-on-" + host.hostUuid();
        String reasonKey = "read-caching-reason-" + host.hostUuid();
        switch (op) {
            case ATTACH_RO, ATTACH_RW -> {
                boolean write = op == Op.ATTACH_RW;
                AttachInfo a = attachResult(
                        exec(
                                t,
                                vdiCall(ctx, t, "vdi_attach", List.of(Boolean.toString(write)), ref)
                                        .build()),
                        write);
                host.setVdiSmConfigKey(ref, onKey, Boolean.toString(!a.oDirect()));
                host.setVdiSmConfigKey(ref, reasonKey, a.oDirect() ? null : a.oDirectReason());
                return a;
            }
            case ACTIVATE -> {
                if (rw) host.setContentId(ref, null);
                if (t.driver().has("VDI_ACTIVATE")) {
                    exec(
                            t,
                            vdiCall(ctx, t, "vdi_activate", List.of(Boolean.toString(rw)), ref)
                                    .build());
                }
            }
            case DEACTIVATE -> {
                if (host.contentId(ref) == null)
                    host.setContentId(ref, UUID.randomUUID().toString());
                if (t.driver().has("VDI_DEACTIVATE")) {
                    exec(t, vdiCall(ctx, t, "vdi_deactivate", List.of(), ref).build());
                }
            }
            case DETACH -> {
                exec(t, vdiCall(ctx, t, "vdi_detach", List.of(), ref).build());
                host.setVdiSmConfigKey(ref, onKey, null);
                host.setVdiSmConfigKey(ref, reasonKey, null);
            }
            case NOTHING -> {}
        }
        return null;
    }

    /** Xapi's {@code parse_attach_result}. */
    static AttachInfo attachResult(Object r, boolean rw) {
        if (!(r instanceof Map<?, ?> m)) throw parseFailure(r, "expected a <struct>");
        Object params = m.get("params");
        if (params != null && !(params instanceof String)) throw parseFailure(r, "params is not a string");
        if (!(m.get("params_nbd") instanceof String nbd)) throw parseFailure(r, "<struct> missing field: params_nbd");
        boolean oDirect = !(m.get("o_direct") instanceof Boolean b) || b;
        String reason = m.get("o_direct_reason") instanceof String s ? s : "";
        Map<String, String> xs = new LinkedHashMap<>();
        if (m.get("xenstore_data") instanceof Map<?, ?> x) {
            for (Map.Entry<?, ?> e : x.entrySet()) {
                if (e.getValue() instanceof String sv) {
                    xs.put((String) e.getKey(), sv);
                } else {
                    xs.clear();
                    break;
                }
            }
        }
        return AttachInfo.ofSmapiv1(rw, (String) params, nbd, oDirect, reason, xs);
    }

    /**
     * As Xapi: the SR's VDIs ordered by distance from {@code vdi} in the tree their {@code sm_config:vhd-parent}
     * draws, nearest first ({@code vdi} itself excluded, unrelated VDIs left out).
     */
    List<VdiInfo> similarContent(Target t, String vdi) {
        Map<String, VdiInfo> byLoc = new LinkedHashMap<>();
        for (VdiInfo v : host.vdis(t.srRef())) byLoc.put(v.location(), v);
        Map<String, List<String>> near = new HashMap<>();
        for (VdiInfo v : byLoc.values()) {
            String parent = v.smConfig().get("vhd-parent");
            if (parent == null) continue;
            near.computeIfAbsent(v.location(), k -> new ArrayList<>()).add(parent);
            near.computeIfAbsent(parent, k -> new ArrayList<>()).add(v.location());
        }
        List<VdiInfo> out = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>(List.of(vdi));
        Deque<String> todo = new ArrayDeque<>(List.of(vdi));
        while (!todo.isEmpty()) {
            for (String n : near.getOrDefault(todo.removeFirst(), List.of())) {
                if (!seen.add(n)) continue;
                todo.addLast(n);
                if (byLoc.containsKey(n)) out.add(byLoc.get(n));
            }
        }
        return out;
    }
}
