package org.xapijava.model.types;

import java.util.UUID;

/** Object references as Xapi spells them: {@code OpaqueRef:<uuid>}, null reference {@code OpaqueRef:NULL}. */
public final class Refs {
    public static final String PREFIX = "OpaqueRef:";
    public static final String NULL = "OpaqueRef:NULL";

    private Refs() {}

    /** A fresh reference with a random (version 4) UUID. Thread-safe. */
    public static String fresh() {
        return PREFIX + UUID.randomUUID();
    }

    public static boolean isNull(String ref) {
        return ref == null || NULL.equals(ref);
    }
}
