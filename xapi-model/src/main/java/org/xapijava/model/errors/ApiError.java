package org.xapijava.model.errors;

import java.util.ArrayList;
import java.util.List;

/**
 * A XenAPI error: a code (e.g. {@code HANDLE_INVALID}) and string parameters, sent to clients as
 * {@code ErrorDescription = [code, params...]}. Immutable. Codes are those of
 * {@link org.xapijava.model.api.ErrorCodes}; {@link ErrorRegistry} knows their documented parameters.
 */
public class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String code;
    private final List<String> params;

    public ApiError(String code, List<String> params) {
        super(null, null, false, false);
        this.code = code;
        this.params = List.copyOf(params);
    }

    public ApiError(String code, String... params) {
        this(code, List.of(params));
    }

    public String code() {
        return code;
    }

    public List<String> params() {
        return params;
    }

    /** {@code [code, params...]}, as in an ErrorDescription. */
    public List<String> description() {
        List<String> d = new ArrayList<>(params.size() + 1);
        d.add(code);
        d.addAll(params);
        return d;
    }

    @Override
    public String getMessage() {
        return description().toString();
    }

    public static ApiError internal(String message) {
        return new ApiError("INTERNAL_ERROR", message);
    }

    public static ApiError handleInvalid(String cls, String ref) {
        return new ApiError("HANDLE_INVALID", cls, ref);
    }

    public static ApiError uuidInvalid(String cls, String uuid) {
        return new ApiError("UUID_INVALID", cls, uuid);
    }

    public static ApiError invalidValue(String... params) {
        return new ApiError("INVALID_VALUE", params);
    }
}
