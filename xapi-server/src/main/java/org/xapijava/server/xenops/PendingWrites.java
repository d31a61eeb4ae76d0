package org.xapijava.server.xenops;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.ReadSet;
import org.xapijava.db.Update;
import org.xapijava.model.Field;
import org.xapijava.model.api.VM;

/**
 * The writes of one {@code update_vm_internal} pass of {@link StateSync} that read nothing they write and need no
 * answer (a VM field, a metrics field, the consoles, the platform's time offset), kept in Xapi's order and committed
 * together at the next {@link #flush}: one database commit (on a pool member, one round trip to the master) instead
 * of one each. The pass flushes before each write whose outcome it needs or that others read (power state, start
 * time, guest metrics) and at its end, so what a reader sees follows Xapi's order between those points. Nothing is
 * written when the VM is gone. Not thread-safe: one per pass.
 */
final class PendingWrites {
    private static final Logger LOG = LoggerFactory.getLogger(PendingWrites.class);

    /** What is written into the VM's metrics row {@code m}, from what it reads. */
    @FunctionalInterface
    interface MetricsWrite {
        void plan(ReadSet r, Update.Builder u, String m);
    }

    /** Plans the writes of {@code bodies} into the VM's metrics row (made when missing), stamped once. */
    @FunctionalInterface
    interface MetricsPlanner {
        void plan(ReadSet r, Update.Builder u, String vm, List<MetricsWrite> bodies);
    }

    private final String vm;
    private final Consumer<BiConsumer<ReadSet, Update.Builder>> step;
    private final MetricsPlanner metricsPlanner;
    private final List<BiConsumer<ReadSet, Update.Builder>> plans = new ArrayList<>();
    private final List<MetricsWrite> metrics = new ArrayList<>();

    /** @param step runs one atomic planned step (read, plan, apply if nothing read changed) */
    PendingWrites(String vm, Consumer<BiConsumer<ReadSet, Update.Builder>> step, MetricsPlanner metricsPlanner) {
        this.vm = vm;
        this.step = step;
        this.metricsPlanner = metricsPlanner;
    }

    <T> void set(Field<T> field, T value) {
        plans.add((r, u) -> u.set(vm, field, value));
    }

    void plan(BiConsumer<ReadSet, Update.Builder> plan) {
        plans.add(plan);
    }

    void metrics(MetricsWrite write) {
        metrics.add(write);
    }

    void flush() {
        if (plans.isEmpty() && metrics.isEmpty()) return;
        var ps = List.copyOf(plans);
        var ms = List.copyOf(metrics);
        plans.clear();
        metrics.clear();
        try {
            step.accept((r, u) -> {
                if (!r.exists(VM.XAPI_CLASS, vm)) return;
                for (var p : ps) p.accept(r, u);
                if (!ms.isEmpty()) metricsPlanner.plan(r, u, vm, ms);
            });
        } catch (RuntimeException e) {
            LOG.error("Caught {} while updating VM {}", e, vm);
        }
    }
}
