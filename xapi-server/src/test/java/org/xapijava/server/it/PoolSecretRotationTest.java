package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.client.XmlRpcTransport;

/**
 * {@code pool.rotate_secret} in a two-host pool over the pool's TLS (the member joined with {@code pool.join}, so each
 * host keeps its own copy of the secret): both hosts hold the new secret after, on disk and in what they accept, the
 * old one is refused, nothing of the rotation is left on disk, and the member restarted reaches its master with the
 * new one. Then a rotation that fails part way (the member gone): the pool stays {@code is_psr_pending} and refuses
 * pool operations, and the next {@code pool.rotate_secret}, once the member is back, resumes it with the same new
 * secret.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PoolSecretRotationTest {
    @TempDir
    static Path dirA;

    @TempDir
    static Path dirB;

    static int port;
    static int httpsPort;
    static PoolHost a;
    static PoolHost b;

    @BeforeAll
    static void start() throws Exception {
        port = PoolHost.freePort();
        httpsPort = PoolHost.freePort();
        a = host(dirA, "127.0.0.2");
        b = host(dirB, "127.0.0.3");
        com.xensource.xenapi.Pool.join(PoolHost.login(b), "127.0.0.2", "root", a.password());
        Connection master = PoolHost.login(a);
        PoolHost.await(
                "B a member", Duration.ofSeconds(60), () -> b.starts() == 2 && PoolHost.allEnabledAndLive(master, 2));
    }

    /** A host of the pool; a member is not declared dead during the test (its death is noticed by calls). */
    static PoolHost host(Path dir, String address) throws Exception {
        return PoolHost.start(
                dir, address, port, "--https-port", Integer.toString(httpsPort), "--host-assumed-dead-seconds", "120");
    }

    @AfterAll
    static void stop() {
        PoolHost.closeAll(b, a);
    }

    static XenApi typed(PoolHost h) throws Exception {
        XmlRpcTransport t = XmlRpcTransport.tcp(h.url().toURI(), null, Duration.ofSeconds(60));
        XenApi anon = new XenApi(t, null);
        return anon.withSession(anon.session().loginWithPassword("root", h.password(), "2.21", "test"));
    }

    static String secretOf(Path dir) throws Exception {
        return Files.readString(dir.resolve("ptoken")).strip();
    }

    static List<String> rotationFiles(Path dir) throws Exception {
        Path psr = dir.resolve("psr");
        if (!Files.isDirectory(psr)) return List.of();
        try (var s = Files.list(psr)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Whether {@code secret} opens a pool session on the master ({@code session.slave_login}). */
    static boolean accepted(String secret) throws Exception {
        try (XmlRpcTransport t = XmlRpcTransport.tcp(a.url().toURI(), null, Duration.ofSeconds(30))) {
            XenApi anon = new XenApi(t, null);
            String host = typed(a).pool().getMaster(pool(typed(a)));
            try {
                anon.session().slaveLogin(host, secret);
                return true;
            } catch (ApiError e) {
                assertEquals("SESSION_AUTHENTICATION_FAILED", e.code(), e.toString());
                return false;
            }
        }
    }

    static String pool(XenApi api) {
        return api.pool().getAll().get(0);
    }

    @Test
    @Order(1)
    void bothHostsTakeTheNewSecretAndTheOldOneIsRefused() throws Exception {
        String old = secretOf(dirA);
        assertEquals(old, secretOf(dirB), "joined: the member holds the pool's secret");
        XenApi api = typed(a);
        api.pool().rotateSecret();

        String fresh = secretOf(dirA);
        assertNotEquals(old, fresh);
        assertTrue(fresh.matches("[0-9a-f-]{36}/[0-9a-f-]{36}/[0-9a-f-]{36}"), fresh);
        assertEquals(fresh, secretOf(dirB));
        assertFalse(api.pool().getIsPsrPending(pool(api)));
        assertEquals(List.of(), rotationFiles(dirA));
        assertEquals(List.of(), rotationFiles(dirB));
        assertTrue(accepted(fresh));
        assertFalse(accepted(old));

        // the member restarted reaches its master with the new secret: up, enabled and live again
        b.close();
        b = host(dirB, "127.0.0.3");
        Connection master = PoolHost.login(a);
        PoolHost.await("B back in the pool", Duration.ofSeconds(60), () -> PoolHost.allEnabledAndLive(master, 2));
        String hostB = PoolHost.hostAt(master, "127.0.0.3").toWireString();
        assertEquals("127.0.0.3", api.host().getAddress(hostB));
        // a call forwarded to the member, which the master makes under a pool session of its own
        assertTrue(api.host().getServertime(hostB).local().getYear() > 2000);
    }

    @Test
    @Order(2)
    void aRotationThatFailsIsPendingThenResumed() throws Exception {
        String old = secretOf(dirA);
        XenApi api = typed(a);
        String hostB = PoolHost.hostAt(PoolHost.login(a), "127.0.0.3").toWireString();
        String nameB = api.host().getNameLabel(hostB);
        b.kill(); // gone, still live in the database for a while

        ApiError e = assertThrows(ApiError.class, () -> api.pool().rotateSecret());
        assertEquals("INTERNAL_ERROR", e.code());
        assertEquals(List.of("Operation to tell " + nameB + " to begin accepting new pool secret failed."), e.params());
        assertTrue(api.pool().getIsPsrPending(pool(api)));
        assertEquals(old, secretOf(dirA), "the master still sends the old secret");
        assertEquals(List.of("psr_cp", "ptoken.new", "ptoken.old"), rotationFiles(dirA));
        String next = Files.readString(dirA.resolve("psr/ptoken.new")).strip();
        // pool operations wait for the rotation
        ApiError pending = assertThrows(ApiError.class, () -> api.pool().designateNewMaster(hostB));
        assertEquals("POOL_SECRET_ROTATION_PENDING", pending.code());

        // the member comes back with the old secret, which the master still accepts; the rotation resumes
        b = host(dirB, "127.0.0.3");
        Connection master = PoolHost.login(a);
        PoolHost.await("B back in the pool", Duration.ofSeconds(60), () -> PoolHost.allEnabledAndLive(master, 2));
        api.pool().rotateSecret();
        assertEquals(next, secretOf(dirA), "resumed with the secret the failed rotation made");
        assertEquals(next, secretOf(dirB));
        assertFalse(api.pool().getIsPsrPending(pool(api)));
        assertEquals(List.of(), rotationFiles(dirA));
        assertEquals(List.of(), rotationFiles(dirB));
        assertFalse(accepted(old));
        assertTrue(accepted(next));
    }
}
