package org.xapijava.xenopsd.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.xapijava.xenopsd.Vbd;
import org.xapijava.xenopsd.Vif;
import org.xapijava.xenopsd.sim.Atomic.Hook;
import org.xapijava.xenopsd.sim.Atomic.ShutdownRequest;

/**
 * What an operation is made of: {@code atomics_of_operation} of {@code xenops_server.ml}, the same step lists
 * xenopsd builds. {@code VM_start} = hook, create, build, then (one parallel group) the VBDs activated, their
 * epochs begun and plugged, read-write ones before read-only ones, and the VIFs activated and plugged by position,
 * then the device model, then the domain marked survivable. Shutdown, poweroff, reboot, suspend, resume and the
 * device hot-plugs are built the same way from xenopsd's lists. Names and nesting of {@link Atomic.Parallel} and
 * {@link Atomic.Serial} groups are xenopsd's (a group of one is left out).
 *
 * <p>Reads the VM's current devices from {@link VmTable}; otherwise pure. Thread-safe.
 */
final class Planner {

    private final VmTable vms;

    Planner(VmTable vms) {
        this.vms = vms;
    }

    private static List<Atomic> collectInto(List<Atomic> ls, Function<List<Atomic>, Atomic> wrap) {
        if (ls.size() <= 1) return ls;
        return List.of(wrap.apply(ls));
    }

    private static List<Atomic> parallel(String name, String id, List<Atomic> ls) {
        return collectInto(ls, l -> new Atomic.Parallel(id, name + " VM=" + id, l));
    }

    private static List<Atomic> serial(String name, String id, List<Atomic> ls) {
        return collectInto(ls, l -> new Atomic.Serial(id, name + " VM=" + id, l));
    }

    @SafeVarargs
    private static List<Atomic> concat(List<Atomic>... parts) {
        List<Atomic> r = new ArrayList<>();
        for (List<Atomic> p : parts) r.addAll(p);
        return r;
    }

    private static List<Atomic> one(Atomic... as) {
        return List.of(as);
    }

    /** {@code atomics_of_operation}. */
    List<Atomic> atomicsOf(Operation op) {
        String id = op.vm();
        switch (op) {
            case Operation.VmStart s -> {
                VmEntry e = vms.vmExn(id);
                List<List<Vbd>> sets = Devices.vbdPlugSets(e.vbds());
                return concat(
                        one(
                                new Atomic.VmHookScript(id, Hook.VM_pre_start),
                                new Atomic.VmCreate(id),
                                new Atomic.VmBuild(id, s.force())),
                        parallel(
                                "Devices.plug (no qemu)",
                                id,
                                concat(
                                        serial(
                                                "VBDs.acticate_epoch_and_plug RW+RO",
                                                id,
                                                concat(
                                                        plugVbdsForStart("RW", id, sets.get(0)),
                                                        plugVbdsForStart("RO", id, sets.get(1)))),
                                        activateAndPlugVifs(id, Devices.vifPlugOrder(e.vifs())))),
                        one(new Atomic.VmCreateDeviceModel(id, false)),
                        // at this point the domain is considered survivable
                        one(new Atomic.VmSetDomainActionRequest(id, null)));
            }
            case Operation.VmShutdown s -> {
                VmEntry e = vms.vmExn(id);
                List<Atomic> unplugs = new ArrayList<>();
                for (Vbd v : e.vbds()) unplugs.add(new Atomic.VbdUnplug(v.id(), true));
                for (Vif v : e.vifs()) unplugs.add(new Atomic.VifUnplug(v.id(), true));
                return concat(
                        s.timeout() == null
                                ? List.of()
                                : one(new Atomic.VmShutdownDomain(id, ShutdownRequest.PowerOff, s.timeout())),
                        one(new Atomic.BestEffort(new Atomic.VmPause(id)), new Atomic.VmDestroyDeviceModel(id)),
                        parallel("Devices.unplug", id, unplugs),
                        one(new Atomic.VmDestroy(id)));
            }
            case Operation.VmPoweroff p -> {
                VmEntry e = vms.vmExn(id);
                Hook reasonless = Hook.VM_pre_destroy;
                List<Atomic> deactivate = new ArrayList<>();
                for (Vbd v : e.vbds()) {
                    deactivate.addAll(serial(
                            "VBD.epoch_and_deactivate",
                            id,
                            concat(
                                    v.backend() == null ? List.of() : one(new Atomic.VbdEpochEnd(v.id(), v.backend())),
                                    one(new Atomic.VbdSetActive(v.id(), false)))));
                }
                for (Vif v : e.vifs()) deactivate.add(new Atomic.VifSetActive(v.id(), false));
                return concat(
                        one(new Atomic.VmHookScript(id, reasonless)),
                        atomicsOf(new Operation.VmShutdown(id, p.timeout())),
                        parallel("Devices.deactivate", id, deactivate),
                        one(new Atomic.VmHookScript(id, Hook.VM_post_destroy)));
            }
            case Operation.VmReboot r -> {
                VmEntry e = vms.vmExn(id);
                List<Atomic> epochEnds = new ArrayList<>();
                for (Vbd v : e.vbds())
                    if (v.backend() != null) epochEnds.add(new Atomic.VbdEpochEnd(v.id(), v.backend()));
                return concat(
                        r.timeout() == null
                                ? List.of()
                                : one(new Atomic.VmShutdownDomain(id, ShutdownRequest.Reboot, r.timeout())),
                        one(new Atomic.VmHookScript(id, Hook.VM_pre_destroy)),
                        atomicsOf(new Operation.VmShutdown(id, null)),
                        parallel("VBD.epoch_end", id, epochEnds),
                        one(
                                new Atomic.VmHookScript(id, Hook.VM_post_destroy),
                                new Atomic.VmHookScript(id, Hook.VM_pre_reboot)),
                        atomicsOf(new Operation.VmStart(id, false)),
                        one(new Atomic.VmUnpause(id)));
            }
            case Operation.VmSuspend s -> {
                return concat(
                        one(
                                new Atomic.VmHookScript(id, Hook.VM_pre_suspend),
                                new Atomic.VmSave(id, s.disk()),
                                new Atomic.VmHookScript(id, Hook.VM_pre_destroy)),
                        atomicsOf(new Operation.VmShutdown(id, null)),
                        one(new Atomic.VmHookScript(id, Hook.VM_post_destroy)));
            }
            case Operation.VmResume r -> {
                return concat(
                        one(new Atomic.VmCreate(id), new Atomic.VmHookScript(id, Hook.VM_pre_resume)),
                        one(new Atomic.VmRestore(id, r.disk())),
                        atomicsOf(new Operation.VmRestoreDevices(id)),
                        // at this point the domain is considered survivable
                        one(
                                new Atomic.VmSetDomainActionRequest(id, null),
                                new Atomic.VmHookScript(id, Hook.VM_post_resume)));
            }
            case Operation.VmRestoreVifs v -> {
                return parallel(
                        "VIFs.activate_and_plug",
                        id,
                        activateAndPlugVifs(id, vms.vmExn(id).vifs()));
            }
            case Operation.VmRestoreDevices d -> {
                List<List<Vbd>> sets = Devices.vbdPlugSets(vms.vmExn(id).vbds());
                return concat(
                        plugVbdsForRestore("RW", id, sets.get(0)),
                        plugVbdsForRestore("RO", id, sets.get(1)),
                        atomicsOf(new Operation.VmRestoreVifs(id)),
                        one(new Atomic.VmCreateDeviceModel(id, true)));
            }
            case Operation.VbdHotplug h -> {
                return one(new Atomic.VbdSetActive(h.id(), true), new Atomic.VbdPlug(h.id()));
            }
            case Operation.VbdHotunplug h -> {
                return one(new Atomic.VbdUnplug(h.id(), h.force()), new Atomic.VbdSetActive(h.id(), false));
            }
            case Operation.VifHotplug h -> {
                return one(new Atomic.VifSetActive(h.id(), true), new Atomic.VifPlug(h.id()));
            }
            case Operation.VifHotunplug h -> {
                return one(new Atomic.VifUnplug(h.id(), h.force()), new Atomic.VifSetActive(h.id(), false));
            }
            default -> {
                return List.of();
            }
        }
    }

    private static List<Atomic> plugVbdsForStart(String typ, String id, List<Vbd> vbds) {
        List<Atomic> each = new ArrayList<>();
        for (Vbd vbd : vbds) {
            each.addAll(serial(
                    "VBD.activate_epoch_and_plug " + typ,
                    id,
                    concat(
                            one(new Atomic.VbdSetActive(vbd.id(), true)),
                            vbd.backend() == null
                                    ? List.of()
                                    : one(new Atomic.VbdEpochBegin(vbd.id(), vbd.backend(), vbd.persistent())),
                            one(new Atomic.VbdPlug(vbd.id())))));
        }
        return parallel("VBDs.activate_epoch_and_plug " + typ, id, each);
    }

    private static List<Atomic> activateAndPlugVifs(String id, List<Vif> vifs) {
        List<Atomic> each = new ArrayList<>();
        for (Vif vif : vifs) {
            each.addAll(serial(
                    "VIF.activate_and_plug",
                    id,
                    one(new Atomic.VifSetActive(vif.id(), true), new Atomic.VifPlug(vif.id()))));
        }
        return each;
    }

    private static List<Atomic> plugVbdsForRestore(String typ, String id, List<Vbd> vbds) {
        List<Atomic> each = new ArrayList<>();
        for (Vbd vbd : vbds) {
            each.addAll(serial(
                    "VBD.activate_and_plug " + typ,
                    id,
                    one(new Atomic.VbdSetActive(vbd.id(), true), new Atomic.VbdPlug(vbd.id()))));
        }
        return parallel("VBDs.activate_and_plug " + typ, id, each);
    }
}
