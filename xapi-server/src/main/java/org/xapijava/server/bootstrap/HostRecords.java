package org.xapijava.server.bootstrap;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.db.Update;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.HostMetrics;
import org.xapijava.model.api.enums.HostDisplay;
import org.xapijava.model.api.enums.HostNumaAffinityPolicy;
import org.xapijava.model.api.enums.LatestSyncedUpdatesAppliedState;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;

/**
 * This host's own record at start-up, as Xapi's {@code dbsync_slave.ml} keeps it: {@code create_localhost}
 * (through {@code Xapi_host.create}), the host metrics, {@code record_host_memory_properties} and
 * {@code refresh_localhost_info} with {@code create_misc.ml}'s software version, BIOS strings and chipset info.
 * Runs on every host; reaches the database only through {@link Db}.
 */
final class HostRecords {
    /** Xapi's {@code host_virtual_hardware_platform_versions}. */
    static final List<Long> VIRTUAL_HARDWARE_PLATFORM_VERSIONS = List.of(0L, 1L, 2L);
    /** {@code host.other_config} keys {@code refresh_localhost_info} rewrites. */
    static final String BOOT_TIME = "boot_time";

    static final String AGENT_START_TIME = "agent_start_time";
    static final String NO_LOCAL_STORAGE = "no_local_storage";

    private final StartupContext c;
    private final Db db;

    HostRecords(StartupContext c) {
        this.c = c;
        this.db = c.db;
    }

    /** This host, and whether this start created it. */
    record Localhost(String ref, boolean created) {}

    /**
     * {@code create_localhost}: the host whose uuid is the inventory's INSTALLATION_UUID, created with fresh (not
     * live) metrics and disabled until start-up completes, in one step.
     */
    Localhost ensureLocalhost() {
        Optional<String> me = db.findByUuid(Host.XAPI_CLASS, c.inventory.installationUuid());
        if (me.isPresent()) return new Localhost(me.get(), false);
        String metrics = Refs.fresh();
        String host = Refs.fresh();
        db.apply(Update.builder()
                .create(metrics, metrics(false, DateTime.EPOCH))
                .create(host, newHost(metrics))
                .build());
        return new Localhost(host, true);
    }

    private static FieldValues metrics(boolean live, DateTime lastUpdated) {
        return FieldValues.of(HostMetrics.XAPI_CLASS)
                .with(HostMetrics.UUID, StartupContext.uuid())
                .with(HostMetrics.LIVE, live)
                .with(HostMetrics.MEMORY_TOTAL, 0L)
                .with(HostMetrics.LAST_UPDATED, lastUpdated)
                .with(HostMetrics.OTHER_CONFIG, Map.of());
    }

    /** The values {@code Xapi_host.create} gives a new host. */
    private FieldValues newHost(String metrics) {
        BootstrapSettings s = c.settings;
        return FieldValues.of(Host.XAPI_CLASS)
                .with(Host.UUID, c.inventory.installationUuid())
                .with(Host.NAME_LABEL, s.hostname())
                .with(Host.NAME_DESCRIPTION, "Default install")
                .with(Host.HOSTNAME, s.hostname())
                .with(Host.ADDRESS, s.managementAddress())
                .with(Host.ENABLED, false)
                .with(Host.API_VERSION_MAJOR, c.dm.apiVersionMajor())
                .with(Host.API_VERSION_MINOR, c.dm.apiVersionMinor())
                .with(Host.API_VERSION_VENDOR, c.dm.apiVersionVendor())
                .with(Host.API_VERSION_VENDOR_IMPLEMENTATION, c.dm.apiVersionVendorImplementation())
                .with(Host.SOFTWARE_VERSION, Map.of())
                .with(Host.OTHER_CONFIG, Map.of())
                .with(Host.CAPABILITIES, List.of())
                .with(Host.CPU_CONFIGURATION, Map.of())
                .with(Host.CPU_INFO, Map.of())
                .with(Host.CHIPSET_INFO, Map.of())
                .with(Host.MEMORY_OVERHEAD, 0L)
                .with(Host.SCHED_POLICY, "credit")
                .with(Host.SUPPORTED_BOOTLOADERS, List.of("pygrub", "eliloader"))
                .with(Host.SUSPEND_IMAGE_SR, Refs.NULL)
                .with(Host.CRASH_DUMP_SR, Refs.NULL)
                .with(Host.LOGGING, Map.of())
                .with(Host.METRICS, metrics)
                .with(Host.LICENSE_PARAMS, Map.of())
                .with(Host.BOOT_FREE_MEM, 0L)
                .with(Host.EXTERNAL_AUTH_TYPE, "")
                .with(Host.EXTERNAL_AUTH_SERVICE_NAME, "")
                .with(Host.EXTERNAL_AUTH_CONFIGURATION, Map.of())
                .with(Host.EDITION, "")
                .with(Host.LICENSE_SERVER, licenseServer())
                .with(Host.BIOS_STRINGS, Map.of())
                .with(Host.POWER_ON_MODE, "")
                .with(Host.POWER_ON_CONFIG, Map.of())
                .with(Host.LOCAL_CACHE_SR, Refs.NULL)
                .with(Host.SSL_LEGACY, false)
                .with(Host.GUEST_VCPUS_PARAMS, Map.of())
                .with(Host.DISPLAY, HostDisplay.ENABLED.wire())
                .with(Host.VIRTUAL_HARDWARE_PLATFORM_VERSIONS, VIRTUAL_HARDWARE_PLATFORM_VERSIONS)
                .with(Host.CONTROL_DOMAIN, Refs.NULL)
                .with(Host.ISCSI_IQN, "")
                .with(Host.MULTIPATHING, false)
                .with(Host.UEFI_CERTIFICATES, "")
                .with(Host.EDITIONS, List.of())
                .with(Host.TLS_VERIFICATION_ENABLED, false)
                .with(Host.LAST_SOFTWARE_UPDATE, DateTime.EPOCH)
                .with(Host.HTTPS_ONLY, false)
                .with(Host.LATEST_SYNCED_UPDATES_APPLIED, LatestSyncedUpdatesAppliedState.UNKNOWN.wire())
                .with(Host.NUMA_AFFINITY_POLICY, HostNumaAffinityPolicy.DEFAULT_POLICY.wire())
                .with(Host.LAST_UPDATE_HASH, "");
    }

    /** {@code create_localhost}'s licence server: the local v6d on its default port. */
    private static Map<String, String> licenseServer() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("address", "localhost");
        m.put("port", "27000");
        return m;
    }

    /** The host's metrics; recreated, with the reference, when it dangles (a restored database). */
    String ensureMetrics(String host) {
        String m = db.get(host, Host.METRICS);
        if (c.valid(HostMetrics.XAPI_CLASS, m)) return m;
        String fresh = Refs.fresh();
        db.apply(Update.builder()
                .create(fresh, metrics(true, c.nowDt))
                .set(host, Host.METRICS, fresh)
                .build());
        return fresh;
    }

    /**
     * {@code record_host_memory_properties}, simulated: there is no hypervisor, so the memory free at boot is the
     * box's memory less the control domain's, and the host's own overhead is 0. ({@code host_metrics.memory_free}
     * is a removed field; it is not stored.)
     */
    void recordMemory(String host, String metrics) {
        long total = c.settings.hardware().memTotalBytes();
        c.apply(Update.builder()
                .set(metrics, HostMetrics.MEMORY_TOTAL, total)
                .set(host, Host.BOOT_FREE_MEM, Math.max(0, total - c.dom0MemoryBytes()))
                .set(host, Host.MEMORY_OVERHEAD, 0L));
    }

    /**
     * {@code refresh_localhost_info} with the BIOS strings and chipset info syncs, as one step: software version,
     * API version, platform versions, host name, address, capabilities, boot and agent start times (removed then
     * added, as Xapi does), local storage (there always is).
     */
    void refreshInfo(String host) {
        BootstrapSettings s = c.settings;
        c.apply(Update.builder()
                .set(host, Host.SOFTWARE_VERSION, softwareVersion())
                .set(host, Host.API_VERSION_MAJOR, c.dm.apiVersionMajor())
                .set(host, Host.API_VERSION_MINOR, c.dm.apiVersionMinor())
                .set(host, Host.API_VERSION_VENDOR, c.dm.apiVersionVendor())
                .set(host, Host.API_VERSION_VENDOR_IMPLEMENTATION, c.dm.apiVersionVendorImplementation())
                .set(host, Host.VIRTUAL_HARDWARE_PLATFORM_VERSIONS, VIRTUAL_HARDWARE_PLATFORM_VERSIONS)
                .set(host, Host.HOSTNAME, s.hostname())
                .set(host, Host.ADDRESS, s.managementAddress())
                .set(host, Host.CAPABILITIES, c.facts.xenCapabilities())
                .removeFromMap(host, Host.OTHER_CONFIG, BOOT_TIME)
                .addToMap(
                        host,
                        Host.OTHER_CONFIG,
                        BOOT_TIME,
                        StartupContext.ocamlSeconds(s.hardware().bootTime().getEpochSecond()))
                .removeFromMap(host, Host.OTHER_CONFIG, AGENT_START_TIME)
                .addToMap(
                        host, Host.OTHER_CONFIG, AGENT_START_TIME, StartupContext.ocamlSeconds(c.now.getEpochSecond()))
                .removeFromMap(host, Host.OTHER_CONFIG, NO_LOCAL_STORAGE)
                .set(host, Host.BIOS_STRINGS, biosStrings())
                .set(host, Host.CHIPSET_INFO, c.facts.chipsetInfo()));
    }

    /** {@code make_software_version}, with XCP-ng 8.3's product keys from the inventory. */
    Map<String, String> softwareVersion() {
        Inventory inv = c.inventory;
        ProductFacts facts = c.facts;
        Map<String, String> sv = new LinkedHashMap<>();
        putNonEmpty(sv, "product_version", inv.get(Inventory.PRODUCT_VERSION));
        putNonEmpty(sv, "product_version_text", inv.get(Inventory.PRODUCT_VERSION_TEXT));
        putNonEmpty(sv, "product_version_text_short", inv.get(Inventory.PRODUCT_VERSION_TEXT_SHORT));
        putNonEmpty(sv, "platform_name", inv.get(Inventory.PLATFORM_NAME));
        String pv = inv.get(Inventory.PLATFORM_VERSION);
        sv.put("platform_version", pv.isEmpty() ? "0.0.0" : pv);
        putNonEmpty(sv, "product_brand", inv.get(Inventory.PRODUCT_BRAND));
        sv.put("xapi", facts.xapiMajor() + "." + facts.xapiMinor());
        putNonEmpty(sv, "build_number", inv.get(Inventory.BUILD_NUMBER));
        String version = facts.xapiVersion();
        String[] parts = version.split("\\.", 3);
        putNonEmpty(sv, "git_id", parts.length == 3 ? parts[2] : "");
        sv.put("hostname", "localhost");
        putNonEmpty(sv, "date", facts.xapiDate());
        sv.put("dbv", facts.dbv());
        sv.put("xapi_build", version);
        String xen = inv.get(Inventory.XEN_VERSION);
        sv.put("xen", xen.isEmpty() ? "(unknown)" : xen);
        sv.put("linux", c.settings.hardware().linuxVersion());
        String api = c.dm.apiVersionMajor() + "." + c.dm.apiVersionMinor();
        sv.put("xencenter_min", api);
        sv.put("xencenter_max", api);
        sv.put("network_backend", facts.networkBackend());
        sv.put("db_schema", c.dm.schemaMajor() + "." + c.dm.schemaMinor());
        putNonEmpty(sv, "oem_manufacturer", inv.get(Inventory.OEM_MANUFACTURER));
        putNonEmpty(sv, "oem_model", inv.get(Inventory.OEM_MODEL));
        putNonEmpty(sv, "oem_build_number", inv.get(Inventory.OEM_BUILD_NUMBER));
        putNonEmpty(sv, "machine_serial_number", inv.get(Inventory.MACHINE_SERIAL_NUMBER));
        putNonEmpty(sv, "machine_serial_name", inv.get(Inventory.MACHINE_SERIAL_NAME));
        return sv;
    }

    private static void putNonEmpty(Map<String, String> m, String k, String v) {
        if (!v.isEmpty()) m.put(k, v);
    }

    /** Host BIOS strings: the dmidecode keys, Xapi's standard OEM strings, {@code hp-rombios} empty. */
    private Map<String, String> biosStrings() {
        Map<String, String> b = new LinkedHashMap<>(c.settings.hardware().dmi());
        b.put("oem-1", "Xen");
        b.put("oem-2", "MS_VM_CERT/SHA1/bdbeb6e0a816d43fa6d3fe8aaef04c2bad9d3e3d");
        b.put("hp-rombios", "");
        return b;
    }
}
