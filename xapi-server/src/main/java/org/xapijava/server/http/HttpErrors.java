package org.xapijava.server.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Xapi's HTML error pages ({@code http_svr.ml:response_error_html} and its callers), with Xapi's
 * headers: {@code content-type: text/html}, {@code connection: close},
 * {@code cache-control: no-cache, no-store}; the connection is closed after the page, as Xapi does.
 */
public final class HttpErrors {
    private HttpErrors() {}

    static final String FORBIDDEN =
            "<html><body><h1>HTTP 403 forbidden</h1>Access to the requested resource is forbidden.</body></html>";
    static final String HEADERS_TOO_LARGE =
            "<html><body><h1>HTTP 431 request header fields too large</h1>Exceeded the maximum header size.</body></html>";
    static final String REQUEST_TIMEOUT =
            "<html><body><h1>HTTP 408 request timeout</h1>Timed out waiting for the request.</body></html>";
    /** The extra text of Xapi's 500 for a request head it cannot parse ({@code Http_parse_failure}). */
    static final String UNPARSABLE_HEADERS = "The HTTP headers could not be parsed.";

    public static final String CACHE_CONTROL = "no-cache, no-store";
    /** Xapi's {@code response_unauthorised} page. */
    static final String UNAUTHORISED =
            "<html><body><h1>HTTP 401 unauthorised</h1>Please check your credentials and retry.</body></html>";

    /** {@code 403 Forbidden}: no handler for this method and path. */
    static void forbidden(Response response, Callback callback) {
        page(response, callback, 403, FORBIDDEN);
    }

    /** {@code 501}: a method Xapi's HTTP parser does not know ({@code Http.Unknown}), e.g. HEAD or DELETE. */
    static void methodNotImplemented(Response response, Callback callback, String method) {
        page(
                response,
                callback,
                501,
                "<html><body><h1>HTTP 501 Method Not Implemented</h1><p>Unknown " + escape(method)
                        + " not supported.<br /></p></body></html>");
    }

    /** {@code 500} with Xapi's text; {@code info} (e.g. an OCaml exception as printed) is HTML-escaped here. */
    public static void internalError(Response response, Callback callback, String info) {
        page(response, callback, 500, internalErrorPage(info));
    }

    static String internalErrorPage(String info) {
        return "<html><body><h1>HTTP 500 internal server error</h1>An unexpected error occurred; "
                + "please wait a while and try again. If the problem persists, please contact your support representative."
                + (info == null ? "" : "<h1> Additional information </h1>" + escape(info)) + "</body></html>";
    }

    /** Xapi's {@code escape_html}: {@code < > ' " &} become entities. */
    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '\'' -> b.append("&apos;");
                case '"' -> b.append("&quot;");
                case '&' -> b.append("&amp;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    static void page(Response response, Callback callback, int status, String html) {
        byte[] b = html.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        var h = response.getHeaders();
        h.put(HttpHeader.CONTENT_TYPE, "text/html");
        h.put(HttpHeader.CONNECTION, "close");
        h.put(HttpHeader.CACHE_CONTROL, CACHE_CONTROL);
        h.put(HttpHeader.CONTENT_LENGTH, Integer.toString(b.length));
        response.write(true, ByteBuffer.wrap(b), callback);
    }

    /**
     * A whole HTTP/1.1 response as Xapi writes it ({@code Http.Response.to_wire_string}), for answers
     * sent before any request exists (header timeouts).
     *
     * @param status code and reason, e.g. {@code "408 Request Timeout"}
     */
    static byte[] rawPage(String status, String html) {
        byte[] body = html.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + "\r\ncontent-length: " + body.length + "\r\ncontent-type: text/html\r\n"
                + "connection: close\r\ncache-control: " + CACHE_CONTROL + "\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[h.length + body.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(body, 0, out, h.length, body.length);
        return out;
    }

    /**
     * The head of Xapi's answers of its HTTP handlers ({@code Http.http_200_okay} and friends): {@code status},
     * {@code Connection: close} and Xapi's cache control; the headers, for the caller's own.
     */
    public static org.eclipse.jetty.http.HttpFields.Mutable head(Response response, int status) {
        response.setStatus(status);
        var h = response.getHeaders();
        h.put(HttpHeader.CONNECTION, "close");
        h.put(HttpHeader.CACHE_CONTROL, CACHE_CONTROL);
        return h;
    }

    /** Sends the status line and headers now, before any body (an answer before the request's body is read). */
    public static void commit(Response response) throws java.io.IOException {
        try (org.eclipse.jetty.util.Blocker.Callback sent = org.eclipse.jetty.util.Blocker.callback()) {
            response.write(false, ByteBuffer.allocate(0), sent);
            sent.block();
        }
    }

    /**
     * A status with Xapi's bare headers and no body ({@code http_400_badrequest}, {@code http_404_missing},
     * {@code http_302_redirect} with its {@code Location} set by the caller): {@code Connection: close}, Xapi's
     * cache control, a zero length.
     */
    public static void bare(Response response, Callback callback, int status) {
        head(response, status).put(HttpHeader.CONTENT_LENGTH, "0");
        response.write(true, java.nio.ByteBuffer.allocate(0), callback);
    }
}
