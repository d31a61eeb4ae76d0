package org.xapijava.xenopsd.sim;

import java.util.List;
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

    Domains(VmTable vms, HostMemory memory) {
        this.vms = vms;
        this.memory = memory;
    }

    /** {@code VM_create}: a new paused domain, or the suspended one made unsurvivable again (resume). */
    void create(String vmId) {
        vms.update(vmId, e -> {
            if (e == null) throw XenopsError.doesNotExist("VM", vmId + "/config");
            Domain d = e.domain();
            if (d != null) {
                if (!d.suspended()) throw XenopsError.alreadyExists("domain", vmId);
                return e.withDomain(d.withSurvivable(false));
            }
            Vm vm = e.vm();
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
                    System.currentTimeMillis() / 1000.0,
                    false,
                    null));
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

    /**
     * {@code VM_set_shadow_multiplier}: the simulator backend's, which records the multiplier for every domain type
     * (xenopsd's xc backend refuses PV domains with {@code Unimplemented}); {@code Domain_not_built} unless built.
     */
    void setShadowMultiplier(String vmId, double multiplier) {
        vms.updateDomain(vmId, d -> {
            if (!d.built() || (d.hvm() && !d.qemuCreated())) throw XenopsError.domainNotBuilt();
            return d.withShadowMultiplier(multiplier);
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

    /** {@code VM_save}: the image, then the domain marked suspended. */
    void save(String vmId, Disk disk) {
        Domain d = vms.domainExn(vmId);
        SuspendImages.write(vmId, d, disk);
        vms.updateDomain(vmId, x -> x.withSuspended(true, disk));
    }

    /** {@code VM_restore}: checks the image, then the domain is built and no longer suspended. */
    void restore(String vmId, Disk disk) {
        if (vms.get(vmId) == null) throw XenopsError.internalError("Failure(\"" + vmId + " doesn't exist\")");
        SuspendImages.check(vmId, disk);
        vms.updateDomain(vmId, d -> d.withBuilt(true).withSuspended(false, null));
    }
}
