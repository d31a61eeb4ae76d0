package org.xapijava.server.bootstrap;

import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.db.Update;
import org.xapijava.model.Field;

/**
 * A {@link Db} that stops the process, as a crash would, before a chosen write: every write (each atomic step)
 * is counted and offered to {@code crashBefore} as an {@link Update}; when it answers true the write is not made
 * and {@link Crash} is thrown. Reads pass through.
 */
final class InterruptedDb implements Db {
    /** The simulated crash. */
    static final class Crash extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Crash(int step) {
            super("crash before write " + step, null, false, false);
        }
    }

    private final Db db;
    private final Predicate<Update> crashBefore;
    private int writes;

    InterruptedDb(Db db, Predicate<Update> crashBefore) {
        this.db = db;
        this.crashBefore = crashBefore;
    }

    /** A database that crashes before its {@code n}th write (0-based). */
    static InterruptedDb beforeWrite(Db db, int n) {
        int[] seen = {0};
        return new InterruptedDb(db, u -> seen[0]++ == n);
    }

    /** The writes made so far. */
    int writes() {
        return writes;
    }

    private void write(Update asData) {
        if (crashBefore.test(asData)) throw new Crash(writes);
        writes++;
    }

    @Override
    public <T> T get(String ref, Field<T> field) {
        return db.get(ref, field);
    }

    @Override
    public boolean exists(String cls, String ref) {
        return db.exists(cls, ref);
    }

    @Override
    public Map<String, Object> record(String cls, String ref) {
        return db.record(cls, ref);
    }

    @Override
    public Map<String, String> columns(String cls, String ref) {
        return db.columns(cls, ref);
    }

    @Override
    public List<String> all(String cls) {
        return db.all(cls);
    }

    @Override
    public Map<String, Map<String, Object>> allRecords(String cls) {
        return db.allRecords(cls);
    }

    @Override
    public List<String> allWhere(String cls, String expr) {
        return db.allWhere(cls, expr);
    }

    @Override
    public Map<String, Map<String, Object>> allRecordsWhere(String cls, String expr) {
        return db.allRecordsWhere(cls, expr);
    }

    @Override
    public <T> List<String> where(Field<T> field, T value) {
        return db.where(field, value);
    }

    @Override
    public String byUuid(String cls, String uuid) {
        return db.byUuid(cls, uuid);
    }

    @Override
    public List<String> byNameLabel(String cls, String label) {
        return db.byNameLabel(cls, label);
    }

    @Override
    public long created(String cls, String ref) {
        return db.created(cls, ref);
    }

    @Override
    public long modified(String cls, String ref) {
        return db.modified(cls, ref);
    }

    @Override
    public void create(String ref, FieldValues values) {
        write(Update.builder().create(ref, values).build());
        db.create(ref, values);
    }

    @Override
    public <T> void set(String ref, Field<T> field, T value) {
        write(Update.builder().set(ref, field, value).build());
        db.set(ref, field, value);
    }

    @Override
    public void delete(String cls, String ref) {
        write(Update.builder().delete(cls, ref).build());
        db.delete(cls, ref);
    }

    @Override
    public <E> void addToSet(String ref, Field<List<E>> field, E element) {
        write(Update.builder().addToSet(ref, field, element).build());
        db.addToSet(ref, field, element);
    }

    @Override
    public <E> void removeFromSet(String ref, Field<List<E>> field, E element) {
        write(Update.builder().removeFromSet(ref, field, element).build());
        db.removeFromSet(ref, field, element);
    }

    @Override
    public <K, V> void addToMap(String ref, Field<Map<K, V>> field, K key, V value) {
        write(Update.builder().addToMap(ref, field, key, value).build());
        db.addToMap(ref, field, key, value);
    }

    @Override
    public <K, V> void removeFromMap(String ref, Field<Map<K, V>> field, K key) {
        write(Update.builder().removeFromMap(ref, field, key).build());
        db.removeFromMap(ref, field, key);
    }

    @Override
    public void apply(Update update) {
        write(update);
        db.apply(update);
    }
}
