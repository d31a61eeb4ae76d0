package org.xapijava.db;

import java.util.List;
import java.util.Map;
import org.xapijava.db.internal.Row;
import org.xapijava.db.internal.Tombstones.Tomb;

/**
 * One step of the replica feed: what a replica at generation {@link #since()} of the master's incarnation
 * {@link #epoch()} needs to become exactly the master's published state at generation {@link #to()}. Made by
 * {@link Database#feed} on the master, carried by {@link FeedCodec}, installed by {@link Database#applyFeed} on a
 * replica.
 *
 * <p>An incremental batch holds, per table, every row stamped at or after {@code since} (created or modified) with
 * all its values (persistent or not, back-pointer sets included) and stamps, and every deletion at or after
 * {@code since} (ref, creation and deletion generations), oldest first. A {@linkplain #full() full} batch holds
 * every row and every tombstone of every table (with the tombstone lists' trim state), and replaces the replica's
 * whole content. Both carry, for the name_label index, the master's order of every label shared by several rows
 * that the batch touches. Immutable; values are shared with the master's snapshot, never copied.
 */
public final class FeedBatch {
    final String epoch;
    final long since;
    final long to;
    final boolean full;
    /** Parts of the tables the batch touches (a full batch: of every table with rows or tombstones). */
    final List<Part> parts;

    /**
     * One table's share. {@code rows} by ascending creation generation; {@code deleted} oldest deletion first;
     * {@code names}: label → the master's refs of that label in index order (only labels of several rows);
     * {@code tombLen}/{@code tombDropped}: the master's tombstone list state (full batches only).
     */
    record Part(
            String table,
            List<Row> rows,
            List<Tomb> deleted,
            Map<String, List<String>> names,
            int tombLen,
            long tombDropped) {}

    FeedBatch(String epoch, long since, long to, boolean full, List<Part> parts) {
        this.epoch = epoch;
        this.since = since;
        this.to = to;
        this.full = full;
        this.parts = List.copyOf(parts);
    }

    /** The master incarnation this batch is from ({@link Database#feedEpoch()}). */
    public String epoch() {
        return epoch;
    }

    /** The generation the replica must be at to apply an incremental batch (unused by a full one). */
    public long since() {
        return since;
    }

    /** The master's published generation this batch brings the replica to. */
    public long to() {
        return to;
    }

    /** Whether the batch is a full image that replaces the replica's content. */
    public boolean full() {
        return full;
    }

    /** Whether applying it changes nothing (an incremental batch with {@code since == to}). */
    public boolean isEmpty() {
        return !full && since == to;
    }

    /** Number of rows carried (created, modified, or every row of a full image). */
    public int rowCount() {
        int n = 0;
        for (Part p : parts) n += p.rows.size();
        return n;
    }

    /** Number of deletions (tombstones) carried. */
    public int deletionCount() {
        int n = 0;
        for (Part p : parts) n += p.deleted.size();
        return n;
    }

    @Override
    public String toString() {
        return (full ? "full feed batch to " : "feed batch " + since + " -> ") + to + " (" + rowCount() + " rows, "
                + deletionCount() + " deletions, epoch " + epoch + ")";
    }

    /**
     * An incremental batch that does not follow the replica's state: another master incarnation, or a
     * {@code since} other than the replica's generation. Nothing was applied; ask the master again from the
     * replica's {@link Database#feedEpoch()} and {@link Database#generation()}.
     */
    public static final class GapException extends IllegalStateException {
        GapException(String message) {
            super(message);
        }
    }
}
