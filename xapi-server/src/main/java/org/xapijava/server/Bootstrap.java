package org.xapijava.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.xapijava.db.Db;
import org.xapijava.server.auth.AuthenticationFailure;
import org.xapijava.server.auth.Authenticator;
import org.xapijava.server.auth.PamAuthenticator;
import org.xapijava.server.auth.PasswordFileAuthenticator;
import org.xapijava.server.bootstrap.BootstrapSettings;
import org.xapijava.server.bootstrap.HostObjects;
import org.xapijava.server.bootstrap.Inventory;
import org.xapijava.server.bootstrap.StartupSync;
import org.xapijava.server.config.XapiConfig;

/** Start-up glue: first-start objects and the authenticator chosen by the configuration. */
final class Bootstrap {
    private Bootstrap() {}

    /**
     * First start, or the refresh of a later start: the inventory (created with fresh uuids at first
     * start) and the start-up syncs on {@code db} ({@link StartupSync#run}, or {@link StartupSync#runMember} for a
     * member of the pool whose database it is). A wildcard bind address manages through the loopback address; the
     * host is named by the {@code hostname} key, else by the kernel's host name.
     */
    static HostObjects run(Db db, XapiConfig config, boolean member) throws IOException {
        Inventory inv = Inventory.loadOrCreate(config.path("inventory"));
        String address = config.get("bind");
        if (address.equals("0.0.0.0") || address.equals("::")) address = "127.0.0.1";
        String hostname = config.get("hostname");
        BootstrapSettings settings = BootstrapSettings.forThisHost(
                inv,
                hostname.isEmpty() ? BootstrapSettings.localHostname() : hostname,
                address,
                config.path("local-sr-dir"),
                config.path("tools-iso-dir"));
        return member ? StartupSync.runMember(db, settings) : StartupSync.run(db, settings);
    }

    /**
     * The authenticator; for a development host, the root password to print (null once it is the pool's, synced from
     * the master) and root's hash as the pool's config file sync moves it (null with PAM: not synced).
     */
    record Auth(
            Authenticator authenticator,
            java.util.function.Supplier<String> rootPassword,
            org.xapijava.server.auth.RootHash rootHash) {}

    /**
     * {@code auth = pam}: the real PAM library, service {@code pam-service}, 8 native threads (Xapi's
     * {@code local_auth_max_threads}). {@code auth = file}: the development password file, created at
     * first start with a random root password, which is also kept in {@code root-password} beside it
     * (mode 0600) so the launcher can print it on every start.
     */
    static Auth auth(XapiConfig config) throws IOException {
        switch (config.get("auth")) {
            case "pam" -> {
                return new Auth(new PamAuthenticator(config.get("pam-service"), 8), () -> null, null);
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
                String pw = Files.exists(shown)
                        ? Files.readString(shown, StandardCharsets.UTF_8).strip()
                        : null;
                // keep the printed password true after session.change_password of root
                Authenticator keepShown = new Authenticator() {
                    @Override
                    public void authenticate(String user, String password) throws AuthenticationFailure {
                        a.authenticate(user, password);
                    }

                    @Override
                    public void changePassword(String user, String oldPassword, String newPassword)
                            throws AuthenticationFailure {
                        a.changePassword(user, oldPassword, newPassword);
                        if (user.equals("root") && Files.exists(shown)) {
                            try {
                                Files.writeString(shown, newPassword + "\n", StandardCharsets.UTF_8);
                            } catch (IOException e) {
                                throw new UncheckedIOException(e);
                            }
                        }
                    }
                };
                // the pool's config file sync: root's line replaced by the master's; the password kept beside it for
                // the launcher is then no longer this host's, and goes
                org.xapijava.server.auth.RootHash hash = new org.xapijava.server.auth.RootHash() {
                    @Override
                    public String get() {
                        return a.hashOf("root");
                    }

                    @Override
                    public void set(String h) {
                        if (h.equals(a.hashOf("root"))) return;
                        try {
                            a.setHash("root", h);
                            Files.deleteIfExists(shown);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }
                };
                // the password read at start, for as long as the launcher's copy is there
                return new Auth(keepShown, () -> pw != null && Files.exists(shown) ? pw : null, hash);
            }
            default -> throw new IllegalArgumentException("auth: expected pam or file, got " + config.get("auth"));
        }
    }
}
