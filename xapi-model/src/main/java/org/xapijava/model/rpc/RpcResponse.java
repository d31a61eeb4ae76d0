package org.xapijava.model.rpc;

import java.util.ArrayList;
import java.util.List;
import org.xapijava.model.errors.ApiError;

/**
 * A decoded response, as ocaml-rpc models it: success with a value, or failure with the error contents
 * (for Xapi the {@code ErrorDescription} array {@code [code, params...]}).
 *
 * @param success  whether the call succeeded
 * @param contents the result value, or the failure contents (an RPC value)
 */
public record RpcResponse(boolean success, Object contents) {

    public static RpcResponse success(Object value) {
        return new RpcResponse(true, value);
    }

    public static RpcResponse failure(Object contents) {
        return new RpcResponse(false, contents);
    }

    /** A failure whose contents is {@code [code, params...]}. */
    public static RpcResponse failure(ApiError e) {
        return new RpcResponse(false, new ArrayList<Object>(e.description()));
    }

    /**
     * The failure as an {@link ApiError}: the first element of the description is the code, the rest the
     * parameters (non-string elements are rendered as ocaml-rpc's debug form). A failure that is not a non-empty
     * array becomes {@code INTERNAL_ERROR [<rendering>]}.
     *
     * @throws IllegalStateException on a success
     */
    public ApiError toApiError() {
        if (success) throw new IllegalStateException("not a failure");
        if (contents instanceof List<?> l && !l.isEmpty()) {
            List<String> ps = new ArrayList<>(l.size() - 1);
            for (int i = 1; i < l.size(); i++) ps.add(asText(l.get(i)));
            return new ApiError(asText(l.get(0)), ps);
        }
        return ApiError.internal(RpcValues.debugString(contents));
    }

    private static String asText(Object o) {
        return o instanceof String s ? s : RpcValues.debugString(o);
    }
}
