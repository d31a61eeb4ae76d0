package org.xapijava.db;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.xapijava.model.Field;

/**
 * Reads through a {@link Db} that remember what they saw, so that an {@link Update} can require none of it to have
 * changed when it is applied ({@link #preconditions()}): a check over several rows (a host's free memory over the
 * VMs resident on it) and the write it allows become one atomic step without a transaction closure, and the step
 * can cross the wire as data. Used with {@link Db#retrying}: a {@link Db.Conflict} means another write came between,
 * and the attempt is made again with a fresh read set.
 *
 * <p>Each row read is required unchanged ({@link Update.Unchanged}; its generation is taken before its value, so a
 * write in between is a conflict, never a stale value let through); each list of rows ({@link #where},
 * {@link #all}) is required to be the same set ({@link Update.SameRows}). A row found absent by {@link #exists} is
 * not required to stay absent. One thread's; not thread-safe.
 */
public final class ReadSet implements FieldReads {
    private final Db db;
    private final Map<String, Update.Unchanged> rows = new LinkedHashMap<>();
    private final List<Update.SameRows> sets = new ArrayList<>();

    public ReadSet(Db db) {
        this.db = db;
    }

    private void seen(String cls, String ref) {
        if (!rows.containsKey(ref)) rows.put(ref, new Update.Unchanged(cls, ref, db.modified(cls, ref)));
    }

    @Override
    public <T> T get(String ref, Field<T> field) {
        seen(field.cls(), ref);
        return db.get(ref, field);
    }

    @Override
    public boolean exists(String cls, String ref) {
        var version = db.version(cls, ref);
        if (version.isEmpty()) return false;
        rows.putIfAbsent(ref, new Update.Unchanged(cls, ref, version.getAsLong()));
        return true;
    }

    @Override
    public <T> List<String> where(Field<T> field, T value) {
        List<String> refs = db.where(field, value);
        sets.add(new Update.SameRows(field.cls(), field, value, new LinkedHashSet<>(refs)));
        return refs;
    }

    @Override
    public List<String> all(String cls) {
        List<String> refs = db.all(cls);
        sets.add(new Update.SameRows(cls, null, null, new LinkedHashSet<>(refs)));
        return refs;
    }

    /**
     * {@link Db#retrying} for an attempt made with a fresh read set, which also starts again when a row went away
     * between two of its reads (another writer deleted it): {@code HANDLE_INVALID} from a read, or from the update of a
     * row deleted meanwhile, is a conflict like any other.
     */
    public static <R> R retrying(java.util.function.Supplier<R> attempt) {
        return Db.retrying(() -> {
            try {
                return attempt.get();
            } catch (org.xapijava.model.errors.ApiError e) {
                if ("HANDLE_INVALID".equals(e.code())) throw new Db.Conflict(e.getMessage());
                throw e;
            }
        });
    }

    /** What an update must require for everything read here to be as it was read. */
    public List<Update.Precondition> preconditions() {
        List<Update.Precondition> out = new ArrayList<>(rows.values());
        out.addAll(sets);
        return out;
    }
}
