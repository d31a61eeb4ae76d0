package org.xapijava.db;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;
import org.xapijava.model.Field;
import org.xapijava.model.errors.ApiError;

/**
 * The database as message code reaches it, through typed field handles ({@code db.get(vm, VM.POWER_STATE)}):
 * the in-memory database on the pool master ({@link LocalDb}), a client of the master's on a member (Xapi's
 * {@code Db_remote_cache_access}), with the same code above both. Each method is one atomic step on the latest
 * state, as one of Xapi's generated {@code Db.*} calls is; several steps that must happen together are one
 * {@link Update}. Reads of several fields that must be consistent use {@link #record}. Classes are named by the
 * generated classes' {@code XAPI_CLASS} constants. Values are the Java forms of
 * {@link org.xapijava.model.types.XType}; errors are Xapi's ({@code HANDLE_INVALID}, {@code UUID_INVALID},
 * {@code MAP_DUPLICATE_KEY}, {@code INTERNAL_ERROR ["Db_exn.Invalid_value"]} for text the database refuses).
 * Implementations are thread-safe.
 */
public interface Db extends FieldReads {

    /** An {@link Update}'s optimistic precondition failed: re-read and try again. */
    final class Conflict extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public Conflict(String message) {
            super(message, null, false, false);
        }
    }

    /** How many conflicts in a row {@link #retrying} absorbs before it gives up and throws the last one. */
    int MAX_CONFLICTS = 1000;

    /**
     * Runs {@code attempt} again while it throws {@link Conflict}: the optimistic loop around reads and one
     * {@link #apply} whose preconditions ({@link Update.Builder#unchanged}, {@link Update.Builder#expect} without
     * an error) say what those reads saw. Each conflict means another writer committed in between, so some
     * caller always makes progress; after {@link #MAX_CONFLICTS} conflicts in a row the last one is thrown. The
     * attempt must re-read everything it decides on: it starts afresh each time.
     */
    static <R> R retrying(Supplier<R> attempt) {
        for (int i = 1; ; i++) {
            try {
                return attempt.get();
            } catch (Conflict c) {
                if (i >= MAX_CONFLICTS) throw c;
            }
        }
    }

    /** {@link #retrying(Supplier)} for an attempt with no result. */
    static void retrying(Runnable attempt) {
        retrying(() -> {
            attempt.run();
            return null;
        });
    }

    // ------------------------------------------------------------------ reads

    /** A field's value; {@code HANDLE_INVALID [cls, ref]} when the row is missing. */
    @Override
    <T> T get(String ref, Field<T> field);

    /** Whether {@code ref} is a row of {@code cls}. */
    @Override
    boolean exists(String cls, String ref);

    /** The whole record as clients see it (fields by wire name); {@code HANDLE_INVALID} when missing. */
    Map<String, Object> record(String cls, String ref);

    /**
     * Every database column of the row (hidden ones included, {@code _ref} not) in the database's string form, in
     * datamodel order, as Xapi's remote database access reads a record; {@code HANDLE_INVALID} when missing.
     */
    Map<String, String> columns(String cls, String ref);

    /** A field's value in a record keyed by wire name ({@link #record}, a constructor record), typed. */
    static <T> T value(Map<String, ?> record, Field<T> field) {
        return field.cast(record.get(field.name()));
    }

    /** Every ref of {@code cls}. */
    List<String> all(String cls);

    /** Every record of {@code cls}, by ref. */
    Map<String, Map<String, Object>> allRecords(String cls);

    /** The refs of the rows matching a where-expression ({@link WhereExpr}), as {@code get_all_where}. */
    List<String> allWhere(String cls, String expr);

    /** The records of the rows matching a where-expression, by ref, as {@code get_all_records_where}. */
    Map<String, Map<String, Object>> allRecordsWhere(String cls, String expr);

    /** The refs of the rows of the field's class whose field equals {@code value}. */
    <T> List<String> where(Field<T> field, T value);

    /** The ref of the object of {@code cls} with this uuid; {@code UUID_INVALID [cls, uuid]} when none. */
    String byUuid(String cls, String uuid);

    /** The ref of the object of {@code cls} with this uuid, if there is one. */
    default Optional<String> findByUuid(String cls, String uuid) {
        try {
            return Optional.of(byUuid(cls, uuid));
        } catch (ApiError e) {
            if ("UUID_INVALID".equals(e.code())) return Optional.empty();
            throw e;
        }
    }

    /** The refs of the objects of {@code cls} whose name_label is exactly {@code label}. */
    List<String> byNameLabel(String cls, String label);

    /** The generation at which {@code ref} was created (orders rows by creation); HANDLE_INVALID. */
    long created(String cls, String ref);

    /** The generation at which {@code ref} was last modified (for {@link Update#unchanged}); HANDLE_INVALID. */
    long modified(String cls, String ref);

    /**
     * {@link #modified} of {@code ref} when it is a row of {@code cls} (Xapi's {@code Db.is_valid_ref}), for an
     * {@link Update.Builder#unchanged} that makes an update conditional on the row still being there as read;
     * empty when {@code ref} is NULL or names no row of {@code cls}.
     */
    default OptionalLong version(String cls, String ref) {
        if (org.xapijava.model.types.Refs.isNull(ref)) return OptionalLong.empty();
        try {
            return OptionalLong.of(modified(cls, ref));
        } catch (ApiError e) {
            if ("HANDLE_INVALID".equals(e.code())) return OptionalLong.empty();
            throw e;
        }
    }

    // ------------------------------------------------------------------ writes, each atomic

    /** Creates a row; fields not given take their datamodel defaults. */
    void create(String ref, FieldValues values);

    /** Creates a row under a fresh ref and returns it. */
    default String create(FieldValues values) {
        String ref = org.xapijava.model.types.Refs.fresh();
        create(ref, values);
        return ref;
    }

    <T> void set(String ref, Field<T> field, T value);

    void delete(String cls, String ref);

    /** Adds an element to a set field (no change when present). */
    <E> void addToSet(String ref, Field<List<E>> field, E element);

    <E> void removeFromSet(String ref, Field<List<E>> field, E element);

    /** Adds a key; {@code MAP_DUPLICATE_KEY} when present. */
    <K, V> void addToMap(String ref, Field<Map<K, V>> field, K key, V value);

    /** Removes a key (no change when absent). */
    <K, V> void removeFromMap(String ref, Field<Map<K, V>> field, K key);

    /**
     * Checks every precondition of {@code update}, then applies every operation, atomically: all or nothing.
     *
     * @throws Conflict when an {@link Update.Unchanged} (or an {@link Update.Equals} without its own error) fails
     * @throws ApiError a failed precondition's error, or an operation's (then nothing is applied)
     */
    void apply(Update update);
}
