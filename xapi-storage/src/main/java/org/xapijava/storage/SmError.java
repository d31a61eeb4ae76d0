package org.xapijava.storage;

/**
 * The storage-driver errors a backend raises, with the numbers and descriptions of the SM drivers'
 * error table ({@code XE_SR_ERRORCODES.xml}), so that the server can answer exactly what Xapi answers
 * for a driver failure ({@code SR_BACKEND_FAILURE_<code>}, or the few codes Xapi maps to named errors).
 */
public enum SmError {
    INVALID_ARG(1, "Invalid argument"),
    /** Xapi maps this one to {@code SR_DEVICE_IN_USE []}. */
    SR_IN_USE(16, "The SR device is currently in use"),
    /** Xapi maps this one to {@code VDI_IN_USE []}. */
    VDI_IN_USE(24, "The VDI is currently in use"),
    /** Xapi maps this one to its "not implemented in backend" handling. */
    UNIMPLEMENTED(38, "The requested method is not supported/implemented"),
    /** Xapi maps this one to {@code SR_NOT_EMPTY []}. */
    SR_NOT_EMPTY(39, "The SR is not empty"),
    VDI_EXISTS(43, "The VDI already exists"),
    SR_NO_SPACE(44, "There is insufficient space"),
    VDI_UNAVAILABLE(46, "The VDI is not available"),
    SR_UNAVAILABLE(47, "The SR is not available"),
    VDI_TYPE(66, "Invalid VDI type"),
    VDI_CREATE(78, "VDI Creation failed"),
    VDI_SIZE(79, "VDI Invalid size"),
    VDI_DELETE(80, "Failed to mark VDI hidden"),
    VDI_CLONE(81, "Failed to clone VDI"),
    VDI_SNAPSHOT(82, "Failed to snapshot VDI"),
    VDI_RESIZE(110, "VDI resize failed"),
    /** Xapi maps this one to {@code VDI_MISSING [sr, vdi]}. */
    VDI_MISSING(144, "VDI could not be found"),
    /** SM's catch-all (any exception a driver did not name), also used for executor failures. */
    GENERIC(1200, "General backend error");

    /** The constant of {@code code}, or {@link #GENERIC} when there is none. */
    public static SmError ofCode(long code) {
        for (SmError e : values()) if (e.code == code) return e;
        return GENERIC;
    }

    private final int code;
    private final String description;

    SmError(int code, String description) {
        this.code = code;
        this.description = description;
    }

    /** The driver's numeric fault code. */
    public int code() {
        return code;
    }

    /** The driver's description of the code. */
    public String description() {
        return description;
    }
}
