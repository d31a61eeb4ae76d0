package org.xapijava.cli.server;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xapijava.cli.records.CliFailure;
import org.xapijava.cli.records.Sizes;
import org.xapijava.model.api.enums.CertificatePurpose;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;

/**
 * The commands of {@code cli_operations.ml} for a host's upkeep and recovery: crash dumps and bug reports, LDAPS for
 * external authentication, binary storage, trusted certificates, thin provisioning, the HA health check, UEFI
 * certificates at boot, and recovering VMs from a disaster-recovery database ({@code with_database_vdi}).
 */
final class MaintenanceCommands {
    private MaintenanceCommands() {}

    static void bind(Map<String, CommandImpl> t) {
        t.put(
                "host-crashdump-destroy",
                c -> c.api()
                        .hostCrashdump()
                        .destroy(c.api().hostCrashdump().getByUuid(c.params().get("uuid"))));
        t.put("host-crashdump-upload", c -> {
            XenApi api = c.api();
            String crash = api.hostCrashdump().getByUuid(c.params().get("uuid"));
            api.hostCrashdump().upload(crash, c.params().getOr("url", ""), options(c.params(), "uuid"));
        });
        t.put(
                "host-bugreport-upload",
                c -> Selectors.hosts(c, true, Set.of("url", "http_proxy"), h -> {
                    c.api().host().bugreportUpload(h.ref(), c.params().getOr("url", ""), options(c.params(), "host"));
                    return null;
                }));
        t.put("host-external-auth-set-ldaps", c -> {
            Params p = c.params();
            String host = c.api().host().getByUuid(p.get("host-uuid"));
            c.api().host().externalAuthSetLdaps(host, p.bool("ldaps", false), p.bool("force", false));
        });
        t.put("pool-external-auth-set-ldaps", c -> {
            Params p = c.params();
            c.api()
                    .pool()
                    .externalAuthSetLdaps(CliArgs.poolOr(c, "uuid"), p.bool("ldaps", false), p.bool("force", false));
        });
        t.put(
                "host-refresh-pack-info",
                c -> c.api()
                        .host()
                        .refreshPackInfo(c.api().host().getByUuid(c.params().get("host-uuid"))));
        t.put("host-ha-xapi-healthcheck", MaintenanceCommands::haXapiHealthcheck);
        t.put("diagnostic-timing-stats", MaintenanceCommands::timingStats);
        t.put("pool-enable-binary-storage", c -> c.api().pool().enableBinaryStorage());
        t.put("pool-disable-binary-storage", c -> c.api().pool().disableBinaryStorage());
        // Xapi's command does nothing (SSL legacy mode is gone), whatever the pool
        t.put("pool-disable-ssl-legacy", c -> {});
        t.put("pool-install-trusted-certificate", c -> {
            Params p = c.params();
            String pool = CliArgs.poolOr(c, "uuid");
            boolean ca = p.bool("ca", true);
            List<String> purpose = new java.util.ArrayList<>();
            for (String s : p.opt("purpose").map(CliArgs::commas).orElse(List.of()))
                purpose.add(CliArgs.enumOf(CertificatePurpose.values(), CertificatePurpose::wire, s)
                        .wire());
            String cert = CliArgs.fileOrFail(c, "certificate", p.get("filename"));
            c.api().pool().installTrustedCertificate(pool, ca, cert, purpose);
        });
        t.put("pool-uninstall-trusted-certificate", c -> {
            String pool = CliArgs.poolOr(c, "uuid");
            String certificate = c.api().certificate().getByUuid(c.params().get("certificate-uuid"));
            c.api().pool().uninstallTrustedCertificate(pool, certificate);
        });
        t.put("lvhd-enable-thin-provisioning", c -> {
            Params p = c.params();
            String srUuid = p.get("sr-uuid");
            long initial = Sizes.parse("initial-allocation", p.get("initial-allocation"));
            long quantum = Sizes.parse("allocation-quantum", p.get("allocation-quantum"));
            Selectors.hosts(c, true, Set.of("sr-uuid", "initial-allocation", "allocation-quantum"), h -> {
                String sr = c.api().sr().getByUuid(srUuid);
                return c.api().lvhd().enableThinProvisioning(h.ref(), sr, initial, quantum);
            });
        });
        t.put(
                "vm-update-secureboot-certificates-on-boot",
                c -> Selectors.vms(c, Selectors.VmScope.ORDINARY, true, Set.of("mark"), vm -> {
                    c.api()
                            .vm()
                            .updateSecurebootCertificatesOnBoot(
                                    vm.ref(), c.params().bool("mark", false));
                    return null;
                }));
        t.put("vm-assert-can-be-recovered", c -> {
            String uuid = c.params().get("uuid");
            withDatabaseVdi(c, db -> db.vm().assertCanBeRecovered(db.vm().getByUuid(uuid), c.session()));
        });
        t.put("vm-recover", c -> {
            boolean force = c.params().bool("force", false);
            String uuid = c.params().get("uuid");
            withDatabaseVdi(c, db -> db.vm().recover(db.vm().getByUuid(uuid), c.session(), force));
        });
    }

    /** The other parameters, passed on as an upload's options ({@code host_bugreport_upload}, crash dumps). */
    private static Map<String, String> options(Params p, String selector) {
        Map<String, String> options = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : p.entries()) {
            String k = e.getKey();
            if (!k.equals(selector) && !k.equals("url") && !Params.STANDARD.contains(k)) options.put(k, e.getValue());
        }
        return options;
    }

    /**
     * {@code host_ha_xapi_healthcheck}, on the local session: {@code xapi is healthy.}, else a message on standard
     * error and exit 2 (the check says false) or 3 (it failed).
     */
    private static void haXapiHealthcheck(CommandContext c) {
        boolean healthy;
        try {
            healthy = c.api().host().haXapiHealthcheck();
        } catch (ApiError e) {
            c.conn().printStderr("Host.ha_xapi_healthcheck threw exception: " + ErrorPrinter.stringOfExn(e) + "\n");
            throw new CliErrors.ExitWithError(3);
        }
        if (!healthy) {
            c.conn().printStderr("Host.ha_xapi_healthcheck reports false\n");
            throw new CliErrors.ExitWithError(2);
        }
        c.conn().print("xapi is healthy.");
    }

    /**
     * {@code diagnostic_timing_stats}: a record per host, its uuid and name then its timings (or {@code Error} and
     * the call's failure), keys sorted.
     */
    private static void timingStats(CommandContext c) {
        XenApi api = c.api();
        boolean counts = c.params().bool("counts", false);
        List<Printer.Row> rows = new java.util.ArrayList<>();
        for (String host : api.host().getAll()) {
            List<Map.Entry<String, String>> fields = new java.util.ArrayList<>();
            fields.add(Map.entry("host-uuid", api.host().getUuid(host)));
            fields.add(Map.entry("host-name-label", api.host().getNameLabel(host)));
            try {
                fields.addAll(api.host().getDiagnosticTimingStats(host, counts).entrySet());
            } catch (ApiError e) {
                fields.add(Map.entry("Error", ErrorPrinter.toServerError(e)));
            }
            fields.sort((x, y) -> java.util.Arrays.compare(
                    x.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    y.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            rows.add(new Printer.Row(fields));
        }
        c.out().table(rows);
    }

    /** What runs on a disaster-recovery database's session. */
    @FunctionalInterface
    private interface OnDatabase {
        void run(XenApi database);
    }

    /**
     * Xapi's {@code with_database_vdi}: the VDI {@code database:vdi-uuid} names opened as a database
     * ({@code VDI.open_database}), {@code f} run on its session, which is logged out after.
     */
    private static void withDatabaseVdi(CommandContext c, OnDatabase f) {
        String uuid = c.params().mapOf("database").get("vdi-uuid");
        if (uuid == null)
            throw new CliFailure(
                    "A parameter of the form 'database:vdi-uuid=<uuid>' must be specified to run this command.");
        XenApi api = c.api();
        String session = api.vdi().openDatabase(api.vdi().getByUuid(uuid));
        XenApi database = api.withSession(session);
        try {
            f.run(database);
        } finally {
            database.session().logout();
        }
    }
}
