package org.xapijava.model;

/**
 * A datamodel relation between two fields. For {@code ONE_TO_MANY}, {@code aField} of {@code aClass} is a
 * single reference and {@code bField} of {@code bClass} is the set of references pointing back at it
 * (e.g. {@code VBD.VM} / {@code VM.VBDs}); the set side is maintained by the database.
 */
public record Relation(Kind kind, String aClass, String aField, String bClass, String bField) {
    public enum Kind {
        ONE_TO_MANY,
        MANY_TO_MANY
    }
}
