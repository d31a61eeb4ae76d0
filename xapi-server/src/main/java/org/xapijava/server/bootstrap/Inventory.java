package org.xapijava.server.bootstrap;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.xapijava.model.util.AtomicFiles;

/**
 * The host's identity file, in the format of {@code /etc/xensource-inventory}: one {@code KEY='value'}
 * per line. Xapi reads it at start ({@code xapi-inventory/lib/inventory.ml}); the SM drivers read
 * {@code INSTALLATION_UUID} and {@code CONTROL_DOMAIN_UUID} from it too.
 *
 * <p>Parsing follows Xapi: a line is cut at its first {@code =}; one pair of single quotes around the value
 * is removed, then the value is trimmed; lines without {@code =} are ignored; when a key repeats, the last
 * line wins (see {@link #parse}). Writing produces {@code KEY='value'\n} lines in insertion order.
 *
 * <p>Instances are immutable; {@link #with} returns a modified copy.
 */
public final class Inventory {
    public static final String INSTALLATION_UUID = "INSTALLATION_UUID";
    public static final String CONTROL_DOMAIN_UUID = "CONTROL_DOMAIN_UUID";
    public static final String MANAGEMENT_INTERFACE = "MANAGEMENT_INTERFACE";
    public static final String MANAGEMENT_ADDRESS_TYPE = "MANAGEMENT_ADDRESS_TYPE";
    public static final String BUILD_NUMBER = "BUILD_NUMBER";
    public static final String PRODUCT_BRAND = "PRODUCT_BRAND";
    public static final String PRODUCT_NAME = "PRODUCT_NAME";
    public static final String PRODUCT_VERSION = "PRODUCT_VERSION";
    public static final String PRODUCT_VERSION_TEXT = "PRODUCT_VERSION_TEXT";
    public static final String PRODUCT_VERSION_TEXT_SHORT = "PRODUCT_VERSION_TEXT_SHORT";
    public static final String COMPANY_NAME = "COMPANY_NAME";
    public static final String COMPANY_NAME_SHORT = "COMPANY_NAME_SHORT";
    public static final String BRAND_CONSOLE = "BRAND_CONSOLE";
    public static final String PLATFORM_NAME = "PLATFORM_NAME";
    public static final String PLATFORM_VERSION = "PLATFORM_VERSION";
    public static final String KERNEL_VERSION = "KERNEL_VERSION";
    public static final String LINUX_KABI_VERSION = "LINUX_KABI_VERSION";
    public static final String XEN_VERSION = "XEN_VERSION";
    public static final String INSTALLATION_DATE = "INSTALLATION_DATE";
    public static final String DOM0_MEM = "DOM0_MEM";
    public static final String DOM0_VCPUS = "DOM0_VCPUS";
    public static final String OEM_MANUFACTURER = "OEM_MANUFACTURER";
    public static final String OEM_MODEL = "OEM_MODEL";
    public static final String OEM_BUILD_NUMBER = "OEM_BUILD_NUMBER";
    public static final String MACHINE_SERIAL_NUMBER = "MACHINE_SERIAL_NUMBER";
    public static final String MACHINE_SERIAL_NAME = "MACHINE_SERIAL_NAME";

    /** The bridge of the management network the installer writes (the first NIC's bridge). */
    public static final String DEFAULT_MANAGEMENT_INTERFACE = "xenbr0";

    /** Python's {@code str(datetime.now())}, which the installer writes as INSTALLATION_DATE. */
    private static final DateTimeFormatter PY_DATETIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

    private final Map<String, String> entries;

    private Inventory(Map<String, String> entries) {
        this.entries = Collections.unmodifiableMap(entries);
    }

    /** An inventory holding exactly {@code entries} (in their iteration order). */
    public static Inventory of(Map<String, String> entries) {
        return new Inventory(new LinkedHashMap<>(entries));
    }

    /**
     * Parses inventory text. A key given on several lines keeps the value of the last line, as Xapi's
     * lookups see it ({@code Hashtbl.add} then {@code Hashtbl.find_opt} returns the newest binding).
     */
    public static Inventory parse(String text) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : text.split("\n", -1)) {
            int eq = line.indexOf('=');
            if (eq < 0) continue;
            String key = line.substring(0, eq);
            String v = line.substring(eq + 1);
            if (v.length() >= 2 && v.charAt(0) == '\'' && v.charAt(v.length() - 1) == '\'')
                v = v.substring(1, v.length() - 1);
            m.put(key, v.strip());
        }
        return new Inventory(m);
    }

    /** Reads an inventory file. */
    public static Inventory read(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8));
    }

    /**
     * Reads the inventory at {@code file}; when there is none, writes a fresh one for this box
     * ({@link #fresh(HostHardware)} with {@link HostHardware#probe()}) and returns it. Xapi itself
     * writes only the five required keys when the file is missing; our first start plays the installer's
     * part too, so the fresh file carries the product keys as well.
     *
     * @throws IllegalStateException when an existing file lacks INSTALLATION_UUID or CONTROL_DOMAIN_UUID
     *     (Xapi fails start-up with {@code Missing_inventory_key} then)
     */
    public static Inventory loadOrCreate(Path file) throws IOException {
        return loadOrCreate(file, null);
    }

    /**
     * As {@link #loadOrCreate(Path)}, sizing DOM0_MEM and DOM0_VCPUS of a fresh file from {@code hw}
     * (probed when null).
     */
    public static Inventory loadOrCreate(Path file, HostHardware hw) throws IOException {
        try {
            Inventory inv = read(file);
            for (String k : new String[] {INSTALLATION_UUID, CONTROL_DOMAIN_UUID}) {
                if (inv.get(k).isEmpty()) throw new IllegalStateException(file + ": missing inventory key " + k);
            }
            return inv;
        } catch (NoSuchFileException e) {
            Inventory inv = fresh(hw != null ? hw : HostHardware.probe());
            inv.write(file);
            return inv;
        }
    }

    /**
     * What the installer writes on a fresh XCP-ng 8.3 host (host-installer {@code writeInventory}): the
     * product keys of {@code product.json}, new random INSTALLATION_UUID and CONTROL_DOMAIN_UUID,
     * INSTALLATION_DATE now, DOM0_MEM and DOM0_VCPUS by the installer's sizing rules for {@code hw},
     * MANAGEMENT_INTERFACE {@value #DEFAULT_MANAGEMENT_INTERFACE} and MANAGEMENT_ADDRESS_TYPE IPv4.
     * PRIMARY_DISK and BACKUP_PARTITION are left out: the simulated host has no disk of its own.
     */
    public static Inventory fresh(HostHardware hw) {
        Map<String, String> m = new LinkedHashMap<>(ProductFacts.get().inventoryDefaults());
        m.put(INSTALLATION_DATE, LocalDateTime.now().format(PY_DATETIME));
        m.put(INSTALLATION_UUID, UUID.randomUUID().toString());
        m.put(CONTROL_DOMAIN_UUID, UUID.randomUUID().toString());
        long dom0MemMib = MemoryModel.defaultDom0MemoryMib(hw.memTotalBytes() / 1024);
        m.put(DOM0_MEM, Long.toString(dom0MemMib));
        m.put(DOM0_VCPUS, Integer.toString(MemoryModel.defaultDom0Vcpus(hw.cpuCount(), dom0MemMib)));
        m.put(MANAGEMENT_INTERFACE, DEFAULT_MANAGEMENT_INTERFACE);
        m.put(MANAGEMENT_ADDRESS_TYPE, "IPv4");
        return new Inventory(m);
    }

    /** The value of {@code key}, or {@code ""} when absent. */
    public String get(String key) {
        return entries.getOrDefault(key, "");
    }

    /** The value of {@code key}, if present. */
    public Optional<String> find(String key) {
        return Optional.ofNullable(entries.get(key));
    }

    /** A copy with {@code key} set to {@code value} (appended when new, in place otherwise). */
    public Inventory with(String key, String value) {
        Map<String, String> m = new LinkedHashMap<>(entries);
        m.put(key, value);
        return new Inventory(m);
    }

    /** All entries, in file order; unmodifiable. */
    public Map<String, String> entries() {
        return entries;
    }

    public String installationUuid() {
        return get(INSTALLATION_UUID);
    }

    public String controlDomainUuid() {
        return get(CONTROL_DOMAIN_UUID);
    }

    public String managementInterface() {
        return get(MANAGEMENT_INTERFACE);
    }

    /** {@code IPv4} (default when absent) or {@code IPv6}. */
    public String managementAddressType() {
        String t = get(MANAGEMENT_ADDRESS_TYPE);
        return t.isEmpty() ? "IPv4" : t;
    }

    /** The file text: {@code KEY='value'} lines in order. */
    public String format() {
        StringBuilder sb = new StringBuilder();
        entries.forEach((k, v) -> sb.append(k).append("='").append(v).append("'\n"));
        return sb.toString();
    }

    /**
     * Writes the file atomically and durably ({@link AtomicFiles#write}: temporary file in the same
     * directory, fsync, rename, fsync of the directory), mode 0600; parent directories are created.
     */
    public void write(Path file) throws IOException {
        Files.createDirectories(AtomicFiles.directoryOf(file));
        AtomicFiles.write(file, format().getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Inventory i && i.entries.equals(entries);
    }

    @Override
    public int hashCode() {
        return entries.hashCode();
    }

    @Override
    public String toString() {
        return "Inventory" + entries;
    }
}
