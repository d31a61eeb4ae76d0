package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.APIVersion;
import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.Session;
import com.xensource.xenapi.Task;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VM;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code PUT /pool/xmldbdump} (Xen Orchestra's {@code importPoolMetadata}, {@code xe pool-restore-database}) on a host
 * that restarts itself: a dump taken with {@code GET} is checked with {@code dry_run=true} (nothing changes), one of
 * another schema is refused ({@code RESTORE_INCOMPATIBLE_VERSION}), and a real restore restarts xapi on the dump: what
 * was made after it is gone, what it held is back, the host keeps its uuid.
 */
class DatabaseRestoreTest {
    @TempDir
    static Path dir;

    static PoolHost h;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        h = PoolHost.start(dir, "127.0.0.2", PoolHost.freePort());
    }

    @AfterAll
    static void stop() throws Exception {
        h.close();
    }

    static Connection login() throws Exception {
        Connection c = new Connection(h.url());
        Session.loginWithPassword(c, "root", h.password(), APIVersion.latest().toString());
        return c;
    }

    static HttpResponse<byte[]> send(String method, String query, byte[] body) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(h.url().toURI().resolve("/pool/xmldbdump?" + query))
                        .method(method, HttpRequest.BodyPublishers.ofByteArray(body))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void aDumpIsCheckedWithADryRunAndARestoreRestartsXapiOnIt() throws Exception {
        Connection c = login();
        String hostUuid = Host.getAll(c).iterator().next().getUuid(c);
        String before = LifecycleSupport.newVm(h.server(), c, "in-the-dump").getUuid(c);
        byte[] dump = send("GET", "session_id=" + c.getSessionReference(), new byte[0])
                .body();
        VM after = LifecycleSupport.newVm(h.server(), c, "made-after-the-dump");

        Task checked = Task.create(c, "check", "");
        HttpResponse<byte[]> dry = send(
                "PUT",
                "session_id=" + c.getSessionReference() + "&dry_run=true&task_id=" + checked.toWireString(),
                dump);
        assertEquals(200, dry.statusCode());
        assertEquals(Types.TaskStatusType.SUCCESS, checked.getStatus(c));
        assertEquals("made-after-the-dump", after.getNameLabel(c), "a dry run changes nothing");
        assertEquals(1, h.starts());

        String text = new String(dump, StandardCharsets.UTF_8);
        byte[] other =
                text.replaceFirst("(schema_major_vsn\" value=\")\\d+", "$1999").getBytes(StandardCharsets.UTF_8);
        Task refused = Task.create(c, "restore", "");
        try {
            send("PUT", "session_id=" + c.getSessionReference() + "&task_id=" + refused.toWireString(), other);
        } catch (java.io.IOException cut) {
            // the answer's 200 went first; the connection may be cut before it is read
        }
        assertEquals(List.of("RESTORE_INCOMPATIBLE_VERSION"), List.copyOf(refused.getErrorInfo(c)));

        HttpResponse<byte[]> restore = send("PUT", "session_id=" + c.getSessionReference(), dump);
        assertEquals(200, restore.statusCode());
        PoolHost.await("xapi restarted on the dump", Duration.ofSeconds(60), () -> h.starts() >= 2);
        Connection again = login();
        assertEquals(hostUuid, Host.getAll(again).iterator().next().getUuid(again), "the host keeps its uuid");
        assertEquals("in-the-dump", VM.getByUuid(again, before).getNameLabel(again));
        assertTrue(
                VM.getAllRecords(again).values().stream().noneMatch(r -> r.nameLabel.equals("made-after-the-dump")),
                "what was made after the dump is gone");
    }
}
