package org.xapijava.server.bootstrap;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a real Xapi learns from Xen and dom0 about the machine (xenopsd's {@code HOST.stat}, the squeezed
 * memory figures, {@code /proc/version}, {@code /proc/stat}, dmidecode). The simulated host reads it from
 * this Linux box instead: {@link #probe()}.
 *
 * @param cpuCount       logical CPUs ({@code processor} lines of /proc/cpuinfo); one {@code host_cpu} each
 * @param socketCount    sockets: cpuCount / (threads per core * cores per socket), at least 1
 * @param threadsPerCore {@code siblings / cpu cores} of the first processor, 1 when unknown
 * @param nrNodes        NUMA nodes ({@code /sys/devices/system/node/node*}), 1 when unknown
 * @param cpuVendor      {@code vendor_id} of the first processor ({@code "unknown"} when absent, as xenopsd)
 * @param cpuModelName   {@code model name}
 * @param cpuFamily      {@code cpu family} (decimal text)
 * @param cpuModel       {@code model} (decimal text)
 * @param cpuStepping    {@code stepping}
 * @param cpuSpeedMhz    {@code cpu MHz} as text (e.g. {@code 2893.202})
 * @param cpuFlags       {@code flags}
 * @param memTotalBytes  MemTotal of /proc/meminfo
 * @param linuxVersion   third word of /proc/version (the kernel release)
 * @param bootTime       {@code btime} of /proc/stat (the epoch when unknown, as Xapi)
 * @param dmi            host BIOS strings by Xapi's keys ({@code bios-vendor}, ..., {@code baseboard-serial-number}),
 *                       {@code ""} when unknown
 */
public record HostHardware(
        int cpuCount,
        int socketCount,
        int threadsPerCore,
        int nrNodes,
        String cpuVendor,
        String cpuModelName,
        String cpuFamily,
        String cpuModel,
        String cpuStepping,
        String cpuSpeedMhz,
        String cpuFlags,
        long memTotalBytes,
        String linuxVersion,
        Instant bootTime,
        Map<String, String> dmi) {

    /** The host BIOS string keys Xapi reads with dmidecode (types 0, 1 and 2), in its order. */
    public static final List<String> DMI_KEYS = List.of(
            "bios-vendor",
            "bios-version",
            "system-manufacturer",
            "system-product-name",
            "system-version",
            "system-serial-number",
            "baseboard-manufacturer",
            "baseboard-product-name",
            "baseboard-version",
            "baseboard-serial-number");

    /** sysfs files under /sys/class/dmi/id holding the {@link #DMI_KEYS} values, same order. */
    private static final List<String> DMI_FILES = List.of(
            "bios_vendor",
            "bios_version",
            "sys_vendor",
            "product_name",
            "product_version",
            "product_serial",
            "board_vendor",
            "board_name",
            "board_version",
            "board_serial");

    private static final Pattern PROCESSOR = Pattern.compile("^processor\\s*:\\s+\\d+");

    public HostHardware {
        if (cpuCount < 1 || socketCount < 1 || threadsPerCore < 1 || nrNodes < 1)
            throw new IllegalArgumentException("CPU counts must be >= 1");
        if (memTotalBytes <= 0) throw new IllegalArgumentException("memory must be positive");
        Objects.requireNonNull(cpuVendor);
        Objects.requireNonNull(cpuModelName);
        Objects.requireNonNull(cpuFamily);
        Objects.requireNonNull(cpuModel);
        Objects.requireNonNull(cpuStepping);
        Objects.requireNonNull(cpuSpeedMhz);
        Objects.requireNonNull(cpuFlags);
        Objects.requireNonNull(linuxVersion);
        Objects.requireNonNull(bootTime);
        Map<String, String> d = new LinkedHashMap<>();
        for (String k : DMI_KEYS) d.put(k, dmi.getOrDefault(k, ""));
        dmi = java.util.Collections.unmodifiableMap(d);
    }

    /** Reads this box: /proc/cpuinfo, /proc/meminfo, /proc/version, /proc/stat, NUMA nodes and DMI in sysfs. */
    public static HostHardware probe() {
        Map<String, String> dmi = new LinkedHashMap<>();
        for (int i = 0; i < DMI_KEYS.size(); i++) {
            dmi.put(DMI_KEYS.get(i), biosString(readOr(Path.of("/sys/class/dmi/id", DMI_FILES.get(i)), "")));
        }
        return parse(
                readOr(Path.of("/proc/cpuinfo"), ""),
                readOr(Path.of("/proc/meminfo"), ""),
                readOr(Path.of("/proc/version"), ""),
                readOr(Path.of("/proc/stat"), ""),
                countNodes(),
                dmi);
    }

    /**
     * Builds the facts from the texts of /proc/cpuinfo, /proc/meminfo, /proc/version and /proc/stat. When
     * the texts say nothing (not Linux), the CPU count is {@link Runtime#availableProcessors()} and the
     * total memory {@link Runtime#maxMemory()}.
     */
    static HostHardware parse(
            String cpuinfo, String meminfo, String version, String stat, int nodes, Map<String, String> dmi) {
        int count = 0;
        for (String line : cpuinfo.split("\n")) {
            if (PROCESSOR.matcher(line).find()) count++;
        }
        if (count == 0) count = Runtime.getRuntime().availableProcessors();
        // the first processor's block, as xenopsd reads it (up to the first empty line)
        Map<String, String> first = new LinkedHashMap<>();
        for (String line : cpuinfo.split("\n")) {
            if (line.isEmpty()) break;
            int i = line.indexOf(':');
            if (i < 0) continue;
            String k = line.substring(0, i).strip();
            String v = line.length() < i + 2 ? "" : line.substring(i + 2);
            first.putIfAbsent(k, v);
        }
        int siblings = intOr(first.get("siblings"), 0);
        int cores = intOr(first.get("cpu cores"), 0);
        int threads = siblings > 0 && cores > 0 && siblings >= cores ? siblings / cores : 1;
        int coresPerSocket = cores > 0 ? cores : count;
        int sockets = Math.max(1, count / (threads * coresPerSocket));
        long total = meminfoBytes(meminfo, "MemTotal");
        if (total <= 0) total = Runtime.getRuntime().maxMemory();
        String[] words = version.strip().split("\\s+");
        String linux = words.length >= 3 ? words[2] : "";
        Instant boot = Instant.EPOCH;
        for (String line : stat.split("\n")) {
            if (line.startsWith("btime")) {
                String[] p = line.strip().split("\\s+");
                if (p.length >= 2) {
                    try {
                        boot = Instant.ofEpochSecond(Long.parseLong(p[1]));
                    } catch (NumberFormatException e) {
                        boot = Instant.EPOCH;
                    }
                }
            }
        }
        return new HostHardware(
                count,
                sockets,
                threads,
                Math.max(1, nodes),
                first.getOrDefault("vendor_id", "unknown"),
                first.getOrDefault("model name", "unknown"),
                first.getOrDefault("cpu family", "unknown"),
                first.getOrDefault("model", "unknown"),
                first.getOrDefault("stepping", "unknown"),
                first.getOrDefault("cpu MHz", "unknown"),
                first.getOrDefault("flags", "unknown"),
                total,
                linux,
                boot,
                dmi);
    }

    /** Xapi's cleaning of a dmidecode value: "Not Specified" is empty; only printable ASCII is kept; trimmed. */
    static String biosString(String raw) {
        String v = raw.strip();
        if (v.equals("Not Specified")) return "";
        StringBuilder sb = new StringBuilder();
        for (char c : v.toCharArray()) {
            if (c >= ' ' && c <= '~') sb.append(c);
        }
        return sb.toString().strip();
    }

    private static long meminfoBytes(String meminfo, String key) {
        for (String line : meminfo.split("\n")) {
            if (line.startsWith(key + ":")) {
                String[] p = line.substring(key.length() + 1).strip().split("\\s+");
                try {
                    long v = Long.parseLong(p[0]);
                    return p.length > 1 && p[1].equalsIgnoreCase("kB") ? v * 1024 : v;
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    private static int intOr(String s, int dflt) {
        if (s == null) return dflt;
        try {
            return Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    private static int countNodes() {
        Path dir = Path.of("/sys/devices/system/node");
        int n = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "node[0-9]*")) {
            for (Path ignored : ds) n++;
        } catch (IOException | RuntimeException e) {
            return 1;
        }
        return Math.max(1, n);
    }

    private static String readOr(Path p, String dflt) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return dflt;
        }
    }

    /** Whole-MHz speed for {@code host_cpu.speed} (Xapi truncates the float; 0 when not a number). */
    long speedMhzTruncated() {
        try {
            return (long) Double.parseDouble(cpuSpeedMhz.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
