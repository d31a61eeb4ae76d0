package org.xapijava.storage;

import org.xapijava.model.errors.ApiError;

/**
 * A storage backend refused or failed an operation. Carries the driver error and an optional detail
 * (the SM drivers' {@code opterr}); {@link #faultString()} is the text a driver would print.
 *
 * <p>When the failure already has Xapi's exact XenAPI error (the SMAPIv1 executor's mapping of a plugin's fault,
 * exit status or output, {@code sm_exec.ml}), {@link #xapiError()} carries it and the server answers it as it is;
 * {@link #error()} is then the closest driver error (for code that only looks at that).
 */
public final class StorageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final SmError error;
    private final String detail;
    private final ApiError xapiError;

    public StorageException(SmError error, String detail) {
        this(error, detail, null);
    }

    public StorageException(SmError error, String detail, Throwable cause) {
        super(error + (detail == null ? "" : ": " + detail), cause);
        this.error = error;
        this.detail = detail;
        this.xapiError = null;
    }

    private StorageException(SmError error, ApiError xapiError) {
        super(xapiError.getMessage());
        this.error = error;
        this.detail = null;
        this.xapiError = xapiError;
    }

    /**
     * A failure whose XenAPI error is known exactly ({@code code}, {@code params}); {@code closest} is the driver
     * error reported by {@link #error()}.
     */
    public static StorageException xapi(SmError closest, String code, java.util.List<String> params) {
        return new StorageException(closest, new ApiError(code, params));
    }

    /** The exact XenAPI error of this failure, or null when the server maps {@link #error()} itself. */
    public ApiError xapiError() {
        return xapiError;
    }

    public SmError error() {
        return error;
    }

    /** The detail, or null. */
    public String detail() {
        return detail;
    }

    /** The driver's fault string: the description, then {@code [opterr=<detail>]} when there is one. */
    public String faultString() {
        return detail == null ? error.description() : error.description() + " [opterr=" + detail + "]";
    }
}
