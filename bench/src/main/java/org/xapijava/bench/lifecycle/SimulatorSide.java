package org.xapijava.bench.lifecycle;

import java.util.List;
import org.xapijava.xenopsd.DynamicId;
import org.xapijava.xenopsd.TaskInfo;
import org.xapijava.xenopsd.Updates;
import org.xapijava.xenopsd.Xenops;

/**
 * The baseline: the same VMs' lifecycle driven directly on a xenopsd simulator through {@link Xenops} (a
 * {@code XenopsClient} on its Unix socket), the calls xapi makes for the two operations and nothing else:
 * <ul>
 *   <li>start: {@code VM.import_metadata} (the metadata xapi pushed for the VM), {@code VM.start} (which leaves
 *       the domain paused), {@code VM.unpause} queued at once, then both tasks waited for;</li>
 *   <li>clean shutdown: {@code VM.shutdown} with xapi's guest timeout, waited for, then {@code VM.remove}
 *       (xapi removes a halted VM's metadata).</li>
 * </ul>
 * Tasks are waited for as xapi does ({@code wait_for_task}: {@code UPDATES.last_id}, then {@code UPDATES.get}
 * long polls until the task has ended), then destroyed. Thread-safe (the client pools its connections).
 */
final class SimulatorSide implements Side {
    /** xapi's {@code domain_shutdown_total_timeout}: the guest's time for a clean shutdown (s). */
    static final double CLEAN_SHUTDOWN_TIMEOUT = 1200.0;
    /** xapi's poll of {@code UPDATES.get} while it waits for a task (s). */
    private static final int POLL_SECONDS = 30;

    private static final String DBG = "bench";

    private final Xenops xenops;
    /** Per VM: its id (the xapi VM's uuid) and the metadata JSON to import. */
    private final List<String> ids;

    private final List<String> metadata;

    SimulatorSide(Xenops xenops, List<String> ids, List<String> metadata) {
        if (ids.size() != metadata.size()) throw new IllegalArgumentException("one metadata per VM");
        this.xenops = xenops;
        this.ids = List.copyOf(ids);
        this.metadata = List.copyOf(metadata);
    }

    @Override
    public String name() {
        return "simulator via XenopsClient";
    }

    @Override
    public void start(int client, int vm) {
        String id = xenops.vmImportMetadata(DBG, metadata.get(vm));
        if (!id.equals(ids.get(vm)))
            throw new IllegalStateException("VM.import_metadata answered " + id + " for " + ids.get(vm));
        String start = xenops.vmStart(DBG, id, false);
        String unpause = xenops.vmUnpause(DBG, id);
        await(start);
        await(unpause);
    }

    @Override
    public void cleanShutdown(int client, int vm) {
        String id = ids.get(vm);
        await(xenops.vmShutdown(DBG, id, CLEAN_SHUTDOWN_TIMEOUT));
        xenops.vmRemove(DBG, id);
    }

    @Override
    public void checkIdle() {
        for (String id : ids) {
            if (xenops.vmExists(DBG, id)) throw new IllegalStateException("the baseline simulator still has VM " + id);
        }
    }

    /** Waits for task {@code id} to end (no polling: long polls on the update feed); throws if it failed. */
    private void await(String id) {
        Integer from = xenops.updatesLastId(DBG);
        boolean ended = !(xenops.taskStat(DBG, id).state() instanceof TaskInfo.Pending);
        while (!ended) {
            Updates u = xenops.updatesGet(DBG, from, POLL_SECONDS);
            from = u.nextId();
            for (DynamicId d : u.ids()) {
                if (d instanceof DynamicId.Task t && t.id().equals(id)) {
                    ended = !(xenops.taskStat(DBG, id).state() instanceof TaskInfo.Pending);
                    break;
                }
            }
        }
        TaskInfo.State end = xenops.taskStat(DBG, id).state();
        xenops.taskDestroy(DBG, id);
        if (end instanceof TaskInfo.Failed f)
            throw new IllegalStateException("xenopsd task " + id + " failed: " + f.error());
    }
}
