package org.xapijava.server.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.model.Datamodel;
import org.xapijava.model.EnumDef;
import org.xapijava.model.api.Message;
import org.xapijava.model.rpc.RpcValues;
import org.xapijava.server.alerts.MessageImport;
import org.xapijava.server.alerts.MessageStore;

/**
 * Xapi's {@code PUT /messages} ({@code xapi_message.ml handler}, action {@code put_messages}): messages another host
 * or pool sends about one object ({@code send_messages}: {@code ?cls=<cls>&uuid=<object uuid>}, the body Xapi's
 * message XML, one document per message) are stored with their own ref, uuid and timestamp.
 *
 * <ul>
 *   <li>no {@code uuid} or no {@code cls}: {@code 400}, before any task is touched;</li>
 *   <li>on a pool member: {@code 302} to {@code https://<master>/messages?<same query>};</li>
 *   <li>a {@code cls} that is not a value of enum {@code cls}, or no such object: {@code 500} naming Xapi's failure
 *       ({@code Xapi_message.handler: Bad class <cls>} / {@code Bad uuid <uuid>}); nothing is read;</li>
 *   <li>a {@code Content-Length} over {@link #MAX_BODY}: {@code 500 Http_svr.Client_requested_size_over_limit};</li>
 *   <li>otherwise {@code 200} before the body is read (as Xapi), then every message is read, and only if all are
 *       well formed they are written ({@link MessageImport}); a ref already stored is skipped. A malformed or
 *       oversized body stores nothing; the caller's {@code task_id} task then fails with {@code INTERNAL_ERROR}
 *       (Xapi only logs it), else it completes.</li>
 * </ul>
 * Thread-safe.
 */
public final class MessagesHandler {
    private static final Logger LOG = LoggerFactory.getLogger(MessagesHandler.class);
    /** The largest body read: 10 000 messages (Xapi's default cap of a store) of about 3 KiB each. */
    public static final long MAX_BODY = 32L << 20;

    static final String UUID_PARAM = Message.UUID.name();
    static final String CLS_PARAM = Message.CLS.name();

    private final MessageStore store;
    private final HttpTasks tasks;
    /** The master's address on a pool member, null on the master. */
    private final Supplier<String> masterAddress;

    private final EnumDef clsEnum = Datamodel.get().enumDef(Message.CLS.name());

    public MessagesHandler(MessageStore store, HttpTasks tasks, Supplier<String> masterAddress) {
        this.store = store;
        this.tasks = tasks;
        this.masterAddress = masterAddress;
    }

    public void register(HttpHandlerTable table) {
        table.register("put_messages", this::handle);
    }

    private void handle(HttpCall c) throws IOException {
        Response response = c.response();
        var q = HttpParams.query(c.request());
        String uuid = q.getValue(UUID_PARAM);
        String clsText = q.getValue(CLS_PARAM);
        if (uuid == null || clsText == null) {
            HttpErrors.bare(response, c.callback(), 400);
            return;
        }
        String master = masterAddress.get();
        if (master != null) {
            var uri = c.request().getHttpURI();
            response.getHeaders().put(HttpHeader.LOCATION, "https://" + master + uri.getPath() + "?" + uri.getQuery());
            tasks.completeCallers(c);
            HttpErrors.bare(response, c.callback(), 302);
            return;
        }
        String cls = clsEnum.canonical(clsText);
        if (cls == null) {
            refuse(c, "Xapi_message.handler: Bad class " + clsText);
            return;
        }
        if (!store.objectExists(cls, uuid)) {
            refuse(c, "Xapi_message.handler: Bad uuid " + uuid);
            return;
        }
        long length = c.request().getLength();
        if (length > MAX_BODY) {
            tasks.failCallers(c, BlobHandler.TOO_LARGE);
            HttpErrors.internalError(response, c.callback(), BlobHandler.TOO_LARGE);
            return;
        }
        var h = HttpErrors.head(response, 200);
        byte[] body;
        try {
            HttpErrors.commit(response);
            body = c.bodyAtMost(MAX_BODY);
            if (body == null) throw new IOException("body over " + MAX_BODY + " bytes");
        } catch (IOException e) {
            LOG.info("PUT /messages for {} {}: body not received: {}", cls, uuid, e.toString());
            tasks.failCallers(c, "Xapi_message.handler: " + e.getMessage());
            c.request().getConnectionMetaData().getConnection().getEndPoint().close(e);
            c.callback().failed(e);
            return;
        }
        try {
            int n = MessageImport.importInto(store, body);
            LOG.debug("PUT /messages for {} {}: {} messages stored", cls, uuid, n);
            tasks.completeCallers(c);
        } catch (MessageImport.MalformedBody e) {
            LOG.warn("PUT /messages for {} {}: nothing stored: {}", cls, uuid, e.getMessage());
            tasks.failCallers(c, "Xapi_message.handler: " + e.getMessage());
        }
        response.write(true, ByteBuffer.allocate(0), c.callback());
    }

    /** A failure before the 200: Xapi's 500 page naming it; the caller's task fails with it. */
    private void refuse(HttpCall c, String failure) {
        tasks.failCallers(c, failure);
        HttpErrors.internalError(c.response(), c.callback(), RpcValues.ocamlFailure(failure));
    }
}
