package org.xapijava.server.bootstrap;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.xapijava.db.Database;
import org.xapijava.db.Transaction;
import org.xapijava.model.Datamodel;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;
import org.xapijava.server.bootstrap.ProductFacts.SmDriver;
import org.xapijava.server.bootstrap.TemplateCatalog.Template;

/**
 * What a host's start does to the database before clients are let in: on a fresh database it creates
 * everything a freshly installed XCP-ng 8.3 host has (the installer's and first boot's work plus Xapi's
 * own first start); on a database that already knows this host it refreshes what Xapi refreshes at every
 * start ({@code dbsync_master.ml}, {@code dbsync_slave.ml}, {@code create_misc.ml}, {@code create_storage.ml},
 * {@code create_networks.ml}, {@code license_init.ml}).
 *
 * <p>The host is the one whose uuid is the inventory's INSTALLATION_UUID; its control domain the VM whose
 * uuid is CONTROL_DOMAIN_UUID. "First start" means the database has no such host. Only then are created:
 * the management network and PIF, the local SR ("Local storage", type {@code file} on
 * {@link BootstrapSettings#localSrPath()}), the udev SRs "Removable storage" and "DVD drives", the default
 * templates and the iSCSI IQN (the installer, firstboot scripts and the template service do those once).
 * At every start: the root user, the pool, the host's address, liveness, memory, CPUs, software version,
 * API version, BIOS strings, licence, the control domain and its console and metrics records, the host
 * internal management network, the SM records, the tools ISO SR, PBD attachment, the pool CPU info,
 * missing {@code VM_metrics}, console URLs; finally the host is enabled.
 *
 * <p>Everything runs in one database transaction, so a failure leaves the database as it was; the file
 * system work (creating the SR directories, measuring them) happens before it. Every reference written
 * names an existing object or is {@code OpaqueRef:NULL}. Running it again creates nothing new except
 * the {@code host_cpu} objects, which Xapi recreates at each start.
 */
public final class FirstStart {
    /** Xapi's ports of the dom0 consoles (vncterm's RFB and text ports for display 0). */
    static final long CONSOLE_VNC_PORT = 5900;

    static final long CONSOLE_TEXT_PORT = 9500;
    static final String LOCAL_STORAGE = "Local storage";
    static final String REMOVABLE_STORAGE = "Removable storage";
    static final String DVD_DRIVES = "DVD drives";
    static final String DVD_DRIVES_DESCRIPTION = "Physical DVD drives";
    static final String INTERNAL_NETWORK_NAME = "Host internal management network";
    static final String INTERNAL_NETWORK_DESCRIPTION =
            "Network on which guests will be assigned a private link-local IP address which can be used to talk XenAPI";
    static final String INTERNAL_NETWORK_BRIDGE = "xenapi";
    /** The management NIC of the simulated host. */
    static final String MANAGEMENT_DEVICE = "eth0";

    private FirstStart() {}

    /**
     * Creates (first start) or refreshes (later starts) the host's objects in {@code db}, in one
     * transaction, and returns their references.
     *
     * @throws UncheckedIOException when an SR directory cannot be created or measured
     */
    public static HostObjects ensure(Database db, BootstrapSettings s) {
        return ensure(db, s, false);
    }

    /**
     * {@link #ensure} for a host joining the pool whose database {@code db} is: the pool record and its master
     * stay as they are (the member does not become master, its local SR is not the pool's default).
     */
    public static HostObjects ensureMember(Database db, BootstrapSettings s) {
        return ensure(db, s, true);
    }

    private static HostObjects ensure(Database db, BootstrapSettings s, boolean member) {
        Disk local = measure(s.localSrPath());
        Disk tools = measure(s.toolsIsoPath());
        Instant now = s.clock().instant();
        return db.call(tx -> new Run(tx, s, local, tools, now, member).run());
    }

    /** Size and use of a directory's file system, after creating the directory. */
    record Disk(long size, long used) {}

    static Disk measure(Path dir) {
        try {
            Files.createDirectories(dir);
            FileStore fs = Files.getFileStore(dir);
            long total = fs.getTotalSpace();
            return new Disk(total, Math.max(0, total - fs.getUnallocatedSpace()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare SR directory " + dir, e);
        }
    }

    /** One run of {@link #ensure}, inside its transaction. */
    private static final class Run {
        private final Transaction tx;
        private final BootstrapSettings s;
        private final Disk localDisk;
        private final Disk toolsDisk;
        private final Instant now;
        private final DateTime nowDt;
        private final Datamodel dm;
        private final ProductFacts facts = ProductFacts.get();
        private final Inventory inv;
        private boolean firstStart;
        /** A member joining an existing pool: the pool's master and default SR are not this host's to set. */
        private final boolean member;

        Run(Transaction tx, BootstrapSettings s, Disk localDisk, Disk toolsDisk, Instant now, boolean member) {
            this.member = member;
            this.tx = tx;
            this.s = s;
            this.localDisk = localDisk;
            this.toolsDisk = toolsDisk;
            this.now = now;
            this.nowDt = DateTime.ofInstant(now);
            this.dm = tx.datamodel();
            this.inv = s.inventory();
        }

        HostObjects run() {
            String rootUser = ensureRootUser();
            String host = byUuid("host", inv.installationUuid());
            firstStart = host == null;
            if (firstStart) host = createHost();
            String pool = ensurePool(host);
            String metrics = ensureHostMetrics(host);
            tx.set("host", host, "address", s.managementAddress());
            tx.set("host_metrics", metrics, "live", true);
            tx.set("host_metrics", metrics, "last_updated", nowDt);
            String telemetry = ensureTelemetry(pool);
            recordHostMemory(host, metrics);
            List<String> cpus = createHostCpus(host);
            String dom0 = ensureControlDomain(host);
            List<String> consoles = ensureControlDomainConsoles(dom0);
            String dom0Metrics = ensureControlDomainMetrics(dom0);
            String[] mgmt = ensureManagementNetwork(host);
            String internal = ensureInternalNetwork();
            Map<String, String> sms = ensureSmRecords();
            String localSr = Refs.NULL;
            String removable = Refs.NULL;
            String dvd = Refs.NULL;
            if (firstStart) {
                localSr = createLocalSr(host, pool);
                removable = createUdevSr(
                        host, REMOVABLE_STORAGE, "", "disk", "block", "/dev/xapi/block", "local-hotplug-disk");
                dvd = createUdevSr(
                        host, DVD_DRIVES, DVD_DRIVES_DESCRIPTION, "iso", "cd", "/dev/xapi/cd", "local-hotplug-cd");
                tx.set("host", host, "iscsi_iqn", iscsiIqn());
                tx.addToMap("host", host, "other_config", "iscsi_iqn", tx.get("host", host, "iscsi_iqn"));
            } else {
                localSr = findInstallSr(host, "local-storage");
                removable = findInstallSr(host, "local-hotplug-disk");
                dvd = findInstallSr(host, "local-hotplug-cd");
            }
            String toolsSr = ensureToolsSr(host);
            resyncPbds(host);
            refreshHostInfo(host);
            applyLicence(host, pool);
            updatePoolCpuInfo(pool);
            ensureVmMetrics();
            Map<String, String> templates = ensureTemplates();
            refreshConsoleUrls();
            tx.set("host", host, "enabled", true);
            return new HostObjects(
                    firstStart,
                    pool,
                    host,
                    metrics,
                    cpus,
                    dom0,
                    dom0Metrics,
                    consoles,
                    mgmt[0],
                    mgmt[1],
                    mgmt[2],
                    internal,
                    sms,
                    localSr,
                    pbdOf(localSr, host),
                    removable,
                    dvd,
                    toolsSr,
                    pbdOf(toolsSr, host),
                    templates,
                    rootUser,
                    telemetry);
        }

        // ------------------------------------------------------------------ helpers

        private String create(String cls, Map<String, Object> values) {
            String ref = Refs.fresh();
            if (dm.cls(cls).field("uuid") != null && !values.containsKey("uuid")) values.put("uuid", uuid());
            tx.create(cls, ref, values);
            return ref;
        }

        private static String uuid() {
            return UUID.randomUUID().toString();
        }

        private static Map<String, Object> rec(Object... kv) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
            return m;
        }

        /**
         * A VM row: the fields whose values are the same for the control domain and for every template
         * (no snapshot, no HA, no appliance, empty maps and sets, ...), then {@code kv}.
         */
        private static Map<String, Object> vmRec(Object... kv) {
            Map<String, Object> m = rec(
                    "guest_metrics",
                    Refs.NULL,
                    "last_booted_record",
                    "",
                    "xenstore_data",
                    Map.of(),
                    "ha_always_run",
                    false,
                    "ha_restart_priority",
                    "",
                    "is_a_snapshot",
                    false,
                    "snapshot_of",
                    Refs.NULL,
                    "snapshot_time",
                    DateTime.EPOCH,
                    "transportable_snapshot_id",
                    "",
                    "blobs",
                    Map.of(),
                    "tags",
                    List.of(),
                    "blocked_operations",
                    Map.of(),
                    "snapshot_info",
                    Map.of(),
                    "snapshot_metadata",
                    "",
                    "parent",
                    Refs.NULL,
                    "bios_strings",
                    Map.of(),
                    "protection_policy",
                    Refs.NULL,
                    "snapshot_schedule",
                    Refs.NULL,
                    "is_vmss_snapshot",
                    false,
                    "appliance",
                    Refs.NULL,
                    "start_delay",
                    0L,
                    "shutdown_delay",
                    0L,
                    "order",
                    0L,
                    "suspend_SR",
                    Refs.NULL,
                    "hardware_platform_version",
                    0L,
                    "has_vendor_device",
                    false,
                    "requires_reboot",
                    false,
                    "NVRAM",
                    Map.of());
            m.putAll(rec(kv));
            return m;
        }

        private static Map<String, String> smap(String... kv) {
            Map<String, String> m = new LinkedHashMap<>();
            for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
            return m;
        }

        @SuppressWarnings("unchecked")
        private Map<String, String> stringMap(String cls, String ref, String field) {
            return new LinkedHashMap<>((Map<String, String>) tx.get(cls, ref, field));
        }

        private String ref(String cls, String ref, String field) {
            return (String) tx.get(cls, ref, field);
        }

        /** The object of {@code cls} with this uuid, or null (Xapi's lookup raises UUID_INVALID instead). */
        private String byUuid(String cls, String uuid) {
            try {
                return tx.getByUuid(cls, uuid);
            } catch (ApiError e) {
                if ("UUID_INVALID".equals(e.code())) return null;
                throw e;
            }
        }

        private boolean valid(String cls, String ref) {
            return ref != null && !Refs.isNull(ref) && tx.exists(cls, ref);
        }

        /** OCaml's {@code string_of_float} of a whole number of seconds: {@code 1718000000.} */
        private static String ocamlSeconds(long seconds) {
            return seconds + ".";
        }

        // ------------------------------------------------------------------ user, host, pool

        /** {@code create_root_user}: a {@code user} "root" / "superuser" unless one exists. */
        private String ensureRootUser() {
            for (var e : tx.getAllRecords("user").entrySet()) {
                if ("root".equals(e.getValue().get("short_name"))) return e.getKey();
            }
            return create("user", rec("short_name", "root", "fullname", "superuser", "other_config", Map.of()));
        }

        /**
         * dbsync's {@code create_localhost} through {@code Xapi_host.create}: the host record with fresh
         * metrics (not live), disabled until start-up completes.
         */
        private String createHost() {
            String metrics = create(
                    "host_metrics",
                    rec("live", false, "memory_total", 0L, "last_updated", DateTime.EPOCH, "other_config", Map.of()));
            Map<String, Object> v = rec(
                    "uuid",
                    inv.installationUuid(),
                    "name_label",
                    s.hostname(),
                    "name_description",
                    "Default install",
                    "hostname",
                    s.hostname(),
                    "address",
                    s.managementAddress(),
                    "enabled",
                    false,
                    "API_version_major",
                    dm.apiVersionMajor(),
                    "API_version_minor",
                    dm.apiVersionMinor(),
                    "API_version_vendor",
                    dm.apiVersionVendor(),
                    "API_version_vendor_implementation",
                    dm.apiVersionVendorImplementation(),
                    "software_version",
                    Map.of(),
                    "other_config",
                    Map.of(),
                    "capabilities",
                    List.of(),
                    "cpu_configuration",
                    Map.of(),
                    "cpu_info",
                    Map.of(),
                    "chipset_info",
                    Map.of(),
                    "memory_overhead",
                    0L,
                    "sched_policy",
                    "credit",
                    "supported_bootloaders",
                    List.of("pygrub", "eliloader"),
                    "suspend_image_sr",
                    Refs.NULL,
                    "crash_dump_sr",
                    Refs.NULL,
                    "logging",
                    Map.of(),
                    "metrics",
                    metrics,
                    "license_params",
                    Map.of(),
                    "boot_free_mem",
                    0L,
                    "external_auth_type",
                    "",
                    "external_auth_service_name",
                    "",
                    "external_auth_configuration",
                    Map.of(),
                    "edition",
                    "",
                    "license_server",
                    smap("address", "localhost", "port", "27000"),
                    "bios_strings",
                    Map.of(),
                    "power_on_mode",
                    "",
                    "power_on_config",
                    Map.of(),
                    "local_cache_sr",
                    Refs.NULL,
                    "ssl_legacy",
                    false,
                    "guest_VCPUs_params",
                    Map.of(),
                    "display",
                    "enabled",
                    "virtual_hardware_platform_versions",
                    List.of(0L, 1L, 2L),
                    "control_domain",
                    Refs.NULL,
                    "iscsi_iqn",
                    "",
                    "multipathing",
                    false,
                    "uefi_certificates",
                    "",
                    "editions",
                    List.of(),
                    "tls_verification_enabled",
                    false,
                    "last_software_update",
                    DateTime.EPOCH,
                    "https_only",
                    false,
                    "latest_synced_updates_applied",
                    "unknown",
                    "numa_affinity_policy",
                    "default_policy",
                    "last_update_hash",
                    "");
            String host = Refs.fresh();
            tx.create("host", host, v);
            return host;
        }

        /** {@code create_pool_record} when there is no pool, then {@code set_master_pool_reference}. */
        private String ensurePool(String host) {
            List<String> pools = tx.getAll("pool");
            String pool;
            if (pools.isEmpty()) {
                pool = create(
                        "pool",
                        rec(
                                "name_label",
                                "",
                                "name_description",
                                "",
                                "master",
                                host,
                                "default_SR",
                                Refs.NULL,
                                "suspend_image_SR",
                                Refs.NULL,
                                "crash_dump_SR",
                                Refs.NULL,
                                "ha_enabled",
                                false,
                                "other_config",
                                smap("memory-ratio-hvm", "0.25", "memory-ratio-pv", "0.25"),
                                "ha_cluster_stack",
                                "xhad",
                                "wlb_password",
                                Refs.NULL,
                                "redo_log_vdi",
                                Refs.NULL,
                                "restrictions",
                                Map.of(),
                                "cpu_info",
                                Map.of(),
                                "coordinator_bias",
                                true,
                                "telemetry_uuid",
                                Refs.NULL,
                                "telemetry_frequency",
                                "weekly",
                                "telemetry_next_collection",
                                DateTime.EPOCH,
                                "last_update_sync",
                                DateTime.EPOCH,
                                "update_sync_frequency",
                                "weekly",
                                "local_auth_max_threads",
                                8L,
                                "ext_auth_max_threads",
                                1L,
                                "repository_proxy_password",
                                Refs.NULL));
            } else {
                pool = pools.get(0);
                if (member) return pool;
            }
            tx.set("pool", pool, "master", host);
            return pool;
        }

        /** The host's metrics; recreated when the reference is dangling (a restored database). */
        private String ensureHostMetrics(String host) {
            String m = ref("host", host, "metrics");
            if (valid("host_metrics", m)) return m;
            m = create(
                    "host_metrics",
                    rec("live", true, "memory_total", 0L, "last_updated", nowDt, "other_config", Map.of()));
            tx.set("host", host, "metrics", m);
            return m;
        }

        /**
         * {@code setup_telemetry}: without a telemetry uuid the pool gets a secret holding a fresh uuid, and
         * a next collection one day plus a random part of the (weekly) interval from now.
         */
        private String ensureTelemetry(String pool) {
            String secret = ref("pool", pool, "telemetry_uuid");
            if (valid("secret", secret)) return secret;
            secret = create("secret", rec("value", uuid(), "other_config", Map.of()));
            tx.set("pool", pool, "telemetry_uuid", secret);
            long intervalHours = switch ((String) tx.get("pool", pool, "telemetry_frequency")) {
                case "daily" -> 24;
                case "monthly" -> 30 * 24;
                default -> 7 * 24;
            };
            long seconds = 24 * 3600 + new Random().nextLong(intervalHours * 3600);
            tx.set("pool", pool, "telemetry_next_collection", DateTime.ofInstant(now.plusSeconds(seconds)));
            return secret;
        }

        /**
         * {@code record_host_memory_properties}. Simulated: there is no hypervisor, so the memory free at
         * boot is the box's memory less the control domain's, and the host's own overhead is 0.
         * ({@code host_metrics.memory_free} is a removed field; it is not stored.)
         */
        private void recordHostMemory(String host, String metrics) {
            long total = s.hardware().memTotalBytes();
            long bootFree = Math.max(0, total - dom0MemoryBytes());
            tx.set("host_metrics", metrics, "memory_total", total);
            tx.set("host", host, "boot_free_mem", bootFree);
            tx.set("host", host, "memory_overhead", 0L);
        }

        private long dom0MemoryBytes() {
            long mib;
            try {
                mib = Long.parseLong(inv.get(Inventory.DOM0_MEM));
            } catch (NumberFormatException e) {
                mib = MemoryModel.defaultDom0MemoryMib(s.hardware().memTotalBytes() / 1024);
            }
            return mib * MemoryModel.MIB;
        }

        private long dom0Vcpus() {
            try {
                return Long.parseLong(inv.get(Inventory.DOM0_VCPUS));
            } catch (NumberFormatException e) {
                return MemoryModel.defaultDom0Vcpus(s.hardware().cpuCount(), dom0MemoryBytes() / MemoryModel.MIB);
            }
        }

        /** {@code create_host_cpu}: {@code host.cpu_info}, and every {@code host_cpu} of the host recreated. */
        private List<String> createHostCpus(String host) {
            HostHardware hw = s.hardware();
            String features = facts.cpuFeatureset();
            Map<String, String> info = smap(
                    "cpu_count", Integer.toString(hw.cpuCount()),
                    "socket_count", Integer.toString(hw.socketCount()),
                    "threads_per_core", Integer.toString(hw.threadsPerCore()),
                    "nr_nodes", Integer.toString(hw.nrNodes()),
                    "vendor", hw.cpuVendor(),
                    "speed", hw.cpuSpeedMhz(),
                    "modelname", hw.cpuModelName(),
                    "family", hw.cpuFamily(),
                    "model", hw.cpuModel(),
                    "stepping", hw.cpuStepping(),
                    "flags", hw.cpuFlags(),
                    "features_pv", features,
                    "features_hvm", features,
                    "features_hvm_host", features,
                    "features_pv_host", features);
            tx.set("host", host, "cpu_info", info);
            for (var e : tx.getAllRecords("host_cpu").entrySet()) {
                if (host.equals(e.getValue().get("host"))) tx.delete("host_cpu", e.getKey());
            }
            long family = parseLongOr(hw.cpuFamily());
            long model = parseLongOr(hw.cpuModel());
            List<String> out = new ArrayList<>();
            for (int i = 0; i < hw.cpuCount(); i++) {
                out.add(create(
                        "host_cpu",
                        rec(
                                "host",
                                host,
                                "number",
                                (long) i,
                                "vendor",
                                hw.cpuVendor(),
                                "speed",
                                hw.speedMhzTruncated(),
                                "modelname",
                                hw.cpuModelName(),
                                "utilisation",
                                0.0,
                                "flags",
                                hw.cpuFlags(),
                                "stepping",
                                hw.cpuStepping(),
                                "model",
                                model,
                                "family",
                                family,
                                "features",
                                "",
                                "other_config",
                                Map.of())));
            }
            return out;
        }

        private static long parseLongOr(String s) {
            try {
                return Long.parseLong(s.strip());
            } catch (NumberFormatException e) {
                return 0;
            }
        }

        // ------------------------------------------------------------------ control domain

        /**
         * {@code ensure_domain_zero_record}: the dom0 VM is created with the fixed-size memory policy
         * (DOM0_MEM) and DOM0_VCPUS vCPUs; at later starts its memory (static-min kept when set), power
         * state, domid, name (when still the default one) and vCPUs are rewritten.
         */
        private String ensureControlDomain(String host) {
            String dom0 = byUuid("VM", inv.controlDomainUuid());
            long mem = dom0MemoryBytes();
            long vcpus = dom0Vcpus();
            String name = "Control domain on host: " + s.hostname();
            if (dom0 == null) {
                dom0 = Refs.fresh();
                tx.create(
                        "VM",
                        dom0,
                        vmRec(
                                "uuid",
                                inv.controlDomainUuid(),
                                "name_label",
                                name,
                                "name_description",
                                "The domain which manages physical devices and manages other domains",
                                "power_state",
                                "Running",
                                "user_version",
                                1L,
                                "is_a_template",
                                false,
                                "is_default_template",
                                false,
                                "suspend_VDI",
                                Refs.NULL,
                                "resident_on",
                                host,
                                "scheduled_to_be_resident_on",
                                Refs.NULL,
                                "affinity",
                                host,
                                "memory_overhead",
                                0L,
                                "memory_target",
                                mem,
                                "memory_static_max",
                                mem,
                                "memory_dynamic_max",
                                mem,
                                "memory_dynamic_min",
                                mem,
                                "memory_static_min",
                                mem,
                                "VCPUs_params",
                                Map.of(),
                                "VCPUs_max",
                                vcpus,
                                "VCPUs_at_startup",
                                vcpus,
                                "actions_after_softreboot",
                                "soft_reboot",
                                "actions_after_shutdown",
                                "destroy",
                                "actions_after_reboot",
                                "destroy",
                                "actions_after_crash",
                                "destroy",
                                "PV_bootloader",
                                "",
                                "PV_kernel",
                                "",
                                "PV_ramdisk",
                                "",
                                "PV_args",
                                "",
                                "PV_bootloader_args",
                                "",
                                "PV_legacy_args",
                                "",
                                "HVM_boot_policy",
                                "",
                                "HVM_boot_params",
                                Map.of(),
                                "HVM_shadow_multiplier",
                                1.0,
                                "platform",
                                Map.of(),
                                "PCI_bus",
                                "",
                                "other_config",
                                Map.of(),
                                "domid",
                                0L,
                                "domarch",
                                "x64",
                                "last_boot_CPU_flags",
                                Map.of(),
                                "is_control_domain",
                                true,
                                "metrics",
                                Refs.NULL,
                                "recommendations",
                                "",
                                "version",
                                0L,
                                "generation_id",
                                "",
                                "reference_label",
                                "",
                                "domain_type",
                                "pv"));
            } else {
                long staticMin = (Long) tx.get("VM", dom0, "memory_static_min");
                tx.set("VM", dom0, "memory_static_min", staticMin > 0 ? staticMin : mem);
                tx.set("VM", dom0, "memory_static_max", mem);
                tx.set("VM", dom0, "memory_dynamic_min", mem);
                tx.set("VM", dom0, "memory_dynamic_max", mem);
                tx.set("VM", dom0, "memory_target", mem);
                tx.set("VM", dom0, "requires_reboot", false);
                tx.set("VM", dom0, "power_state", "Running");
                tx.set("VM", dom0, "domid", 0L);
                tx.set("VM", dom0, "resident_on", host);
                String current = (String) tx.get("VM", dom0, "name_label");
                if (current.startsWith("Control domain on host: ")) tx.set("VM", dom0, "name_label", name);
                tx.set("VM", dom0, "VCPUs_max", vcpus);
                tx.set("VM", dom0, "VCPUs_at_startup", vcpus);
            }
            if (Refs.isNull(ref("host", host, "control_domain")) || !valid("VM", ref("host", host, "control_domain"))) {
                tx.set("host", host, "control_domain", dom0);
            }
            tx.set(
                    "VM",
                    dom0,
                    "memory_overhead",
                    MemoryModel.overheadBytes(
                            MemoryModel.Model.LINUX_PV,
                            (Long) tx.get("VM", dom0, "memory_static_max"),
                            (Long) tx.get("VM", dom0, "VCPUs_max"),
                            (Double) tx.get("VM", dom0, "HVM_shadow_multiplier")));
            return dom0;
        }

        /** Exactly one {@code rfb} and one {@code vt100} console on dom0, with Xapi's ports. Returns [rfb, vt100]. */
        private List<String> ensureControlDomainConsoles(String dom0) {
            List<String> rfb = new ArrayList<>();
            List<String> vt100 = new ArrayList<>();
            for (var e : tx.getAllRecords("console").entrySet()) {
                if (!dom0.equals(e.getValue().get("VM"))) continue;
                if ("rfb".equals(e.getValue().get("protocol"))) rfb.add(e.getKey());
                else if ("vt100".equals(e.getValue().get("protocol"))) vt100.add(e.getKey());
            }
            return List.of(
                    oneConsole(dom0, rfb, "rfb", CONSOLE_VNC_PORT),
                    oneConsole(dom0, vt100, "vt100", CONSOLE_TEXT_PORT));
        }

        private String oneConsole(String dom0, List<String> found, String protocol, long port) {
            if (found.size() == 1) {
                tx.set("console", found.get(0), "port", port);
                return found.get(0);
            }
            for (String c : found) tx.delete("console", c);
            String ref = Refs.fresh();
            tx.create(
                    "console",
                    ref,
                    rec(
                            "uuid",
                            uuid(),
                            "protocol",
                            protocol,
                            "location",
                            consoleLocation(ref, s.managementAddress()),
                            "VM",
                            dom0,
                            "other_config",
                            Map.of(),
                            "port",
                            port));
            return ref;
        }

        /** {@code https://<address>/console?ref=<console ref>}, or {@code ""} when the host has no address. */
        private static String consoleLocation(String console, String address) {
            if (address.isEmpty()) return "";
            String host = address.indexOf(':') >= 0 ? "[" + address + "]" : address;
            return "https://" + host + "/console?ref=" + console;
        }

        /**
         * {@code ensure_domain_zero_metrics_record} ({@code VCPUs_utilisation}, which Xapi also fills, is a removed
         * field and not stored).
         */
        private String ensureControlDomainMetrics(String dom0) {
            long vcpus = (Long) tx.get("VM", dom0, "VCPUs_max");
            String m = ref("VM", dom0, "metrics");
            if (!valid("VM_metrics", m)) {
                m = create(
                        "VM_metrics",
                        rec(
                                "memory_actual",
                                tx.get("VM", dom0, "memory_target"),
                                "VCPUs_number",
                                vcpus,
                                "VCPUs_CPU",
                                Map.of(),
                                "VCPUs_params",
                                Map.of(),
                                "VCPUs_flags",
                                Map.of(),
                                "state",
                                List.of(),
                                "start_time",
                                DateTime.EPOCH,
                                "install_time",
                                DateTime.EPOCH,
                                "last_updated",
                                DateTime.EPOCH,
                                "other_config",
                                Map.of(),
                                "hvm",
                                false,
                                "nomigrate",
                                false,
                                "nested_virt",
                                false,
                                "current_domain_type",
                                "pv"));
                tx.set("VM", dom0, "metrics", m);
            } else {
                tx.set("VM_metrics", m, "current_domain_type", "pv");
                tx.set("VM_metrics", m, "VCPUs_number", vcpus);
            }
            return m;
        }

        // ------------------------------------------------------------------ networks

        /**
         * The management network and PIF. At first start they are introduced as the installer does
         * ({@code pif-introduce} of {@value #MANAGEMENT_DEVICE}, static IP configuration, management on);
         * later the management flags and the address are resynchronised. Returns [network, PIF, PIF metrics].
         */
        private String[] ensureManagementNetwork(String host) {
            String bridge = inv.managementInterface().isEmpty()
                    ? Inventory.DEFAULT_MANAGEMENT_INTERFACE
                    : inv.managementInterface();
            String network = null;
            for (var e : tx.getAllRecords("network").entrySet()) {
                if (bridge.equals(e.getValue().get("bridge"))) network = e.getKey();
            }
            String pif = null;
            if (network != null) {
                for (var e : tx.getAllRecords("PIF").entrySet()) {
                    if (host.equals(e.getValue().get("host"))
                            && network.equals(e.getValue().get("network"))) pif = e.getKey();
                }
            }
            if (!firstStart && pif == null) {
                // the PIF was forgotten since: Xapi does not reintroduce it at start
                return new String[] {network == null ? Refs.NULL : network, Refs.NULL, Refs.NULL};
            }
            if (network == null) {
                network = create(
                        "network",
                        rec(
                                "name_label",
                                "Pool-wide network associated with " + MANAGEMENT_DEVICE,
                                "name_description",
                                "",
                                "MTU",
                                1500L,
                                "purpose",
                                List.of(),
                                "bridge",
                                bridge,
                                "managed",
                                true,
                                "other_config",
                                Map.of(),
                                "blobs",
                                Map.of(),
                                "tags",
                                List.of(),
                                "default_locking_mode",
                                "unlocked",
                                "assigned_ips",
                                Map.of()));
            }
            if (pif == null) {
                String metrics = create(
                        "PIF_metrics",
                        rec(
                                "carrier",
                                true,
                                "device_name",
                                "",
                                "vendor_name",
                                "",
                                "device_id",
                                "",
                                "vendor_id",
                                "",
                                "speed",
                                1000L,
                                "duplex",
                                true,
                                "pci_bus_path",
                                "",
                                "last_updated",
                                nowDt,
                                "other_config",
                                Map.of()));
                Map<String, Object> v = rec(
                        "device",
                        MANAGEMENT_DEVICE,
                        "device_name",
                        MANAGEMENT_DEVICE,
                        "network",
                        network,
                        "host",
                        host,
                        "MAC",
                        macAddress(),
                        "MTU",
                        1500L,
                        "VLAN",
                        -1L,
                        "metrics",
                        metrics,
                        "physical",
                        true,
                        "currently_attached",
                        true,
                        "igmp_snooping_status",
                        "unknown",
                        "bond_slave_of",
                        Refs.NULL,
                        "VLAN_master_of",
                        Refs.NULL,
                        "management",
                        true,
                        "other_config",
                        Map.of(),
                        "disallow_unplug",
                        false,
                        "ipv6_gateway",
                        "",
                        "primary_address_type",
                        inv.managementAddressType(),
                        "managed",
                        true,
                        "properties",
                        smap("gro", "on"),
                        "capabilities",
                        List.of(),
                        "PCI",
                        Refs.NULL,
                        "DNS",
                        "");
                pif = create("PIF", v);
                configureAddress(pif);
            } else {
                // update_management_flags and the address refresh
                for (var e : tx.getAllRecords("PIF").entrySet()) {
                    if (!host.equals(e.getValue().get("host"))) continue;
                    boolean mgmt = e.getKey().equals(pif);
                    tx.set("PIF", e.getKey(), "management", mgmt);
                }
                tx.set("PIF", pif, "currently_attached", true);
                configureAddress(pif);
            }
            String metrics = ref("PIF", pif, "metrics");
            if (!valid("PIF_metrics", metrics)) {
                metrics = create(
                        "PIF_metrics",
                        rec(
                                "carrier",
                                true,
                                "speed",
                                1000L,
                                "duplex",
                                true,
                                "last_updated",
                                nowDt,
                                "other_config",
                                Map.of()));
                tx.set("PIF", pif, "metrics", metrics);
            }
            tx.set("PIF_metrics", metrics, "carrier", true);
            tx.set("PIF_metrics", metrics, "last_updated", nowDt);
            return new String[] {network, pif, metrics};
        }

        /** The management address as the PIF's static IPv4 (or IPv6) configuration. */
        private void configureAddress(String pif) {
            if (s.ipv6()) {
                tx.set("PIF", pif, "ip_configuration_mode", "None");
                tx.set("PIF", pif, "ipv6_configuration_mode", "Static");
                tx.set("PIF", pif, "IPv6", List.of(s.managementAddress() + "/64"));
                tx.set("PIF", pif, "ipv6_gateway", s.managementGateway());
                tx.set("PIF", pif, "primary_address_type", "IPv6");
            } else {
                tx.set("PIF", pif, "ip_configuration_mode", "Static");
                tx.set("PIF", pif, "IP", s.managementAddress());
                tx.set("PIF", pif, "netmask", s.effectiveNetmask());
                tx.set("PIF", pif, "gateway", s.managementGateway());
            }
        }

        /** A stable, locally administered MAC for the simulated NIC, from the installation uuid. */
        private String macAddress() {
            String hex = inv.installationUuid().replace("-", "");
            StringBuilder sb = new StringBuilder("02");
            for (int i = 0; i < 10; i += 2) sb.append(':').append(hex, i, i + 2);
            return sb.toString();
        }

        /** {@code create_guest_installer_network}: the host internal management network, bridge {@code xenapi}. */
        private String ensureInternalNetwork() {
            for (var e : tx.getAllRecords("network").entrySet()) {
                @SuppressWarnings("unchecked")
                Map<String, String> oc = (Map<String, String>) e.getValue().get("other_config");
                if ("true".equals(oc.get("is_host_internal_management_network"))
                        || "true".equals(oc.get("is_guest_installer_network"))) {
                    tx.set("network", e.getKey(), "bridge", INTERNAL_NETWORK_BRIDGE);
                    return e.getKey();
                }
            }
            return create(
                    "network",
                    rec(
                            "name_label",
                            INTERNAL_NETWORK_NAME,
                            "name_description",
                            INTERNAL_NETWORK_DESCRIPTION,
                            "MTU",
                            1500L,
                            "bridge",
                            INTERNAL_NETWORK_BRIDGE,
                            "managed",
                            true,
                            "purpose",
                            List.of(),
                            "other_config",
                            smap(
                                    "is_guest_installer_network",
                                    "true",
                                    "is_host_internal_management_network",
                                    "true",
                                    "ip_begin",
                                    "169.254.0.1",
                                    "ip_end",
                                    "169.254.255.254",
                                    "netmask",
                                    "255.255.0.0"),
                            "blobs",
                            Map.of(),
                            "tags",
                            List.of(),
                            "default_locking_mode",
                            "unlocked",
                            "assigned_ips",
                            Map.of()));
        }

        // ------------------------------------------------------------------ storage

        /** {@code Storage_access.on_xapi_start} for the drivers we have: one SM record per type, updated in place. */
        private Map<String, String> ensureSmRecords() {
            Map<String, String> out = new LinkedHashMap<>();
            Map<String, Map<String, Object>> all = tx.getAllRecords("SM");
            for (SmDriver d : facts.smDrivers()) {
                List<String> caps = facts.knownCapabilities(d.capabilities());
                Map<String, Long> features = new LinkedHashMap<>();
                for (String c : caps) features.put(c, 1L);
                Map<String, Object> v = rec(
                        "type",
                        d.type(),
                        "name_label",
                        d.name(),
                        "name_description",
                        d.description(),
                        "vendor",
                        d.vendor(),
                        "copyright",
                        d.copyright(),
                        "version",
                        d.driverVersion(),
                        "required_api_version",
                        d.requiredApiVersion(),
                        "capabilities",
                        caps,
                        "features",
                        features,
                        "configuration",
                        d.configuration(),
                        "driver_filename",
                        s.smDirectory() + "/" + d.stem() + "SR",
                        "required_cluster_stack",
                        List.of());
                String sm = null;
                for (var e : all.entrySet()) {
                    if (d.type().equals(e.getValue().get("type"))) sm = e.getKey();
                }
                if (sm == null) {
                    v.put("other_config", Map.of());
                    v.put("host_pending_features", Map.of());
                    sm = create("SM", v);
                } else {
                    for (var f : v.entrySet()) tx.set("SM", sm, f.getKey(), f.getValue());
                }
                out.put(d.type(), sm);
            }
            return out;
        }

        private Map<String, Object> srValues(
                String name,
                String description,
                String type,
                String contentType,
                boolean shared,
                Map<String, String> smConfig,
                Map<String, String> otherConfig,
                Disk disk) {
            return rec(
                    "name_label",
                    name,
                    "name_description",
                    description,
                    "allowed_operations",
                    List.of(),
                    "current_operations",
                    Map.of(),
                    "virtual_allocation",
                    0L,
                    "physical_utilisation",
                    disk == null ? 0L : disk.used(),
                    "physical_size",
                    disk == null ? 0L : disk.size(),
                    "type",
                    type,
                    "content_type",
                    contentType,
                    "shared",
                    shared,
                    "other_config",
                    otherConfig,
                    "default_vdi_visibility",
                    true,
                    "sm_config",
                    smConfig,
                    "blobs",
                    Map.of(),
                    "tags",
                    List.of(),
                    "local_cache_enabled",
                    false,
                    "introduced_by",
                    Refs.NULL,
                    "clustered",
                    false,
                    "is_tools_sr",
                    false);
        }

        private String createPbd(String sr, String host, Map<String, String> deviceConfig) {
            return create(
                    "PBD",
                    rec(
                            "host",
                            host,
                            "SR",
                            sr,
                            "device_config",
                            deviceConfig,
                            "currently_attached",
                            true,
                            "other_config",
                            Map.of()));
        }

        /**
         * The installer's local SR ({@code storage-init}): "Local storage" of type {@code file} on the
         * configured directory, tagged for XenCenter's translation, the pool's default SR and the host's
         * suspend-image and crash-dump SR.
         */
        private String createLocalSr(String host, String pool) {
            String sr = create(
                    "SR",
                    srValues(
                            LOCAL_STORAGE,
                            "",
                            "file",
                            "user",
                            false,
                            Map.of(),
                            smap("i18n-key", "local-storage", "i18n-original-value-name_label", LOCAL_STORAGE),
                            localDisk));
            createPbd(sr, host, smap("location", s.localSrPath().toString()));
            if (!member) tx.set("pool", pool, "default_SR", sr);
            tx.set("host", host, "crash_dump_sr", sr);
            tx.set("host", host, "suspend_image_sr", sr);
            return sr;
        }

        /** A udev SR of {@code storage-init} ("Removable storage" for disks, "DVD drives" for CDs). */
        private String createUdevSr(
                String host,
                String name,
                String description,
                String contentType,
                String smType,
                String location,
                String i18nKey) {
            Map<String, String> oc = smap("i18n-key", i18nKey, "i18n-original-value-name_label", name);
            if (!description.isEmpty()) oc.put("i18n-original-value-name_description", description);
            String sr = create(
                    "SR", srValues(name, description, "udev", contentType, false, smap("type", smType), oc, null));
            createPbd(sr, host, smap("location", location));
            return sr;
        }

        /** An SR the installer made, found by its {@code i18n-key} and a PBD on this host; NULL when gone. */
        private String findInstallSr(String host, String i18nKey) {
            for (var e : tx.getAllRecords("SR").entrySet()) {
                @SuppressWarnings("unchecked")
                Map<String, String> oc = (Map<String, String>) e.getValue().get("other_config");
                if (i18nKey.equals(oc.get("i18n-key")) && !Refs.isNull(pbdOf(e.getKey(), host))) return e.getKey();
            }
            return Refs.NULL;
        }

        private String pbdOf(String sr, String host) {
            if (Refs.isNull(sr)) return Refs.NULL;
            for (var e : tx.getAllRecords("PBD").entrySet()) {
                if (sr.equals(e.getValue().get("SR"))
                        && host.equals(e.getValue().get("host"))) return e.getKey();
            }
            return Refs.NULL;
        }

        /**
         * {@code create_tools_sr} (XCP-ng enables {@code create-tools-sr}): exactly one tools SR, named after
         * the product brand, with its tags, and a PBD on this host whose device config points at the tools
         * directory.
         */
        private String ensureToolsSr(String host) {
            String name = inv.get(Inventory.PRODUCT_BRAND) + " Tools";
            String description = name + " ISOs";
            Map<String, String> required = smap(
                    "xensource_internal",
                    "true",
                    "xenserver_tools_sr",
                    "true",
                    "i18n-key",
                    "xenserver-tools",
                    "i18n-original-value-name_label",
                    name,
                    "i18n-original-value-name_description",
                    description);
            String dir = s.toolsIsoPath().toString();
            Map<String, String> deviceConfig = smap("path", dir, "location", dir, "legacy_mode", "true");
            List<String> tools = new ArrayList<>();
            List<String> old = new ArrayList<>();
            for (var e : tx.getAllRecords("SR").entrySet()) {
                @SuppressWarnings("unchecked")
                Map<String, String> oc = (Map<String, String>) e.getValue().get("other_config");
                if (Boolean.TRUE.equals(e.getValue().get("is_tools_sr"))) tools.add(e.getKey());
                else if (oc.containsKey("xenserver_tools_sr") || oc.containsKey("xensource_internal"))
                    old.add(e.getKey());
            }
            String sr;
            if (!tools.isEmpty()) {
                sr = tools.get(0);
                for (String x : tools.subList(1, tools.size())) destroySr(x);
                for (String x : old) destroySr(x);
            } else if (!old.isEmpty()) {
                sr = old.get(0);
                tx.set("SR", sr, "is_tools_sr", true);
                for (String x : old.subList(1, old.size())) destroySr(x);
            } else {
                sr = create("SR", srValues(name, description, "iso", "iso", true, Map.of(), required, toolsDisk));
                tx.set("SR", sr, "is_tools_sr", true);
                for (String h : tx.getAll("host")) createPbd(sr, h, deviceConfig);
            }
            tx.set("SR", sr, "name_label", name);
            tx.set("SR", sr, "name_description", description);
            Map<String, String> oc = new LinkedHashMap<>();
            stringMap("SR", sr, "other_config").forEach((k, v) -> {
                if (!required.containsKey(k)) oc.put(k, v);
            });
            oc.putAll(required);
            tx.set("SR", sr, "other_config", oc);
            if (Refs.isNull(pbdOf(sr, host))) createPbd(sr, host, deviceConfig);
            for (var e : tx.getAllRecords("PBD").entrySet()) {
                if (sr.equals(e.getValue().get("SR"))) tx.set("PBD", e.getKey(), "device_config", deviceConfig);
            }
            return sr;
        }

        /** Deletes a redundant SR with its PBDs (its VDIs, if any, go too, so no reference dangles). */
        private void destroySr(String sr) {
            for (var e : tx.getAllRecords("PBD").entrySet()) {
                if (sr.equals(e.getValue().get("SR"))) tx.delete("PBD", e.getKey());
            }
            for (var e : tx.getAllRecords("VDI").entrySet()) {
                if (sr.equals(e.getValue().get("SR"))) tx.delete("VDI", e.getKey());
            }
            tx.delete("SR", sr);
        }

        /**
         * {@code resynchronise_pbds} then the start-time plug and scan, simulated: a PBD of this host is
         * attached when its SR's backing exists (the directory of a {@code file} or {@code iso} SR; udev SRs
         * always); the local and tools SR sizes are measured again.
         */
        private void resyncPbds(String host) {
            for (var e : tx.getAllRecords("PBD").entrySet()) {
                if (!host.equals(e.getValue().get("host"))) continue;
                String sr = (String) e.getValue().get("SR");
                if (!valid("SR", sr)) continue;
                String type = (String) tx.get("SR", sr, "type");
                @SuppressWarnings("unchecked")
                Map<String, String> dc = (Map<String, String>) e.getValue().get("device_config");
                boolean attached = switch (type) {
                    case "file", "iso" -> dc.containsKey("location") && Files.isDirectory(Path.of(dc.get("location")));
                    case "udev" -> true;
                    default -> (Boolean) e.getValue().get("currently_attached");
                };
                tx.set("PBD", e.getKey(), "currently_attached", attached);
                String location = dc.get("location");
                Disk d = location == null
                        ? null
                        : location.equals(s.localSrPath().toString())
                                ? localDisk
                                : location.equals(s.toolsIsoPath().toString()) ? toolsDisk : null;
                if (d != null && attached) {
                    tx.set("SR", sr, "physical_size", d.size());
                    tx.set("SR", sr, "physical_utilisation", d.used());
                }
            }
        }

        // ------------------------------------------------------------------ host information

        /**
         * {@code refresh_localhost_info} plus the BIOS strings and chipset info syncs: software version, API
         * version, platform versions, hostname, capabilities, boot and agent start times, local storage.
         */
        private void refreshHostInfo(String host) {
            tx.set("host", host, "software_version", softwareVersion());
            tx.set("host", host, "API_version_major", dm.apiVersionMajor());
            tx.set("host", host, "API_version_minor", dm.apiVersionMinor());
            tx.set("host", host, "API_version_vendor", dm.apiVersionVendor());
            tx.set("host", host, "API_version_vendor_implementation", dm.apiVersionVendorImplementation());
            tx.set("host", host, "virtual_hardware_platform_versions", List.of(0L, 1L, 2L));
            tx.set("host", host, "hostname", s.hostname());
            tx.set("host", host, "capabilities", facts.xenCapabilities());
            Map<String, String> oc = stringMap("host", host, "other_config");
            oc.remove("boot_time");
            oc.put("boot_time", ocamlSeconds(s.hardware().bootTime().getEpochSecond()));
            oc.remove("agent_start_time");
            oc.put("agent_start_time", ocamlSeconds(now.getEpochSecond()));
            oc.remove("no_local_storage");
            tx.set("host", host, "other_config", oc);
            tx.set("host", host, "bios_strings", biosStrings());
            tx.set("host", host, "chipset_info", facts.chipsetInfo());
        }

        /** {@code make_software_version}, with XCP-ng 8.3's product keys from the inventory. */
        private Map<String, String> softwareVersion() {
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
            sv.put("linux", s.hardware().linuxVersion());
            String api = dm.apiVersionMajor() + "." + dm.apiVersionMinor();
            sv.put("xencenter_min", api);
            sv.put("xencenter_max", api);
            sv.put("network_backend", facts.networkBackend());
            sv.put("db_schema", dm.schemaMajor() + "." + dm.schemaMinor());
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
            Map<String, String> b = new LinkedHashMap<>(s.hardware().dmi());
            b.put("oem-1", "Xen");
            b.put("oem-2", "MS_VM_CERT/SHA1/bdbeb6e0a816d43fa6d3fe8aaef04c2bad9d3e3d");
            b.put("hp-rombios", "");
            return b;
        }

        /**
         * {@code License_init.initialise} with XCP-ng's v6d ({@code xcp-featured}): editions, the
         * {@code xcp-ng} edition, its licence params; then the pool restrictions, which for these flags are
         * the host's own values ({@code update_pool_features} over every host).
         */
        private void applyLicence(String host, String pool) {
            tx.set("host", host, "editions", facts.editions());
            tx.set("host", host, "edition", facts.edition());
            tx.set("host", host, "license_params", facts.licenseParams());
            Map<String, String> restrictions = new LinkedHashMap<>(facts.licenseParams());
            for (String h : tx.getAll("host")) {
                @SuppressWarnings("unchecked")
                Map<String, String> lp = (Map<String, String>) tx.get("host", h, "license_params");
                restrictions.replaceAll((flag, v) -> combine(flag, v, lp.get(flag)));
            }
            tx.set("pool", pool, "restrictions", restrictions);
        }

        /** A pool flag from two hosts' values: restricted when either restricts it (or lacks it). */
        private static String combine(String flag, String a, String b) {
            boolean positive = flag.startsWith("enable_");
            boolean av = Boolean.parseBoolean(a);
            boolean bv = b != null && Boolean.parseBoolean(b);
            if (b == null) return positive ? "false" : "true";
            return Boolean.toString(positive ? av && bv : av || bv);
        }

        /** {@code create_pool_cpuinfo}: vendor, summed counts and the (single-host) host featuresets. */
        @SuppressWarnings("unchecked")
        private void updatePoolCpuInfo(String pool) {
            String vendor = "";
            long sockets = 0;
            long cpus = 0;
            String pvHost = "";
            String hvmHost = "";
            for (String h : tx.getAll("host")) {
                Map<String, String> ci = (Map<String, String>) tx.get("host", h, "cpu_info");
                if (!ci.containsKey("features_pv_host")) continue;
                vendor = ci.getOrDefault("vendor", vendor);
                cpus += parseLongOr(ci.getOrDefault("cpu_count", "0"));
                sockets += parseLongOr(ci.getOrDefault("socket_count", "0"));
                pvHost = pvHost.isEmpty() ? ci.get("features_pv_host") : pvHost;
                hvmHost = hvmHost.isEmpty() ? ci.getOrDefault("features_hvm_host", "") : hvmHost;
            }
            tx.set(
                    "pool",
                    pool,
                    "cpu_info",
                    smap(
                            "vendor",
                            vendor,
                            "socket_count",
                            Long.toString(sockets),
                            "cpu_count",
                            Long.toString(cpus),
                            "features_pv_host",
                            pvHost,
                            "features_hvm_host",
                            hvmHost));
        }

        /** {@code ensure_vm_metrics_records_exist}: every VM without valid metrics gets an empty record. */
        private void ensureVmMetrics() {
            for (String vm : tx.getAll("VM")) {
                if (valid("VM_metrics", ref("VM", vm, "metrics"))) continue;
                tx.set("VM", vm, "metrics", newVmMetrics());
            }
        }

        /** The empty metrics {@code VM.create} and {@code ensure_vm_metrics_records_exist} give a VM. */
        private String newVmMetrics() {
            return create(
                    "VM_metrics",
                    rec(
                            "memory_actual",
                            0L,
                            "VCPUs_number",
                            0L,
                            "VCPUs_CPU",
                            Map.of(),
                            "VCPUs_params",
                            Map.of(),
                            "VCPUs_flags",
                            Map.of(),
                            "state",
                            List.of(),
                            "start_time",
                            DateTime.EPOCH,
                            "install_time",
                            DateTime.EPOCH,
                            "last_updated",
                            DateTime.EPOCH,
                            "other_config",
                            Map.of(),
                            "hvm",
                            false,
                            "nested_virt",
                            false,
                            "nomigrate",
                            false,
                            "current_domain_type",
                            "unspecified"));
        }

        /** {@code refresh_console_urls}: every console's location from its VM's host address. */
        private void refreshConsoleUrls() {
            for (var e : tx.getAllRecords("console").entrySet()) {
                String vm = (String) e.getValue().get("VM");
                if (!valid("VM", vm)) continue;
                String host = ref("VM", vm, "resident_on");
                if (!valid("host", host)) continue;
                tx.set("console", e.getKey(), "location", consoleLocation(e.getKey(), (String)
                        tx.get("host", host, "address")));
            }
        }

        /**
         * An IQN as {@code generate-iscsi-iqn} makes it: {@code iqn.<year-month>.<reversed DNS domain>:<8 hex>},
         * the domain being the host name's (example.com without one).
         */
        private String iscsiIqn() {
            int dot = s.hostname().indexOf('.');
            String domain =
                    dot > 0 && dot < s.hostname().length() - 1 ? s.hostname().substring(dot + 1) : "example.com";
            List<String> labels = new ArrayList<>(List.of(domain.split("\\.")));
            java.util.Collections.reverse(labels);
            String month = DateTimeFormatter.ofPattern("yyyy-MM").format(now.atOffset(ZoneOffset.UTC));
            return "iqn." + month + "." + String.join(".", labels) + ":" + uuid().substring(0, 8);
        }

        // ------------------------------------------------------------------ templates

        /**
         * The default templates, imported at first start as the template service does (full restore: their
         * own uuids, version 1, a MAC seed, {@code is_default_template} and {@code other_config:default_template}
         * true). At later starts the existing ones are only reported.
         */
        private Map<String, String> ensureTemplates() {
            Map<String, String> out = new LinkedHashMap<>();
            for (Template t : TemplateCatalog.templates()) {
                String vm = byUuid("VM", t.uuid());
                if (vm == null && firstStart) vm = createTemplate(t);
                if (vm != null) out.put(t.uuid(), vm);
            }
            return out;
        }

        private String createTemplate(Template t) {
            Map<String, String> oc = new LinkedHashMap<>();
            oc.put("default_template", "true");
            oc.put("mac_seed", uuid());
            oc.putAll(t.otherConfig());
            String vm = Refs.fresh();
            tx.create(
                    "VM",
                    vm,
                    vmRec(
                            "uuid",
                            t.uuid(),
                            "name_label",
                            t.nameLabel(),
                            "name_description",
                            t.nameDescription(),
                            "power_state",
                            "Halted",
                            "user_version",
                            1L,
                            "is_a_template",
                            true,
                            "is_default_template",
                            true,
                            "suspend_VDI",
                            Refs.NULL,
                            "resident_on",
                            Refs.NULL,
                            "scheduled_to_be_resident_on",
                            Refs.NULL,
                            "affinity",
                            Refs.NULL,
                            "memory_overhead",
                            MemoryModel.overheadBytes(
                                    MemoryModel.Model.HVM, t.memoryStaticMax(), t.vcpusMax(), t.hvmShadowMultiplier()),
                            "memory_target",
                            0L,
                            "memory_static_max",
                            t.memoryStaticMax(),
                            "memory_dynamic_max",
                            t.memoryDynamicMax(),
                            "memory_dynamic_min",
                            t.memoryDynamicMin(),
                            "memory_static_min",
                            t.memoryStaticMin(),
                            "VCPUs_params",
                            Map.of(),
                            "VCPUs_max",
                            t.vcpusMax(),
                            "VCPUs_at_startup",
                            t.vcpusAtStartup(),
                            "actions_after_softreboot",
                            "soft_reboot",
                            "actions_after_shutdown",
                            "destroy",
                            "actions_after_reboot",
                            "restart",
                            "actions_after_crash",
                            "restart",
                            "PV_bootloader",
                            "",
                            "PV_kernel",
                            "",
                            "PV_ramdisk",
                            "",
                            "PV_args",
                            "",
                            "PV_bootloader_args",
                            "",
                            "PV_legacy_args",
                            "",
                            "HVM_boot_policy",
                            t.hvmBootPolicy(),
                            "HVM_boot_params",
                            t.hvmBootParams(),
                            "HVM_shadow_multiplier",
                            t.hvmShadowMultiplier(),
                            "platform",
                            t.platform(),
                            "PCI_bus",
                            "",
                            "other_config",
                            oc,
                            "domid",
                            -1L,
                            "domarch",
                            "",
                            "last_boot_CPU_flags",
                            Map.of(),
                            "is_control_domain",
                            false,
                            "metrics",
                            newVmMetrics(),
                            "recommendations",
                            t.recommendations(),
                            "version",
                            1L,
                            "generation_id",
                            t.generationId(),
                            "reference_label",
                            t.referenceLabel(),
                            "domain_type",
                            t.hvmBootPolicy().isEmpty() ? "pv" : "hvm"));
            return vm;
        }
    }
}
