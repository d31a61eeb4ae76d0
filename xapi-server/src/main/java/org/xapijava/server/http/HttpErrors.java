package org.xapijava.server.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/** Xapi's plain HTML error pages ({@code http_svr.ml}): 403 for an unknown handler, 500 for bad RPC bodies. */
final class HttpErrors {
    private HttpErrors() {}

    static void forbidden(Response response, Callback callback) {
        page(response, callback, 403, "<html><body><h1>HTTP 403 forbidden</h1>Access to the requested resource is forbidden.</body></html>", false);
    }

    static void internalError(Response response, Callback callback, String info) {
        String esc = info.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
        page(response, callback, 500, "<html><body><h1>HTTP 500 internal server error</h1>An unexpected error occurred; "
                + "please wait a while and try again. If the problem persists, please contact your support representative."
                + "<h1> Additional information </h1>" + esc + "</body></html>", true);
    }

    private static void page(Response response, Callback callback, int status, String html, boolean close) {
        byte[] b = html.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/html");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, Integer.toString(b.length));
        if (close) response.getHeaders().put(HttpHeader.CONNECTION, "close");
        response.write(true, ByteBuffer.wrap(b), callback);
    }
}
