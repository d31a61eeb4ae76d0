package org.xapijava.db;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.xapijava.model.Field;

/**
 * The field values of a row to create, set through typed handles: {@code FieldValues.of(VM.XAPI_CLASS)
 * .with(VM.UUID, uuid).with(VM.NAME_LABEL, "x")}. Fields not given take their datamodel default. Mutable while
 * built, then handed to {@link Db#create}; not thread-safe.
 */
public final class FieldValues {
    private final String cls;
    private final Map<String, Object> values = new LinkedHashMap<>();

    private FieldValues(String cls) {
        this.cls = Objects.requireNonNull(cls);
    }

    /** An empty set of values for a row of {@code cls} (the generated classes' {@code XAPI_CLASS}). */
    public static FieldValues of(String cls) {
        return new FieldValues(cls);
    }

    /**
     * The values of a record keyed by field name (a constructor's record, as the decoder checked it).
     *
     * @throws IllegalArgumentException when a name is not a field of {@code cls}
     */
    public static FieldValues ofNames(String cls, Map<String, ?> byName) {
        FieldValues v = new FieldValues(cls);
        for (Map.Entry<String, ?> e : byName.entrySet()) v.with(new Field<Object>(cls, e.getKey()), e.getValue());
        return v;
    }

    /**
     * Sets {@code field} to {@code value}.
     *
     * @throws IllegalArgumentException when the field is not one of this class's
     */
    public <T> FieldValues with(Field<T> field, T value) {
        if (!field.cls().equals(cls)) throw new IllegalArgumentException(field + " is not a field of " + cls);
        values.put(field.name(), value);
        return this;
    }

    public String cls() {
        return cls;
    }

    /** The values by wire field name, in the order given. */
    public Map<String, Object> byName() {
        return Collections.unmodifiableMap(values);
    }

    @Override
    public String toString() {
        return cls + values;
    }
}
