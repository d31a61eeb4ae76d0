package org.xapijava.server.http;

import java.util.Optional;
import org.eclipse.jetty.http.HttpCookie;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Fields;

/** Request parameters looked up as Xapi does. Stateless. */
final class HttpParams {
    private HttpParams() {}

    /** {@code name} from the {@code Cookie} header, else from the query string (Xapi's {@code lookup_param_of_req}). */
    static Optional<String> cookieOrQuery(Request request, String name) {
        var cookies = Request.getCookies(request);
        if (cookies != null) {
            for (HttpCookie c : cookies) {
                if (c.getName().equals(name)) return Optional.of(c.getValue());
            }
        }
        Fields q = Request.extractQueryParameters(request);
        Fields.Field f = q.get(name);
        return f == null ? Optional.empty() : Optional.of(f.getValue());
    }
}
