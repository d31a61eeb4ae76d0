package org.xapijava.server;

import java.util.List;
import java.util.Map;
import org.xapijava.db.DbReader;

/**
 * Typed reads of one database state (a snapshot or a transaction), for hand-written server code:
 * the cast a field's {@link org.xapijava.model.types.XType} implies (Xapi's {@code Db.is_valid_ref} is
 * {@link org.xapijava.db.FieldReads#isValid}). A missing row throws {@code HANDLE_INVALID} as {@link DbReader#get} does.
 * Stateless.
 */
public final class DbValues {
    private DbValues() {}

    public static String str(DbReader r, String cls, String ref, String field) {
        return (String) r.get(cls, ref, field);
    }

    public static boolean bool(DbReader r, String cls, String ref, String field) {
        return (Boolean) r.get(cls, ref, field);
    }

    /** A {@code (string -> string) map} field. */
    @SuppressWarnings("unchecked")
    public static Map<String, String> map(DbReader r, String cls, String ref, String field) {
        return (Map<String, String>) r.get(cls, ref, field);
    }

    /** A set or list of strings or refs. */
    @SuppressWarnings("unchecked")
    public static List<String> list(DbReader r, String cls, String ref, String field) {
        return (List<String>) r.get(cls, ref, field);
    }
}
