package org.xapijava.server.host;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Database;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.VM;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.HostApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.ops.AllowedOperations;
import org.xapijava.server.storage.PbdUnplugs;
import org.xapijava.server.task.TaskManager;
import org.xapijava.server.task.TaskWaits;
import org.xapijava.server.xenops.ResidentVms;

/**
 * {@code host.shutdown} and {@code host.reboot} on the host itself (the master forwards them there, marked), as
 * Xapi's {@code shutdown_and_reboot_common} and {@code prepare_for_poweroff}: the host must be disabled
 * ({@code HOST_NOT_DISABLED}); the call answers at once, leaving the host marked {@code shutdown} under a subtask of
 * its own; {@link #DELAY} later the host is emptied ({@code Vm_evacuation.ensure_no_vms}: the VMs that cannot go
 * elsewhere shut down, the others evacuated, what still runs shut down, cleanly within 60 s, then hard), its PBDs
 * unplugged, the marking cleared, and the host agent restarted (reboot: a simulated host has no firmware to go
 * through, its xenopsd holds no domain any more) or stopped for good (shutdown). The calls go through the master,
 * as Xapi's {@code call_api_functions}. A host without a launcher to restart it only stops its agent. Thread-safe.
 */
public final class HostPowerOff implements Messages {
    private static final Logger LOG = LoggerFactory.getLogger(HostPowerOff.class);
    /** Xapi's delay before the shutdown command runs, so that the call's answer leaves first. */
    public static final Duration DELAY = Duration.ofSeconds(10);
    /** {@code Vm_evacuation}: how long clean shutdowns may take before the VMs are shut down hard. */
    static final Duration CLEAN_SHUTDOWN_TIMEOUT = Duration.ofSeconds(60);
    /** A key of a VM's other_config: the VM powers itself off ({@code self_managed_poweroff}), left alone. */
    static final String AUTO_POWEROFF = "auto_poweroff";

    private final Db data;
    private final Database db;
    private final String me;
    private final TaskManager tasks;
    private final AllowedOperations allowed;
    private final Supplier<XenApi> pool;
    private final Runnable restart;
    private final Runnable stop;
    private final Duration delay;

    /**
     * @param db      the database tasks' states arrive in (on a member, its replica of the master's)
     * @param pool    the XenAPI the emptying goes through (the master's, with a pool session)
     * @param restart asks the launcher to start this host's agent again
     * @param stop    asks the launcher to stop it for good
     */
    public HostPowerOff(
            Db data,
            Database db,
            String me,
            TaskManager tasks,
            AllowedOperations allowed,
            Supplier<XenApi> pool,
            Runnable restart,
            Runnable stop,
            Duration delay) {
        this.data = data;
        this.db = db;
        this.me = me;
        this.tasks = tasks;
        this.allowed = allowed;
        this.pool = pool;
        this.restart = restart;
        this.stop = stop;
        this.delay = delay;
    }

    @Override
    public void bind(MessageTable table) {
        HostApi.bind(table, new HostApi() {
            @Override
            public void shutdown(CallContext ctx, String host) {
                powerOff(ctx, host, "Host is shutting down", stop);
            }

            @Override
            public void reboot(CallContext ctx, String host) {
                powerOff(ctx, host, "Host is rebooting", restart);
            }
        });
    }

    private void powerOff(CallContext ctx, String host, String label, Runnable then) {
        if (!data.exists(Host.XAPI_CLASS, host)) throw ApiError.handleInvalid(Host.XAPI_CLASS, host);
        if (data.get(host, Host.ENABLED)) throw new ApiError(ErrorCodes.HOST_NOT_DISABLED);
        String task = tasks.create(label, label, null, ctx.taskRef(), null);
        data.addToMap(me, Host.CURRENT_OPERATIONS, task, "shutdown");
        allowed.update(Host.XAPI_CLASS, me);
        LOG.warn("{}: powering off in {} s", label, delay.toSeconds());
        Thread.ofVirtual().name("host-poweroff").start(() -> {
            try {
                Thread.sleep(delay);
                prepareForPoweroff();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.error("{}: preparing for power-off failed; going on", label, e);
            }
            try {
                data.removeFromMap(me, Host.CURRENT_OPERATIONS, task);
                tasks.destroy(task);
            } catch (RuntimeException e) {
                LOG.warn("{}: clearing the host's marking failed: {}", label, e.toString());
            }
            then.run();
        });
    }

    /** {@code prepare_for_poweroff}: no VM left running here, every PBD of this host unplugged. */
    void prepareForPoweroff() throws InterruptedException {
        XenApi api = pool.get();
        try {
            shutdown(
                    api,
                    new ArrayList<>(api.host().getVmsWhichPreventEvacuation(me).keySet()));
        } catch (ApiError e) {
            LOG.warn("poweroff: shutting down the VMs that cannot be evacuated: {}", e.toString());
        }
        if (!runningHere().isEmpty()) {
            try {
                api.host().evacuate(me, org.xapijava.model.types.Refs.NULL, 0);
            } catch (ApiError e) {
                LOG.warn("poweroff: evacuation failed: {}", e.toString());
            }
        }
        shutdown(api, runningHere());
        for (String pbd : data.get(me, Host.PBDS)) {
            try {
                PbdUnplugs.unplug(data, api, pbd); // Xapi's unplug_all_pbds: each failure logged, the others go on
            } catch (ApiError e) {
                LOG.warn("poweroff: unplugging PBD {} failed: {}", pbd, e.toString());
            }
        }
    }

    /** The user VMs running here that do not power themselves off ({@code get_running_domains}). */
    private List<String> runningHere() {
        List<String> out = new ArrayList<>();
        for (String vm : ResidentVms.userVms(data, me)) {
            if (!"Running".equals(data.get(vm, VM.POWER_STATE))) continue;
            if (data.get(vm, VM.OTHER_CONFIG).containsKey(AUTO_POWEROFF)) continue;
            out.add(vm);
        }
        return out;
    }

    /** Clean shutdowns (those allowed) waited for up to a minute, then hard shutdowns of what is still live. */
    private void shutdown(XenApi api, List<String> vms) throws InterruptedException {
        if (vms.isEmpty()) return;
        List<String> started = new ArrayList<>();
        for (String vm : vms) {
            try {
                if (data.get(vm, VM.ALLOWED_OPERATIONS).contains("clean_shutdown"))
                    started.add(api.vm().cleanShutdownAsync(vm));
            } catch (ApiError e) {
                LOG.warn("poweroff: clean shutdown of VM {}: {}", vm, e.toString());
            }
        }
        awaitAll(started, CLEAN_SHUTDOWN_TIMEOUT);
        List<String> hard = new ArrayList<>();
        for (String vm : vms) {
            if (!data.exists(VM.XAPI_CLASS, vm)) continue;
            String power = data.get(vm, VM.POWER_STATE);
            if (!power.equals("Running") && !power.equals("Paused")) continue;
            try {
                hard.add(api.vm().hardShutdownAsync(vm));
            } catch (ApiError e) {
                LOG.warn("poweroff: hard shutdown of VM {}: {}", vm, e.toString());
            }
        }
        awaitAll(hard, null); // no timeout: the VMs must be off
    }

    /** {@code Tasks.with_tasks_destroy}: waits for the tasks to end ({@code timeout} null: without limit), then destroys them. */
    private void awaitAll(List<String> taskRefs, Duration timeout) throws InterruptedException {
        TaskWaits.awaitAll(db, tasks, taskRefs, timeout);
        for (String t : taskRefs) {
            try {
                tasks.destroy(t);
            } catch (RuntimeException e) {
                LOG.debug("task {} already gone", t);
            }
        }
    }
}
