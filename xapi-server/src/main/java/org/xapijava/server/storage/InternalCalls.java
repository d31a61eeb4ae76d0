package org.xapijava.server.storage;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.xapijava.model.MessageKind;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.Caller;
import org.xapijava.server.dispatch.Dispatcher;
import org.xapijava.server.dispatch.Implementation;
import org.xapijava.server.dispatch.ImplicitMessages;
import org.xapijava.server.dispatch.MessageTable;

/**
 * XenAPI calls made from inside a message implementation, as Xapi makes them through its internal
 * client ({@code Helpers.call_api_functions}): the message's bound implementation, including whatever
 * the forwarding layer wrapped around it (operation marking), so a VM clone that clones its disks
 * marks each VDI exactly as a client's {@code VDI.clone} would.
 *
 * <p>Differences from Xapi: no separate session or sub-task is made; the inner call runs on the
 * caller's thread under the caller's session and task (so its progress and cancellation are the
 * caller's), and RBAC is not checked again. Thread-safe; bind every message before the first call.
 */
public final class InternalCalls {
    private final MessageTable table;
    private final ImplicitMessages implicit = new ImplicitMessages();

    public InternalCalls(MessageTable table) {
        this.table = table;
    }

    /**
     * Calls {@code wireName} with {@code args} (the parameters after the session, typed as the
     * dispatcher hands them to implementations) and returns its Java result.
     *
     * @throws ApiError the call's XenAPI error; {@code NOT_IMPLEMENTED [wireName]} when nothing
     *                  implements an explicit message
     */
    public Object call(CallContext ctx, String wireName, Object... args) {
        MessageTable.Entry e = table.entry(wireName);
        if (e == null) throw new IllegalArgumentException("no message " + wireName);
        Implementation impl = e.implementation();
        if (impl == null) {
            if (e.message().kind() == MessageKind.EXPLICIT) throw new ApiError("NOT_IMPLEMENTED", wireName);
            impl = implicit;
        }
        CallContext inner =
                new CallContext(ctx.services(), e.message(), wireName, Caller.internal(), ctx.session(), ctx.taskRef());
        List<Object> a = Collections.unmodifiableList(Arrays.asList(args.clone()));
        try {
            return impl.invoke(inner, a);
        } catch (RuntimeException ex) {
            throw ex;
        } catch (Exception ex) {
            throw Dispatcher.toApiError(wireName, ex);
        }
    }
}
