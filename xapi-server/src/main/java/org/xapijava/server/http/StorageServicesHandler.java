package org.xapijava.server.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.xapijava.model.xmlrpc.XmlRpcReader;
import org.xapijava.server.storage.rpc.StorageRpc;

/**
 * Xapi's {@code POST /services/SM} ({@code xapi_services.ml} {@code post_handler}, action {@code post_services_sm}):
 * the host's storage interface over XML-RPC for other hosts and pools, e.g. {@code SR.update_snapshot_info_dest}
 * sent by the source of a cross-pool {@code VM.migrate_send} to the {@code SM} URL of {@code host.migrate_receive}.
 * The table has checked the caller's session ({@code session_id} in the query) and {@code http/post_services_sm};
 * the body is one call answered by the same {@link StorageRpc} as xenopsd's storage socket, always with status 200.
 * Only the path {@code /services/SM} itself is served (Xapi answers any other under it {@code 404}). Runs blocking on
 * the request's virtual thread. Thread-safe.
 */
public final class StorageServicesHandler {
    private static final String PATH = "/services/SM";

    private final StorageRpc rpc;

    public StorageServicesHandler(StorageRpc rpc) {
        this.rpc = rpc;
    }

    public void register(HttpHandlerTable table) {
        table.register("post_services_sm", this::handle);
    }

    private void handle(HttpCall c) throws IOException {
        Request request = c.request();
        if (!PATH.equals(Request.getPathInContext(request))) {
            HttpErrors.bare(c.response(), c.callback(), 404);
            return;
        }
        byte[] body = c.bodyAtMost(XmlRpcReader.REQUEST_LIMITS.maxBytes());
        if (body == null) {
            HttpErrors.bare(c.response(), c.callback(), 413);
            return;
        }
        byte[] answer = rpc.handle(body);
        var response = c.response();
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/xml");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, answer.length);
        response.write(true, ByteBuffer.wrap(answer), c.callback());
    }
}
