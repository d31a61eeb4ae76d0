package org.xapijava.server.rrd;

/** A consolidation function of an archive ({@code Rrd.cf_type}), spelled as on the wire. */
public enum Cf {
    AVERAGE,
    MIN,
    MAX,
    LAST;

    /** {@code cf_type_of_string}: exact, case-sensitive; null when {@code s} names none. */
    public static Cf parse(String s) {
        if (s == null) return null;
        for (Cf c : values()) if (c.name().equals(s)) return c;
        return null;
    }
}
