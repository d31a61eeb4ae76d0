package org.xapijava.server.sm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.db.ReadSet;
import org.xapijava.db.Update;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.SM;
import org.xapijava.model.api.SR;
import org.xapijava.model.types.Refs;
import org.xapijava.storage.smapiv1.DriverInfo;

/**
 * The SM table brought in line with the SMAPIv1 drivers found at start-up (Xapi's
 * {@code Storage_access.on_xapi_start} with {@code Xapi_sm.create_from_query_result} and
 * {@code update_from_query_result}):
 *
 * <ol>
 *   <li>records whose type is neither configured (the {@code sm-plugins} names, or a driver found) nor used by an
 *       SR are destroyed, and so are records whose {@code driver_filename} is missing while their
 *       {@code required_api_version} is below 5.0;
 *   <li>a driver without a record gets one;
 *   <li>every remaining record of a driver's type is updated from what the driver says: features it no longer has
 *       go at once, features new to the record wait in {@code host_pending_features} under this host until every
 *       host of the pool has reported them (at the lowest version reported), then join {@code features}.
 * </ol>
 *
 * Features are sorted by name, as Xapi's {@code Smint.Feature.parse_string_int64} leaves them; {@code version} is
 * set at creation only (Xapi's update leaves it). Every host of a pool syncs the pool's table at its start, members
 * maybe at the same time: each record's step is one atomic {@link Update} made on what it read ({@link ReadSet}),
 * made again on a conflict, so that two hosts never make two records of a type nor update one the other destroyed.
 */
public final class SmRecordSync {
    private static final Logger LOG = LoggerFactory.getLogger(SmRecordSync.class);

    /** The {@code required_api_version} from which a record needs no driver file (Xapi's {@code is_available}). */
    static final String API_WITHOUT_FILE = "5.0";

    private final Db data;
    private final String hostRef;
    private final Predicate<String> fileExists;

    /**
     * @param data    the database
     * @param hostRef this host (its entry in {@code host_pending_features})
     */
    public SmRecordSync(Db data, String hostRef) {
        this(data, hostRef, f -> Files.exists(Path.of(f)));
    }

    SmRecordSync(Db data, String hostRef, Predicate<String> fileExists) {
        this.data = data;
        this.hostRef = hostRef;
        this.fileExists = fileExists;
    }

    /** What a sync did: SM refs by type created, updated (each record once), destroyed. */
    public record Result(Map<String, String> created, List<String> updated, List<String> destroyed) {}

    /**
     * Synchronises the SM table with {@code drivers}.
     *
     * @param drivers         the drivers found ({@code sr_get_driver_info} of each), one per type
     * @param configuredTypes the types named by the {@code sm-plugins} setting (lower case), kept even without a
     *                        driver; empty when the setting is {@code *}
     */
    public synchronized Result sync(List<DriverInfo> drivers, Set<String> configuredTypes) {
        Map<String, DriverInfo> byType = new LinkedHashMap<>();
        for (DriverInfo d : drivers) byType.put(d.type().toLowerCase(Locale.ROOT), d);
        Set<String> keep = new LinkedHashSet<>(byType.keySet());
        for (String t : configuredTypes) keep.add(t.toLowerCase(Locale.ROOT));
        for (String sr : data.all(SR.XAPI_CLASS)) keep.add(data.get(sr, SR.TYPE));

        List<String> destroyed = new ArrayList<>();
        for (String sm : data.all(SM.XAPI_CLASS)) {
            if (unregisterIfGone(sm, keep)) destroyed.add(sm);
        }

        Map<String, String> created = new LinkedHashMap<>();
        List<String> updated = new ArrayList<>();
        for (Map.Entry<String, DriverInfo> e : byType.entrySet()) {
            Registered r = ReadSet.retrying(() -> register(e.getKey(), e.getValue()));
            if (r.created() != null) created.put(e.getKey(), r.created());
            updated.addAll(r.updated());
        }
        return new Result(created, updated, destroyed);
    }

    /** What {@link #register} did for a type: the record it created (or null), the records it updated. */
    private record Registered(String created, List<String> updated) {}

    /**
     * Destroys {@code sm} when its type is not kept or its driver is unavailable; false when it is kept or another
     * host's sync destroyed it first (each member of a pool syncs the pool's SM table at its start, maybe at the
     * same time as another).
     */
    private boolean unregisterIfGone(String sm, Set<String> keep) {
        return ReadSet.retrying(() -> {
            ReadSet read = new ReadSet(data);
            if (!read.exists(SM.XAPI_CLASS, sm)) return false;
            String type = read.get(sm, SM.TYPE);
            boolean unused = !keep.contains(type);
            String filename = read.get(sm, SM.DRIVER_FILENAME);
            boolean unavailable = !fileExists.test(filename)
                    && !versionAtLeast(read.get(sm, SM.REQUIRED_API_VERSION), API_WITHOUT_FILE);
            if (!unused && !unavailable) return false;
            data.apply(Update.builder()
                    .require(read.preconditions())
                    .delete(SM.XAPI_CLASS, sm)
                    .build());
            LOG.info(
                    "unregistered SM plugin {}: {}",
                    type,
                    unused ? "not configured, not in use" : "unavailable (" + filename + ")");
            return true;
        });
    }

    /**
     * One atomic step for a driver's type, made on what was read: a record created when the type has none (so
     * that two hosts syncing at once make one record, not two), else every record of the type updated. Throws
     * {@link Db.Conflict} when another writer changed what was read.
     *
     */
    private Registered register(String type, DriverInfo d) {
        ReadSet read = new ReadSet(data);
        List<String> existing = read.where(SM.TYPE, type);
        Update.Builder u = Update.builder();
        if (existing.isEmpty()) {
            String ref = Refs.fresh();
            u.create(ref, initial(type, d));
            data.apply(u.require(read.preconditions()).build());
            LOG.info("registered SM plugin {} (version {})", type, d.driverVersion());
            return new Registered(ref, List.of());
        }
        int hosts = read.all(Host.XAPI_CLASS).size();
        for (String sm : existing) update(read, u, sm, type, d, hosts);
        data.apply(u.require(read.preconditions()).build());
        return new Registered(null, existing);
    }

    private static FieldValues initial(String type, DriverInfo d) {
        Map<String, Long> features = sorted(d.features());
        return FieldValues.of(SM.XAPI_CLASS)
                .with(SM.UUID, UUID.randomUUID().toString())
                .with(SM.TYPE, type)
                .with(SM.NAME_LABEL, d.name())
                .with(SM.NAME_DESCRIPTION, d.description())
                .with(SM.VENDOR, d.vendor())
                .with(SM.COPYRIGHT, d.copyright())
                .with(SM.VERSION, d.driverVersion())
                .with(SM.REQUIRED_API_VERSION, d.requiredApiVersion())
                .with(SM.CAPABILITIES, List.copyOf(features.keySet()))
                .with(SM.FEATURES, features)
                .with(SM.HOST_PENDING_FEATURES, Map.of())
                .with(SM.CONFIGURATION, d.configuration())
                .with(SM.OTHER_CONFIG, Map.of())
                .with(SM.DRIVER_FILENAME, d.driverFilename())
                .with(SM.REQUIRED_CLUSTER_STACK, List.of());
    }

    private void update(ReadSet read, Update.Builder u, String sm, String type, DriverInfo d, int hosts) {
        Map<String, Long> existing = read.get(sm, SM.FEATURES);
        Map<String, Long> query = sorted(d.features());
        // a feature whose version changed is both removed (old pair) and new (new pair), as Xapi's set difference
        Map<String, Long> retained = new LinkedHashMap<>();
        existing.forEach((f, v) -> {
            if (v.equals(query.get(f))) retained.put(f, v);
        });
        Map<String, Long> fresh = new LinkedHashMap<>();
        query.forEach((f, v) -> {
            if (!v.equals(existing.get(f))) fresh.put(f, v);
        });
        Map<String, List<String>> pending = new LinkedHashMap<>();
        pending.put(hostRef, unparse(fresh));
        read.get(sm, SM.HOST_PENDING_FEATURES).forEach((h, fs) -> {
            if (!h.equals(hostRef)) pending.put(h, fs);
        });
        Map<String, Long> valid = validPending(pending, hosts);
        Set<String> validText = new LinkedHashSet<>(unparse(valid));
        Map<String, List<String>> stillPending = new LinkedHashMap<>();
        boolean anyLeft = false;
        for (Map.Entry<String, List<String>> p : pending.entrySet()) {
            List<String> left = new ArrayList<>(p.getValue());
            left.removeAll(validText);
            anyLeft |= !left.isEmpty();
            stillPending.put(p.getKey(), left);
        }
        Map<String, Long> features = new LinkedHashMap<>(retained);
        valid.forEach(features::putIfAbsent);
        u.set(sm, SM.TYPE, type)
                .set(sm, SM.NAME_LABEL, d.name())
                .set(sm, SM.NAME_DESCRIPTION, d.description())
                .set(sm, SM.VENDOR, d.vendor())
                .set(sm, SM.COPYRIGHT, d.copyright())
                .set(sm, SM.REQUIRED_API_VERSION, d.requiredApiVersion())
                .set(sm, SM.CAPABILITIES, List.copyOf(features.keySet()))
                .set(sm, SM.FEATURES, features)
                .set(sm, SM.HOST_PENDING_FEATURES, anyLeft ? stillPending : Map.of())
                .set(sm, SM.CONFIGURATION, d.configuration())
                .set(sm, SM.DRIVER_FILENAME, d.driverFilename());
    }

    /**
     * Xapi's {@code valid_hosts_pending_features}: when every host of the pool has an entry, the features all of
     * them report, each at the lowest version reported (in the order of the first entry); otherwise none.
     */
    private static Map<String, Long> validPending(Map<String, List<String>> pending, int hosts) {
        if (pending.size() != hosts) return Map.of();
        Map<String, Long> acc = null;
        for (List<String> fs : pending.values()) {
            Map<String, Long> parsed = parse(fs);
            if (acc == null) {
                acc = parsed;
                continue;
            }
            Map<String, Long> next = new LinkedHashMap<>();
            for (Map.Entry<String, Long> f : acc.entrySet()) {
                Long v = parsed.get(f.getKey());
                if (v != null) next.put(f.getKey(), Math.min(f.getValue(), v));
            }
            acc = next;
        }
        return acc == null ? Map.of() : acc;
    }

    private static Map<String, Long> sorted(Map<String, Long> features) {
        return new LinkedHashMap<>(new TreeMap<>(features));
    }

    /** {@code Smint.Feature.unparse}: {@code NAME/version}. */
    private static List<String> unparse(Map<String, Long> features) {
        List<String> out = new ArrayList<>();
        features.forEach((f, v) -> out.add(f + "/" + v));
        return out;
    }

    /** {@code NAME/version} texts back to a map (a missing or bad version is 1, a version below 1 is 1). */
    private static Map<String, Long> parse(List<String> texts) {
        Map<String, Long> out = new TreeMap<>();
        for (String t : texts) {
            int slash = t.indexOf('/');
            String name = slash < 0 ? t : t.substring(0, slash);
            long v = 1;
            if (slash >= 0) {
                int end = t.indexOf('/', slash + 1);
                try {
                    v = Math.max(1, Long.parseLong(end < 0 ? t.substring(slash + 1) : t.substring(slash + 1, end)));
                } catch (NumberFormatException e) {
                    v = 1;
                }
            }
            out.putIfAbsent(name, v);
        }
        return new LinkedHashMap<>(out);
    }

    /** Dotted versions compared number by number ({@code 5.0 >= 5.0}, {@code 10.1 > 5.0}); non-digits count 0. */
    static boolean versionAtLeast(String version, String floor) {
        String[] a = version.split("\\.");
        String[] b = floor.split("\\.");
        for (int i = 0; i < Math.max(a.length, b.length); i++) {
            long x = i < a.length ? number(a[i]) : 0;
            long y = i < b.length ? number(b[i]) : 0;
            if (x != y) return x > y;
        }
        return true;
    }

    private static long number(String s) {
        try {
            return Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
