package org.xapijava.storage.smapiv1;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.xapijava.model.rpc.RpcValues;
import org.xapijava.storage.StorageException;

/**
 * Finds the SMAPIv1 drivers of a host as Xapi does at start-up ({@code sm_exec.ml} {@code get_supported},
 * {@code smint.ml}): every entry of the {@code sm-dir} whose name ends in {@code SR} is a candidate named by its stem;
 * it is kept when the {@code sm-plugins} whitelist accepts the stem (case-insensitive, or {@code *} for all) and the
 * file is executable, and is asked {@code sr_get_driver_info} (no session, no SR). A driver that fails or answers
 * something unreadable is skipped with a logged error. Capabilities are parsed as Xapi: an optional {@code /<n>}
 * version (1 when absent, at least 1, 1 when unparseable), names Xapi does not know dropped with a warning,
 * duplicates reduced to the first, the result in Xapi's capability-table order. <b>Beyond Xapi:</b> a driver that
 * advertises {@code ATOMIC_PAUSE} is given {@code VDI_ACTIVATE} and {@code VDI_DEACTIVATE}, as sm's own
 * {@code util.sr_get_driver_info} does for drivers built on it.
 */
public final class DriverDiscovery {
    private static final System.Logger LOG = System.getLogger(DriverDiscovery.class.getName());

    /** Xapi's default {@code sm-dir}. */
    public static final Path DEFAULT_SM_DIR = Path.of("/opt/xensource/sm");

    /** The {@code sm-plugins} value of Xapi's shipped {@code xapi.conf}. */
    public static final String DEFAULT_SM_PLUGINS =
            "ext nfs iscsi lvmoiscsi dummy file hba rawhba udev iso lvm lvmohba" + " lvmofcoe shm smb";

    /** Xapi's known capability names ({@code smint.ml}), in its table order. */
    public static final List<String> KNOWN_CAPABILITIES = List.of(
            "SR_CREATE",
            "SR_DELETE",
            "SR_ATTACH",
            "SR_DETACH",
            "SR_SCAN",
            "SR_PROBE",
            "SR_UPDATE",
            "SR_SUPPORTS_LOCAL_CACHING",
            "SR_METADATA",
            "SR_TRIM",
            "SR_MULTIPATH",
            "SR_CACHING",
            "SR_STATS",
            "VDI_CREATE",
            "VDI_DELETE",
            "VDI_ATTACH",
            "VDI_DETACH",
            "VDI_MIRROR",
            "VDI_MIRROR_IN",
            "VDI_RESIZE",
            "VDI_RESIZE_ONLINE",
            "VDI_CLONE",
            "VDI_SNAPSHOT",
            "VDI_ACTIVATE",
            "VDI_ACTIVATE_READONLY",
            "VDI_DEACTIVATE",
            "VDI_UPDATE",
            "VDI_INTRODUCE",
            "VDI_GENERATE_CONFIG",
            "VDI_ATTACH_OFFLINE",
            "VDI_RESET_ON_BOOT",
            "VDI_CONFIG_CBT",
            "VDI_COMPOSE",
            "LARGE_VDI",
            "THIN_PROVISIONING",
            "VDI_READ_CACHING",
            "VDI_REVERT");

    /**
     * The {@code sm-plugins} whitelist: driver names compared case-insensitively, or every driver.
     *
     * @param all   whether {@code *} was given
     * @param names the names, lower case
     */
    public record Whitelist(boolean all, Set<String> names) {
        public Whitelist {
            names = Set.copyOf(names);
        }

        /** Parses the xapi.conf value: names separated by spaces (or commas); {@code *} accepts all. */
        public static Whitelist parse(String value) {
            List<String> words = Arrays.stream(value.split("[\\s,]+"))
                    .filter(w -> !w.isEmpty())
                    .toList();
            return new Whitelist(
                    words.contains("*"),
                    words.stream().map(w -> w.toLowerCase(Locale.ROOT)).collect(Collectors.toSet()));
        }

        public boolean accepts(String driver) {
            return all || names.contains(driver.toLowerCase(Locale.ROOT));
        }
    }

    private final Smapiv1Executor executor;
    private final String hostRef;

    /** Discovery running drivers with {@code executor}, as host {@code hostRef}. */
    public DriverDiscovery(Smapiv1Executor executor, String hostRef) {
        this.executor = executor;
        this.hostRef = hostRef;
    }

    /** The drivers of {@code smDir} that {@code whitelist} accepts and that answer, in name order. */
    public List<DriverInfo> discover(Path smDir, Whitelist whitelist) {
        if (!Files.isDirectory(smDir)) {
            LOG.log(System.Logger.Level.ERROR, "Not scanning {0} for SM backends: directory does not exist", smDir);
            return List.of();
        }
        List<Path> entries;
        try (Stream<Path> s = Files.list(smDir)) {
            entries = s.sorted().toList();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "Error checking directory {0} for SM backends: {1}", smDir, e);
            return List.of();
        }
        List<DriverInfo> out = new ArrayList<>();
        for (Path p : entries) {
            String file = p.getFileName().toString();
            if (!file.endsWith("SR") || file.length() == 2) continue;
            String stem = file.substring(0, file.length() - 2);
            if (!whitelist.accepts(stem)) {
                LOG.log(System.Logger.Level.INFO, "Skipping SMAPIv1 plugin {0}: not in sm-plugins whitelist", stem);
                continue;
            }
            try {
                out.add(query(stem, p.toAbsolutePath()));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "Rejecting SM plugin {0}: {1}", stem, e.getMessage());
            }
        }
        return out;
    }

    /**
     * Runs {@code sr_get_driver_info} on the driver {@code driver} named {@code stem}.
     *
     * @throws StorageException when the driver fails
     * @throws IllegalArgumentException when it is not executable or its answer lacks a field
     */
    public DriverInfo query(String stem, Path driver) {
        if (!Files.isRegularFile(driver) || !Files.isExecutable(driver)) {
            throw new IllegalArgumentException(driver + " is not an executable file");
        }
        Smapiv1Call call =
                Smapiv1Call.builder(hostRef, "sr_get_driver_info", List.of()).build();
        return parse(stem, driver, executor.exec(driver, call));
    }

    /** The {@link DriverInfo} of an {@code sr_get_driver_info} reply. */
    static DriverInfo parse(String stem, Path driver, Object reply) {
        if (!(reply instanceof Map<?, ?> info)) throw new IllegalArgumentException("driver info is not a struct");
        Map<String, Long> features = features(stem, list(info, "capabilities"));
        Map<String, String> configuration = new LinkedHashMap<>();
        for (Object o : list(info, "configuration")) {
            if (!(o instanceof Map<?, ?> kv)) throw new IllegalArgumentException("configuration entry not a struct");
            configuration.put(string(kv, "key"), string(kv, "description"));
        }
        List<String> formats = new ArrayList<>();
        if (info.containsKey("supported_image_formats")) {
            for (Object o : list(info, "supported_image_formats")) formats.add(asString(o, "supported_image_formats"));
        }
        return new DriverInfo(
                stem.toLowerCase(Locale.ROOT),
                driver.toString(),
                string(info, "name"),
                string(info, "description"),
                string(info, "vendor"),
                string(info, "copyright"),
                string(info, "driver_version"),
                string(info, "required_api_version"),
                features,
                configuration,
                formats);
    }

    /** Capability strings to feature → version, as {@code Smint.Feature.parse_capability_int64}. */
    static Map<String, Long> features(String driver, List<?> capabilities) {
        Map<String, Long> found = new LinkedHashMap<>();
        boolean atomicPause = false;
        for (Object o : capabilities) {
            String cap = asString(o, "capabilities");
            String[] parts = cap.split("/", -1);
            String name = parts[0];
            if (name.equals("ATOMIC_PAUSE")) {
                atomicPause = true;
                continue;
            }
            if (!KNOWN_CAPABILITIES.contains(name)) {
                LOG.log(System.Logger.Level.WARNING, "SM.feature: unknown feature {0} of driver {1}", cap, driver);
                continue;
            }
            long version = 1;
            if (parts.length > 1) {
                try {
                    version = Math.max(1, RpcValues.parseOcamlInt64(parts[1]));
                } catch (NumberFormatException e) {
                    LOG.log(System.Logger.Level.DEBUG, "SM.feature: {0} has bad version, defaulting to 1", cap);
                }
            }
            found.putIfAbsent(name, version);
        }
        if (atomicPause) {
            found.putIfAbsent("VDI_ACTIVATE", 1L);
            found.putIfAbsent("VDI_DEACTIVATE", 1L);
        }
        Map<String, Long> ordered = new LinkedHashMap<>();
        for (String k : KNOWN_CAPABILITIES) if (found.containsKey(k)) ordered.put(k, found.get(k));
        return ordered;
    }

    private static List<?> list(Map<?, ?> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof List<?> l)) throw new IllegalArgumentException("<struct> missing field: " + key);
        return l;
    }

    private static String string(Map<?, ?> m, String key) {
        if (!m.containsKey(key)) throw new IllegalArgumentException("<struct> missing field: " + key);
        return asString(m.get(key), key);
    }

    private static String asString(Object o, String what) {
        if (o instanceof String s) return s;
        throw new IllegalArgumentException(what + ": expected a string, found " + RpcValues.debugString(o));
    }
}
