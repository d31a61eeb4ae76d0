package org.xapijava.cli.server;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xapijava.cli.records.CliFailure;
import org.xapijava.model.api.enums.UpdateSyncFrequency;
import org.xapijava.model.client.XenApi;

/**
 * The commands of {@code cli_operations.ml} for workload balancing (WLB) and for updates from repositories: each
 * reads its parameters as Xapi's and makes its XenAPI call, whose answer (or error) it prints as Xapi's.
 */
final class WlbUpdateCommands {
    private WlbUpdateCommands() {}

    static void bind(Map<String, CommandImpl> t) {
        t.put("pool-initialize-wlb", c -> {
            Params p = c.params();
            c.api()
                    .pool()
                    .initializeWlb(
                            p.get("wlb_url"),
                            p.get("wlb_username"),
                            p.get("wlb_password"),
                            p.get("xenserver_username"),
                            p.get("xenserver_password"));
        });
        t.put("pool-deconfigure-wlb", c -> c.api().pool().deconfigureWlb());
        t.put("pool-send-wlb-configuration", c -> c.api().pool().sendWlbConfiguration(wlbConfig(c.params())));
        t.put(
                "pool-retrieve-wlb-configuration",
                c -> c.out().table(List.of(row(c.api().pool().retrieveWlbConfiguration()))));
        t.put("pool-retrieve-wlb-recommendations", c -> {
            XenApi api = c.api();
            c.out()
                    .table(List.of(recommendations(
                            api, "Host, OptID, RecID, Reason", api.pool().retrieveWlbRecommendations())));
        });
        t.put("host-retrieve-wlb-evacuate-recommendations", c -> {
            XenApi api = c.api();
            String host = api.host().getByUuid(c.params().get("uuid"));
            c.out()
                    .table(List.of(recommendations(
                            api, "[Host, RecID] / Error", api.host().retrieveWlbEvacuateRecommendations(host))));
        });
        t.put("pool-send-test-post", c -> {
            Params p = c.params();
            long port = CliArgs.int64(p.get("dest-port"));
            c.out().msg(c.api().pool().sendTestPost(p.get("dest-host"), port, p.get("body")));
        });
        t.put("pool-configure-repository-proxy", c -> {
            Params p = c.params();
            c.api()
                    .pool()
                    .configureRepositoryProxy(
                            CliArgs.poolOr(c, "uuid"),
                            p.get("proxy-url"),
                            p.getOr("proxy-username", ""),
                            p.getOr("proxy-password", ""));
        });
        t.put("pool-disable-repository-proxy", c -> c.api().pool().disableRepositoryProxy(CliArgs.poolOr(c, "uuid")));
        t.put("pool-configure-update-sync", WlbUpdateCommands::configureUpdateSync);
        t.put(
                "pool-set-update-sync-enabled",
                c -> c.api()
                        .pool()
                        .setUpdateSyncEnabled(
                                CliArgs.poolOr(c, "uuid"), c.params().bool("value", false)));
        t.put("pool-sync-updates", c -> {
            Params p = c.params();
            // this datamodel's pool.sync_updates has no username and password (they came later): not passed on
            String hash = c.api()
                    .pool()
                    .syncUpdates(
                            CliArgs.poolOr(c, "uuid"),
                            p.bool("force", false),
                            p.getOr("token", ""),
                            p.getOr("token-id", ""));
            c.out().list(List.of(hash));
        });
        t.put(
                "host-apply-updates",
                c -> Selectors.hosts(c, false, Set.of("hash"), h -> {
                    for (List<String> line :
                            c.api().host().applyUpdates(h.ref(), c.params().get("hash")))
                        c.out().msg(String.join("; ", line));
                    return null;
                }));
    }

    /** {@code pool_send_wlb_configuration}: the {@code config:} parameters, prefix removed. */
    private static Map<String, String> wlbConfig(Params p) {
        Map<String, String> config = new LinkedHashMap<>();
        int len = "config:".length();
        for (Map.Entry<String, String> e : p.entries()) {
            String k = e.getKey();
            if (k.startsWith("config") && k.length() > len) config.put(k.substring(len), e.getValue());
        }
        return config;
    }

    /** {@code pool_configure_update_sync}: weekly needs a day from 0 to 6; daily ignores it. */
    private static void configureUpdateSync(CommandContext c) {
        Params p = c.params();
        UpdateSyncFrequency f =
                CliArgs.enumOf(UpdateSyncFrequency.values(), UpdateSyncFrequency::wire, p.get("update-sync-frequency"));
        long day = 0;
        if (f == UpdateSyncFrequency.WEEKLY) {
            String invalid = "Invalid value for day picked, must be an integer from 0 to 6";
            try {
                day = Long.parseLong(p.opt("update-sync-day").orElseThrow(() -> new CliFailure(invalid)));
            } catch (NumberFormatException e) {
                throw new CliFailure(invalid);
            }
            if (day < 0 || day > 6) throw new CliFailure(invalid);
        }
        c.api().pool().configureUpdateSync(CliArgs.poolOr(c, "uuid"), f, day);
    }

    /** A WLB recommendation table: a header row, then {@code uuid (name)} of each VM and its words. */
    private static Printer.Row recommendations(XenApi api, String header, Map<String, List<String>> byVm) {
        List<Map.Entry<String, String>> fields = new ArrayList<>();
        fields.add(Map.entry("VM", header));
        for (Map.Entry<String, List<String>> e : byVm.entrySet()) {
            String vm = e.getKey();
            fields.add(Map.entry(
                    api.vm().getUuid(vm) + " (" + api.vm().getNameLabel(vm) + ")", String.join(" ", e.getValue())));
        }
        return new Printer.Row(fields);
    }

    private static Printer.Row row(Map<String, String> m) {
        return new Printer.Row(new ArrayList<>(m.entrySet()));
    }
}
