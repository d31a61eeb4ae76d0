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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.commons.codec.digest.Sha2Crypt;
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
 * UTF-8 text, one account a line, as the first two fields of {@code /etc/shadow}: {@code
 * user:$6$<salt>$<hash>}, the sha512-crypt of the password's UTF-8 bytes in glibc's {@code crypt(3)}
 * format (Drepper's "Unix crypt using SHA-256 and SHA-512"), which is what dom0's pam_unix writes
 * and checks for root: a salt of 1 to 16 characters of {@code ./0-9A-Za-z}, an optional {@code
 * rounds=N$} before it (default 5000, as dom0; {@value #MIN_ROUNDS} to {@value #MAX_ROUNDS} here),
 * and 86 characters of hash. New hashes have the default rounds, written without {@code rounds=},
 * and a random 16-character salt (96 bits). The hashing is Apache commons-codec's {@link Sha2Crypt}.
 *
 * <p>Files written before that hold {@code user:pbkdf2-sha256:<iterations>:<salt>:<hash>} lines
 * (salt and hash in standard Base64, hash the 32-byte PBKDF2-HMAC-SHA256 of RFC 8018). They are
 * still read and checked; the first successful login of such a user rewrites its line as
 * sha512-crypt (the password is needed, so it cannot happen at start). When that rewrite fails the
 * login still succeeds and the old line stays, to be upgraded on a later login.
 *
 * <p>Blank lines and lines starting with {@code #} are ignored and kept on rewrite. A user name is
 * non-empty and has no {@code :}, NUL or line break and does not start with {@code #}; each user
 * appears once. The file is created and rewritten with mode 0600; a file readable by others is used
 * but warned about.
 *
 * <h2>Lifecycle</h2>
 * {@link #load} reads the file once and keeps the accounts in memory; {@link #changePassword}
 * rewrites the file atomically (temporary file in the same directory, fsync, rename, fsync of the
 * directory) and then updates the memory; so does the upgrade of a legacy line. Edits made to the
 * file by others while the authenticator lives are not seen until the next load (to reset a
 * forgotten password: stop the host, delete the file, start again and read the new random
 * password). {@link #createWithRandomPassword} and
 * {@link #loadOrCreate} create the file when it is absent, with one account and a fresh random
 * password.
 *
 * <p>Checks run on a bounded pool of platform threads, as PAM calls do (Xapi's
 * {@code pool.local_auth_max_threads}), so that a burst of logins cannot take every CPU. The
 * comparison of hashes is constant-time ({@link MessageDigest#isEqual}), and an unknown user costs
 * the same hashing as a known one with a current line. Thread-safe.
 */
public final class PasswordFileAuthenticator implements Authenticator, AutoCloseable {

    /** The prefix of every hash written: sha512-crypt in glibc's format. */
    public static final String CRYPT_PREFIX = "$6$";
    /** Rounds of sha512-crypt for new hashes: glibc's default, that of dom0's /etc/shadow. */
    public static final int DEFAULT_ROUNDS = 5000;
    /** The fewest rounds glibc computes ({@code ROUNDS_MIN}); fewer written would never match. */
    public static final int MIN_ROUNDS = 1000;
    /**
     * Above this a line's rounds are refused (glibc allows 999,999,999): about 5 s of CPU a check,
     * a bound that keeps a damaged file from stalling every login.
     */
    public static final int MAX_ROUNDS = 10_000_000;
    /** The scheme of lines written before sha512-crypt, still read and upgraded on login. */
    public static final String LEGACY_SCHEME = "pbkdf2-sha256";
    /** Longest password pam_unix accepts in a change (PAM_MAX_RESP_SIZE 512, less its NUL). */
    public static final int MAX_PASSWORD_BYTES = 511;

    /** Above this a legacy line's iteration count is refused: it would let a file stall every login. */
    private static final int MAX_ITERATIONS = 10_000_000;

    private static final int PBKDF2_HASH_BYTES = 32;
    /** glibc's longest salt; 16 characters of 64 kinds are 96 bits. */
    private static final int CRYPT_SALT_LENGTH = 16;
    /** The crypt alphabet (salt and hash characters), in its order. */
    private static final String CRYPT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    /** {@code $6$[rounds=N$]salt$hash}: group 1 the rounds or null, group 2 the salt, group 3 the hash. */
    private static final Pattern CRYPT =
            Pattern.compile("\\$6\\$(?:rounds=([0-9]{1,10})\\$)?([./0-9A-Za-z]{1,16})\\$([./0-9A-Za-z]{86})");
    /** 20 characters of 62 kinds: about 119 bits. */
    private static final int RANDOM_PASSWORD_LENGTH = 20;

    private static final String RANDOM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final Set<PosixFilePermission> MODE_0600 = PosixFilePermissions.fromString("rw-------");

    private static final Logger LOG = LoggerFactory.getLogger(PasswordFileAuthenticator.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A stored password hash. */
    private sealed interface Hash permits Crypt, Pbkdf2 {
        /** Hashes {@code password} as this hash was made and compares in constant time. */
        boolean matches(byte[] password);
    }

    /**
     * A sha512-crypt hash: {@code setting} is {@code $6$[rounds=N$]salt} as written, {@code hash} the
     * 86 characters after it, in ASCII.
     */
    private record Crypt(String setting, byte[] hash) implements Hash {
        @Override
        public boolean matches(byte[] password) {
            String computed = sha512Crypt(password, setting);
            byte[] tail = computed.substring(computed.lastIndexOf('$') + 1).getBytes(StandardCharsets.US_ASCII);
            return MessageDigest.isEqual(tail, hash);
        }
    }

    /** A legacy PBKDF2-HMAC-SHA256 hash. */
    private record Pbkdf2(int iterations, byte[] salt, byte[] hash) implements Hash {
        @Override
        public boolean matches(byte[] password) {
            return MessageDigest.isEqual(pbkdf2(password, salt, iterations), hash);
        }
    }

    /** One account: its line index in {@link State#lines} and its hash. */
    private record Entry(int index, Hash hash) {}

    /** The file as last read or written: every line, and the accounts by user. */
    private record State(List<String> lines, Map<String, Entry> accounts) {}

    /** What an unknown user is checked against, so that it costs as much as a known one. */
    private static final Hash DUMMY = new Crypt(CRYPT_PREFIX + "unknownuser", new byte[86]);

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
        String line = formatLine(user, password.toString().getBytes(StandardCharsets.UTF_8));
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

    /**
     * {@inheritDoc} A successful login of a user whose line is still PBKDF2 rewrites that line as
     * sha512-crypt before returning (see the class comment).
     */
    @Override
    public void authenticate(String user, String password) throws AuthenticationFailure {
        String name = CStrings.truncateAtNul(user);
        byte[] secret = CStrings.utf8(password);
        pool.run(() -> {
            try {
                Entry entry = state.accounts().get(name);
                boolean known = entry != null;
                // a password longer than any this file can hold fails after a check of the usual cost:
                // sha512-crypt's cost grows with the password's length (a 300 KiB login body took seconds)
                boolean tooLong = secret.length > MAX_PASSWORD_BYTES;
                byte[] checked = tooLong ? Arrays.copyOf(secret, MAX_PASSWORD_BYTES) : secret;
                boolean match = (known && !tooLong ? entry.hash() : DUMMY).matches(checked);
                if (checked != secret) Arrays.fill(checked, (byte) 0);
                if (!(known && match && secret.length > 0 && !tooLong)) {
                    throw new AuthenticationFailure(PamStatus.AUTHENTICATION_FAILURE);
                }
                if (entry.hash() instanceof Pbkdf2) {
                    upgrade(name, entry, secret);
                }
                return null;
            } finally {
                Arrays.fill(secret, (byte) 0);
            }
        });
    }

    /**
     * Rewrites the legacy line {@code entry} of {@code name} as sha512-crypt of {@code secret}, which
     * has just matched it, unless the account changed meanwhile. A failed write is logged and leaves
     * the file and memory as they were.
     */
    private void upgrade(String name, Entry entry, byte[] secret) {
        writeLock.lock();
        try {
            State current = state;
            if (current.accounts().get(name) != entry) {
                return; // changed or upgraded by another call since it was read
            }
            state = rewrite(current, entry.index(), formatLine(name, secret));
            LOG.info("password of {} in {} rehashed from {} to sha512-crypt", name, file, LEGACY_SCHEME);
        } catch (IOException e) {
            LOG.warn("cannot rewrite password file {} to upgrade the hash of {}; kept as it was", file, name, e);
        } finally {
            writeLock.unlock();
        }
    }

    /** Replaces line {@code index} of {@code current}, writes the file atomically, returns the new state. */
    private State rewrite(State current, int index, String line) throws IOException {
        List<String> lines = new ArrayList<>(current.lines());
        lines.set(index, line);
        State next = parse(file, String.join("\n", lines) + "\n");
        replaceAtomically(file, next.lines());
        return next;
    }

    /**
     * {@inheritDoc} The new hash is sha512-crypt with {@value #DEFAULT_ROUNDS} rounds and a fresh
     * salt; the file is rewritten atomically before the change is visible to {@link #authenticate}.
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
                State next;
                try {
                    next = rewrite(current, entry.index(), formatLine(name, secret));
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

    /**
     * The sha512-crypt hash of {@code user}'s line as the file holds it ({@code $6$...}), or null for an unknown user
     * or a legacy line (its PBKDF2 form is nothing {@code crypt(3)} reads).
     */
    public String hashOf(String user) {
        Entry entry = state.accounts().get(user);
        if (entry == null || !(entry.hash() instanceof Crypt)) return null;
        String line = state.lines().get(entry.index());
        return line.substring(line.indexOf(':') + 1);
    }

    /**
     * Makes {@code hash} (sha512-crypt, as {@link #hashOf} gives and the file holds) the hash of the existing account
     * {@code user}: the file rewritten atomically, then the change visible to {@link #authenticate}. What Xapi's
     * config file sync does to a member's root ({@code Unixpwd.setpwd}).
     *
     * @throws IllegalArgumentException for an unknown user or a hash this file cannot hold
     */
    public void setHash(String user, String hash) throws IOException {
        if (hash == null || hash.indexOf(':') >= 0 || hash.indexOf('\n') >= 0)
            throw new IllegalArgumentException("not a sha512-crypt hash");
        try {
            parseCrypt(file, 0, hash);
        } catch (PasswordFileException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        writeLock.lock();
        try {
            State current = state;
            Entry entry = current.accounts().get(user);
            if (entry == null) throw new IllegalArgumentException("no account " + user);
            state = rewrite(current, entry.index(), user + ":" + hash);
        } finally {
            writeLock.unlock();
        }
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
            if (f.length != 2 && f.length != 5) {
                throw new PasswordFileException(
                        file,
                        lineNo,
                        "expected user:$6$salt$hash (2 fields separated by ':') or user:" + LEGACY_SCHEME
                                + ":iterations:salt:hash (5 fields), found " + f.length + " fields");
            }
            String user = f[0];
            if (user.isEmpty() || user.indexOf('\0') >= 0 || user.indexOf('\r') >= 0) {
                throw new PasswordFileException(file, lineNo, "invalid user name");
            }
            Hash hash = f.length == 2 ? parseCrypt(file, lineNo, f[1]) : parsePbkdf2(file, lineNo, f);
            if (accounts.putIfAbsent(user, new Entry(i, hash)) != null) {
                throw new PasswordFileException(file, lineNo, "user '" + user + "' appears twice");
            }
        }
        return new State(List.copyOf(lines), Map.copyOf(accounts));
    }

    /** The hash field of a current line: {@code $6$[rounds=N$]salt$hash}. */
    private static Crypt parseCrypt(Path file, int lineNo, String field) throws PasswordFileException {
        if (!field.startsWith(CRYPT_PREFIX)) {
            throw new PasswordFileException(
                    file, lineNo, "unsupported hash: only sha512-crypt (" + CRYPT_PREFIX + ") is read");
        }
        Matcher m = CRYPT.matcher(field);
        if (!m.matches()) {
            throw new PasswordFileException(
                    file,
                    lineNo,
                    "malformed sha512-crypt hash: expected $6$[rounds=N$]salt$hash, the salt 1 to 16 and the hash"
                            + " 86 characters of ./0-9A-Za-z");
        }
        if (m.group(1) != null) {
            long rounds = Long.parseLong(m.group(1));
            if (rounds < MIN_ROUNDS || rounds > MAX_ROUNDS) {
                throw new PasswordFileException(
                        file, lineNo, "rounds must be from " + MIN_ROUNDS + " to " + MAX_ROUNDS + ", found " + rounds);
            }
        }
        return new Crypt(field.substring(0, m.start(3) - 1), m.group(3).getBytes(StandardCharsets.US_ASCII));
    }

    /** A legacy line's fields: {@code user:pbkdf2-sha256:iterations:salt:hash}. */
    private static Pbkdf2 parsePbkdf2(Path file, int lineNo, String[] f) throws PasswordFileException {
        if (!LEGACY_SCHEME.equals(f[1])) {
            throw new PasswordFileException(
                    file, lineNo, "unknown scheme '" + f[1] + "' (expected " + LEGACY_SCHEME + ")");
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
        if (hash.length != PBKDF2_HASH_BYTES) {
            throw new PasswordFileException(
                    file, lineNo, "hash must be " + PBKDF2_HASH_BYTES + " bytes, found " + hash.length);
        }
        return new Pbkdf2(iterations, salt, hash);
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

    /** {@code user:$6$salt$hash} of {@code password} with a fresh salt and the default rounds. */
    private static String formatLine(String user, byte[] password) {
        StringBuilder setting = new StringBuilder(CRYPT_PREFIX);
        for (int i = 0; i < CRYPT_SALT_LENGTH; i++) {
            setting.append(CRYPT_ALPHABET.charAt(RANDOM.nextInt(CRYPT_ALPHABET.length())));
        }
        return user + ":" + sha512Crypt(password, setting.toString());
    }

    /**
     * {@link Sha2Crypt#sha512Crypt(byte[], String)} of a copy of {@code password}: the library zeroes
     * the bytes it is given, and the caller may still need them (a login that upgrades its line).
     */
    static String sha512Crypt(byte[] password, String setting) {
        byte[] copy = password.clone();
        try {
            return Sha2Crypt.sha512Crypt(copy, setting);
        } finally {
            Arrays.fill(copy, (byte) 0);
        }
    }

    /**
     * PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) with a 32-byte output (a single block), for legacy lines.
     * Written on {@link Mac} rather than {@code SecretKeyFactory} so that it hashes bytes, not chars;
     * an empty password (which HMAC keys cannot be) is hashed as one NUL byte, and never accepted.
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
