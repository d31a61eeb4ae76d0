package org.xapijava.model.rpc;

import java.util.AbstractMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.xapijava.model.ClassDef;
import org.xapijava.model.Datamodel;
import org.xapijava.model.FieldDef;
import org.xapijava.model.types.XType;

/**
 * A database-like record for the writers' tests: values by wire position and a version object standing for them,
 * as the database's immutable rows are. Every field holds its default but {@code name_label}.
 */
public final class VersionedRecord extends AbstractMap<String, Object> implements WireRecord {
    public final ClassDef cls;
    public final Object[] values;
    private final Object version = new Object();

    public VersionedRecord(ClassDef cls, String nameLabel) {
        this.cls = cls;
        Datamodel dm = Datamodel.get();
        values = new Object[cls.wireFields().size()];
        for (int i = 0; i < values.length; i++) {
            FieldDef f = cls.wireFields().get(i);
            values[i] = f.name().equals("name_label")
                    ? nameLabel
                    : f.type() instanceof XType.OptionType
                            ? null
                            : f.hasDefault() ? f.defaultValue() : dm.emptyValue(f.type());
        }
    }

    /** Changes a value behind the version's back (which a database row never does): shows a kept encoding reused. */
    public void changeInPlace(String field, Object value) {
        for (int i = 0; i < values.length; i++)
            if (cls.wireFields().get(i).name().equals(field)) values[i] = value;
    }

    @Override
    public ClassDef wireClass() {
        return cls;
    }

    @Override
    public Object wireValue(int i) {
        return values[i];
    }

    @Override
    public Object version() {
        return version;
    }

    @Override
    public Set<Map.Entry<String, Object>> entrySet() {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) m.put(cls.wireFields().get(i).name(), values[i]);
        return m.entrySet();
    }
}
