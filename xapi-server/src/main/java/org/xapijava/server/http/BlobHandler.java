package org.xapijava.server.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.db.Update;
import org.xapijava.model.api.Blob;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.server.blob.BlobStore;

/**
 * Xapi's {@code /blob} handler ({@code xapi_blob.ml handler}) on the actions {@code get_blob} and {@code put_blob}.
 * The blob is named by the query's {@code ref}, else its {@code uuid} (neither: {@code 400}; an unknown uuid or ref:
 * {@code 404 "Unknown reference\n"}; no blob directory: {@code 404 "Local storage missing\n"}).
 *
 * <ul>
 *   <li>GET of a public blob needs no credentials; of any other, Xapi's {@code with_context} authentication
 *       (session, pool secret, Basic, the Unix socket; else {@code 401} with realm {@code Blob handler}). The
 *       answer is the data with the blob's MIME type, or {@code 404} when no data was ever PUT.</li>
 *   <li>PUT (the table checked credentials and {@code http/put_blob}) needs a {@code Content-Length}
 *       ({@code 500 Failure("Need content length")}) of at most the store's maximum
 *       ({@code 500 Http_svr.Client_requested_size_over_limit}); the data replaces the blob's once it all arrived,
 *       then {@code size} and {@code last_updated} are set and the answer is {@code 200} with
 *       {@code Access-Control-Allow-Origin: *}. A body cut short changes nothing and closes the connection.</li>
 * </ul>
 * Xapi truncates the file before reading the body and answers 200 before it arrives; here the old data stays until
 * the new is complete, so a refused or broken PUT changes nothing. Every answer closes the connection, as Xapi's.
 * Runs blocking on the request's virtual thread. Thread-safe.
 */
public final class BlobHandler {
    private static final Logger LOG = LoggerFactory.getLogger(BlobHandler.class);
    /** The label of Xapi's {@code with_context} in this handler: the realm of its 401. */
    static final String REALM = "Blob handler";

    static final String UNKNOWN_REFERENCE = "Unknown reference\n";
    static final String NO_STORAGE = "Local storage missing\n";
    static final String NEED_LENGTH = "Failure(\"Need content length\")";
    /** Xapi's failure for a body over a handler's limit. */
    public static final String TOO_LARGE = "Http_svr.Client_requested_size_over_limit";

    private final Db data;
    private final BlobStore store;
    private final Clock clock;
    private final HttpAuthentication auth;

    public BlobHandler(Db data, BlobStore store, Clock clock, HttpAuthentication auth) {
        this.data = data;
        this.store = store;
        this.clock = clock;
        this.auth = auth;
    }

    /** Registers {@code get_blob} and {@code put_blob}. */
    public void register(HttpHandlerTable table) {
        table.register("get_blob", this::handle);
        table.register("put_blob", this::handle);
    }

    private void handle(HttpCall c) throws IOException {
        Request request = c.request();
        Response response = c.response();
        Callback callback = c.callback();
        Fields q = HttpParams.query(request);
        Fields.Field ref = q.get("ref");
        Fields.Field uuid = q.get(Blob.UUID.name());
        if (ref == null && uuid == null) {
            HttpErrors.bare(response, callback, 400);
            return;
        }
        String self;
        if (ref != null) {
            self = ref.getValue();
        } else {
            Optional<String> found = data.findByUuid(Blob.XAPI_CLASS, uuid.getValue());
            if (found.isEmpty()) {
                missing(response, callback, UNKNOWN_REFERENCE);
                return;
            }
            self = found.get();
        }
        boolean get = request.getMethod().equals("GET");
        boolean isPublic = data.exists(Blob.XAPI_CLASS, self) && data.get(self, Blob.PUBLIC);
        HttpAuthentication.Credentials creds = null;
        if (get && !isPublic) {
            try {
                creds = auth.check(c.action(), request, c.caller());
            } catch (HttpAuthentication.Refusal r) {
                refuse(r, response, callback);
                return;
            }
        }
        try {
            if (!data.exists(Blob.XAPI_CLASS, self)) {
                missing(response, callback, UNKNOWN_REFERENCE);
                return;
            }
            String blobUuid = data.get(self, Blob.UUID);
            if (!store.present()) {
                missing(response, callback, NO_STORAGE);
                return;
            }
            if (get) send(self, blobUuid, response, callback);
            else receive(self, blobUuid, request, response, callback);
        } finally {
            if (creds != null && creds.temporary()) auth.logout(creds.session());
        }
    }

    /** GET: the data with the blob's MIME type, or 404 when there is none. */
    private void send(String self, String uuid, Response response, Callback callback) throws IOException {
        Path f = store.file(uuid);
        long size;
        InputStream in;
        try {
            in = Files.newInputStream(f);
            size = Files.size(f);
        } catch (NoSuchFileException | NullPointerException e) {
            HttpErrors.bare(response, callback, 404);
            return;
        }
        try (in) {
            response.setStatus(200);
            var h = response.getHeaders();
            h.put(HttpHeader.CONNECTION, "close");
            h.put(HttpHeader.CONTENT_LENGTH, size);
            h.put(HttpHeader.CACHE_CONTROL, HttpErrors.CACHE_CONTROL);
            h.put(HttpHeader.CONTENT_TYPE, data.get(self, Blob.MIME_TYPE));
            try (OutputStream out = Content.Sink.asOutputStream(response)) {
                in.transferTo(out);
            }
            callback.succeeded();
        }
    }

    /** PUT: the body becomes the blob's data; then its size and last_updated. */
    private void receive(String self, String uuid, Request request, Response response, Callback callback) {
        long len = request.getLength();
        if (len < 0) {
            HttpErrors.internalError(response, callback, NEED_LENGTH);
            return;
        }
        if (len > store.maxSize()) {
            HttpErrors.internalError(response, callback, TOO_LARGE);
            return;
        }
        // Xapi answers 200 before it reads the body: clients that wait for the answer before sending (xe's HttpPut)
        // need it
        var h = HttpErrors.head(response, 200);
        h.put("Access-Control-Allow-Origin", "*");
        // no length, as Xapi's: the answer ends (chunked, or with the connection) only once the data is stored
        long size;
        try {
            HttpErrors.commit(response);
            size = store.store(uuid, Content.Source.asInputStream(request), len);
        } catch (IOException | RuntimeException e) {
            // the client went away mid-body (or the disk failed): nothing changed
            LOG.info("PUT of blob {} not stored: {}", uuid, e.toString());
            request.getConnectionMetaData().getConnection().getEndPoint().close(e);
            callback.failed(e);
            return;
        }
        try {
            data.apply(Update.builder()
                    .exists(Blob.XAPI_CLASS, self)
                    .set(self, Blob.SIZE, size)
                    .set(self, Blob.LAST_UPDATED, DateTime.ofInstant(clock.instant()))
                    .build());
        } catch (ApiError gone) {
            // destroyed while its data arrived: the data goes too
            store.remove(uuid);
        }
        response.write(true, ByteBuffer.allocate(0), callback);
    }

    /** Xapi's {@code response_missing}: 404 with a plain body and no content type. */
    private static void missing(Response response, Callback callback, String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        var h = HttpErrors.head(response, 404);
        h.put(HttpHeader.CONTENT_LENGTH, b.length);
        response.write(true, ByteBuffer.wrap(b), callback);
    }

    /** {@code with_context}'s refusals: 401 with this handler's realm; the table's other answers otherwise. */
    private static void refuse(HttpAuthentication.Refusal r, Response response, Callback callback) {
        switch (r.status) {
            case 401 -> {
                response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Basic realm=\"" + REALM + "\"");
                HttpErrors.page(response, callback, 401, HttpErrors.UNAUTHORISED);
            }
            case 403 -> HttpErrors.forbidden(response, callback);
            default -> HttpErrors.internalError(response, callback, r.getMessage());
        }
    }
}
