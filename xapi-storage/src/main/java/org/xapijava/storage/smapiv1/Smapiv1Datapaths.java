package org.xapijava.storage.smapiv1;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Function;
import org.xapijava.storage.AttachInfo;
import org.xapijava.storage.SmError;
import org.xapijava.storage.StorageContext;
import org.xapijava.storage.StorageException;
import org.xapijava.storage.smapiv1.Smapiv1Adapter.Target;
import org.xapijava.storage.smapiv1.VdiAutomaton.Op;
import org.xapijava.storage.smapiv1.VdiAutomaton.State;
import org.xapijava.storage.smapiv1.VdiAutomaton.Step;

/**
 * The datapath side of {@link Smapiv1Storage}, as Xapi's {@code storage_smapiv1_wrapper.ml}: which SRs are bound
 * here (with their type), each VDI's datapaths and their {@link State} in the {@link DatapathTable}, and the locks
 * (one read/write lock per SR, taken exclusively to bind and unbind it; one lock per VDI). A datapath request moves
 * one datapath and runs only the backend operations the VDI's superstate change needs ({@link VdiAutomaton}); a
 * failed step leaves the datapath where it failed; a datapath whose teardown failed is remembered as leaked and torn
 * down again before the next attach or epoch. The table is written after each change and read back at construction.
 */
final class Smapiv1Datapaths {
    private static final System.Logger LOG = System.getLogger(Smapiv1Datapaths.class.getName());

    private final Smapiv1Adapter adapter;
    private final Smapiv1Host host;
    private final Function<String, DriverInfo> driverOrFail;
    private final DatapathTable table;
    private final Smapiv1Mirror mirror;
    private final Map<String, ReentrantReadWriteLock> srLocks = new ConcurrentHashMap<>();
    private final Map<String, ReentrantLock> vdiLocks = new ConcurrentHashMap<>();
    /** The VDIs read directly now ({@link Smapiv1Storage#vdiOpenDirect}). */
    final DirectReaders directReaders = new DirectReaders();

    /**
     * @param driverOrFail the driver of an SR type, or a storage error
     * @param stateDir     where {@code storage.db} lives
     * @param mirror       the mirrors, finished before their VDI is deactivated
     */
    Smapiv1Datapaths(
            Smapiv1Adapter adapter,
            Smapiv1Host host,
            Function<String, DriverInfo> driverOrFail,
            java.nio.file.Path stateDir,
            Smapiv1Mirror mirror) {
        this.adapter = adapter;
        this.host = host;
        this.driverOrFail = driverOrFail;
        this.table = new DatapathTable(stateDir);
        this.mirror = mirror;
    }

    /** The SRs bound here (attached), with their type: what a restarted server finds in the state file. */
    Map<String, String> attachedSrs() {
        synchronized (table) {
            Map<String, String> m = new LinkedHashMap<>();
            table.srs.forEach((k, v) -> m.put(k, v.type));
            return m;
        }
    }

    boolean srAttached(String sr) {
        synchronized (table) {
            return table.srs.containsKey(sr);
        }
    }

    /** The datapaths of a VDI with their states. */
    Map<String, State> dpStates(String sr, String vdi) {
        synchronized (table) {
            DatapathTable.Sr s = table.srs.get(sr);
            DatapathTable.Vdi v = s == null ? null : s.vdis.get(vdi);
            return v == null ? Map.of() : new LinkedHashMap<>(v.dps);
        }
    }

    /** The datapaths of a VDI whose teardown failed. */
    List<String> leaked(String sr, String vdi) {
        synchronized (table) {
            DatapathTable.Sr s = table.srs.get(sr);
            DatapathTable.Vdi v = s == null ? null : s.vdis.get(vdi);
            return v == null ? List.of() : new ArrayList<>(v.leaked);
        }
    }

    /** The SR's binding: its uuid, ref and driver; SR_NOT_ATTACHED when it is not bound here. */
    Target target(String sr) {
        String type;
        synchronized (table) {
            DatapathTable.Sr s = table.srs.get(sr);
            if (s == null) {
                String ref = host.srRef(sr);
                throw StorageException.xapi(SmError.SR_UNAVAILABLE, "SR_NOT_ATTACHED", List.of(ref == null ? sr : ref));
            }
            type = s.type;
        }
        return new Target(sr, adapter.srRefOrFail(sr), driverOrFail.apply(type));
    }

    /**
     * Binds the SR to {@code type} after {@code attach} (the driver's {@code sr_attach}) succeeded, under the SR's
     * exclusive lock; nothing is run when the SR is bound already.
     */
    void bindSr(String sr, String type, Runnable attach) {
        Lock w = srLock(sr).writeLock();
        w.lock();
        try {
            synchronized (table) {
                if (table.srs.containsKey(sr)) return;
            }
            attach.run();
            synchronized (table) {
                table.srs.put(sr, new DatapathTable.Sr(type));
                table.save();
            }
        } finally {
            w.unlock();
        }
    }

    /**
     * Under the SR's exclusive lock: tears down every datapath of the SR (all VDI locks held in turn), then runs
     * {@code detach} (the driver's {@code sr_detach} or {@code sr_delete}) and unbinds the SR.
     */
    void unbindSr(StorageContext ctx, String sr, Consumer<Target> detach) {
        Lock w = srLock(sr).writeLock();
        w.lock();
        try {
            Target t = target(sr);
            directReaders.refuseSrWhileHeld(sr);
            List<RuntimeException> failures = new ArrayList<>();
            for (Map.Entry<String, List<String>> e : datapathsOf(sr).entrySet()) {
                for (String dp : e.getValue()) {
                    try {
                        destroyDatapath(ctx, t, dp, e.getKey(), false);
                    } catch (RuntimeException ex) {
                        failures.add(ex);
                    }
                }
            }
            if (!failures.isEmpty()) throw failures.getFirst();
            detach.accept(t);
            synchronized (table) {
                table.srs.remove(sr);
                table.save();
            }
        } finally {
            w.unlock();
        }
    }

    /** Forgets the VDI's datapaths (VDI lock held, after its {@code vdi_delete}). */
    void forgetVdi(String sr, String vdi) {
        synchronized (table) {
            DatapathTable.Sr s = table.srs.get(sr);
            if (s != null && s.vdis.remove(vdi) != null) table.save();
        }
    }

    private ReentrantReadWriteLock srLock(String sr) {
        return srLocks.computeIfAbsent(sr, k -> new ReentrantReadWriteLock(true));
    }

    private Lock vdiLock(String sr, String vdi) {
        return vdiLocks.computeIfAbsent(sr + "\u0000" + vdi, k -> new ReentrantLock(true));
    }

    private static StorageException illegal(VdiAutomaton.IllegalTransition e) {
        return StorageException.xapi(
                SmError.INVALID_ARG, "INTERNAL_ERROR", List.of("Storage_error(Illegal_transition): " + e.getMessage()));
    }

    /** VDI → its datapaths (including leaked ones) of one SR. */
    /** Whether a datapath of this host has the VDI attached read-write, or leaked (then it may still be). */
    boolean attachedReadWrite(String sr, String vdi) {
        synchronized (table) {
            DatapathTable.Sr s = table.srs.get(sr);
            DatapathTable.Vdi v = s == null ? null : s.vdis.get(vdi);
            return v != null && (v.superstate().readWrite() || !v.leaked.isEmpty());
        }
    }

    private Map<String, List<String>> datapathsOf(String sr) {
        synchronized (table) {
            Map<String, List<String>> m = new LinkedHashMap<>();
            DatapathTable.Sr s = table.srs.get(sr);
            if (s == null) return m;
            s.vdis.forEach((vdi, v) -> {
                LinkedHashSet<String> dps = new LinkedHashSet<>(v.dps.keySet());
                dps.addAll(v.leaked);
                m.put(vdi, new ArrayList<>(dps));
            });
            return m;
        }
    }

    interface VdiWork<T> {
        T run(Target t);
    }

    /** Runs {@code work} on the SR's target under the SR's shared lock and the VDI's lock. */
    <T> T withVdi(String sr, String vdi, VdiWork<T> work) {
        Lock r = srLock(sr).readLock();
        r.lock();
        try {
            Target t = target(sr);
            Lock l = vdiLock(sr, vdi);
            l.lock();
            try {
                return work.run(t);
            } finally {
                l.unlock();
            }
        } finally {
            r.unlock();
        }
    }

    /** The VDI's recorded attach result, with the read-write flag of {@code state}. */
    AttachInfo attachInfo(String sr, String vdi, State state) {
        synchronized (table) {
            DatapathTable.Vdi v = table.srs.get(sr).vdis.get(vdi);
            if (v == null || v.attachInfo == null) {
                throw StorageException.xapi(
                        SmError.GENERIC, "INTERNAL_ERROR", List.of("no attach result recorded for " + vdi));
            }
            return v.attachInfo.withReadWrite(state.readWrite());
        }
    }

    /** {@code DP.destroy}: takes {@code dp} to detached on every VDI holding it; raises the first failure. */
    void destroy(StorageContext ctx, String dp, boolean allowLeak) {
        List<String[]> holders = new ArrayList<>();
        synchronized (table) {
            table.srs.forEach((sr, s) -> s.vdis.forEach((vdi, v) -> {
                if (v.dps.containsKey(dp) || v.leaked.contains(dp)) holders.add(new String[] {sr, vdi});
            }));
        }
        List<RuntimeException> failures = new ArrayList<>();
        for (String[] h : holders) {
            try {
                withVdi(h[0], h[1], t -> {
                    destroyDatapath(ctx, t, dp, h[1], allowLeak);
                    return null;
                });
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        if (!failures.isEmpty()) throw failures.getFirst();
    }

    /** {@code DP.diagnostics}: every bound SR, its VDIs' superstates, their datapaths, the last errors. */
    String diagnostics() {
        StringBuilder b = new StringBuilder();
        synchronized (table) {
            table.srs.forEach((sr, s) -> {
                b.append("SR ").append(sr).append(" (").append(s.type).append(")\n");
                s.vdis.forEach((vdi, v) -> {
                    b.append("  VDI ")
                            .append(vdi)
                            .append(": ")
                            .append(v.superstate().text())
                            .append('\n');
                    v.dps.forEach((dp, st) -> b.append("    ")
                            .append(dp)
                            .append(": ")
                            .append(st.text())
                            .append(v.leaked.contains(dp) ? " (leaked)" : "")
                            .append('\n'));
                });
            });
            for (DatapathTable.Failure f : table.errors()) {
                b.append("error ")
                        .append(f.time())
                        .append(' ')
                        .append(f.dp())
                        .append(' ')
                        .append(f.sr());
                b.append(' ').append(f.vdi()).append(": ").append(f.error()).append('\n');
            }
        }
        return b.toString();
    }

    /** Tears down the VDI's leaked datapaths ({@code onlyLeaked}) or all of them; raises the first failure. */
    void removeDatapaths(StorageContext ctx, Target t, String vdi, boolean onlyLeaked) {
        List<String> dps;
        synchronized (table) {
            DatapathTable.Vdi v = table.srs.get(t.sr()).vdis.get(vdi);
            if (v == null) return;
            LinkedHashSet<String> s = new LinkedHashSet<>(v.leaked);
            if (!onlyLeaked) s.addAll(v.dps.keySet());
            dps = new ArrayList<>(s);
        }
        RuntimeException first = null;
        for (String dp : dps) {
            LOG.log(System.Logger.Level.INFO, "Attempting to destroy datapath dp:{0} sr:{1} vdi:{2}", dp, t.sr(), vdi);
            try {
                destroyDatapath(ctx, t, dp, vdi, false);
            } catch (RuntimeException e) {
                if (first == null) first = e;
            }
        }
        if (first != null) throw first;
    }

    /** Takes {@code dp} of the VDI to detached (VDI lock held); on failure leaks it or, if allowed, forgets it. */
    private void destroyDatapath(StorageContext ctx, Target t, String dp, String vdi, boolean allowLeak) {
        State current;
        String vm;
        synchronized (table) {
            DatapathTable.Vdi v = table.srs.get(t.sr()).vdis.get(vdi);
            if (v == null) return;
            current = v.of(dp);
            vm = v.dpv.getOrDefault(dp, "");
        }
        try {
            for (Step s : VdiAutomaton.steps(current, State.DETACHED)) perform(ctx, t, dp, vdi, vm, s.op());
            synchronized (table) {
                DatapathTable.Vdi v = table.srs.get(t.sr()).vdis.get(vdi);
                if (v != null && v.leaked.remove(dp)) {
                    if (v.superstate() == State.DETACHED && v.leaked.isEmpty())
                        table.srs.get(t.sr()).vdis.remove(vdi);
                    table.save();
                }
            }
        } catch (RuntimeException e) {
            synchronized (table) {
                DatapathTable.Vdi v = table.srs.get(t.sr()).vdis.get(vdi);
                if (v != null) {
                    if (allowLeak) {
                        LOG.log(System.Logger.Level.INFO, "forgetting dp {0} although its teardown failed", dp);
                        v.set(dp, null, State.DETACHED);
                        v.leaked.remove(dp);
                        if (v.superstate() == State.DETACHED)
                            table.srs.get(t.sr()).vdis.remove(vdi);
                    } else {
                        v.leaked.add(dp);
                    }
                    table.save();
                }
            }
            if (!allowLeak) throw e;
        }
    }

    /**
     * One datapath request (VDI lock held): computes the VDI's superstate before and after, runs the backend
     * operations between them, then records the datapath's new state. Returns it.
     */
    State perform(StorageContext ctx, Target t, String dp, String vdi, String vm, Op op) {
        DatapathTable.Vdi v;
        State before;
        State after;
        State dpAfter;
        synchronized (table) {
            DatapathTable.Sr s = table.srs.get(t.sr());
            v = s.vdis.get(vdi);
            if (v == null) v = new DatapathTable.Vdi();
            before = v.superstate();
            try {
                if (op == Op.ATTACH_RW && directReaders.held(t.sr(), vdi)) {
                    // what an export's read-only datapath makes of it: the superstate cannot become read-write
                    throw new VdiAutomaton.IllegalTransition(State.ACTIVATED_RO, State.ACTIVATED_RW.text());
                }
                dpAfter = VdiAutomaton.apply(v.of(dp), op);
                Map<String, State> next = new LinkedHashMap<>(v.dps);
                next.put(dp, dpAfter);
                after = VdiAutomaton.superstate(next.values());
                List<Step> steps = VdiAutomaton.steps(before, after);
                if (steps.isEmpty() && dpAfter == v.of(dp)) return dpAfter;
            } catch (VdiAutomaton.IllegalTransition e) {
                table.addError(dp, t.sr(), vdi, e.getMessage());
                table.save();
                throw illegal(e);
            }
        }
        for (Step step : VdiAutomaton.steps(before, after)) {
            try {
                if (step.op() == Op.DEACTIVATE) mirror.finishBeforeDeactivate(t, vdi);
                AttachInfo attached = adapter.backend(ctx, t, vdi, step.op(), after.readWrite());
                synchronized (table) {
                    if (attached != null) v.attachInfo = attached;
                    v.set(dp, vm, VdiAutomaton.apply(v.of(dp), step.op()));
                    table.srs.get(t.sr()).vdis.putIfAbsent(vdi, v);
                }
            } catch (RuntimeException e) {
                synchronized (table) {
                    table.addError(dp, t.sr(), vdi, e.getMessage());
                    if (v.superstate() == State.DETACHED)
                        table.srs.get(t.sr()).vdis.remove(vdi);
                    table.save();
                }
                throw e;
            }
        }
        synchronized (table) {
            v.set(dp, vm, dpAfter);
            DatapathTable.Sr s = table.srs.get(t.sr());
            if (v.superstate() == State.DETACHED && v.leaked.isEmpty()) s.vdis.remove(vdi);
            else s.vdis.putIfAbsent(vdi, v);
            table.save();
        }
        return dpAfter;
    }
}
