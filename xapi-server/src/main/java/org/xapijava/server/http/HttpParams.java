package org.xapijava.server.http;

import java.util.Optional;
import org.eclipse.jetty.http.HttpCookie;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Fields;

/**
 * Request parameters looked up as Xapi does. Stateless. The names of Xapi's handler parameters that happen to be
 * datamodel names too are here, once.
 */
public final class HttpParams {
    private HttpParams() {}

    /** The task a handler runs in ({@code with_context}). */
    public static final String TASK_ID = "task_id";
    /** The parent of the task a handler makes. */
    public static final String SUBTASK_OF = "subtask_of";
    /** The VDI of a disk transfer (a reference or a uuid). */
    public static final String VDI = "vdi";

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
