package org.xapijava.server.dispatch;

import java.util.Map;

/**
 * Where a call comes from.
 *
 * @param transport     "xmlrpc", "jsonrpc" or "internal"
 * @param remoteAddress the peer's address ("" for the Unix socket and internal calls)
 * @param localRoot     the caller is the local superuser (Xapi's Unix socket {@code /var/lib/xcp/xapi}):
 *                      logins need no password
 * @param headers       request headers with lower-case names (task-id, subtask-of, x-http-other-config-*)
 */
public record Caller(String transport, String remoteAddress, boolean localRoot, Map<String, String> headers) {
    public Caller {
        headers = headers == null ? Map.of() : headers;
    }

    public static Caller internal() {
        return new Caller("internal", "", true, Map.of());
    }

    /** An internal caller whose calls run under {@code task} (null: under a task of their own). */
    public static Caller internalUnder(String task) {
        return task == null ? internal() : new Caller("internal", "", true, Map.of("task-id", task));
    }

    public String header(String lowerCaseName) {
        return headers.get(lowerCaseName);
    }
}
