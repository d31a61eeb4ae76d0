package org.xapijava.server;

import java.time.Clock;
import org.xapijava.db.Database;
import org.xapijava.db.Db;
import org.xapijava.model.Datamodel;
import org.xapijava.server.alerts.MessageStore;
import org.xapijava.server.ops.AllowedOperations;
import org.xapijava.server.session.SessionManager;
import org.xapijava.server.task.TaskManager;

/**
 * The services of one running host, handed to every message implementation through its
 * {@link org.xapijava.server.dispatch.CallContext}. Immutable once built; every service is thread-safe.
 *
 * @param hostRef this host's {@code host} ref
 * @param poolRef the pool's ref
 * @param alerts  the message (alert) store, kept apart from the database as in Xapi
 * @param allowed {@code allowed_operations} bookkeeping (locking itself is the dispatcher's forwarding stage's)
 * @param data    the database as message code should use it ({@link Db}: typed handles, one atomic step per
 *                call, {@link org.xapijava.db.Update} for steps that must go together), which a pool member
 *                will reach over the wire; {@code db} is the in-memory database itself (transactions,
 *                snapshots, events), which only this host has
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
        AllowedOperations allowed,
        Db data) {}
