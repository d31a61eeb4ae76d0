package org.xapijava.server;

import java.time.Clock;
import org.xapijava.db.Database;
import org.xapijava.model.Datamodel;
import org.xapijava.server.alerts.MessageStore;
import org.xapijava.server.ops.Locks;
import org.xapijava.server.session.SessionManager;
import org.xapijava.server.task.TaskManager;

/**
 * The services of one running host, handed to every message implementation through its
 * {@link org.xapijava.server.dispatch.CallContext}. Immutable once built; every service is thread-safe.
 *
 * @param hostRef this host's {@code host} ref
 * @param poolRef the pool's ref
 * @param alerts  the message (alert) store, kept apart from the database as in Xapi
 * @param locks   operation locking ({@code current_operations} / {@code allowed_operations})
 */
public record Services(
        Datamodel dm,
        Database db,
        Clock clock,
        String hostRef,
        String poolRef,
        SessionManager sessions,
        TaskManager tasks,
        MessageStore alerts,
        Locks locks) {

    /** The same services with {@code locks} set (Locks needs the services it belongs to). */
    public Services withLocks(Locks l) {
        return new Services(dm, db, clock, hostRef, poolRef, sessions, tasks, alerts, l);
    }
}
