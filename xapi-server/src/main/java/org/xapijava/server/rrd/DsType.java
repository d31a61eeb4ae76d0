package org.xapijava.server.rrd;

/**
 * How an RRD turns a data source's readings into rates ({@code Rrd.ds_type}): a {@code GAUGE} is kept as it is, an
 * {@code ABSOLUTE} is divided by the time since the previous reading, a {@code DERIVE} is the difference from the
 * previous reading per second.
 */
public enum DsType {
    GAUGE,
    ABSOLUTE,
    DERIVE;

    /** The rrdtool spelling ({@code ds_type_to_string}). */
    public static DsType of(String s) {
        return valueOf(s);
    }
}
