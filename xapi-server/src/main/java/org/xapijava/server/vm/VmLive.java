package org.xapijava.server.vm;

import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Database;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.Task;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMMetrics;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.VMApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.task.TaskManager;
import org.xapijava.server.xenops.LiveCalls;
import org.xapijava.server.xenops.MemoryCheck;
import org.xapijava.xenopsd.VmState;

/**
 * The VM messages that act on a running guest, as Xapi's {@code xapi_vm.ml} implements them:
 * {@code send_sysrq} and {@code send_trigger} (Xapi answers {@code NOT_IMPLEMENTED} with the message's short name,
 * once its lock plan has let the call through), {@code s3_suspend}, {@code s3_resume},
 * {@code set_VCPUs_number_live} (licence flag {@code restrict_set_vcpus_number_live}), {@code set_memory_target_live}
 * (a no-op in Xapi: {@code set_memory_dynamic_range} moves the target), {@code wait_memory_target_live}, and
 * {@code set_xenstore_data}, whose new value reaches a running guest's xenstore.
 *
 * <p>Operation marking and placement on the VM's host are the forwarding stage's (the messages' lock plans:
 * {@code send_sysrq}, {@code send_trigger}, {@code changing_VCPUs_live}, {@code changing_memory_live},
 * {@code awaiting_memory_live}; the S3 calls and {@code set_xenstore_data} mark nothing, as in Xapi). Thread-safe.
 */
public final class VmLive implements Messages {
    private static final Logger LOG = LoggerFactory.getLogger(VmLive.class);

    /** Xapi's {@code wait_memory_target_timeout} (xapi.conf), in seconds. */
    static final Duration WAIT_MEMORY_TARGET_TIMEOUT = Duration.ofSeconds(256);
    /** Xapi's {@code wait_memory_target_tolerance_bytes}: actual within 1 MiB of the target counts as there. */
    static final long WAIT_MEMORY_TARGET_TOLERANCE = 1L << 20;
    /** Between two {@code VM.stat}s the wait needs no database change to look again (Xapi looks every second). */
    private static final Duration RESTAT_AFTER = Duration.ofSeconds(1);

    /** The pool restriction that licenses {@code set_VCPUs_number_live} (feature {@code Live_set_vcpus}). */
    static final String RESTRICT_LIVE_SET_VCPUS = "restrict_set_vcpus_number_live";

    private final Database db;
    private final String poolRef;
    private final TaskManager tasks;
    private final Db data;
    private final LiveCalls live;

    public VmLive(Db data, Database db, String poolRef, TaskManager tasks, LiveCalls live) {
        this.data = data;
        this.db = db;
        this.poolRef = poolRef;
        this.tasks = tasks;
        this.live = live;
    }

    @Override
    public void bind(MessageTable table) {
        VMApi.bind(table, new Api());
    }

    private final class Api implements VMApi {
        @Override
        public void sendSysrq(CallContext ctx, String vm, String key) {
            throw new ApiError(ErrorCodes.NOT_IMPLEMENTED, "send_sysrq");
        }

        @Override
        public void sendTrigger(CallContext ctx, String vm, String trigger) {
            throw new ApiError(ErrorCodes.NOT_IMPLEMENTED, "send_trigger");
        }

        @Override
        public void s3Suspend(CallContext ctx, String vm) {
            live.s3suspend(ctx, vm);
        }

        @Override
        public void s3Resume(CallContext ctx, String vm) {
            live.s3resume(ctx, vm);
        }

        @Override
        public void setVCPUsNumberLive(CallContext ctx, String self, long nvcpu) {
            VmLive.this.setVcpusNumberLive(ctx, self, nvcpu);
        }

        @Override
        public void setMemoryTargetLive(CallContext ctx, String self, long target) {
            // Xapi does nothing here: the target follows the dynamic range (set_memory_dynamic_range)
        }

        @Override
        public void waitMemoryTargetLive(CallContext ctx, String self) throws InterruptedException {
            VmLive.this.waitMemoryTargetLive(ctx, self);
        }

        @Override
        public void setXenstoreData(CallContext ctx, String self, Map<String, String> value) {
            data.set(self, VM.XENSTORE_DATA, value);
            if ("Running".equals(data.get(self, VM.POWER_STATE))) live.setXenstoreData(ctx, self, value);
        }
    }

    /**
     * {@code set_VCPUs_number_live}: licensed ({@code LICENCE_RESTRICTION [Live_set_vcpus]}), the vCPUs
     * hot-plugged, then the VM's memory overhead recomputed.
     */
    private void setVcpusNumberLive(CallContext ctx, String vm, long n) {
        String flag = data.get(poolRef, Pool.RESTRICTIONS).get(RESTRICT_LIVE_SET_VCPUS);
        // Features.of_assoc_list: a negative flag enables the feature when it reads "false"; missing is disabled
        if (!"false".equals(flag)) throw new ApiError("LICENCE_RESTRICTION", "Live_set_vcpus");
        live.setVcpus(ctx, vm, n);
        data.set(vm, VM.MEMORY_OVERHEAD, MemoryCheck.overheadBytes(data, vm));
    }

    /**
     * {@code wait_memory_target_live}: returns once xenopsd reports the VM's actual memory within
     * {@link #WAIT_MEMORY_TARGET_TOLERANCE} of its target (and records that actual in the VM's metrics);
     * {@code TASK_CANCELLED [task]} when the caller's task is cancelled, {@code VM_MEMORY_TARGET_WAIT_TIMEOUT [task]}
     * after {@link #WAIT_MEMORY_TARGET_TIMEOUT}. Between looks it waits for the VM's row, its metrics or the task
     * to change (the event thread writes what xenopsd reports), or a second at most.
     */
    private void waitMemoryTargetLive(CallContext ctx, String vm) throws InterruptedException {
        String task = ctx.taskRef() == null ? Refs.NULL : ctx.taskRef();
        long deadline = System.nanoTime() + WAIT_MEMORY_TARGET_TIMEOUT.toNanos();
        while (true) {
            if (System.nanoTime() - deadline > 0) throw new ApiError("VM_MEMORY_TARGET_WAIT_TIMEOUT", task);
            if (ctx.taskRef() != null && tasks.isCancelling(task)) throw new ApiError(ErrorCodes.TASK_CANCELLED, task);
            String watched = watchedRows(vm, task);
            VmState s = live.stat(ctx, vm).state();
            long difference = Math.abs(s.memoryActual() - s.memoryTarget());
            LOG.debug(
                    "memory_actual = {}; memory_target = {}; difference = {} (tolerance {})",
                    s.memoryActual(),
                    s.memoryTarget(),
                    difference,
                    WAIT_MEMORY_TARGET_TOLERANCE);
            if (difference <= WAIT_MEMORY_TARGET_TOLERANCE) {
                String metrics = data.get(vm, VM.METRICS);
                data.set(metrics, VMMetrics.MEMORY_ACTUAL, s.memoryActual());
                return;
            }
            long lookAgain = Math.min(deadline, System.nanoTime() + RESTAT_AFTER.toNanos());
            while (System.nanoTime() - lookAgain < 0 && watched.equals(watchedRows(vm, task))) {
                long g = db.generation();
                if (!watched.equals(watchedRows(vm, task))) break;
                db.awaitGeneration(g, Duration.ofNanos(Math.max(1, lookAgain - System.nanoTime())));
            }
        }
    }

    /** When the VM's row, its metrics' row and the task's row last changed: what a new look depends on. */
    private String watchedRows(String vm, String task) {
        OptionalLong v = data.version(VM.XAPI_CLASS, vm);
        OptionalLong m = v.isPresent() ? data.version(VMMetrics.XAPI_CLASS, data.get(vm, VM.METRICS)) : v;
        OptionalLong t = data.version(Task.XAPI_CLASS, task);
        return v + "/" + m + "/" + t;
    }
}
