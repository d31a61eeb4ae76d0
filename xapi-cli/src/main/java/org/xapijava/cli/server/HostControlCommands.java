package org.xapijava.cli.server;

import java.io.IOException;
import java.util.Map;
import java.util.Set;

/**
 * The host and pool commands of {@code cli_operations.ml} for certificates and TLS, the emergency (local session)
 * commands, the host's display, syslog, debug keys, power-on mode and live hostname.
 */
final class HostControlCommands {
    private HostControlCommands() {}

    static void bind(Map<String, CommandImpl> t) {
        bindCertificates(t);
        t.put("host-emergency-ha-disable", c -> {
            boolean soft = c.params().bool("soft", false);
            CliArgs.failWithoutForce(c);
            c.api().host().emergencyHaDisable(soft);
        });
        t.put("host-emergency-reset-server-certificate", c -> c.api().host().emergencyResetServerCertificate());
        t.put("host-emergency-disable-tls-verification", c -> c.api().host().emergencyDisableTlsVerification());
        t.put("host-emergency-reenable-tls-verification", c -> c.api().host().emergencyReenableTlsVerification());
        t.put("host-emergency-clear-mandatory-guidance", c -> c.api().host().emergencyClearMandatoryGuidance());
        t.put("host-set-hostname-live", c -> {
            String host = c.api().host().getByUuid(c.params().get("host-uuid"));
            c.api().host().setHostnameLive(host, c.params().get("host-name"));
        });
        t.put("host-enable-display", c -> {
            String host = c.api().host().getByUuid(c.params().get("uuid"));
            c.out().msg(c.api().host().enableDisplay(host).wire());
        });
        t.put("host-disable-display", c -> {
            String host = c.api().host().getByUuid(c.params().get("uuid"));
            c.out().msg(c.api().host().disableDisplay(host).wire());
        });
        t.put(
                "host-syslog-reconfigure",
                c -> c.api()
                        .host()
                        .syslogReconfigure(c.api().host().getByUuid(c.params().get("host-uuid"))));
        t.put("host-send-debug-keys", c -> {
            String host = c.api().host().getByUuid(c.params().get("host-uuid"));
            c.api().host().sendDebugKeys(host, c.params().get("keys"));
        });
        t.put(
                "host-power-on",
                c -> Selectors.hosts(c, true, Set.of(), h -> {
                    c.api().host().powerOn(h.ref());
                    return null;
                }));
        t.put("host-set-power-on-mode", c -> {
            String mode = c.params().get("power-on-mode");
            Map<String, String> config = c.params().mapOf("power-on-config");
            Selectors.hosts(c, true, Set.of("power-on-mode", "power-on-config"), h -> {
                c.api().host().setPowerOnMode(h.ref(), mode, config);
                return null;
            });
        });
    }

    private static void bindCertificates(Map<String, CommandImpl> t) {
        t.put(
                "host-get-server-certificate",
                c -> Selectors.hosts(c, false, Set.of(), h -> {
                    c.out().msg(c.api().host().getServerCertificate(h.ref()));
                    return null;
                }));
        t.put(
                "host-refresh-server-certificate",
                c -> Selectors.hosts(c, false, Set.of(), h -> {
                    c.api().host().refreshServerCertificate(h.ref());
                    return null;
                }));
        t.put(
                "host-reset-server-certificate",
                c -> Selectors.hosts(c, false, Set.of(), h -> {
                    c.api().host().resetServerCertificate(h.ref());
                    return null;
                }));
        t.put("host-server-certificate-install", HostControlCommands::installServerCertificate);
        t.put("pool-install-ca-certificate", c -> installCa(c));
        t.put("pool-certificate-install", c -> installCa(c));
        t.put("pool-uninstall-ca-certificate", HostControlCommands::uninstallCa);
        t.put("pool-certificate-uninstall", HostControlCommands::uninstallCa);
        t.put("pool-certificate-list", c -> c.out().list(c.api().pool().certificateList()));
        t.put("pool-certificate-sync", c -> c.api().pool().certificateSync());
        t.put("pool-crl-install", c -> {
            String filename = c.params().get("filename");
            c.api().pool().crlInstall(basename(filename), CliArgs.fileOrFail(c, "CRL", filename));
        });
        t.put("pool-crl-uninstall", c -> c.api().pool().crlUninstall(c.params().get("name")));
        t.put("pool-crl-list", c -> c.out().list(c.api().pool().crlList()));
        t.put("pool-enable-tls-verification", c -> c.api().pool().enableTlsVerification());
        t.put("pool-enable-client-certificate-auth", c -> {
            String pool = CliArgs.poolOr(c, "uuid");
            c.api().pool().enableClientCertificateAuth(pool, c.params().get("name"));
        });
        t.put(
                "pool-disable-client-certificate-auth",
                c -> c.api().pool().disableClientCertificateAuth(CliArgs.poolOr(c, "uuid")));
    }

    /** {@code pool_install_ca_certificate}: the file's base name and its text. */
    private static void installCa(CommandContext c) throws IOException {
        String filename = c.params().get("filename");
        c.api().pool().installCaCertificate(basename(filename), CliArgs.fileOrFail(c, "certificate", filename));
    }

    /**
     * {@code pool_uninstall_ca_certificate}. Xapi reads {@code force} as a boolean and passes it on; this project's
     * datamodel has {@code Pool.uninstall_ca_certificate} without that parameter, so it is read and checked only.
     */
    private static void uninstallCa(CommandContext c) {
        String name = c.params().get("name");
        c.params().bool("force", false);
        c.api().pool().uninstallCaCertificate(name);
    }

    private static void installServerCertificate(CommandContext c) throws IOException {
        String certificate = CliArgs.fileOrFail(c, "certificate", c.params().get("certificate"));
        String privateKey = CliArgs.fileOrFail(c, "private key", c.params().get("private-key"));
        String chainFile = CliArgs.unique(c, "certificate-chain");
        String chain = chainFile == null ? "" : CliArgs.fileOrFail(c, "certificate chain", chainFile);
        Selectors.hosts(c, false, Set.of("certificate", "private-key", "certificate-chain"), h -> {
            c.api().host().installServerCertificate(h.ref(), certificate, privateKey, chain);
            return null;
        });
    }

    /** OCaml's {@code Filename.basename}: what follows the last slash (trailing slashes ignored). */
    static String basename(String path) {
        String p = path;
        while (p.length() > 1 && p.endsWith("/")) p = p.substring(0, p.length() - 1);
        int i = p.lastIndexOf('/');
        return i < 0 || p.equals("/") ? p : p.substring(i + 1);
    }
}
