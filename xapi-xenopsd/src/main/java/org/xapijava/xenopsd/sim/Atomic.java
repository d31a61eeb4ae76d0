package org.xapijava.xenopsd.sim;

import java.util.List;
import java.util.Map;
import org.xapijava.xenopsd.DeviceId;
import org.xapijava.xenopsd.Disk;
import org.xapijava.xenopsd.Metadata;
import org.xapijava.xenopsd.Vif;

/**
 * The atomic steps xenopsd's operations are made of ({@code atomic} in {@code ocaml/xenopsd/lib/xenops_server.ml}),
 * limited to those VM lifecycle uses. {@link #name()} is xenopsd's {@code name_of_atomic}; it is also the key of
 * the step's simulated duration ({@code --delay-ms VM_build=200}, {@code DEBUG.trigger "set-delay"}).
 */
sealed interface Atomic {

    String name();

    /** Kinds of hook scripts ({@code Xenops_hooks.script}); the simulator runs none. */
    enum Hook {
        VM_pre_start,
        VM_pre_destroy,
        VM_post_destroy,
        VM_pre_reboot,
        VM_pre_suspend,
        VM_pre_resume,
        VM_post_resume
    }

    /** {@code shutdown_request} of the backend interface. */
    enum ShutdownRequest {
        Halt,
        Reboot,
        PowerOff,
        S3Suspend,
        Suspend
    }

    record VmHookScript(String vm, Hook script) implements Atomic {
        public String name() {
            return "VM_hook_script";
        }
    }

    record VmCreate(String vm) implements Atomic {
        public String name() {
            return "VM_create";
        }
    }

    record VmBuild(String vm, boolean force) implements Atomic {
        public String name() {
            return "VM_build";
        }
    }

    record VmCreateDeviceModel(String vm, boolean saveState) implements Atomic {
        public String name() {
            return "VM_create_device_model";
        }
    }

    record VmDestroyDeviceModel(String vm) implements Atomic {
        public String name() {
            return "VM_destroy_device_model";
        }
    }

    record VmDestroy(String vm) implements Atomic {
        public String name() {
            return "VM_destroy";
        }
    }

    record VmPause(String vm) implements Atomic {
        public String name() {
            return "VM_pause";
        }
    }

    record VmUnpause(String vm) implements Atomic {
        public String name() {
            return "VM_unpause";
        }
    }

    /** {@code request} {@code null} is None: the domain is survivable from here on. */
    record VmSetDomainActionRequest(String vm, String request) implements Atomic {
        public String name() {
            return "VM_set_domain_action_request";
        }
    }

    record VmShutdownDomain(String vm, ShutdownRequest reason, double timeout) implements Atomic {
        public String name() {
            return "VM_shutdown_domain";
        }
    }

    record VmSave(String vm, Disk disk) implements Atomic {
        public String name() {
            return "VM_save";
        }
    }

    record VmRestore(String vm, Disk disk) implements Atomic {
        public String name() {
            return "VM_restore";
        }
    }

    record VmRemove(String vm) implements Atomic {
        public String name() {
            return "VM_remove";
        }
    }

    record VmImportMetadata(String vm, Metadata md) implements Atomic {
        public String name() {
            return "VM_import_metadata";
        }
    }

    record VmDelay(String vm, double seconds) implements Atomic {
        public String name() {
            return "VM_delay";
        }
    }

    record VmSetXsdata(String vm, Map<String, String> xsdata) implements Atomic {
        public VmSetXsdata {
            xsdata = Map.copyOf(xsdata);
        }

        public String name() {
            return "VM_set_xsdata";
        }
    }

    record VmSetVcpus(String vm, int vcpus) implements Atomic {
        public String name() {
            return "VM_set_vcpus";
        }
    }

    record VmSetShadowMultiplier(String vm, double multiplier) implements Atomic {
        public String name() {
            return "VM_set_shadow_multiplier";
        }
    }

    record VmSetMemoryDynamicRange(String vm, long min, long max) implements Atomic {
        public String name() {
            return "VM_set_memory_dynamic_range";
        }
    }

    record VmRequestRdp(String vm, boolean enabled) implements Atomic {
        public String name() {
            return "VM_request_rdp";
        }
    }

    record VmRunScript(String vm, String script) implements Atomic {
        public String name() {
            return "VM_run_script";
        }
    }

    record VmS3suspend(String vm) implements Atomic {
        public String name() {
            return "VM_s3suspend";
        }
    }

    record VmS3resume(String vm) implements Atomic {
        public String name() {
            return "VM_s3resume";
        }
    }

    record VbdSetActive(DeviceId id, boolean active) implements Atomic {
        public String name() {
            return "VBD_set_active";
        }
    }

    record VbdEpochBegin(DeviceId id, Disk disk, boolean persistent) implements Atomic {
        public String name() {
            return "VBD_epoch_begin";
        }
    }

    record VbdEpochEnd(DeviceId id, Disk disk) implements Atomic {
        public String name() {
            return "VBD_epoch_end";
        }
    }

    /** xenopsd's {@code VBD_attach}: the disk attached (not activated) ahead of a migration's plug. */
    record VbdAttach(DeviceId id) implements Atomic {
        public String name() {
            return "VBD_attach";
        }
    }

    record VbdPlug(DeviceId id) implements Atomic {
        public String name() {
            return "VBD_plug";
        }
    }

    record VbdUnplug(DeviceId id, boolean force) implements Atomic {
        public String name() {
            return "VBD_unplug";
        }
    }

    record VbdInsert(DeviceId id, Disk disk) implements Atomic {
        public String name() {
            return "VBD_insert";
        }
    }

    record VbdEject(DeviceId id) implements Atomic {
        public String name() {
            return "VBD_eject";
        }
    }

    record VifSetActive(DeviceId id, boolean active) implements Atomic {
        public String name() {
            return "VIF_set_active";
        }
    }

    record VifPlug(DeviceId id) implements Atomic {
        public String name() {
            return "VIF_plug";
        }
    }

    record VifUnplug(DeviceId id, boolean force) implements Atomic {
        public String name() {
            return "VIF_unplug";
        }
    }

    record VifMove(DeviceId id, Vif.Network network) implements Atomic {
        public String name() {
            return "VIF_move";
        }
    }

    record VifSetLockingMode(DeviceId id, Vif.LockingMode mode) implements Atomic {
        public String name() {
            return "VIF_set_locking_mode";
        }
    }

    record VifSetIpv4Configuration(DeviceId id, Vif.IpConfig config) implements Atomic {
        public String name() {
            return "VIF_set_ipv4_configuration";
        }
    }

    record VifSetIpv6Configuration(DeviceId id, Vif.IpConfig config) implements Atomic {
        public String name() {
            return "VIF_set_ipv6_configuration";
        }
    }

    /** Steps xenopsd runs in parallel on other workers; the simulator runs them in order (same end state). */
    record Parallel(String vm, String description, List<Atomic> atoms) implements Atomic {
        public String name() {
            return "Parallel";
        }
    }

    record Serial(String vm, String description, List<Atomic> atoms) implements Atomic {
        public String name() {
            return "Serial";
        }
    }

    /** A step whose failure is ignored. */
    record BestEffort(Atomic atom) implements Atomic {
        public String name() {
            return "Best_effort";
        }
    }

    /** Every leaf step name, for validating {@code set-delay}. */
    List<String> LEAF_NAMES = List.of(
            "VM_hook_script",
            "VM_create",
            "VM_build",
            "VM_create_device_model",
            "VM_destroy_device_model",
            "VM_destroy",
            "VM_pause",
            "VM_unpause",
            "VM_set_domain_action_request",
            "VM_shutdown_domain",
            "VM_save",
            "VM_restore",
            "VM_remove",
            "VM_import_metadata",
            "VM_delay",
            "VM_set_xsdata",
            "VM_set_vcpus",
            "VM_set_shadow_multiplier",
            "VM_set_memory_dynamic_range",
            "VM_s3suspend",
            "VM_s3resume",
            "VM_request_rdp",
            "VM_run_script",
            "VBD_set_active",
            "VBD_epoch_begin",
            "VBD_epoch_end",
            "VBD_plug",
            "VBD_unplug",
            "VBD_insert",
            "VBD_eject",
            "VIF_set_active",
            "VIF_plug",
            "VIF_unplug",
            "VIF_move",
            "VIF_set_locking_mode",
            "VIF_set_ipv4_configuration",
            "VIF_set_ipv6_configuration");
}
