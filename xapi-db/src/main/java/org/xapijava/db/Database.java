package org.xapijava.db;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import org.xapijava.db.internal.Schema;
import org.xapijava.db.persist.CommitLog;
import org.xapijava.db.persist.DeltaBatch;
import org.xapijava.db.persist.LoadedDb;
import org.xapijava.model.Datamodel;
import org.xapijava.model.Field;

/**
 * The in-memory database: one table per datamodel class, rows by ref, Xapi's generation counts,
 * tombstones, back-pointers, indexes, and the change feed {@code event.from} waits on.
 *
 * <p><b>Threads.</b> Readers take the current published {@link Snapshot} with one volatile read and
 * never wait. Writers serialize on one short critical section (a {@link ReentrantLock}) in which a
 * {@link Transaction} applies its changes to the head state and, when a {@link CommitLog} is
 * configured, queues its persistent changes ({@link CommitLog#append}, which does no I/O). After
 * releasing the lock the committing thread waits for durability ({@link CommitLog#awaitDurable}).
 * No lock is held across I/O.
 *
 * <p><b>Visibility.</b> A state holding persistent changes is published (to readers and event waiters)
 * only once its batch is durable; a transaction without persistent changes is published at once when
 * nothing is pending, else together with the pending ones. Without a commit log every commit is
 * published at once. A committing thread sees its own transaction in {@link #snapshot()} once
 * {@link #transact} returns.
 *
 * <p><b>Deferred durability.</b> Inside {@link #deferringDurability} a thread's commits do not wait for
 * durability one by one: the scope waits once, at its end, for everything the thread wrote or read, so what it
 * did is durable and published when the scope returns. Meanwhile that thread (only) reads the newest committed
 * state, its own writes included.
 *
 * <p><b>Replica feed.</b> A master hands out {@link FeedBatch}es ({@link #feed}, {@link #awaitFeed},
 * {@link #nextFeed}) built from its published state; a {@linkplain #replica replica} installs them with
 * {@link #applyFeed} (under the writer lock, published like a commit) and refuses every other write. See
 * {@code docs/database.md}.
 */
public final class Database {
    private static final long NO_TICKET = Long.MIN_VALUE;

    private final Schema schema;
    private final CommitLog log;
    private final ReentrantLock writeLock = new ReentrantLock();

    /** The newest committed state (possibly not yet durable). Guarded by writeLock. */
    private Snapshot head;
    /**
     * The newest committed state and the ticket that makes it durable, for reads inside a deferring scope without
     * the lock; replaced (under writeLock) with every commit.
     */
    private volatile Head headView;
    /** Committed states waiting for durability, oldest first. Guarded by writeLock. */
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    /** Guarded by writeLock. */
    private long lastAppended = NO_TICKET;
    /** Guarded by writeLock. */
    private long durable = NO_TICKET;

    private volatile Snapshot published;
    /** Completed (and replaced) on every publication; guarded by writeLock for writes. */
    private volatile CompletableFuture<Void> nextPublish = new CompletableFuture<>();

    private record Pending(long ticket, Snapshot state) {}

    private record Head(Snapshot state, long ticket) {}

    /**
     * Per thread inside {@link #deferringDurability}: the highest ticket the scope waits for at its end (what the
     * thread appended or saw in the head state); {@link #NO_TICKET} while it has nothing to wait for. Null outside.
     */
    private final ThreadLocal<long[]> deferred = new ThreadLocal<>();

    /** Whether this is a pool member's read replica: written only by {@link #applyFeed}. */
    private final boolean replica;
    /**
     * The master: this incarnation's random id, stamped on every feed batch. A replica: the epoch of the master
     * state it holds, null before its first full batch. Written under writeLock.
     */
    private volatile String epoch;
    /** The master: the last incremental batch {@link #feed} built (a cache for members asking the same). */
    private volatile FeedBatch lastFeed;

    Database(Schema schema, Snapshot initial, CommitLog log) {
        this(schema, initial, log, false);
    }

    private Database(Schema schema, Snapshot initial, CommitLog log, boolean replica) {
        this.schema = schema;
        this.log = log;
        this.replica = replica;
        this.epoch = replica ? null : java.util.UUID.randomUUID().toString();
        this.head = initial;
        this.headView = new Head(initial, NO_TICKET);
        this.published = initial;
        if (log != null) log.setDurableListener(this::onDurable);
    }

    /** An empty in-memory database (no commit log), generation 0: a master (see {@link #replica}). */
    public static Database empty(Datamodel dm) {
        return empty(dm, null);
    }

    /** An empty database, generation 0, making commits durable through {@code log} (null: in memory). */
    public static Database empty(Datamodel dm, CommitLog log) {
        Schema s = new Schema(dm);
        return new Database(s, Snapshot.empty(s, 0), log);
    }

    /**
     * Builds the database from a {@code state.db} image and the redo log's replay (batches with a
     * generation above the image's are applied in order; older ones are already in the image).
     *
     * @throws DbLoadException naming the table, row and column of bad data (nothing is half-loaded)
     */
    public static Database load(Datamodel dm, LoadedDb image, List<DeltaBatch> replay, CommitLog log) {
        Schema s = new Schema(dm);
        Snapshot snap = Loader.load(s, image, replay == null ? List.of() : replay);
        return new Database(s, snap, log);
    }

    /**
     * An empty read replica of a pool master's database (generation 0, no epoch): it refuses every local write with
     * an {@link IllegalStateException} and changes only through {@link #applyFeed}, starting with a full batch.
     */
    public static Database replica(Datamodel dm) {
        Schema s = new Schema(dm);
        return new Database(s, Snapshot.empty(s, 0), null, true);
    }

    public Datamodel datamodel() {
        return schema.dm;
    }

    // ------------------------------------------------------------------ replica feed

    /** Whether this database is a replica ({@link #replica}). */
    public boolean isReplica() {
        return replica;
    }

    /**
     * The master: the id of this incarnation of the database (new at every start, so a replica never takes a
     * restarted master's generations for the old ones). A replica: the epoch of the state it holds, null until its
     * first full batch. A member asks {@code master.feed(replica.feedEpoch(), replica.generation())}.
     */
    public String feedEpoch() {
        return epoch;
    }

    /**
     * The batch bringing a replica that holds generation {@code since} of master incarnation {@code epoch} to the
     * current published state: incremental when this database can say exactly what changed since then, else (other
     * or null epoch, {@code since} ahead of this generation or negative, tombstones trimmed past it) a full image.
     * An incremental batch with {@code since == generation()} is empty. Never waits; reads one published snapshot.
     *
     * @throws IllegalStateException on a replica (members take the feed from the master only)
     */
    public FeedBatch feed(String epoch, long since) {
        if (replica) throw new IllegalStateException("a replica does not serve the replica feed; ask the master");
        Snapshot s = published;
        boolean full = !this.epoch.equals(epoch) || !ReplicaFeed.exactSince(s, since);
        if (full) return ReplicaFeed.batch(s, this.epoch, since, true);
        // members at the same generation asking after the same publication share one scan
        FeedBatch last = lastFeed;
        if (last != null && last.since == since && last.to == s.generation) return last;
        FeedBatch b = ReplicaFeed.batch(s, this.epoch, since, false);
        lastFeed = b;
        return b;
    }

    /**
     * {@link #feed}, once there is something to send: at once when the batch is full, else when the published
     * generation exceeds {@code since} or at the timeout (then possibly an empty batch).
     */
    public FeedBatch awaitFeed(String epoch, long since, Duration timeout) throws InterruptedException {
        if (replica) throw new IllegalStateException("a replica does not serve the replica feed; ask the master");
        if (this.epoch.equals(epoch) && ReplicaFeed.exactSince(published, since)) awaitGeneration(since, timeout);
        return feed(epoch, since);
    }

    /**
     * {@link #awaitFeed} without a waiting thread: completed with the batch once there is something to send. The
     * batch is built on a virtual thread of its own, never in the committing thread (which publishes under the
     * writer lock).
     */
    public CompletableFuture<FeedBatch> nextFeed(String epoch, long since) {
        if (replica) throw new IllegalStateException("a replica does not serve the replica feed; ask the master");
        boolean incremental = this.epoch.equals(epoch) && ReplicaFeed.exactSince(published, since);
        return onGenerationAfter(incremental ? since : Long.MIN_VALUE)
                .thenApplyAsync(g -> feed(epoch, since), r -> Thread.ofVirtual().start(r));
    }

    /**
     * Installs a feed batch on this replica atomically and publishes it: afterwards every read answers what the
     * master answered at {@link FeedBatch#to()} (rows, values, stamps, indexes, tombstones, generation) and
     * generation waiters wake. A full batch replaces the whole content; an empty one changes nothing.
     *
     * @throws FeedBatch.GapException when an incremental batch does not follow this replica's state (other epoch,
     *     or {@code since} is not {@link #generation()}): nothing applied, ask again
     * @throws IllegalStateException when this database is not a replica, or the batch contradicts its content
     * @throws IllegalArgumentException when the batch does not fit this datamodel
     */
    public void applyFeed(FeedBatch b) {
        if (!replica) throw new IllegalStateException("applyFeed: this database is not a replica");
        writeLock.lock();
        try {
            if (!b.full) {
                if (epoch == null || !epoch.equals(b.epoch))
                    throw new FeedBatch.GapException("feed batch of master epoch " + b.epoch
                            + " does not follow this replica's epoch " + epoch + "; ask for a full batch");
                if (b.since != head.generation)
                    throw new FeedBatch.GapException("feed batch from generation " + b.since + " does not follow "
                            + "this replica's generation " + head.generation + "; ask again from it");
                if (b.to < b.since) throw new IllegalArgumentException("feed batch goes back: " + b);
                if (b.to == b.since && b.parts.isEmpty()) return;
            }
            Snapshot next = ReplicaFeed.apply(head, b);
            head = next;
            headView = new Head(next, NO_TICKET);
            epoch = b.epoch;
            publish(next);
        } finally {
            writeLock.unlock();
        }
    }

    // ------------------------------------------------------------------ reads

    /**
     * The current published state; inside {@link #deferringDurability}, the newest committed state (whatever of it
     * is not durable yet is waited for at the scope's end).
     */
    public Snapshot snapshot() {
        long[] d = deferred.get();
        if (d == null) return published;
        Head h = headView;
        if (h.ticket > d[0]) d[0] = h.ticket;
        return h.state;
    }

    /**
     * Runs {@code body} with this thread's commits not waiting for durability each, then waits once for the last
     * of them (and for whatever newer state the thread read): when this returns, everything {@code body} wrote is
     * durable and published, as if each commit had waited. For a run of small writes that need not be durable
     * one by one (xenopsd's state of one VM written field by field). Nested scopes join the outer one.
     */
    public void deferringDurability(Runnable body) {
        callDeferringDurability(() -> {
            body.run();
            return null;
        });
    }

    /** A body run by {@link #callDeferringDurability}: a result, or one checked exception. */
    @FunctionalInterface
    public interface Body<T, E extends Exception> {
        T run() throws E;
    }

    /**
     * {@link #deferringDurability} for a body with a result (or a checked exception): the scope's wait happens
     * whether the body returns or throws, before either reaches the caller.
     */
    public <T, E extends Exception> T callDeferringDurability(Body<T, E> body) throws E {
        if (deferred.get() != null) return body.run();
        long[] d = {NO_TICKET};
        deferred.set(d);
        try {
            return body.run();
        } finally {
            deferred.remove();
            if (d[0] != NO_TICKET) awaitDurable(d[0]);
        }
    }

    /** The published generation count (the next stamp). */
    public long generation() {
        return published.generation;
    }

    /**
     * Blocks until the published generation exceeds {@code after} or the timeout passes, without
     * polling (waiters park on a future completed by the next publication). Cheap enough for thousands
     * of (virtual) threads.
     *
     * @return the published generation when it returns (may be {@code <= after} on timeout)
     */
    public long awaitGeneration(long after, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            CompletableFuture<Void> f = nextPublish; // read before the state: no lost wake-up
            long g = published.generation;
            if (g > after) return g;
            long rem = deadline - System.nanoTime();
            if (rem <= 0) return g;
            try {
                f.get(rem, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                return published.generation;
            } catch (ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** A future completed (with the new generation) once the published generation exceeds {@code after}. */
    public CompletableFuture<Long> onGenerationAfter(long after) {
        CompletableFuture<Long> out = new CompletableFuture<>();
        watch(after, out);
        return out;
    }

    private void watch(long after, CompletableFuture<Long> out) {
        CompletableFuture<Void> f = nextPublish;
        long g = published.generation;
        if (g > after) {
            out.complete(g);
            return;
        }
        f.thenRun(() -> watch(after, out));
    }

    /** {@link Snapshot#changesSince(Collection, long)} on the current snapshot. */
    public Changes changesSince(Collection<String> classes, long since) {
        return published.changesSince(classes, since);
    }

    /** {@link Snapshot#changesSince(Collection, java.util.function.BiPredicate, long)} on the current snapshot. */
    public Changes changesSince(
            Collection<String> classes, java.util.function.BiPredicate<String, String> objectFilter, long since) {
        return published.changesSince(classes, objectFilter, since);
    }

    public Map<String, Integer> validRefCounts() {
        return published.validRefCounts();
    }

    public <T> T get(String ref, Field<T> field) {
        return snapshot().get(ref, field);
    }

    public Object get(String cls, String ref, String field) {
        return snapshot().get(cls, ref, field);
    }

    public Map<String, Object> getRecord(String cls, String ref) {
        return snapshot().getRecord(cls, ref);
    }

    public List<String> getAll(String cls) {
        return snapshot().all(cls);
    }

    public Map<String, Map<String, Object>> getAllRecords(String cls) {
        return snapshot().getAllRecords(cls);
    }

    public List<String> getAllWhere(String cls, String expr) {
        return snapshot().getAllWhere(cls, expr);
    }

    public Map<String, Map<String, Object>> getAllRecordsWhere(String cls, String expr) {
        return snapshot().getAllRecordsWhere(cls, expr);
    }

    public String getByUuid(String cls, String uuid) {
        return snapshot().getByUuid(cls, uuid);
    }

    public List<String> getByNameLabel(String cls, String label) {
        return snapshot().getByNameLabel(cls, label);
    }

    public boolean exists(String cls, String ref) {
        return snapshot().exists(cls, ref);
    }

    // ------------------------------------------------------------------ writes

    /** Runs {@code body} as one atomic transaction (see {@link #call}). */
    public void transact(Consumer<Transaction> body) {
        call(tx -> {
            body.accept(tx);
            return null;
        });
    }

    /**
     * Runs {@code body} as one atomic transaction under the writer lock and commits it: all its changes
     * or, when it throws, none (the exception propagates, the generation is unchanged). Returns once
     * the transaction is durable and visible. Keep bodies short: no I/O, no waiting.
     *
     * @throws UncheckedIOException when the commit log failed (the change is then never published)
     * @throws IllegalStateException on a {@linkplain #replica replica}, which members write through the master
     */
    public <R> R call(Function<Transaction, R> body) {
        if (replica)
            throw new IllegalStateException(
                    "this database is a read replica of the pool master's: members write through the master");
        long waitFor = NO_TICKET;
        R result;
        writeLock.lock();
        try {
            Transaction tx = new Transaction(head);
            try {
                result = body.apply(tx);
            } catch (RuntimeException | Error e) {
                tx.abandon();
                throw e;
            }
            if (!tx.changed()) {
                tx.abandon();
                return result;
            }
            Snapshot next = tx.finish();
            if (log != null && !tx.deltas().isEmpty()) {
                long ticket = log.append(new DeltaBatch(next.generation, tx.deltas()));
                head = next;
                lastAppended = ticket;
                headView = new Head(next, ticket);
                pending.add(new Pending(ticket, next));
                waitFor = ticket;
            } else {
                head = next;
                headView = new Head(next, pending.isEmpty() ? NO_TICKET : lastAppended);
                if (pending.isEmpty()) {
                    publish(next);
                } else {
                    pending.add(new Pending(lastAppended, next));
                    waitFor = lastAppended;
                }
            }
        } finally {
            writeLock.unlock();
        }
        if (waitFor != NO_TICKET) {
            long[] d = deferred.get();
            if (d == null) awaitDurable(waitFor);
            else if (waitFor > d[0]) d[0] = waitFor;
        }
        return result;
    }

    private void awaitDurable(long ticket) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    log.awaitDurable(ticket);
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (IOException e) {
                    throw new UncheckedIOException("commit log failed; transaction not durable", e);
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
        onDurable(ticket);
    }

    /** The commit log's durability listener (also called by committers): publishes what became durable. */
    private void onDurable(long ticket) {
        writeLock.lock();
        try {
            if (ticket > durable) durable = ticket;
            Snapshot last = null;
            while (!pending.isEmpty() && pending.peek().ticket() <= durable)
                last = pending.poll().state();
            if (last != null) publish(last);
        } finally {
            writeLock.unlock();
        }
    }

    /** Caller holds writeLock. */
    private void publish(Snapshot s) {
        published = s;
        CompletableFuture<Void> old = nextPublish;
        nextPublish = new CompletableFuture<>();
        old.complete(null);
    }

    public void create(String cls, String ref, Map<String, ?> values) {
        transact(tx -> tx.create(cls, ref, values));
    }

    public void set(String cls, String ref, String field, Object value) {
        transact(tx -> tx.set(cls, ref, field, value));
    }

    public <T> void set(String ref, Field<T> field, T value) {
        transact(tx -> tx.set(ref, field, value));
    }

    public void delete(String cls, String ref) {
        transact(tx -> tx.delete(cls, ref));
    }

    /** {@code event.inject}: returns the generation stamped on the row. */
    public long touch(String cls, String ref) {
        return call(tx -> tx.touch(cls, ref));
    }

    public void addToSet(String cls, String ref, String field, Object element) {
        transact(tx -> tx.addToSet(cls, ref, field, element));
    }

    public void removeFromSet(String cls, String ref, String field, Object element) {
        transact(tx -> tx.removeFromSet(cls, ref, field, element));
    }

    public void addToMap(String cls, String ref, String field, Object key, Object value) {
        transact(tx -> tx.addToMap(cls, ref, field, key, value));
    }

    public void removeFromMap(String cls, String ref, String field, Object key) {
        transact(tx -> tx.removeFromMap(cls, ref, field, key));
    }
}
