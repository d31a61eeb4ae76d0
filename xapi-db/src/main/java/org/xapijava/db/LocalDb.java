package org.xapijava.db;

import java.util.List;
import java.util.Map;
import org.xapijava.model.Field;
import org.xapijava.model.errors.ApiError;

/**
 * {@link Db} over the in-memory {@link Database} of this host (the pool master's database): reads see the latest
 * published snapshot without waiting; each write, and each {@link Update}, is one transaction. Thread-safe.
 */
public final class LocalDb implements Db {
    private final Database db;

    public LocalDb(Database db) {
        this.db = db;
    }

    /** The database underneath, for the code that owns it (start-up, persistence, events). */
    public Database database() {
        return db;
    }

    @Override
    public <T> T get(String ref, Field<T> field) {
        return db.snapshot().get(ref, field);
    }

    @Override
    public boolean exists(String cls, String ref) {
        return db.snapshot().exists(cls, ref);
    }

    @Override
    public Map<String, Object> record(String cls, String ref) {
        return db.snapshot().getRecord(cls, ref);
    }

    @Override
    public Map<String, String> columns(String cls, String ref) {
        Snapshot s = db.snapshot();
        if (!s.exists(cls, ref)) throw ApiError.handleInvalid(cls, ref);
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (var f : s.datamodel().cls(cls).dbFields()) out.put(f.column(), s.getDbString(cls, ref, f.column()));
        return out;
    }

    @Override
    public List<String> all(String cls) {
        return db.snapshot().all(cls);
    }

    @Override
    public Map<String, Map<String, Object>> allRecords(String cls) {
        return db.snapshot().getAllRecords(cls);
    }

    @Override
    public List<String> allWhere(String cls, String expr) {
        return db.snapshot().getAllWhere(cls, expr);
    }

    @Override
    public Map<String, Map<String, Object>> allRecordsWhere(String cls, String expr) {
        return db.snapshot().getAllRecordsWhere(cls, expr);
    }

    @Override
    public <T> List<String> where(Field<T> field, T value) {
        return db.snapshot().where(field, value);
    }

    @Override
    public String byUuid(String cls, String uuid) {
        return db.snapshot().getByUuid(cls, uuid);
    }

    @Override
    public List<String> byNameLabel(String cls, String label) {
        return db.snapshot().getByNameLabel(cls, label);
    }

    @Override
    public long created(String cls, String ref) {
        return db.snapshot().stat(cls, ref).created();
    }

    @Override
    public long modified(String cls, String ref) {
        return db.snapshot().stat(cls, ref).modified();
    }

    @Override
    public void create(String ref, FieldValues values) {
        db.transact(tx -> tx.create(values.cls(), ref, values.byName()));
    }

    @Override
    public <T> void set(String ref, Field<T> field, T value) {
        db.transact(tx -> tx.set(ref, field, value));
    }

    @Override
    public void delete(String cls, String ref) {
        db.transact(tx -> tx.delete(cls, ref));
    }

    @Override
    public <E> void addToSet(String ref, Field<List<E>> field, E element) {
        db.transact(tx -> tx.addToSet(field.cls(), ref, field.name(), element));
    }

    @Override
    public <E> void removeFromSet(String ref, Field<List<E>> field, E element) {
        db.transact(tx -> tx.removeFromSet(field.cls(), ref, field.name(), element));
    }

    @Override
    public <K, V> void addToMap(String ref, Field<Map<K, V>> field, K key, V value) {
        db.transact(tx -> tx.addToMap(field.cls(), ref, field.name(), key, value));
    }

    @Override
    public <K, V> void removeFromMap(String ref, Field<Map<K, V>> field, K key) {
        db.transact(tx -> tx.removeFromMap(field.cls(), ref, field.name(), key));
    }

    @Override
    public void apply(Update update) {
        db.transact(tx -> {
            for (Update.Precondition p : update.preconditions()) check(tx, p);
            for (Update.Op op : update.ops()) apply(tx, op);
        });
    }

    private static void check(Transaction tx, Update.Precondition p) {
        switch (p) {
            case Update.Exists e -> {
                if (!tx.exists(e.cls(), e.ref())) throw ApiError.handleInvalid(e.cls(), e.ref());
            }
            case Update.Equals e -> {
                Field<?> f = e.field();
                boolean holds = tx.exists(f.cls(), e.ref())
                        && Transaction.sameValue(tx.get(f.cls(), e.ref(), f.name()), e.value());
                if (!holds) {
                    if (e.onFailure() != null) throw e.onFailure();
                    throw new Conflict(f + " of " + e.ref() + " is no longer " + e.value());
                }
            }
            case Update.Unchanged u -> {
                if (!tx.exists(u.cls(), u.ref()) || tx.stat(u.cls(), u.ref()).modified() != u.modified()) {
                    throw new Conflict(u.cls() + " " + u.ref() + " changed since generation " + u.modified());
                }
            }
            case Update.SameRows r -> {
                java.util.Set<String> now = new java.util.HashSet<>(
                        r.field() == null ? tx.all(r.cls()) : tx.where(anyField(r.field()), r.value()));
                if (!now.equals(r.refs())) {
                    throw new Conflict("the rows of " + r.cls()
                            + (r.field() == null ? "" : " with " + r.field() + " = " + r.value()) + " changed");
                }
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Field<Object> anyField(Field<?> f) {
        return (Field<Object>) f;
    }

    private static void apply(Transaction tx, Update.Op op) {
        switch (op) {
            case Update.Create c -> tx.create(c.cls(), c.ref(), c.values());
            case Update.Set s -> tx.set(s.field().cls(), s.ref(), s.field().name(), s.value());
            case Update.Delete d -> tx.delete(d.cls(), d.ref());
            case Update.AddToSet a ->
                tx.addToSet(a.field().cls(), a.ref(), a.field().name(), a.element());
            case Update.RemoveFromSet r ->
                tx.removeFromSet(r.field().cls(), r.ref(), r.field().name(), r.element());
            case Update.AddToMap a ->
                tx.addToMap(a.field().cls(), a.ref(), a.field().name(), a.key(), a.value());
            case Update.RemoveFromMap r ->
                tx.removeFromMap(r.field().cls(), r.ref(), r.field().name(), r.key());
        }
    }
}
