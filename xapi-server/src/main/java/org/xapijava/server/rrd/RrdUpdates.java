package org.xapijava.server.rrd;

import java.util.ArrayList;
import java.util.List;

/**
 * The answer of {@code /rrd_updates}: the rows of several RRDs since a time, as rrdtool's {@code xport}
 * ({@code Rrd_updates.create_multi}, {@code xml_of}, {@code json_of_t}). Immutable.
 *
 * @param start  the time of the first row asked for
 * @param step   seconds per row of the archive chosen
 * @param end    the time of the newest row
 * @param legend {@code CF:(host|vm):<uuid>:<source>} per column
 * @param rows   newest first
 */
public record RrdUpdates(long start, long step, long end, List<String> legend, List<Row> rows) {

    /** One row: its time and a value per column. */
    public record Row(long time, double[] values) {}

    /** One RRD of the export and the prefix of its legends ({@code host:<uuid>:}, {@code vm:<uuid>:}). */
    public record Source(String prefix, Rrd rrd) {}

    /**
     * {@code create_multi}: the rows since {@code start} (negative: seconds before the first RRD's last update) of
     * the archives of {@code cf} (null: every function) whose rows are at least {@code interval} seconds apart and
     * still reach back to {@code start}. RRDs of another step are left out.
     *
     * @throws Rrd.NoArchiveException when there is no RRD or no archive of that function
     */
    public static RrdUpdates of(List<Source> sources, long start, long interval, Cf cf) {
        if (sources.isEmpty()) throw new Rrd.NoArchiveException();
        Rrd first = sources.getFirst().rrd();
        long timestep = first.step;
        double lastUpdated = first.lastUpdated;
        int pdpInterval = (int) (interval / timestep);
        List<Source> same = new ArrayList<>();
        for (Source s : sources) if (s.rrd().step == timestep) same.add(s);
        long from = Long.MAX_VALUE;
        for (Source s : same) from = Math.min(from, start < 0 ? start + (long) s.rrd().lastUpdated : start);
        List<List<Rrd.Rra>> chosen = new ArrayList<>();
        for (Source s : same) chosen.add(s.rrd().bestArchives(pdpInterval, cf, from));
        Rrd.Rra firstRra = null;
        for (List<Rrd.Rra> l : chosen) {
            if (!l.isEmpty()) {
                firstRra = l.getFirst();
                break;
            }
        }
        if (firstRra == null) throw new Rrd.NoArchiveException();
        List<String> legend = new ArrayList<>();
        List<Rrd.Rra> columns = new ArrayList<>();
        for (int n = 0; n < same.size(); n++) {
            Source s = same.get(n);
            for (Rrd.Rra a : chosen.get(n)) {
                if (a.pdpCount != firstRra.pdpCount || a.rows != firstRra.rows) continue;
                columns.add(a);
                for (Rrd.Ds d : s.rrd().dss) legend.add(a.cf.name() + ":" + s.prefix() + d.name);
            }
        }
        long rraStep = timestep * firstRra.pdpCount;
        long lastRow = rraStep * ((long) lastUpdated / rraStep);
        long firstRow = rraStep * (from / rraStep) + rraStep;
        List<Row> rows = new ArrayList<>();
        for (int i = 0; ; i++) {
            long time = lastRow - (long) i * rraStep;
            if (time < from || i >= firstRra.rows) break;
            double[] values = new double[legend.size()];
            int c = 0;
            for (Rrd.Rra a : columns) for (Rrd.Ring g : a.rings) values[c++] = g.peek(i);
            rows.add(new Row(time, values));
        }
        return new RrdUpdates(firstRow, rraStep, lastRow, List.copyOf(legend), List.copyOf(rows));
    }

    /** {@code xml_of}: {@code <xport><meta>...</meta><data><row><t/><v/>...</row>...</data></xport>}. */
    public String xml() {
        RrdDump.Xml x = new RrdDump.Xml(new StringBuilder(256 + rows.size() * (16 + legend.size() * 24)));
        x.raw(RrdDump.XML_DECLARATION);
        x.open("xport");
        x.open("meta");
        x.leaf("start", Long.toString(start));
        x.leaf("step", Long.toString(step));
        x.leaf("end", Long.toString(end));
        x.leaf("rows", Integer.toString(rows.size()));
        x.leaf("columns", Integer.toString(legend.size()));
        x.openOrEmpty("legend", legend.isEmpty());
        if (!legend.isEmpty()) {
            for (String l : legend) x.leaf("entry", l);
            x.close("legend");
        }
        x.close("meta");
        x.openOrEmpty("data", rows.isEmpty());
        if (!rows.isEmpty()) {
            for (Row r : rows) {
                x.open("row");
                x.leaf("t", Long.toString(r.time()));
                for (double v : r.values()) x.leaf("v", Floats.toString(v));
                x.close("row");
            }
            x.close("data");
        }
        x.close("xport");
        return x.toString();
    }

    /** {@code json_of_t}: {@code {"meta":{...},"data":[{"t":..,"values":[..]}]}}, every number a JSON string. */
    public String json() {
        RrdDump.Json j = new RrdDump.Json(new StringBuilder(256 + rows.size() * (24 + legend.size() * 24)));
        j.b.append('{');
        j.key("meta").b.append('{');
        j.key("start").str(Long.toString(start)).comma();
        j.key("step").str(Long.toString(step)).comma();
        j.key("end").str(Long.toString(end)).comma();
        j.key("rows").str(Integer.toString(rows.size())).comma();
        j.key("columns").str(Integer.toString(legend.size())).comma();
        j.key("legend").b.append('[');
        for (int i = 0; i < legend.size(); i++) {
            if (i > 0) j.comma();
            j.str(legend.get(i));
        }
        j.b.append("]},");
        j.key("data").b.append('[');
        for (int n = 0; n < rows.size(); n++) {
            Row r = rows.get(n);
            if (n > 0) j.comma();
            j.b.append('{');
            j.key("t").str(Long.toString(r.time())).comma();
            j.key("values").b.append('[');
            double[] v = r.values();
            for (int i = 0; i < v.length; i++) {
                if (i > 0) j.comma();
                j.str(Floats.toString(v[i]));
            }
            j.b.append("]}");
        }
        j.b.append("]}");
        return j.b.toString();
    }
}
