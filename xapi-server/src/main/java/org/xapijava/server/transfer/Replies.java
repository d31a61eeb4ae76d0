package org.xapijava.server.transfer;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.http.HttpCall;
import org.xapijava.server.http.HttpErrors;
import org.xapijava.server.http.HttpTasks;

/** The answers of Xapi's transfer handlers, written as its {@code Http} helpers write them. Stateless. */
final class Replies {
    private static final Logger LOG = LoggerFactory.getLogger(Replies.class);

    private Replies() {}

    /** {@code http_400_badrequest}, {@code http_404_missing} (HTTP/1.0 in Xapi), {@code 500}: no body. */
    static void bare(HttpCall c, int status, String task) {
        Response r = c.response();
        if (task != null) r.getHeaders().put("task-id", task);
        HttpErrors.bare(r, c.callback(), status);
    }

    /** A transfer's {@code 200}: {@code Connection: close}, Xapi's cache control, {@code task-id}, the type. */
    static org.eclipse.jetty.http.HttpFields.Mutable ok(Response r, String task, String contentType) {
        var h = HttpErrors.head(r, 200);
        if (task != null) h.put("task-id", task);
        if (contentType != null) h.put(HttpHeader.CONTENT_TYPE, contentType);
        return h;
    }

    static void redirect(HttpCall c, String location) {
        Response r = c.response();
        r.getHeaders().put(HttpHeader.LOCATION, location);
        HttpErrors.bare(r, c.callback(), 302);
    }

    /**
     * A transfer that failed once its 200 was committed (or about to be): the task fails ({@code TASK_CANCELLED}
     * when cancelled, the error itself when it is a XenAPI one, else {@code otherwise}) and the connection is cut.
     */
    static void abort(HttpCall c, HttpTasks tasks, String task, Exception e, ApiError otherwise) {
        LOG.info("{} of task {} failed: {}", c.action().name(), task, e.toString());
        tasks.fail(task, e instanceof ApiError a ? a : otherwise);
        c.request().getConnectionMetaData().getConnection().getEndPoint().close(e);
        c.callback().failed(e);
    }
}
