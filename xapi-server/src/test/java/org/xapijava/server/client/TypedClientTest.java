package org.xapijava.server.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.api.Session;
import org.xapijava.model.api.enums.TaskStatusType;
import org.xapijava.model.api.enums.VmPowerState;
import org.xapijava.model.client.Transport;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rbac.Rbac;
import org.xapijava.server.TestHost;

/** The generated typed client over each transport against a real host. */
class TypedClientTest {
    @TempDir
    static Path dir;

    static TestHost host;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir);
    }

    @AfterAll
    static void stop() throws Exception {
        host.close();
    }

    private static XenApi login(Transport t) {
        XenApi anon = new XenApi(t, null);
        return anon.withSession(anon.session().loginWithPassword("root", host.password(), "1.0", "typed client test"));
    }

    /** A few calls of every kind, the same whatever the transport. */
    private static void exercise(XenApi api) {
        List<String> vms = api.vm().getAll();
        assertFalse(vms.isEmpty());
        String dom0 =
                vms.stream().filter(api.vm()::getIsControlDomain).findFirst().orElseThrow();
        assertEquals(VmPowerState.RUNNING, api.vm().getPowerState(dom0));
        Map<String, Object> rec = api.vm().getRecord(dom0);
        assertEquals(api.vm().getUuid(dom0), rec.get("uuid"));
        assertEquals(dom0, api.vm().getByUuid((String) rec.get("uuid")));
        api.vm().setNameDescription(dom0, "typed");
        assertEquals("typed", api.vm().getNameDescription(dom0));
        api.vm().addToOtherConfig(dom0, "typed-key", "v");
        assertEquals("v", api.vm().getOtherConfig(dom0).get("typed-key"));
        api.vm().removeFromOtherConfig(dom0, "typed-key");
        assertTrue(api.vm()
                .getAllRecordsWhere("field \"is_control_domain\" = \"true\"")
                .containsKey(dom0));
        ApiError e = assertThrows(ApiError.class, () -> api.vm().getRecord("OpaqueRef:nope"));
        assertEquals(List.of("HANDLE_INVALID", "VM", "OpaqueRef:nope"), e.description());
        ApiError e2 = assertThrows(ApiError.class, () -> api.vm().start(dom0, false, false));
        assertEquals(List.of("VM_BAD_POWER_STATE", dom0, "halted", "running"), e2.description());
        // an async call returns its task, which completes with the call's result
        String task = api.vm().updateAllowedOperationsAsync(dom0);
        for (int i = 0; i < 500 && api.task().getStatus(task) == TaskStatusType.PENDING; i++) sleep();
        assertEquals(TaskStatusType.SUCCESS, api.task().getStatus(task));
        api.task().destroy(task);
        api.session().logout();
    }

    private static void sleep() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void inProcessThroughTheDispatcherWithRbac() {
        Transport t = new InProcessTransport(host.dispatcher(), TestHost.remote());
        exercise(login(t));

        // a read-only session may read but not write: the same RBAC stage as a client's call
        XenApi ro = login(t);
        var db = host.server.services().db();
        db.set(ro.sessionRef(), Session.IS_LOCAL_SUPERUSER, false);
        db.set(
                ro.sessionRef(),
                Session.RBAC_PERMISSIONS,
                Rbac.of(db.datamodel()).permissionsOf("read-only"));
        String vm = ro.vm().getAll().get(0);
        ApiError denied = assertThrows(ApiError.class, () -> ro.vm().setNameDescription(vm, "nope"));
        assertEquals("RBAC_PERMISSION_DENIED", denied.code());
        assertEquals(
                "vm.set_name_description",
                denied.description().get(1),
                denied.description().toString());
    }

    @Test
    void xmlRpcOverHttp() {
        try (XmlRpcTransport t = XmlRpcTransport.tcp(host.uri("/"), null, Duration.ofSeconds(30))) {
            exercise(login(t));
        }
    }

    @Test
    void xmlRpcOverHttpsTrustingTheHostsCertificate() throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        String pem = Files.readString(host.dir.resolve("xapi-ssl.pem"));
        var m = java.util.regex.Pattern.compile(
                        "-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", java.util.regex.Pattern.DOTALL)
                .matcher(pem);
        int i = 0;
        while (m.find()) {
            try (InputStream in =
                    new java.io.ByteArrayInputStream(m.group().getBytes(java.nio.charset.StandardCharsets.US_ASCII))) {
                trust.setCertificateEntry("host" + i++, (X509Certificate)
                        CertificateFactory.getInstance("X.509").generateCertificate(in));
            }
        }
        assertTrue(i > 0, "the host's certificate");
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        URI https = URI.create("https://127.0.0.1:" + host.server.httpsPort() + "/");
        try (XmlRpcTransport t = XmlRpcTransport.tcp(https, tls, Duration.ofSeconds(30))) {
            exercise(login(t));
        }
    }

    @Test
    void xmlRpcOverTheUnixSocketAsTheLocalSuperuser() {
        try (XmlRpcTransport t = XmlRpcTransport.unix(host.dir.resolve("xapi.sock"), Duration.ofSeconds(30))) {
            XenApi anon = new XenApi(t, null);
            // the socket's callers are root: no password is checked
            XenApi api = anon.withSession(anon.session().loginWithPassword("root", "", "1.0", "unix"));
            exercise(api);
        }
    }

    @Test
    void aTransportFailureIsNotAnApiError() {
        try (XmlRpcTransport t = XmlRpcTransport.tcp(URI.create("http://127.0.0.1:1/"), null, Duration.ofSeconds(5))) {
            assertThrows(
                    IllegalStateException.class,
                    () -> new XenApi(t, null).session().loginWithPassword("a", "b", "1.0", ""));
        }
    }
}
