package org.xapijava.storage;

/**
 * A storage backend refused or failed an operation. Carries the driver error and an optional detail
 * (the SM drivers' {@code opterr}); {@link #faultString()} is the text a driver would print.
 */
public final class StorageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final SmError error;
    private final String detail;

    public StorageException(SmError error, String detail) {
        this(error, detail, null);
    }

    public StorageException(SmError error, String detail, Throwable cause) {
        super(error + (detail == null ? "" : ": " + detail), cause);
        this.error = error;
        this.detail = detail;
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
