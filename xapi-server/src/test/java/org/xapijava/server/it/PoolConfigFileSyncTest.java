package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.Session;
import com.xensource.xenapi.Types;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Root's password kept alike on the pool's hosts, as Xapi's config file sync: a member takes its master's at its
 * start after the join (its own password no longer opens it: {@code session.slave_local_login_with_password}, an
 * emergency call every member answers, checks it), and a {@code session.change_password} on the master reaches the
 * member at once ({@code host.request_config_file_sync}); the master's {@code GET /sync_config_files/2} under the pool
 * secret, Xapi's warning for an older version, and nothing without credentials.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PoolConfigFileSyncTest {
    @TempDir
    static Path dirA;

    @TempDir
    static Path dirB;

    static int port;
    static PoolHost a;
    static PoolHost b;
    static String memberOwn;

    @BeforeAll
    static void start() throws Exception {
        port = PoolHost.freePort();
        a = PoolHost.start(dirA, "127.0.0.2", port);
        b = PoolHost.start(dirB, "127.0.0.3", port);
        memberOwn = b.password();
        Pool.join(PoolHost.login(b), "127.0.0.2", "root", a.password());
        Connection master = PoolHost.login(a);
        PoolHost.await(
                "B a member", Duration.ofSeconds(60), () -> b.starts() == 2 && PoolHost.allEnabledAndLive(master, 2));
    }

    @AfterAll
    static void stop() {
        PoolHost.closeAll(b, a);
    }

    /** Whether {@code password} opens a local session on {@code h} (Xapi's check of root's local password). */
    private static boolean opens(PoolHost h, String password) throws Exception {
        Connection c = new Connection(h.url());
        try {
            Session.slaveLocalLoginWithPassword(c, "root", password);
            return true;
        } catch (Types.SessionAuthenticationFailed e) {
            return false;
        }
    }

    /** {@code GET path} of the master, with {@code cookie} (none when null). */
    private static HttpResponse<String> get(String path, String cookie) throws Exception {
        HttpRequest.Builder q = HttpRequest.newBuilder(URI.create("http://127.0.0.2:" + port + path));
        if (cookie != null) q.header("Cookie", cookie);
        return HttpClient.newHttpClient().send(q.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String rootLine(Path dir) throws Exception {
        return Files.readAllLines(dir.resolve("passwd")).stream()
                .filter(l -> l.startsWith("root:"))
                .findFirst()
                .orElseThrow();
    }

    @Test
    @Order(1)
    void aMemberTakesItsMastersPasswordAtItsStart() throws Exception {
        assertEquals(rootLine(dirA), rootLine(dirB));
        assertTrue(opens(b, a.password()));
        assertFalse(opens(b, memberOwn));
        // the member's own password file for the launcher is gone: it would print a password that no longer opens it
        assertFalse(Files.exists(dirB.resolve("root-password")));
        assertNull(b.password());
    }

    @Test
    @Order(2)
    void aPasswordChangedOnTheMasterReachesTheMember() throws Exception {
        String old = a.password();
        Connection master = PoolHost.login(a);
        Session.changePassword(master, old, "new pool password");
        assertTrue(opens(b, "new pool password"));
        assertFalse(opens(b, old));
        assertEquals(rootLine(dirA), rootLine(dirB));
        Connection again = new Connection(a.url());
        Session.loginWithPassword(again, "root", "new pool password", "2.21");
        Session.changePassword(again, "new pool password", old);
        assertTrue(opens(b, old));
    }

    @Test
    @Order(3)
    void theMasterServesItsFilesToThePoolOnly() throws Exception {
        String secret = Files.readString(dirA.resolve("ptoken")).strip();
        HttpResponse<String> r = get("/sync_config_files/2", "pool_secret=" + secret);
        assertEquals(200, r.statusCode());
        String hash = rootLine(dirA).substring("root:".length());
        assertEquals("{\"password\":\"" + hash + "\"}", r.body());
        HttpResponse<String> legacy = get("/sync_config_files/1", "pool_secret=" + secret);
        assertEquals(200, legacy.statusCode());
        assertEquals("Warning: legacy dom0 config files not supported", legacy.body());
        HttpResponse<String> anonymous = get("/sync_config_files/2", null);
        assertFalse(anonymous.body().contains(hash));
        assertTrue(anonymous.statusCode() == 401 || anonymous.statusCode() == 403, "" + anonymous.statusCode());
    }
}
