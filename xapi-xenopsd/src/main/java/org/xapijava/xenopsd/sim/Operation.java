package org.xapijava.xenopsd.sim;

import org.xapijava.xenopsd.DeviceId;
import org.xapijava.xenopsd.Disk;

/**
 * The operations queued per VM ({@code operation} in {@code ocaml/xenopsd/lib/xenops_server.ml}), limited to those
 * VM lifecycle uses. {@code timeout} {@code null} is None (a hard shutdown or reboot).
 */
sealed interface Operation {

    /** The queue (VM id) the operation runs on. */
    String vm();

    record VmStart(String vm, boolean force) implements Operation {}

    /** {@code VM.shutdown}: shut the domain down and deactivate the devices. */
    record VmPoweroff(String vm, Double timeout) implements Operation {}

    /** Destroy the domain (the inner part of power-off, reboot and suspend). */
    record VmShutdown(String vm, Double timeout) implements Operation {}

    record VmReboot(String vm, Double timeout) implements Operation {}

    record VmSuspend(String vm, Disk disk) implements Operation {}

    record VmResume(String vm, Disk disk) implements Operation {}

    /**
     * {@code VM.migrate}: the domain sent to the xenopsd behind {@code url} (the destination's xapi,
     * {@code /services/xenops}), or, for a {@code localhost} migration, moved to a new domain here.
     */
    record VmMigrate(
            String vm,
            String url,
            boolean localhost,
            java.util.Map<String, String> vdiMap,
            java.util.Map<String, org.xapijava.xenopsd.Vif.Network> vifMap,
            boolean verifyDest)
            implements Operation {
        public VmMigrate {
            vdiMap = java.util.Map.copyOf(vdiMap);
            vifMap = java.util.Map.copyOf(vifMap);
        }
    }

    /**
     * The receiving end of a migration ({@code VM_receive_memory}): a paused domain made from the sender's memory
     * image {@code image}, its disks attached; the sender's final handshake restores its devices and unpauses it.
     */
    record VmReceiveMemory(String vm, String image) implements Operation {}

    /**
     * The sender's final handshake of a migration: the received domain's devices restored (its disks activated now
     * that the sender has released them), then unpaused when {@code unpause}.
     */
    record VmReceiveMemoryComplete(String vm, boolean unpause) implements Operation {}

    record VmRestoreVifs(String vm) implements Operation {}

    record VmRestoreDevices(String vm) implements Operation {}

    record VbdHotplug(DeviceId id) implements Operation {
        public String vm() {
            return id.vm();
        }
    }

    record VbdHotunplug(DeviceId id, boolean force) implements Operation {
        public String vm() {
            return id.vm();
        }
    }

    record VifHotplug(DeviceId id) implements Operation {
        public String vm() {
            return id.vm();
        }
    }

    record VifHotunplug(DeviceId id, boolean force) implements Operation {
        public String vm() {
            return id.vm();
        }
    }

    /** Acts on what the domain asks for (guest shutdown, reboot, crash) or cleans up after a failure. */
    record VmCheckState(String vm) implements Operation {}

    record VbdCheckState(DeviceId id) implements Operation {
        public String vm() {
            return id.vm();
        }
    }

    record VifCheckState(DeviceId id) implements Operation {
        public String vm() {
            return id.vm();
        }
    }

    record AtomicOp(String vm, Atomic atomic) implements Operation {}

    /** The check operations: queueing one that is already waiting is skipped ({@code Work.should_keep}). */
    default boolean isCheck() {
        return this instanceof VmCheckState || this instanceof VbdCheckState || this instanceof VifCheckState;
    }
}
