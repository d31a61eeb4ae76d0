package org.xapijava.server.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.db.ReadSet;
import org.xapijava.db.Update;
import org.xapijava.model.LicenceFeature;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.enums.VmPowerState;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.VMApi;
import org.xapijava.server.config.XapiConfig;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.xenops.MemoryCheck;

/**
 * A VM's memory and vCPU settings as Xapi implements them ({@code xapi_vm.ml}, {@code xapi_vm_memory_constraints.ml},
 * the {@code VM} part of {@code message_forwarding.ml}): {@code set_memory}, {@code set_memory_limits}, the static and
 * dynamic ranges and their four single setters, {@code set_VCPUs_max}, {@code set_VCPUs_at_startup},
 * {@code compute_memory_overhead}, {@code maximise_memory}, and {@code add_to_VCPUs_params_live} (Xapi answers
 * {@code NOT_IMPLEMENTED} once its operation check has passed).
 *
 * <p>The dispatcher's forwarding stage checks and marks the operations Xapi runs these under
 * ({@link org.xapijava.server.ops.LockPlan}: {@code changing_memory_limits}, {@code changing_static_range},
 * {@code changing_dynamic_range}, {@code changing_VCPUs}, {@code changing_VCPUs_live}; {@code set_VCPUs_at_startup},
 * {@code compute_memory_overhead} and {@code maximise_memory} mark nothing) and sends a running VM's call to its host;
 * so an ordinary VM reaches the static setters only halted, and a control domain also running. The bodies check the
 * new settings ({@link MemoryConstraints}), write them with the VM's recomputed {@code memory_overhead} in one step,
 * and for the control domain put dom0's memory on Xen's command line or flag the VM {@code requires_reboot}.
 * Thread-safe.
 */
public final class VmMemory implements Messages {
    private static final Logger LOG = LoggerFactory.getLogger(VmMemory.class);

    /** Xapi's {@code INVALID_VALUE} text for a vCPU count out of range. */
    static final String VCPU_RULE = "VCPU values must satisfy: 0 < VCPUs_at_startup \u2264 VCPUs_max";

    /** A running domain's new dynamic range through xenopsd ({@code Xapi_xenops.set_memory_dynamic_range}). */
    @FunctionalInterface
    public interface LiveRange {
        /** Sets the range (bytes) of the running {@code vm} and waits until xenopsd's events are applied. */
        void set(CallContext ctx, String vm, long min, long max);
    }

    private final Db data;
    private final String poolRef;
    private final LiveRange live;
    private final Path xenCmdline;
    private final Path requiresRebootFile;

    /**
     * @param live               the running-domain call ({@code xenops.LiveCalls})
     * @param xenCmdline         Xapi's {@code xen-cmdline-script}
     * @param requiresRebootFile Xapi's {@code requires_reboot_file}, touched when dom0's memory changed
     */
    public VmMemory(Db data, String poolRef, LiveRange live, Path xenCmdline, Path requiresRebootFile) {
        this.data = data;
        this.poolRef = poolRef;
        this.live = live;
        this.xenCmdline = xenCmdline;
        this.requiresRebootFile = requiresRebootFile;
    }

    /** This host's: the scripts the settings name. */
    public static VmMemory of(Db data, String poolRef, XapiConfig config, LiveRange live) {
        return new VmMemory(
                data, poolRef, live, config.path("xen-cmdline-script"), config.path("requires-reboot-file"));
    }

    @Override
    public void bind(MessageTable table) {
        VMApi.bind(table, new Api());
    }

    private final class Api implements VMApi {
        @Override
        public void setMemory(CallContext ctx, String self, long value) {
            long staticMin = data.get(self, VM.MEMORY_STATIC_MIN);
            setLimits(self, staticMin, value, value, value);
        }

        @Override
        public void setMemoryLimits(
                CallContext ctx, String self, long staticMin, long staticMax, long dynamicMin, long dynamicMax) {
            setLimits(self, staticMin, staticMax, dynamicMin, dynamicMax);
        }

        @Override
        public void setMemoryStaticRange(CallContext ctx, String self, long min, long max) {
            setStaticRange(self, min, max);
        }

        @Override
        public void setMemoryStaticMin(CallContext ctx, String self, long value) {
            setStaticRange(self, value, data.get(self, VM.MEMORY_STATIC_MAX));
        }

        @Override
        public void setMemoryStaticMax(CallContext ctx, String self, long value) {
            setStaticRange(self, data.get(self, VM.MEMORY_STATIC_MIN), value);
        }

        @Override
        public void setMemoryDynamicRange(CallContext ctx, String self, long min, long max) {
            setDynamicRange(ctx, self, min, max);
        }

        @Override
        public void setMemoryDynamicMin(CallContext ctx, String self, long value) {
            setDynamicRange(ctx, self, value, data.get(self, VM.MEMORY_DYNAMIC_MAX));
        }

        @Override
        public void setMemoryDynamicMax(CallContext ctx, String self, long value) {
            setDynamicRange(ctx, self, data.get(self, VM.MEMORY_DYNAMIC_MIN), value);
        }

        @Override
        public void setVCPUsMax(CallContext ctx, String self, long value) {
            VmMemory.this.setVcpusMax(self, value);
        }

        @Override
        public void setVCPUsAtStartup(CallContext ctx, String self, long value) {
            VmMemory.this.setVcpusAtStartup(self, value);
        }

        @Override
        public long computeMemoryOverhead(CallContext ctx, String vm) {
            return overhead(data.record(VM.XAPI_CLASS, vm), null, null);
        }

        @Override
        public long maximiseMemory(CallContext ctx, String self, long total, boolean approximate) {
            return maximise(data.record(VM.XAPI_CLASS, self), total, approximate);
        }

        @Override
        public void addToVCPUsParamsLive(CallContext ctx, String self, String key, String value) {
            // Xapi marks changing_VCPUs_live on the running VM's host, then has no implementation
            throw new ApiError(ErrorCodes.NOT_IMPLEMENTED, "add_to_VCPUs_params_live");
        }
    }

    // ------------------------------------------------------------------ static settings

    /**
     * {@code set_memory_limits}: all four limits, {@code memory_target} following {@code dynamic_min}. Only a halted
     * VM or a control domain gets here.
     */
    private void setLimits(String vm, long staticMin, long staticMax, long dynamicMin, long dynamicMax) {
        MemoryConstraints wanted = new MemoryConstraints(staticMin, dynamicMin, dynamicMin, dynamicMax, staticMax);
        setStatic(vm, "set_memory_limits", current -> wanted);
    }

    /** {@code set_memory_static_range}: the static limits; the dynamic ones must already lie within them. */
    private void setStaticRange(String vm, long min, long max) {
        setStatic(
                vm,
                "set_memory_static_range",
                current ->
                        new MemoryConstraints(min, current.dynamicMin(), current.target(), current.dynamicMax(), max));
    }

    /**
     * The common shape of the static setters: only on a halted VM or a control domain (the operation check saw to
     * it: anything else is Xapi's failed assertion); the new settings checked for the VM's context, written with the
     * recomputed overhead; then dom0's memory goes on Xen's command line, and a running control domain needs a
     * reboot for the change to take effect.
     */
    private void setStatic(String vm, String message, java.util.function.UnaryOperator<MemoryConstraints> change) {
        Written w = Db.retrying(() -> {
            long read = data.modified(VM.XAPI_CLASS, vm);
            Map<String, Object> r = data.record(VM.XAPI_CLASS, vm);
            boolean controlDomain = Db.value(r, VM.IS_CONTROL_DOMAIN);
            if (!controlDomain && !halted(r)) {
                throw failure("assertion_failed: " + message + " should only be called when the VM is Halted");
            }
            MemoryConstraints c = change.apply(MemoryConstraints.of(r));
            c.assertValidFor(pinReason(r));
            data.apply(Update.builder()
                    .unchanged(VM.XAPI_CLASS, vm, read)
                    .set(vm, VM.MEMORY_STATIC_MIN, c.staticMin())
                    .set(vm, VM.MEMORY_DYNAMIC_MIN, c.dynamicMin())
                    .set(vm, VM.MEMORY_TARGET, c.target())
                    .set(vm, VM.MEMORY_DYNAMIC_MAX, c.dynamicMax())
                    .set(vm, VM.MEMORY_STATIC_MAX, c.staticMax())
                    .set(vm, VM.MEMORY_OVERHEAD, overhead(r, c.staticMax(), null))
                    .build());
            return new Written(r, c);
        });
        if (isDomainZero(data, vm, w.before())) setDom0Memory(w.set().staticMax());
        if (Db.value(w.before(), VM.IS_CONTROL_DOMAIN) && running(w.before())) {
            data.set(vm, VM.REQUIRES_REBOOT, true);
        }
    }

    /** The record a static setter read, and the settings it wrote. */
    private record Written(Map<String, Object> before, MemoryConstraints set) {}

    /**
     * {@code set_dom0_memory}: dom0 is started by Xen, so its memory is a Xen boot parameter; the host then needs a
     * reboot. Any failure is {@code INTERNAL_ERROR ["Failed to update dom0 memory"]} (the settings stay written).
     */
    private void setDom0Memory(long bytes) {
        String arg = "dom0_mem=" + bytes + "B,max:" + bytes + "B";
        try {
            Scripts.call(xenCmdline, List.of("--set-xen", arg));
            touch(requiresRebootFile);
        } catch (RuntimeException | IOException e) {
            LOG.error("Failed to update dom0 memory: {}", e.toString());
            throw ApiError.internal("Failed to update dom0 memory");
        }
    }

    private static void touch(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        if (Files.exists(file)) Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis()));
        else Files.createFile(file);
    }

    // ------------------------------------------------------------------ dynamic range

    /**
     * {@code set_memory_dynamic_range}, halted or running (the operation check allows no other state; Xapi's
     * forwarding layer fails its assertion otherwise). A running VM first reserves what a higher
     * {@code dynamic_min} needs on its host.
     */
    private void setDynamicRange(CallContext ctx, String vm, long min, long max) {
        Map<String, Object> r = data.record(VM.XAPI_CLASS, vm);
        if (running(r)) {
            reserveThen(vm, min, max, () -> setDynamicRangeHere(ctx, vm, min, max));
        } else if (halted(r)) {
            setDynamicRangeHere(ctx, vm, min, max);
        } else {
            throw failure("assertion_failure: set_memory_dynamic_range: power_state should be Halted or Running");
        }
    }

    /**
     * Xapi's {@code reserve_memory_for_dynamic_change}: in one atomic step (Xapi's global lock; here an update that
     * requires every row the check read to be unchanged, retried on conflict), the host the VM runs on must have
     * room for the increase of {@code dynamic_min} ({@code HOST_NOT_ENOUGH_FREE_MEMORY [needed KiB, free KiB]}),
     * and an increase is written at once so that concurrent reservations see it; if {@code body} then
     * fails, the old range is written back.
     */
    private void reserveThen(String vm, long min, long max, Runnable body) {
        long[] old = Db.retrying(() -> {
            ReadSet r = new ReadSet(data); // what the check reads, required unchanged when the new range is written
            String host = r.get(vm, VM.RESIDENT_ON);
            long oldMin = r.get(vm, VM.MEMORY_DYNAMIC_MIN);
            long oldMax = r.get(vm, VM.MEMORY_DYNAMIC_MAX);
            long available = MemoryCheck.hostFreeMemoryBytes(r, host, null);
            long change = oldMin - min;
            if (available + change < 0) {
                throw new ApiError(
                        ErrorCodes.HOST_NOT_ENOUGH_FREE_MEMORY,
                        Long.toString((0 - change) / 1024),
                        Long.toString(available / 1024));
            }
            if (change >= 0) return null;
            data.apply(Update.builder()
                    .require(r.preconditions())
                    .set(vm, VM.MEMORY_DYNAMIC_MIN, min)
                    .set(vm, VM.MEMORY_DYNAMIC_MAX, max)
                    .build());
            return new long[] {oldMin, oldMax};
        });
        try {
            body.run();
        } catch (RuntimeException e) {
            if (old != null) {
                data.apply(Update.builder()
                        .set(vm, VM.MEMORY_DYNAMIC_MIN, old[0])
                        .set(vm, VM.MEMORY_DYNAMIC_MAX, old[1])
                        .build());
            }
            throw e;
        }
    }

    /**
     * The body Xapi runs on the VM's host: the new range checked for the VM's context, then {@code dynamic_min},
     * {@code dynamic_max} and {@code memory_target} (kept equal to {@code dynamic_min}) written; a running domain
     * gets the range through xenopsd.
     */
    private void setDynamicRangeHere(CallContext ctx, String vm, long min, long max) {
        boolean isRunning = Db.retrying(() -> {
            long read = data.modified(VM.XAPI_CLASS, vm);
            Map<String, Object> r = data.record(VM.XAPI_CLASS, vm);
            MemoryConstraints c = MemoryConstraints.of(r);
            new MemoryConstraints(c.staticMin(), min, min, max, c.staticMax()).assertValidFor(pinReason(r));
            data.apply(Update.builder()
                    .unchanged(VM.XAPI_CLASS, vm, read)
                    .set(vm, VM.MEMORY_TARGET, min)
                    .set(vm, VM.MEMORY_DYNAMIC_MIN, min)
                    .set(vm, VM.MEMORY_DYNAMIC_MAX, max)
                    .build());
            return running(r);
        });
        if (isRunning) live.set(ctx, vm, min, max);
    }

    // ------------------------------------------------------------------ vCPUs

    /**
     * {@code set_VCPUs_max}: not for dom0, and otherwise only on a halted VM or a control domain (the operation check
     * saw to both: these are Xapi's failed assertions); {@code INVALID_VALUE} below 1 or below
     * {@code VCPUs_at_startup}. A running control domain needs a reboot for it.
     */
    private void setVcpusMax(String vm, long value) {
        Db.retrying(() -> {
            long read = data.modified(VM.XAPI_CLASS, vm);
            Map<String, Object> r = data.record(VM.XAPI_CLASS, vm);
            if (isDomainZero(data, vm, r)) throw failure("set_VCPUs_max is not allowed on dom0");
            boolean controlDomain = Db.value(r, VM.IS_CONTROL_DOMAIN);
            if (!controlDomain && !halted(r)) {
                throw failure("assertion_failed: set_VCPUs_max should only be called when the VM is Halted");
            }
            if (value < 1 || value < Db.value(r, VM.VCPUS_AT_STARTUP)) {
                throw ApiError.invalidValue(VCPU_RULE, Long.toString(value));
            }
            Update.Builder u = Update.builder()
                    .unchanged(VM.XAPI_CLASS, vm, read)
                    .set(vm, VM.VCPUS_MAX, value)
                    .set(vm, VM.MEMORY_OVERHEAD, overhead(r, null, value));
            if (controlDomain && running(r)) u.set(vm, VM.REQUIRES_REBOOT, true);
            data.apply(u.build());
        });
    }

    /**
     * {@code set_VCPUs_at_startup}: in any power state (Xapi marks no operation), but not for dom0
     * ({@code OPERATION_NOT_ALLOWED}); {@code INVALID_VALUE} below 1 or above {@code VCPUs_max}.
     */
    private void setVcpusAtStartup(String vm, long value) {
        Db.retrying(() -> {
            long read = data.modified(VM.XAPI_CLASS, vm);
            Map<String, Object> r = data.record(VM.XAPI_CLASS, vm);
            if (isDomainZero(data, vm, r)) {
                throw new ApiError(ErrorCodes.OPERATION_NOT_ALLOWED, "set_VCPUs_at_startup is not allowed on dom0");
            }
            if (value < 1 || value > Db.value(r, VM.VCPUS_MAX)) {
                throw ApiError.invalidValue(VCPU_RULE, Long.toString(value));
            }
            data.apply(Update.builder()
                    .unchanged(VM.XAPI_CLASS, vm, read)
                    .set(vm, VM.VCPUS_AT_STARTUP, value)
                    .set(vm, VM.MEMORY_OVERHEAD, overhead(r, null, null))
                    .build());
        });
    }

    // ------------------------------------------------------------------ arithmetic

    /**
     * {@code Memory_check.vm_compute_memory_overhead} of a VM record, with a new {@code memory_static_max} or
     * {@code VCPUs_max} when given.
     */
    static long overhead(Map<String, Object> r, Long staticMax, Long vcpusMax) {
        return VmValidation.memoryOverhead(
                Db.value(r, VM.DOMAIN_TYPE),
                staticMax != null ? staticMax : Db.value(r, VM.MEMORY_STATIC_MAX),
                vcpusMax != null ? vcpusMax : Db.value(r, VM.VCPUS_MAX),
                Db.value(r, VM.HVM_SHADOW_MULTIPLIER));
    }

    /**
     * {@code maximise_memory}: the largest {@code memory_static_max} with which the VM (assumed to have 64 vCPUs
     * when {@code approximate}) would fit, at that static maximum, in {@code total} bytes of free host memory,
     * rounded down to a MiB.
     */
    static long maximise(Map<String, Object> r, long total, boolean approximate) {
        String domainType = Db.value(r, VM.DOMAIN_TYPE);
        long vcpus = approximate ? 64 : Db.value(r, VM.VCPUS_MAX);
        double multiplier = Db.value(r, VM.HVM_SHADOW_MULTIPLIER);
        long max = bisect(
                staticMax ->
                        MemoryCheck.requiredMemoryBytes(domainType, staticMax, staticMax, vcpus, multiplier) <= total,
                0,
                total);
        return max / 1024 / 1024 * 1024 * 1024;
    }

    /**
     * {@code Helpers.bisect}: the largest value in {@code [lower, upper]} for which the monotonic {@code fits} holds
     * ({@code lower} when none does). Its assertions fail as Xapi's do (as {@code INTERNAL_ERROR}s naming them).
     */
    static long bisect(java.util.function.LongPredicate fits, long lower, long upper) {
        while (true) {
            if (lower > upper) throw assertionFailure(1425, 2);
            if (upper - lower < 2) return fits.test(upper) ? upper : lower;
            long mid = (upper + lower) / 2;
            if (!(lower < mid && mid < upper)) throw assertionFailure(1433, 4);
            if (fits.test(mid)) lower = mid;
            else upper = mid;
        }
    }

    /** OCaml's printing of an {@code Assert_failure} in Xapi's {@code helpers.ml}, as Xapi answers it. */
    private static ApiError assertionFailure(int line, int column) {
        return ApiError.internal("File \"ocaml/xapi/helpers.ml\", line " + line + ", characters " + column + "-"
                + (column + 6) + ": Assertion failed");
    }

    // ------------------------------------------------------------------ the VM

    /** Why the VM's memory must stay pinned at its static maximum, or null ({@link MemoryConstraints#pinReason}). */
    private String pinReason(Map<String, Object> r) {
        boolean dmc = PoolFeatures.enabled(data.get(poolRef, Pool.RESTRICTIONS), LicenceFeature.DMC);
        return MemoryConstraints.pinReason(r, dmc, MemoryConstraints.nestedVirt(data, r));
    }

    /** {@code Helpers.is_domain_zero}: a control domain that is its resident host's {@code control_domain}. */
    static boolean isDomainZero(Db data, String vm, Map<String, Object> r) {
        if (!Db.value(r, VM.IS_CONTROL_DOMAIN)) return false;
        String host = Db.value(r, VM.RESIDENT_ON);
        return !Refs.isNull(host)
                && data.exists(Host.XAPI_CLASS, host)
                && vm.equals(data.get(host, Host.CONTROL_DOMAIN));
    }

    private static boolean halted(Map<String, Object> r) {
        return VmPowerState.HALTED.wire().equals(Db.value(r, VM.POWER_STATE));
    }

    private static boolean running(Map<String, Object> r) {
        return VmPowerState.RUNNING.wire().equals(Db.value(r, VM.POWER_STATE));
    }

    /** OCaml's {@code failwith}, as Xapi answers it: {@code INTERNAL_ERROR ["Failure(\"...\")"]}. */
    private static ApiError failure(String message) {
        return ApiError.internal("Failure(\"" + message + "\")");
    }
}
