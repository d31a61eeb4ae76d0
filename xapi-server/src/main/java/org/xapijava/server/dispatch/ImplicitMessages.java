package org.xapijava.server.dispatch;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.xapijava.db.Database;
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
        Database db = ctx.db();
        String cls = m.cls();
        return switch (m.kind()) {
            case GET_FIELD -> db.snapshot().get(cls, (String) a.get(0), m.field());
            case SET_FIELD -> {
                db.set(cls, (String) a.get(0), m.field(), a.get(1));
                yield null;
            }
            case ADD_TO_MAP -> {
                db.addToMap(cls, (String) a.get(0), m.field(), a.get(1), a.get(2));
                yield null;
            }
            case REMOVE_FROM_MAP -> {
                db.removeFromMap(cls, (String) a.get(0), m.field(), a.get(1));
                yield null;
            }
            case ADD_TO_SET -> {
                db.addToSet(cls, (String) a.get(0), m.field(), a.get(1));
                yield null;
            }
            case REMOVE_FROM_SET -> {
                db.removeFromSet(cls, (String) a.get(0), m.field(), a.get(1));
                yield null;
            }
            case GET_RECORD -> db.snapshot().getRecord(cls, (String) a.get(0));
            case GET_ALL -> db.snapshot().getAll(cls);
            case GET_ALL_RECORDS -> db.snapshot().getAllRecords(cls);
            case GET_ALL_RECORDS_WHERE -> db.snapshot().getAllRecordsWhere(cls, (String) a.get(0));
            case GET_ALL_WHERE -> db.snapshot().getAllWhere(cls, (String) a.get(0));
            case GET_BY_UUID -> db.snapshot().getByUuid(cls, (String) a.get(0));
            case GET_BY_NAME_LABEL -> db.snapshot().getByNameLabel(cls, (String) a.get(0));
            case CREATE -> create(ctx, m, a.get(0));
            case DESTROY -> {
                String ref = (String) a.get(0);
                // HANDLE_INVALID [cls, ref] when there is no such row
                ctx.services().data().delete(cls, ref);
                yield null;
            }
            case EXPLICIT ->
                throw new IllegalStateException("explicit message " + m.wireName() + " has no generic code");
        };
    }

    @SuppressWarnings("unchecked")
    private static String create(CallContext ctx, MessageDef m, Object record) {
        // the decoder kept the constructor fields only (Unmarshal.constructorRecord)
        Map<String, Object> values = new java.util.LinkedHashMap<>((Map<String, Object>) record);
        values.put("uuid", UUID.randomUUID().toString());
        String ref = Refs.fresh();
        ctx.db().create(m.cls(), ref, values);
        return ref;
    }
}
