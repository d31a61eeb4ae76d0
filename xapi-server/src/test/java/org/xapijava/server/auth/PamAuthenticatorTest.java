package org.xapijava.server.auth;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Drives the real libpam with the service {@code xapi} and the test accounts that
 * {@code scripts/setup-test-system} creates (run by {@code scripts/test}). No mocking.
 */
class PamAuthenticatorTest {

    private static final String USER = "xapitest";
    private static final String PASSWORD = "xapitest-password";
    private static final String USER2 = "xapitest2";
    private static final String PASSWORD2 = "xapitest2-password";

    private static PamAuthenticator pam;

    @BeforeAll
    static void systemIsSetUp() throws IOException {
        Path service = Path.of("/etc/pam.d/xapi");
        if (!Files.isRegularFile(service)
                || !Files.readString(Path.of("/etc/passwd")).contains("\n" + USER2 + ":")) {
            fail("the PAM service 'xapi' or the test users are missing: run scripts/setup-test-system as root"
                    + " (scripts/test does it)");
        }
        pam = new PamAuthenticator();
    }

    @AfterAll
    static void close() {
        if (pam != null) {
            pam.close();
        }
    }

    private static String failure(Authenticator a, String user, String password) {
        return assertThrows(AuthenticationFailure.class, () -> a.authenticate(user, password))
                .getMessage();
    }

    @Test
    void goodPasswordIsAccepted() {
        assertDoesNotThrow(() -> pam.authenticate(USER, PASSWORD));
    }

    @Test
    void wrongPasswordGivesPamsText() {
        assertEquals("Authentication failure", failure(pam, USER, "not-the-password"));
        assertEquals("Authentication failure", failure(pam, USER, ""));
    }

    @Test
    void unknownUserGivesPamsText() {
        assertEquals("Authentication failure", failure(pam, "no-such-user-" + UUID.randomUUID(), PASSWORD));
    }

    @Test
    void namesAndPasswordsEndAtTheirFirstNulAsInXapisCStub() {
        assertDoesNotThrow(() -> pam.authenticate(USER + "\0ignored", PASSWORD + "\0ignored"));
    }

    @Test
    void changePasswordRoundTrip() throws Exception {
        String fresh = "pässwörd-" + UUID.randomUUID(); // non-ASCII: UTF-8 on both sides
        try {
            pam.changePassword(USER2, PASSWORD2, fresh);
            assertDoesNotThrow(() -> pam.authenticate(USER2, fresh));
            assertEquals("Authentication failure", failure(pam, USER2, PASSWORD2));
        } finally {
            pam.changePassword(USER2, fresh, PASSWORD2);
        }
        assertDoesNotThrow(() -> pam.authenticate(USER2, PASSWORD2));
    }

    @Test
    void refusedPasswordChangesGivePamsText() {
        String authtok = "Authentication token manipulation error";
        assertEquals(
                authtok,
                assertThrows(
                                AuthenticationFailure.class,
                                () -> pam.changePassword("no-such-user-" + UUID.randomUUID(), "", "whatever-1"))
                        .getMessage());
        assertEquals(
                authtok,
                assertThrows(AuthenticationFailure.class, () -> pam.changePassword(USER2, PASSWORD2, ""))
                        .getMessage());
        assertEquals(
                authtok,
                assertThrows(
                                AuthenticationFailure.class,
                                () -> pam.changePassword(
                                        USER2, PASSWORD2, "a".repeat(PasswordFileAuthenticator.MAX_PASSWORD_BYTES + 1)))
                        .getMessage());
        assertDoesNotThrow(() -> pam.authenticate(USER2, PASSWORD2)); // nothing changed
    }

    @Test
    void concurrentAuthenticationsNeverRunMoreNativeTransactionsThanThePoolSize() throws Exception {
        int size = 3;
        try (PamAuthenticator bounded = new PamAuthenticator(PamAuthenticator.DEFAULT_SERVICE, size)) {
            CountDownLatch go = new CountDownLatch(1);
            AtomicInteger ok = new AtomicInteger();
            List<Thread> callers = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                callers.add(Thread.ofVirtual().start(() -> {
                    try {
                        go.await();
                        bounded.authenticate(USER, PASSWORD);
                        ok.incrementAndGet();
                    } catch (InterruptedException | AuthenticationFailure e) {
                        throw new AssertionError(e);
                    }
                }));
            }
            go.countDown();
            for (Thread t : callers) {
                t.join();
            }
            assertEquals(32, ok.get());
            int max = bounded.pool().maxRunning();
            assertTrue(max >= 1 && max <= size, "at most " + size + " at once, saw " + max);
            assertEquals(0, bounded.pool().running());
        }
    }

    @Test
    void defaultsAreXapis() {
        assertEquals("xapi", pam.service());
        assertEquals(8, pam.maxThreads());
    }

    @Test
    void englishTextTableMatchesTheNativePamStrerror() {
        String lang = firstSet("LC_ALL", "LC_MESSAGES", "LANG");
        Assumptions.assumeTrue(
                lang == null
                        || lang.equals("C")
                        || lang.startsWith("C.")
                        || lang.equals("POSIX")
                        || lang.toLowerCase(Locale.ROOT).startsWith("en"),
                "native texts are translated under " + lang);
        for (int code = 0; code <= 32; code++) {
            assertEquals(PamAuthenticator.nativeStrerror(code), PamStatus.text(code), "code " + code);
        }
    }

    private static String firstSet(String... names) {
        for (String n : names) {
            String v = System.getenv(n);
            if (v != null && !v.isEmpty()) {
                return v;
            }
        }
        return null;
    }
}
