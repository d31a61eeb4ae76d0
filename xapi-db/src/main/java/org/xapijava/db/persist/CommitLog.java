package org.xapijava.db.persist;

import java.io.IOException;
import java.util.function.LongConsumer;

/**
 * Where committed transactions become durable before they are acknowledged (the redo log).
 *
 * <p>Contract: {@link #append} is called by the database with its writer lock held, in commit order; it
 * only queues (no I/O, no blocking). A background writer makes queued batches durable in groups (one
 * write + fsync for many batches) and then calls the durability listener with the highest durable
 * ticket. {@link #awaitDurable} blocks the committing thread (never under the writer lock) until its
 * ticket is durable, or throws when the log failed. Thread-safe.
 */
public interface CommitLog extends AutoCloseable {

    /** Queues a batch; returns its ticket (increasing). Must not block or do I/O. */
    long append(DeltaBatch batch);

    /** Blocks until the batch with {@code ticket} (and all before it) is durable. */
    void awaitDurable(long ticket) throws IOException, InterruptedException;

    /** Called (from the log's writer thread) with the highest durable ticket after each group commit. */
    void setDurableListener(LongConsumer listener);

    /**
     * The database up to {@code generation} is durably in {@code state.db}: the log may discard batches
     * whose generation is {@code <= generation}.
     */
    void checkpoint(long generation) throws IOException;

    /** Flushes what is queued, stops the writer, releases the file. */
    @Override
    void close() throws IOException;
}
