package org.xapijava.server.rrd;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A round-robin database as Xapi's {@code xapi-rrd} library keeps one ({@code rrd.ml}): data sources turned into one
 * primary data point (PDP) per step of 5 s, consolidated into archives (RRAs) of AVERAGE, MIN and MAX points over
 * 1, 12, 720 and 17280 steps (10 minutes, 2 hours, a week and a year of rows), with Xapi's arithmetic: a DERIVE's
 * PDP is its rate over the step, GAUGE and ABSOLUTE keep their latest rate, a PDP out of the source's [min, max] is
 * unknown (NaN) but for a DERIVE less than 5 % over its max (clamped), and a consolidated point is unknown when more
 * than {@code xff} of its PDPs are. Values are stored as 32-bit floats, as Xapi's rings are.
 *
 * <p>Not thread-safe: its owner ({@link Rrds}) serialises every use.
 */
public final class Rrd {
    /** {@code Rrdd_monitor.step}: seconds per PDP. */
    public static final long STEP = 5;
    /** {@code mrhb} of every data source xcp-rrdd creates: readings further apart make unknown PDPs. */
    static final double HEARTBEAT = 300.0;
    /** {@code Rrdd_shared.timescales}: (rows, PDPs per row). */
    static final int[][] TIMESCALES = {{120, 1}, {120, 12}, {168, 720}, {366, 17280}};

    /** A data source's state between updates ({@code Rrd.ds}). */
    static final class Ds {
        final String name;
        final DsType type;
        final double min;
        final double max;
        final double heartbeat;
        /** {@code ds_last}: NaN when unknown. */
        double last = Double.NaN;

        boolean lastInteger;
        double value;
        double unknownSec;
        double lastUpdated;

        Ds(String name, DsType type, double min, double max, double heartbeat) {
            this.name = name;
            this.type = type;
            this.min = min;
            this.max = max;
            this.heartbeat = heartbeat;
        }

        Ds copy() {
            Ds d = new Ds(name, type, min, max, heartbeat);
            d.last = last;
            d.lastInteger = lastInteger;
            d.value = value;
            d.unknownSec = unknownSec;
            d.lastUpdated = lastUpdated;
            return d;
        }
    }

    /** The consolidated point being prepared ({@code cdp_prep}). */
    static final class Cdp {
        double value;
        int unknownPdps;

        Cdp(double value, int unknownPdps) {
            this.value = value;
            this.unknownPdps = unknownPdps;
        }
    }

    /** A ring of the latest rows of one data source in one archive ({@code Rrd_fring}): values out of bounds are NaN. */
    static final class Ring {
        final float[] data;
        final double min;
        final double max;
        int current;

        Ring(int size, double min, double max) {
            this.data = new float[size];
            this.min = min;
            this.max = max;
            this.current = size - 1;
            java.util.Arrays.fill(data, Float.NaN);
        }

        void push(double v) {
            current = current + 1 == data.length ? 0 : current + 1;
            data[current] = (float) (v < min || v > max ? Double.NaN : v);
        }

        /** The value {@code i} rows back (0: the newest). */
        double peek(int i) {
            if (i >= data.length) throw new IndexOutOfBoundsException("peek: index");
            int at = current - i;
            return data[at >= 0 ? at : data.length + at];
        }

        int size() {
            return data.length;
        }

        Ring copy() {
            Ring r = new Ring(data.length, min, max);
            System.arraycopy(data, 0, r.data, 0, data.length);
            r.current = current;
            return r;
        }
    }

    /** An archive ({@code Rrd.rra}): its rings and CDP preparation areas, one per data source, in the RRD's order. */
    static final class Rra {
        final Cf cf;
        final int rows;
        final int pdpCount;
        final double xff;
        final List<Ring> rings = new ArrayList<>();
        final List<Cdp> cdps = new ArrayList<>();

        Rra(Cf cf, int rows, int pdpCount, double xff) {
            this.cf = cf;
            this.rows = rows;
            this.pdpCount = pdpCount;
            this.xff = xff;
        }

        Rra copy() {
            Rra r = new Rra(cf, rows, pdpCount, xff);
            for (Ring g : rings) r.rings.add(g.copy());
            for (Cdp c : cdps) r.cdps.add(new Cdp(c.value, c.unknownPdps));
            return r;
        }
    }

    /** One reading given to {@link #update}. NaN: unknown. */
    public record Reading(double value, boolean integer, boolean inverse) {
        public static final Reading UNKNOWN = new Reading(Double.NaN, false, false);
    }

    final long step;
    double lastUpdated;
    final List<Ds> dss = new ArrayList<>();
    final List<Rra> rras = new ArrayList<>();

    Rrd(long step, double lastUpdated) {
        this.step = step;
        this.lastUpdated = lastUpdated;
    }

    /**
     * {@code Rrdd_monitor.create_fresh_rrd}: an RRD of {@code sources} at {@code timestamp}; every timescale has an
     * AVERAGE archive, and those of more than one step a MIN and a MAX with {@code xff} 1.0 when {@code minMax} (Xapi
     * always for the host, for VMs when the pool asks: {@code create_min_max_in_new_VM_RRDs}), else the AVERAGE alone
     * with {@code xff} 0.5. The creation consumes no reading: every source starts unknown.
     */
    public static Rrd create(List<DataSource> sources, double timestamp, boolean minMax) {
        Rrd r = new Rrd(STEP, 0.0);
        for (int[] ts : TIMESCALES) {
            if (ts[1] > 1 && minMax) {
                r.rras.add(new Rra(Cf.AVERAGE, ts[0], ts[1], 1.0));
                r.rras.add(new Rra(Cf.MIN, ts[0], ts[1], 1.0));
                r.rras.add(new Rra(Cf.MAX, ts[0], ts[1], 1.0));
            } else {
                r.rras.add(new Rra(Cf.AVERAGE, ts[0], ts[1], 0.5));
            }
        }
        for (DataSource s : sources) {
            Ds d = new Ds(s.name(), s.type(), s.min(), s.max(), HEARTBEAT);
            r.dss.add(d);
            for (Rra a : r.rras) {
                a.rings.add(new Ring(a.rows, d.min, d.max));
                a.cdps.add(new Cdp(initial(a.cf, d), 0));
            }
        }
        Map<String, Reading> unknown = new java.util.HashMap<>();
        for (Ds d : r.dss) unknown.put(d.name, Reading.UNKNOWN);
        r.update(timestamp, unknown, true);
        return r;
    }

    /** A deep copy. */
    public Rrd copy() {
        Rrd r = new Rrd(step, lastUpdated);
        for (Ds d : dss) r.dss.add(d.copy());
        for (Rra a : rras) r.rras.add(a.copy());
        return r;
    }

    public double lastUpdated() {
        return lastUpdated;
    }

    /** The data sources' names, in order. */
    public List<String> names() {
        List<String> out = new ArrayList<>(dss.size());
        for (Ds d : dss) out.add(d.name);
        return out;
    }

    int index(String name) {
        for (int i = 0; i < dss.size(); i++) if (dss.get(i).name.equals(name)) return i;
        return -1;
    }

    /** {@code cf_init_value} (CA-329043): the neutral value of {@code cf}, kept within the source's bounds. */
    static double initial(Cf cf, Ds d) {
        double neutral = switch (cf) {
            case AVERAGE -> 0.0;
            case MIN -> Double.POSITIVE_INFINITY;
            case MAX -> Double.NEGATIVE_INFINITY;
            case LAST -> Double.NaN;
        };
        return ocamlMin(d.max, ocamlMax(d.min, neutral));
    }

    /** OCaml's {@code min} on floats ({@code if a <= b then a else b}). */
    static double ocamlMin(double a, double b) {
        return a <= b ? a : b;
    }

    /** OCaml's {@code max} on floats ({@code if a >= b then a else b}). */
    static double ocamlMax(double a, double b) {
        return a >= b ? a : b;
    }

    /** {@code get_times}: the start of the step holding {@code time}. */
    private static long stepStart(double time, long step) {
        return step * ((long) time / step);
    }

    /**
     * {@code ds_update_named}: the readings of the named sources at {@code timestamp} (sources not named are left
     * alone). {@code fresh}: the first readings after the domain changed ({@code new_rrd}: a DERIVE's reading is
     * taken as its rate).
     */
    public void update(double timestamp, Map<String, Reading> readings, boolean fresh) {
        List<Integer> idx = new ArrayList<>();
        List<Reading> vals = new ArrayList<>();
        for (int i = 0; i < dss.size(); i++) {
            Reading v = readings.get(dss.get(i).name);
            if (v != null) {
                idx.add(i);
                vals.add(v);
            }
        }
        if (idx.isEmpty()) return; // CA-408841
        double previous = dss.get(idx.get(0)).lastUpdated;
        double interval = timestamp - previous;
        if (interval < 0) interval = 5.0; // the clock went backwards
        long procPdpStart = stepStart(previous, step);
        long occuPdpStart = stepStart(timestamp, step);
        double occuPdpAge = timestamp - occuPdpStart;
        int elapsedPdps = (int) ((occuPdpStart - procPdpStart) / step);
        double pre = elapsedPdps > 0 ? interval - occuPdpAge : interval;
        double post = elapsedPdps > 0 ? occuPdpAge : 0.0;
        lastUpdated = timestamp;

        double[] rates = new double[idx.size()];
        for (int k = 0; k < idx.size(); k++) {
            Ds d = dss.get(idx.get(k));
            rates[k] = rate(d, vals.get(k), interval, fresh);
            d.lastUpdated = timestamp;
        }
        for (int k = 0; k < idx.size(); k++) {
            Ds d = dss.get(idx.get(k));
            double v = rates[k];
            if (Double.isNaN(v)) d.unknownSec = pre;
            else if (d.type == DsType.DERIVE) d.value = d.value + pre * v / interval;
            else d.value = v;
        }
        if (elapsedPdps <= 0) return;
        double[] pdps = new double[idx.size()];
        for (int k = 0; k < idx.size(); k++) {
            Ds d = dss.get(idx.get(k));
            if (interval > d.heartbeat) {
                pdps[k] = Double.NaN;
                continue;
            }
            double raw = d.type == DsType.DERIVE ? d.value / (timestamp - previous - d.unknownSec) : d.value;
            if (vals.get(k).inverse()) raw = 1.0 - raw;
            if (d.type == DsType.DERIVE && raw > d.max && raw < d.max * 1.05) raw = d.max; // CA-411679
            else if (raw < d.min || raw > d.max) raw = Double.NaN;
            pdps[k] = raw;
        }
        consolidate(procPdpStart, elapsedPdps, idx, pdps);
        for (int k = 0; k < idx.size(); k++) {
            Ds d = dss.get(idx.get(k));
            double v = rates[k];
            if (Double.isNaN(v)) {
                d.value = 0.0;
                d.unknownSec = post;
            } else {
                d.unknownSec = 0.0;
                d.value = d.type == DsType.DERIVE ? post * v / interval : v;
            }
        }
    }

    /** {@code process_ds_value}: the reading as a rate; remembers it as the source's last reading. */
    private static double rate(Ds d, Reading r, double interval, boolean fresh) {
        if (interval > d.heartbeat) return Double.NaN;
        double raw = r.value();
        double out;
        if (d.type == DsType.GAUGE || (d.type == DsType.DERIVE && fresh)) out = raw;
        else if (d.type == DsType.ABSOLUTE) out = raw / interval;
        else out = raw - d.last; // NaN when either is unknown
        d.last = raw;
        d.lastInteger = r.integer();
        return out;
    }

    /** {@code rra_update}: the new PDPs into each archive's preparation areas, and the completed rows into its rings. */
    private void consolidate(long procPdpStart, int elapsedPdps, List<Integer> idx, double[] pdps) {
        for (Rra a : rras) {
            int startOffset = a.pdpCount - (int) ((procPdpStart / step) % a.pdpCount);
            int rowsDue = elapsedPdps < startOffset ? 0 : (elapsedPdps - startOffset) / a.pdpCount + 1;
            accumulate(a, Math.min(startOffset, elapsedPdps), idx, pdps);
            if (rowsDue == 0) continue;
            int tolerated = (int) (a.xff * a.pdpCount);
            for (int k = 0; k < idx.size(); k++) {
                int i = idx.get(k);
                Cdp c = a.cdps.get(i);
                a.rings.get(i).push(c.unknownPdps <= tolerated ? c.value : Double.NaN);
            }
            // further rows are made of the current PDP alone, whatever the function
            for (int n = 1; n <= Math.min(rowsDue - 1, a.rows); n++) {
                for (int k = 0; k < idx.size(); k++) a.rings.get(idx.get(k)).push(pdps[k]);
            }
            int newStart = (elapsedPdps - startOffset) % a.pdpCount;
            for (int i : idx) {
                Cdp c = a.cdps.get(i);
                c.unknownPdps = 0;
                c.value = initial(a.cf, dss.get(i));
            }
            accumulate(a, newStart, idx, pdps);
        }
    }

    /** {@code do_cfs}: {@code count} PDPs of the given values into the preparation areas. */
    private static void accumulate(Rra a, int count, List<Integer> idx, double[] pdps) {
        for (int k = 0; k < idx.size(); k++) {
            Cdp c = a.cdps.get(idx.get(k));
            double pdp = pdps[k];
            if (Double.isNaN(pdp)) {
                // the average so far was over the expected PDPs: renormalise to those still expected
                int oldDiv = a.pdpCount - c.unknownPdps;
                int newDiv = oldDiv - count;
                if (newDiv > 0) {
                    c.value = c.value * oldDiv / newDiv;
                    c.unknownPdps += count;
                }
            } else {
                c.value = switch (a.cf) {
                    case AVERAGE -> c.value + pdp * count / a.pdpCount;
                    case MIN -> ocamlMin(c.value, pdp);
                    case MAX -> ocamlMax(c.value, pdp);
                    case LAST -> pdp;
                };
            }
        }
    }

    /** {@code rrd_add_ds}: a new source, its rows unknown so far (no-op when the name is there). */
    public void addSource(DataSource s, double timestamp) {
        if (index(s.name()) >= 0) return;
        Ds d = new Ds(s.name(), s.type(), s.min(), s.max(), HEARTBEAT);
        dss.add(d);
        long pdpsSoFar = (long) timestamp / step;
        for (Rra a : rras) {
            a.rings.add(new Ring(a.rows, d.min, d.max));
            a.cdps.add(new Cdp(initial(a.cf, d), (int) (pdpsSoFar % a.pdpCount)));
        }
    }

    /** {@code rrd_remove_ds}: the source and all its rows go (idempotent). */
    public void removeSource(String name) {
        int i = index(name);
        if (i < 0) return;
        dss.remove(i);
        for (Rra a : rras) {
            a.rings.remove(i);
            a.cdps.remove(i);
        }
    }

    /**
     * {@code find_best_rras}: the archives of {@code cf} (all when null) whose rows span {@code start} with at least
     * {@code pdpInterval} PDPs per row, the first such timescale; when none spans it, those of the longest timescale
     * that do spans its oldest row.
     */
    List<Rra> bestArchives(int pdpInterval, Cf cf, long start) {
        List<Rra> of = new ArrayList<>();
        for (Rra a : rras) if (cf == null || a.cf == cf) of.add(a);
        if (of.isEmpty()) throw new NoArchiveException();
        long lastPdp = stepStart(lastUpdated, step);
        for (Rra a : of) {
            if (spans(a, lastPdp, pdpInterval, start)) {
                List<Rra> out = new ArrayList<>();
                for (Rra b : of) if (b.rows == a.rows && b.pdpCount == a.pdpCount) out.add(b);
                return out;
            }
        }
        Rra longest = of.getLast();
        long oldest = 1 + lastPdp - step * ((long) longest.rows * longest.pdpCount);
        List<Rra> out = new ArrayList<>();
        for (Rra a : of) if (spans(a, lastPdp, pdpInterval, oldest)) out.add(a);
        return out;
    }

    private boolean spans(Rra a, long lastPdp, int pdpInterval, long t) {
        long oldest = lastPdp - step * ((long) a.rows * a.pdpCount);
        return a.pdpCount >= pdpInterval && t > oldest;
    }

    /**
     * {@code query_named_ds}: the newest consolidated AVERAGE value of {@code name}, from the finest archive.
     *
     * @throws IllegalArgumentException when the RRD has no such source
     */
    public double query(String name, double asOf) {
        int i = index(name);
        if (i < 0) throw new IllegalArgumentException(name);
        List<Rra> best = bestArchives(0, Cf.AVERAGE, (long) asOf);
        if (best.isEmpty()) throw new NoArchiveException();
        return best.getFirst().rings.get(i).peek(0);
    }

    /** {@code No_RRA_Available}. */
    public static final class NoArchiveException extends RuntimeException {
        NoArchiveException() {
            super("Rrd.No_RRA_Available");
        }
    }
}
