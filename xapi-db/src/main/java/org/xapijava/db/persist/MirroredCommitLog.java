package org.xapijava.db.persist;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database's commit log: the local redo log, and while the pool's redo log is enabled a mirror of it (a
 * {@link VdiRedoLog}) that every batch also goes to. A commit is acknowledged once both hold it. Tickets and the
 * durability listener are the local log's. A mirror that fails is dropped with an error logged and the database goes
 * on with its local log (as Xapi's writes go on when its redo log's device fails). Thread-safe.
 */
public final class MirroredCommitLog implements CommitLog {
    private static final Logger LOG = LoggerFactory.getLogger(MirroredCommitLog.class);

    private final CommitLog primary;
    private volatile CommitLog mirror;
    /** Local ticket → the mirror and its ticket, for the batches not yet waited for. */
    private final ConcurrentSkipListMap<Long, Mirrored> pending = new ConcurrentSkipListMap<>();

    private record Mirrored(CommitLog log, long ticket) {}

    public MirroredCommitLog(CommitLog primary) {
        this.primary = primary;
    }

    /**
     * From the next commit on, batches also go to {@code log}. Call it with the database's write lock held (inside a
     * transaction's body) so that every batch is either in a snapshot taken right after or in {@code log}.
     */
    public void startMirroring(CommitLog log) {
        CommitLog old = mirror;
        mirror = log;
        if (old != null) closeQuietly(old);
    }

    /** Batches no longer go to the mirror, which is closed. */
    public void stopMirroring() {
        CommitLog old = mirror;
        mirror = null;
        if (old != null) closeQuietly(old);
    }

    /** Whether batches go to a mirror. */
    public boolean mirroring() {
        return mirror != null;
    }

    @Override
    public long append(DeltaBatch batch) {
        long ticket = primary.append(batch);
        CommitLog m = mirror;
        if (m != null) pending.put(ticket, new Mirrored(m, m.append(batch)));
        return ticket;
    }

    @Override
    public void awaitDurable(long ticket) throws IOException, InterruptedException {
        primary.awaitDurable(ticket);
        // waiting for the newest mirrored batch up to this ticket covers the earlier ones (groups take all queued)
        ConcurrentNavigableMap<Long, Mirrored> upTo = pending.headMap(ticket, true);
        Map.Entry<Long, Mirrored> last = upTo.lastEntry();
        if (last == null) return;
        Mirrored m = last.getValue();
        try {
            m.log().awaitDurable(m.ticket());
        } catch (IOException e) {
            if (mirror == m.log()) {
                LOG.error("the pool's redo log failed, the database goes on without it: {}", e.toString());
                stopMirroring();
            }
        }
        upTo.clear();
    }

    @Override
    public void setDurableListener(LongConsumer listener) {
        primary.setDurableListener(listener);
    }

    @Override
    public void checkpoint(long generation) throws IOException {
        primary.checkpoint(generation);
    }

    @Override
    public void close() throws IOException {
        stopMirroring();
        primary.close();
    }

    private static void closeQuietly(CommitLog log) {
        try {
            log.close();
        } catch (IOException e) {
            LOG.warn("closing the pool's redo log: {}", e.toString());
        }
    }
}
