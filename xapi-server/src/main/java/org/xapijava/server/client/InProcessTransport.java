package org.xapijava.server.client;

import java.util.List;
import org.xapijava.model.client.Transport;
import org.xapijava.server.dispatch.Caller;
import org.xapijava.server.dispatch.Dispatcher;

/**
 * Calls through this host's {@link Dispatcher}: the same stages as a call from the network (session check, RBAC,
 * forwarding), with no codec in between. A caller carrying a {@code task-id} header runs the call under that
 * task instead of a new one, so a nested call's progress and cancellation are its caller's. Thread-safe.
 */
public final class InProcessTransport implements Transport {
    private final Dispatcher dispatcher;
    private final Caller caller;

    public InProcessTransport(Dispatcher dispatcher, Caller caller) {
        this.dispatcher = dispatcher;
        this.caller = caller;
    }

    @Override
    public Object call(String method, List<Object> params) {
        Dispatcher.Outcome o = dispatcher.dispatch(method, params, caller);
        if (!o.ok()) throw o.error();
        return o.value();
    }
}
