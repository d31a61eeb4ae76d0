package org.xapijava.server.session;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.UUID;
import org.xapijava.model.util.AtomicFiles;

/**
 * The pool secret (Xapi's {@code /etc/xensource/ptoken}): read at start, created at first start.
 * Xapi's ptoken is three uuids joined by '/'; we generate the same shape.
 */
public final class PoolSecret {
    private final String secret;

    public PoolSecret(String secret) {
        this.secret = secret;
    }

    public static PoolSecret loadOrCreate(Path file) throws IOException {
        if (Files.exists(file)) {
            String s = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (s.isEmpty()) throw new IOException(file + ": empty pool secret");
            return new PoolSecret(s);
        }
        String s = UUID.randomUUID() + "/" + UUID.randomUUID() + "/" + UUID.randomUUID();
        Files.createDirectories(AtomicFiles.directoryOf(file));
        AtomicFiles.write(file, s.getBytes(StandardCharsets.UTF_8), AtomicFiles.OWNER_READ_WRITE);
        return new PoolSecret(s);
    }

    public String value() {
        return secret;
    }

    /** Constant-time comparison. */
    public boolean isAuthorized(String candidate) {
        if (candidate == null) return false;
        return MessageDigest.isEqual(
                secret.getBytes(StandardCharsets.UTF_8), candidate.getBytes(StandardCharsets.UTF_8));
    }
}
