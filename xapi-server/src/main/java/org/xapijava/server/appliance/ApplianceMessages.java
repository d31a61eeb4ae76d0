package org.xapijava.server.appliance;

import java.util.List;
import org.xapijava.db.Database;
import org.xapijava.db.Db;
import org.xapijava.model.LicenceFeature;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.VMApi;
import org.xapijava.server.api.gen.VMApplianceApi;
import org.xapijava.server.appliance.ApplianceOperations.Operation;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.Implementation;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.task.TaskManager;
import org.xapijava.server.vm.PoolFeatures;

/**
 * The VM appliance messages ({@code xapi_vm_appliance.ml}): {@code start}, {@code clean_shutdown},
 * {@code hard_shutdown} and {@code shutdown} ({@link ApplianceOperations}), and the disaster-recovery checks of
 * appliances and VMs, {@code assert_can_be_recovered} and {@code get_SRs_required_for_recovery} ({@link Recovery}).
 * {@code recover} needs a foreign database and still answers {@code NOT_IMPLEMENTED}.
 *
 * <p>As in Xapi's forwarding layer, {@code start} needs the licence feature {@code VM_appliance_start} before
 * anything is marked ({@link #startPreparation}); the forwarding stage then marks the appliance with the operation
 * (its lock plan: {@code OTHER_OPERATION_IN_PROGRESS} while another one runs, {@code OPERATION_NOT_ALLOWED} when no VM
 * is in a state the operation applies to). Thread-safe.
 */
public final class ApplianceMessages implements Messages {
    private final Db data;
    private final String poolRef;
    private final ApplianceOperations operations;

    public ApplianceMessages(Db data, Database db, String poolRef, TaskManager tasks) {
        this.data = data;
        this.poolRef = poolRef;
        this.operations = new ApplianceOperations(data, db, tasks);
    }

    @Override
    public void bind(MessageTable table) {
        VMApplianceApi.bind(table, new Appliance());
        VMApi.bind(table, new Vm());
    }

    /**
     * What {@code VM_appliance.start} checks before its lock plan marks anything: the pool's licence for
     * {@code VM_appliance_start} ({@code LICENCE_RESTRICTION ["VM_appliance_start"]}). Register it with
     * {@code Locks.beforeMarking}.
     */
    public Implementation startPreparation() {
        return (ctx, a) -> {
            PoolFeatures.assertEnabled(data, poolRef, LicenceFeature.VM_appliance_start);
            return null;
        };
    }

    private final class Appliance implements VMApplianceApi {
        @Override
        public void start(CallContext ctx, String self, boolean paused) throws InterruptedException {
            operations.perform(ctx, self, Operation.start(paused));
        }

        @Override
        public void cleanShutdown(CallContext ctx, String self) throws InterruptedException {
            operations.perform(ctx, self, Operation.CLEAN_SHUTDOWN);
        }

        @Override
        public void hardShutdown(CallContext ctx, String self) throws InterruptedException {
            operations.perform(ctx, self, Operation.HARD_SHUTDOWN);
        }

        @Override
        public void shutdown(CallContext ctx, String self) throws InterruptedException {
            operations.perform(ctx, self, Operation.SHUTDOWN);
        }

        @Override
        public void assertCanBeRecovered(CallContext ctx, String self, String sessionTo) {
            Recovery.assertApplianceCanBeRecovered(data, data, self);
        }

        @Override
        public List<String> getSRsRequiredForRecovery(CallContext ctx, String self, String sessionTo) {
            return Recovery.applianceMissingSrs(data, data, self);
        }
    }

    private final class Vm implements VMApi {
        @Override
        public void assertCanBeRecovered(CallContext ctx, String self, String sessionTo) {
            Recovery.assertCanBeRecovered(data, data, self);
        }

        @Override
        public List<String> getSRsRequiredForRecovery(CallContext ctx, String self, String sessionTo) {
            return Recovery.missingSrs(data, data, self);
        }
    }
}
