package org.xapijava.cli.server;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xapijava.cli.records.CliFailure;
import org.xapijava.cli.records.ObjectRecord;
import org.xapijava.cli.records.RecordSpec;
import org.xapijava.cli.records.RecordTables;

/** The host commands of {@code cli_operations.ml}. */
final class HostCommands {
    private HostCommands() {}

    static void bind(Map<String, CommandImpl> t) {
        // the datamodel's host.disable has no auto_enable (Xapi's later addition): the parameter is read and ignored
        t.put("host-disable", c -> {
            c.params().bool("auto-enable", true);
            Selectors.hosts(c, true, Set.of("auto-enable"), h -> {
                c.api().host().disable(h.ref());
                return null;
            });
        });
        t.put(
                "host-enable",
                c -> Selectors.hosts(c, true, Set.of(), h -> {
                    c.api().host().removeFromOtherConfig(h.ref(), "MAINTENANCE_MODE");
                    c.api().host().enable(h.ref());
                    return null;
                }));
        t.put(
                "host-shutdown",
                c -> Selectors.hosts(c, true, Set.of(), h -> {
                    c.api().host().shutdown(h.ref());
                    return null;
                }));
        t.put(
                "host-reboot",
                c -> Selectors.hosts(c, true, Set.of(), h -> {
                    c.api().host().reboot(h.ref());
                    return null;
                }));
        t.put(
                "host-sync-data",
                c -> Selectors.hosts(c, true, Set.of(), h -> {
                    c.api().host().syncData(h.ref());
                    return null;
                }));
        t.put(
                "host-dmesg",
                c -> Selectors.hosts(c, true, Set.of(), h -> {
                    c.out().list(List.of(c.api().host().dmesg(h.ref())));
                    return null;
                }));
        t.put("host-evacuate", c -> {
            String network = c.params()
                    .opt("network-uuid")
                    .map(u -> c.api().network().getByUuid(u))
                    .orElse(VmCommands.NULL);
            long batch = c.params()
                    .opt("batch-size")
                    .map(b -> VmCommands.parseLong("batch-size", b))
                    .orElse(0L);
            Selectors.hosts(c, false, Set.of("network-uuid", "batch-size"), h -> {
                c.api().host().evacuate(h.ref(), network, batch);
                return null;
            });
        });
        t.put(
                "host-compute-free-memory",
                c -> Selectors.hosts(c, false, Set.of(), h -> {
                    c.out().msg(Long.toString(c.api().host().computeFreeMemory(h.ref())));
                    return null;
                }));
        t.put(
                "host-compute-memory-overhead",
                c -> Selectors.hosts(c, false, Set.of(), h -> {
                    c.out().msg(Long.toString(c.api().host().computeMemoryOverhead(h.ref())));
                    return null;
                }));
        t.put("host-call-plugin", c -> {
            String host = c.api().host().getByUuid(c.params().get("host-uuid"));
            Map<String, String> args = new java.util.LinkedHashMap<>();
            for (Map.Entry<String, String> e : c.params().map("args")) args.put(e.getKey(), e.getValue());
            c.out()
                    .list(List.of(c.api()
                            .host()
                            .callPlugin(
                                    host, c.params().get("plugin"), c.params().get("fn"), args)));
        });
    }

    /** Xapi's {@code get_host_by_name_or_id}: the first host whose name-label or uuid is {@code name}. */
    static String byNameOrId(CommandContext c, String name) {
        RecordSpec spec = RecordTables.get().record("host");
        ApiResolver r = new ApiResolver(c.api(), c.host());
        for (ObjectRecord h : r.all(spec, "true")) {
            if (name.equals(h.raw().get("name_label")) || name.equals(h.raw().get("uuid"))) return h.ref();
        }
        throw new CliFailure("Host " + name + " not found");
    }
}
