package org.xapijava.server.xenops;

import java.util.List;
import org.xapijava.db.Db;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.VM;
import org.xapijava.server.alerts.VmAlerts;

/**
 * The messages of a VM's operations, made as Xapi's forwarding layer makes them ({@code message_forwarding.ml}:
 * {@code create_vm_message} once the call returned and its VM operation was unmarked): on the master, whichever host
 * ran the operation, so that a member's operation sends no alert of its own. Power operations ({@code VM_STARTED}
 * and {@code VM_RESUMED} name the host the VM runs on; {@code start_on}, {@code resume_on}: the host asked for),
 * {@code VM_SNAPSHOTTED}, {@code VM_CHECKPOINTED}, {@code VM_SNAPSHOT_REVERTED}, {@code VM_CLONED} (of {@code
 * VM.csvm} only, as Xapi), and {@code VM_MIGRATED} (of {@code pool_migrate}, and of {@code migrate_send} within the
 * pool: the VM still here, on a host of the pool). Thread-safe.
 */
public final class LifecycleAlerts implements org.xapijava.server.forward.PoolForwarding.AfterSuccess {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LifecycleAlerts.class);
    private final Db data;
    private final VmAlerts alerts;

    public LifecycleAlerts(Db data, VmAlerts alerts) {
        this.data = data;
        this.alerts = alerts;
    }

    /** The host a VM runs on before it migrates; the VM a snapshot is of before it is reverted to. */
    @Override
    public Object before(String wireName, List<Object> args) {
        if (args.isEmpty() || !(args.getFirst() instanceof String ref) || !data.exists(VM.XAPI_CLASS, ref)) return null;
        return switch (wireName) {
            case "VM.pool_migrate", "VM.migrate_send" -> data.get(ref, VM.RESIDENT_ON);
            case "VM.revert" -> data.get(ref, VM.SNAPSHOT_OF);
            default -> null;
        };
    }

    /** {@inheritDoc} Its message, if it has one; never throws (a message that cannot be made is logged). */
    @Override
    public void after(String wireName, List<Object> args, Object result, Object before) {
        if (args.isEmpty() || !(args.getFirst() instanceof String vm)) return;
        try {
            alert(wireName, args, vm, result, before);
        } catch (RuntimeException e) {
            LOG.debug("{}: the message on VM {} not created: {}", wireName, vm, e.toString());
        }
    }

    private void alert(String wireName, List<Object> args, String vm, Object result, Object before) {
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
            case "VM.snapshot" -> plain(vm, "VM_SNAPSHOTTED", "snapshotted, snapshot name: " + args.get(1));
            case "VM.checkpoint" -> plain(vm, "VM_CHECKPOINTED", "checkpointed, snapshot name: " + args.get(1));
            case "VM.csvm" -> {
                if (result instanceof String clone && data.exists(VM.XAPI_CLASS, clone))
                    plain(vm, "VM_CLONED", "cloned (new uuid: " + data.get(clone, VM.UUID) + ")");
            }
            case "VM.revert" -> {
                if (before instanceof String of && data.exists(VM.XAPI_CLASS, of))
                    plain(
                            of,
                            "VM_SNAPSHOT_REVERTED",
                            "reverted to snapshot: " + data.get(vm, VM.NAME_LABEL) + " (uuid " + data.get(vm, VM.UUID)
                                    + ")");
            }
            case "VM.pool_migrate", "VM.migrate_send" -> migrated(vm, before);
            default -> {}
        }
    }

    /** {@code VM_MIGRATED} from {@code from} to the host the VM now runs on, when both are hosts of this pool. */
    private void migrated(String vm, Object from) {
        if (!(from instanceof String source) || !data.exists(Host.XAPI_CLASS, source)) return;
        if (!data.exists(VM.XAPI_CLASS, vm)) return; // gone to another pool
        String to = data.get(vm, VM.RESIDENT_ON);
        if (!data.exists(Host.XAPI_CLASS, to)) return;
        String what = String.format(
                "migrated from host '%s' (uuid: %s) to host '%s' (uuid: %s)",
                data.get(source, Host.NAME_LABEL),
                data.get(source, Host.UUID),
                data.get(to, Host.NAME_LABEL),
                data.get(to, Host.UUID));
        plain(vm, "VM_MIGRATED", what);
    }

    /** Message {@code name} on {@code vm}: {@code VM '<name>' (uuid: <uuid>) <what>}, as every one of Xapi's. */
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
        plain(vm, name, what + " on host: " + data.get(h, Host.NAME_LABEL) + " (uuid: " + data.get(h, Host.UUID) + ")");
    }
}
