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
 * state directory stores), plus three members of our own that a reader of the original ignores:
 * <ul>
 *   <li>{@code survivable}: false from {@code VM_create} until {@code VM_start}/{@code VM_resume} finished
 *       ({@code VM_set_domain_action_request None}); a domain left unsurvivable by a failed or cancelled
 *       operation is destroyed by the clean-up (the real xc backend reaches the same end through a
 *       {@code poweroff} action request set at creation);</li>
 *   <li>{@code suspend_image}: the disk the domain was saved to;</li>
 *   <li>{@code guest}: what the guest shows of itself ({@link Guest}: its {@code vm-data} nodes in xenstore, its
 *       balloon, its S3 state).</li>
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
        Disk suspendImage,
        Guest guest) {

    static final List<String> ACTION_REQUESTS =
            List.of("Needs_poweroff", "Needs_reboot", "Needs_suspend", "Needs_crashdump", "Needs_softreset");

    Domain {
        vbds = List.copyOf(vbds);
        vifs = List.copyOf(vifs);
        pcis = java.util.Collections.unmodifiableList(new ArrayList<>(pcis));
        vgpus = java.util.Collections.unmodifiableList(new ArrayList<>(vgpus));
        vusbs = java.util.Collections.unmodifiableList(new ArrayList<>(vusbs));
        xsdata = Rpc.frozen(xsdata);
        java.util.Objects.requireNonNull(guest, "guest");
    }

    Domain withDomid(int id) {
        Copy c = new Copy(this);
        c.domid = id;
        return c.build();
    }

    Domain withActionRequest(String r) {
        Copy c = new Copy(this);
        c.actionRequest = r;
        return c.build();
    }

    Domain withPaused(boolean p) {
        Copy c = new Copy(this);
        c.paused = p;
        return c.build();
    }

    Domain withBuilt(boolean b) {
        Copy c = new Copy(this);
        c.built = b;
        return c.build();
    }

    Domain withQemuCreated(boolean q) {
        Copy c = new Copy(this);
        c.qemuCreated = q;
        return c.build();
    }

    Domain withSuspended(boolean s, Disk image) {
        Copy c = new Copy(this);
        c.suspended = s;
        c.suspendImage = image;
        return c.build();
    }

    Domain withVbds(List<Vbd> v) {
        Copy c = new Copy(this);
        c.vbds = v;
        return c.build();
    }

    Domain withVifs(List<Vif> v) {
        Copy c = new Copy(this);
        c.vifs = v;
        return c.build();
    }

    Domain withSurvivable(boolean s) {
        Copy c = new Copy(this);
        c.survivable = s;
        return c.build();
    }

    Domain withVcpus(int n) {
        Copy c = new Copy(this);
        c.vcpus = n;
        return c.build();
    }

    Domain withShadowMultiplier(double m) {
        Copy c = new Copy(this);
        c.shadowMultiplier = m;
        return c.build();
    }

    Domain withMemoryDynamicRange(long min, long max) {
        Copy c = new Copy(this);
        c.memoryDynamicMin = min;
        c.memoryDynamicMax = max;
        return c.build();
    }

    Domain withXsdata(Map<String, String> x) {
        Copy c = new Copy(this);
        c.xsdata = x;
        return c.build();
    }

    Domain withGuest(Guest g) {
        Copy c = new Copy(this);
        c.guest = g;
        return c.build();
    }

    /** A domain being changed: every member, copied from one and built into a new one. */
    private static final class Copy {
        int domid;
        String uuid;
        boolean hvm;
        String actionRequest;
        boolean paused;
        boolean built;
        int vcpus;
        double shadowMultiplier;
        long memoryDynamicMin;
        long memoryDynamicMax;
        boolean qemuCreated;
        boolean suspended;
        List<Vbd> vbds;
        List<Vif> vifs;
        List<Object> pcis;
        List<Object> vgpus;
        List<Object> vusbs;
        Map<String, String> xsdata;
        double lastCreateTime;
        boolean survivable;
        Disk suspendImage;
        Guest guest;

        Copy(Domain d) {
            domid = d.domid;
            uuid = d.uuid;
            hvm = d.hvm;
            actionRequest = d.actionRequest;
            paused = d.paused;
            built = d.built;
            vcpus = d.vcpus;
            shadowMultiplier = d.shadowMultiplier;
            memoryDynamicMin = d.memoryDynamicMin;
            memoryDynamicMax = d.memoryDynamicMax;
            qemuCreated = d.qemuCreated;
            suspended = d.suspended;
            vbds = d.vbds;
            vifs = d.vifs;
            pcis = d.pcis;
            vgpus = d.vgpus;
            vusbs = d.vusbs;
            xsdata = d.xsdata;
            lastCreateTime = d.lastCreateTime;
            survivable = d.survivable;
            suspendImage = d.suspendImage;
            guest = d.guest;
        }

        Domain build() {
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
                    survivable,
                    suspendImage,
                    guest);
        }
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
                .put("guest", guest.toRpc())
                .build();
    }

    static Domain fromRpc(Object v) {
        Rpc.Fields f = Rpc.fields(v, "t");
        Map<String, String> xsdata = f.req("xsdata", Rpc::stringMap);
        long dynamicMax = f.req("memory_dynamic_max", Rpc::int64);
        double created = f.req("last_create_time", Rpc::float64);
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
                dynamicMax,
                f.req("qemu_created", Rpc::bool),
                f.req("suspended", Rpc::bool),
                f.req("vbds", x -> Rpc.list(x, Vbd::fromRpc)),
                f.req("vifs", x -> Rpc.list(x, Vif::fromRpc)),
                f.req("pcis", x -> new ArrayList<Object>(Rpc.list(x))),
                f.req("vgpus", x -> new ArrayList<Object>(Rpc.list(x))),
                f.req("vusbs", x -> new ArrayList<Object>(Rpc.list(x))),
                xsdata,
                created,
                f.def("survivable", Rpc::bool, true),
                f.opt("suspend_image", Disk::fromRpc),
                // a domain of an earlier simulator (or xenopsd's own): its guest as if it had just been created
                f.def("guest", Guest::fromRpc, Guest.created(xsdata, dynamicMax, created, true)));
    }
}
