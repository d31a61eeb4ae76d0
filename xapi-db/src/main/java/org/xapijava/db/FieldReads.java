package org.xapijava.db;

import java.util.List;
import org.xapijava.model.Field;
import org.xapijava.model.types.Refs;

/**
 * The reads every view of the database offers: a field by typed handle, whether a row exists, the rows of a class and the rows
 * whose field has a value. Both the
 * {@link Db} interface (each read one atomic step on the latest state) and a {@link DbReader} (one fixed state:
 * a snapshot or a transaction) are such views, so checks that only read fields (boot checks, memory overheads)
 * are written once and run on either.
 */
public interface FieldReads {
    /** A field's value; {@code HANDLE_INVALID [cls, ref]} when the row is missing. */
    <T> T get(String ref, Field<T> field);

    /** Whether {@code ref} is a row of {@code cls}. */
    boolean exists(String cls, String ref);

    /** The refs of the rows of the field's class whose field equals {@code value}. */
    <T> List<String> where(Field<T> field, T value);

    /** Every ref of class {@code cls}. */
    List<String> all(String cls);

    /** Xapi's {@code Db.is_valid_ref}: {@code ref} is not null ({@code OpaqueRef:NULL} nor empty) and a row of {@code cls}. */
    default boolean isValid(String cls, String ref) {
        return !Refs.isNull(ref) && exists(cls, ref);
    }
}
