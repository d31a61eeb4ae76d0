package org.xapijava.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.xapijava.db.Database;
import org.xapijava.model.types.Refs;
import org.xapijava.server.auth.Authenticator;
import org.xapijava.server.auth.PamAuthenticator;
import org.xapijava.server.auth.PasswordFileAuthenticator;
import org.xapijava.server.config.XapiConfig;

/** Start-up glue: first-start objects and the authenticator chosen by the configuration. */
final class Bootstrap {
    private Bootstrap() {}

    static XapiServer.HostRefs run(Database db, XapiConfig config) {
        var s = db.snapshot();
        if (!s.getAll("host").isEmpty()) {
            return new XapiServer.HostRefs(s.getAll("host").get(0), s.getAll("pool").get(0));
        }
        String host = Refs.fresh();
        String pool = Refs.fresh();
        db.transact(tx -> {
            Map<String, Object> h = new HashMap<>();
            h.put("uuid", UUID.randomUUID().toString());
            h.put("name_label", "interim");
            h.put("API_version_major", 2L);
            h.put("API_version_minor", 21L);
            tx.create("host", host, h);
            Map<String, Object> p = new HashMap<>();
            p.put("uuid", UUID.randomUUID().toString());
            p.put("master", host);
            tx.create("pool", pool, p);
        });
        return new XapiServer.HostRefs(host, pool);
    }

    /** The authenticator and, for a development host, the root password to print. */
    record Auth(Authenticator authenticator, String rootPassword) {}

    /**
     * {@code auth = pam}: the real PAM library, service {@code pam-service}, 8 native threads (Xapi's
     * {@code local_auth_max_threads}). {@code auth = file}: the development password file, created at
     * first start with a random root password, which is also kept in {@code root-password} beside it
     * (mode 0600) so the launcher can print it on every start.
     */
    static Auth auth(XapiConfig config) throws IOException {
        switch (config.get("auth")) {
            case "pam" -> {
                return new Auth(new PamAuthenticator(config.get("pam-service"), 8), null);
            }
            case "file" -> {
                Path file = config.path("password-file");
                Path shown = file.resolveSibling("root-password");
                PasswordFileAuthenticator a = PasswordFileAuthenticator.loadOrCreate(file, "root", pw -> {
                    try {
                        Files.writeString(shown, pw + "\n", StandardCharsets.UTF_8);
                        Files.setPosixFilePermissions(shown, PosixFilePermissions.fromString("rw-------"));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
                String pw = Files.exists(shown) ? Files.readString(shown, StandardCharsets.UTF_8).strip() : null;
                return new Auth(a, pw);
            }
            default -> throw new IllegalArgumentException("auth: expected pam or file, got " + config.get("auth"));
        }
    }
}
