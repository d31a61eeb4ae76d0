package org.xapijava.db;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.xapijava.model.Field;
import org.xapijava.model.errors.ApiError;

/**
 * Several changes applied atomically, expressed as data so that they can be sent to the database wherever it
 * is (the master's, for a pool member): preconditions, all checked first, then operations, all applied or none.
 * Built with {@link #builder()}; immutable. A failed precondition throws its {@link ApiError} or, for
 * {@link Unchanged}, {@link Db.Conflict} (the caller re-reads and tries again: optimistic concurrency).
 *
 * @param preconditions checked in order before anything is changed
 * @param ops           applied in order, each seeing the effects of the ones before
 */
public record Update(List<Precondition> preconditions, List<Op> ops) {

    public Update {
        preconditions = List.copyOf(preconditions);
        ops = List.copyOf(ops);
    }

    /** What must hold before the operations run. */
    public sealed interface Precondition {}

    /** The row exists; else {@code HANDLE_INVALID [cls, ref]}. */
    public record Exists(String cls, String ref) implements Precondition {}

    /**
     * The field holds {@code value}; else {@code onFailure} (null: {@link Db.Conflict}). A missing row fails
     * the same way.
     */
    public record Equals(String ref, Field<?> field, Object value, ApiError onFailure) implements Precondition {}

    /**
     * The row has not been modified since generation {@code modified} (what {@link Db#modified} returned when
     * the caller read it); else {@link Db.Conflict}. A missing row counts as modified.
     */
    public record Unchanged(String cls, String ref, long modified) implements Precondition {}

    /**
     * The rows of {@code cls} whose {@code field} equals {@code value} (every row of {@code cls} when
     * {@code field} is null) are exactly {@code refs}, as when the caller listed them; else {@link Db.Conflict}.
     * Catches a row that joined or left the set, which {@link Unchanged} on the rows read cannot.
     */
    public record SameRows(String cls, Field<?> field, Object value, java.util.Set<String> refs)
            implements Precondition {
        public SameRows {
            refs = java.util.Set.copyOf(refs);
        }
    }

    /** One change. */
    public sealed interface Op {}

    public record Create(String ref, String cls, Map<String, Object> values) implements Op {
        public Create {
            values = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(values));
        }
    }

    public record Set(String ref, Field<?> field, Object value) implements Op {}

    public record Delete(String cls, String ref) implements Op {}

    public record AddToSet(String ref, Field<?> field, Object element) implements Op {}

    public record RemoveFromSet(String ref, Field<?> field, Object element) implements Op {}

    public record AddToMap(String ref, Field<?> field, Object key, Object value) implements Op {}

    public record RemoveFromMap(String ref, Field<?> field, Object key) implements Op {}

    public static Builder builder() {
        return new Builder();
    }

    /** Collects preconditions and operations with typed handles. Not thread-safe. */
    public static final class Builder {
        private final List<Precondition> pre = new ArrayList<>();
        private final List<Op> ops = new ArrayList<>();

        private Builder() {}

        public Builder exists(String cls, String ref) {
            pre.add(new Exists(cls, ref));
            return this;
        }

        /** Requires {@code field} of {@code ref} to hold {@code value}, else throws {@code onFailure}. */
        public <T> Builder expect(String ref, Field<T> field, T value, ApiError onFailure) {
            pre.add(new Equals(ref, field, value, onFailure));
            return this;
        }

        /** Requires the row to be as the caller read it (its modification generation). */
        public Builder unchanged(String cls, String ref, long modified) {
            pre.add(new Unchanged(cls, ref, modified));
            return this;
        }

        /** Adds preconditions made elsewhere (e.g. {@link ReadSet#preconditions()}). */
        public Builder require(List<Precondition> preconditions) {
            pre.addAll(preconditions);
            return this;
        }

        public Builder create(String ref, FieldValues values) {
            ops.add(new Create(ref, values.cls(), values.byName()));
            return this;
        }

        public <T> Builder set(String ref, Field<T> field, T value) {
            ops.add(new Set(ref, field, value));
            return this;
        }

        public Builder delete(String cls, String ref) {
            ops.add(new Delete(cls, ref));
            return this;
        }

        public <E> Builder addToSet(String ref, Field<List<E>> field, E element) {
            ops.add(new AddToSet(ref, field, element));
            return this;
        }

        public <E> Builder removeFromSet(String ref, Field<List<E>> field, E element) {
            ops.add(new RemoveFromSet(ref, field, element));
            return this;
        }

        public <K, V> Builder addToMap(String ref, Field<Map<K, V>> field, K key, V value) {
            ops.add(new AddToMap(ref, field, key, value));
            return this;
        }

        public <K, V> Builder removeFromMap(String ref, Field<Map<K, V>> field, K key) {
            ops.add(new RemoveFromMap(ref, field, key));
            return this;
        }

        public boolean isEmpty() {
            return ops.isEmpty();
        }

        public Update build() {
            return new Update(pre, ops);
        }
    }

    @Override
    public String toString() {
        return "Update" + Objects.toString(preconditions) + ops;
    }
}
