package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Pool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
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
import org.xapijava.server.tls.HostCertificate;

/**
 * A member renews its certificate (the pool keeps trusting it), then its master dies and another host, with the
 * pool's secret but its own certificate, takes the master's address: the member does not follow it (emergency mode),
 * until {@code host.emergency_disable_tls_verification} on the member and a restart. Also a member's emergency reset
 * of its certificate, learnt by the pool at its next start.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PoolTlsImpostorTest {
    @TempDir
    static Path dirA;

    @TempDir
    static Path dirB;

    @TempDir
    static Path dirC;

    static int port;
    static int httpsPort;
    static PoolHost a;
    static PoolHost b;
    static PoolHost c;

    @BeforeAll
    static void start() throws Exception {
        port = PoolHost.freePort();
        httpsPort = PoolHost.freePort();
        a = host(dirA, "127.0.0.2");
        b = host(dirB, "127.0.0.3");
        Pool.join(PoolHost.login(b), "127.0.0.2", "root", a.password());
        Connection master = PoolHost.login(a);
        PoolHost.await(
                "B a member", Duration.ofSeconds(60), () -> b.starts() == 2 && PoolHost.allEnabledAndLive(master, 2));
    }

    static PoolHost host(Path dir, String address, String... extra) throws Exception {
        String[] args = new String[extra.length + 2];
        args[0] = "--https-port";
        args[1] = Integer.toString(httpsPort);
        System.arraycopy(extra, 0, args, 2, extra.length);
        return PoolHost.start(dir, address, port, args);
    }

    @AfterAll
    static void stop() {
        PoolHost.closeAll(c, b, a);
    }

    static XenApi typed(PoolHost h) throws Exception {
        XmlRpcTransport t = XmlRpcTransport.tcp(h.url().toURI(), null, Duration.ofSeconds(30));
        XenApi anon = new XenApi(t, null);
        return anon.withSession(anon.session().loginWithPassword("root", h.password(), "2.21", "test"));
    }

    static String cert(Path dir) throws Exception {
        return HostCertificate.load(dir.resolve("xapi-ssl.pem")).certificatePem();
    }

    static String poolCert(Path dir) throws Exception {
        return HostCertificate.load(dir.resolve("xapi-pool-tls.pem")).certificatePem();
    }

    @Test
    @Order(1)
    void aMemberRenewsItsCertificatesAndThePoolTrustsTheNewPoolOne() throws Exception {
        XenApi api = typed(a);
        String hostB = PoolHost.hostAt(PoolHost.login(a), "127.0.0.3").toWireString();
        String uuidB = api.host().getUuid(hostB);
        // refresh: a new pool certificate, sent to the pool before it is served
        String before = poolCert(dirB);
        String server = cert(dirB);
        api.host().refreshServerCertificate(hostB);
        String after = poolCert(dirB);
        assertNotEquals(before, after);
        assertEquals(server, cert(dirB), "the server certificate stays");
        assertEquals(
                after.strip(),
                Files.readString(dirA.resolve("certs-pool/" + uuidB + ".pem")).strip());
        // a new call forwarded to B over a new connection checks B's new pool certificate
        PoolHost.await("B live", Duration.ofSeconds(30), () -> PoolHost.allEnabledAndLive(PoolHostLogin.of(a), 2));
        assertEquals(server, api.host().getServerCertificate(hostB));
        // reset: a new server certificate, the pool one unchanged
        api.host().resetServerCertificate(hostB);
        String newServer = cert(dirB);
        assertNotEquals(server, newServer);
        assertEquals(after, poolCert(dirB));
        assertEquals(newServer, api.host().getServerCertificate(hostB));
        Map<String, String> expected = Map.of(
                "host", HostCertificate.load(dirB.resolve("xapi-ssl.pem")).sha256Fingerprint(),
                "host_internal",
                        HostCertificate.load(dirB.resolve("xapi-pool-tls.pem")).sha256Fingerprint());
        Map<String, String> records = new java.util.HashMap<>();
        api.certificate().getAllRecords().values().stream()
                .filter(r -> hostB.equals(r.get("host")))
                .forEach(r -> assertNull(records.put((String) r.get("type"), (String) r.get("fingerprint"))));
        assertEquals(expected, records);
    }

    @Test
    @Order(2)
    void aMembersEmergencyResetCertificateIsRecordedAtItsNextStart() throws Exception {
        XenApi api = typed(a);
        String hostB = PoolHost.hostAt(PoolHost.login(a), "127.0.0.3").toWireString();
        String uuidB = api.host().getUuid(hostB);
        String before = cert(dirB);
        String pool =
                Files.readString(dirA.resolve("certs-pool/" + uuidB + ".pem")).strip();
        XmlRpcTransport t = XmlRpcTransport.tcp(b.url().toURI(), null, Duration.ofSeconds(30));
        XenApi anon = new XenApi(t, null);
        XenApi local = anon.withSession(anon.session().slaveLocalLoginWithPassword("root", a.password()));
        local.host().emergencyResetServerCertificate();
        String after = cert(dirB);
        assertNotEquals(before, after);
        int starts = b.starts();
        b.server().requestRestart();
        Connection master = PoolHost.login(a);
        PoolHost.await(
                "B a live member again",
                Duration.ofSeconds(60),
                () -> b.starts() > starts && !b.server().inEmergencyMode() && PoolHost.allEnabledAndLive(master, 2));
        // the pool still trusts B's pool certificate, which the reset left; B's server certificate is the new one,
        // its record replaced at its start
        assertEquals(
                pool,
                Files.readString(dirA.resolve("certs-pool/" + uuidB + ".pem")).strip());
        assertEquals(after, api.host().getServerCertificate(hostB));
        String fp = HostCertificate.load(dirB.resolve("xapi-ssl.pem")).sha256Fingerprint();
        assertTrue(api.certificate().getAllRecords().values().stream()
                .anyMatch(r -> hostB.equals(r.get("host"))
                        && "host".equals(r.get("type"))
                        && fp.equals(r.get("fingerprint"))));
    }

    @Test
    @Order(3)
    void aMasterWithAnUnknownCertificateIsNotFollowed() throws Exception {
        a.kill();
        // another host on the master's address, with the pool's secret but its own certificate
        c = host(dirC, "127.0.0.2", "--pool-secret", dirA.resolve("ptoken").toString());
        assertNotEquals(cert(dirA), cert(dirC));
        PoolHost.await(
                "B in emergency mode",
                Duration.ofSeconds(60),
                () -> b.starts() >= 3 && b.server().inEmergencyMode());
        Connection impostor = PoolHost.login(c);
        assertEquals(1, com.xensource.xenapi.Host.getAll(impostor).size());
        // verification turned off on B (an emergency call): B then follows the host at its master's address
        XmlRpcTransport t = XmlRpcTransport.tcp(b.url().toURI(), null, Duration.ofSeconds(30));
        XenApi anon = new XenApi(t, null);
        XenApi local = anon.withSession(anon.session().slaveLocalLoginWithPassword("root", a.password()));
        ApiError noDb = assertThrows(ApiError.class, () -> local.host().emergencyDisableTlsVerification());
        assertEquals("INTERNAL_ERROR", noDb.code()); // as Xapi: disabled, but the database could not be told
        assertFalse(Files.exists(dirB.resolve("verify-certificates")));
        int starts = b.starts();
        b.server().requestRestart();
        // B now trusts the host at its master's address: it sends it its certificate (the member's certificate sync,
        // made with the pool secret that host holds) and becomes its member
        Connection impostorNow = PoolHost.login(c);
        PoolHost.await("B a member of the other host", Duration.ofSeconds(60), () -> {
            try {
                return b.starts() > starts
                        && !b.server().inEmergencyMode()
                        && PoolHost.allEnabledAndLive(impostorNow, 2);
            } catch (Exception e) {
                return false;
            }
        });
        assertTrue(Files.exists(dirC.resolve("verify-certificates")));
    }

    /** A login helper that swallows errors for awaits. */
    private static final class PoolHostLogin {
        static Connection of(PoolHost h) {
            try {
                return PoolHost.login(h);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
