package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.Task;
import com.xensource.xenapi.Types;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;

/**
 * The host's diagnostics over real HTTP: {@code /host_logs_download} (a gzipped tar of the log directory, members
 * named as {@code tar -c} names them), {@code /system-status} (tar, tar.bz2, zip; entries; the capabilities, also
 * through {@code host.get_system_status_capabilities}), and {@code /host_backup}, {@code /host_restore} refused as
 * Xapi does when its script fails; each for pool-operator (or pool-admin) only.
 */
class DiagnosticsHttpTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private static HttpResponse<byte[]> get(TestHost host, String pathAndQuery) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(host.uri(pathAndQuery)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static Map<String, byte[]> untar(InputStream in) throws Exception {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) out.put(e.getName(), tar.readAllBytes());
        }
        return out;
    }

    private static Map<String, byte[]> unzip(byte[] bytes) throws Exception {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(bytes))) {
            ZipEntry e;
            while ((e = zip.getNextEntry()) != null) out.put(e.getName(), zip.readAllBytes());
        }
        return out;
    }

    private static String withRole(TestHost host, String role) throws Exception {
        return "session_id=" + LifecycleSupport.loginWithRole(host, role).getSessionReference();
    }

    @Test
    void theHostsLogsAndStatusAreArchivesOfItsFiles() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            String s = "session_id=" + c.getSessionReference();
            Path logs = dir.resolve("logs");
            Files.createDirectories(logs.resolve("sub"));
            byte[] xensource = "line 1\nline 2\n".getBytes(StandardCharsets.UTF_8);
            Files.write(logs.resolve("xensource.log"), xensource);
            Files.write(logs.resolve("sub/SMlog"), new byte[] {1, 2, 3});
            LifecycleSupport.newVm(host, c, "for the audit log");
            String prefix = logs.toAbsolutePath().toString().substring(1) + "/";

            // /host_logs_download: tar --gzip -c <log dir>
            HttpResponse<byte[]> r = get(host, "/host_logs_download?" + s);
            assertEquals(200, r.statusCode());
            Map<String, byte[]> tar = untar(new GZIPInputStream(new ByteArrayInputStream(r.body())));
            assertArrayEquals(
                    xensource, tar.get(prefix + "xensource.log"), tar.keySet().toString());
            assertArrayEquals(new byte[] {1, 2, 3}, tar.get(prefix + "sub/SMlog"));
            assertTrue(
                    new String(tar.get(prefix + "audit.log"), StandardCharsets.UTF_8).contains("'VM.create'"),
                    "the audit log is one of the logs");

            // /system-status: tar by default (and for an unknown output), Xapi's headers
            HttpResponse<byte[]> st = get(host, "/system-status?" + s);
            assertEquals(200, st.statusCode());
            assertEquals(
                    "appliation/x-tar", st.headers().firstValue("content-type").orElse(""));
            String hostname = Host.getAll(c).iterator().next().getHostname(c);
            String disposition = st.headers().firstValue("content-disposition").orElse("");
            assertTrue(
                    disposition.matches(
                            "attachment; filename=\"system_status-\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ-"
                                    + java.util.regex.Pattern.quote(hostname) + "\\.tar\""),
                    disposition);
            Map<String, byte[]> status = untar(new ByteArrayInputStream(st.body()));
            String root = status.keySet().iterator().next().replaceFirst("/.*", "/");
            assertTrue(root.matches("bug-report-\\d{14}/"), root);
            assertArrayEquals(
                    xensource,
                    status.get(root + prefix + "xensource.log"),
                    status.keySet().toString());
            String conf = new String(status.get(root + "xapi.conf"), StandardCharsets.UTF_8);
            assertTrue(conf.contains("log-dir = " + logs.toAbsolutePath()), conf);
            Map<String, byte[]> rar = untar(new ByteArrayInputStream(
                    get(host, "/system-status?" + s + "&output=rar").body()));
            assertEquals(names(status), names(rar), "an unknown output is a tar");

            // tar.bz2 and zip hold the same members
            HttpResponse<byte[]> bz = get(host, "/system-status?" + s + "&output=tar.bz2");
            assertEquals(
                    "application/x-bzip2",
                    bz.headers().firstValue("content-type").orElse(""));
            Map<String, byte[]> fromBz = untar(new BZip2CompressorInputStream(new ByteArrayInputStream(bz.body())));
            assertArrayEquals(xensource, fromBz.get(root(fromBz) + prefix + "xensource.log"));
            HttpResponse<byte[]> zip = get(host, "/system-status?" + s + "&output=zip");
            assertEquals(
                    "application/zip", zip.headers().firstValue("content-type").orElse(""));
            Map<String, byte[]> fromZip = unzip(zip.body());
            assertArrayEquals(xensource, fromZip.get(root(fromZip) + prefix + "xensource.log"));

            // entries: only those asked; an unknown one is Xapi's SYSTEM_STATUS_RETRIEVAL_FAILED, the task failed
            Map<String, byte[]> configOnly =
                    untar(new ByteArrayInputStream(get(host, "/system-status?" + s + "&entries=xenserver-config")
                            .body()));
            assertTrue(
                    configOnly.keySet().stream().noneMatch(n -> n.contains("/logs/")),
                    configOnly.keySet().toString());
            assertTrue(configOnly.keySet().stream().anyMatch(n -> n.endsWith("/xapi.conf")));
            Task task = Task.create(c, "status", "");
            HttpResponse<byte[]> unknown =
                    get(host, "/system-status?" + s + "&entries=nonsense&task_id=" + task.toWireString());
            assertEquals(500, unknown.statusCode());
            assertTrue(new String(unknown.body(), StandardCharsets.UTF_8).contains("SYSTEM_STATUS_RETRIEVAL_FAILED"));
            Task.Record tr = LifecycleSupport.awaitTask(host, c, task);
            assertEquals(Types.TaskStatusType.FAILURE, tr.status);
            assertTrue(tr.errorInfo.contains("SYSTEM_STATUS_RETRIEVAL_FAILED"), tr.errorInfo.toString());

            // the capabilities: over HTTP with list, and as host.get_system_status_capabilities
            HttpResponse<byte[]> list = get(host, "/system-status?" + s + "&list=true");
            assertEquals(
                    "application/xml", list.headers().firstValue("content-type").orElse(""));
            String caps = new String(list.body(), StandardCharsets.UTF_8);
            assertEquals(caps, Host.getAll(c).iterator().next().getSystemStatusCapabilities(c));
            assertTrue(caps.contains("<system-status-capabilities>"), caps);
            assertTrue(caps.contains(" key=\"xenserver-logs\" "), caps);
            assertTrue(caps.contains(" key=\"xenserver-config\" "), caps);

            // the same through xe
            Path home = Files.createDirectories(dir.resolve("xe-home"));
            Path logsFile = dir.resolve("logs.tgz");
            assertEquals(
                    "", org.xapijava.server.cli.XeRun.ok(host, home, "host-logs-download", "file-name=" + logsFile));
            assertArrayEquals(
                    xensource,
                    untar(new GZIPInputStream(Files.newInputStream(logsFile))).get(prefix + "xensource.log"));
            Path zipFile = dir.resolve("status.zip");
            org.xapijava.server.cli.XeRun.ok(
                    host,
                    home,
                    "host-get-system-status",
                    "filename=" + zipFile,
                    "output=zip",
                    "entries=xenserver-config");
            Map<String, byte[]> xeZip = unzip(Files.readAllBytes(zipFile));
            assertTrue(
                    xeZip.keySet().stream().anyMatch(n -> n.endsWith("/xapi.conf")),
                    xeZip.keySet().toString());
            var badOutput = org.xapijava.server.cli.XeRun.tcp(
                    host, home, "", "host-get-system-status", "filename=" + zipFile, "output=rar");
            assertEquals(1, badOutput.code());
            assertTrue(
                    badOutput.err().contains("Invalid output format. Must be 'tar', 'zip' or 'tar.bz2'"),
                    badOutput.err());
            assertEquals(
                    caps.strip(),
                    org.xapijava.server.cli.XeRun.ok(host, home, "host-get-system-status-capabilities")
                            .strip());
            var backup = org.xapijava.server.cli.XeRun.tcp(
                    host, home, "", "host-backup", "file-name=" + dir.resolve("backup.tgz"));
            assertEquals(1, backup.code());
            assertTrue(
                    backup.err().contains("The backup could not be performed because the backup script failed."),
                    backup.toString());

            // roles: pool-operator; read-only is 403, nobody 401
            String reader = withRole(host, "read-only");
            assertEquals(403, get(host, "/system-status?" + reader).statusCode());
            assertEquals(403, get(host, "/host_logs_download?" + reader).statusCode());
            String operator = withRole(host, "pool-operator");
            assertEquals(200, get(host, "/host_logs_download?" + operator).statusCode());
            // a malformed escape in the query is kept as it is (Xapi's URI parser), not a 500 from the decoder
            try (RawHttp raw = new RawHttp(host.port())) {
                raw.send("GET /host_logs_download?junk=%zz&" + operator + " HTTP/1.1\r\nHost: x\r\n"
                        + "Connection: close\r\n\r\n");
                assertEquals(200, raw.read().status());
            }
            assertEquals(401, get(host, "/system-status").statusCode());
        }
    }

    /** The member names without the bug-report root (its time may differ between two archives). */
    private static java.util.List<String> names(Map<String, byte[]> members) {
        return members.keySet().stream().map(n -> n.replaceFirst("^[^/]*/", "")).toList();
    }

    private static String root(Map<String, byte[]> members) {
        return members.keySet().iterator().next().replaceFirst("/.*", "/");
    }

    @Test
    void hostBackupAndRestoreFailAsXapisWithoutItsScripts() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            String s = "session_id=" + c.getSessionReference();
            Task backup = Task.create(c, "backup", "");
            HttpResponse<byte[]> b = get(host, "/host_backup?" + s + "&task_id=" + backup.toWireString());
            assertEquals(200, b.statusCode());
            assertEquals(0, b.body().length);
            Task.Record br = LifecycleSupport.awaitTask(host, c, backup);
            assertEquals(Types.TaskStatusType.FAILURE, br.status);
            assertTrue(br.errorInfo.contains("BACKUP_SCRIPT_FAILED"), br.errorInfo.toString());

            Task restore = Task.create(c, "restore", "");
            HttpResponse<byte[]> r = HTTP.send(
                    HttpRequest.newBuilder(host.uri("/host_restore?" + s + "&task_id=" + restore.toWireString()))
                            .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[1000]))
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, r.statusCode());
            Task.Record rr = LifecycleSupport.awaitTask(host, c, restore);
            assertTrue(rr.errorInfo.contains("RESTORE_SCRIPT_FAILED"), rr.errorInfo.toString());
            // pool-admin only
            assertEquals(
                    403,
                    get(host, "/host_backup?" + withRole(host, "pool-operator")).statusCode());
        }
    }
}
