package org.xapijava.server.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.Database;
import org.xapijava.db.DurableDatabase;
import org.xapijava.db.LocalDb;
import org.xapijava.model.ClassDef;
import org.xapijava.model.Datamodel;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;

class StartupSyncTest {
    private final Datamodel dm = Datamodel.get();

    @TempDir
    Path dir;

    static HostHardware hardware() {
        return new HostHardware(
                8,
                1,
                2,
                1,
                "GenuineIntel",
                "Intel(R) Xeon(R) CPU E5-2630 v4 @ 2.20GHz",
                "6",
                "79",
                "1",
                "2199.998",
                "fpu vme de pse",
                16L << 30,
                "6.1.0-18-amd64",
                Instant.ofEpochSecond(1_700_000_000L),
                Map.of("bios-vendor", "SeaBIOS", "system-manufacturer", "QEMU"));
    }

    private BootstrapSettings settings(String address, Clock clock) {
        Inventory inv = Inventory.fresh(hardware());
        return new BootstrapSettings(
                "xcp-test.lab.example.org",
                address,
                "",
                "",
                inv,
                dir.resolve("sr"),
                dir.resolve("iso"),
                BootstrapSettings.DEFAULT_SM_DIRECTORY,
                hardware(),
                clock);
    }

    private BootstrapSettings settings() {
        return settings("127.0.0.1", Clock.fixed(Instant.parse("2026-03-01T10:00:00Z"), ZoneOffset.UTC));
    }

    private static Map<String, Integer> counts(Database db) {
        Map<String, Integer> m = new HashMap<>();
        for (ClassDef c : db.datamodel().classes())
            m.put(c.name(), db.getAll(c.name()).size());
        return m;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> smap(Database db, String cls, String ref, String field) {
        return (Map<String, String>) db.get(cls, ref, field);
    }

    @Test
    void firstStartCreatesTheHostObjectsWithValidReferences() {
        Database db = Database.empty(dm);
        BootstrapSettings s = settings();
        HostObjects o = StartupSync.run(new LocalDb(db), s);

        assertTrue(o.firstStart());
        assertEquals(List.of(), RefIntegrity.dangling(db));
        assertEquals(1, db.getAll("pool").size());
        assertEquals(1, db.getAll("host").size());
        assertEquals(8, db.getAll("host_cpu").size());
        assertEquals(8, o.hostCpus().size());

        // host
        assertEquals(s.inventory().installationUuid(), db.get("host", o.host(), "uuid"));
        assertEquals("xcp-test.lab.example.org", db.get("host", o.host(), "name_label"));
        assertEquals("xcp-test.lab.example.org", db.get("host", o.host(), "hostname"));
        assertEquals("127.0.0.1", db.get("host", o.host(), "address"));
        assertEquals(Boolean.TRUE, db.get("host", o.host(), "enabled"));
        assertEquals(dm.apiVersionMajor(), db.get("host", o.host(), "API_version_major"));
        assertEquals(dm.apiVersionMinor(), db.get("host", o.host(), "API_version_minor"));
        assertEquals("XenSource", db.get("host", o.host(), "API_version_vendor"));
        assertEquals(o.controlDomain(), db.get("host", o.host(), "control_domain"));
        assertEquals(o.hostMetrics(), db.get("host", o.host(), "metrics"));
        assertEquals("xcp-ng", db.get("host", o.host(), "edition"));
        assertEquals(List.of(0L, 1L, 2L), db.get("host", o.host(), "virtual_hardware_platform_versions"));
        Map<String, String> sv = smap(db, "host", o.host(), "software_version");
        assertEquals("XCP-ng", sv.get("product_brand"));
        assertEquals("8.3.0", sv.get("product_version"));
        assertEquals("3.4.0", sv.get("platform_version"));
        assertEquals("5.909", sv.get("db_schema"));
        assertEquals("2.23", sv.get("xencenter_max"));
        assertEquals("6.1.0-18-amd64", sv.get("linux"));
        Map<String, String> cpu = smap(db, "host", o.host(), "cpu_info");
        assertEquals("8", cpu.get("cpu_count"));
        assertEquals("1", cpu.get("socket_count"));
        assertEquals("2", cpu.get("threads_per_core"));
        assertEquals("GenuineIntel", cpu.get("vendor"));
        Map<String, String> hoc = smap(db, "host", o.host(), "other_config");
        assertEquals("1700000000.", hoc.get("boot_time"));
        assertEquals("1772359200.", hoc.get("agent_start_time"));
        String iqn = (String) db.get("host", o.host(), "iscsi_iqn");
        assertTrue(iqn.matches("iqn\\.2026-03\\.org\\.example\\.lab:[0-9a-f]{8}"), iqn);
        assertEquals(iqn, hoc.get("iscsi_iqn"));
        assertEquals("true", smap(db, "host", o.host(), "license_params").get("restrict_corosync"));
        assertEquals("false", smap(db, "host", o.host(), "license_params").get("restrict_read_caching"));
        assertEquals("true", smap(db, "host", o.host(), "license_params").get("enable_xha"));
        assertEquals("SeaBIOS", smap(db, "host", o.host(), "bios_strings").get("bios-vendor"));
        assertEquals("Xen", smap(db, "host", o.host(), "bios_strings").get("oem-1"));
        assertEquals(Boolean.TRUE, db.get("host_metrics", o.hostMetrics(), "live"));
        assertEquals(16L << 30, db.get("host_metrics", o.hostMetrics(), "memory_total"));
        assertEquals(
                DateTime.ofInstant(Instant.parse("2026-03-01T10:00:00Z")),
                db.get("host_metrics", o.hostMetrics(), "last_updated"));

        // pool
        assertEquals(o.host(), db.get("pool", o.pool(), "master"));
        assertEquals(o.localSr(), db.get("pool", o.pool(), "default_SR"));
        assertEquals(Refs.NULL, db.get("pool", o.pool(), "suspend_image_SR"));
        assertEquals("xhad", db.get("pool", o.pool(), "ha_cluster_stack"));
        assertEquals(
                Map.of("memory-ratio-hvm", "0.25", "memory-ratio-pv", "0.25"),
                smap(db, "pool", o.pool(), "other_config"));
        assertEquals(smap(db, "host", o.host(), "license_params"), smap(db, "pool", o.pool(), "restrictions"));
        assertEquals("8", smap(db, "pool", o.pool(), "cpu_info").get("cpu_count"));
        assertEquals(o.telemetrySecret(), db.get("pool", o.pool(), "telemetry_uuid"));

        // control domain
        String dom0 = o.controlDomain();
        assertEquals(s.inventory().controlDomainUuid(), db.get("VM", dom0, "uuid"));
        assertEquals("Control domain on host: xcp-test.lab.example.org", db.get("VM", dom0, "name_label"));
        assertEquals(Boolean.TRUE, db.get("VM", dom0, "is_control_domain"));
        assertEquals("Running", db.get("VM", dom0, "power_state"));
        assertEquals(0L, db.get("VM", dom0, "domid"));
        assertEquals(o.host(), db.get("VM", dom0, "resident_on"));
        assertEquals(1856L << 20, db.get("VM", dom0, "memory_static_max"));
        assertEquals(1856L << 20, db.get("VM", dom0, "memory_target"));
        assertEquals(4L, db.get("VM", dom0, "VCPUs_max"));
        assertEquals(21L << 20, db.get("VM", dom0, "memory_overhead"));
        assertEquals(List.of(dom0), db.get("host", o.host(), "resident_VMs"));
        assertEquals(4L, db.get("VM_metrics", o.controlDomainMetrics(), "VCPUs_number"));
        assertEquals("rfb", db.get("console", o.controlDomainConsoles().get(0), "protocol"));
        assertEquals(5900L, db.get("console", o.controlDomainConsoles().get(0), "port"));
        assertEquals(
                "https://127.0.0.1/console?ref=" + o.controlDomainConsoles().get(1),
                db.get("console", o.controlDomainConsoles().get(1), "location"));

        // networks
        assertEquals("xenbr0", db.get("network", o.managementNetwork(), "bridge"));
        assertEquals(Boolean.TRUE, db.get("PIF", o.managementPif(), "management"));
        assertEquals("eth0", db.get("PIF", o.managementPif(), "device"));
        assertEquals("Static", db.get("PIF", o.managementPif(), "ip_configuration_mode"));
        assertEquals("127.0.0.1", db.get("PIF", o.managementPif(), "IP"));
        assertEquals("255.0.0.0", db.get("PIF", o.managementPif(), "netmask"));
        assertEquals(List.of(o.managementPif()), db.get("host", o.host(), "PIFs"));
        assertEquals("xenapi", db.get("network", o.internalManagementNetwork(), "bridge"));

        // storage
        assertEquals("Local storage", db.get("SR", o.localSr(), "name_label"));
        assertEquals("file", db.get("SR", o.localSr(), "type"));
        assertEquals(
                Map.of("location", dir.resolve("sr").toString()), smap(db, "PBD", o.localSrPbd(), "device_config"));
        assertEquals(Boolean.TRUE, db.get("PBD", o.localSrPbd(), "currently_attached"));
        assertTrue((Long) db.get("SR", o.localSr(), "physical_size") > 0);
        assertEquals(o.localSr(), db.get("host", o.host(), "suspend_image_sr"));
        assertEquals(o.localSr(), db.get("host", o.host(), "crash_dump_sr"));
        assertEquals("udev", db.get("SR", o.dvdDrivesSr(), "type"));
        assertEquals("Physical DVD drives", db.get("SR", o.dvdDrivesSr(), "name_description"));
        assertEquals(Map.of("type", "block"), smap(db, "SR", o.removableStorageSr(), "sm_config"));
        assertEquals("XCP-ng Tools", db.get("SR", o.toolsSr(), "name_label"));
        assertEquals(Boolean.TRUE, db.get("SR", o.toolsSr(), "is_tools_sr"));
        assertEquals(Boolean.TRUE, db.get("SR", o.toolsSr(), "shared"));
        assertEquals("true", smap(db, "PBD", o.toolsSrPbd(), "device_config").get("legacy_mode"));
        assertEquals(4, db.getAll("PBD").size());
        assertEquals(3, db.getAll("SM").size());
        assertEquals("Local Path VHD", db.get("SM", o.smByType().get("file"), "name_label"));
        assertEquals("/opt/xensource/sm/FileSR", db.get("SM", o.smByType().get("file"), "driver_filename"));
        @SuppressWarnings("unchecked")
        List<String> caps = (List<String>) db.get("SM", o.smByType().get("file"), "capabilities");
        assertFalse(caps.contains("ATOMIC_PAUSE"));
        assertTrue(caps.contains("VDI_ACTIVATE"));
        assertEquals(caps.stream().sorted().toList(), caps);
        assertTrue(Files.isDirectory(dir.resolve("sr")));
        assertTrue(Files.isDirectory(dir.resolve("iso")));

        // root user
        assertEquals("root", db.get("user", o.rootUser(), "short_name"));
    }

    @Test
    void templatesAreDefaultTemplatesWithTheirOtherConfig() {
        Database db = Database.empty(dm);
        HostObjects o = StartupSync.run(new LocalDb(db), settings());
        assertEquals(TemplateCatalog.templates().size(), o.templatesByUuid().size());
        assertTrue(o.templatesByUuid().size() >= 6);
        for (String vm : o.templatesByUuid().values()) {
            assertEquals(Boolean.TRUE, db.get("VM", vm, "is_a_template"));
            assertEquals(Boolean.TRUE, db.get("VM", vm, "is_default_template"));
            assertEquals("Halted", db.get("VM", vm, "power_state"));
            assertEquals(-1L, db.get("VM", vm, "domid"));
            assertEquals("hvm", db.get("VM", vm, "domain_type"));
            Map<String, String> oc = smap(db, "VM", vm, "other_config");
            assertEquals("true", oc.get("default_template"), vm);
            assertTrue(oc.get("mac_seed").matches("[0-9a-f-]{36}"));
            assertNotNull(oc.get("install-methods"));
            assertTrue(((String) db.get("VM", vm, "recommendations")).startsWith("<restrictions>"));
            assertTrue(Refs.isNull((String) db.get("VM", vm, "resident_on")));
            assertTrue(db.exists("VM_metrics", (String) db.get("VM", vm, "metrics")));
        }
        List<String> names = o.templatesByUuid().values().stream()
                .map(vm -> (String) db.get("VM", vm, "name_label"))
                .toList();
        for (String n : List.of(
                "Other install media",
                "Debian Bookworm 12",
                "Ubuntu Jammy Jellyfish 22.04",
                "CentOS Stream 9",
                "Rocky Linux 9",
                "AlmaLinux 9")) {
            assertTrue(names.contains(n), n);
        }
        String debian = db.getByUuid("VM", "07d91aaa-43f7-430a-bf84-0edb6714df0f");
        Map<String, String> oc = smap(db, "VM", debian, "other_config");
        assertEquals("true", oc.get("linux_template"));
        assertEquals("cdrom,nfs,http,ftp", oc.get("install-methods"));
        assertEquals(
                "<provision><disk bootable=\"true\" device=\"0\" size=\"10737418240\" sr=\"\" type=\"system\"/></provision>",
                oc.get("disks"));
        assertEquals(1L << 30, db.get("VM", debian, "memory_static_min"));
        assertEquals(2L << 30, db.get("VM", debian, "memory_static_max"));
        assertEquals(20L << 20, db.get("VM", debian, "memory_overhead"));
        assertEquals("BIOS order", db.get("VM", debian, "HVM_boot_policy"));
        assertEquals(Map.of("firmware", "uefi", "order", "cdn"), smap(db, "VM", debian, "HVM_boot_params"));
        assertEquals("debian-12", db.get("VM", debian, "reference_label"));
        assertEquals(1L, db.get("VM", debian, "version"));
        String other = db.getByUuid("VM", "552bce37-51b2-445d-84f2-5f33fa112d7e");
        assertFalse(smap(db, "VM", other, "other_config").containsKey("linux_template"));
        assertEquals(List.of(), RefIntegrity.dangling(db));
    }

    /**
     * Another host's SM record sync destroys (and recreates) an SM record between this start's read of it and its
     * update, as when two members start at once: the start reads again and updates the record that is there.
     */
    @Test
    void anSmRecordDestroyedByAnotherHostMidStartIsReadAgain() {
        Database db = Database.empty(dm);
        BootstrapSettings s = settings();
        StartupSync.run(new LocalDb(db), s);
        LocalDb raw = new LocalDb(db);
        boolean[] done = {false};
        InterruptedDb racing = new InterruptedDb(raw, u -> {
            for (org.xapijava.db.Update.Op op : u.ops()) {
                if (!done[0]
                        && op instanceof org.xapijava.db.Update.Set set
                        && set.field().cls().equals(org.xapijava.model.api.SM.XAPI_CLASS)) {
                    done[0] = true;
                    raw.delete(org.xapijava.model.api.SM.XAPI_CLASS, set.ref()); // the other host's sync
                }
            }
            return false;
        });
        HostObjects o = StartupSync.run(racing, s);
        assertTrue(done[0]);
        for (Map.Entry<String, String> e : o.smByType().entrySet()) {
            assertEquals(List.of(e.getValue()), raw.where(org.xapijava.model.api.SM.TYPE, e.getKey()), e.getKey());
        }
        assertEquals(List.of(), RefIntegrity.dangling(db));
    }

    @Test
    void secondStartChangesNoObjectCountAndKeepsTheObjects() {
        Database db = Database.empty(dm);
        BootstrapSettings s = settings();
        HostObjects first = StartupSync.run(new LocalDb(db), s);
        Map<String, Integer> before = counts(db);
        HostObjects second = StartupSync.run(new LocalDb(db), s);
        assertFalse(second.firstStart());
        assertEquals(before, counts(db));
        assertEquals(List.of(), RefIntegrity.dangling(db));
        assertEquals(first.pool(), second.pool());
        assertEquals(first.host(), second.host());
        assertEquals(first.controlDomain(), second.controlDomain());
        assertEquals(first.controlDomainConsoles(), second.controlDomainConsoles());
        assertEquals(first.managementPif(), second.managementPif());
        assertEquals(first.localSr(), second.localSr());
        assertEquals(first.dvdDrivesSr(), second.dvdDrivesSr());
        assertEquals(first.removableStorageSr(), second.removableStorageSr());
        assertEquals(first.toolsSr(), second.toolsSr());
        assertEquals(first.smByType(), second.smByType());
        assertEquals(first.templatesByUuid(), second.templatesByUuid());
        assertEquals(first.telemetrySecret(), second.telemetrySecret());
        assertNotEquals(
                first.hostCpus(), second.hostCpus(), "host_cpu objects are recreated at every start, as Xapi does");
    }

    @Test
    void laterStartRefreshesAddressLivenessAndVersion() {
        Database db = Database.empty(dm);
        BootstrapSettings s = settings();
        HostObjects o = StartupSync.run(new LocalDb(db), s);
        db.set("host_metrics", o.hostMetrics(), "live", false);
        db.set("host", o.host(), "API_version_minor", 1L);
        db.set("host", o.host(), "enabled", false);
        db.set("PBD", o.localSrPbd(), "currently_attached", false);
        db.set("VM", o.controlDomain(), "power_state", "Halted");
        db.set("host", o.host(), "name_label", "renamed by the user");
        BootstrapSettings later = new BootstrapSettings(
                s.hostname(),
                "127.0.0.2",
                "",
                "",
                s.inventory(),
                s.localSrPath(),
                s.toolsIsoPath(),
                s.smDirectory(),
                s.hardware(),
                Clock.fixed(Instant.parse("2026-03-02T10:00:00Z"), ZoneOffset.UTC));
        StartupSync.run(new LocalDb(db), later);
        assertEquals(Boolean.TRUE, db.get("host_metrics", o.hostMetrics(), "live"));
        assertEquals(dm.apiVersionMinor(), db.get("host", o.host(), "API_version_minor"));
        assertEquals(Boolean.TRUE, db.get("host", o.host(), "enabled"));
        assertEquals(Boolean.TRUE, db.get("PBD", o.localSrPbd(), "currently_attached"));
        assertEquals("Running", db.get("VM", o.controlDomain(), "power_state"));
        assertEquals("127.0.0.2", db.get("host", o.host(), "address"));
        assertEquals("127.0.0.2", db.get("PIF", o.managementPif(), "IP"));
        assertEquals(
                "https://127.0.0.2/console?ref=" + o.controlDomainConsoles().get(0),
                db.get("console", o.controlDomainConsoles().get(0), "location"));
        assertEquals("renamed by the user", db.get("host", o.host(), "name_label"));
        assertEquals("1772445600.", smap(db, "host", o.host(), "other_config").get("agent_start_time"));
    }

    @Test
    void deletedInstallerSrsAreNotRecreatedButTheToolsSrIs() {
        Database db = Database.empty(dm);
        BootstrapSettings s = settings();
        HostObjects o = StartupSync.run(new LocalDb(db), s);
        db.transact(tx -> {
            for (String sr : List.of(o.dvdDrivesSr(), o.toolsSr())) {
                for (String pbd : tx.all("PBD")) {
                    if (sr.equals(tx.get("PBD", pbd, "SR"))) tx.delete("PBD", pbd);
                }
                tx.delete("SR", sr);
            }
        });
        HostObjects again = StartupSync.run(new LocalDb(db), s);
        assertEquals(Refs.NULL, again.dvdDrivesSr());
        assertNotEquals(Refs.NULL, again.toolsSr());
        assertNotEquals(o.toolsSr(), again.toolsSr());
        assertEquals(o.localSr(), again.localSr());
        assertEquals(List.of(), RefIntegrity.dangling(db));
    }

    @Test
    void objectsSurviveARestartOfADurableDatabase() throws Exception {
        Path dbDir = dir.resolve("db");
        BootstrapSettings s = settings();
        HostObjects first;
        Map<String, Integer> before;
        try (DurableDatabase store = DurableDatabase.open(dm, DurableDatabase.Options.inDirectory(dbDir))) {
            first = StartupSync.run(new LocalDb(store.database()), s);
            before = counts(store.database());
            store.flushNow();
        }
        try (DurableDatabase store = DurableDatabase.open(dm, DurableDatabase.Options.inDirectory(dbDir))) {
            Database db = store.database();
            assertEquals(first.host(), db.getByUuid("host", s.inventory().installationUuid()));
            HostObjects second = StartupSync.run(new LocalDb(db), s);
            assertFalse(second.firstStart());
            assertEquals(before, counts(db));
            assertEquals(first.pool(), second.pool());
            assertEquals(first.host(), second.host());
            assertEquals(first.hostMetrics(), second.hostMetrics());
            assertEquals(first.controlDomain(), second.controlDomain());
            assertEquals(first.controlDomainMetrics(), second.controlDomainMetrics());
            assertEquals(first.localSr(), second.localSr());
            assertEquals(first.localSrPbd(), second.localSrPbd());
            assertEquals(first.toolsSr(), second.toolsSr());
            assertEquals(first.managementPif(), second.managementPif());
            assertEquals(first.templatesByUuid(), second.templatesByUuid());
            assertEquals(List.of(), RefIntegrity.dangling(db));
        }
    }

    @Test
    void refCheckerFindsADanglingReference() {
        Database db = Database.empty(dm);
        HostObjects o = StartupSync.run(new LocalDb(db), settings());
        String ghost = Refs.fresh();
        db.set("host", o.host(), "local_cache_sr", ghost);
        assertEquals(List.of("host.local_cache_sr of " + o.host() + " -> " + ghost), RefIntegrity.dangling(db));
    }

    @Test
    void ipv6ManagementAddress() {
        Database db = Database.empty(dm);
        HostObjects o = StartupSync.run(new LocalDb(db), settings("fd00::5", Clock.systemUTC()));
        assertEquals("fd00::5", db.get("host", o.host(), "address"));
        assertEquals("IPv6", db.get("PIF", o.managementPif(), "primary_address_type"));
        assertEquals(List.of("fd00::5/64"), db.get("PIF", o.managementPif(), "IPv6"));
        assertEquals(
                "https://[fd00::5]/console?ref=" + o.controlDomainConsoles().get(0),
                db.get("console", o.controlDomainConsoles().get(0), "location"));
    }
}
