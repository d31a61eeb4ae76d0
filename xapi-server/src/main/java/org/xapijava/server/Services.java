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
 * The parts of one running host as {@link XapiServer} builds them, for its own wiring and for whoever holds the
 * server (tests, an in-process pool member reusing its master's database). Message modules never receive it: each
 * is given the parts it uses in its constructor, and a call reaches only {@code CallContext.data()} and
 * {@code CallContext.api()}. Immutable; every part is thread-safe.
 *
 * @param hostRef this host's {@code host} ref
 * @param poolRef the pool's ref
 * @param alerts  the message (alert) store, kept apart from the database as in Xapi
 * @param allowed {@code allowed_operations} bookkeeping (locking itself is the dispatcher's forwarding stage's)
 * @param data    the database as message code uses it ({@link Db}: typed handles, one atomic step per call,
 *                {@link org.xapijava.db.Update} for steps that must go together), which a pool member will reach
 *                over the wire; {@code db} is the in-memory database itself (transactions, snapshots, events),
 *                which only this host has
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
