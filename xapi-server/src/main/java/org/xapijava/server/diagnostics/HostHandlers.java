package org.xapijava.server.diagnostics;

import java.time.Clock;
import java.util.List;
import java.util.function.Supplier;
import org.xapijava.server.alerts.MessageStore;
import org.xapijava.server.audit.AuditLog;
import org.xapijava.server.audit.AuditLogHandler;
import org.xapijava.server.config.XapiConfig;
import org.xapijava.server.http.HttpHandlerTable;
import org.xapijava.server.http.HttpTasks;
import org.xapijava.server.http.MessagesHandler;

/**
 * The host's own HTTP handlers, registered in one place: {@code /messages}, {@code /audit_log}, {@code
 * /host_logs_download}, {@code /system-status}, {@code /host_backup} and {@code /host_restore}.
 */
public final class HostHandlers {
    private HostHandlers() {}

    /**
     * @param masterAddress the pool master's address on a member, null on the master
     * @param hostname      this host's {@code hostname}
     */
    public static void register(
            HttpHandlerTable handlers,
            HttpTasks tasks,
            XapiConfig config,
            MessageStore messages,
            AuditLog audit,
            Supplier<String> masterAddress,
            Supplier<String> hostname,
            Clock clock) {
        new MessagesHandler(messages, tasks, masterAddress).register(handlers);
        new AuditLogHandler(audit, tasks).register(handlers);
        new HostLogsDownload(config.path("log-dir"), tasks).register(handlers);
        new SystemStatus(
                        config.path("log-dir"),
                        List.of(config.path("pool-conf"), config.path("inventory")),
                        config::asMap,
                        hostname,
                        clock,
                        tasks)
                .register(handlers);
        new HostBackup(tasks).register(handlers);
    }
}
