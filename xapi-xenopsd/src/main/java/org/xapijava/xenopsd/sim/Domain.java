package org.xapijava.xenopsd.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xapijava.xenopsd.Disk;
import org.xapijava.xenopsd.Vbd;
import org.xapijava.xenopsd.Vif;
import org.xapijava.xenopsd.internal.Rpc;

/**
 * A simulated domain: the simulator backend's {@code Domain.t} ({@code ocaml/xenopsd/lib/xenops_server_simulator.ml}),
 * with the same members and rpc form (it is what {@code VM.export_metadata} puts in {@code domains} and what the
 * state directory stores), plus two members of our own that a reader of the original ignores:
 * <ul>
 *   <li>{@code survivable}: false from {@code VM_create} until {@code VM_start}/{@code VM_resume} finished
 *       ({@code VM_set_domain_action_request None}); a domain left unsurvivable by a failed or cancelled
 *       operation is destroyed by the clean-up (the real xc backend reaches the same end through a
 *       {@code poweroff} action request set at creation);</li>
 *   <li>{@code suspend_image}: the disk the domain was saved to.</li>
 * </ul>
 * {@code vbds} and {@code vifs} are kept in reverse plug order, as in the original. Immutable.
 *
 * @param actionRequest {@code domain_action_request option}: {@code Needs_poweroff}, {@code Needs_reboot},
 *                      {@code Needs_suspend}, {@code Needs_crashdump}, {@code Needs_softreset}, or {@code null}
 */
record Domain(
        int domid,
        String uuid,
        boolean hvm,
        String actionRequest,
        boolean paused,
        boolean built,
        int vcpus,
        double shadowMultiplier,
        long memoryDynamicMin,
        long memoryDynamicMax,
        boolean qemuCreated,
        boolean suspended,
        List<Vbd> vbds,
        List<Vif> vifs,
        List<Object> pcis,
        List<Object> vgpus,
        List<Object> vusbs,
        Map<String, String> xsdata,
        double lastCreateTime,
        boolean survivable,
        Disk suspendImage) {

    static final List<String> ACTION_REQUESTS =
            List.of("Needs_poweroff", "Needs_reboot", "Needs_suspend", "Needs_crashdump", "Needs_softreset");

    Domain {
        vbds = List.copyOf(vbds);
        vifs = List.copyOf(vifs);
        pcis = java.util.Collections.unmodifiableList(new ArrayList<>(pcis));
        vgpus = java.util.Collections.unmodifiableList(new ArrayList<>(vgpus));
        vusbs = java.util.Collections.unmodifiableList(new ArrayList<>(vusbs));
        xsdata = Rpc.frozen(xsdata);
    }

    Domain withActionRequest(String r) {
        return new Domain(
                domid,
                uuid,
                hvm,
                r,
                paused,
                built,
                vcpus,
                shadowMultiplier,
                memoryDynamicMin,
                memoryDynamicMax,
                qemuCreated,
                suspended,
                vbds,
                vifs,
                pcis,
                vgpus,
                vusbs,
                xsdata,
                lastCreateTime,
                survivable,
                suspendImage);
    }

    Domain withShadowMultiplier(double m) {
        return new Domain(
                domid,
                uuid,
                hvm,
                actionRequest,
                paused,
                built,
                vcpus,
                m,
                memoryDynamicMin,
                memoryDynamicMax,
                qemuCreated,
                suspended,
                vbds,
                vifs,
                pcis,
                vgpus,
                vusbs,
                xsdata,
                lastCreateTime,
                survivable,
                suspendImage);
    }

    Domain withPaused(boolean p) {
        return new Domain(
                domid,
                uuid,
                hvm,
                actionRequest,
                p,
                built,
                vcpus,
                shadowMultiplier,
                memoryDynamicMin,
                memoryDynamicMax,
                qemuCreated,
                suspended,
                vbds,
                vifs,
                pcis,
                vgpus,
                vusbs,
                xsdata,
                lastCreateTime,
                survivable,
                suspendImage);
    }

    Domain withBuilt(boolean b) {
        return new Domain(
                domid,
                uuid,
                hvm,
                actionRequest,
                paused,
                b,
                vcpus,
                shadowMultiplier,
                memoryDynamicMin,
                memoryDynamicMax,
                qemuCreated,
                suspended,
                vbds,
                vifs,
                pcis,
                vgpus,
                vusbs,
                xsdata,
                lastCreateTime,
                survivable,
                suspendImage);
    }

    Domain withQemuCreated(boolean q) {
        return new Domain(
                domid,
                uuid,
                hvm,
                actionRequest,
                paused,
                built,
                vcpus,
                shadowMultiplier,
                memoryDynamicMin,
                memoryDynamicMax,
                q,
                suspended,
                vbds,
                vifs,
                pcis,
                vgpus,
                vusbs,
                xsdata,
                lastCreateTime,
                survivable,
                suspendImage);
    }

    Domain withSuspended(boolean s, Disk image) {
        return new Domain(
                domid,
                uuid,
                hvm,
                actionRequest,
                paused,
                built,
                vcpus,
                shadowMultiplier,
                memoryDynamicMin,
                memoryDynamicMax,
                qemuCreated,
                s,
                vbds,
                vifs,
                pcis,
                vgpus,
                vusbs,
                xsdata,
                lastCreateTime,
                survivable,
                image);
    }

    Domain withVbds(List<Vbd> v) {
        return new Domain(
                domid,
                uuid,
                hvm,
                actionRequest,
                paused,
                built,
                vcpus,
                shadowMultiplier,
                memoryDynamicMin,
                memoryDynamicMax,
                qemuCreated,
                suspended,
                v,
                vifs,
                pcis,
                vgpus,
                vusbs,
                xsdata,
                lastCreateTime,
                survivable,
                suspendImage);
    }

    Domain withVifs(List<Vif> v) {
        return new Domain(
                domid,
                uuid,
                hvm,
                actionRequest,
                paused,
                built,
                vcpus,
                shadowMultiplier,
                memoryDynamicMin,
                memoryDynamicMax,
                qemuCreated,
                suspended,
                vbds,
                v,
                pcis,
                vgpus,
                vusbs,
                xsdata,
                lastCreateTime,
                survivable,
                suspendImage);
    }

    Domain withSurvivable(boolean s) {
        return new Domain(
                domid,
                uuid,
                hvm,
                actionRequest,
                paused,
                built,
                vcpus,
                shadowMultiplier,
                memoryDynamicMin,
                memoryDynamicMax,
                qemuCreated,
                suspended,
                vbds,
                vifs,
                pcis,
                vgpus,
                vusbs,
                xsdata,
                lastCreateTime,
                s,
                suspendImage);
    }

    Object toRpc() {
        return Rpc.struct()
                .put("domid", (long) domid)
                .put("uuid", uuid)
                .put("hvm", hvm)
                .opt("domain_action_request", actionRequest)
                .put("paused", paused)
                .put("built", built)
                .put("vcpus", (long) vcpus)
                .put("shadow_multiplier", shadowMultiplier)
                .put("memory_dynamic_min", memoryDynamicMin)
                .put("memory_dynamic_max", memoryDynamicMax)
                .put("qemu_created", qemuCreated)
                .put("suspended", suspended)
                .put("vbds", Rpc.encodeList(vbds, Vbd::toRpc))
                .put("vifs", Rpc.encodeList(vifs, Vif::toRpc))
                .put("pcis", new ArrayList<>(pcis))
                .put("vgpus", new ArrayList<>(vgpus))
                .put("vusbs", new ArrayList<>(vusbs))
                .put("xsdata", Rpc.encodeStringMap(xsdata))
                .put("last_create_time", lastCreateTime)
                .put("survivable", survivable)
                .opt("suspend_image", suspendImage == null ? null : suspendImage.toRpc())
                .build();
    }

    static Domain fromRpc(Object v) {
        Rpc.Fields f = Rpc.fields(v, "t");
        return new Domain(
                f.req("domid", Rpc::integer),
                f.req("uuid", Rpc::string),
                f.req("hvm", Rpc::bool),
                f.opt("domain_action_request", x -> {
                    Rpc.Tag t = Rpc.variant(x);
                    for (String s : ACTION_REQUESTS) if (t.is(s)) return s;
                    throw new org.xapijava.xenopsd.internal.RpcDecodeException("Unknown tag '" + t.name() + "'");
                }),
                f.req("paused", Rpc::bool),
                f.req("built", Rpc::bool),
                f.req("vcpus", Rpc::integer),
                f.req("shadow_multiplier", Rpc::float64),
                f.req("memory_dynamic_min", Rpc::int64),
                f.req("memory_dynamic_max", Rpc::int64),
                f.req("qemu_created", Rpc::bool),
                f.req("suspended", Rpc::bool),
                f.req("vbds", x -> Rpc.list(x, Vbd::fromRpc)),
                f.req("vifs", x -> Rpc.list(x, Vif::fromRpc)),
                f.req("pcis", x -> new ArrayList<Object>(Rpc.list(x))),
                f.req("vgpus", x -> new ArrayList<Object>(Rpc.list(x))),
                f.req("vusbs", x -> new ArrayList<Object>(Rpc.list(x))),
                f.req("xsdata", Rpc::stringMap),
                f.req("last_create_time", Rpc::float64),
                f.def("survivable", Rpc::bool, true),
                f.opt("suspend_image", Disk::fromRpc));
    }
}
