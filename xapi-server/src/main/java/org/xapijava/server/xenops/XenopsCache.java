package org.xapijava.server.xenops;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xapijava.xenopsd.DeviceId;
import org.xapijava.xenopsd.VbdState;
import org.xapijava.xenopsd.VifState;
import org.xapijava.xenopsd.VmState;

/**
 * Xapi's {@code Xenops_cache}: the last state xenopsd reported for each VM and device, against which
 * {@link StateSync} decides what changed. {@link XenopsdMetadata} forgets a VM's entries when it pushes or
 * removes its metadata, so that the next report is applied whole. Thread-safe.
 */
final class XenopsCache {
    final Map<String, VmState> vms = new ConcurrentHashMap<>();
    final Map<DeviceId, VbdState> vbds = new ConcurrentHashMap<>();
    final Map<DeviceId, VifState> vifs = new ConcurrentHashMap<>();

    /** {@code Xenops_cache.register}: the VM's last-known xenopsd state is forgotten. */
    void register(String id) {
        vms.remove(id);
        vbds.keySet().removeIf(d -> d.vm().equals(id));
        vifs.keySet().removeIf(d -> d.vm().equals(id));
    }

    /** {@code Xenops_cache.unregister}: the same forgetting. */
    void unregister(String id) {
        register(id);
    }

    /** Forgets every cached state (a new connection: everything is reported afresh). */
    void clear() {
        vms.clear();
        vbds.clear();
        vifs.clear();
    }
}
