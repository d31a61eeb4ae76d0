package org.xapijava.cli.server;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xapijava.cli.records.CliFailure;

/** More host, PCI, SR and pool commands of {@code cli_operations.ml}, each one XenAPI call. */
final class HostExtraCommands {
    private static final String EXTERNAL_AUTH_FORCE = "This operation is provided only to recover individual hosts"
            + " that are unable to access the external authentication service. This operation must be forced (use"
            + " --force).";

    private HostExtraCommands() {}

    static void bind(Map<String, CommandImpl> t) {
        t.put(
                "host-enable-local-storage-caching",
                c -> Selectors.hosts(c, true, Set.of("sr-uuid"), h -> {
                    c.api()
                            .host()
                            .enableLocalStorageCaching(
                                    h.ref(), c.api().sr().getByUuid(c.params().get("sr-uuid")));
                    return null;
                }));
        t.put(
                "host-disable-local-storage-caching",
                c -> Selectors.hosts(c, true, Set.of(), h -> {
                    c.api().host().disableLocalStorageCaching(h.ref());
                    return null;
                }));
        t.put("host-enable-external-auth", c -> {
            if (!c.params().has("force")) throw new CliFailure(EXTERNAL_AUTH_FORCE);
            Params p = c.params();
            String host = c.api().host().getByUuid(p.get("host-uuid"));
            c.api().host().enableExternalAuth(host, p.mapOf("config"), p.get("service-name"), p.get("auth-type"));
        });
        t.put("host-disable-external-auth", c -> {
            if (!c.params().has("force")) throw new CliFailure(EXTERNAL_AUTH_FORCE);
            String host = c.api().host().getByUuid(c.params().get("host-uuid"));
            c.api().host().disableExternalAuth(host, c.params().mapOf("config"));
        });
        t.put("host-prepare-for-poweroff", c -> c.api().host().prepareForPoweroff(host(c, "uuid")));
        t.put(
                "host-notify",
                c -> c.api().host().notify(c.params().get("type"), c.params().getOr("params", "")));
        t.put("host-signal-networking-change", c -> c.api().host().signalNetworkingChange());
        t.put(
                "host-get-thread-diagnostics",
                c -> Selectors.hosts(c, false, Set.of(), h -> {
                    c.out().msg(c.api().host().getThreadDiagnostics(h.ref()));
                    return null;
                }));
        t.put(
                "host-get-sm-diagnostics",
                c -> Selectors.hosts(c, false, Set.of(), h -> {
                    c.out().msg(c.api().host().getSmDiagnostics(h.ref()));
                    return null;
                }));
        t.put("host-sm-dp-destroy", c -> {
            String dp = c.params().get("dp");
            boolean allowLeak = c.params().bool("allow-leak", false);
            Selectors.hosts(c, false, Set.of("dp", "allow-leak"), h -> {
                c.api().host().smDpDestroy(h.ref(), dp, allowLeak);
                return null;
            });
        });
        t.put("pusb-scan", c -> c.api().pusb().scan(host(c, "host-uuid")));
        t.put(
                "pci-enable-dom0-access",
                c -> c.out().msg(c.api().pci().enableDom0Access(pci(c)).wire()));
        t.put(
                "pci-disable-dom0-access",
                c -> c.out().msg(c.api().pci().disableDom0Access(pci(c)).wire()));
        t.put(
                "pci-get-dom0-access-status",
                c -> c.out().msg(c.api().pci().getDom0AccessStatus(pci(c)).wire()));
        t.put("sr-enable-database-replication", c -> c.api().sr().enableDatabaseReplication(sr(c)));
        t.put("sr-disable-database-replication", c -> c.api().sr().disableDatabaseReplication(sr(c)));
        t.put("vdi-pool-migrate", c -> {
            Params p = c.params();
            String vdi = c.api().vdi().getByUuid(p.get("uuid"));
            String sr = c.api().sr().getByUuid(p.get("sr-uuid"));
            Map<String, String> options = p.opt("dest-img-format")
                    .map(f -> Map.of("dest-img-format", f))
                    .orElse(Map.of());
            c.out().list(List.of(c.api().vdi().getUuid(c.api().vdi().poolMigrate(vdi, sr, options))));
        });
        t.put(
                "pool-set-vswitch-controller",
                c -> c.api().pool().setVswitchController(c.params().get("address")));
        t.put("pool-reset-telemetry-uuid", c -> c.api().pool().resetTelemetryUuid(CliArgs.poolOr(c, "uuid")));
        t.put(
                "pool-get-guest-secureboot-readiness",
                c -> c.out()
                        .msg(c.api()
                                .pool()
                                .getGuestSecurebootReadiness(CliArgs.poolOr(c, "uuid"))
                                .wire()));
        t.put(
                "vm-memory-target-wait",
                c -> Selectors.vms(c, new Selectors.VmScope(true, false), true, Set.of(), vm -> {
                    c.api().vm().waitMemoryTargetLive(vm.ref());
                    return null;
                }));
    }

    private static String host(CommandContext c, String key) {
        return c.api().host().getByUuid(c.params().get(key));
    }

    private static String pci(CommandContext c) {
        return c.api().pci().getByUuid(c.params().get("uuid"));
    }

    private static String sr(CommandContext c) {
        return c.api().sr().getByUuid(c.params().get("uuid"));
    }
}
