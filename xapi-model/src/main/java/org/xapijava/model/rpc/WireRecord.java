package org.xapijava.model.rpc;

import org.xapijava.model.ClassDef;

/**
 * A record map that holds its values by wire-field position: value {@code i} is the value of
 * {@code wireClass().wireFields().get(i)}, already of its field's type (the database checks values when they are
 * written). {@link Marshal#record} reads such a record by position instead of matching names, and passes its sets
 * and maps of scalars through without checking them again (the database's record views are such records).
 */
public interface WireRecord {
    /** The class whose {@link ClassDef#wireFields()} the positions follow. */
    ClassDef wireClass();

    /** The value of wire field {@code i}. */
    Object wireValue(int i);

    /**
     * An object standing for exactly these values: two records of the same class with the same non-null version
     * (compared by identity) hold the same values, so encoders may reuse what they wrote for it. The database's
     * immutable row; null when the record has no such object.
     */
    default Object version() {
        return null;
    }
}
