package org.xapijava.server.xenops;

import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMMetrics;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.xenopsd.VmStat;
import org.xapijava.xenopsd.Xenops;
import org.xapijava.xenopsd.XenopsError;

/**
 * Changes to a running VM through xenopsd, as Xapi's {@code Xapi_xenops} makes them: {@code set_xenstore_data},
 * {@code set_vcpus}, {@code set_shadow_multiplier}, {@code set_memory_dynamic_range}, {@code s3suspend},
 * {@code s3resume}, and the {@code VM.stat} that {@code wait_memory_target_live} reads. Each call runs xenopsd's
 * task bound to the caller's task, then waits until the event thread has applied the VM's changes
 * ({@code Events_from_xenopsd.wait}); xenopsd's failures reach the caller as Xapi's XenAPI errors. Checks and
 * operation marking are the callers' (the messages' lock plans). Thread-safe.
 */
public final class LiveCalls {
    private static final Logger LOG = LoggerFactory.getLogger(LiveCalls.class);

    /** Xapi's {@code INVALID_VALUE} text when xenopsd refuses a vCPU count ({@code Invalid_vcpus}). */
    static final String INVALID_VCPUS = "VCPU values must satisfy: 0 < VCPUs ≤ VCPUs_max";

    private final Db data;
    private final Xenops xenops;
    private final TaskBinding tasks;
    private final StateSync sync;
    private final Lifecycle lifecycle;

    LiveCalls(Db data, Xenops xenops, TaskBinding tasks, StateSync sync, Lifecycle lifecycle) {
        this.data = data;
        this.xenops = xenops;
        this.tasks = tasks;
        this.sync = sync;
        this.lifecycle = lifecycle;
    }

    /** Runs one xenopsd task for the VM and waits for its events: the common shape of these calls. */
    private void taskThenWait(
            CallContext ctx, String vm, String what, java.util.function.Function<String, String> call) {
        String dbg = TaskBinding.dbg(ctx);
        lifecycle.transform(vm, () -> {
            String id = lifecycle.uuid(vm);
            LOG.info("xenops: VM.{} {}", what, id);
            tasks.syncWithTask(ctx, call.apply(id), true);
            sync.waitBarrier(dbg, id);
        });
    }

    /** {@code set_xenstore_data}: the guest's {@code vm-data} (and {@code FIST}) trees become {@code xsdata}'s. */
    public void setXenstoreData(CallContext ctx, String vm, Map<String, String> xsdata) {
        String dbg = TaskBinding.dbg(ctx);
        taskThenWait(ctx, vm, "set_xsdata", id -> xenops.vmSetXsdata(dbg, id, xsdata));
    }

    /**
     * {@code set_vcpus}: {@code n} vCPUs online; then {@code VCPUs_at_startup} and the metrics'
     * {@code VCPUs_number} are {@code n}. xenopsd's {@code Invalid_vcpus max} becomes
     * {@code INVALID_VALUE [text; max]}.
     */
    public void setVcpus(CallContext ctx, String vm, long n) {
        String dbg = TaskBinding.dbg(ctx);
        // xenopsd's int holds any count a client sends; clamping keeps an out-of-range one out of range
        int count = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, n));
        lifecycle.transform(vm, () -> {
            String id = lifecycle.uuid(vm);
            LOG.info("xenops: VM.set_vcpus {}", id);
            try {
                tasks.syncWithTask(ctx, xenops.vmSetVcpus(dbg, id, count), true);
            } catch (XenopsError e) {
                if (e.is("Invalid_vcpus"))
                    throw ApiError.invalidValue(
                            INVALID_VCPUS, String.valueOf(e.args().get(0)));
                throw e;
            }
            data.set(vm, VM.VCPUS_AT_STARTUP, n);
            String metrics = data.get(vm, VM.METRICS);
            if (!Refs.isNull(metrics) && data.exists(VMMetrics.XAPI_CLASS, metrics))
                data.set(metrics, VMMetrics.VCPUS_NUMBER, n);
            sync.waitBarrier(dbg, id);
        });
    }

    /**
     * {@code set_shadow_multiplier}: xenopsd's {@code Not_enough_memory needed} becomes
     * {@code HOST_NOT_ENOUGH_FREE_MEMORY [needed; free]}; its {@code Unimplemented} (a PV domain) is ignored, as
     * Xapi does.
     */
    public void setShadowMultiplier(CallContext ctx, String vm, double multiplier) {
        String dbg = TaskBinding.dbg(ctx);
        lifecycle.transform(vm, () -> {
            String id = lifecycle.uuid(vm);
            LOG.info("xenops: VM.set_shadow_multiplier {}", id);
            try {
                tasks.syncWithTask(ctx, xenops.vmSetShadowMultiplier(dbg, id, multiplier), true);
            } catch (XenopsError e) {
                if (e.is("Not_enough_memory")) {
                    String host = data.get(vm, VM.RESIDENT_ON);
                    long free =
                            data.isValid(Host.XAPI_CLASS, host) ? MemoryCheck.hostFreeMemoryBytes(data, host, null) : 0;
                    throw new ApiError(
                            "HOST_NOT_ENOUGH_FREE_MEMORY",
                            String.valueOf(e.args().get(0)),
                            Long.toString(free));
                }
                if (e.is("Unimplemented")) {
                    LOG.error("VM.set_shadow_multiplier: not supported for PV domains");
                    return;
                }
                throw e;
            }
            sync.waitBarrier(dbg, id);
        });
    }

    /** {@code set_memory_dynamic_range}: the running domain's range and balloon target, in bytes. */
    public void setMemoryDynamicRange(CallContext ctx, String vm, long min, long max) {
        String dbg = TaskBinding.dbg(ctx);
        taskThenWait(ctx, vm, "set_memory_dynamic_range", id -> xenops.vmSetMemoryDynamicRange(dbg, id, min, max));
    }

    /** {@code s3suspend}: the guest is asked to enter ACPI S3. */
    public void s3suspend(CallContext ctx, String vm) {
        String dbg = TaskBinding.dbg(ctx);
        taskThenWait(ctx, vm, "s3suspend", id -> xenops.vmS3suspend(dbg, id));
    }

    /** {@code s3resume}. */
    public void s3resume(CallContext ctx, String vm) {
        String dbg = TaskBinding.dbg(ctx);
        taskThenWait(ctx, vm, "s3resume", id -> xenops.vmS3resume(dbg, id));
    }

    /** {@code request_rdp}: the guest agent is asked to switch remote desktop on or off. */
    public void requestRdp(CallContext ctx, String vm, boolean enabled) {
        String dbg = TaskBinding.dbg(ctx);
        taskThenWait(ctx, vm, "request_rdp", id -> xenops.vmRequestRdp(dbg, id, enabled));
    }

    /**
     * {@code run_script}: the guest agent runs {@code script}; the task's result as JSON ({@code ""} without one),
     * as Xapi hands it back to the caller.
     */
    public String runScript(CallContext ctx, String vm, String script) {
        String dbg = TaskBinding.dbg(ctx);
        return lifecycle.transform(vm, () -> {
            String id = lifecycle.uuid(vm);
            LOG.info("xenops: VM.run_script {}", id);
            Object r = tasks.syncWithTask(ctx, xenops.vmRunScript(dbg, id, script), true);
            String result = r == null ? "" : org.xapijava.model.jsonrpc.JsonRpcCodec.toJson(r);
            sync.waitBarrier(dbg, id);
            return result;
        });
    }

    /** xenopsd's {@code VM.stat} of the VM, its errors as XenAPI errors. */
    public VmStat stat(CallContext ctx, String vm) {
        String dbg = TaskBinding.dbg(ctx);
        return lifecycle.transform(vm, () -> xenops.vmStat(dbg, lifecycle.uuid(vm)));
    }
}
