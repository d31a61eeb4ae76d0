package org.xapijava.server.dispatch;

import java.util.List;

/**
 * The dispatcher's last stage before the message's code, after RBAC, async mode and the task (Xapi's
 * {@code message_forwarding.ml}, the {@code Forward} functor around {@code Local}): it takes the locks the
 * message's plan names, decides where the message runs (this host or another one of the pool) and runs it
 * there, {@code local} being this host's implementation. Implementations are thread-safe.
 */
@FunctionalInterface
public interface ForwardingStage {
    /**
     * Runs the call whose context is {@code ctx}: {@code local} here, or the same message on the host that
     * must run it.
     *
     * @return a Java value of the message's result type, or a {@link RawRpc} already in RPC form
     */
    Object run(CallContext ctx, List<Object> args, Implementation local) throws Exception;

    /** No forwarding and no locking: every call runs here (a pool member runs the calls its master forwards). */
    static ForwardingStage local() {
        return (ctx, args, local) -> local.invoke(ctx, args);
    }
}
