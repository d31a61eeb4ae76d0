package org.xapijava.xenopsd.sim;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.xapijava.xenopsd.XenopsError;

/**
 * The nodes under a domain's {@code control/} that a real xapi writes into the guest's xenstore itself, not through
 * xenopsd (here it has no xenstore, so the simulator's extension calls {@code SIM.xenstore_write} and
 * {@code SIM.xenstore_read} stand for it), and the simulated guest's answer to them: Windows' sysprep.
 *
 * <p>A guest offers sysprep after {@code DEBUG.trigger "sysprep" [vm; "on"]} ({@code "hang"}: it offers it and never
 * answers; {@code "off"}: not offered, the default). Its agent then reports {@code control/feature-sysprep=1}. When
 * {@code control/sysprep/action} is written {@code sysprep}, the guest sets it to {@code running}, runs for a while,
 * removes it and, a second later, shuts itself down (an action request, then a backend event), as Windows does at the end of
 * sysprep; Xapi watches for exactly those steps ({@code vm_sysprep.ml}).
 *
 * <p>Nodes live in memory only, per VM, and go with the domain (a read without a domain is "missing"). Thread-safe.
 */
final class GuestControl {
    /** How a guest answers sysprep. */
    enum Sysprep {
        OFF,
        ON,
        HANG
    }

    static final String PREFIX = "control/";
    static final String ACTION = "control/sysprep/action";
    /** How long the simulated sysprep runs, in milliseconds. */
    static final long RUN_MS = 500;
    /** How long the guest takes to shut down once sysprep is done (Windows' takes longer), in milliseconds. */
    static final long SHUTDOWN_MS = 1000;

    private final VmTable vms;
    /** Asks the guest of a VM to power itself off. */
    private final Consumer<String> powerOff;

    private final Map<String, Sysprep> sysprep = new ConcurrentHashMap<>();
    private final Map<String, Map<String, String>> nodes = new ConcurrentHashMap<>();

    GuestControl(VmTable vms, Consumer<String> powerOff) {
        this.vms = vms;
        this.powerOff = powerOff;
    }

    void setSysprep(String vmId, Sysprep mode) {
        vms.vmExn(vmId);
        if (mode == Sysprep.OFF) sysprep.remove(vmId);
        else sysprep.put(vmId, mode);
    }

    /** Whether the VM's guest agent reports {@code feature-sysprep}. */
    boolean offersSysprep(String vmId) {
        return sysprep.containsKey(vmId);
    }

    /** Writes {@code value} at {@code path} (under {@code control/}) of the VM's domain; the guest may answer. */
    void write(String vmId, String path, String value) {
        if (!path.startsWith(PREFIX) || path.contains("..")) throw XenopsError.internalError("not writable: " + path);
        int domid = vms.domainExn(vmId).domid();
        nodes.computeIfAbsent(vmId, k -> new ConcurrentHashMap<>()).put(path, value);
        if (path.equals(ACTION) && value.equals("sysprep") && sysprep.get(vmId) == Sysprep.ON) {
            Thread.ofVirtual().name("sysprep-" + vmId).start(() -> runSysprep(vmId, domid));
        }
    }

    /** The value at {@code path} of the VM's domain ({@code ""} for the domain itself), or null when missing. */
    String read(String vmId, String path) {
        VmEntry e = vms.get(vmId);
        if (e == null || e.domain() == null) return null;
        if (path.isEmpty()) return "";
        Map<String, String> n = nodes.get(vmId);
        return n == null ? null : n.get(path);
    }

    /** The guest's sysprep: running, done, then the domain it ran in powers off. */
    private void runSysprep(String vmId, int domid) {
        try {
            Thread.sleep(100);
            if (!sameDomain(vmId, domid)) return;
            nodes.get(vmId).put(ACTION, "running");
            Thread.sleep(RUN_MS);
            if (!sameDomain(vmId, domid)) return;
            nodes.remove(vmId);
            Thread.sleep(SHUTDOWN_MS);
            if (!sameDomain(vmId, domid)) return;
            powerOff.accept(vmId);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException gone) {
            nodes.remove(vmId); // the domain went meanwhile
        }
    }

    private boolean sameDomain(String vmId, int domid) {
        VmEntry e = vms.get(vmId);
        return e != null && e.domain() != null && e.domain().domid() == domid;
    }
}
