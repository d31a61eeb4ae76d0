package org.xapijava.server.pool;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.xapijava.db.Database;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.db.LocalDb;
import org.xapijava.db.Update;
import org.xapijava.model.Field;
import org.xapijava.model.errors.ApiError;

/**
 * The database as a pool member's code sees it: reads from the member's replica of the master's database (kept in
 * step by the master's change feed, {@link ReplicaFollower}), writes applied on the master ({@link MasterLink}), and
 * every write waits until the replica holds it before returning, so a member always reads its own writes. A replica
 * that does not catch up within the timeout (the master's feed is cut) makes the write fail with
 * {@code INTERNAL_ERROR} rather than let the caller read a state without it. Advisory writes ({@link
 * #applyAdvisory}) and recomputations of allowed operations ({@link #updateAllowedOperations}) go to the master in
 * the background, coalesced; a forwarded call waits for them at its end ({@link #awaitBackground}). Thread-safe.
 */
public final class MemberDb implements Db {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MemberDb.class);
    /** How many background requests may wait for the master. */
    static final int MAX_BACKGROUND = 10_000;

    private final Database replica;
    private final LocalDb reads;
    private final MasterLink master;
    private final Duration catchUp;
    /** What is queued for the master and not sent yet, oldest first, by key. Guarded by itself. */
    private final Map<Object, Runnable> background = new java.util.LinkedHashMap<>();
    /** Whether a sender is draining {@link #background}. Guarded by {@link #background}. */
    private boolean sending;
    /** How many requests were queued, and how many of those (coalesced or not) were sent. Guarded by background. */
    private long queued;

    private long sent;

    public MemberDb(Database replica, MasterLink master, Duration catchUp) {
        this.replica = replica;
        this.reads = new LocalDb(replica);
        this.master = master;
        this.catchUp = catchUp;
    }

    /** The replica (read-only: its own writes are refused). */
    public Database replica() {
        return replica;
    }

    /** Waits until the replica holds the master's generation {@code g}. */
    public void awaitReplica(long g) {
        try {
            long now = replica.awaitGeneration(g - 1, catchUp);
            if (now < g) {
                throw ApiError.internal("the replica of the master's database is at generation " + now
                        + ", behind this host's write at " + g);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.internal("interrupted while waiting for the master's database");
        }
    }

    private void write(Update u) {
        awaitReplica(master.apply(u));
    }

    // ------------------------------------------------------------------ reads: the replica

    @Override
    public <T> T get(String ref, Field<T> field) {
        return reads.get(ref, field);
    }

    @Override
    public boolean exists(String cls, String ref) {
        return reads.exists(cls, ref);
    }

    @Override
    public Map<String, Object> record(String cls, String ref) {
        return reads.record(cls, ref);
    }

    @Override
    public Map<String, String> columns(String cls, String ref) {
        return reads.columns(cls, ref);
    }

    @Override
    public List<String> all(String cls) {
        return reads.all(cls);
    }

    @Override
    public Map<String, Map<String, Object>> allRecords(String cls) {
        return reads.allRecords(cls);
    }

    @Override
    public List<String> allWhere(String cls, String expr) {
        return reads.allWhere(cls, expr);
    }

    @Override
    public Map<String, Map<String, Object>> allRecordsWhere(String cls, String expr) {
        return reads.allRecordsWhere(cls, expr);
    }

    @Override
    public <T> List<String> where(Field<T> field, T value) {
        return reads.where(field, value);
    }

    @Override
    public String byUuid(String cls, String uuid) {
        return reads.byUuid(cls, uuid);
    }

    @Override
    public List<String> byNameLabel(String cls, String label) {
        return reads.byNameLabel(cls, label);
    }

    @Override
    public long created(String cls, String ref) {
        return reads.created(cls, ref);
    }

    @Override
    public long modified(String cls, String ref) {
        return reads.modified(cls, ref);
    }

    // ------------------------------------------------------------------ writes: the master

    @Override
    public void create(String ref, FieldValues values) {
        write(Update.builder().create(ref, values).build());
    }

    @Override
    public <T> void set(String ref, Field<T> field, T value) {
        write(Update.builder().set(ref, field, value).build());
    }

    @Override
    public void delete(String cls, String ref) {
        write(Update.builder().delete(cls, ref).build());
    }

    @Override
    public <E> void addToSet(String ref, Field<List<E>> field, E element) {
        write(Update.builder().addToSet(ref, field, element).build());
    }

    @Override
    public <E> void removeFromSet(String ref, Field<List<E>> field, E element) {
        write(Update.builder().removeFromSet(ref, field, element).build());
    }

    @Override
    public <K, V> void addToMap(String ref, Field<Map<K, V>> field, K key, V value) {
        write(Update.builder().addToMap(ref, field, key, value).build());
    }

    @Override
    public <K, V> void removeFromMap(String ref, Field<Map<K, V>> field, K key) {
        write(Update.builder().removeFromMap(ref, field, key).build());
    }

    @Override
    public void apply(Update update) {
        if (update.ops().isEmpty() && update.preconditions().isEmpty()) return;
        write(update);
    }

    // ------------------------------------------------------------------ background: the master, not waited for

    /**
     * Queued for the master by one background sender, without waiting for the replica (the caller reads none of
     * it): an update that sets one field replaces a queued one setting the same field of the same row.
     */
    @Override
    public void applyAdvisory(Update update) {
        Object key = update.ops().size() == 1 && update.ops().getFirst() instanceof Update.Set set
                ? List.of(set.ref(), set.field())
                : new Object();
        background(key, () -> {
            try {
                master.apply(update);
            } catch (Db.Conflict ignored) {
                // the precondition says the write is no longer wanted
            }
        });
    }

    /**
     * Asks the master to recompute {@code allowed_operations} of {@code cls} {@code ref} (and, for a VM, of its
     * devices) in the background: the master reads its own current state when it does, so a late or coalesced
     * request is as good as an early one. {@link #awaitBackground} waits for those asked before.
     */
    public void updateAllowedOperations(String cls, String ref) {
        background(new Recompute(cls, ref), () -> master.updateAllowedOperations(cls, ref));
    }

    /**
     * Waits (up to the replica's catch-up timeout) until everything queued before this call has been sent to the
     * master: the end of a forwarded call, whose answer must find its effects on the master.
     */
    public void awaitBackground() {
        long deadline = System.nanoTime() + catchUp.toNanos();
        synchronized (background) {
            long mine = queued;
            try {
                for (long left = catchUp.toNanos(); sent < mine && left > 0; left = deadline - System.nanoTime())
                    background.wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (sent < mine) LOG.warn("the master did not take this host's background writes in time");
        }
    }

    /** Whether nothing is queued or being sent (for tests). */
    public boolean backgroundIdle() {
        synchronized (background) {
            return !sending;
        }
    }

    /** The key of a queued recomputation of allowed operations. */
    private record Recompute(String cls, String ref) {}

    private void background(Object key, Runnable send) {
        synchronized (background) {
            if (background.size() >= MAX_BACKGROUND && !background.containsKey(key)) {
                var oldest = background.keySet().iterator();
                oldest.next();
                oldest.remove(); // the master is slow or away: the oldest goes first
            }
            background.put(key, send);
            queued++;
            if (sending) return;
            sending = true;
        }
        Thread.ofVirtual().name("member-background-writes").start(this::sendBackground);
    }

    /** Sends what is queued, a batch at a time; each batch holds the newest of every key queued until it is taken. */
    private void sendBackground() {
        while (true) {
            List<Runnable> batch;
            long upTo;
            synchronized (background) {
                if (background.isEmpty()) {
                    sending = false;
                    background.notifyAll();
                    return;
                }
                batch = List.copyOf(background.values());
                background.clear();
                upTo = queued;
            }
            for (Runnable send : batch) {
                try {
                    send.run();
                } catch (RuntimeException e) {
                    LOG.debug("a background write was not applied on the master: {}", e.toString());
                }
            }
            synchronized (background) {
                sent = upTo;
                background.notifyAll();
            }
        }
    }
}
