package org.xapijava.db.internal;

/**
 * One immutable row: its ref, creation and last modification generations, and its values (Java values
 * of the column types, see {@link org.xapijava.model.types.XType}) indexed by
 * {@link org.xapijava.model.ClassDef#dbIndex}. The array is never modified after construction.
 */
public record Row(String ref, long created, long modified, Object[] values) {

    /** A copy with one value replaced and stamped modified at {@code gen}. */
    public Row with(int field, Object value, long gen) {
        Object[] vs = values.clone();
        vs[field] = value;
        return new Row(ref, created, gen, vs);
    }

    public Row touched(long gen) {
        return new Row(ref, created, gen, values);
    }
}
