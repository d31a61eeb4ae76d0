package org.xapijava.xenopsd.sim;

import java.util.List;
import java.util.Map;
import org.xapijava.xenopsd.Disk;
import org.xapijava.xenopsd.Vm;
import org.xapijava.xenopsd.XenopsError;

/**
 * The simulated hypervisor's domains: what the VM-level atomic steps do to a VM's {@link Domain} (the simulator
 * backend's {@code VM.create/build/create_device_model/destroy/pause/unpause/save/restore} and domain action
 * requests). A new domain gets the highest domid ever seen + 1, starts paused and not survivable; building it
 * takes memory ({@link HostMemory}); a suspended domain's state is kept (it is the saved image) until resume.
 *
 * <p>Thread-safe: every change is one {@link VmTable#update} (its function runs under the table's lock); the
 * suspend image file is written outside it.
 */
final class Domains {

    private final VmTable vms;
    private final HostMemory memory;
    private final GuestAgent guestAgent;
    private final Balloons balloons;

    Domains(VmTable vms, HostMemory memory, GuestAgent guestAgent, Balloons balloons) {
        this.vms = vms;
        this.memory = memory;
        this.guestAgent = guestAgent;
        this.balloons = balloons;
    }

    /**
     * {@code VM_create}: a new paused domain, or the suspended one made unsurvivable again under a new domid (resume:
     * Xen restores a saved image into a new domain). Either way the
     * guest's xenstore gets a fresh {@code vm-data} directory with the VM's current {@code xsdata}, and its memory is
     * at its target.
     */
    void create(String vmId) {
        vms.update(vmId, e -> {
            if (e == null) throw XenopsError.doesNotExist("VM", vmId + "/config");
            Domain d = e.domain();
            Vm vm = e.vm();
            double now = Balloons.now();
            if (d != null) {
                if (!d.suspended()) throw XenopsError.alreadyExists("domain", vmId);
                Guest g = Guest.created(vm.xsdata(), Balloons.target(d), now, guestAgent.runs(vmId));
                // restoring a saved image makes a new domain, with a new domid, as Xen does
                return e.withDomain(d.withDomid(vms.allocateDomid())
                        .withSurvivable(false)
                        .withXsdata(vm.xsdata())
                        .withGuest(g));
            }
            double shadow = vm.ty() instanceof Vm.Hvm h ? h.info().shadowMultiplier() : 1.0;
            return e.withDomain(new Domain(
                    vms.allocateDomid(),
                    vmId,
                    vm.ty().isHvm(),
                    null,
                    true,
                    false,
                    vm.vcpus(),
                    shadow,
                    vm.memoryDynamicMin(),
                    vm.memoryDynamicMax(),
                    false,
                    false,
                    List.of(),
                    List.of(),
                    List.of(),
                    List.of(),
                    List.of(),
                    vm.xsdata(),
                    now,
                    false,
                    null,
                    Guest.created(vm.xsdata(), vm.memoryDynamicMax(), now, guestAgent.runs(vmId))));
        });
    }

    /** {@code VM_build}: needs the domain's memory free ({@code Not_enough_memory}). */
    void build(String vmId) {
        vms.update(vmId, e -> {
            if (e == null || e.domain() == null) throw XenopsError.doesNotExist("domain", vmId);
            memory.checkCanBuild(e, vms.entriesLocked());
            return e.withDomain(e.domain().withBuilt(true));
        });
    }

    void createDeviceModel(String vmId) {
        vms.updateDomain(vmId, d -> d.withQemuCreated(true));
    }

    /** No-op without a domain. */
    void destroyDeviceModel(String vmId) {
        vms.update(
                vmId,
                e -> e == null || e.domain() == null
                        ? e
                        : e.withDomain(e.domain().withQemuCreated(false)));
    }

    /** {@code VM_destroy}: no-op without a domain; a suspended domain's state is kept. */
    void destroy(String vmId) {
        vms.update(vmId, e -> e == null || e.domain() == null || e.domain().suspended() ? e : e.withDomain(null));
    }

    /** {@code Domain_not_built} unless built (and, for HVM, with its device model). */
    void setPaused(String vmId, boolean paused) {
        vms.updateDomain(vmId, d -> {
            if (!d.built() || (d.hvm() && !d.qemuCreated())) throw XenopsError.domainNotBuilt();
            return d.withPaused(paused);
        });
    }

    /** A request from the guest (or the toolstack) for the next {@code VM_check_state}; the domain must exist. */
    void requestAction(String vmId, String request) {
        vms.updateDomain(vmId, d -> d.withActionRequest(request));
    }

    /**
     * {@code VM_set_domain_action_request}: {@code null} clears the request and marks the domain survivable (the
     * end of a start or resume). No-op without a domain.
     */
    void setActionRequest(String vmId, String request) {
        vms.update(
                vmId,
                e -> e == null || e.domain() == null
                        ? e
                        : e.withDomain(e.domain()
                                .withActionRequest(request)
                                .withSurvivable(request == null || e.domain().survivable())));
    }

    /**
     * {@code VM_save}: the image written at {@code image} (the disk's local path, see {@link VbdStorage#withDisk};
     * null: nothing to write), then the domain marked suspended.
     */
    void save(String vmId, Disk disk, java.nio.file.Path image) {
        Domain d = vms.domainExn(vmId);
        SuspendImages.write(vmId, d, image, disk instanceof Disk.Vdi);
        vms.updateDomain(vmId, x -> x.withSuspended(true, disk));
    }

    /** {@code VM_restore}: checks the image at {@code image}, then the domain is built and no longer suspended. */
    void restore(String vmId, java.nio.file.Path image) {
        if (vms.get(vmId) == null) throw XenopsError.internalError("Failure(\"" + vmId + " doesn't exist\")");
        SuspendImages.check(vmId, image);
        vms.updateDomain(vmId, d -> d.withBuilt(true).withSuspended(false, null));
    }

    // ------------------------------------------------------------------------------------------- live changes

    /**
     * The VM's domain as it runs now: {@code Does_not_exist ("VM", ...)} for an unknown VM, {@code Does_not_exist
     * ("domain", vm)} without a domain or with a saved one (xenopsd's {@code on_domain}: a suspended VM has none).
     * Lock held: call from inside {@link VmTable#update}.
     */
    private static Domain liveDomain(VmEntry e, String vmId) {
        if (e == null) throw XenopsError.doesNotExist("VM", vmId + "/config");
        Domain d = e.domain();
        if (d == null || d.suspended()) throw XenopsError.doesNotExist("domain", vmId);
        return d;
    }

    /** Changes the running domain with {@code f} (given the VM's entry too), then signals the VM. */
    private Domain changeLive(String vmId, java.util.function.BiFunction<VmEntry, Domain, Domain> f) {
        VmEntry after = vms.update(vmId, e -> e.withDomain(f.apply(e, liveDomain(e, vmId))));
        vms.signalVm(vmId);
        return after.domain();
    }

    /**
     * {@code VM_set_xsdata}: the allowed prefixes' trees are removed from the guest's xenstore and {@code xsdata}'s
     * keys written; the domain keeps {@code xsdata}. xenopsd watches {@code vm-data}, so the VM is signalled.
     */
    void setXsdata(String vmId, Map<String, String> xsdata) {
        changeLive(
                vmId,
                (e, d) -> d.withXsdata(xsdata)
                        .withGuest(d.guest().withXsdataState(GuestXenstore.written(xsdata, false))));
    }

    /**
     * {@code VM_set_vcpus}: {@code Invalid_vcpus vcpu_max} unless {@code 0 < n <= vcpu_max} (of the VM's metadata),
     * then the guest has {@code n} vCPUs online.
     */
    void setVcpus(String vmId, int n) {
        int max = vms.vmExn(vmId).vm().vcpuMax();
        if (n <= 0 || n > max) throw XenopsError.invalidVcpus(max);
        changeLive(vmId, (e, d) -> d.withVcpus(n));
    }

    /**
     * {@code VM_set_shadow_multiplier}: {@code Unimplemented} for a PV domain, as the xc backend;
     * {@code Domain_not_built} unless built (an HVM domain also needs its device model).
     */
    void setShadowMultiplier(String vmId, double m) {
        changeLive(vmId, (e, d) -> {
            if (e.vm().ty() instanceof Vm.Pv) {
                throw XenopsError.unimplemented("shadow_multiplier for PV domains");
            }
            if (!d.built() || (d.hvm() && !d.qemuCreated())) throw XenopsError.domainNotBuilt();
            return d.withShadowMultiplier(m);
        });
    }

    /**
     * {@code VM_set_memory_dynamic_range}: the new range, the target its maximum; the balloon starts toward it from
     * where it is (and moves only if the guest runs the agent's balloon driver).
     */
    void setMemoryDynamicRange(String vmId, long min, long max) {
        double now = Balloons.now();
        boolean driver = guestAgent.runs(vmId);
        Domain d = changeLive(vmId, (e, x) -> Balloons.restarted(x, now, driver).withMemoryDynamicRange(min, max));
        balloons.signalOnArrival(vmId, d);
    }

    /** The guest's balloon driver comes or goes (the guest agent was turned on or off); no-op without a domain. */
    void setBalloonDriver(String vmId, boolean driver) {
        double now = Balloons.now();
        VmEntry after = vms.update(
                vmId,
                e -> e == null || e.domain() == null || e.domain().suspended()
                        ? e
                        : e.withDomain(Balloons.restarted(e.domain(), now, driver)));
        if (after != null) balloons.signalOnArrival(vmId, after.domain());
    }

    /**
     * {@code VM_request_rdp}: xenopsd writes {@code control/ts} in the guest's xenstore; the simulated guest, which
     * offers no remote desktop ({@code feature-ts2}), ignores it. The domain must exist.
     */
    void requestRdp(String vmId, boolean enabled) {
        vms.updateDomain(vmId, d -> d);
    }

    /**
     * {@code VM_run_script}: xenopsd needs the guest agent's {@code control/feature-xs-batcmd}, which the simulated
     * (Linux) guest agent does not offer: {@code Unimplemented}, with xenopsd's message. The domain must exist.
     */
    void runScript(String vmId) {
        vms.updateDomain(vmId, d -> d);
        throw XenopsError.unimplemented("run-script is not supported on the given VM (or it is still booting)");
    }

    /** {@code VM_s3suspend} ({@code true}) / {@code VM_s3resume}: the guest enters or leaves ACPI S3. */
    void setS3(String vmId, boolean suspended) {
        changeLive(vmId, (e, d) -> d.withGuest(d.guest().withS3(suspended)));
    }
}
