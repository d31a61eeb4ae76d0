package org.xapijava.server.event;

import java.util.List;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.EventApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.dispatch.RawRpc;

/**
 * {@code event.*} bound to an {@link EventHub}. The results mixing classes ({@code event.from},
 * {@code event.next}) are bound apart from the typed interface: the hub hands them out already in RPC form
 * ({@link RawRpc}), marshalled once and shared by every waiter woken by the same change.
 */
public final class EventMessages implements EventApi, Messages {
    private final EventHub hub;

    public EventMessages(EventHub hub) {
        this.hub = hub;
    }

    public EventHub hub() {
        return hub;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void bind(MessageTable table) {
        EventApi.bind(table, this);
        table.bind("event.next", (ctx, a) -> new RawRpc(hub.next(ctx.sessionRef())));
        table.bind(
                "event.from",
                (ctx, a) -> new RawRpc(
                        hub.from(ctx.sessionRef(), (List<String>) a.get(0), (String) a.get(1), (Double) a.get(2))));
    }

    @Override
    public void register(CallContext ctx, List<String> classes) {
        hub.register(ctx.sessionRef(), classes);
    }

    @Override
    public void unregister(CallContext ctx, List<String> classes) {
        hub.unregister(ctx.sessionRef(), classes);
    }

    @Override
    public long getCurrentId(CallContext ctx) {
        return hub.currentId();
    }

    @Override
    public String inject(CallContext ctx, String class_, String ref) {
        return hub.inject(class_, ref);
    }
}
