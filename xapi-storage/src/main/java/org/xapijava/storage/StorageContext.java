package org.xapijava.storage;

import java.util.Objects;

/**
 * Who makes a storage call and on behalf of what: SMAPIv2's {@code dbg} string (Xapi passes the task's
 * description for its logs), the xapi task the call runs under and the session that drives it (SMAPIv1 plugins
 * receive both and may call back into the XenAPI with them). Immutable.
 *
 * @param dbg     a short text naming the caller in logs
 * @param task    the task ref, or {@code OpaqueRef:NULL}
 * @param session the session ref, or {@code OpaqueRef:NULL}
 */
public record StorageContext(String dbg, String task, String session) {
    public StorageContext {
        Objects.requireNonNull(dbg);
        Objects.requireNonNull(task);
        Objects.requireNonNull(session);
    }

    /** A context for calls made outside any task (start-up, tests). */
    public static StorageContext of(String dbg) {
        return new StorageContext(dbg, "OpaqueRef:NULL", "OpaqueRef:NULL");
    }
}
