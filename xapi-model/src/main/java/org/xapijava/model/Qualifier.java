package org.xapijava.model;

/** Who may write a field: clients ({@code RW}), only the constructor, or only the server. */
public enum Qualifier {
    /** {@code RW}: settable by clients, through {@code set_*} and in {@code create}. */
    RW("RW"),
    /** {@code RO/constructor} (Xapi's StaticRO): given in {@code create}, read-only afterwards. */
    STATIC_RO("RO/constructor"),
    /** {@code RO/runtime} (Xapi's DynamicRO): maintained by the server. */
    DYNAMIC_RO("RO/runtime");

    private final String spelling;

    Qualifier(String spelling) {
        this.spelling = spelling;
    }

    public String spelling() {
        return spelling;
    }

    public static Qualifier of(String s) {
        for (Qualifier q : values()) if (q.spelling.equals(s)) return q;
        throw new IllegalArgumentException("unknown qualifier " + s);
    }
}
