package org.xapijava.server.http;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.xapijava.server.dispatch.Caller;

/**
 * One request routed to an action's handler, after the authentication stage.
 *
 * @param action   the action the request matched
 * @param session  the session the caller proved ({@code session_id}, or the temporary one of Basic
 *                 authentication, logged out after the handler); null when it came by the Unix socket, with the
 *                 pool secret, or to a public action
 * @param caller   who sent it (the Unix socket's callers are the local superuser) and the headers passed on
 */
public record HttpCall(
        HttpAction action, Request request, Response response, Callback callback, String session, Caller caller) {

    /** A parameter as Xapi looks it up ({@code lookup_param_of_req}): the cookie first, then the query. */
    public Optional<String> param(String name) {
        return HttpParams.cookieOrQuery(request, name);
    }

    /**
     * The request's body when it is at most {@code max} bytes, by its {@code Content-Length} and as read (a chunked
     * body has no length); null when it is longer (then at most {@code max + 1} bytes of it were read).
     */
    public byte[] bodyAtMost(long max) throws IOException {
        if (request.getLength() > max) return null;
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] b = in.readNBytes((int) max + 1);
            return b.length > max ? null : b;
        }
    }
}
