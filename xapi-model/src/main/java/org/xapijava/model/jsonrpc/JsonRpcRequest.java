package org.xapijava.model.jsonrpc;

import java.util.List;
import java.util.Objects;

/**
 * A decoded JSON-RPC call.
 *
 * @param version {@link JsonRpcVersion#V1} without a {@code jsonrpc} member, {@link JsonRpcVersion#V2} with
 *                {@code "jsonrpc":"2.0"}
 * @param method  the wire name, as sent ({@code VM.start}, {@code Async.VM.start}, {@code event_from})
 * @param params  the parameters as rpc values (see the package documentation); a V2 call whose
 *                {@code params} is an object has that object as its single parameter; immutable list
 * @param id      the call's id, to echo in the response
 */
public record JsonRpcRequest(JsonRpcVersion version, String method, List<Object> params, JsonRpcId id) {
    public JsonRpcRequest {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(id, "id");
        params = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(params));
    }
}
