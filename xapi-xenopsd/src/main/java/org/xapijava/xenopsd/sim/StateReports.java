package org.xapijava.xenopsd.sim;

import java.util.List;
import java.util.Map;
import org.xapijava.xenopsd.PowerState;
import org.xapijava.xenopsd.Vbd;
import org.xapijava.xenopsd.VbdState;
import org.xapijava.xenopsd.Vif;
import org.xapijava.xenopsd.VifState;
import org.xapijava.xenopsd.Vm;
import org.xapijava.xenopsd.VmState;

/**
 * What {@code VM.stat}, {@code VBD.stat} and {@code VIF.stat} report for a {@link VmEntry}: the simulator
 * backend's {@code get_state} functions. Power state: Halted without a domain, Suspended for a saved domain,
 * Paused for a paused one and Running otherwise (the xc backend's rule; the upstream simulator never says
 * Paused). Memory target is the domain's balloon target and actual where its balloon is now ({@link Balloons}; both
 * 0 once suspended), the limit its static max. {@code xsdata_state} is the guest's {@code vm-data} (and
 * {@code FIST}) nodes ({@link GuestXenstore}).
 *
 * <p>Pure functions of an entry, apart from asking {@link GuestAgent} whether the guest runs one. Thread-safe.
 */
final class StateReports {

    private final GuestAgent guestAgent;
    private final GuestControl control;

    StateReports(GuestAgent guestAgent, GuestControl control) {
        this.guestAgent = guestAgent;
        this.control = control;
    }

    static PowerState powerState(Domain d) {
        if (d == null) return PowerState.Halted;
        return d.suspended() ? PowerState.Suspended : d.paused() ? PowerState.Paused : PowerState.Running;
    }

    VmState vmState(VmEntry e) {
        Domain d = e.domain();
        if (d == null) return VmState.halted();
        Vm vm = e.vm();
        long target = d.suspended() ? 0 : Balloons.target(d);
        long actual = d.suspended() ? 0 : Balloons.actual(d, Balloons.now());
        VmState.DomainType dt = switch (vm.ty()) {
            case Vm.Hvm h -> VmState.DomainType.Domain_HVM;
            case Vm.Pv pv -> VmState.DomainType.Domain_PV;
            case Vm.PvInPvh pv -> VmState.DomainType.Domain_PVinPVH;
            case Vm.Pvh pv -> VmState.DomainType.Domain_PVH;
        };
        String timeoffset = vm.ty() instanceof Vm.Hvm h ? h.info().timeoffset() : "";
        boolean agent = d.built() && !d.suspended() && guestAgent.runs(vm.id());
        Map<String, String> agentKeys = agent ? GuestAgent.xenstoreKeys(actual, d.vifs()) : Map.of();
        if (agent && control.offersSysprep(vm.id())) {
            agentKeys = new java.util.HashMap<>(agentKeys);
            agentKeys.put("control/feature-sysprep", "1");
        }
        return new VmState(
                powerState(d),
                List.of(d.domid()),
                List.of(),
                target,
                actual,
                Math.max(actual, vm.memoryStaticMax()),
                d.vcpus(),
                d.shadowMultiplier(),
                timeoffset,
                false,
                agentKeys,
                d.guest().xsdataState(),
                agent,
                d.lastCreateTime(),
                d.hvm(),
                false,
                false,
                dt,
                vm.platformdata().getOrDefault("featureset", ""),
                false,
                0,
                List.of());
    }

    /** {@code s} with another power state (a rebooting VM is reported Running throughout). */
    static VmState withPower(VmState s, PowerState p) {
        return new VmState(
                p,
                s.domids(),
                s.consoles(),
                s.memoryTarget(),
                s.memoryActual(),
                s.memoryLimit(),
                s.vcpuTarget(),
                s.shadowMultiplierTarget(),
                s.rtcTimeoffset(),
                s.uncooperativeBalloonDriver(),
                s.guestAgent(),
                s.xsdataState(),
                s.pvDriversDetected(),
                s.lastStartTime(),
                s.hvm(),
                s.nomigrate(),
                s.nestedVirt(),
                s.domainType(),
                s.featureset(),
                s.numaOptimised(),
                s.numaNodes(),
                s.numaNodeMemory());
    }

    static VbdState vbdState(VmEntry e, Vbd vbd) {
        boolean active = e.active().getOrDefault(VmEntry.activeKey("vbd", vbd.id()), false);
        if (e.domain() != null) {
            for (Vbd p : e.domain().vbds()) {
                if (p.id().equals(vbd.id())) return new VbdState(active, true, null, p.backend());
            }
        }
        return new VbdState(active, false, null, null);
    }

    static VifState vifState(VmEntry e, Vif vif) {
        boolean active = e.active().getOrDefault(VmEntry.activeKey("vif", vif.id()), false);
        if (e.domain() != null) {
            for (Vif p : e.domain().vifs()) {
                if (p.id().equals(vif.id())) {
                    return new VifState(
                            active, true, 0, false, "vif" + e.domain().domid() + "." + p.position(), false);
                }
            }
        }
        return new VifState(active, false, 0, false, null, false);
    }
}
