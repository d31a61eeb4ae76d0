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
import java.util.Base64;
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
    /** A line as this class writes it: {@code user:$6$} 16 salt characters {@code $} 86 hash characters. */
    private static final String CRYPT_LINE = "[^:]+:\\$6\\$[./0-9A-Za-z]{16}\\$[./0-9A-Za-z]{86}";
    /** Drepper's "Unix crypt using SHA-256 and SHA-512", the SHA-512 vectors (as glibc and OpenSSL compute them). */
    private static final String SPEC_DEFAULT =
            "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1";

    private static final String SPEC_ROUNDS_10000 =
            "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9"
                    + "qs/y3RnOaw5v.";
    /** 86 hash characters (a constant: annotation values use it). */
    private static final String HASH86 =
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

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

    /** A legacy line made with the JDK's own PBKDF2 (not the class under test). */
    private static String legacyLine(String user, String password, int iterations) throws Exception {
        byte[] salt = "0123456789abcdef".getBytes(StandardCharsets.UTF_8);
        byte[] hash = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                .generateSecret(new PBEKeySpec(password.toCharArray(), salt, iterations, 256))
                .getEncoded();
        Base64.Encoder b64 = Base64.getEncoder();
        return user + ":pbkdf2-sha256:" + iterations + ":" + b64.encodeToString(salt) + ":" + b64.encodeToString(hash);
    }

    private static List<Path> filesIn(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        }
    }

    @Test
    void createsOnceWithMode0600AndARandomPassword() throws Exception {
        Path file = dir.resolve("data/passwd"); // the missing parent is created
        String password = PasswordFileAuthenticator.createWithRandomPassword(file, "root");
        assertNotNull(password);
        assertTrue(password.matches("[A-Za-z0-9]{20}"), password);
        assertEquals("rw-------", mode(file));
        String content = Files.readString(file);
        assertTrue(content.matches(CRYPT_LINE + "\n"), content);
        assertTrue(content.startsWith("root:$6$"), content);
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
    void anotherHostsHashIsTakenAsItIsAndABadOneChangesNothing() throws Exception {
        Path mine = dir.resolve("passwd");
        Path theirs = dir.resolve("passwd-master");
        String own = PasswordFileAuthenticator.createWithRandomPassword(mine, "root");
        String pools = PasswordFileAuthenticator.createWithRandomPassword(theirs, "root");
        try (PasswordFileAuthenticator here = PasswordFileAuthenticator.load(mine);
                PasswordFileAuthenticator master = PasswordFileAuthenticator.load(theirs)) {
            String hash = master.hashOf("root");
            assertTrue(hash.startsWith("$6$"), hash);
            assertNull(here.hashOf("nobody"));
            for (String bad : new String[] {"", "$1$abc$def", "$6$salt$short", hash + ":x", hash + "\nroot2:" + hash}) {
                assertThrows(IllegalArgumentException.class, () -> here.setHash("root", bad), bad);
            }
            assertThrows(IllegalArgumentException.class, () -> here.setHash("nobody", hash));
            here.authenticate("root", own); // unchanged by the refusals
            here.setHash("root", hash);
            assertEquals(hash, here.hashOf("root"));
            here.authenticate("root", pools);
            assertThrows(AuthenticationFailure.class, () -> here.authenticate("root", own));
        }
        // written through: a new load reads the master's hash
        try (PasswordFileAuthenticator again = PasswordFileAuthenticator.load(mine)) {
            again.authenticate("root", pools);
        }
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
            // over pam_unix's 512 bytes: refused, even when it starts with the right password
            assertEquals(FAIL, authFailure(auth, "root", password + "\u0001".repeat(600)));
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
        assertTrue(lines.get(2).matches(CRYPT_LINE), lines.get(2));
        assertTrue(lines.get(2).startsWith("root:$6$"), lines.get(2));
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

    @Test
    void sha512CryptMatchesTheSpecVectors() {
        byte[] password = "Hello world!".getBytes(StandardCharsets.UTF_8);
        assertEquals(SPEC_DEFAULT, PasswordFileAuthenticator.sha512Crypt(password, "$6$saltstring"));
        assertEquals(
                SPEC_ROUNDS_10000,
                PasswordFileAuthenticator.sha512Crypt(password, "$6$rounds=10000$saltstringsaltstring"));
        // the library zeroes what it is given: the helper hashes a copy
        assertEquals("Hello world!", new String(password, StandardCharsets.UTF_8));
    }

    @Test
    void specVectorsInTheFileVerify() throws Exception {
        Path file = dir.resolve("passwd");
        Files.writeString(file, "root:" + SPEC_DEFAULT + "\nother:" + SPEC_ROUNDS_10000 + "\n");
        String before = Files.readString(file);
        try (PasswordFileAuthenticator auth = PasswordFileAuthenticator.load(file)) {
            assertDoesNotThrow(() -> auth.authenticate("root", "Hello world!"));
            assertDoesNotThrow(() -> auth.authenticate("other", "Hello world!"));
            assertEquals(FAIL, authFailure(auth, "root", "Hello world"));
            assertEquals(FAIL, authFailure(auth, "root", "hello world!"));
            assertEquals(FAIL, authFailure(auth, "other", "Hello world!!"));
            assertEquals(FAIL, authFailure(auth, "nobody", "Hello world!"));
        }
        assertEquals(before, Files.readString(file)); // current lines are never rewritten by a login
    }

    @Test
    void legacyLineVerifiesAndIsRehashedOnItsFirstLogin() throws Exception {
        Path file = dir.resolve("passwd");
        String legacyOther = legacyLine("other", "other-password", 1000);
        Files.writeString(
                file,
                "# made before sha512-crypt\n" + legacyLine("root", "old-pässword", 1000) + "\n" + legacyOther + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        String before = Files.readString(file);
        try (PasswordFileAuthenticator auth = PasswordFileAuthenticator.load(file)) {
            assertEquals(FAIL, authFailure(auth, "root", "old-password"));
            assertEquals(FAIL, authFailure(auth, "root", ""));
            assertEquals(before, Files.readString(file)); // a failed login rewrites nothing

            assertDoesNotThrow(() -> auth.authenticate("root", "old-pässword"));
            List<String> lines = Files.readAllLines(file);
            assertEquals(3, lines.size());
            assertEquals("# made before sha512-crypt", lines.get(0));
            assertTrue(lines.get(1).matches(CRYPT_LINE) && lines.get(1).startsWith("root:$6$"), lines.get(1));
            assertEquals(legacyOther, lines.get(2)); // other users wait for their own login
            assertEquals("rw-------", mode(file));
            assertEquals(List.of(file), filesIn(dir)); // written through a temporary file, none left

            String upgraded = Files.readString(file);
            assertDoesNotThrow(() -> auth.authenticate("root", "old-pässword"));
            assertEquals(FAIL, authFailure(auth, "root", "old-password"));
            assertEquals(upgraded, Files.readString(file)); // once only
            assertDoesNotThrow(() -> auth.authenticate("other", "other-password"));
        }
        List<String> lines = Files.readAllLines(file);
        assertTrue(lines.get(2).matches(CRYPT_LINE) && lines.get(2).startsWith("other:$6$"), lines.get(2));
        try (PasswordFileAuthenticator reloaded = PasswordFileAuthenticator.load(file)) {
            assertDoesNotThrow(() -> reloaded.authenticate("root", "old-pässword"));
            assertDoesNotThrow(() -> reloaded.authenticate("other", "other-password"));
            assertEquals(FAIL, authFailure(reloaded, "root", "other-password"));
        }
    }

    @Test
    void concurrentFirstLoginsRehashOnceAndAllSucceed() throws Exception {
        Path file = dir.resolve("passwd");
        Files.writeString(file, legacyLine("root", "secret-1", 20_000) + "\n");
        try (PasswordFileAuthenticator auth = PasswordFileAuthenticator.load(file, 4)) {
            CountDownLatch go = new CountDownLatch(1);
            AtomicInteger ok = new AtomicInteger();
            List<Thread> callers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                callers.add(Thread.ofVirtual().start(() -> {
                    try {
                        go.await();
                        auth.authenticate("root", "secret-1");
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
            assertEquals(8, ok.get());
            List<String> lines = Files.readAllLines(file);
            assertEquals(1, lines.size());
            assertTrue(lines.getFirst().matches(CRYPT_LINE), lines.getFirst());
            assertEquals(List.of(file), filesIn(dir));
        }
        try (PasswordFileAuthenticator reloaded = PasswordFileAuthenticator.load(file)) {
            assertDoesNotThrow(() -> reloaded.authenticate("root", "secret-1"));
        }
    }

    @Test
    void failedRehashStillLogsInAndKeepsTheLegacyLine() throws Exception {
        Path sub = Files.createDirectory(dir.resolve("ro"));
        Path file = sub.resolve("passwd");
        Files.writeString(file, legacyLine("root", "secret-1", 1000) + "\n");
        try (PasswordFileAuthenticator auth = PasswordFileAuthenticator.load(file)) {
            Files.delete(file);
            Files.createDirectory(file); // the rename onto a directory fails, whoever we run as
            assertDoesNotThrow(() -> auth.authenticate("root", "secret-1"));
            assertDoesNotThrow(() -> auth.authenticate("root", "secret-1")); // tried again, still fine
            assertEquals(FAIL, authFailure(auth, "root", "secret-2"));
            assertEquals(List.of(file), filesIn(sub));
            assertTrue(Files.isDirectory(file));
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "root:" + SPEC_DEFAULT + ":extra",
                "root:$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZF4sBRp8A",
                "root:$6$saltstring",
                "root:$6$saltstring$short",
                "root:$6$saltstring$" + HASH86 + "A",
                "root:$6$salt string$" + HASH86,
                "root:$6$saltstringsaltstring$" + HASH86, // glibc would cut the salt: it could never match
                "root:$6$$" + HASH86,
                "root:$6$rounds=999$saltstring$" + HASH86,
                "root:$6$rounds=10000001$saltstring$" + HASH86,
                "root:$6$rounds=$saltstring$" + HASH86,
                "root:",
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
    void corruptedCryptLinesSayWhatIsWrong() throws Exception {
        Path file = dir.resolve("passwd");
        String[][] cases = {
            {"root:$1$saltstring$abc", "unsupported hash: only sha512-crypt ($6$) is read"},
            {
                "root:$6$saltstring$short",
                "malformed sha512-crypt hash: expected $6$[rounds=N$]salt$hash, the salt 1 to 16 and the hash 86"
                        + " characters of ./0-9A-Za-z"
            },
            {"root:$6$rounds=999$saltstring$" + HASH86, "rounds must be from 1000 to 10000000, found 999"},
            {
                "root:a:b:c",
                "expected user:$6$salt$hash (2 fields separated by ':') or"
                        + " user:pbkdf2-sha256:iterations:salt:hash (5 fields), found 4 fields"
            },
        };
        for (String[] c : cases) {
            Files.writeString(file, "root2:" + SPEC_DEFAULT + "\n" + c[0] + "\n");
            PasswordFileException e =
                    assertThrows(PasswordFileException.class, () -> PasswordFileAuthenticator.load(file));
            assertEquals(file + ":2: " + c[1], e.getMessage());
        }
        Files.writeString(file, "root:$6$rounds=1000$saltstring$" + HASH86 + "\n");
        assertDoesNotThrow(() -> PasswordFileAuthenticator.load(file).close()); // glibc's fewest rounds
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
