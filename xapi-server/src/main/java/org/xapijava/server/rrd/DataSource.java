package org.xapijava.server.rrd;

/**
 * What a sampler says about one data source ({@code Ds.ds} of {@code xapi-idl/rrd/ds.ml}) along with its reading.
 *
 * @param name        its name in the RRD and the legends ({@code cpu0}, {@code memory_free_kib}, ...)
 * @param description Xapi's {@code name_description} of its {@code data_source} record
 * @param units       {@code B/s}, {@code KiB}, {@code (fraction)}, ...
 * @param standard    Xapi's {@code ds_default}: recorded without {@code record_data_source}
 * @param inverse     the PDP is {@code 1 - rate} ({@code Rrd.Inverse}: host CPUs are read as idle time)
 * @param value       the reading: a counter for DERIVE, the value for GAUGE and ABSOLUTE; NaN when unknown
 * @param integer     the reading is an integer ({@code VT_Int64}; {@code last_ds} is then written without a point)
 */
public record DataSource(
        String name,
        String description,
        DsType type,
        String units,
        double min,
        double max,
        boolean standard,
        boolean inverse,
        double value,
        boolean integer) {

    /** A GAUGE with min 0 and no max. */
    public static DataSource gauge(String name, String description, String units, double value, boolean integer) {
        return new DataSource(
                name, description, DsType.GAUGE, units, 0.0, Double.POSITIVE_INFINITY, true, false, value, integer);
    }

    /** A DERIVE of a byte counter ({@code B/s}, min 0). */
    public static DataSource bytes(String name, String description, long counter) {
        return new DataSource(
                name, description, DsType.DERIVE, "B/s", 0.0, Double.POSITIVE_INFINITY, true, false, counter, true);
    }

    /** A DERIVE of seconds of CPU time: a fraction between 0 and 1. */
    public static DataSource cpu(String name, String description, double seconds, boolean inverse) {
        return new DataSource(name, description, DsType.DERIVE, "(fraction)", 0.0, 1.0, true, inverse, seconds, false);
    }
}
