package org.xapijava.server.ops;

import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Database;
import org.xapijava.db.DbReader;
import org.xapijava.db.Transaction;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VIF;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMAppliance;
import org.xapijava.model.api.VTPM;
import org.xapijava.model.errors.ApiError;

/**
 * Xapi's {@code allowed_operations} bookkeeping ({@code xapi_vm_lifecycle.ml update_allowed_operations} and its
 * siblings per class): what the checkers allow on an object, recomputed after anything that changes the answer,
 * and the checkers' verdict on one operation. Message code calls it after its own changes, as Xapi's does; it
 * takes no locks (marking {@code current_operations} is {@link Locks}'s, in the forwarding stage). Thread-safe.
 */
public final class AllowedOperations {
    private static final Logger LOG = LoggerFactory.getLogger(AllowedOperations.class);

    /** The classes whose allowed_operations are recomputed at start. */
    private static final List<String> CLASSES = List.of(
            VM.XAPI_CLASS,
            VBD.XAPI_CLASS,
            VIF.XAPI_CLASS,
            VDI.XAPI_CLASS,
            SR.XAPI_CLASS,
            Host.XAPI_CLASS,
            Pool.XAPI_CLASS,
            VMAppliance.XAPI_CLASS);
    /** The field every one of them has. */
    private static final String ALLOWED_OPERATIONS = VM.ALLOWED_OPERATIONS.name();

    private final Database db;
    private final Checkers checkers;
    /** On a pool member: recomputes one object's allowed operations on the master and waits for it; else null. */
    private final java.util.function.BiConsumer<String, String> onMaster;

    public AllowedOperations(Database db, Checkers checkers) {
        this(db, checkers, null);
    }

    private AllowedOperations(Database db, Checkers checkers, java.util.function.BiConsumer<String, String> onMaster) {
        this.db = db;
        this.checkers = checkers;
        this.onMaster = onMaster;
    }

    /**
     * A pool member's: {@code db} is its replica of the master's database (read-only), and each
     * {@link #update} is run on the master by {@code onMaster}, which returns once the replica holds the result.
     */
    public static AllowedOperations ofMember(Database db, java.util.function.BiConsumer<String, String> onMaster) {
        return new AllowedOperations(db, Checkers.at(Path.of("/etc/xapi.d/plugins")), onMaster);
    }

    /** The checkers of a host whose plugins are in {@code pluginsRoot} ({@link Checkers#at}). */
    public static AllowedOperations of(Database db, Path pluginsRoot) {
        return new AllowedOperations(db, Checkers.at(pluginsRoot));
    }

    /**
     * Recomputes {@code allowed_operations} of one object of class {@code cls} ("VM", "VBD", "VIF",
     * "VDI", "SR", "host", "pool", "VM_appliance"), writing it only when it changed. Call after any change that can
     * change the answer (power state, template flag, devices added or removed, ...). For a VM this is
     * Xapi's {@code VM.update_allowed_operations}: its VBDs, their VDIs and its VIFs first (their
     * failures logged, not raised), then the VM and its VTPMs; all in one transaction.
     *
     * @throws ApiError {@code HANDLE_INVALID} when there is no such object
     */
    public void update(String cls, String ref) {
        if (onMaster != null) {
            onMaster.accept(cls, ref);
            return;
        }
        db.transact(tx -> {
            if (!tx.isValid(cls, ref)) throw ApiError.handleInvalid(cls, ref);
            if (cls.equals(VM.XAPI_CLASS)) writeVmDevices(tx, ref);
            writeAllowed(tx, cls, ref);
        });
    }

    /**
     * Recomputes the allowed_operations of every VM, VBD, VIF, VDI, SR, host, pool and VM appliance (Xapi's
     * {@code update_all_allowed_operations}, run at start: current_operations are not persistent). A
     * failure on one object is logged and the others go on.
     */
    public void updateAll() {
        db.transact(tx -> {
            for (String cls : CLASSES) {
                for (String ref : tx.all(cls)) {
                    try {
                        writeAllowed(tx, cls, ref);
                    } catch (RuntimeException e) {
                        LOG.warn("allowed_operations of {} {} not updated: {}", cls, ref, e.getMessage());
                    }
                }
            }
        });
    }

    /** Throws the XenAPI error Xapi's checker gives for {@code op} on the object now; marks nothing. */
    public void assertValid(String cls, String ref, String op) {
        ApiError e = checkers.check(db.snapshot(), cls, ref, op, true);
        if (e != null) throw e;
    }

    /**
     * Writes the object's allowed_operations (for a VM, its appliance's and its VTPMs' too, as Xapi's
     * {@code update_allowed_operations}); no write when unchanged.
     */
    void writeAllowed(Transaction tx, String cls, String ref) {
        tx.set(cls, ref, ALLOWED_OPERATIONS, checkers.allowed(tx, cls, ref));
        if (cls.equals(VM.XAPI_CLASS)) {
            String appliance = tx.get(ref, VM.APPLIANCE);
            if (tx.isValid(VMAppliance.XAPI_CLASS, appliance))
                tx.set(
                        appliance,
                        VMAppliance.ALLOWED_OPERATIONS,
                        checkers.allowed(tx, VMAppliance.XAPI_CLASS, appliance));
            for (String vtpm : tx.get(ref, VM.VTPMS)) {
                if (tx.exists(VTPM.XAPI_CLASS, vtpm))
                    tx.set(vtpm, VTPM.ALLOWED_OPERATIONS, Checkers.vtpmAllowed(tx, vtpm));
            }
        }
    }

    /** The VM's VBDs, their VDIs (non-empty VBDs) and VIFs; a failure is logged and the others go on. */
    void writeVmDevices(Transaction tx, String vm) {
        for (String vbd : tx.get(vm, VM.VBDS)) writeVbdAndVdi(tx, vbd);
        for (String vif : tx.get(vm, VM.VIFS)) {
            try {
                if (tx.exists(VIF.XAPI_CLASS, vif)) writeAllowed(tx, VIF.XAPI_CLASS, vif);
            } catch (RuntimeException e) {
                LOG.debug("allowed_operations of VIF {} not updated: {}", vif, e.getMessage());
            }
        }
    }

    /** A VBD and, when not empty, its VDI; failures logged. */
    void writeVbdAndVdi(Transaction tx, String vbd) {
        try {
            if (!tx.exists(VBD.XAPI_CLASS, vbd)) return;
            writeAllowed(tx, VBD.XAPI_CLASS, vbd);
            String vdi = tx.get(vbd, VBD.VDI);
            if (!tx.get(vbd, VBD.EMPTY) && tx.exists(VDI.XAPI_CLASS, vdi)) writeAllowed(tx, VDI.XAPI_CLASS, vdi);
        } catch (RuntimeException e) {
            LOG.debug("allowed_operations of VBD {} (and VDI) not updated: {}", vbd, e.getMessage());
        }
    }

    /** The checker's refusal of {@code op} on {@code cls/ref} in {@code r}, or null. */
    ApiError refusal(DbReader r, String cls, String ref, String op, boolean strict) {
        return checkers.check(r, cls, ref, op, strict);
    }
}
