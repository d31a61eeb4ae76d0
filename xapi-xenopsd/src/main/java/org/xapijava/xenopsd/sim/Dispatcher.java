package org.xapijava.xenopsd.sim;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.xapijava.model.rpc.RpcCall;
import org.xapijava.model.rpc.RpcValues;
import org.xapijava.xenopsd.DeviceId;
import org.xapijava.xenopsd.Disk;
import org.xapijava.xenopsd.TaskInfo;
import org.xapijava.xenopsd.Vbd;
import org.xapijava.xenopsd.VbdStat;
import org.xapijava.xenopsd.Vif;
import org.xapijava.xenopsd.VifStat;
import org.xapijava.xenopsd.Vm;
import org.xapijava.xenopsd.VmStat;
import org.xapijava.xenopsd.XenopsError;
import org.xapijava.xenopsd.internal.Rpc;
import org.xapijava.xenopsd.internal.RpcDecodeException;
import org.xapijava.xenopsd.internal.Wire;

/**
 * Turns a decoded XML-RPC call into a {@link Simulator} call and its result or error into rpc values, as
 * ocaml-rpc's {@code Idl} server does for xenopsd ({@code GenServer} over {@code XenopsAPI}): the arguments are the
 * members of the one struct parameter, looked up by name; a missing or ill-typed argument is a
 * {@code MarshalError}; every error becomes {@code Rpc.failure} of the {@code Errors.error} value, anything that is
 * not a xenopsd error as {@code Internal_error} with OCaml's printing of the exception.
 *
 * <p>Calls of xenopsd's interface that the simulator does not provide answer {@code Unimplemented <name>}; names
 * that are not in the interface answer {@code Internal_error "Idl.UnknownMethod(...)"} (xenopsd itself drops the
 * connection). Stateless apart from the simulator; thread-safe.
 */
final class Dispatcher {

    /**
     * The result of one call: success with a value, or failure with the error value; {@code stopAfterReply} when
     * the call was {@code DEBUG.shutdown} (the server answers, then stops).
     */
    record Outcome(boolean success, Object value, boolean stopAfterReply) {
        Outcome(boolean success, Object value) {
            this(success, value, false);
        }
    }

    private interface Handler {
        Object call(Args a);
    }

    /**
     * Every call name of {@code XenopsAPI} ({@code ocaml/xapi-idl/xen/xenops_interface.ml}) but Observer's, and the
     * simulator's own {@code SIM.*} calls (what a real xapi does to the guest's xenstore without xenopsd).
     */
    static final Set<String> INTERFACE = Set.of(
            "query",
            "get_diagnostics",
            "Task.stat",
            "Task.cancel",
            "Task.destroy",
            "Task.list",
            "Task.destroy_on_finish",
            "HOST.stat",
            "HOST.get_console_data",
            "HOST.get_total_memory_mib",
            "HOST.send_debug_keys",
            "HOST.set_worker_pool_size",
            "HOST.update_guest_agent_features",
            "HOST.combine_cpu_policies",
            "HOST.is_compatible",
            "HOST.set_numa_affinity_policy",
            "VM.add",
            "VM.remove",
            "VM.generate_state_string",
            "VM.migrate",
            "VM.create",
            "VM.build",
            "VM.create_device_model",
            "VM.destroy",
            "VM.pause",
            "VM.unpause",
            "VM.request_rdp",
            "VM.run_script",
            "VM.set_xsdata",
            "VM.set_vcpus",
            "VM.set_shadow_multiplier",
            "VM.set_memory_dynamic_range",
            "VM.stat",
            "VM.exists",
            "VM.list",
            "VM.delay",
            "VM.start",
            "VM.shutdown",
            "VM.reboot",
            "VM.suspend",
            "VM.resume",
            "VM.fast_resume",
            "VM.s3suspend",
            "VM.s3resume",
            "VM.export_metadata",
            "VM.import_metadata",
            "VM.import_metadata_async",
            "PCI.add",
            "PCI.remove",
            "PCI.stat",
            "PCI.list",
            "PCI.dequarantine",
            "VBD.add",
            "VBD.plug",
            "VBD.unplug",
            "VBD.eject",
            "VBD.insert",
            "VBD.stat",
            "VBD.list",
            "VBD.remove",
            "VUSB.add",
            "VUSB.plug",
            "VUSB.unplug",
            "VUSB.stat",
            "VUSB.list",
            "VUSB.remove",
            "VIF.add",
            "VIF.plug",
            "VIF.unplug",
            "VIF.move",
            "VIF.stat",
            "VIF.list",
            "VIF.remove",
            "VIF.set_carrier",
            "VIF.set_locking_mode",
            "VIF.set_ipv4_configuration",
            "VIF.set_ipv6_configuration",
            "VIF.set_pvs_proxy",
            "VIF.set_trunks",
            "VGPU.add",
            "VGPU.stat",
            "VGPU.list",
            "VGPU.remove",
            "UPDATES.get",
            "UPDATES.last_id",
            "UPDATES.inject_barrier",
            "UPDATES.remove_barrier",
            "UPDATES.refresh_vm",
            "DEBUG.trigger",
            "DEBUG.shutdown",
            "SIM.xenstore_write",
            "SIM.xenstore_read");

    private final Map<String, Handler> handlers = new HashMap<>();

    Dispatcher(Simulator sim) {
        Map<String, Handler> h = handlers;
        h.put("query", a -> {
            a.unit();
            return sim.query(a.dbg()).toRpc();
        });
        h.put("Task.stat", a -> sim.taskStat(a.dbg(), a.req("id", Rpc::string)).toRpc());
        h.put("Task.cancel", a -> {
            sim.taskCancel(a.dbg(), a.req("id", Rpc::string));
            return null;
        });
        h.put("Task.destroy", a -> {
            sim.taskDestroy(a.dbg(), a.req("id", Rpc::string));
            return null;
        });
        h.put("Task.destroy_on_finish", a -> {
            sim.taskDestroyOnFinish(a.dbg(), a.req("id", Rpc::string));
            return null;
        });
        h.put("Task.list", a -> Rpc.encodeList(sim.taskList(a.dbg()), TaskInfo::toRpc));
        h.put("HOST.stat", a -> sim.hostStat(a.dbg()).toRpc());
        h.put("HOST.get_console_data", a -> sim.hostConsoleData(a.dbg()));
        h.put("HOST.get_total_memory_mib", a -> sim.hostTotalMemoryMib(a.dbg()));
        h.put("HOST.send_debug_keys", a -> {
            sim.hostSendDebugKeys(a.dbg(), a.req("debug_keys", Rpc::string));
            return null;
        });
        h.put("VM.add", a -> sim.vmAdd(a.dbg(), a.req("vm", Vm::fromRpc)));
        h.put("VM.remove", a -> {
            sim.vmRemove(a.dbg(), a.req("id", Rpc::string));
            return null;
        });
        h.put("VM.import_metadata", a -> sim.vmImportMetadata(a.dbg(), a.req("metadata", Rpc::string)));
        h.put("VM.import_metadata_async", a -> sim.vmImportMetadataAsync(a.dbg(), a.req("metadata", Rpc::string)));
        h.put("VM.export_metadata", a -> sim.vmExportMetadata(a.dbg(), a.req("id", Rpc::string)));
        h.put("VM.start", a -> {
            String id = a.req("id", Rpc::string);
            return sim.vmStart(a.dbg(), id, a.req("paused", Rpc::bool));
        });
        h.put("VM.shutdown", a -> {
            String id = a.req("id", Rpc::string);
            return sim.vmShutdown(a.dbg(), id, a.opt("delay", Rpc::float64));
        });
        h.put("VM.reboot", a -> {
            String id = a.req("id", Rpc::string);
            return sim.vmReboot(a.dbg(), id, a.opt("delay", Rpc::float64));
        });
        h.put("VM.suspend", a -> {
            String id = a.req("id", Rpc::string);
            return sim.vmSuspend(a.dbg(), id, a.req("suspend_vdi", Disk::fromRpc));
        });
        h.put("VM.resume", a -> {
            String id = a.req("id", Rpc::string);
            return sim.vmResume(a.dbg(), id, a.req("suspend_vdi", Disk::fromRpc));
        });
        h.put("VM.set_xsdata", a -> {
            String id = a.req("id", Rpc::string);
            return sim.vmSetXsdata(a.dbg(), id, a.req("xsdata", Rpc::stringMap));
        });
        h.put("VM.set_vcpus", a -> {
            String id = a.req("id", Rpc::string);
            return sim.vmSetVcpus(a.dbg(), id, a.req("vcpus", Rpc::integer));
        });
        h.put("VM.set_shadow_multiplier", a -> {
            String id = a.req("id", Rpc::string);
            return sim.vmSetShadowMultiplier(a.dbg(), id, a.req("multiplier", Rpc::float64));
        });
        h.put("VM.set_memory_dynamic_range", a -> {
            String id = a.req("id", Rpc::string);
            long min = a.req("minimum", Rpc::int64);
            return sim.vmSetMemoryDynamicRange(a.dbg(), id, min, a.req("maximum", Rpc::int64));
        });
        h.put("VM.s3suspend", a -> sim.vmS3suspend(a.dbg(), a.req("id", Rpc::string)));
        h.put("VM.request_rdp", a -> sim.vmRequestRdp(a.dbg(), a.req("id", Rpc::string), a.req("enabled", Rpc::bool)));
        h.put("VM.run_script", a -> sim.vmRunScript(a.dbg(), a.req("id", Rpc::string), a.req("script", Rpc::string)));
        h.put("VM.s3resume", a -> sim.vmS3resume(a.dbg(), a.req("id", Rpc::string)));
        h.put("VM.pause", a -> sim.vmPause(a.dbg(), a.req("id", Rpc::string)));
        h.put(
                "VM.migrate",
                a -> sim.vmMigrate(
                        a.dbg(),
                        a.req("id", Rpc::string),
                        a.req("url", Rpc::string),
                        a.req("localhost_migration", Rpc::bool),
                        vdiMap(a.opt("vdi_map", Rpc::stringMap)),
                        vifMap(a.opt("vif_map", v -> Rpc.map(v, org.xapijava.xenopsd.Vif.Network::fromRpc))),
                        Boolean.TRUE.equals(a.opt("verify_dest", Rpc::bool))));
        // the simulator's memory stream and handshakes (xenopsd's /migrate/vm and /migrate/mem HTTP exchanges)
        h.put("VM.receive_memory", a -> {
            sim.vmReceiveMemory(a.dbg(), a.req("id", Rpc::string), a.req("image", Rpc::string));
            return null;
        });
        h.put("VM.receive_memory_complete", a -> {
            Boolean unpause = a.opt("unpause", Rpc::bool);
            sim.vmReceiveMemoryComplete(a.dbg(), a.req("id", Rpc::string), unpause == null || unpause);
            return null;
        });
        h.put("VM.unpause", a -> sim.vmUnpause(a.dbg(), a.req("id", Rpc::string)));
        h.put("VM.set_shadow_multiplier", a -> {
            String id = a.req("id", Rpc::string);
            return sim.vmSetShadowMultiplier(a.dbg(), id, a.req("multiplier", Rpc::float64));
        });
        h.put("VM.stat", a -> sim.vmStat(a.dbg(), a.req("id", Rpc::string)).toRpc());
        h.put("VM.exists", a -> sim.vmExists(a.dbg(), a.req("id", Rpc::string)));
        h.put("VM.list", a -> {
            a.unit();
            return Rpc.encodeList(sim.vmList(a.dbg()), VmStat::toRpc);
        });
        h.put("VBD.add", a -> sim.vbdAdd(a.dbg(), a.req("vbd", Vbd::fromRpc)).toRpc());
        h.put("VBD.plug", a -> sim.vbdPlug(a.dbg(), a.req("id", DeviceId::fromRpc)));
        h.put("VBD.unplug", a -> {
            DeviceId id = a.req("id", DeviceId::fromRpc);
            return sim.vbdUnplug(a.dbg(), id, a.req("force", Rpc::bool));
        });
        h.put("VBD.eject", a -> sim.vbdEject(a.dbg(), a.req("id", DeviceId::fromRpc)));
        h.put("VBD.insert", a -> {
            DeviceId id = a.req("id", DeviceId::fromRpc);
            return sim.vbdInsert(a.dbg(), id, a.req("disk", Disk::fromRpc));
        });
        h.put(
                "VBD.stat",
                a -> sim.vbdStat(a.dbg(), a.req("id", DeviceId::fromRpc)).toRpc());
        h.put("VBD.list", a -> Rpc.encodeList(sim.vbdList(a.dbg(), a.req("id", Rpc::string)), VbdStat::toRpc));
        h.put("VBD.remove", a -> {
            sim.vbdRemove(a.dbg(), a.req("id", DeviceId::fromRpc));
            return null;
        });
        h.put("VIF.add", a -> sim.vifAdd(a.dbg(), a.req("vif", Vif::fromRpc)).toRpc());
        h.put("VIF.plug", a -> sim.vifPlug(a.dbg(), a.req("id", DeviceId::fromRpc)));
        h.put("VIF.unplug", a -> {
            DeviceId id = a.req("id", DeviceId::fromRpc);
            return sim.vifUnplug(a.dbg(), id, a.req("force", Rpc::bool));
        });
        h.put("VIF.move", a -> {
            DeviceId id = a.req("id", DeviceId::fromRpc);
            return sim.vifMove(a.dbg(), id, a.req("network", Vif.Network::fromRpc));
        });
        h.put("VIF.set_locking_mode", a -> {
            DeviceId id = a.req("id", DeviceId::fromRpc);
            return sim.vifSetLockingMode(a.dbg(), id, a.req("locking_mode", Vif.LockingMode::fromRpc));
        });
        h.put("VIF.set_ipv4_configuration", a -> {
            DeviceId id = a.req("id", DeviceId::fromRpc);
            return sim.vifSetIpv4Configuration(a.dbg(), id, a.req("ipv4_configuration", Vif.IpConfig::ipv4FromRpc));
        });
        h.put("VIF.set_ipv6_configuration", a -> {
            DeviceId id = a.req("id", DeviceId::fromRpc);
            return sim.vifSetIpv6Configuration(a.dbg(), id, a.req("ipv6_configuration", Vif.IpConfig::ipv6FromRpc));
        });
        h.put(
                "VIF.stat",
                a -> sim.vifStat(a.dbg(), a.req("id", DeviceId::fromRpc)).toRpc());
        h.put("VIF.list", a -> Rpc.encodeList(sim.vifList(a.dbg(), a.req("id", Rpc::string)), VifStat::toRpc));
        h.put("VIF.remove", a -> {
            sim.vifRemove(a.dbg(), a.req("id", DeviceId::fromRpc));
            return null;
        });
        h.put("UPDATES.get", a -> {
            Long last = a.opt("last_id", Rpc::int64);
            Long timeout = a.opt("timeout", Rpc::int64);
            return sim.updatesGet(
                            a.dbg(), last == null ? null : clampInt(last), timeout == null ? null : clampInt(timeout))
                    .toRpc();
        });
        h.put("UPDATES.last_id", a -> (long) sim.updatesLastId(a.dbg()));
        h.put("UPDATES.inject_barrier", a -> {
            String vm = a.req("vm_id", Rpc::string);
            sim.updatesInjectBarrier(a.dbg(), vm, a.req("id", Rpc::integer));
            return null;
        });
        h.put("UPDATES.remove_barrier", a -> {
            sim.updatesRemoveBarrier(a.dbg(), a.req("id", Rpc::integer));
            return null;
        });
        h.put("UPDATES.refresh_vm", a -> {
            sim.updatesRefreshVm(a.dbg(), a.req("id", Rpc::string));
            return null;
        });
        h.put("SIM.xenstore_write", a -> {
            sim.xenstoreWrite(
                    a.dbg(), a.req("id", Rpc::string), a.req("path", Rpc::string), a.req("value", Rpc::string));
            return null;
        });
        h.put("SIM.xenstore_read", a -> {
            String v = sim.xenstoreRead(a.dbg(), a.req("id", Rpc::string), a.req("path", Rpc::string));
            return v == null ? List.of() : List.of(v);
        });
        h.put("DEBUG.trigger", a -> {
            String cmd = a.req("cmd", Rpc::string);
            sim.debugTrigger(a.dbg(), cmd, a.req("args", x -> Rpc.list(x, Rpc::string)));
            return null;
        });
        h.put("DEBUG.shutdown", a -> {
            a.unit();
            return null; // the server stops once the answer is out (xenopsd exits without answering)
        });
    }

    private static int clampInt(long v) {
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
    }

    /** The named arguments of one call (ocaml-rpc's {@code get_arg} with named parameters). */
    private static Map<String, String> vdiMap(Map<String, String> m) {
        return m == null ? Map.of() : m;
    }

    private static Map<String, org.xapijava.xenopsd.Vif.Network> vifMap(
            Map<String, org.xapijava.xenopsd.Vif.Network> m) {
        return m == null ? Map.of() : m;
    }

    private static final class Args {
        private final Map<?, ?> named;

        Args(RpcCall call) {
            List<Object> ps = call.params();
            if (ps.isEmpty() || !(ps.get(0) instanceof Map<?, ?> m)) {
                throw new MarshalError(
                        "Marshalling error: Expecting dict as first argument when named parameters exist");
            }
            this.named = m;
        }

        String dbg() {
            return req(Wire.DEBUG_INFO, Rpc::string);
        }

        void unit() {
            req("unit", v -> {
                Rpc.unit(v);
                return null;
            });
        }

        <T> T req(String name, Function<Object, T> decode) {
            if (!named.containsKey(name)) throw new MarshalError("Expecting named argument '" + name + "'");
            try {
                return decode.apply(named.get(name));
            } catch (RpcDecodeException e) {
                throw new MarshalError(e.getMessage());
            }
        }

        <T> T opt(String name, Function<Object, T> decode) {
            if (!named.containsKey(name)) return null;
            return req(name, decode);
        }
    }

    /** ocaml-rpc's {@code Idl.MarshalError}. */
    private static final class MarshalError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MarshalError(String message) {
            super(message, null, false, false);
        }
    }

    Outcome dispatch(RpcCall call) {
        Handler h = handlers.get(call.method());
        if (h == null) {
            if (INTERFACE.contains(call.method())) {
                return new Outcome(
                        false, XenopsError.unimplemented(call.method()).toRpc());
            }
            return failure("Idl.UnknownMethod(" + RpcValues.ocamlQuoted(call.method()) + ")");
        }
        try {
            // debug_info is the first parameter of every call: check it before the others, as the server does
            Args a = new Args(call);
            a.dbg();
            Object v = h.call(a);
            return new Outcome(true, v, call.method().equals("DEBUG.shutdown"));
        } catch (XenopsError e) {
            return new Outcome(false, e.toRpc());
        } catch (MarshalError e) {
            return failure("Idl.MarshalError(" + RpcValues.ocamlQuoted(e.getMessage()) + ")");
        } catch (RuntimeException e) {
            System.getLogger(Dispatcher.class.getName()).log(System.Logger.Level.ERROR, call.method() + " failed", e);
            return failure(e.toString());
        }
    }

    /** A parse failure of the request itself, reported as xenopsd reports unexpected exceptions. */
    static Outcome malformed(String message) {
        return failure(message);
    }

    private static Outcome failure(String internal) {
        return new Outcome(false, XenopsError.internalError(internal).toRpc());
    }
}
