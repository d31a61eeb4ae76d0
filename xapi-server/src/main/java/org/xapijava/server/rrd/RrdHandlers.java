package org.xapijava.server.rrd;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Fields;
import org.xapijava.db.Db;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.VM;
import org.xapijava.server.http.HttpCall;
import org.xapijava.server.http.HttpErrors;
import org.xapijava.server.http.HttpHandlerTable;
import org.xapijava.server.http.HttpParams;
import org.xapijava.server.http.HttpTasks;

/**
 * The statistics handlers, as Xapi's {@code rrdd_proxy.ml} hands them to {@code rrdd_http_handler.ml}:
 * {@code /rrd_updates} (the rows since {@code start}, 400 without it; {@code cf}, {@code interval}, {@code
 * host=true}, {@code vm_uuid=} repeatable, {@code sr_uuid=}), {@code /host_rrd} and {@code /vm_rrd?uuid=} (the whole
 * RRD as rrdtool's dump; a VM running on another host is a 302 to it, one running nowhere is read from its archive,
 * 404 when there is none), with their legacy names {@code /host_rrds} and {@code /vm_rrds}, and {@code /sr_rrd?uuid=}. JSON when the
 * {@code Accept} header prefers it to XML ({@code *}{@code /*} does), or without a usable one when a {@code json}
 * parameter is present. A caller's {@code task_id} is completed once answered ({@code with_context}). Thread-safe.
 */
public final class RrdHandlers {
    static final String JSON = "application/json";
    static final String XML = "text/xml";
    /** The parameter {@code host=true} (the host's RRD in the export): the class's name. */
    static final String HOST_PARAM = Host.XAPI_CLASS;
    /** The parameter {@code uuid=} of {@code /vm_rrd}: the VM's uuid. */
    static final String UUID_PARAM = VM.UUID.name();
    /** {@code dbsync}: a host asking at its start for its archived RRD ({@code /host_rrd}); no redirection. */
    static final String DBSYNC = "dbsync";
    /** {@code rrd_unarchive}: read the VM's RRD from this host's archive ({@code Constants.rrd_unarchive}). */
    static final String UNARCHIVE = "rrd_unarchive";

    private final Rrds rrds;
    private final RrdArchive archive;
    private final Db data;
    private final String hostRef;
    private final HttpTasks tasks;
    private java.util.function.Supplier<String> masterAddress = () -> null;

    public RrdHandlers(Rrds rrds, RrdArchive archive, Db data, String hostRef, HttpTasks tasks) {
        this.rrds = rrds;
        this.archive = archive;
        this.data = data;
        this.hostRef = hostRef;
        this.tasks = tasks;
    }

    /**
     * Registers {@code rrd_updates}, {@code host_rrd}, {@code get_host_rrds}, {@code vm_rrd}, {@code get_vm_rrds},
     * {@code sr_rrd} and {@code rrd} (PUT, {@link RrdPut}).
     *
     * @param masterAddress the pool master's address on a member, null on the master
     */
    public void register(HttpHandlerTable table, java.util.function.Supplier<String> masterAddress) {
        this.masterAddress = masterAddress;
        table.register("rrd_updates", this::updates);
        table.register("host_rrd", this::hostRrd);
        table.register("get_host_rrds", this::hostRrd);
        table.register("vm_rrd", this::vmRrd);
        table.register("get_vm_rrds", this::vmRrd);
        table.register("sr_rrd", this::srRrd);
        new RrdPut(rrds, archive, data, tasks, masterAddress).register(table);
    }

    /**
     * {@code get_sr_rrd_forwarder} and {@code get_sr_rrd_handler}: the SR's RRD ({@code uuid=}, else 400) as a dump;
     * an SR with no RRD here (not plugged on this host) is Xapi's failure {@code No SR RRD available!} (500).
     */
    private void srRrd(HttpCall c) {
        Fields q = HttpParams.query(c.request());
        String uuid = q.getValue(UUID_PARAM);
        if (uuid == null) {
            HttpErrors.bare(c.response(), c.callback(), 400);
            completeTask(c);
            return;
        }
        boolean json = prefersJson(c.request(), q);
        String dump = rrds.srDump(uuid, json);
        if (dump == null) {
            completeTask(c);
            HttpErrors.internalError(
                    c.response(), c.callback(), org.xapijava.model.rpc.RpcValues.ocamlFailure("No SR RRD available!"));
            return;
        }
        dump(c, dump, json);
    }

    private void updates(HttpCall c) {
        Fields q = HttpParams.query(c.request());
        String start = q.getValue("start");
        if (start == null) {
            HttpErrors.bare(c.response(), c.callback(), 400);
            completeTask(c);
            return;
        }
        long from = Long.parseLong(start.trim());
        Cf cf = Cf.parse(q.getValue("cf"));
        long interval = parseOr(q.getValue("interval"), 0);
        boolean withHost = "true".equals(q.getValue(HOST_PARAM));
        List<String> vms = q.getValues("vm_uuid");
        if (vms == null) vms = List.of();
        List<String> srs = q.getValues("sr_uuid");
        if (srs == null) srs = List.of();
        boolean json = prefersJson(c.request(), q);
        RrdUpdates u = rrds.updates(
                withHost, vms.isEmpty() ? null : new ArrayList<>(vms), new ArrayList<>(srs), from, interval, cf);
        byte[] body = (json ? u.json() : u.xml()).getBytes(StandardCharsets.UTF_8);
        completeTask(c);
        Response r = c.response();
        r.setStatus(200);
        var h = r.getHeaders();
        h.put(HttpHeader.CONTENT_TYPE, json ? JSON : XML);
        h.put("Access-Control-Allow-Origin", "*");
        h.put("Access-Control-Allow-Headers", "X-Requested-With");
        h.put(HttpHeader.CONTENT_LENGTH, body.length);
        r.write(true, ByteBuffer.wrap(body), c.callback());
    }

    private static long parseOr(String s, long otherwise) {
        try {
            return s == null ? otherwise : Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }

    /**
     * {@code get_host_rrd_forwarder}: this host's RRD; with {@code dbsync} (a host at its start) the archive of host
     * {@code uuid=} kept here (400 without {@code uuid}, 404 when there is none).
     */
    private void hostRrd(HttpCall c) {
        Fields q = HttpParams.query(c.request());
        boolean json = prefersJson(c.request(), q);
        if (q.get(DBSYNC) != null) {
            unarchive(c, q.getValue(UUID_PARAM), json);
            return;
        }
        String dump = rrds.hostDump(json);
        if (dump == null) throw new IllegalStateException("No host RRD available!");
        dump(c, dump, json);
    }

    /**
     * {@code get_vm_rrd_forwarder}: the VM's RRD in memory here; else a VM resident on another host is a 302 to it;
     * else its archive: read here on the master (or when asked with {@code rrd_unarchive}), a 302 to the master
     * with {@code rrd_unarchive} added on a member.
     */
    private void vmRrd(HttpCall c) {
        Fields q = HttpParams.query(c.request());
        String uuid = q.getValue(UUID_PARAM);
        if (uuid == null) {
            HttpErrors.bare(c.response(), c.callback(), 400);
            return;
        }
        boolean json = prefersJson(c.request(), q);
        String dump = rrds.vmDump(uuid, json);
        if (dump != null) {
            dump(c, dump, json);
            return;
        }
        var uri = c.request().getHttpURI();
        String query = uri.getQuery();
        if (q.get(UNARCHIVE) == null) {
            String vm = data.findByUuid(VM.XAPI_CLASS, uuid).orElse(null);
            String owner = vm == null ? null : data.get(vm, VM.RESIDENT_ON);
            String redirect = null;
            if (owner != null && !owner.equals(hostRef) && data.exists(Host.XAPI_CLASS, owner)) {
                redirect = data.get(owner, Host.ADDRESS) + uri.getPath() + (query == null ? "" : "?" + query);
            } else if (masterAddress.get() != null) {
                redirect = masterAddress.get() + uri.getPath() + "?" + (query == null ? "" : query + "&") + UNARCHIVE
                        + "=";
            }
            if (redirect != null) {
                c.response().getHeaders().put(HttpHeader.LOCATION, "https://" + redirect);
                HttpErrors.bare(c.response(), c.callback(), 302);
                return;
            }
        }
        unarchive(c, uuid, json);
    }

    /** {@code unarchive}: the archive of {@code uuid} kept here; 400 without a uuid, 404 when there is none. */
    private void unarchive(HttpCall c, String uuid, boolean json) {
        if (uuid == null) {
            HttpErrors.bare(c.response(), c.callback(), 400);
            completeTask(c);
            return;
        }
        Rrd archived = uuid.matches("[0-9A-Za-z-]+") ? archive.load(uuid) : null;
        if (archived == null) {
            HttpErrors.bare(c.response(), c.callback(), 404);
            completeTask(c);
            return;
        }
        dump(c, json ? RrdDump.json(archived) : RrdDump.xml(archived, false), json);
    }

    /** {@code rrd_handler}: HTTP/1.0-style, no length, the connection closed after the dump. */
    private void dump(HttpCall c, String dump, boolean json) {
        completeTask(c);
        Response r = c.response();
        r.setStatus(200);
        var h = r.getHeaders();
        h.put(HttpHeader.CONNECTION, "close");
        h.put(HttpHeader.CONTENT_TYPE, json ? JSON : XML);
        h.put("Access-Control-Allow-Origin", "*");
        r.write(true, ByteBuffer.wrap(dump.getBytes(StandardCharsets.UTF_8)), c.callback());
    }

    /** {@code with_context} with the caller's task: it completes when the handler returns. */
    private void completeTask(HttpCall c) {
        tasks.completeCallers(c);
    }

    /**
     * {@code client_prefers_json}: of JSON and XML, the one the {@code Accept} header ranks first (JSON on a tie,
     * so {@code *}{@code /*} means JSON); without an {@code Accept} header, or one that accepts neither, whether a
     * {@code json} parameter was given.
     */
    static boolean prefersJson(Request request, Fields query) {
        Boolean ranked = acceptRanksJson(request.getHeaders().get(HttpHeader.ACCEPT));
        return ranked != null ? ranked : query.get("json") != null;
    }

    /** True/false when the header ranks JSON/XML first, null when it says nothing of either. */
    static Boolean acceptRanksJson(String accept) {
        if (accept == null || accept.isBlank()) return null;
        double json = -1;
        double xml = -1;
        int jsonSpecificity = -1;
        int xmlSpecificity = -1;
        for (String part : accept.split(",")) {
            String[] bits = part.trim().split(";");
            String range = bits[0].trim().toLowerCase(java.util.Locale.ROOT);
            if (range.isEmpty()) continue;
            double q = 1.0;
            for (int i = 1; i < bits.length; i++) {
                String p = bits[i].trim();
                if (p.startsWith("q=")) {
                    try {
                        q = Double.parseDouble(p.substring(2));
                    } catch (NumberFormatException e) {
                        return null; // Accept.Parse_failure: as if there were none
                    }
                }
            }
            int js = specificity(range, JSON);
            if (js > jsonSpecificity) {
                jsonSpecificity = js;
                json = q;
            }
            int xs = specificity(range, XML);
            if (xs > xmlSpecificity) {
                xmlSpecificity = xs;
                xml = q;
            }
        }
        if (json <= 0 && xml <= 0) return null;
        return json >= xml;
    }

    /** How closely {@code range} names {@code type}: 2 exactly, 1 by {@code type/*}, 0 by {@code *}{@code /*}. */
    private static int specificity(String range, String type) {
        if (range.equals(type)) return 2;
        if (range.equals("*/*")) return 0;
        if (range.endsWith("/*") && type.startsWith(range.substring(0, range.length() - 1))) return 1;
        return -1;
    }
}
