package org.xapijava.server.rrd;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.xapijava.server.http.HttpAction;
import org.xapijava.server.http.HttpCall;
import org.xapijava.server.http.HttpHandlerTable;

/**
 * Beyond Xapi: {@code GET /metrics} ({@link HttpAction#METRICS}), the newest value of every data source this host
 * keeps (its own, each resident VM's, each plugged SR's: what {@code /rrd_updates} serves) in Prometheus' text
 * exposition format 0.0.4, so that monitoring needs no exporter. One gauge per data source and kind of object,
 * {@code xapi_host_<source>}, {@code xapi_vm_<source>}, {@code xapi_sr_<source>} (characters Prometheus does not
 * allow in a name become {@code _}), with the object's {@code uuid} as label; a source with no value yet is
 * {@code NaN}. Thread-safe (reads a snapshot of the RRDs).
 */
final class Metrics {
    /** Prometheus' text format. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private static final Pattern NOT_NAME = Pattern.compile("[^a-zA-Z0-9_:]");

    /** The kinds of object a metric's name starts with ({@code xapi_<kind>_}). */
    private enum Kind {
        host,
        vm,
        sr
    }

    private final Rrds rrds;
    /** Whether a uuid of the snapshot's non-host RRDs is an SR's (else a VM's). */
    private final Predicate<String> isSr;

    Metrics(Rrds rrds, Predicate<String> isSr) {
        this.rrds = rrds;
        this.isSr = isSr;
    }

    void register(HttpHandlerTable table) {
        table.register(HttpAction.METRICS.name(), this::serve);
    }

    private void serve(HttpCall c) {
        byte[] body = render().getBytes(StandardCharsets.UTF_8);
        c.response().setStatus(200);
        c.response().getHeaders().put(HttpHeader.CONTENT_TYPE, CONTENT_TYPE);
        c.response().getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        c.response().write(true, ByteBuffer.wrap(body), c.callback());
    }

    /** The exposition of the RRDs' newest values. */
    String render() {
        Rrds.Snapshot s = rrds.snapshot();
        Map<String, StringBuilder> gauges = new TreeMap<>();
        if (s.host() != null) add(gauges, Kind.host, rrds.hostUuid(), s.host());
        s.vms().forEach((uuid, rrd) -> add(gauges, isSr.test(uuid) ? Kind.sr : Kind.vm, uuid, rrd));
        StringBuilder out = new StringBuilder();
        gauges.forEach((name, samples) ->
                out.append("# TYPE ").append(name).append(" gauge\n").append(samples));
        return out.toString();
    }

    private static void add(Map<String, StringBuilder> gauges, Kind kind, String uuid, Rrd rrd) {
        List<String> names = rrd.names();
        double at = rrd.lastUpdated();
        for (String ds : names) {
            String metric = "xapi_" + kind.name() + "_" + NOT_NAME.matcher(ds).replaceAll("_");
            gauges.computeIfAbsent(metric, k -> new StringBuilder())
                    .append(metric)
                    .append("{uuid=\"")
                    .append(uuid)
                    .append("\"} ")
                    .append(value(rrd, ds, at))
                    .append('\n');
        }
    }

    /** Prometheus' spelling of the newest AVERAGE value ({@code NaN}, {@code +Inf}, {@code -Inf} included). */
    private static String value(Rrd rrd, String ds, double at) {
        double v;
        try {
            v = rrd.query(ds, at);
        } catch (RuntimeException none) {
            v = Double.NaN;
        }
        if (Double.isNaN(v)) return "NaN";
        if (Double.isInfinite(v)) return v > 0 ? "+Inf" : "-Inf";
        return Double.toString(v);
    }
}
