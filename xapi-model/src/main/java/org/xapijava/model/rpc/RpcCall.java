package org.xapijava.model.rpc;

import java.util.List;
import java.util.Objects;

/**
 * A decoded call: the wire method name exactly as sent (e.g. {@code Async.VM.start}) and its parameters as
 * RPC values (see the package documentation).
 */
public record RpcCall(String method, List<Object> params) {
    public RpcCall {
        Objects.requireNonNull(method);
        Objects.requireNonNull(params);
    }
}
