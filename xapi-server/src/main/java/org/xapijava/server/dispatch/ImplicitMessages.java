package org.xapijava.server.dispatch;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.model.Field;
import org.xapijava.model.MessageDef;
import org.xapijava.model.types.Refs;

/**
 * The generic code of every implicit message (getters, setters, map/set updates, record reads,
 * constructors and destructors), straight on the database, with Xapi's errors: {@code HANDLE_INVALID},
 * {@code UUID_INVALID}, {@code MAP_DUPLICATE_KEY}. Arguments arrive typed (enum values already checked
 * by the decoder). Stateless and thread-safe.
 */
public final class ImplicitMessages implements Implementation {
    @Override
    public Object invoke(CallContext ctx, List<Object> a) {
        MessageDef m = ctx.message();
        Db db = ctx.data();
        String cls = m.cls();
        return switch (m.kind()) {
            case GET_FIELD -> db.get((String) a.get(0), field(m));
            case SET_FIELD -> {
                db.set((String) a.get(0), field(m), a.get(1));
                yield null;
            }
            case ADD_TO_MAP -> {
                db.addToMap((String) a.get(0), mapField(m), a.get(1), a.get(2));
                yield null;
            }
            case REMOVE_FROM_MAP -> {
                db.removeFromMap((String) a.get(0), mapField(m), a.get(1));
                yield null;
            }
            case ADD_TO_SET -> {
                db.addToSet((String) a.get(0), setField(m), a.get(1));
                yield null;
            }
            case REMOVE_FROM_SET -> {
                db.removeFromSet((String) a.get(0), setField(m), a.get(1));
                yield null;
            }
            case GET_RECORD -> db.record(cls, (String) a.get(0));
            case GET_ALL -> db.all(cls);
            case GET_ALL_RECORDS -> db.allRecords(cls);
            case GET_ALL_RECORDS_WHERE -> db.allRecordsWhere(cls, (String) a.get(0));
            case GET_ALL_WHERE -> db.allWhere(cls, (String) a.get(0));
            case GET_BY_UUID -> db.byUuid(cls, (String) a.get(0));
            case GET_BY_NAME_LABEL -> db.byNameLabel(cls, (String) a.get(0));
            case CREATE -> create(db, m, a.get(0));
            case DESTROY -> {
                String ref = (String) a.get(0);
                // HANDLE_INVALID [cls, ref] when there is no such row
                db.delete(cls, ref);
                yield null;
            }
            case EXPLICIT ->
                throw new IllegalStateException("explicit message " + m.wireName() + " has no generic code");
        };
    }

    /** The handle of the message's field: the datamodel names it, the decoder has checked the value's type. */
    private static Field<Object> field(MessageDef m) {
        return new Field<>(m.cls(), m.field());
    }

    private static Field<Map<Object, Object>> mapField(MessageDef m) {
        return new Field<>(m.cls(), m.field());
    }

    private static Field<List<Object>> setField(MessageDef m) {
        return new Field<>(m.cls(), m.field());
    }

    @SuppressWarnings("unchecked")
    private static String create(Db db, MessageDef m, Object record) {
        // the decoder kept the constructor fields only (Unmarshal.constructorRecord)
        FieldValues values = FieldValues.ofNames(m.cls(), (Map<String, Object>) record);
        values.with(new Field<>(m.cls(), "uuid"), UUID.randomUUID().toString());
        String ref = Refs.fresh();
        db.create(ref, values);
        return ref;
    }
}
