package org.xapijava.server.rrd;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.VM;
import org.xapijava.server.http.BlobHandler;
import org.xapijava.server.http.HttpCall;
import org.xapijava.server.http.HttpErrors;
import org.xapijava.server.http.HttpHandlerTable;
import org.xapijava.server.http.HttpParams;
import org.xapijava.server.http.HttpTasks;

/**
 * Xapi's {@code PUT /rrd} (action {@code rrd}, pool-admin; {@code rrdd_proxy.ml put_rrd_forwarder} then xcp-rrdd's
 * {@code put_rrd_handler}): another host sends the RRD of a VM it hands over (a migration: the RRD replaces this
 * host's copy of the VM's) or, with {@code archive}, one to keep on the master (a VM's or a host's: written to the
 * archive the master serves it from).
 *
 * <ul>
 *   <li>no {@code uuid}: {@code 400}; {@code archive} on a pool member: {@code 302} to the master;</li>
 *   <li>{@code uuid} of neither a VM nor a host: {@code 404}; a host's without {@code archive}: {@code 400};</li>
 *   <li>a {@code Content-Length} over {@link #MAX_BODY}: {@code 500 Http_svr.Client_requested_size_over_limit};</li>
 *   <li>else {@code 200} before the body (as Xapi), then the body is read as an RRD dump ({@link RrdDump#parse},
 *       either form) and kept. A body that is not an RRD (or is longer than {@link #MAX_BODY}) changes nothing; the
 *       caller's {@code task_id} task then fails with {@code INTERNAL_ERROR} (xcp-rrdd only logs it), else it
 *       completes.</li>
 * </ul>
 * Thread-safe.
 */
final class RrdPut {
    private static final Logger LOG = LoggerFactory.getLogger(RrdPut.class);
    /** The largest RRD read: a VM's full dump with MIN and MAX (a year of rows for ~100 sources) is ~10 MiB. */
    static final long MAX_BODY = 64L << 20;

    /** {@code archive}: keep the RRD as the archive (on the master). */
    static final String ARCHIVE = "archive";

    private final Rrds rrds;
    private final RrdArchive archive;
    private final Db data;
    private final HttpTasks tasks;
    private final Supplier<String> masterAddress;

    RrdPut(Rrds rrds, RrdArchive archive, Db data, HttpTasks tasks, Supplier<String> masterAddress) {
        this.rrds = rrds;
        this.archive = archive;
        this.data = data;
        this.tasks = tasks;
        this.masterAddress = masterAddress;
    }

    void register(HttpHandlerTable table) {
        table.register("rrd", this::handle);
    }

    private void handle(HttpCall c) throws IOException {
        Response response = c.response();
        Fields q = HttpParams.query(c.request());
        String uuid = q.getValue(RrdHandlers.UUID_PARAM);
        boolean toArchive = q.get(ARCHIVE) != null;
        if (uuid == null) {
            HttpErrors.bare(response, c.callback(), 400);
            return;
        }
        String master = masterAddress.get();
        if (toArchive && master != null) {
            var uri = c.request().getHttpURI();
            response.getHeaders().put(HttpHeader.LOCATION, "https://" + master + uri.getPath() + "?" + uri.getQuery());
            HttpErrors.bare(response, c.callback(), 302);
            return;
        }
        Optional<String> vm = data.findByUuid(VM.XAPI_CLASS, uuid);
        boolean host = vm.isEmpty() && data.findByUuid(Host.XAPI_CLASS, uuid).isPresent();
        if (vm.isEmpty() && !host) {
            tasks.completeCallers(c);
            HttpErrors.bare(response, c.callback(), 404);
            return;
        }
        if (host && !toArchive) {
            tasks.completeCallers(c);
            HttpErrors.bare(response, c.callback(), 400);
            return;
        }
        if (c.request().getLength() > MAX_BODY) {
            tasks.failCallers(c, BlobHandler.TOO_LARGE);
            HttpErrors.internalError(response, c.callback(), BlobHandler.TOO_LARGE);
            return;
        }
        long domid = vm.map(v -> data.get(v, VM.DOMID)).orElse(0L);
        HttpErrors.head(response, 200);
        byte[] body;
        try {
            HttpErrors.commit(response);
            body = Content.Source.asInputStream(c.request()).readNBytes((int) MAX_BODY + 1);
        } catch (IOException e) {
            LOG.info("PUT /rrd of {}: body not received: {}", uuid, e.toString());
            tasks.failCallers(c, e.toString());
            c.request().getConnectionMetaData().getConnection().getEndPoint().close(e);
            c.callback().failed(e);
            return;
        }
        try {
            if (body.length > MAX_BODY) throw new IllegalArgumentException("an RRD over " + MAX_BODY + " bytes");
            Rrd rrd = RrdDump.parse(new ByteArrayInputStream(body));
            if (toArchive) archive.saveDump(uuid, body); // read once: an RRD; kept as it came
            else rrds.putVm(uuid, rrd, domid);
            tasks.completeCallers(c);
        } catch (IllegalArgumentException e) {
            LOG.warn("PUT /rrd of {}: not kept: {}", uuid, e.getMessage());
            tasks.failCallers(c, e.getMessage());
        }
        response.write(true, ByteBuffer.allocate(0), c.callback());
    }
}
