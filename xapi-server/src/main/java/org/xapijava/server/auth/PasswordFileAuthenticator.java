package org.xapijava.server.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.model.util.AtomicFiles;

/**
 * {@link Authenticator} on a local password file, for development hosts without a PAM service
 * {@code xapi} (typically {@code <data-dir>/passwd}). It answers exactly as {@link PamAuthenticator}
 * does under the service {@code xapi} written by {@code scripts/setup-test-system}:
 * "Authentication failure" for a wrong password, an empty password or an unknown user, and
 * "Authentication token manipulation error" when a password change is refused (unknown user, empty
 * new password, new password longer than {@value #MAX_PASSWORD_BYTES} UTF-8 bytes, file not
 * writable). Unlike PAM it adds no delay after a failure.
 *
 * <h2>File format</h2>
 * UTF-8 text, one account a line: {@code user:pbkdf2-sha256:<iterations>:<salt>:<hash>} where salt
 * and hash are standard Base64 and hash is PBKDF2-HMAC-SHA256 (RFC 8018) of the password's UTF-8
 * bytes, 32 bytes long. Blank lines and lines starting with {@code #} are ignored and kept on
 * rewrite. A user name is non-empty and has no {@code :}, NUL or line break and does not start with
 * {@code #}; each user appears once. The file is created and rewritten with mode 0600; a file
 * readable by others is used but warned about.
 *
 * <h2>Lifecycle</h2>
 * {@link #load} reads the file once and keeps the accounts in memory; {@link #changePassword}
 * rewrites the file atomically (temporary file in the same directory, fsync, rename, fsync of the
 * directory) and then updates the memory. Edits made to the file by others while the authenticator
 * lives are not seen until the next load (to reset a forgotten password: stop the host, delete the
 * file, start again and read the new random password). {@link #createWithRandomPassword} and
 * {@link #loadOrCreate} create the file when it is absent, with one account and a fresh random
 * password.
 *
 * <p>Checks run on a bounded pool of platform threads, as PAM calls do (Xapi's
 * {@code pool.local_auth_max_threads}), so that a burst of logins cannot take every CPU with
 * PBKDF2. Comparison is constant-time, and an unknown user costs the same hashing as a known one.
 * Thread-safe.
 */
public final class PasswordFileAuthenticator implements Authenticator, AutoCloseable {

    /** The only hashing scheme, as written in the file. */
    public static final String SCHEME = "pbkdf2-sha256";
    /** Iterations for new hashes: OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256. */
    public static final int DEFAULT_ITERATIONS = 600_000;
    /** Longest password pam_unix accepts in a change (PAM_MAX_RESP_SIZE 512, less its NUL). */
    public static final int MAX_PASSWORD_BYTES = 511;

    /** Above this a line's iteration count is refused: it would let a file stall every login. */
    private static final int MAX_ITERATIONS = 10_000_000;

    private static final int SALT_BYTES = 16;
    private static final int HASH_BYTES = 32;
    /** 20 characters of 62 kinds: about 119 bits. */
    private static final int RANDOM_PASSWORD_LENGTH = 20;

    private static final String RANDOM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final Set<PosixFilePermission> MODE_0600 = PosixFilePermissions.fromString("rw-------");

    private static final Logger LOG = LoggerFactory.getLogger(PasswordFileAuthenticator.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One account: its line index in {@link State#lines} and its hash. */
    private record Entry(int index, int iterations, byte[] salt, byte[] hash) {}

    /** The file as last read or written: every line, and the accounts by user. */
    private record State(List<String> lines, Map<String, Entry> accounts) {}

    /** What an unknown user is checked against, so that it costs as much as a known one. */
    private static final Entry DUMMY = new Entry(-1, DEFAULT_ITERATIONS, new byte[SALT_BYTES], new byte[HASH_BYTES]);

    private final Path file;
    private final AuthPool pool;
    private final ReentrantLock writeLock = new ReentrantLock();
    private volatile State state;

    private PasswordFileAuthenticator(Path file, State state, int maxThreads) {
        this.file = file;
        this.state = state;
        this.pool = new AuthPool("passwd-auth", maxThreads);
    }

    /** {@link #load(Path, int)} with Xapi's default of {@value AuthPool#DEFAULT_SIZE} threads. */
    public static PasswordFileAuthenticator load(Path file) throws IOException {
        return load(file, AuthPool.DEFAULT_SIZE);
    }

    /**
     * Reads {@code file}, which must exist.
     *
     * @param maxThreads the most checks running at once, at least 1
     * @throws PasswordFileException when a line is malformed (the message names the file and line)
     * @throws IOException when the file cannot be read
     */
    public static PasswordFileAuthenticator load(Path file, int maxThreads) throws IOException {
        Objects.requireNonNull(file, "file");
        State state = parse(file, Files.readString(file, StandardCharsets.UTF_8));
        warnIfExposed(file);
        return new PasswordFileAuthenticator(file, state, maxThreads);
    }

    /**
     * When {@code file} is absent, creates it (and its missing parent directories) with one account,
     * {@code user}, and a fresh random password, calls {@code onCreated} with that password (the
     * launcher prints it), then loads it; when present, only loads it, whatever accounts it holds.
     */
    public static PasswordFileAuthenticator loadOrCreate(Path file, String user, Consumer<? super String> onCreated)
            throws IOException {
        String created = createWithRandomPassword(file, user);
        if (created != null) {
            onCreated.accept(created);
        }
        return load(file);
    }

    /**
     * Creates {@code file} (mode 0600, parent directories as needed) holding one account {@code user}
     * with a fresh random password of {@value #RANDOM_PASSWORD_LENGTH} letters and digits, and returns
     * that password. Returns null, touching nothing, when the file already exists. Creation is atomic:
     * concurrent callers never see a partial file and exactly one of them creates it.
     */
    public static String createWithRandomPassword(Path file, String user) throws IOException {
        Objects.requireNonNull(file, "file");
        checkUserName(user);
        if (Files.exists(file)) {
            return null;
        }
        StringBuilder password = new StringBuilder(RANDOM_PASSWORD_LENGTH);
        for (int i = 0; i < RANDOM_PASSWORD_LENGTH; i++) {
            password.append(RANDOM_ALPHABET.charAt(RANDOM.nextInt(RANDOM_ALPHABET.length())));
        }
        String line = formatLine(user, DEFAULT_ITERATIONS, password.toString().getBytes(StandardCharsets.UTF_8));
        Files.createDirectories(AtomicFiles.directoryOf(file));
        byte[] content = (line + "\n").getBytes(StandardCharsets.UTF_8);
        // link(2) of a complete temporary file fails when the file exists: atomic create-if-absent
        if (!AtomicFiles.createNew(file, MODE_0600, ch -> AtomicFiles.writeFully(ch, content))) {
            return null;
        }
        return password.toString();
    }

    /** The password file. */
    public Path file() {
        return file;
    }

    /** Changes the most checks running at once. */
    public void setMaxThreads(int maxThreads) {
        pool.setSize(maxThreads);
    }

    /** The current bound on checks running at once. */
    public int maxThreads() {
        return pool.size();
    }

    AuthPool pool() {
        return pool;
    }

    @Override
    public void authenticate(String user, String password) throws AuthenticationFailure {
        String name = CStrings.truncateAtNul(user);
        byte[] secret = CStrings.utf8(password);
        pool.run(() -> {
            try {
                Entry entry = state.accounts().get(name);
                boolean known = entry != null;
                Entry against = known ? entry : DUMMY;
                byte[] computed = pbkdf2(secret, against.salt(), against.iterations());
                boolean match = MessageDigest.isEqual(computed, against.hash());
                if (!(known && match && secret.length > 0)) {
                    throw new AuthenticationFailure(PamStatus.AUTHENTICATION_FAILURE);
                }
                return null;
            } finally {
                Arrays.fill(secret, (byte) 0);
            }
        });
    }

    /**
     * {@inheritDoc} The new hash uses {@value #DEFAULT_ITERATIONS} iterations and a fresh salt; the
     * file is rewritten atomically before the change is visible to {@link #authenticate}.
     * {@code oldPassword} is not used.
     */
    @Override
    public void changePassword(String user, String oldPassword, String newPassword) throws AuthenticationFailure {
        String name = CStrings.truncateAtNul(user);
        byte[] secret = CStrings.utf8(newPassword);
        pool.run(() -> {
            writeLock.lock();
            try {
                State current = state;
                Entry entry = current.accounts().get(name);
                if (entry == null || secret.length == 0 || secret.length > MAX_PASSWORD_BYTES) {
                    throw new AuthenticationFailure(PamStatus.AUTHTOK_ERROR);
                }
                List<String> lines = new ArrayList<>(current.lines());
                lines.set(entry.index(), formatLine(name, DEFAULT_ITERATIONS, secret));
                State next;
                try {
                    next = parse(file, String.join("\n", lines) + "\n");
                    replaceAtomically(file, next.lines());
                } catch (IOException e) {
                    LOG.error("cannot rewrite password file {}", file, e);
                    throw new AuthenticationFailure(PamStatus.AUTHTOK_ERROR, e);
                }
                state = next;
                return null;
            } finally {
                writeLock.unlock();
                Arrays.fill(secret, (byte) 0);
            }
        });
    }

    /** Stops the worker pool; checks already submitted still complete. */
    @Override
    public void close() {
        pool.close();
    }

    // ---- file format ----

    private static State parse(Path file, String text) throws PasswordFileException {
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        if (!lines.isEmpty() && lines.getLast().isEmpty()) {
            lines.removeLast(); // the newline ending the last line
        }
        Map<String, Entry> accounts = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int lineNo = i + 1;
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split(":", -1);
            if (f.length != 5) {
                throw new PasswordFileException(
                        file,
                        lineNo,
                        "expected 5 fields user:scheme:iterations:salt:hash separated by ':', found " + f.length);
            }
            String user = f[0];
            if (user.isEmpty() || user.indexOf('\0') >= 0 || user.indexOf('\r') >= 0) {
                throw new PasswordFileException(file, lineNo, "invalid user name");
            }
            if (!SCHEME.equals(f[1])) {
                throw new PasswordFileException(
                        file, lineNo, "unknown scheme '" + f[1] + "' (expected " + SCHEME + ")");
            }
            int iterations;
            try {
                iterations = Integer.parseInt(f[2]);
            } catch (NumberFormatException e) {
                iterations = -1;
            }
            if (iterations < 1 || iterations > MAX_ITERATIONS) {
                throw new PasswordFileException(
                        file, lineNo, "iteration count must be a number from 1 to " + MAX_ITERATIONS);
            }
            byte[] salt = decode(file, lineNo, "salt", f[3]);
            byte[] hash = decode(file, lineNo, "hash", f[4]);
            if (salt.length == 0) {
                throw new PasswordFileException(file, lineNo, "empty salt");
            }
            if (hash.length != HASH_BYTES) {
                throw new PasswordFileException(
                        file, lineNo, "hash must be " + HASH_BYTES + " bytes, found " + hash.length);
            }
            if (accounts.putIfAbsent(user, new Entry(i, iterations, salt, hash)) != null) {
                throw new PasswordFileException(file, lineNo, "user '" + user + "' appears twice");
            }
        }
        return new State(List.copyOf(lines), Map.copyOf(accounts));
    }

    private static byte[] decode(Path file, int lineNo, String what, String base64) throws PasswordFileException {
        try {
            return Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new PasswordFileException(file, lineNo, what + " is not valid Base64");
        }
    }

    private static void checkUserName(String user) {
        Objects.requireNonNull(user, "user");
        if (user.isEmpty()
                || user.startsWith("#")
                || user.chars().anyMatch(c -> c == ':' || c == '\n' || c == '\r' || c == 0)) {
            throw new IllegalArgumentException("invalid user name for a password file: '" + user + "'");
        }
    }

    private static String formatLine(String user, int iterations, byte[] password) {
        byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        Base64.Encoder b64 = Base64.getEncoder();
        return user + ":" + SCHEME + ":" + iterations + ":" + b64.encodeToString(salt) + ":"
                + b64.encodeToString(pbkdf2(password, salt, iterations));
    }

    /**
     * PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) with a 32-byte output (a single block). Written on
     * {@link Mac} rather than {@code SecretKeyFactory} so that it hashes bytes, not chars; an empty
     * password (which HMAC keys cannot be) is hashed as one NUL byte, and never accepted anyway.
     */
    static byte[] pbkdf2(byte[] password, byte[] salt, int iterations) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(password.length == 0 ? new byte[1] : password, "HmacSHA256"));
            mac.update(salt);
            mac.update(new byte[] {0, 0, 0, 1}); // block index 1, big-endian
            byte[] u = mac.doFinal();
            byte[] result = u.clone();
            for (int i = 1; i < iterations; i++) {
                u = mac.doFinal(u);
                for (int j = 0; j < result.length; j++) {
                    result[j] ^= u[j];
                }
            }
            return result;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    // ---- files ----

    private static void replaceAtomically(Path file, List<String> lines) throws IOException {
        AtomicFiles.write(file, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8), MODE_0600);
    }

    private static void warnIfExposed(Path file) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (!MODE_0600.containsAll(perms)) {
                LOG.warn(
                        "password file {} has mode {}; it should be rw------- (0600)",
                        file,
                        PosixFilePermissions.toString(perms));
            }
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warn("cannot read the mode of password file {}", file, e);
        }
    }
}
