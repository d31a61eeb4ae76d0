package org.xapijava.server.xenops;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.db.Transaction;
import org.xapijava.db.Update;
import org.xapijava.model.BiosStrings;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VIF;
import org.xapijava.model.api.VM;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.xenopsd.Disk;
import org.xapijava.xenopsd.VmStat;
import org.xapijava.xenopsd.Xenops;
import org.xapijava.xenopsd.XenopsTimeoutException;
import org.xapijava.xenopsd.XenopsUnavailableException;

/**
 * The VM lifecycle on this host: Xapi's {@code Xapi_vm} power operations with the parts of the forwarding
 * layer that are not operation marking (host admission, reservations' memory check, alerts), over
 * {@code Xapi_xenops} ({@code start}, {@code shutdown}, {@code reboot}, {@code suspend}, {@code resume},
 * {@code pause}, {@code unpause}, {@code vbd_plug}/{@code vbd_unplug}, {@code vif_plug}/{@code vif_unplug}) and
 * {@code Xapi_vbd}/{@code Xapi_vif}. Every xenopsd failure reaches the caller as Xapi's XenAPI error
 * ({@link XenopsErrors}). Synchronous: each method returns once the event thread has applied the outcome.
 *
 * <p>Operation marking ({@code current_operations}) is the forwarding layer's ({@code ops.Locks}); where no
 * marking by this call is present (nothing wrapped the message), the lifecycle checker is asked directly so
 * that the same errors result. Thread-safe; one call per thread.
 */
public final class Lifecycle {
    private static final Logger LOG = LoggerFactory.getLogger(Lifecycle.class);
    /** Xapi's {@code domain_shutdown_total_timeout}: what a clean shutdown or reboot gives the guest, in seconds. */
    static final double DOMAIN_SHUTDOWN_TOTAL_TIMEOUT = 1200.0;
    /** Xapi's {@code has_vendor_device}: the hardware platform version a VM with the vendor device needs. */
    static final long HAS_VENDOR_DEVICE_VERSION = 2;
    /** Suspend images are 1.2 × 1.05 × static max + 100 MiB ({@code Xapi_xenops.suspend}). */
    private static final long SUSPEND_IMAGE_EXTRA = 104857600L;

    private volatile java.util.function.Predicate<String> hostAliveness = h -> false;
    private final String hostRef;
    private final String poolRef;
    /** The database as message code uses it (one atomic step per call). */
    private final Db data;

    private final Xenops xenops;
    private final TaskBinding tasks;
    private final GuestMetrics guestMetrics;
    private final StateSync sync;
    private final XenopsdMetadata metadata;
    private final SuspendImages images;
    private final Path socket;
    private final XenopsErrors.Lookups lookups;

    Lifecycle(
            Db data,
            String hostRef,
            String poolRef,
            Xenops xenops,
            TaskBinding tasks,
            GuestMetrics guestMetrics,
            StateSync sync,
            XenopsdMetadata metadata,
            SuspendImages images,
            Path socket) {
        this.data = data;
        this.hostRef = hostRef;
        this.poolRef = poolRef;
        this.xenops = xenops;
        this.tasks = tasks;
        this.guestMetrics = guestMetrics;
        this.sync = sync;
        this.metadata = metadata;
        this.images = images;
        this.socket = socket;
        this.lookups = XenopsErrors.lookups(uuid -> data.byUuid(VM.XAPI_CLASS, uuid), tasks::taskOf);
    }

    /** Applies {@code u} when it holds any operation. */
    private void apply(Update.Builder u) {
        if (!u.isEmpty()) data.apply(u.build());
    }

    private String host() {
        return hostRef;
    }

    private static String dbg(CallContext ctx) {
        return TaskBinding.dbg(ctx);
    }

    /** The VM's uuid, xenopsd's name for it. */
    String uuid(String vm) {
        return data.get(vm, VM.UUID);
    }

    /** {@code transform_xenops_exn}: runs {@code body}, turning xenopsd failures into XenAPI errors. */
    <T> T transform(String vm, Supplier<T> body) {
        try {
            return body.get();
        } catch (RuntimeException e) {
            throw XenopsErrors.map(e, vm, lookups, socket);
        }
    }

    void transform(String vm, Runnable body) {
        transform(vm, () -> {
            body.run();
            return null;
        });
    }

    // ------------------------------------------------------------------------------------------- checks

    /** {@code assert_resident_on}. */
    void assertResidentOn(String vm) {
        if (!host().equals(data.get(vm, VM.RESIDENT_ON))) {
            throw ApiError.internal("the VM " + vm + " is not resident on this host");
        }
    }

    private static String lower(String state) {
        return state.toLowerCase(Locale.ROOT);
    }

    /** {@code assert_final_power_state_is}. */
    private void assertFinalPowerStateIs(String vm, String expected) {
        String actual = data.get(vm, VM.POWER_STATE);
        if (!actual.equals(expected)) {
            throw ApiError.internal("VM not in expected power state after completing operation: " + vm + ", "
                    + lower(expected) + ", " + lower(actual));
        }
    }

    /** {@code check_power_state_is}: Running is only logged when wrong (CA-233915), other states are asserted. */
    private void checkPowerStateIs(String vm, String expected) {
        if (!expected.equals("Running")) {
            assertFinalPowerStateIs(vm, expected);
            return;
        }
        String actual = data.get(vm, VM.POWER_STATE);
        if (!actual.equals(expected))
            LOG.warn("Potential problem: VM {} in power state '{}' when expecting 'running'", vm, lower(actual));
    }

    // ------------------------------------------------------------------------------------------- start

    /**
     * {@code VM.start} / {@code VM.start_on} on the host the lock plan reserved: admission on this host, then
     * {@code Xapi_vm.start}. The forwarding layer's preparation ({@link #prepareStart}) was made by the lock plan on
     * the master, before it chose the host.
     */
    public void start(CallContext ctx, String vm, String op, boolean paused, boolean force) {
        BootChecks.assertCanBootHere(data, vm, host());
        startAdmitted(ctx, vm, paused, force);
    }

    /** {@code VM.start_on}: only this host can run the VM; another host is refused as Xapi's placement would. */
    public void startOn(CallContext ctx, String vm, String host, boolean paused, boolean force) {
        if (!data.exists(Host.XAPI_CLASS, host)) throw ApiError.handleInvalid("host", host);
        if (!host.equals(host())) {
            // the forwarding stage sends a start on another host to that host
            throw ApiError.internal("VM.start_on for host " + host + " reached host " + host());
        }
        start(ctx, vm, "start_on", paused, force);
    }

    /**
     * {@code ensure_domain_type_is_specified}, {@code update_memory_overhead} and {@code
     * consider_generic_bios_strings} of Xapi's forwarding layer, which runs them on the master before it chooses a
     * host for a start ({@code message_forwarding.ml}): the lock plan's host reservation calls this in its
     * transaction, so that the choice counts the VM's overhead as computed now, and a member the start is forwarded
     * to writes none of them.
     */
    public static void prepareStart(Transaction tx, String vm) {
        if ("unspecified".equals(tx.get(vm, VM.DOMAIN_TYPE))) {
            tx.set(vm, VM.DOMAIN_TYPE, tx.get(vm, VM.HVM_BOOT_POLICY).isEmpty() ? "pv" : "hvm");
        }
        long overhead = MemoryCheck.overheadBytes(tx, vm);
        if (overhead != tx.get(vm, VM.MEMORY_OVERHEAD)) tx.set(vm, VM.MEMORY_OVERHEAD, overhead);
        if (tx.get(vm, VM.BIOS_STRINGS).isEmpty()) {
            LOG.info("VM {} starts without BIOS strings: it is given the generic ones", vm);
            tx.set(vm, VM.BIOS_STRINGS, BiosStrings.GENERIC);
        }
    }

    /** {@code Xapi_vm.start} after admission. */
    private void startAdmitted(CallContext ctx, String vm, boolean paused, boolean force) {
        if ("restart".equals(data.get(vm, VM.HA_RESTART_PRIORITY))) data.set(vm, VM.HA_ALWAYS_RUN, true);
        Map<String, String> configured = data.get(vm, VM.PLATFORM);
        Map<String, String> platform = withDeviceModel(
                configured,
                data.get(vm, VM.DOMAIN_TYPE),
                "uefi".equals(data.get(vm, VM.HVM_BOOT_PARAMS).get("firmware")));
        if (!platform.equals(configured)) data.set(vm, VM.PLATFORM, platform);
        String nested = platform.get("nested-virt");
        if (nested != null && !List.of("true", "1", "false", "0").contains(nested.toLowerCase(Locale.ROOT))) {
            throw ApiError.invalidValue("platform:nested-virt", nested);
        }
        guestMetrics.delete(vm); // stale data, e.g. a clone's addresses
        long required = data.get(vm, VM.HAS_VENDOR_DEVICE) ? HAS_VENDOR_DEVICE_VERSION : 0;
        if (required > data.get(vm, VM.HARDWARE_PLATFORM_VERSION)) data.set(vm, VM.HARDWARE_PLATFORM_VERSION, required);
        xenopsStart(ctx, vm, paused, force);
        delay(data.get(vm, VM.START_DELAY));
    }

    /** {@code ensure_device_model_profile_present}: HVM guests get the default device model; qemu-trad is upgraded. */
    static Map<String, String> withDeviceModel(Map<String, String> platform, String domainType, boolean uefi) {
        String dflt = uefi ? "qemu-upstream-uefi" : "qemu-upstream-compat";
        boolean needsQemu = domainType.equals("hvm");
        Map<String, String> out = new LinkedHashMap<>();
        if (!needsQemu || platform.containsKey("device-model")) {
            for (Map.Entry<String, String> e : platform.entrySet()) {
                out.put(
                        e.getKey(),
                        e.getKey().equals("device-model") && e.getValue().equals("qemu-trad") ? dflt : e.getValue());
            }
            return out;
        }
        out.put("device-model", dflt);
        out.putAll(platform);
        return out;
    }

    /**
     * {@code Xapi_xenops.start}. (Xapi wraps it once more to report {@code Bad_power_state} as found, expected;
     * the inner {@code transform_xenops_exn} has already turned it into expected, found, so that is what
     * clients get.)
     */
    private void xenopsStart(CallContext ctx, String vm, boolean paused, boolean force) {
        String dbg = dbg(ctx);
        transform(vm, () -> {
            maybeRefreshVm(dbg, vm);
            // the devices xenopsd is to manage are marked attached, so that the pushed metadata lists them
            boolean emptyAllowed = "hvm".equals(data.get(vm, VM.DOMAIN_TYPE));
            Update.Builder attach = Update.builder();
            for (String vbd : data.get(vm, VM.VBDS)) {
                if (data.exists(VBD.XAPI_CLASS, vbd) && (emptyAllowed || !data.get(vbd, VBD.EMPTY))) {
                    attach.exists(VBD.XAPI_CLASS, vbd).set(vbd, VBD.CURRENTLY_ATTACHED, true);
                }
            }
            for (String vif : data.get(vm, VM.VIFS)) {
                if (data.exists(VIF.XAPI_CLASS, vif))
                    attach.exists(VIF.XAPI_CLASS, vif).set(vif, VIF.CURRENTLY_ATTACHED, true);
            }
            apply(attach);
            try {
                String id = metadata.push(dbg, vm);
                LOG.info("xenops: VM.start {}", id);
                if (!paused) {
                    String start = xenops.vmStart(dbg, id, force);
                    LOG.info("xenops: Queueing VM.unpause {}", id);
                    String unpause = xenops.vmUnpause(dbg, id);
                    try {
                        tasks.syncWithTask(ctx, start, true);
                    } catch (RuntimeException e) {
                        try {
                            tasks.sync(ctx, unpause); // it fails in an irrelevant manner; the start's error counts
                        } catch (RuntimeException ignored) {
                            LOG.debug("draining VM.unpause after a failed VM.start: {}", ignored.toString());
                        }
                        throw e;
                    }
                    tasks.syncWithTask(ctx, unpause, true);
                } else {
                    tasks.syncWithTask(ctx, xenops.vmStart(dbg, id, force), true);
                }
                setResidentOn(dbg, vm);
                checkPowerStateIs(vm, paused ? "Paused" : "Running");
            } catch (RuntimeException e) {
                LOG.error("Caught exception starting VM: {}", e.toString());
                recoverAfterFailure(dbg, vm, e);
                throw e;
            }
        });
    }

    /**
     * After a failed start or resume: Xapi sets the VM resident here and lets the event thread apply what
     * xenopsd reports. When xenopsd cannot be reached, nothing can be learnt from it, so the VM is reset to
     * Halted here; if it does run after all, the resynchronisation on reconnection finds it.
     */
    private void recoverAfterFailure(String dbg, String vm, RuntimeException cause) {
        if (cause instanceof XenopsTimeoutException) {
            // xenopsd is there but did not answer in time: the start may still complete on its side. As
            // Xapi, the VM is resident here, so the event thread applies whatever xenopsd reports later.
            if (data.exists(VM.XAPI_CLASS, vm)) {
                data.apply(Update.builder()
                        .set(vm, VM.RESIDENT_ON, host())
                        .set(vm, VM.SCHEDULED_TO_BE_RESIDENT_ON, Refs.NULL)
                        .build());
            }
            reconcileLater(dbg, vm);
            return;
        }
        if (!(cause instanceof XenopsUnavailableException)) {
            try {
                setResidentOn(dbg, vm);
                return;
            } catch (RuntimeException e) {
                if (!(e instanceof XenopsUnavailableException) && !(e instanceof ApiError)) throw e;
                LOG.warn("could not learn the state of VM {} from xenopsd after a failure: {}", vm, e.toString());
            }
        }
        sync.forceStateReset(vm, "Halted", true);
    }

    /** How long {@link #reconcileLater} keeps asking a xenopsd that does not answer. */
    private static final Duration RECONCILE_FOR = Duration.ofMinutes(10);

    /**
     * After a call to xenopsd timed out: once xenopsd answers again, the VM's state there is applied (a
     * refresh the event thread handles), or, if xenopsd does not know the VM and nothing else is under
     * way on it, it is reset to Halted. Runs on its own virtual thread; gives up after {@link #RECONCILE_FOR}.
     */
    private void reconcileLater(String dbg, String vm) {
        Thread.ofVirtual().name("xenops-reconcile").start(() -> {
            String id = uuid(vm);
            long deadline = System.nanoTime() + RECONCILE_FOR.toNanos();
            long pauseMs = 100;
            while (System.nanoTime() < deadline) {
                try {
                    if (xenops.vmExists(dbg, id)) {
                        sync.refreshAndWait(dbg, id);
                    } else {
                        if (data.exists(VM.XAPI_CLASS, vm)
                                && data.get(vm, VM.CURRENT_OPERATIONS).isEmpty()
                                && host().equals(data.get(vm, VM.RESIDENT_ON))) {
                            sync.forceStateReset(vm, "Halted", true);
                        }
                    }
                    return;
                } catch (XenopsUnavailableException e) {
                    LOG.info("VM {}: xenopsd still does not answer ({}); trying again", id, e.toString());
                } catch (RuntimeException e) {
                    LOG.warn("VM {}: could not reconcile with xenopsd after a timeout", id, e);
                    return;
                }
                try {
                    Thread.sleep(pauseMs); // a timed back-off between attempts at an unresponsive daemon
                } catch (InterruptedException e) {
                    return;
                }
                pauseMs = Math.min(pauseMs * 2, 5_000);
            }
        });
    }

    /** {@code maybe_refresh_vm}: a VM xenopsd already knows has its pending events applied first. */
    private void maybeRefreshVm(String dbg, String vm) {
        String id = uuid(vm);
        if (xenops.vmExists(dbg, id)) {
            LOG.info("VM detected in Xenopsd, flushing outstanding events");
            sync.withSuppressed(dbg, id, () -> null);
        }
    }

    /**
     * {@code set_resident_on}: {@code atomic_set_resident_on} (resident here, reservation cleared), then
     * {@code refresh_vm} so that the event thread applies the VM's state, then the metadata brought up to date.
     */
    private void setResidentOn(String dbg, String vm) {
        String id = uuid(vm);
        data.apply(Update.builder()
                .set(vm, VM.RESIDENT_ON, host())
                .set(vm, VM.SCHEDULED_TO_BE_RESIDENT_ON, Refs.NULL)
                .build());
        sync.refreshAndWait(dbg, id);
        metadata.update(dbg, vm);
    }

    // ------------------------------------------------------------------------------------------- shutdown, reboot

    /** {@code Xapi_xenops.shutdown}: clean ({@code timeout}) or hard ({@code null}); the VM ends Halted. */
    private void xenopsShutdown(CallContext ctx, String vm, Double timeout) {
        String dbg = dbg(ctx);
        transform(vm, () -> {
            assertResidentOn(vm);
            String id = uuid(vm);
            LOG.info("xenops: VM.shutdown {}", id);
            finallyWaitBarrier(dbg, id, () -> tasks.syncWithTask(ctx, xenops.vmShutdown(dbg, id, timeout), true));
            assertFinalPowerStateIs(vm, "Halted");
            if (!Refs.isNull(data.get(vm, VM.RESIDENT_ON))) {
                throw ApiError.internal("shutdown: The VM " + vm + " is still resident on the host");
            }
            for (String vbd : data.get(vm, VM.VBDS)) {
                if (data.exists(VBD.XAPI_CLASS, vbd) && data.get(vbd, VBD.CURRENTLY_ATTACHED)) {
                    throw ApiError.internal("shutdown: The VBD " + vbd + " is still attached to VM " + vm);
                }
            }
        });
    }

    /** Runs {@code body}, then waits for the VM's events whatever happened (the body's error wins). */
    private void finallyWaitBarrier(String dbg, String id, Runnable body) {
        try {
            body.run();
        } catch (RuntimeException e) {
            try {
                sync.waitBarrier(dbg, id);
            } catch (RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
        sync.waitBarrier(dbg, id);
    }

    /** {@code Xapi_xenops.reboot}: clean ({@code timeout}) or hard ({@code null}); the VM ends Running. */
    private void xenopsReboot(CallContext ctx, String vm, Double timeout) {
        String dbg = dbg(ctx);
        transform(vm, () -> {
            assertResidentOn(vm);
            String id = uuid(vm);
            maybeRefreshVm(dbg, vm);
            metadata.update(dbg, vm); // the latest configuration for the new domain
            LOG.info("xenops: VM.reboot {}", id);
            finallyWaitBarrier(dbg, id, () -> tasks.syncWithTask(ctx, xenops.vmReboot(dbg, id, timeout), true));
            checkPowerStateIs(vm, "Running");
        });
    }

    /** {@code VM.clean_shutdown}. */
    public void cleanShutdown(CallContext ctx, String vm) {
        cleanShutdownWithTimeout(ctx, vm, DOMAIN_SHUTDOWN_TOTAL_TIMEOUT);
    }

    private void cleanShutdownWithTimeout(CallContext ctx, String vm, double timeout) {
        data.set(vm, VM.HA_ALWAYS_RUN, false);
        xenopsShutdown(ctx, vm, timeout);
        delay(data.get(vm, VM.SHUTDOWN_DELAY));
    }

    /** {@code VM.hard_shutdown}: a suspended VM loses its image; a live one is destroyed. */
    public void hardShutdown(CallContext ctx, String vm) {
        hardShutdownImpl(ctx, vm);
    }

    private void hardShutdownImpl(CallContext ctx, String vm) {
        data.set(vm, VM.HA_ALWAYS_RUN, false);
        switch (data.get(vm, VM.POWER_STATE)) {
            case "Suspended" -> {
                String vdi = data.get(vm, VM.SUSPEND_VDI);
                if (!Refs.isNull(vdi)) {
                    try {
                        images.destroy(ctx, vdi);
                    } catch (RuntimeException e) {
                        LOG.warn("destroying suspend VDI {}: {}", vdi, e.toString());
                    }
                }
                data.set(vm, VM.SUSPEND_VDI, Refs.NULL);
                sync.forceStateReset(vm, "Halted", false);
            }
            case "Running", "Paused" -> {
                xenopsShutdown(ctx, vm, null);
                delay(data.get(vm, VM.SHUTDOWN_DELAY));
            }
            default -> {} // Halted: nothing to do
        }
    }

    /** {@code VM.shutdown}: clean (with the VM's shutdown_delay as the guest's time), hard if that fails. */
    public void shutdown(CallContext ctx, String vm) {
        if ("Suspended".equals(data.get(vm, VM.POWER_STATE))) {
            hardShutdownImpl(ctx, vm);
        } else {
            long delay = data.get(vm, VM.SHUTDOWN_DELAY);
            try {
                cleanShutdownWithTimeout(ctx, vm, delay > 0 ? delay : DOMAIN_SHUTDOWN_TOTAL_TIMEOUT);
            } catch (RuntimeException e) {
                LOG.warn(
                        "Failed to perform clean_shutdown on VM:{} due to exception {}. Now attempting hard_shutdown.",
                        vm,
                        e.toString());
                hardShutdownImpl(ctx, vm);
            }
        }
    }

    /** {@code VM.clean_reboot}. */
    public void cleanReboot(CallContext ctx, String vm) {
        long required = data.get(vm, VM.HAS_VENDOR_DEVICE) ? HAS_VENDOR_DEVICE_VERSION : 0;
        if (required > data.get(vm, VM.HARDWARE_PLATFORM_VERSION)) data.set(vm, VM.HARDWARE_PLATFORM_VERSION, required);
        xenopsReboot(ctx, vm, DOMAIN_SHUTDOWN_TOTAL_TIMEOUT);
    }

    /** {@code VM.hard_reboot}: a live VM is rebooted, a halted one started, a suspended one refused. */
    public void hardReboot(CallContext ctx, String vm) {
        switch (data.get(vm, VM.POWER_STATE)) {
            case "Running", "Paused" -> xenopsReboot(ctx, vm, null);
            case "Halted" -> startAdmitted(ctx, vm, false, false);
            default -> throw new ApiError("VM_BAD_POWER_STATE", vm, "running", "suspended");
        }
    }

    /**
     * {@code VM.hard_reboot_internal}: what its datamodel documentation says ("immediately restarts the specified
     * VM"): a running or paused VM rebooted by xenopsd, with no VM operation marked and no message. Xapi keeps the
     * message deprecated and its implementation fails an assertion (decisions.md).
     */
    public void hardRebootInternal(CallContext ctx, String vm) {
        String state = data.get(vm, VM.POWER_STATE);
        if (!state.equals("Running") && !state.equals("Paused"))
            throw new ApiError("VM_BAD_POWER_STATE", vm, "running", state.toLowerCase(java.util.Locale.ROOT));
        xenopsReboot(ctx, vm, null);
    }

    // ------------------------------------------------------------------------------------------- pause

    /** {@code VM.pause}. */
    public void pause(CallContext ctx, String vm) {
        String dbg = dbg(ctx);
        transform(vm, () -> {
            String id = uuid(vm);
            LOG.info("xenops: VM.pause {}", id);
            tasks.syncWithTask(ctx, xenops.vmPause(dbg, id), true);
            sync.waitBarrier(dbg, id);
            assertFinalPowerStateIs(vm, "Paused");
        });
    }

    /** {@code VM.unpause}. */
    public void unpause(CallContext ctx, String vm) {
        String dbg = dbg(ctx);
        transform(vm, () -> {
            String id = uuid(vm);
            LOG.info("xenops: VM.unpause {}", id);
            tasks.syncWithTask(ctx, xenops.vmUnpause(dbg, id), true);
            sync.waitBarrier(dbg, id);
            checkPowerStateIs(vm, "Running");
        });
    }

    // ------------------------------------------------------------------------------------------- suspend, resume

    /** {@code VM.suspend}: the VM's memory saved to a new suspend image, which becomes its {@code suspend_VDI}. */
    public void suspend(CallContext ctx, String vm) {
        data.set(vm, VM.HA_ALWAYS_RUN, false);
        suspendDomain(ctx, vm);
    }

    /**
     * {@code Xapi_xenops.suspend}: the memory saved to a new suspend image (the VM's {@code suspend_VDI}) and the
     * domain destroyed; the VM ends Suspended, still resident here while a {@code checkpoint} marks it. No alert.
     */
    public void suspendDomain(CallContext ctx, String vm) {
        String dbg = dbg(ctx);
        transform(vm, () -> {
            assertResidentOn(vm);
            String id = uuid(vm);
            VmStat st = xenops.vmStat(dbg, id);
            long space = (long) (st.vm().memoryStaticMax() * 1.2 * 1.05) + SUSPEND_IMAGE_EXTRA;
            String sr = chooseSuspendSr(vm);
            Map<String, String> smConfig = new LinkedHashMap<>();
            smConfig.put("vmhint", id);
            smConfig.put("initial_allocation", Long.toString(space));
            String vdi;
            try {
                vdi = images.create(ctx, sr, space, smConfig);
            } catch (ApiError e) {
                if (e.code().equals("SR_BACKEND_FAILURE_44")) throw new ApiError("SR_SUSPEND_SPACE_INSUFFICIENT", sr);
                throw e;
            }
            Disk disk = images.diskOf(vdi);
            data.set(vm, VM.SUSPEND_VDI, vdi);
            try {
                LOG.info("xenops: VM.suspend {} to {}", id, disk);
                // the simulator says Suspended as soon as the memory is saved, before the devices are unplugged
                // and the domain destroyed: the VM's events wait for the end (Xapi does not suppress them here)
                sync.withSuppressed(dbg, id, () -> tasks.syncWithTask(ctx, xenops.vmSuspend(dbg, id, disk), false));
                assertFinalPowerStateIs(vm, "Suspended");
                boolean checkpoint = data.get(vm, VM.CURRENT_OPERATIONS).containsValue("checkpoint");
                if (!checkpoint && !Refs.isNull(data.get(vm, VM.RESIDENT_ON))) {
                    throw ApiError.internal("suspend: The VM " + vm + " is still resident on the host");
                }
            } catch (RuntimeException e) {
                LOG.error("Caught exception suspending VM: {}", e.toString());
                try {
                    sync.waitBarrier(dbg, id);
                } catch (RuntimeException again) {
                    e.addSuppressed(again);
                }
                if ("Suspended".equals(data.get(vm, VM.POWER_STATE))) {
                    LOG.info("VM has already suspended; we must perform a hard_shutdown");
                    sync.forceStateReset(vm, "Halted", false);
                }
                try {
                    images.destroy(ctx, vdi);
                } catch (RuntimeException again) {
                    e.addSuppressed(again);
                }
                if (data.exists(VM.XAPI_CLASS, vm)) data.set(vm, VM.SUSPEND_VDI, Refs.NULL);
                throw e;
            }
        });
    }

    /** {@code Helpers.choose_suspend_sr}: the VM's, the pool's, then the host's suspend SR, if this host sees it. */
    private String chooseSuspendSr(String vm) {
        String resident = data.get(vm, VM.RESIDENT_ON);
        for (String sr : List.of(
                data.get(vm, VM.SUSPEND_SR),
                data.get(poolRef, Pool.SUSPEND_IMAGE_SR),
                data.isValid(Host.XAPI_CLASS, resident) ? data.get(resident, Host.SUSPEND_IMAGE_SR) : Refs.NULL)) {
            if (!data.isValid(SR.XAPI_CLASS, sr)) continue;
            for (String pbd : data.get(sr, SR.PBDS)) {
                if (data.isValid(PBD.XAPI_CLASS, pbd) && resident.equals(data.get(pbd, PBD.HOST))) return sr;
            }
        }
        throw new ApiError("VM_NO_SUSPEND_SR", vm);
    }

    /** {@code VM.resume} / {@code VM.resume_on} on this host. */
    public void resume(CallContext ctx, String vm, String op, boolean paused, boolean force) {
        prepareResume(vm);
        BootChecks.assertCanBootHere(data, vm, host());
        resumeAdmitted(ctx, vm, paused);
    }

    /** {@code VM.resume_on}: as {@link #startOn}. */
    public void resumeOn(CallContext ctx, String vm, String host, boolean paused, boolean force) {
        if (!data.exists(Host.XAPI_CLASS, host)) throw ApiError.handleInvalid("host", host);
        if (!host.equals(host())) {
            // the forwarding stage sends a resume on another host to that host
            throw ApiError.internal("VM.resume_on for host " + host + " reached host " + host());
        }
        resume(ctx, vm, "resume_on", paused, force);
    }

    private void prepareResume(String vm) {
        if ("unspecified".equals(data.get(vm, VM.DOMAIN_TYPE))) {
            data.set(vm, VM.DOMAIN_TYPE, data.get(vm, VM.HVM_BOOT_POLICY).isEmpty() ? "pv" : "hvm");
        }
    }

    private void resumeAdmitted(CallContext ctx, String vm, boolean paused) {
        if ("restart".equals(data.get(vm, VM.HA_RESTART_PRIORITY))) data.set(vm, VM.HA_ALWAYS_RUN, true);
        resumeDomain(ctx, vm, paused);
    }

    /**
     * {@code Xapi_xenops.resume}: a new domain from the VM's suspend image, which is then destroyed; the VM ends
     * Running (or Paused). No placement check and no alert: {@code VM.checkpoint}'s slow resume.
     */
    public void resumeDomain(CallContext ctx, String vm, boolean paused) {
        String dbg = dbg(ctx);
        transform(vm, () -> {
            maybeRefreshVm(dbg, vm);
            String vdi = data.get(vm, VM.SUSPEND_VDI);
            if (Refs.isNull(vdi)) {
                LOG.info("VM suspend VDI not found; Performing VM hard_shutdown");
                sync.forceStateReset(vm, "Halted", false);
                throw new ApiError("VM_HAS_NO_SUSPEND_VDI", "VM", vm);
            }
            Disk disk = images.diskOf(vdi);
            String id = uuid(vm);
            // the VM is not made resident before it runs: a failure leaves power state and devices as they were
            try {
                sync.withSuppressed(dbg, id, () -> {
                    metadata.push(dbg, vm);
                    LOG.info("xenops: VM.resume {} from {}", id, disk);
                    tasks.syncWithTask(ctx, xenops.vmResume(dbg, id, disk), false);
                    if (!paused) {
                        LOG.info("xenops: VM.unpause {}", id);
                        tasks.syncWithTask(ctx, xenops.vmUnpause(dbg, id), false);
                    }
                    return null;
                });
            } catch (RuntimeException e) {
                LOG.error("Caught exception resuming VM: {}", e.toString());
                try {
                    metadata.delete(dbg, id);
                } catch (RuntimeException again) {
                    e.addSuppressed(again);
                }
                throw e;
            }
            setResidentOn(dbg, vm);
            data.set(vm, VM.SUSPEND_VDI, Refs.NULL);
            images.destroy(ctx, vdi);
            checkPowerStateIs(vm, paused ? "Paused" : "Running");
        });
    }

    // ------------------------------------------------------------------------------------------- power_state_reset

    /**
     * {@code VM.power_state_reset}: the VM is forced to Halted, unless it is a control domain, still runs
     * here according to xenopsd ({@code DOMAIN_EXISTS}), or is resident on another host that is alive
     * ({@code HOST_IS_LIVE}).
     */
    public void powerStateReset(CallContext ctx, String vm) {
        if (!data.exists(VM.XAPI_CLASS, vm)) throw ApiError.handleInvalid("VM", vm);
        if (data.get(vm, VM.IS_CONTROL_DOMAIN)) throw new ApiError("CANNOT_RESET_CONTROL_DOMAIN", vm);
        String power = data.get(vm, VM.POWER_STATE);
        if (power.equals("Running") || power.equals("Paused")) {
            String resident = data.get(vm, VM.RESIDENT_ON);
            if (resident.equals(host())) {
                boolean running;
                String dbg = dbg(ctx);
                String id = data.get(vm, VM.UUID);
                try {
                    running = xenops.vmStat(dbg, id).state().powerState() == org.xapijava.xenopsd.PowerState.Running;
                    if (!running) metadata.delete(dbg, id);
                } catch (RuntimeException e) {
                    running = false;
                }
                if (running) throw new ApiError("DOMAIN_EXISTS", vm);
            } else if (hostAlive(resident)) {
                throw new ApiError("HOST_IS_LIVE", resident);
            }
        }
        sync.forceStateReset(vm, "Halted", false);
    }

    /**
     * {@code Xapi_host.is_host_alive} for a host other than this one: Xapi asks it over the network and counts
     * any failure as dead (the master's {@code HostAliveness}, once set; before, and on a member, never alive).
     */
    private boolean hostAlive(String host) {
        return hostAliveness.test(host);
    }

    /** From now on {@code VM.power_state_reset} asks {@code aliveness} whether another host still runs a VM. */
    void useHostAliveness(java.util.function.Predicate<String> aliveness) {
        this.hostAliveness = aliveness;
    }

    // ------------------------------------------------------------------------------------------- helpers

    /** Xapi's {@code start_delay}/{@code shutdown_delay}: the VM's configured pause after the operation. */
    private static void delay(long seconds) {
        if (seconds <= 0) return;
        try {
            Thread.sleep(Duration.ofSeconds(seconds));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
