package org.xapijava.server.appliance;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Database;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Task;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMAppliance;
import org.xapijava.model.api.enums.VmPowerState;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.task.TaskManager;
import org.xapijava.server.task.TaskWaits;

/**
 * Xapi's {@code perform_operation} ({@code xapi_vm_appliance.ml}): the appliance's VMs not yet in the operation's
 * power state, grouped by {@code VM.order} (ascending to start, descending to shut down); each group's VMs get their
 * own {@code Async.VM.*} call through the typed in-process client (so each VM call has its own lock plan, and its
 * {@code start_delay} or {@code shutdown_delay} runs inside it), and the next group begins once every task of this one
 * has finished. A VM still not in the power state at the end makes the call fail with
 * {@code OPERATION_PARTIALLY_FAILED [operation, vm...]}. The marking of the appliance itself is the forwarding stage's
 * (its lock plan). Thread-safe.
 */
final class ApplianceOperations {
    private static final Logger LOG = LoggerFactory.getLogger(ApplianceOperations.class);

    /**
     * One appliance operation.
     *
     * @param name          Xapi's name, the first parameter of {@code OPERATION_PARTIALLY_FAILED}
     * @param requiredState the power state every VM must reach
     * @param ascending     whether groups run in ascending {@code order} (start) or descending (shutdowns)
     * @param vmCall        launches the VM's asynchronous call, returning its task
     */
    record Operation(String name, String requiredState, boolean ascending, BiFunction<XenApi, String, String> vmCall) {
        static Operation start(boolean paused) {
            return new Operation(
                    "VM_appliance.start",
                    (paused ? VmPowerState.PAUSED : VmPowerState.RUNNING).wire(),
                    true,
                    (api, vm) -> api.vm().startAsync(vm, paused, false));
        }

        static final Operation CLEAN_SHUTDOWN = new Operation(
                "VM_appliance.clean_shutdown",
                VmPowerState.HALTED.wire(),
                false,
                (api, vm) -> api.vm().cleanShutdownAsync(vm));
        static final Operation HARD_SHUTDOWN = new Operation(
                "VM_appliance.hard_shutdown",
                VmPowerState.HALTED.wire(),
                false,
                (api, vm) -> api.vm().hardShutdownAsync(vm));
        static final Operation SHUTDOWN = new Operation(
                "VM_appliance.shutdown",
                VmPowerState.HALTED.wire(),
                false,
                (api, vm) -> api.vm().shutdownAsync(vm));
    }

    private final Db data;
    private final Database db;
    private final TaskManager tasks;

    ApplianceOperations(Db data, Database db, TaskManager tasks) {
        this.data = data;
        this.db = db;
        this.tasks = tasks;
    }

    /** Runs {@code op} on the appliance's VMs, group after group; see the class comment. */
    void perform(CallContext ctx, String appliance, Operation op) throws InterruptedException {
        String uuid = data.get(appliance, VMAppliance.UUID);
        List<String> targets = new ArrayList<>();
        for (String vm : data.get(appliance, VMAppliance.VMS)) {
            if (!data.get(vm, VM.POWER_STATE).equals(op.requiredState())) targets.add(vm);
        }
        LOG.debug("Beginning operation {} on appliance {}", op.name(), uuid);
        for (List<String> group : groups(data, targets, op.ascending())) runGroup(ctx, group, op);
        List<String> failed = new ArrayList<>();
        for (String vm : targets) {
            if (!data.get(vm, VM.POWER_STATE).equals(op.requiredState())) failed.add(vm);
        }
        if (failed.isEmpty()) {
            LOG.debug("Operation {} on appliance with uuid {} completed successfully", op.name(), uuid);
            return;
        }
        LOG.debug("Operation {} on appliance with uuid {} partially failed", op.name(), uuid);
        List<String> params = new ArrayList<>();
        params.add(op.name());
        params.addAll(failed);
        throw new ApiError(ErrorCodes.OPERATION_PARTIALLY_FAILED, params.toArray(String[]::new));
    }

    /**
     * {@code create_action_list}: the VMs grouped by {@code order}, groups in ascending or descending order; within a
     * group the VMs come in reverse of {@code vms} (Xapi conses each onto its group's list).
     */
    static List<List<String>> groups(Db data, List<String> vms, boolean ascending) {
        TreeMap<Long, List<String>> byOrder = new TreeMap<>();
        for (String vm : vms) {
            byOrder.computeIfAbsent(data.get(vm, VM.ORDER), k -> new ArrayList<>())
                    .addFirst(vm);
        }
        return new ArrayList<>((ascending ? byOrder : byOrder.descendingMap()).values());
    }

    /**
     * {@code run_operation_on_vms}: one asynchronous call per VM (a call that cannot even start is skipped: the power
     * state at the end tells), then waits until none of the tasks is pending. The tasks are subtasks of the caller's
     * task, as Xapi's internal calls are ({@code subtask_of}), and stay for the task GC as Xapi's do.
     */
    private void runGroup(CallContext ctx, List<String> group, Operation op) throws InterruptedException {
        XenApi api = ctx.api();
        List<String> started = new ArrayList<>();
        for (String vm : group) {
            try {
                String task = op.vmCall().apply(api, vm);
                if (ctx.taskRef() != null) markSubtask(task, ctx.taskRef());
                started.add(task);
            } catch (RuntimeException e) {
                LOG.debug("{}: the call on {} did not start: {}", op.name(), vm, e.toString());
            }
        }
        TaskWaits.awaitAll(db, tasks, started, null); // Tasks.wait_for_all
    }

    private void markSubtask(String task, String parent) {
        try {
            data.set(task, Task.SUBTASK_OF, parent);
        } catch (ApiError e) {
            LOG.debug("task {} gone before it was made a subtask of {}", task, parent);
        }
    }
}
