package org.xapijava.cli.server;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xapijava.cli.records.CliFailure;
import org.xapijava.cli.records.Sizes;
import org.xapijava.model.api.Observer;
import org.xapijava.model.api.PVSCacheStorage;
import org.xapijava.model.types.DateTime;

/**
 * The pool commands of {@code cli_operations.ml} for emergencies and recovery, the pool's CPU features, and a few
 * small object commands: message-destroy-all, network-attach, observers, PVS cache storage.
 */
final class PoolMoreCommands {
    /** Xapi's {@code Tracing.bugtool_name}: an observer's endpoint when none is given. */
    private static final String BUGTOOL = "bugtool";

    private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'");

    private PoolMoreCommands() {}

    static void bind(Map<String, CommandImpl> t) {
        t.put("pool-recover-slaves", c -> {
            List<String> uuids = new ArrayList<>();
            for (String h : c.api().pool().recoverSlaves())
                uuids.add(c.api().host().getUuid(h));
            c.out().list(uuids);
        });
        t.put("pool-emergency-reset-master", c -> {
            String master = c.params().get("master-address");
            c.api().pool().emergencyResetMaster(master);
            c.out()
                    .list(List.of("Host agent will restart and become slave of " + master + " in " + PoolCommands.FUSE
                            + " seconds..."));
        });
        t.put("pool-emergency-transition-to-master", c -> {
            if (!c.host().isMaster() || c.params().bool("force", false)) {
                c.api().pool().emergencyTransitionToMaster();
                c.out()
                        .list(List.of("Host agent will restart and transition to master in " + PoolCommands.FUSE
                                + " seconds..."));
            } else {
                c.out().list(List.of("Host agent is already master. Use '--force' to execute the operation anyway."));
            }
        });
        t.put("pool-get-cpu-features", c -> {
            String pool = c.params().has("uuid")
                    ? c.api().pool().getByUuid(c.params().get("uuid"))
                    : c.api().pool().getAll().get(0);
            Map<String, String> info = c.api().pool().getCpuInfo(pool);
            c.out().table(List.of(HostMoreCommands.features(info, HostMoreCommands.POOL_FEATURE_KEYS)));
        });
        t.put("message-destroy-all", PoolMoreCommands::messageDestroyAll);
        t.put(
                "network-attach",
                c -> c.api()
                        .network()
                        .attach(
                                c.api().network().getByUuid(c.params().get("uuid")),
                                c.api().host().getByUuid(c.params().get("host-uuid"))));
        t.put("observer-create", PoolMoreCommands::observerCreate);
        t.put(
                "observer-destroy",
                c -> c.api()
                        .observer()
                        .destroy(c.api().observer().getByUuid(c.params().get("uuid"))));
        t.put(
                "pvs-cache-storage-create",
                c -> Selectors.hosts(c, false, Set.of("sr-uuid", "pvs-site-uuid", "size"), h -> {
                    Params p = c.params();
                    Map<String, Object> r = new HashMap<>();
                    r.put(PVSCacheStorage.HOST.name(), h.ref());
                    r.put(PVSCacheStorage.SR.name(), c.api().sr().getByUuid(p.get("sr-uuid")));
                    r.put(PVSCacheStorage.SITE.name(), c.api().pvsSite().getByUuid(p.get("pvs-site-uuid")));
                    r.put(PVSCacheStorage.SIZE.name(), Sizes.parse("size", p.get("size")));
                    String made = c.api().pvsCacheStorage().create(r);
                    c.out().list(List.of(c.api().pvsCacheStorage().getUuid(made)));
                    return null;
                }));
        t.put(
                "pvs-cache-storage-destroy",
                c -> c.api()
                        .pvsCacheStorage()
                        .destroy(c.api().pvsCacheStorage().getByUuid(c.params().get("uuid"))));
    }

    /** {@code message_destroy_all}: the messages older than {@code before}, newer than {@code after}, of a priority. */
    private static void messageDestroyAll(CommandContext c) {
        Params p = c.params();
        Map<String, String> filters = new LinkedHashMap<>();
        p.opt("before")
                .ifPresent(b -> filters.put(
                        "before",
                        rfc3339(
                                b,
                                "invalid timestamp format for 'before' (expected RFC3339, for example,"
                                        + " 2025-01-01T00:00:00Z)")));
        p.opt("after")
                .ifPresent(a -> filters.put(
                        "after",
                        rfc3339(
                                a,
                                "Invalid timestamp format for 'after' (expected RFC3339, for example,"
                                        + " 2025-01-01T00:00:00Z)")));
        p.opt("priority").ifPresent(s -> filters.put("priority", unsigned(s)));
        c.api().message().destroyAll(filters);
    }

    /** An ISO 8601 date as Xapi reads one (with or without dashes; no zone is UTC), written in RFC 3339, in UTC. */
    static String rfc3339(String s, String failure) {
        java.time.Instant t;
        try {
            t = DateTime.parse(s).toInstant();
        } catch (IllegalArgumentException e) {
            throw new CliFailure(failure);
        }
        return RFC3339.format(t.atOffset(ZoneOffset.UTC));
    }

    /** Xapi's {@code sscanf " %Lu"}: blanks, then the leading decimal digits (what follows is ignored). */
    private static String unsigned(String s) {
        String v = s.stripLeading();
        int n = 0;
        while (n < v.length() && Character.isDigit(v.charAt(n))) n++;
        if (n == 0) throw new CliFailure("Invalid priority format (expected positive integer)");
        try {
            return Long.toString(Long.parseUnsignedLong(v.substring(0, n)));
        } catch (NumberFormatException e) {
            throw new CliFailure("Invalid priority format (expected positive integer)");
        }
    }

    private static void observerCreate(CommandContext c) {
        Params p = c.params();
        List<String> hosts = new ArrayList<>();
        for (String u : set(p, "host-uuids")) hosts.add(c.api().host().getByUuid(u));
        Map<String, String> attributes = new LinkedHashMap<>();
        for (String kv : set(p, "attributes")) {
            String[] parts = kv.split(":", -1);
            if (parts.length == 2) attributes.put(parts[0], parts[1]);
        }
        Map<String, Object> r = new HashMap<>();
        r.put(Observer.NAME_LABEL.name(), p.get("name-label"));
        r.put(Observer.NAME_DESCRIPTION.name(), p.getOr("name-description", ""));
        r.put(Observer.HOSTS.name(), hosts);
        r.put(Observer.ATTRIBUTES.name(), attributes);
        r.put(Observer.ENDPOINTS.name(), p.has("endpoints") ? set(p, "endpoints") : List.of(BUGTOOL));
        r.put(Observer.COMPONENTS.name(), set(p, "components"));
        r.put(Observer.ENABLED.name(), p.bool("enabled", false));
        String made = c.api().observer().create(r);
        c.out().list(List.of(c.api().observer().getUuid(made)));
    }

    /** Xapi's {@code get_set_param}: the value split at every comma, or nothing when absent. */
    private static List<String> set(Params p, String key) {
        return p.opt(key).map(v -> Arrays.asList(v.split(",", -1))).orElse(List.of());
    }
}
