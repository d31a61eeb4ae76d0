package org.xapijava.server.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PasswordFileAuthenticatorTest {

    private static final String FAIL = "Authentication failure";
    private static final String AUTHTOK = "Authentication token manipulation error";

    @TempDir
    Path dir;

    private static String authFailure(Authenticator a, String user, String password) {
        return assertThrows(AuthenticationFailure.class, () -> a.authenticate(user, password))
                .getMessage();
    }

    private static String changeFailure(Authenticator a, String user, String password) {
        return assertThrows(AuthenticationFailure.class, () -> a.changePassword(user, "", password))
                .getMessage();
    }

    private static String mode(Path file) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    }

    @Test
    void createsOnceWithMode0600AndARandomPassword() throws Exception {
        Path file = dir.resolve("data/passwd"); // the missing parent is created
        String password = PasswordFileAuthenticator.createWithRandomPassword(file, "root");
        assertNotNull(password);
        assertTrue(password.matches("[A-Za-z0-9]{20}"), password);
        assertEquals("rw-------", mode(file));
        String content = Files.readString(file);
        assertTrue(content.matches("root:pbkdf2-sha256:600000:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+\n"), content);
        assertTrue(!content.contains(password));

        assertNull(PasswordFileAuthenticator.createWithRandomPassword(file, "root"));
        assertEquals(content, Files.readString(file));
        assertEquals(
                List.of("passwd"),
                Files.list(file.getParent())
                        .map(p -> p.getFileName().toString())
                        .toList());
        String other = PasswordFileAuthenticator.createWithRandomPassword(dir.resolve("passwd2"), "root");
        assertTrue(!password.equals(other));
    }

    @Test
    void authenticatesWithPamsTexts() throws Exception {
        Path file = dir.resolve("passwd");
        String password = PasswordFileAuthenticator.createWithRandomPassword(file, "root");
        try (PasswordFileAuthenticator auth = PasswordFileAuthenticator.load(file)) {
            assertDoesNotThrow(() -> auth.authenticate("root", password));
            assertDoesNotThrow(() -> auth.authenticate("root\0x", password + "\0ignored, as in C"));
            assertEquals(FAIL, authFailure(auth, "root", password + "x"));
            assertEquals(FAIL, authFailure(auth, "root", ""));
            assertEquals(FAIL, authFailure(auth, "admin", password));
            assertEquals(FAIL, authFailure(auth, "", password));
            assertEquals(FAIL, authFailure(auth, null, null));
        }
    }

    @Test
    void changedPasswordIsPersistedAtomicallyWithMode0600() throws Exception {
        Path file = dir.resolve("passwd");
        String old = PasswordFileAuthenticator.createWithRandomPassword(file, "root");
        Files.writeString(
                file,
                "# accounts of this host\n\n" + Files.readString(file) + "xapitest:pbkdf2-sha256:1:AAAA:"
                        + "A".repeat(43) + "=\n");
        String fresh = "nöuvéau-€";
        try (PasswordFileAuthenticator auth = PasswordFileAuthenticator.load(file)) {
            auth.changePassword("root", "ignored, as Xapi does", fresh);
            assertDoesNotThrow(() -> auth.authenticate("root", fresh));
            assertEquals(FAIL, authFailure(auth, "root", old));
        }
        assertEquals("rw-------", mode(file));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList()); // no temporary file left behind
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals("# accounts of this host", lines.get(0));
        assertEquals("", lines.get(1));
        assertTrue(lines.get(2).startsWith("root:pbkdf2-sha256:600000:"));
        assertTrue(lines.get(3).startsWith("xapitest:pbkdf2-sha256:1:AAAA:"));
        try (PasswordFileAuthenticator reloaded = PasswordFileAuthenticator.load(file)) {
            assertDoesNotThrow(() -> reloaded.authenticate("root", fresh));
            assertEquals(FAIL, authFailure(reloaded, "root", old));
        }
    }

    @Test
    void refusedChangesGivePamsTextAndChangeNothing() throws Exception {
        Path file = dir.resolve("passwd");
        String password = PasswordFileAuthenticator.createWithRandomPassword(file, "root");
        String before = Files.readString(file);
        try (PasswordFileAuthenticator auth = PasswordFileAuthenticator.load(file)) {
            assertEquals(AUTHTOK, changeFailure(auth, "nobody", "whatever-1"));
            assertEquals(AUTHTOK, changeFailure(auth, "root", ""));
            assertEquals(AUTHTOK, changeFailure(auth, "root", "\0after a NUL"));
            assertEquals(AUTHTOK, changeFailure(auth, "root", "a".repeat(512)));
            assertEquals(AUTHTOK, changeFailure(auth, "root", "é".repeat(256))); // 512 UTF-8 bytes
            assertEquals(before, Files.readString(file));
            assertDoesNotThrow(() -> auth.authenticate("root", password));
            assertDoesNotThrow(() -> auth.changePassword("root", "", "a".repeat(511)));
            assertDoesNotThrow(() -> auth.authenticate("root", "a".repeat(511)));
        }
    }

    @Test
    void failedRewriteRefusesTheChangeAndKeepsTheOldPassword() throws Exception {
        Path sub = Files.createDirectory(dir.resolve("ro"));
        Path file = sub.resolve("passwd");
        String password = PasswordFileAuthenticator.createWithRandomPassword(file, "root");
        try (PasswordFileAuthenticator auth = PasswordFileAuthenticator.load(file)) {
            Files.delete(file);
            Files.createDirectory(file); // the rename onto a directory fails, whoever we run as
            AuthenticationFailure f =
                    assertThrows(AuthenticationFailure.class, () -> auth.changePassword("root", "", "new-password"));
            assertEquals(AUTHTOK, f.getMessage());
            assertDoesNotThrow(() -> auth.authenticate("root", password));
            try (Stream<Path> files = Files.list(sub)) {
                assertEquals(List.of(file), files.toList());
            }
        }
    }

    @Test
    void loadOrCreateReportsANewPasswordOnlyOnce() throws Exception {
        Path file = dir.resolve("passwd");
        List<String> printed = new ArrayList<>();
        try (PasswordFileAuthenticator auth = PasswordFileAuthenticator.loadOrCreate(file, "root", printed::add)) {
            assertEquals(1, printed.size());
            assertDoesNotThrow(() -> auth.authenticate("root", printed.getFirst()));
        }
        try (PasswordFileAuthenticator auth = PasswordFileAuthenticator.loadOrCreate(file, "root", printed::add)) {
            assertEquals(1, printed.size());
            assertDoesNotThrow(() -> auth.authenticate("root", printed.getFirst()));
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "root:pbkdf2-sha256:600000:AAAA",
                "root:md5:600000:AAAA:" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                "root:pbkdf2-sha256:lots:AAAA:" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                "root:pbkdf2-sha256:0:AAAA:" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                "root:pbkdf2-sha256:600000:%%%%:" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                "root:pbkdf2-sha256:600000::" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                "root:pbkdf2-sha256:600000:AAAA:AAAA",
                ":pbkdf2-sha256:600000:AAAA:" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                "admin:pbkdf2-sha256:600000:AAAA:" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            })
    void corruptedFileIsRefusedNamingTheFileAndLine(String badLine) throws Exception {
        Path file = dir.resolve("passwd");
        Files.writeString(
                file,
                "# header\nadmin:pbkdf2-sha256:1:AAAA:" + "A".repeat(43) + "=\n" + badLine + "\n",
                StandardCharsets.UTF_8);
        PasswordFileException e = assertThrows(PasswordFileException.class, () -> PasswordFileAuthenticator.load(file));
        assertEquals(file, e.file());
        assertEquals(3, e.line());
        assertTrue(e.getMessage().startsWith(file + ":3: "), e.getMessage());
    }

    @Test
    void badUserNamesAreRefusedAtCreation() {
        for (String bad : new String[] {"", "a:b", "a\nb", "#root", "a\0b"}) {
            assertThrows(
                    IllegalArgumentException.class,
                    () -> PasswordFileAuthenticator.createWithRandomPassword(dir.resolve("passwd"), bad),
                    bad);
        }
    }

    @Test
    void pbkdf2MatchesRfc7914AndTheJdk() throws Exception {
        // RFC 7914 §11: PBKDF2-HMAC-SHA256, P="passwd", S="salt", c=1 (first 32 of the 64 bytes)
        assertEquals(
                "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc",
                HexFormat.of()
                        .formatHex(PasswordFileAuthenticator.pbkdf2(
                                "passwd".getBytes(StandardCharsets.UTF_8),
                                "salt".getBytes(StandardCharsets.UTF_8),
                                1)));
        byte[] salt = "0123456789abcdef".getBytes(StandardCharsets.UTF_8);
        byte[] jdk = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                .generateSecret(new PBEKeySpec("pässwörd".toCharArray(), salt, 1000, 256))
                .getEncoded();
        assertArrayEquals(
                jdk, PasswordFileAuthenticator.pbkdf2("pässwörd".getBytes(StandardCharsets.UTF_8), salt, 1000));
    }

    @Test
    void concurrentChecksAreBoundedByThePool() throws Exception {
        Path file = dir.resolve("passwd");
        String password = PasswordFileAuthenticator.createWithRandomPassword(file, "root");
        try (PasswordFileAuthenticator auth = PasswordFileAuthenticator.load(file, 2)) {
            CountDownLatch go = new CountDownLatch(1);
            AtomicInteger ok = new AtomicInteger();
            List<Thread> callers = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                callers.add(Thread.ofVirtual().start(() -> {
                    try {
                        go.await();
                        auth.authenticate("root", password);
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
            assertEquals(12, ok.get());
            assertTrue(auth.pool().maxRunning() <= 2, "saw " + auth.pool().maxRunning());
        }
    }
}
