package org.xapijava.server.alerts;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.VM;

/**
 * The messages (alerts) Xapi sends about a VM ({@code create_vm_message}: {@code VM_STARTED}, {@code VM_SNAPSHOTTED},
 * ...), priority 5 as {@code Api_messages}' lifecycle messages, on the VM's uuid. A message that cannot be created
 * is logged and ignored, as in Xapi: the operation it reports has happened. Thread-safe.
 */
public final class VmAlerts {
    private static final Logger LOG = LoggerFactory.getLogger(VmAlerts.class);
    /** The priority of Xapi's VM lifecycle messages. */
    static final long PRIORITY = 5;

    private final Db data;
    private final MessageStore alerts;

    public VmAlerts(Db data, MessageStore alerts) {
        this.data = data;
        this.alerts = alerts;
    }

    /** Sends {@code name} about {@code vm} with {@code body}; failures are ignored. */
    public void send(String name, String vm, String body) {
        try {
            alerts.createForcedLater(name, PRIORITY, VM.XAPI_CLASS, data.get(vm, VM.UUID), body);
        } catch (RuntimeException e) {
            LOG.debug("alert {} on VM {} not created: {}", name, vm, e.toString());
        }
    }
}
