package org.xapijava.model;

/** Lifecycle state of a class, field or message in the datamodel. */
public enum Lifecycle {
    PUBLISHED,
    PROTOTYPED,
    DEPRECATED,
    REMOVED;

    /** Accepts {@code Published_s}, {@code published}, ... */
    public static Lifecycle of(String s) {
        String t = s.toLowerCase(java.util.Locale.ROOT);
        if (t.endsWith("_s")) t = t.substring(0, t.length() - 2);
        return switch (t) {
            case "published" -> PUBLISHED;
            case "prototyped" -> PROTOTYPED;
            case "deprecated" -> DEPRECATED;
            case "removed" -> REMOVED;
            default -> throw new IllegalArgumentException("unknown lifecycle state " + s);
        };
    }
}
