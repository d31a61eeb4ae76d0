package org.xapijava.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** session.change_password on a development host: the new password works, the old one does not, after a restart too. */
class ChangePasswordTest {
    @TempDir
    Path dir;

    @Test
    void changeSurvivesRestart() throws Exception {
        String old;
        try (TestHost h = TestHost.start(dir)) {
            old = h.server.rootPassword();
            String s = h.login();
            assertEquals(
                    List.of("CHANGE_PASSWORD_REJECTED", "Authentication token manipulation error"),
                    h.err("session.change_password", s, old, ""));
            h.ok("session.change_password", s, old, "a-new-password");
            assertEquals(
                    "SESSION_AUTHENTICATION_FAILED",
                    h.err("session.login_with_password", "root", old).get(0));
            assertTrue(h.ok("session.login_with_password", "root", "a-new-password")
                    .toString()
                    .startsWith("OpaqueRef:"));
        }
        try (TestHost h = TestHost.start(dir)) {
            assertEquals("a-new-password", h.server.rootPassword());
            assertEquals(
                    "a-new-password",
                    Files.readString(dir.resolve("root-password")).strip());
            assertTrue(h.ok("session.login_with_password", "root", "a-new-password")
                    .toString()
                    .startsWith("OpaqueRef:"));
        }
    }
}
