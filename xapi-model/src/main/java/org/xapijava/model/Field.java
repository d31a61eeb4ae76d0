package org.xapijava.model;

/**
 * A typed handle on one field, for hand-written code ({@code db.get(ref, VM.NAME_LABEL)}). The
 * generated classes in {@code org.xapijava.model.api} hold one constant per field. {@code T} is the
 * Java representation of the field's type (see {@link org.xapijava.model.types.XType}).
 */
public record Field<T>(String cls, String name) {

    /** The field's definition in the datamodel of this build. */
    public FieldDef def() {
        return Datamodel.get().cls(cls).field(name);
    }

    /** Casts a stored value to this field's Java type. */
    @SuppressWarnings("unchecked")
    public T cast(Object value) {
        return (T) value;
    }

    @Override
    public String toString() {
        return cls + "." + name;
    }
}
