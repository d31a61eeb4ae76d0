package org.xapijava.xenopsd.sim;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;
import org.xapijava.xenopsd.DeviceId;
import org.xapijava.xenopsd.DynamicId;
import org.xapijava.xenopsd.PowerState;
import org.xapijava.xenopsd.Vbd;
import org.xapijava.xenopsd.Vif;
import org.xapijava.xenopsd.XenopsError;

/**
 * The simulated host's VMs ({@link VmEntry} by VM id: xenopsd's {@code VM_DB}, {@code VBD_DB}, {@code VIF_DB} and
 * the simulator backend's domains in one table), kept in memory and, with a state directory, in
 * {@link StateStore} files. Also where "this object changed" goes to the {@link UpdateLog}: {@link #signalVm} and
 * friends emit an id only for objects that still exist.
 *
 * <p>Thread-safety: one lock ({@code lock}) guards the map, the change counter and the domid counter. It is held
 * only for in-memory work: the function given to {@link #update} runs under it (so it must not block, call out or
 * wait), and the state file is written after it is released ({@link StateStore} drops a write older than the one
 * already on disk). Methods marked "lock held" may be called only from inside such a function.
 */
final class VmTable {

    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, VmEntry> vms = new TreeMap<>();
    /** Orders the state writes of one VM; guarded by {@code lock}. */
    private long versionCounter;
    /** The next domid, or -1 until the first domain is created; guarded by {@code lock}. */
    private int nextDomid = -1;

    private final StateStore store;
    private final UpdateLog updates;

    /**
     * Loads what a state directory holds, or starts empty when {@code store} is {@code null}.
     *
     * @throws IOException when a state file cannot be read or understood
     */
    VmTable(StateStore store, UpdateLog updates) throws IOException {
        this.store = store;
        this.updates = updates;
        if (store != null) {
            for (byte[] b : store.loadAll()) {
                try {
                    VmEntry e = VmEntry.fromState(b);
                    vms.put(e.vm().id(), e);
                } catch (Exception e) {
                    throw new IOException("unreadable VM state file in " + store.dir() + ": " + e.getMessage(), e);
                }
            }
        }
    }

    /** xenopsd's {@code register_objects}: every known object is reported once by a fresh daemon. */
    void registerObjects() {
        lock.lock();
        try {
            for (VmEntry e : vms.values()) {
                updates.add(new DynamicId.Vm(e.vm().id()));
                for (Vbd v : e.vbds()) updates.add(new DynamicId.Vbd(v.id()));
                for (Vif v : e.vifs()) updates.add(new DynamicId.Vif(v.id()));
            }
        } finally {
            lock.unlock();
        }
    }

    /** The VM's entry, or {@code null}. */
    VmEntry get(String vmId) {
        lock.lock();
        try {
            return vms.get(vmId);
        } finally {
            lock.unlock();
        }
    }

    /** Every entry, in VM id order. */
    List<VmEntry> all() {
        lock.lock();
        try {
            return new ArrayList<>(vms.values());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Replaces a VM's entry ({@code f} may return {@code null} to delete it, and receives {@code null} for an
     * unknown VM) and persists the result. {@code f} runs with the lock held; an exception from it changes nothing.
     * Returns the new entry.
     */
    VmEntry update(String vmId, UnaryOperator<VmEntry> f) {
        VmEntry after;
        long version;
        byte[] bytes = null;
        lock.lock();
        try {
            VmEntry before = vms.get(vmId);
            after = f.apply(before);
            if (after == before) return after;
            if (after == null) vms.remove(vmId);
            else vms.put(vmId, after);
            version = ++versionCounter;
            if (store != null && after != null) bytes = after.toState();
        } finally {
            lock.unlock();
        }
        if (store != null) {
            try {
                store.put(vmId, version, bytes);
            } catch (IOException e) {
                throw XenopsError.internalError("cannot write the simulator state of " + vmId + ": " + e);
            }
        }
        return after;
    }

    /** Updates the VM's domain, which must exist ({@code Does_not_exist ("domain", vm)} otherwise). */
    Domain updateDomain(String vmId, UnaryOperator<Domain> f) {
        VmEntry e = update(vmId, old -> {
            if (old == null || old.domain() == null) throw XenopsError.doesNotExist("domain", vmId);
            return old.withDomain(f.apply(old.domain()));
        });
        return e.domain();
    }

    /** Lock held: a fresh domid, one above the highest any domain had when the first was allocated. */
    int allocateDomid() {
        assert lock.isHeldByCurrentThread();
        if (nextDomid < 0) {
            int highest = 0;
            for (VmEntry e : vms.values())
                if (e.domain() != null) highest = Math.max(highest, e.domain().domid());
            nextDomid = highest + 1;
        }
        return nextDomid++;
    }

    /** Lock held: every entry (a live view: do not keep it). */
    Iterable<VmEntry> entriesLocked() {
        assert lock.isHeldByCurrentThread();
        return vms.values();
    }

    // ------------------------------------------------------------------------------------------- lookups

    /** {@code VM_DB.read_exn}. */
    VmEntry vmExn(String vmId) {
        VmEntry e = get(vmId);
        if (e == null) throw XenopsError.doesNotExist("VM", vmId + "/config");
        return e;
    }

    Domain domainExn(String vmId) {
        VmEntry e = get(vmId);
        if (e == null || e.domain() == null) throw XenopsError.doesNotExist("domain", vmId);
        return e.domain();
    }

    Vbd vbdExn(DeviceId id) {
        VmEntry e = get(id.vm());
        Vbd v = e == null ? null : e.vbd(id.name());
        if (v == null) throw XenopsError.doesNotExist("VM", id.vm() + "/vbd." + id.name());
        return v;
    }

    Vif vifExn(DeviceId id) {
        VmEntry e = get(id.vm());
        Vif v = e == null ? null : e.vif(id.name());
        if (v == null) throw XenopsError.doesNotExist("VM", id.vm() + "/vif." + id.name());
        return v;
    }

    /** The power state {@code VM.stat} reports for a known VM, without building the rest of it. */
    PowerState powerState(String vmId) {
        return StateReports.powerState(vmExn(vmId).domain());
    }

    // ------------------------------------------------------------------------------------------- signals

    void signalVm(String vmId) {
        lock.lock();
        try {
            if (vms.containsKey(vmId)) updates.add(new DynamicId.Vm(vmId));
        } finally {
            lock.unlock();
        }
    }

    void signalVbd(DeviceId id) {
        lock.lock();
        try {
            VmEntry e = vms.get(id.vm());
            if (e != null && e.vbd(id.name()) != null) updates.add(new DynamicId.Vbd(id));
        } finally {
            lock.unlock();
        }
    }

    void signalVif(DeviceId id) {
        updates.add(new DynamicId.Vif(id));
    }

    /** Lock held or not: the object is gone, so {@code UPDATES.get} stops reporting it. */
    void forget(DynamicId id) {
        updates.remove(id);
    }
}
