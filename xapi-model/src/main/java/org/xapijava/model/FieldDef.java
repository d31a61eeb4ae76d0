package org.xapijava.model;

import org.xapijava.model.types.XType;

/**
 * One field of a class.
 *
 * @param cls          the class name
 * @param name         the wire name (namespaces joined with {@code _}, e.g. {@code name_label})
 * @param column       the database column (namespaces joined with {@code __}, e.g. {@code name__label})
 * @param type         the type
 * @param qualifier    who may write it
 * @param defaultValue the default (Java value of {@code type}, see {@link XType}), or null when {@code !hasDefault}
 * @param hasDefault   whether the datamodel gives a default
 * @param persist      whether the value is written to {@code state.db}
 * @param internal     internal-only: kept in the database, never sent to clients
 * @param lifecycle    lifecycle state; {@link Lifecycle#REMOVED} fields are neither stored nor sent
 */
public record FieldDef(
        String cls,
        String name,
        String column,
        XType type,
        Qualifier qualifier,
        Object defaultValue,
        boolean hasDefault,
        boolean persist,
        boolean internal,
        Lifecycle lifecycle) {

    /** Whether clients see this field in records and through getters. */
    public boolean onWire() {
        return !internal && lifecycle != Lifecycle.REMOVED;
    }

    /** Whether the database keeps a column for it. */
    public boolean inDatabase() {
        return lifecycle != Lifecycle.REMOVED;
    }
}
