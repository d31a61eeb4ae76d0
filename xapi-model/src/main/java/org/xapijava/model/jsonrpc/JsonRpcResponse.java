package org.xapijava.model.jsonrpc;

import java.util.List;
import java.util.Objects;
import org.xapijava.model.errors.ApiError;

/**
 * A decoded JSON-RPC response (client side): a result, or an error description {@code [CODE, p1, ...]}
 * whichever shape the server used (V1 array, V2 error object whose {@code message} is the code and
 * {@code data} the parameters, or Xapi's pre-dispatch quirk: a V2 envelope carrying an array).
 *
 * @param version V1 without a {@code jsonrpc} member, V2 with {@code "jsonrpc":"2.0"}
 * @param id      the id the server echoed
 * @param success true for a result, false for an error
 * @param result  the result value (rpc value tree) when {@code success}, else null
 * @param error   when not {@code success}: the error description, code first (immutable); else empty
 */
public record JsonRpcResponse(
        JsonRpcVersion version, JsonRpcId id, boolean success, Object result, List<String> error) {

    public JsonRpcResponse {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(id, "id");
        error = List.copyOf(error);
        if (success && !error.isEmpty()) throw new IllegalArgumentException("a success carries no error");
    }

    /** The error as an {@link ApiError} (code = first element; an empty description gives code {@code ""}). */
    public ApiError toApiError() {
        if (success) throw new IllegalStateException("not an error response");
        if (error.isEmpty()) return new ApiError("", List.of());
        return new ApiError(error.get(0), error.subList(1, error.size()));
    }

    /**
     * The result, or the error thrown as an {@link ApiError}.
     */
    public Object resultOrThrow() {
        if (!success) throw toApiError();
        return result;
    }
}
