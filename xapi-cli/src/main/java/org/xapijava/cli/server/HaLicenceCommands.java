package org.xapijava.cli.server;

import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xapijava.cli.records.CliFailure;
import org.xapijava.model.LicenceFeature;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;

/**
 * The pool's high availability and redo log, its secret, external authentication, local storage caching and SSH,
 * and the editions and licences of hosts and pool ({@code cli_operations.ml}).
 */
final class HaLicenceCommands {
    private HaLicenceCommands() {}

    static void bind(Map<String, CommandImpl> t) {
        t.put("diagnostic-license-status", HaLicenceCommands::licenseStatus);
        t.put("pool-ha-enable", c -> {
            Map<String, String> configuration = c.params().mapOf("ha-config");
            List<String> srs = new ArrayList<>();
            for (String uuid :
                    c.params().opt("heartbeat-sr-uuids").map(CliArgs::commas).orElse(List.of()))
                srs.add(c.api().sr().getByUuid(uuid));
            c.api().pool().enableHa(srs, configuration);
        });
        t.put("pool-ha-disable", c -> c.api().pool().disableHa());
        t.put(
                "pool-ha-prevent-restarts-for",
                c -> c.api()
                        .pool()
                        .haPreventRestartsFor(CliArgs.int64(c.params().get("seconds"))));
        t.put(
                "pool-ha-compute-max-host-failures-to-tolerate",
                c -> c.out().list(List.of(Long.toString(c.api().pool().haComputeMaxHostFailuresToTolerate()))));
        t.put(
                "pool-ha-compute-hypothetical-max-host-failures-to-tolerate",
                HaLicenceCommands::hypotheticalFailuresToTolerate);
        t.put("pool-ha-compute-vm-failover-plan", HaLicenceCommands::failoverPlan);
        t.put(
                "pool-enable-redo-log",
                c -> c.api()
                        .pool()
                        .enableRedoLog(c.api().sr().getByUuid(c.params().get("sr-uuid"))));
        t.put("pool-disable-redo-log", c -> c.api().pool().disableRedoLog());
        t.put("pool-secret-rotate", c -> c.api().pool().rotateSecret());
        t.put("pool-enable-external-auth", c -> {
            String pool = CliArgs.poolOr(c, "uuid");
            String authType = c.params().get("auth-type");
            String serviceName = c.params().get("service-name");
            Map<String, String> config = c.params().mapOf("config");
            c.api().pool().enableExternalAuth(pool, config, serviceName, authType);
        });
        t.put("pool-disable-external-auth", c -> {
            String pool = CliArgs.poolOr(c, "uuid");
            c.api().pool().disableExternalAuth(pool, c.params().mapOf("config"));
        });
        t.put("pool-enable-local-storage-caching", c -> c.api().pool().enableLocalStorageCaching(CliArgs.pool(c)));
        t.put("pool-disable-local-storage-caching", c -> c.api().pool().disableLocalStorageCaching(CliArgs.pool(c)));
        t.put("pool-enable-ssh", c -> c.api().pool().enableSsh(CliArgs.poolOr(c, "uuid")));
        t.put("pool-disable-ssh", c -> c.api().pool().disableSsh(CliArgs.poolOr(c, "uuid")));
        t.put(
                "host-enable-ssh",
                c -> Selectors.hosts(c, true, java.util.Set.of(), h -> {
                    c.api().host().enableSsh(h.ref());
                    return null;
                }));
        t.put(
                "host-disable-ssh",
                c -> Selectors.hosts(c, true, java.util.Set.of(), h -> {
                    c.api().host().disableSsh(h.ref());
                    return null;
                }));
        t.put("pool-apply-edition", c -> {
            String pool = CliArgs.poolOr(c, "uuid");
            String edition = c.params().get("edition");
            List<String> hosts = c.api().host().getAll();
            withLicenseServerChanges(c, hosts, () -> c.api().pool().applyEdition(pool, edition));
        });
        t.put("host-apply-edition", c -> {
            String host = HostMoreCommands.hostOr(c, "host-uuid");
            String edition = c.params().get("edition");
            withLicenseServerChanges(c, List.of(host), () -> c.api().host().applyEdition(host, edition, false));
        });
        t.put("host-license-add", HaLicenceCommands::licenseAdd);
        t.put("host-license-remove", c -> c.api().host().licenseRemove(HostMoreCommands.hostOr(c, "host-uuid")));
    }

    /** Pairs each {@code vm-uuid} with the {@code restart-priority} at the same rank. */
    private static void hypotheticalFailuresToTolerate(CommandContext c) {
        List<String> vms = new ArrayList<>();
        List<String> priorities = new ArrayList<>();
        for (Map.Entry<String, String> e : c.params().entries()) {
            if (e.getKey().equals("vm-uuid")) vms.add(e.getValue());
            if (e.getKey().equals("restart-priority")) priorities.add(e.getValue());
        }
        if (vms.size() != priorities.size()) {
            throw new CliFailure("Call requires an equal number of vm-uuid and restart-priority arguments");
        }
        Map<String, String> configuration = new LinkedHashMap<>();
        for (int i = 0; i < vms.size(); i++) configuration.put(c.api().vm().getByUuid(vms.get(i)), priorities.get(i));
        long n = c.api().pool().haComputeHypotheticalMaxHostFailuresToTolerate(configuration);
        c.out().list(List.of(Long.toString(n)));
    }

    /** The plan for the VMs resident on the given hosts (control domains left out), one row per VM. */
    private static void failoverPlan(CommandContext c) {
        List<String> hosts = new ArrayList<>();
        for (String uuid : CliArgs.commas(c.params().get("host-uuids")))
            hosts.add(c.api().host().getByUuid(uuid));
        List<String> vms = new ArrayList<>();
        for (String h : hosts) {
            for (String vm : c.api().host().getResidentVMs(h)) {
                if (!c.api().vm().getIsControlDomain(vm)) vms.add(vm);
            }
        }
        Map<String, Map<String, String>> plan = c.api().pool().haComputeVmFailoverPlan(hosts, vms);
        List<Map.Entry<String, String>> rows = new ArrayList<>();
        rows.add(Map.entry("VM", "Destination Host or Error"));
        for (Map.Entry<String, Map<String, String>> e : plan.entrySet()) {
            String vm = e.getKey();
            Map<String, String> result = e.getValue();
            String where;
            if (result.containsKey("host")) {
                String h = result.get("host");
                where = c.api().host().getUuid(h) + " (" + c.api().host().getNameLabel(h) + ")";
            } else {
                where = result.getOrDefault("error_code", "UNKNOWN");
            }
            rows.add(Map.entry(c.api().vm().getUuid(vm) + " (" + c.api().vm().getNameLabel(vm) + ")", where));
        }
        c.out().table(List.of(new Printer.Row(rows)));
    }

    /**
     * Xapi's {@code with_license_server_changes}: the given licence server address and port set on every host
     * first (an invalid port noted and ignored), the old settings put back when the checkout fails, the valid
     * editions listed when the edition is not one.
     */
    private static void withLicenseServerChanges(CommandContext c, List<String> hosts, Runnable apply) {
        Map<String, Map<String, String>> before = new LinkedHashMap<>();
        for (String h : hosts) before.put(h, c.api().host().getLicenseServer(h));
        if (c.params().has("license-server-address")) {
            String address = c.params().get("license-server-address");
            for (String h : hosts) {
                c.api().host().removeFromLicenseServer(h, "address");
                c.api().host().addToLicenseServer(h, "address", address);
            }
        }
        if (c.params().has("license-server-port")) {
            String port = c.params().get("license-server-port");
            int n = ocamlIntOrMinusOne(port);
            if (n < 0 || n > 65535) {
                c.out().stderr("NOTE: The given port number is invalid; reverting to the current value.\n");
            } else {
                for (String h : hosts) {
                    c.api().host().removeFromLicenseServer(h, "port");
                    c.api().host().addToLicenseServer(h, "port", port);
                }
            }
        }
        try {
            apply.run();
        } catch (ApiError e) {
            if (e.code().equals("LICENSE_CHECKOUT_ERROR") && e.params().size() == 2) {
                for (Map.Entry<String, Map<String, String>> b : before.entrySet())
                    c.api().host().setLicenseServer(b.getKey(), b.getValue());
                c.out().stderr(e.params().get(0) + ": " + e.params().get(1) + "\n");
                throw new CliErrors.ExitWithError(1);
            }
            if (e.code().equals("INVALID_EDITION")) {
                String host = HostMoreCommands.thisHost(c);
                c.out()
                        .stderr("Valid editions are: "
                                + String.join(", ", c.api().host().getEditions(host)) + "\n");
            }
            throw e;
        }
    }

    /** OCaml's {@code int_of_string}, -1 when it fails. */
    private static int ocamlIntOrMinusOne(String s) {
        try {
            long v = CliArgs.int64(s);
            return v < Integer.MIN_VALUE || v > Integer.MAX_VALUE ? -1 : (int) v;
        } catch (ApiError e) {
            return -1;
        }
    }

    /** The licence file loaded from the client and sent base64-encoded; every failure is a short message. */
    private static void licenseAdd(CommandContext c) throws IOException {
        String host = HostMoreCommands.hostOr(c, "host-uuid");
        byte[] license = CliArgs.bytesOrFail(c, "license file.", c.params().get("license-file"));
        try {
            c.api().host().licenseAdd(host, Base64.getEncoder().encodeToString(license));
            c.conn().print("License applied.");
        } catch (RuntimeException e) {
            c.conn().printStderr("Failed to apply license file.\n");
            throw new CliErrors.ExitWithError(1);
        }
    }

    private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ofPattern("yyyyMMdd'T'HH:mm:ss'Z'");

    /** A host's licence as {@code diagnostic-license-status} shows it. */
    private record HostLicence(String hostname, String uuid, String features, String edition, double expiry) {}

    /**
     * Xapi's {@code diagnostic_license_status}: a table of every host's licence (hostname, the uuid's first 8
     * characters, its features as {@code Features.to_compact_string}, edition, expiry and days left), nearest expiry
     * first, hosts whose licence cannot be read with dashes, then the pool's features; columns padded to their widest
     * cell, one line per row.
     */
    private static void licenseStatus(CommandContext c) {
        List<HostLicence> valid = new ArrayList<>();
        List<String> invalid = new ArrayList<>();
        for (String host : c.api().host().getAll()) {
            try {
                Map<String, String> params = c.api().host().getLicenseParams(host);
                String edition = c.api().host().getEdition(host);
                String hostname = c.api().host().getHostname(host);
                String uuid = c.api().host().getUuid(host);
                double expiry = params.containsKey("expiry")
                        ? DateTime.parse(params.get("expiry")).toInstant().toEpochMilli() / 1000.0
                        : 0.0;
                String features = LicenceFeature.compactString(LicenceFeature.of(params));
                valid.add(new HostLicence(hostname, uuid, features, edition, expiry));
            } catch (ApiError | IllegalArgumentException e) {
                invalid.add(host);
            }
        }
        valid.sort(Comparator.comparingDouble(HostLicence::expiry));
        double now = System.currentTimeMillis() / 1000.0;
        List<List<String>> table = new ArrayList<>();
        table.add(List.of("Hostname", "UUID", "Features", "Edition", "Expiry", "Days left"));
        List<String> divider = List.of("-", "-", "-", "-", "-", "-");
        table.add(divider);
        for (HostLicence h : valid) {
            table.add(List.of(
                    h.hostname(),
                    h.uuid().substring(0, Math.min(8, h.uuid().length())),
                    h.features(),
                    h.edition(),
                    RFC3339.format(
                            Instant.ofEpochMilli((long) (h.expiry() * 1000)).atOffset(ZoneOffset.UTC)),
                    String.format(Locale.ROOT, "%.1f", (h.expiry() - now) / (24 * 60 * 60))));
        }
        for (String host : invalid) {
            String uuid = c.api().host().getUuid(host);
            table.add(List.of(
                    c.api().host().getHostname(host),
                    uuid.substring(0, Math.min(8, uuid.length())),
                    "-",
                    "-",
                    "-",
                    "-"));
        }
        String pool = c.api().pool().getAll().get(0);
        String poolFeatures =
                LicenceFeature.compactString(LicenceFeature.of(c.api().pool().getRestrictions(pool)));
        table.add(divider);
        table.add(List.of("-", "-", poolFeatures, "-", "-", "-"));
        int[] widths = new int[6];
        for (List<String> row : table) {
            for (int i = 0; i < row.size(); i++)
                widths[i] = Math.max(widths[i], row.get(i).length());
        }
        for (List<String> row : table) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                if (i > 0) line.append(' ');
                line.append(row.get(i)).append(" ".repeat(widths[i] - row.get(i).length()));
            }
            c.out().msg(line.toString());
        }
    }
}
