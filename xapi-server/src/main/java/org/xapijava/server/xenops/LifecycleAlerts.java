package org.xapijava.server.xenops;

import java.util.List;
import org.xapijava.db.Db;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.VM;
import org.xapijava.server.alerts.VmAlerts;

/**
 * The messages of a VM's power operations, made as Xapi's forwarding layer makes them ({@code message_forwarding.ml}:
 * {@code create_vm_message} once the call returned and its VM operation was unmarked): on the master, whichever host
 * ran the operation, so that a member's operation sends no alert of its own. {@code VM_STARTED} and
 * {@code VM_RESUMED} name the host the VM runs on ({@code start_on}, {@code resume_on}: the host asked for).
 * Thread-safe.
 */
public final class LifecycleAlerts {
    private final Db data;
    private final VmAlerts alerts;

    public LifecycleAlerts(Db data, VmAlerts alerts) {
        this.data = data;
        this.alerts = alerts;
    }

    /**
     * After {@code wireName} ran with {@code args} (decoded, after the session) and succeeded: its message, if it has
     * one; never throws.
     */
    public void after(String wireName, List<Object> args) {
        if (args.isEmpty() || !(args.getFirst() instanceof String vm)) return;
        switch (wireName) {
            case "VM.start" -> started(vm, "VM_STARTED", "started", null);
            case "VM.start_on" -> started(vm, "VM_STARTED", "started", args.get(1));
            case "VM.resume" -> started(vm, "VM_RESUMED", "resumed", null);
            case "VM.resume_on" -> started(vm, "VM_RESUMED", "resumed", args.get(1));
            case "VM.clean_shutdown", "VM.shutdown" -> plain(vm, "VM_SHUTDOWN", "shutdown");
            case "VM.hard_shutdown" -> plain(vm, "VM_SHUTDOWN", "shutdown forcibly");
            case "VM.clean_reboot" -> plain(vm, "VM_REBOOTED", "rebooted cleanly");
            case "VM.hard_reboot" -> plain(vm, "VM_REBOOTED", "rebooted forcibly");
            case "VM.pause" -> plain(vm, "VM_PAUSED", "paused");
            case "VM.unpause" -> plain(vm, "VM_UNPAUSED", "unpaused");
            case "VM.suspend" -> plain(vm, "VM_SUSPENDED", "suspended");
            default -> {}
        }
    }

    private void plain(String vm, String name, String what) {
        if (!data.exists(VM.XAPI_CLASS, vm)) return;
        String body = String.format("VM '%s' (uuid: %s) %s", data.get(vm, VM.NAME_LABEL), data.get(vm, VM.UUID), what);
        alerts.send(name, vm, body);
    }

    /** {@code ... on host: <name> (uuid: <uuid>)}: {@code host} asked for, or (null) the one the VM runs on. */
    private void started(String vm, String name, String what, Object host) {
        if (!data.exists(VM.XAPI_CLASS, vm)) return;
        String h = host instanceof String s ? s : data.get(vm, VM.RESIDENT_ON);
        if (!data.exists(Host.XAPI_CLASS, h)) return;
        String body = String.format(
                "VM '%s' (uuid: %s) %s on host: %s (uuid: %s)",
                data.get(vm, VM.NAME_LABEL),
                data.get(vm, VM.UUID),
                what,
                data.get(h, Host.NAME_LABEL),
                data.get(h, Host.UUID));
        alerts.send(name, vm, body);
    }
}
