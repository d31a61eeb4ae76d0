package org.xapijava.server.diagnostics;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Response;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.api.gen.HostApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.http.HttpCall;
import org.xapijava.server.http.HttpErrors;
import org.xapijava.server.http.HttpHandlerTable;
import org.xapijava.server.http.HttpTasks;

/**
 * The host's system status, Xapi's {@code system_status.ml} over {@code xen-bugtool}, built in-process: {@code GET
 * /system-status} (action {@code get_system_status}, pool-operator) and {@code host.get_system_status_capabilities}.
 *
 * <p>The capabilities ({@link #capabilities}) are the entries this host can collect:
 * <ul>
 *   <li>{@code xenserver-logs}: every file of the log directory ({@code log-dir}: the audit log and what the
 *       administrator's service manager writes there);</li>
 *   <li>{@code xenserver-config}: the pool role ({@code pool-conf}), the inventory ({@code inventory}) and the
 *       server's effective configuration, written as {@code xapi.conf} lines.</li>
 * </ul>
 * The database, secrets and keys are never included. {@code entries=} is a comma-separated list of keys (empty or
 * absent: every entry checked by default); an unknown key fails with {@code SYSTEM_STATUS_RETRIEVAL_FAILED} before
 * anything is sent. {@code output=} is {@code tar} (default, and what any other value means, as Xapi), {@code
 * tar.bz2} or {@code zip}. The answer: {@code 200}, {@code content-type} Xapi's MIME type of the format, {@code
 * Content-Disposition: attachment; filename="system_status-<RFC 3339 time>-<hostname>.<ext>"}, no length; members
 * under {@code bug-report-<yyyyMMddHHmmss>/} with their paths on the host, as xen-bugtool lays them out. {@code
 * list} answers the capabilities instead. Runs in the caller's task or a new one ({@code Retrieving system status}).
 * Thread-safe.
 */
public final class SystemStatus {
    static final String TASK_LABEL = "Retrieving system status";
    static final String LOGS = "xenserver-logs";
    static final String CONFIG = "xenserver-config";

    /** One entry xen-bugtool offers ({@code <capability>} attributes). */
    record Capability(String key, String contentType, boolean defaultChecked, String pii) {}

    static final List<Capability> CAPABILITIES = List.of(
            new Capability(CONFIG, "text/plain", true, "maybe"), new Capability(LOGS, "text/plain", true, "maybe"));

    private final Path logDir;
    private final List<Path> configFiles;
    private final Supplier<Map<String, String>> config;
    private final Supplier<String> hostname;
    private final Clock clock;
    private final HttpTasks tasks;

    /**
     * @param logDir      the host's log directory
     * @param configFiles the configuration files collected (absent ones are skipped)
     * @param config      the effective configuration
     */
    public SystemStatus(
            Path logDir,
            List<Path> configFiles,
            Supplier<Map<String, String>> config,
            Supplier<String> hostname,
            Clock clock,
            HttpTasks tasks) {
        this.logDir = logDir;
        this.configFiles = List.copyOf(configFiles);
        this.config = config;
        this.hostname = hostname;
        this.clock = clock;
        this.tasks = tasks;
    }

    public void register(HttpHandlerTable table) {
        table.register("get_system_status", this::handle);
    }

    /** Binds {@code host.get_system_status_capabilities} (run on the host concerned by the forwarding layer). */
    public static void bind(MessageTable table) {
        HostApi.bind(table, new HostApi() {
            @Override
            public String getSystemStatusCapabilities(CallContext ctx, String host) {
                return capabilities();
            }
        });
    }

    /** {@code host.get_system_status_capabilities}: xen-bugtool's {@code --capabilities} XML. */
    public static String capabilities() {
        StringBuilder b = new StringBuilder("<?xml version=\"1.0\" ?>\n<system-status-capabilities>\n");
        for (Capability c : CAPABILITIES) {
            b.append("    <capability content-type=\"")
                    .append(c.contentType())
                    .append("\" default-checked=\"")
                    .append(c.defaultChecked() ? "yes" : "no")
                    .append("\" key=\"")
                    .append(c.key())
                    .append("\" max-size=\"-1\" max-time=\"-1\" min-size=\"-1\" min-time=\"-1\" pii=\"")
                    .append(c.pii())
                    .append("\" />\n");
        }
        return b.append("</system-status-capabilities>\n").toString();
    }

    private void handle(HttpCall c) throws IOException {
        if (c.param("list").isPresent()) {
            byte[] xml = capabilities().getBytes(StandardCharsets.UTF_8);
            Response r = c.response();
            r.setStatus(200);
            r.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/xml");
            r.getHeaders().put(HttpHeader.CONTENT_LENGTH, xml.length);
            r.write(true, ByteBuffer.wrap(xml), c.callback());
            return;
        }
        String task = tasks.begin(c, TASK_LABEL);
        List<String> keys;
        try {
            keys = entries(c.param("entries").orElse(""));
        } catch (ApiError e) {
            tasks.fail(task, e);
            throw e;
        }
        HostArchive.Format format =
                HostArchive.Format.ofOutput(c.param("output").orElse("")).orElse(HostArchive.Format.TAR);
        var now = clock.instant();
        String root = "bug-report-"
                + DateTimeFormatter.ofPattern("yyyyMMddHHmmss")
                        .withZone(ZoneOffset.UTC)
                        .format(now) + "/";
        List<HostArchive.Member> members = new ArrayList<>();
        for (String k : keys) {
            if (k.equals(LOGS)) {
                for (HostArchive.Member m : HostArchive.directory(logDir))
                    members.add(HostArchive.Member.file(root + m.name(), m.file()));
            } else {
                for (Path p : configFiles) {
                    if (Files.isRegularFile(p))
                        members.add(HostArchive.Member.file(
                                root + p.toAbsolutePath().normalize().toString().replaceFirst("^/+", ""), p));
                }
                members.add(HostArchive.Member.bytes(root + "xapi.conf", effectiveConfig(), now.getEpochSecond()));
            }
        }
        String filename = "system_status-"
                + DateTimeFormatter.ISO_OFFSET_DATE_TIME
                        .withZone(ZoneOffset.UTC)
                        .format(now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS))
                        .replace("+00:00", "Z")
                + "-" + hostname.get() + "." + format.extension;
        Response r = c.response();
        var h = HttpErrors.head(r, 200);
        h.put(HttpHeader.CONTENT_TYPE, format.mime);
        h.put("Content-Disposition", "attachment; filename=\"" + filename + "\"");
        try (OutputStream out = Content.Sink.asOutputStream(r)) {
            HostArchive.write(members, format, out);
        } catch (IOException e) {
            tasks.fail(
                    task, new ApiError(ErrorCodes.SYSTEM_STATUS_RETRIEVAL_FAILED, List.of("xen-bugtool failed: " + e)));
            c.callback().failed(e);
            return;
        }
        tasks.complete(task, "");
        c.callback().succeeded();
    }

    /** The keys asked for, in capability order; empty: the default-checked ones. */
    static List<String> entries(String asked) {
        List<String> out = new ArrayList<>();
        if (asked.isBlank()) {
            for (Capability c : CAPABILITIES) if (c.defaultChecked()) out.add(c.key());
            return out;
        }
        List<String> wanted = new ArrayList<>();
        for (String k : asked.split(",")) {
            String t = k.strip();
            if (t.isEmpty()) continue;
            if (CAPABILITIES.stream().noneMatch(c -> c.key().equals(t)))
                throw new ApiError(
                        ErrorCodes.SYSTEM_STATUS_RETRIEVAL_FAILED, List.of("xen-bugtool failed: unknown entry " + t));
            wanted.add(t);
        }
        for (Capability c : CAPABILITIES) if (wanted.contains(c.key())) out.add(c.key());
        return out;
    }

    private byte[] effectiveConfig() {
        StringBuilder b = new StringBuilder("# the effective configuration of this xapi-java host\n");
        Map<String, String> sorted = new LinkedHashMap<>(config.get());
        sorted.forEach((k, v) -> b.append(k).append(" = ").append(v).append('\n'));
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }
}
