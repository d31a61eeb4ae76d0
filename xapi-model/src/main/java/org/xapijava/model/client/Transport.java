package org.xapijava.model.client;

import java.util.List;

/**
 * How a {@link XenApi} call reaches a host: in-process through the dispatcher, XML-RPC over HTTP(S), or the local
 * Unix socket. Implementations are thread-safe.
 */
@FunctionalInterface
public interface Transport {
    /**
     * Calls {@code method} ({@code VM.start}, {@code Async.VM.start}) with parameters in RPC form (the session first,
     * when the message takes one) and returns the result in RPC form.
     *
     * @throws org.xapijava.model.errors.ApiError the error a failure envelope carries
     */
    Object call(String method, List<Object> params);
}
