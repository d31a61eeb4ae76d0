package org.xapijava.model.rpc;

import org.xapijava.model.ClassDef;

/**
 * A record map that holds its values by wire-field position: value {@code i} is the value of
 * {@code wireClass().wireFields().get(i)}. {@link Marshal#record} reads such a record by position instead of
 * matching names (the database's record views are ones).
 */
public interface WireRecord {
    /** The class whose {@link ClassDef#wireFields()} the positions follow. */
    ClassDef wireClass();

    /** The value of wire field {@code i}. */
    Object wireValue(int i);
}
