package org.xapijava.server.diagnostics;

import java.nio.ByteBuffer;
import java.util.List;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.http.HttpCall;
import org.xapijava.server.http.HttpErrors;
import org.xapijava.server.http.HttpHandlerTable;
import org.xapijava.server.http.HttpTasks;

/**
 * Xapi's {@code GET /host_backup} and {@code PUT /host_restore} ({@code xapi_host_backup.ml}, pool-admin): on a
 * XenServer host they run the {@code host-backup} / {@code host-restore} scripts, a gzipped tar of the control
 * domain's root file system and its restore onto the backup partition. A xapi-java host is not a control domain
 * and has no such partition, so these answer as Xapi does when its script fails: {@code 200} (Xapi sends it before
 * running the script), no data, the connection closed, and the task ({@code Downloading host backup} / {@code
 * Uploading host backup}, or the caller's {@code task_id}) failed with {@code BACKUP_SCRIPT_FAILED [log]} /
 * {@code RESTORE_SCRIPT_FAILED [log]}, the log saying what to back up instead. A restore's body is not read.
 * Thread-safe.
 */
public final class HostBackup {
    static final String BACKUP_LABEL = "Downloading host backup";
    static final String RESTORE_LABEL = "Uploading host backup";
    static final String WHY = "xapi-java has no control domain to back up or restore: back up the pool database"
            + " (pool-dump-database, GET /pool/xmldbdump) and the server's data directory instead";

    private final HttpTasks tasks;

    public HostBackup(HttpTasks tasks) {
        this.tasks = tasks;
    }

    public void register(HttpHandlerTable table) {
        table.register("get_host_backup", c -> refuse(c, BACKUP_LABEL, ErrorCodes.BACKUP_SCRIPT_FAILED));
        table.register("put_host_restore", c -> refuse(c, RESTORE_LABEL, ErrorCodes.RESTORE_SCRIPT_FAILED));
    }

    private void refuse(HttpCall c, String label, String code) {
        String task = tasks.begin(c, label);
        tasks.fail(task, new ApiError(code, List.of(WHY)));
        Response r = c.response();
        r.setStatus(200);
        r.getHeaders().put(HttpHeader.CONNECTION, "close");
        r.getHeaders().put(HttpHeader.CACHE_CONTROL, HttpErrors.CACHE_CONTROL);
        r.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0);
        r.write(true, ByteBuffer.allocate(0), c.callback());
    }
}
