package org.xapijava.server.event;

import java.util.List;
import org.xapijava.server.Services;
import org.xapijava.server.api.ApiModule;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.dispatch.RawRpc;

/**
 * {@code event.*} bound to an {@link EventHub}. Results mixing classes ({@code event.from},
 * {@code event.next}) are returned as {@link RawRpc}, already in RPC form.
 */
public final class EventApi implements ApiModule {
    private final EventHub hub;

    /** A module with its own hub over the server's services (Xapi's tunables). */
    public EventApi(Services services) {
        this(new EventHub(services));
    }

    public EventApi(EventHub hub) {
        this.hub = hub;
    }

    public EventHub hub() {
        return hub;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void register(MessageTable t) {
        t.bind("event.register", (ctx, a) -> {
            hub.register(ctx.sessionRef(), (List<String>) a.get(0));
            return null;
        });
        t.bind("event.unregister", (ctx, a) -> {
            hub.unregister(ctx.sessionRef(), (List<String>) a.get(0));
            return null;
        });
        t.bind("event.next", (ctx, a) -> new RawRpc(hub.next(ctx.sessionRef())));
        t.bind(
                "event.from",
                (ctx, a) -> new RawRpc(
                        hub.from(ctx.sessionRef(), (List<String>) a.get(0), (String) a.get(1), (Double) a.get(2))));
        t.bind("event.get_current_id", (ctx, a) -> hub.currentId());
        t.bind("event.inject", (ctx, a) -> hub.inject((String) a.get(0), (String) a.get(1)));
    }
}
