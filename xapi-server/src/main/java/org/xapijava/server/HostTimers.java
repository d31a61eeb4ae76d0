package org.xapijava.server;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.server.event.EventHub;
import org.xapijava.server.pool.DatabaseBackups;
import org.xapijava.server.pool.Liveness;
import org.xapijava.server.session.SessionManager;
import org.xapijava.server.task.TaskManager;

/**
 * A host's periodic jobs, on one daemon thread: Xapi's {@code db_gc} pass every {@link #GC_PERIOD} (sessions and
 * tasks collected, the pool heartbeat on the {@code event.next} queues) and, on the master, the members' liveness
 * check, the push of database backups to them and the daily copy of the blobs to them; in emergency mode, the one
 * restart that tries the master again. {@link #close()} stops them.
 */
final class HostTimers implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HostTimers.class);
    /** Xapi's GC period for sessions and tasks ({@code db_gc.ml}). */
    static final Duration GC_PERIOD = Duration.ofSeconds(30);
    /** Xapi's delay before the first copy of the master's blobs to the other hosts ({@code sync_delay}). */
    static final Duration BLOB_SYNC_FIRST = Duration.ofHours(2);

    private final ScheduledExecutorService timer;

    private HostTimers(String name) {
        timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name(name).factory());
    }

    /**
     * The GC pass, and on the master ({@code liveness} not null) the liveness check every {@code heartbeatSeconds},
     * the backup push every {@code backupSeconds} and {@code blobSync} every {@code blobSyncSeconds}.
     */
    static HostTimers start(
            SessionManager sessions,
            TaskManager tasks,
            EventHub events,
            Liveness liveness,
            long heartbeatSeconds,
            DatabaseBackups backups,
            long backupSeconds,
            Runnable blobSync,
            long blobSyncSeconds) {
        HostTimers t = new HostTimers("xapi-gc");
        long gc = GC_PERIOD.toSeconds();
        t.timer.scheduleWithFixedDelay(() -> collectGarbage(sessions, tasks, events), gc, gc, TimeUnit.SECONDS);
        if (liveness != null) {
            // Xapi checks with its 30 s GC, the heartbeat's period
            t.timer.scheduleWithFixedDelay(liveness::check, heartbeatSeconds, heartbeatSeconds, TimeUnit.SECONDS);
            // Xapi's 300 s push of backups to members
            t.timer.scheduleWithFixedDelay(backups::pushToMembers, backupSeconds, backupSeconds, TimeUnit.SECONDS);
            // Xapi's daily copy of the blobs to every host, the first 2 h after start; on its own thread, so that a
            // slow host holds up neither the liveness check nor the backups
            t.timer.scheduleWithFixedDelay(
                    () -> Thread.ofVirtual().name("blob-sync").start(blobSync),
                    Math.min(BLOB_SYNC_FIRST.toSeconds(), blobSyncSeconds),
                    blobSyncSeconds,
                    TimeUnit.SECONDS);
        }
        return t;
    }

    /** Emergency mode: {@code restart} once, after {@code seconds}. */
    static HostTimers emergencyRetry(Runnable restart, long seconds) {
        HostTimers t = new HostTimers("xapi-emergency");
        t.timer.schedule(restart, seconds, TimeUnit.SECONDS);
        return t;
    }

    private static void collectGarbage(SessionManager sessions, TaskManager tasks, EventHub events) {
        try {
            sessions.collectGarbage();
            tasks.collectGarbage();
            events.heartbeat(); // Xapi's 30 s pool heartbeat on the event.next queues
        } catch (RuntimeException e) {
            LOG.warn("GC pass failed", e);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
