package org.xapijava.server.api;

import java.util.List;
import java.util.Map;
import org.xapijava.model.api.enums.Cls;
import org.xapijava.model.types.DateTime;
import org.xapijava.server.alerts.MessageStore;
import org.xapijava.server.api.gen.MessageApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;

/** {@code message.*}: alerts live in the {@link MessageStore}, not in the database (xapi_message.ml). */
public final class AlertMessages implements MessageApi, Messages {
    private final MessageStore store;

    public AlertMessages(MessageStore store) {
        this.store = store;
    }

    @Override
    public void bind(MessageTable table) {
        MessageApi.bind(table, this);
    }

    /**
     * A client's message is on disk before this returns; one a pool member sends under its pool session (the alerts
     * it raises as a side effect of an operation, Xapi's {@code create_vm_message}, which the master's own alerts
     * write and force in the background) is forced in the background too, with the master's.
     */
    @Override
    public String create(CallContext ctx, String name, long priority, Cls cls, String objUuid, String body) {
        if (ctx.session() != null && ctx.session().pool())
            return store.createForcedLater(name, priority, cls.wire(), objUuid, body);
        return store.create(name, priority, cls.wire(), objUuid, body);
    }

    @Override
    public void destroy(CallContext ctx, String self) {
        store.destroy(self);
    }

    @Override
    public void destroyMany(CallContext ctx, List<String> messages) {
        store.destroyMany(messages);
    }

    @Override
    public void destroyAll(CallContext ctx, Map<String, String> filters) {
        store.destroyAll(filters);
    }

    @Override
    public Map<String, Map<String, Object>> get(CallContext ctx, Cls cls, String objUuid, DateTime since) {
        return store.get(cls.wire(), objUuid, since);
    }

    @Override
    public List<String> getAll(CallContext ctx) {
        return store.getAll();
    }

    @Override
    public Map<String, Map<String, Object>> getAllRecords(CallContext ctx) {
        return store.getAllRecords();
    }

    @Override
    public Map<String, Map<String, Object>> getAllRecordsWhere(CallContext ctx, String expr) {
        return store.getAllRecordsWhere(expr);
    }

    @Override
    public String getByUuid(CallContext ctx, String uuid) {
        return store.getByUuid(uuid);
    }

    @Override
    public Map<String, Object> getRecord(CallContext ctx, String self) {
        return store.getRecord(self);
    }

    @Override
    public Map<String, Map<String, Object>> getSince(CallContext ctx, DateTime since) {
        return store.getSince(since);
    }
}
