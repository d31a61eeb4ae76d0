package org.xapijava.server.vm;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMGuestMetrics;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.VMApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.session.SessionInfo;
import org.xapijava.server.xenops.LiveCalls;
import org.xapijava.server.xenops.XenopsErrors;

/**
 * The VM messages that ask the guest agent for something, as Xapi's {@code xapi_vm.ml} does.
 *
 * <p>{@code call_plugin}: only the {@code guest-agent-operation} plugin ({@code XENAPI_MISSING_PLUGIN [plugin]});
 * one call per VM every {@link #CALL_PLUGIN_INTERVAL_SECONDS} ({@code VM_CALL_PLUGIN_RATE_LIMIT [vm; interval;
 * wait]}, the attempt counted whatever follows); functions {@code request-rdp-on} / {@code request-rdp-off} (the guest
 * must report {@code feature-ts2}; xenopsd writes {@code control/ts}) and {@code run-script} (pool
 * {@code other_config:allow_guest_agent_run_script=true}, else {@code FEATURE_RESTRICTED}; {@code username},
 * {@code password} and {@code script} required; the caller needs {@code VM.checkpoint}'s permission; a script of at
 * most 1024 bytes; xenopsd's result as JSON); other functions {@code XENAPI_PLUGIN_FAILURE}. The lock plan marks the
 * VM {@code call_plugin} and fails at once when it is busy. ({@code sysprep} is {@link VmSysprep}'s.) Thread-safe.
 */
public final class VmGuestCalls implements Messages {
    /** The only plugin {@code VM.call_plugin} knows. */
    static final String GUEST_AGENT_PLUGIN = "guest-agent-operation";
    /** Xapi's {@code vm_call_plugin_interval} (xapi.conf), in seconds. */
    static final double CALL_PLUGIN_INTERVAL_SECONDS = 10.0;
    /** Xapi's {@code pool_allow_guest_agent_run_script} key of the pool's {@code other_config}. */
    static final String ALLOW_RUN_SCRIPT = "allow_guest_agent_run_script";
    /** The longest script {@code run-script} passes on. */
    static final int MAX_SCRIPT_BYTES = 1024;

    private final Db data;
    private final String poolRef;
    private final LiveCalls live;
    /** When each VM's last {@code call_plugin} was let through ({@code System.nanoTime}); host-local, as in Xapi. */
    private final Map<String, Long> lastCall = new ConcurrentHashMap<>();

    public VmGuestCalls(Db data, String poolRef, LiveCalls live) {
        this.data = data;
        this.poolRef = poolRef;
        this.live = live;
    }

    @Override
    public void bind(MessageTable table) {
        VMApi.bind(table, new Api());
    }

    private final class Api implements VMApi {
        @Override
        public String callPlugin(CallContext ctx, String vm, String plugin, String fn, Map<String, String> args) {
            return VmGuestCalls.this.callPlugin(ctx, vm, plugin, fn, args);
        }
    }

    String callPlugin(CallContext ctx, String vm, String plugin, String fn, Map<String, String> args) {
        if (!plugin.equals(GUEST_AGENT_PLUGIN)) throw new ApiError(ErrorCodes.XENAPI_MISSING_PLUGIN, plugin);
        recordCall(vm);
        switch (fn) {
            case "request-rdp-on", "request-rdp-off" -> {
                if (!guestReports(vm, "feature-ts2")) throw cannotExecute(fn, plugin);
                live.requestRdp(ctx, vm, fn.equals("request-rdp-on"));
                return "";
            }
            case "run-script" -> {
                return runScript(ctx, vm, args);
            }
            default -> {
                String msg = "The requested fn \"" + fn + "\" could not be found in plugin \"" + plugin + "\".";
                throw new ApiError(ErrorCodes.XENAPI_PLUGIN_FAILURE, "failed to find fn", msg, msg);
            }
        }
    }

    /** {@code record_call_plugin_latest}: refuses a call within the interval of the VM's last one, else records it. */
    private void recordCall(String vm) {
        long interval = (long) (CALL_PLUGIN_INTERVAL_SECONDS * 1e9);
        long now = System.nanoTime();
        lastCall.values().removeIf(t -> now - t > interval);
        long[] wait = {0};
        lastCall.compute(vm, (k, t) -> {
            if (t != null && t + interval - now > 0) {
                wait[0] = t + interval - now;
                return t;
            }
            return now;
        });
        if (wait[0] > 0) {
            throw new ApiError(
                    ErrorCodes.VM_CALL_PLUGIN_RATE_LIMIT,
                    vm,
                    XenopsErrors.ocamlFloat(CALL_PLUGIN_INTERVAL_SECONDS),
                    XenopsErrors.ocamlFloat(wait[0] / 1e9));
        }
    }

    /** Whether the guest agent reports {@code key} (in its guest metrics' {@code other}) as neither "" nor "0". */
    private boolean guestReports(String vm, String key) {
        String v = guestFeature(data, vm, key);
        return v != null && !v.isEmpty() && !v.equals("0");
    }

    /** What Xapi answers when the guest lacks the agent feature a function needs. */
    private static ApiError cannotExecute(String fn, String plugin) {
        String msg = "The requested fn \"" + fn + "\" of plugin \"" + plugin
                + "\" could not be executed for lack of guest agent control feature.";
        return new ApiError(ErrorCodes.XENAPI_PLUGIN_FAILURE, "failed to execute fn", msg, msg);
    }

    private String runScript(CallContext ctx, String vm, Map<String, String> args) {
        if (!"true".equals(data.get(poolRef, Pool.OTHER_CONFIG).get(ALLOW_RUN_SCRIPT))) {
            throw new ApiError(ErrorCodes.FEATURE_RESTRICTED);
        }
        for (String a : List.of("username", "password", "script")) {
            if (!args.containsKey(a)) {
                throw new ApiError(
                        ErrorCodes.XENAPI_PLUGIN_FAILURE, "missing argument", "", "Argument " + a + " is required.");
            }
        }
        // every plugin call shares one permission: run-script asks for the VM power admin's own
        SessionInfo s = ctx.session();
        if (s != null && !s.unrestricted() && !s.permissions().contains("vm.checkpoint")) {
            throw new ApiError(
                    ErrorCodes.RBAC_PERMISSION_DENIED,
                    "vm.call_plugin",
                    "No permission to run script, must have VM power admin role or higher.");
        }
        String script = args.get("script");
        // OCaml's String.length counts bytes
        if (script.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_SCRIPT_BYTES) {
            throw new ApiError(
                    ErrorCodes.XENAPI_PLUGIN_FAILURE,
                    "length restriction",
                    "",
                    "The script length must not exceed 1024 bytes");
        }
        return live.runScript(ctx, vm, script);
    }

    /** The guest agent's {@code control/<key>}, as its guest metrics' {@code other} reports it, or null. */
    static String guestFeature(Db data, String vm, String key) {
        String gm = data.get(vm, VM.GUEST_METRICS);
        return data.isValid(VMGuestMetrics.XAPI_CLASS, gm)
                ? data.get(gm, VMGuestMetrics.OTHER).get(key)
                : null;
    }
}
