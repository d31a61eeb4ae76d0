package org.xapijava.server.dispatch;

import java.util.List;

/**
 * The code of one message. Receives the call's parameters after the session, already converted to
 * their datamodel types (see {@link org.xapijava.model.rpc.Unmarshal}), and returns a Java value of
 * the message's result type, which the dispatcher marshals; or a {@link RawRpc} already in RPC form.
 * Plain blocking code: it runs on a virtual thread. Throw {@link org.xapijava.model.errors.ApiError}
 * for XenAPI errors.
 */
@FunctionalInterface
public interface Implementation {
    Object invoke(CallContext ctx, List<Object> args) throws Exception;
}
