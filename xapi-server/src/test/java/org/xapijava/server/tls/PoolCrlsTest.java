package org.xapijava.server.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PoolCrls}: the CRL files and which certificate they revoke. */
class PoolCrlsTest {
    @TempDir
    Path dir;

    @Test
    void aCrlOfTheIssuerSignedByItRevokesTheCertificatesItLists() throws Exception {
        TestCa ca = new TestCa("Corp");
        KeyPair k = TestCa.rsa(2048);
        X509Certificate revoked = ca.issue(k, "127.0.0.2");
        X509Certificate kept = ca.issue(k, "127.0.0.3");
        X509Certificate root = PoolTrust.parse(ca.rootPem());
        PoolCrls crls = new PoolCrls(dir.resolve("crls"));
        assertNull(crls.revoking(revoked, () -> List.of(root)));
        crls.put("corp.pem", ca.crl(revoked));
        assertEquals(Set.of("corp.pem"), crls.all().keySet());
        assertNotNull(crls.revoking(revoked, () -> List.of(root)));
        assertNull(crls.revoking(kept, () -> List.of(root)));
        // no known issuer: the CRL is not used
        assertNull(crls.revoking(revoked, List::of));
        // a CRL in the CA's name that another key signed is not used
        crls.replaceAll(Map.of("forged.pem", ca.crlSignedBy(TestCa.rsa(2048).getPrivate(), revoked)));
        assertEquals(Set.of("forged.pem"), crls.all().keySet());
        assertNull(crls.revoking(revoked, () -> List.of(root)));
        // a new instance reads the files
        crls.put("corp.pem", ca.crl(revoked));
        assertNotNull(new PoolCrls(dir.resolve("crls")).revoking(revoked, () -> List.of(root)));
        assertTrue(crls.remove("corp.pem"));
        assertFalse(crls.remove("corp.pem"));
        assertNull(crls.revoking(revoked, () -> List.of(root)));
    }

    @Test
    void onlyCrlsAndSafeNamesAreWritten() throws Exception {
        PoolCrls crls = new PoolCrls(dir.resolve("crls"));
        TestCa ca = new TestCa("Corp");
        assertThrows(IllegalArgumentException.class, () -> crls.put("x.pem", "garbage"));
        assertThrows(IllegalArgumentException.class, () -> crls.put("x.pem", ca.rootPem()));
        assertThrows(IllegalArgumentException.class, () -> crls.put("x.pem", ca.crl() + ca.crl()));
        for (String bad : List.of("", ".x.pem", "x.crl", "a/b.pem", "../x.pem"))
            assertThrows(IllegalArgumentException.class, () -> crls.put(bad, ca.crl()), bad);
        assertFalse(Files.exists(dir.resolve("crls/x.pem")));
        crls.put("x.pem", ca.crl());
        assertTrue(Files.exists(dir.resolve("crls/x.pem")));
    }
}
