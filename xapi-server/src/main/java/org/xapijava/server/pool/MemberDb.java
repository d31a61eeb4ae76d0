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
 * {@code INTERNAL_ERROR} rather than let the caller read a state without it. Thread-safe.
 */
public final class MemberDb implements Db {
    private final Database replica;
    private final LocalDb reads;
    private final MasterLink master;
    private final Duration catchUp;

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
}
