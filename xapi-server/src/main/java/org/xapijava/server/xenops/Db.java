package org.xapijava.server.xenops;

import java.util.List;
import java.util.Map;
import org.xapijava.db.DbReader;
import org.xapijava.model.types.Refs;

/** Typed reads of database rows (snapshots or transactions) for this package. Stateless. */
final class Db {
    private Db() {}

    /** Whether {@code ref} names a row of {@code cls} (Xapi's {@code Db.is_valid_ref}). */
    static boolean valid(DbReader r, String cls, String ref) {
        return ref != null && !Refs.isNull(ref) && r.exists(cls, ref);
    }

    static String str(DbReader r, String cls, String ref, String field) {
        return (String) r.get(cls, ref, field);
    }

    static long lng(DbReader r, String cls, String ref, String field) {
        return (Long) r.get(cls, ref, field);
    }

    static double dbl(DbReader r, String cls, String ref, String field) {
        return (Double) r.get(cls, ref, field);
    }

    static boolean bool(DbReader r, String cls, String ref, String field) {
        return (Boolean) r.get(cls, ref, field);
    }

    @SuppressWarnings("unchecked")
    static Map<String, String> map(DbReader r, String cls, String ref, String field) {
        return (Map<String, String>) r.get(cls, ref, field);
    }

    @SuppressWarnings("unchecked")
    static List<String> list(DbReader r, String cls, String ref, String field) {
        return (List<String>) r.get(cls, ref, field);
    }

    /** Whether the datamodel has {@code cls.field} (some Xapi fields are absent from older datamodels). */
    static boolean hasField(DbReader r, String cls, String field) {
        return r.datamodel().cls(cls).field(field) != null;
    }
}
