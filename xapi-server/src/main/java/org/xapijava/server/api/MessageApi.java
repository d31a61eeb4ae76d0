package org.xapijava.server.api;

import java.util.List;
import java.util.Map;
import org.xapijava.model.types.DateTime;
import org.xapijava.server.alerts.MessageStore;
import org.xapijava.server.dispatch.MessageTable;

/** {@code message.*}: alerts live in the {@link MessageStore}, not in the database (xapi_message.ml). */
public final class MessageApi implements ApiModule {
    private final MessageStore store;

    public MessageApi(MessageStore store) {
        this.store = store;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void register(MessageTable t) {
        t.bind(
                "message.create",
                (ctx, a) -> store.create(
                        (String) a.get(0), (Long) a.get(1), (String) a.get(2), (String) a.get(3), (String) a.get(4)));
        t.bind("message.destroy", (ctx, a) -> {
            store.destroy((String) a.get(0));
            return null;
        });
        t.bind("message.destroy_many", (ctx, a) -> {
            store.destroyMany((List<String>) a.get(0));
            return null;
        });
        t.bind("message.destroy_all", (ctx, a) -> {
            store.destroyAll((Map<String, String>) a.get(0));
            return null;
        });
        t.bind("message.get", (ctx, a) -> store.get((String) a.get(0), (String) a.get(1), (DateTime) a.get(2)));
        t.bind("message.get_all", (ctx, a) -> store.getAll());
        t.bind("message.get_all_records", (ctx, a) -> store.getAllRecords());
        t.bind("message.get_all_records_where", (ctx, a) -> store.getAllRecordsWhere((String) a.get(0)));
        t.bind("message.get_by_uuid", (ctx, a) -> store.getByUuid((String) a.get(0)));
        t.bind("message.get_record", (ctx, a) -> store.getRecord((String) a.get(0)));
        t.bind("message.get_since", (ctx, a) -> store.getSince((DateTime) a.get(0)));
    }
}
