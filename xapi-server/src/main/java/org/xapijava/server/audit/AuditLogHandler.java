package org.xapijava.server.audit;

import java.io.IOException;
import java.io.OutputStream;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Response;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.http.HttpCall;
import org.xapijava.server.http.HttpErrors;
import org.xapijava.server.http.HttpHandlerTable;
import org.xapijava.server.http.HttpTasks;

/**
 * Xapi's {@code GET /audit_log} ({@code audit_log.ml handler}, action {@code get_audit_log}, read-only): the audit
 * log's lines, oldest file first, those whose timestamp is not before {@code since} (cookie or query; ISO 8601 or
 * Xapi's log form: {@code 2009-09-10T11:31:11.417Z}, {@code 20090910T11:31:11.417}, {@code 2009-09-10}, ...; absent:
 * all). {@code 200} with {@code Content-Type: text/plain} and no length; the connection closes after the lines. Runs
 * in the caller's {@code task_id} task or a new one ({@code audit_log_get request}), completed at the end.
 * Thread-safe.
 */
public final class AuditLogHandler {
    static final String LABEL = "audit_log_get request";
    static final String SINCE = "since";

    private final AuditLog log;
    private final HttpTasks tasks;

    public AuditLogHandler(AuditLog log, HttpTasks tasks) {
        this.log = log;
        this.tasks = tasks;
    }

    public void register(HttpHandlerTable table) {
        table.register("get_audit_log", this::handle);
    }

    private void handle(HttpCall c) throws IOException {
        String task = tasks.begin(c, LABEL);
        String since = AuditLog.logTimestampOf(c.param(SINCE).orElse(""));
        Response r = c.response();
        var h = HttpErrors.head(r, 200);
        h.put(HttpHeader.CONTENT_TYPE, "text/plain");
        try (OutputStream out = Content.Sink.asOutputStream(r)) {
            log.transfer(since, out);
        } catch (IOException e) {
            tasks.fail(task, ApiError.internal(e.toString()));
            c.callback().failed(e);
            return;
        }
        tasks.complete(task, "");
        c.callback().succeeded();
    }
}
