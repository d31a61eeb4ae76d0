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
        Fields q = query(request);
        Fields.Field f = q.get(name);
        return f == null ? Optional.empty() : Optional.of(f.getValue());
    }

    /**
     * The query string's parameters ({@code &}-separated, {@code +} a space, UTF-8 percent escapes decoded), read as
     * Xapi's URI library reads them: a malformed escape such as {@code %zz} is kept as it is, where Jetty's own
     * decoder refuses the whole request (an HTTP 500 carrying its exception). Parsed once per request (kept as one of
     * its attributes, as Jetty keeps its own); callers only read it.
     */
    public static Fields query(Request request) {
        if (request.getAttribute(QUERY_ATTRIBUTE) instanceof Fields parsed) return parsed;
        Fields fields = new Fields(true);
        String q = request.getHttpURI().getQuery();
        if (q != null) {
            for (String pair : q.split("&")) {
                if (pair.isEmpty()) continue;
                int eq = pair.indexOf('=');
                fields.add(decode(eq < 0 ? pair : pair.substring(0, eq)), eq < 0 ? "" : decode(pair.substring(eq + 1)));
            }
        }
        request.setAttribute(QUERY_ATTRIBUTE, fields);
        return fields;
    }

    /** The request attribute holding its parsed query. */
    private static final String QUERY_ATTRIBUTE = HttpParams.class.getName() + ".query";

    /** {@code s} with {@code +} as a space and each well-formed {@code %XX} as its byte (UTF-8 text). */
    static String decode(String s) {
        if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(s.length());
        byte[] in = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (int i = 0; i < in.length; i++) {
            int hi;
            int lo;
            if (in[i] == '+') {
                out.write(' ');
            } else if (in[i] == '%'
                    && i + 2 < in.length
                    && (hi = Character.digit(in[i + 1], 16)) >= 0
                    && (lo = Character.digit(in[i + 2], 16)) >= 0) {
                out.write(hi << 4 | lo);
                i += 2;
            } else {
                out.write(in[i]);
            }
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }
}
