package org.xapijava.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One class of the datamodel (a database table when it has fields). Immutable after loading; field and
 * message order is the datamodel's, which is the order records are written on the wire.
 */
public final class ClassDef {
    private final String name;
    private final boolean persistent;
    private final boolean events;
    private final Lifecycle lifecycle;
    private final List<FieldDef> fields;
    private final List<FieldDef> wireFields;
    private final String[] wireFieldNames;
    private final List<FieldDef> dbFields;
    private final Map<String, FieldDef> fieldsByName = new LinkedHashMap<>();
    private final Map<String, FieldDef> fieldsByColumn = new LinkedHashMap<>();
    private final Map<String, Integer> dbIndex = new LinkedHashMap<>();
    private final Map<String, MessageDef> messages = new LinkedHashMap<>();

    public ClassDef(
            String name,
            boolean persistent,
            boolean events,
            Lifecycle lifecycle,
            List<FieldDef> fields,
            List<MessageDef> messages) {
        this.name = name;
        this.persistent = persistent;
        this.events = events;
        this.lifecycle = lifecycle;
        this.fields = List.copyOf(fields);
        List<FieldDef> wire = new ArrayList<>();
        List<FieldDef> db = new ArrayList<>();
        for (FieldDef f : fields) {
            fieldsByName.put(f.name(), f);
            fieldsByColumn.put(f.column(), f);
            if (f.onWire()) wire.add(f);
            if (f.inDatabase()) {
                dbIndex.put(f.name(), db.size());
                db.add(f);
            }
        }
        this.wireFields = Collections.unmodifiableList(wire);
        this.wireFieldNames = wire.stream().map(FieldDef::name).toArray(String[]::new);
        this.dbFields = Collections.unmodifiableList(db);
        for (MessageDef m : messages) this.messages.put(m.name(), m);
    }

    public String name() {
        return name;
    }

    /** Whether rows of this class are written to {@code state.db} (false for session, task, ...). */
    public boolean persistent() {
        return persistent;
    }

    /** Whether changes to this class produce events. */
    public boolean events() {
        return events;
    }

    public Lifecycle lifecycle() {
        return lifecycle;
    }

    /** Every field, including internal and removed ones. */
    public List<FieldDef> fields() {
        return fields;
    }

    /** Fields sent to clients, in record order. */
    public List<FieldDef> wireFields() {
        return wireFields;
    }

    /**
     * The names of {@link #wireFields()}, in order: one array per class, shared (callers must not change it), so
     * that a record holding it can be recognised by identity.
     */
    public String[] wireFieldNames() {
        return wireFieldNames;
    }

    /** Fields stored in the database, in datamodel order; a field's position is {@link #dbIndex}. */
    public List<FieldDef> dbFields() {
        return dbFields;
    }

    /** Position of a field among {@link #dbFields()}, or -1. */
    public int dbIndex(String fieldName) {
        Integer i = dbIndex.get(fieldName);
        return i == null ? -1 : i;
    }

    public FieldDef field(String fieldName) {
        return fieldsByName.get(fieldName);
    }

    public FieldDef fieldByColumn(String column) {
        return fieldsByColumn.get(column);
    }

    public Map<String, MessageDef> messages() {
        return Collections.unmodifiableMap(messages);
    }

    public MessageDef message(String messageName) {
        return messages.get(messageName);
    }

    @Override
    public String toString() {
        return name;
    }
}
