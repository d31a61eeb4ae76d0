package org.xapijava.server.diagnostics;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Response;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.http.HttpCall;
import org.xapijava.server.http.HttpErrors;
import org.xapijava.server.http.HttpHandlerTable;
import org.xapijava.server.http.HttpTasks;

/**
 * Xapi's {@code GET /host_logs_download} ({@code xapi_logs_download.ml}, action {@code get_host_logs_download},
 * pool-operator): {@code 200} with no type or length, then what Xapi's {@code logs-download} script writes,
 * {@code tar --gzip -c /var/log/}: a gzipped tar of every file under the host's log directory ({@code log-dir}),
 * members named as tar names them (the directory's absolute path without its leading {@code /}). Runs in the
 * caller's task or a new one ({@code Downloading host logs}), completed at the end. Thread-safe.
 */
public final class HostLogsDownload {
    static final String TASK_LABEL = "Downloading host logs";

    private final Path logDir;
    private final HttpTasks tasks;

    public HostLogsDownload(Path logDir, HttpTasks tasks) {
        this.logDir = logDir;
        this.tasks = tasks;
    }

    public void register(HttpHandlerTable table) {
        table.register("get_host_logs_download", this::handle);
    }

    private void handle(HttpCall c) throws IOException {
        String task = tasks.begin(c, TASK_LABEL);
        Response r = c.response();
        HttpErrors.head(r, 200);
        try (OutputStream out = Content.Sink.asOutputStream(r)) {
            HostArchive.write(HostArchive.directory(logDir), HostArchive.Format.TAR_GZ, out);
        } catch (IOException e) {
            tasks.fail(task, ApiError.internal(e.toString()));
            c.callback().failed(e);
            return;
        }
        tasks.complete(task, "");
        c.callback().succeeded();
    }
}
