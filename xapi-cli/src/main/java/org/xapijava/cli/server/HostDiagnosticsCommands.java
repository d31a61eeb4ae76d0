package org.xapijava.cli.server;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xapijava.cli.protocol.CliMessage;
import org.xapijava.cli.records.CliFailure;

/**
 * The host diagnostics commands of {@code cli_operations.ml}: {@code host-logs-download}, {@code
 * host-get-system-status}, {@code host-get-system-status-capabilities}, {@code host-backup} and {@code host-restore},
 * each over the host selectors ({@code do_host_op}). As Xapi's ({@code uri_of_someone}), a transfer of the pool's
 * master is a path on the server the client contacted, one of another host names it: {@code https://<address>/...}.
 */
final class HostDiagnosticsCommands {
    private HostDiagnosticsCommands() {}

    static void bind(Map<String, CommandImpl> t) {
        t.put("host-logs-download", HostDiagnosticsCommands::logsDownload);
        t.put("host-get-system-status", HostDiagnosticsCommands::systemStatus);
        t.put("host-get-system-status-capabilities", c -> {
            List<String> caps =
                    Selectors.hosts(c, true, Set.of(), h -> c.api().host().getSystemStatusCapabilities(h.ref()));
            c.out().list(caps);
        });
        t.put(
                "host-backup",
                c -> Selectors.hosts(
                        c,
                        false,
                        Set.of("file-name"),
                        h -> TransferCommands.trackHttp(
                                c,
                                "host backup download",
                                task -> new CliMessage.HttpGet(
                                        c.params().get("file-name"),
                                        uriOf(c, h.ref()) + "/host_backup?session_id=" + c.session() + "&task_id="
                                                + task))));
        t.put(
                "host-restore",
                c -> Selectors.hosts(
                        c,
                        false,
                        Set.of("file-name"),
                        h -> TransferCommands.trackHttp(
                                c,
                                "host backup upload",
                                task -> new CliMessage.HttpPut(
                                        c.params().get("file-name"),
                                        uriOf(c, h.ref()) + "/host_restore?session_id=" + c.session() + "&task_id="
                                                + task))));
    }

    /** {@code host_logs_download}: {@code file-name}, else {@code logs-<y>-<m>-<d>T<hhmmss>Z}; per host a suffix. */
    private static void logsDownload(CommandContext c) throws Exception {
        String filename;
        if (c.params().has("file-name")) {
            filename = c.params().get("file-name");
        } else {
            ZonedDateTime t = ZonedDateTime.now(ZoneOffset.UTC);
            filename = String.format(
                    "logs-%d-%d-%dT%02d%02d%02dZ",
                    t.getYear(), t.getMonthValue(), t.getDayOfMonth(), t.getHour(), t.getMinute(), t.getSecond());
        }
        List<String> selected = Selectors.hosts(c, true, Set.of("file-name"), h -> h.ref());
        for (String host : selected) {
            String suffix = selected.size() == 1 ? "" : "-" + c.api().host().getNameLabel(host);
            TransferCommands.trackHttp(
                    c,
                    "host logs download",
                    task -> new CliMessage.HttpGet(
                            filename + suffix,
                            uriOf(c, host) + "/host_logs_download?session_id=" + c.session() + "&task_id=" + task));
        }
    }

    /** {@code host_get_system_status}: {@code output} tar.bz2 (default), tar or zip, else Xapi's failure. */
    private static void systemStatus(CommandContext c) throws Exception {
        String filename = c.params().get("filename");
        String entries = c.params().getOr("entries", "");
        String output = c.params().getOr("output", "tar.bz2");
        if (!Set.of("tar.bz2", "tar", "zip").contains(output))
            throw new CliFailure("Invalid output format. Must be 'tar', 'zip' or 'tar.bz2'");
        Selectors.hosts(
                c,
                true,
                Set.of("filename", "entries", "output"),
                h -> TransferCommands.trackHttp(
                        c,
                        "system-status download",
                        task -> new CliMessage.HttpGet(
                                filename,
                                uriOf(c, h.ref()) + "/system-status?session_id=" + c.session() + "&entries=" + entries
                                        + "&output=" + output + "&task_id=" + task)));
    }

    /**
     * Xapi's {@code uri_of_someone}: nothing for the pool's master (the transfer's path goes to the server the client
     * contacted), {@code https://<address>} of any other host (the client reaches it as it reaches its server).
     */
    static String uriOf(CommandContext c, String host) {
        if (host.equals(c.api().pool().getMaster(CliArgs.pool(c)))) return "";
        String address = c.api().host().getAddress(host);
        return "https://" + (address.indexOf(':') >= 0 ? "[" + address + "]" : address);
    }
}
