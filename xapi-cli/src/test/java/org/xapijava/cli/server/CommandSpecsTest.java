package org.xapijava.cli.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The static xe command table against Xapi: counts of reference/xe-cli.md §3.3, the names of its Appendix A, and
 * entries transcribed from {@code ocaml/xapi-cli-server/cli_frontend.ml}.
 */
class CommandSpecsTest {

    private static CommandSpec spec(String name) {
        return CommandSpecs.get(name).orElseThrow(() -> new AssertionError("no command " + name));
    }

    private static long count(CommandFlag flag) {
        return CommandSpecs.all().stream().filter(s -> s.has(flag)).count();
    }

    @Test
    void thereAre387CommandsWithDistinctNames() {
        List<CommandSpec> all = CommandSpecs.all();
        assertEquals(387, all.size());
        assertEquals(387, all.stream().map(CommandSpec::name).distinct().count());
        assertSame(all, CommandSpecs.all());
        assertThrows(UnsupportedOperationException.class, () -> all.remove(0));
        assertThrows(
                UnsupportedOperationException.class, () -> all.get(0).optn().add("x"));
        assertThrows(
                UnsupportedOperationException.class, () -> all.get(0).flags().add(CommandFlag.STANDARD));
        assertTrue(CommandSpecs.get("help").isEmpty(), "help is handled outside the table");
        assertTrue(CommandSpecs.get("vm-list").isEmpty(), "vm-list is a generated command");
        assertEquals("blob-get", all.get(0).name());
        assertEquals("rate-limit-remove-caller", all.get(all.size() - 1).name());
    }

    @Test
    void implementationKindsAsInXapi() {
        Map<ImplKind, Long> byKind = CommandSpecs.all().stream()
                .collect(Collectors.groupingBy(
                        CommandSpec::impl, () -> new java.util.EnumMap<>(ImplKind.class), Collectors.counting()));
        assertEquals(
                Map.of(
                        ImplKind.NO_FD, 330L,
                        ImplKind.WITH_FD, 40L,
                        ImplKind.NO_FD_LOCAL_SESSION, 16L,
                        ImplKind.WITH_FD_LOCAL_SESSION, 1L),
                byKind);
        assertEquals(
                ImplKind.WITH_FD_LOCAL_SESSION, spec("host-ha-xapi-healthcheck").impl());
    }

    @Test
    void implKindProperties() {
        assertFalse(ImplKind.NO_FD.withFd());
        assertFalse(ImplKind.NO_FD.localSession());
        assertTrue(ImplKind.WITH_FD.withFd());
        assertFalse(ImplKind.WITH_FD.localSession());
        assertFalse(ImplKind.NO_FD_LOCAL_SESSION.withFd());
        assertTrue(ImplKind.NO_FD_LOCAL_SESSION.localSession());
        assertTrue(ImplKind.WITH_FD_LOCAL_SESSION.withFd());
        assertTrue(ImplKind.WITH_FD_LOCAL_SESSION.localSession());
    }

    /**
     * 29 Hidden, 18 Neverforward; 41 entries carry Standard, of which vm-query-services is also Hidden, so 40 are
     * listed by plain {@code xe help} (§3.3's "40 static Standard").
     */
    @Test
    void flagCountsAsInXapi() {
        assertEquals(29, count(CommandFlag.HIDDEN));
        assertEquals(18, count(CommandFlag.NEVERFORWARD));
        assertEquals(41, count(CommandFlag.STANDARD));
        assertEquals(
                40,
                CommandSpecs.all().stream().filter(CommandSpec::listedByHelp).count());
        assertTrue(spec("vm-query-services").has(CommandFlag.STANDARD));
        assertTrue(spec("vm-query-services").has(CommandFlag.HIDDEN));
        assertEquals(5, count(CommandFlag.DEPRECATED));
        assertEquals(51, count(CommandFlag.VM_SELECTORS));
        assertEquals(39, count(CommandFlag.HOST_SELECTORS));
        assertEquals(4, count(CommandFlag.SR_SELECTORS));
    }

    /** Appendix A's "Visible Standard commands" less the three generated ones (vm-list, network-list, sr-list). */
    @Test
    void plainHelpListsTheStandardCommandsOfAppendixA() {
        Set<String> expected = new TreeSet<>(List.of(
                "cd-list",
                "diagnostic-vm-status",
                "snapshot-clone",
                "snapshot-copy",
                "snapshot-disk-list",
                "snapshot-export-to-template",
                "snapshot-reset-powerstate",
                "snapshot-revert",
                "snapshot-uninstall",
                "template-export",
                "template-uninstall",
                "vm-cd-add",
                "vm-cd-eject",
                "vm-cd-insert",
                "vm-cd-list",
                "vm-cd-remove",
                "vm-checkpoint",
                "vm-clone",
                "vm-compute-maximum-memory",
                "vm-copy",
                "vm-disk-add",
                "vm-disk-list",
                "vm-disk-remove",
                "vm-export",
                "vm-import",
                "vm-install",
                "vm-migrate",
                "vm-pause",
                "vm-reboot",
                "vm-reset-powerstate",
                "vm-restart-device-models",
                "vm-resume",
                "vm-shutdown",
                "vm-snapshot",
                "vm-snapshot-with-quiesce",
                "vm-start",
                "vm-suspend",
                "vm-uninstall",
                "vm-unpause",
                "vm-vif-list"));
        assertEquals(40, expected.size());
        assertEquals(
                expected,
                CommandSpecs.all().stream()
                        .filter(CommandSpec::listedByHelp)
                        .map(CommandSpec::name)
                        .collect(Collectors.toCollection(TreeSet::new)));
    }

    private record Group(String name, int size, List<String> commands) {}

    private static Group entry(String name, int size, String commands) {
        return new Group(name, size, List.of(commands.split(", ")));
    }

    /** reference/xe-cli.md Appendix A: groups in order; † Hidden, ‡ Neverforward, "(deprecated)" Deprecated. */
    private static final List<Group> APPENDIX_A = List.of(
            entry(
                    "appliance",
                    6,
                    "appliance-create, appliance-destroy, appliance-start, appliance-shutdown, appliance-recover, appliance-assert-can-be-recovered"),
            entry("audit", 1, "audit-log-get"),
            entry("blob", 3, "blob-get†, blob-put†, blob-create†"),
            entry("bond", 3, "bond-create, bond-destroy, bond-set-mode"),
            entry("caller", 4, "caller-create, caller-destroy, caller-query-usage, caller-list-usage"),
            entry("cd", 1, "cd-list"),
            entry(
                    "cluster",
                    11,
                    "cluster-pool-create, cluster-pool-force-destroy, cluster-pool-destroy, cluster-pool-resync, cluster-create†, cluster-destroy, cluster-host-create†, cluster-host-disable, cluster-host-enable, cluster-host-destroy, cluster-host-force-destroy"),
            entry("console", 1, "console"),
            entry(
                    "diagnostic",
                    8,
                    "diagnostic-vdi-status, diagnostic-vm-status, diagnostic-license-status, diagnostic-compact, diagnostic-gc-stats, diagnostic-timing-stats, diagnostic-db-stats, diagnostic-net-stats"),
            entry("drtask", 2, "drtask-create, drtask-destroy"),
            entry("event", 1, "event-wait"),
            entry("gpu-group", 3, "gpu-group-create, gpu-group-destroy, gpu-group-get-remaining-capacity"),
            entry(
                    "host",
                    71,
                    "host-is-in-emergency-mode‡, host-forget, host-declare-dead, host-disable, host-sync-data, host-enable, host-enable-local-storage-caching, host-disable-local-storage-caching, host-shutdown, host-reboot, host-power-on, host-prepare-for-poweroff†, host-dmesg, host-crashdump-upload, host-crashdump-destroy, host-bugreport-upload, host-backup, host-restore, host-logs-download, host-signal-networking-change†‡, host-send-debug-keys, host-notify†‡, host-syslog-reconfigure, host-emergency-management-reconfigure‡, host-emergency-ha-disable‡, host-emergency-reset-server-certificate‡, host-emergency-disable-tls-verification‡, host-emergency-reenable-tls-verification‡, host-reset-server-certificate, host-management-reconfigure, host-management-disable‡, host-compute-free-memory, host-compute-memory-overhead, host-get-system-status-capabilities‡, host-get-system-status, host-set-hostname-live, host-set-power-on-mode, host-call-plugin, host-retrieve-wlb-evacuate-recommendations†, host-enable-external-auth†, host-disable-external-auth†, host-external-auth-set-ldaps†, host-refresh-pack-info†, host-cpu-info, host-get-cpu-features, host-enable-display, host-disable-display, host-apply-updates, host-enable-ssh, host-disable-ssh, host-emergency-clear-mandatory-guidance‡, host-data-source-list, host-data-source-record, host-data-source-query, host-data-source-forget, host-license-add, host-license-remove, host-license-view, host-apply-edition, host-all-editions, host-evacuate, host-get-vms-which-prevent-evacuation, host-shutdown-agent‡, host-update-firewalld-service-status‡, host-get-sm-diagnostics, host-get-thread-diagnostics, host-sm-dp-destroy, host-ha-xapi-healthcheck†‡, host-get-server-certificate, host-refresh-server-certificate, host-server-certificate-install"),
            entry(
                    "hostdriver",
                    4,
                    "hostdriver-select, hostdriver-deselect, hostdriver-variant-select, hostdriver-rescan"),
            entry("lvhd", 1, "lvhd-enable-thin-provisioning"),
            entry("message", 3, "message-create, message-destroy, message-destroy-all"),
            entry(
                    "network",
                    5,
                    "network-sriov-create, network-sriov-destroy, network-create, network-destroy, network-attach†"),
            entry("observer", 2, "observer-create, observer-destroy"),
            entry(
                    "patch",
                    7,
                    "patch-upload, patch-destroy, patch-precheck, patch-apply, patch-pool-apply, patch-clean, patch-pool-clean"),
            entry("pbd", 4, "pbd-create, pbd-destroy, pbd-plug, pbd-unplug"),
            entry("pci", 3, "pci-enable-dom0-access, pci-disable-dom0-access, pci-get-dom0-access-status"),
            entry("pgpu", 2, "pgpu-enable-dom0-access, pgpu-disable-dom0-access"),
            entry(
                    "pif",
                    9,
                    "pif-unplug, pif-plug, pif-reconfigure-ip, pif-reconfigure-ipv6, pif-set-primary-address-type, pif-scan, pif-introduce, pif-forget, pif-db-forget†"),
            entry(
                    "pool",
                    63,
                    "pool-enable-binary-storage†, pool-disable-binary-storage†, pool-designate-new-master, pool-management-reconfigure, pool-sync-database, pool-join, pool-emergency-reset-master‡, pool-emergency-transition-to-master‡, pool-recover-slaves, pool-eject, pool-dump-database, pool-restore-database, pool-enable-external-auth, pool-disable-external-auth, pool-external-auth-set-ldaps, pool-initialize-wlb, pool-deconfigure-wlb, pool-send-wlb-configuration, pool-retrieve-wlb-configuration, pool-retrieve-wlb-recommendations, pool-retrieve-wlb-report‡, pool-retrieve-wlb-diagnostics‡, pool-send-test-post, pool-certificate-install (deprecated), pool-certificate-uninstall (deprecated), pool-install-ca-certificate, pool-uninstall-ca-certificate, pool-certificate-list (deprecated), pool-crl-install, pool-crl-uninstall, pool-crl-list, pool-certificate-sync, pool-enable-tls-verification, pool-enable-client-certificate-auth, pool-disable-client-certificate-auth, pool-set-vswitch-controller†, pool-disable-ssl-legacy (deprecated), pool-secret-rotate, pool-sync-updates, pool-reset-telemetry-uuid, pool-get-guest-secureboot-readiness, pool-get-cpu-features, pool-enable-local-storage-caching, pool-disable-local-storage-caching, pool-apply-edition, pool-configure-repository-proxy, pool-disable-repository-proxy, pool-install-trusted-certificate, pool-uninstall-trusted-certificate, pool-vlan-create, pool-ha-enable, pool-ha-disable, pool-ha-prevent-restarts-for†, pool-ha-compute-max-host-failures-to-tolerate, pool-ha-compute-hypothetical-max-host-failures-to-tolerate, pool-ha-compute-vm-failover-plan†, pool-enable-redo-log, pool-disable-redo-log, pool-configure-update-sync, pool-set-update-sync-enabled, pool-sync-bundle, pool-enable-ssh, pool-disable-ssh"),
            entry("pusb", 1, "pusb-scan"),
            entry(
                    "pvs",
                    8,
                    "pvs-site-introduce, pvs-site-forget, pvs-server-introduce, pvs-server-forget, pvs-proxy-create, pvs-proxy-destroy, pvs-cache-storage-create, pvs-cache-storage-destroy"),
            entry(
                    "rate-limit",
                    4,
                    "rate-limit-create, rate-limit-destroy, rate-limit-add-caller, rate-limit-remove-caller"),
            entry(
                    "repository",
                    5,
                    "repository-introduce, repository-introduce-bundle, repository-introduce-remote-pool, repository-forget, repository-set-gpgkey-path"),
            entry("sdn-controller", 2, "sdn-controller-introduce, sdn-controller-forget"),
            entry("secret", 2, "secret-create, secret-destroy"),
            entry(
                    "session",
                    3,
                    "session-subject-identifier-list, session-subject-identifier-logout, session-subject-identifier-logout-all"),
            entry(
                    "snapshot",
                    8,
                    "snapshot-revert, snapshot-reset-powerstate, snapshot-export-to-template, snapshot-clone, snapshot-copy, snapshot-uninstall, snapshot-destroy, snapshot-disk-list"),
            entry(
                    "sr",
                    14,
                    "sr-create, sr-probe, sr-probe-ext, sr-scan, sr-introduce, sr-destroy, sr-forget, sr-update, sr-enable-database-replication, sr-disable-database-replication, sr-data-source-list, sr-data-source-record, sr-data-source-query, sr-data-source-forget"),
            entry("subject", 4, "subject-add, subject-remove, subject-role-add, subject-role-remove"),
            entry("task", 1, "task-cancel"),
            entry("template", 2, "template-export, template-uninstall"),
            entry("tunnel", 2, "tunnel-create, tunnel-destroy"),
            entry(
                    "update",
                    8,
                    "update-upload, update-introduce, update-precheck, update-apply, update-pool-apply, update-pool-clean, update-destroy, update-resync-host†"),
            entry("user", 1, "user-password-change"),
            entry(
                    "vbd",
                    8,
                    "vbd-create, vbd-destroy, vbd-insert, vbd-eject, vbd-plug, vbd-unplug, vbd-pause†, vbd-unpause†"),
            entry(
                    "vdi",
                    18,
                    "vdi-create, vdi-destroy, vdi-forget, vdi-update, vdi-introduce, vdi-import, vdi-export, vdi-resize, vdi-generate-config†, vdi-copy, vdi-pool-migrate, vdi-clone, vdi-snapshot, vdi-unlock, vdi-enable-cbt, vdi-disable-cbt, vdi-data-destroy, vdi-list-changed-blocks"),
            entry("vgpu", 2, "vgpu-create, vgpu-destroy"),
            entry(
                    "vif",
                    7,
                    "vif-create, vif-destroy, vif-plug, vif-unplug, vif-configure-ipv4, vif-configure-ipv6, vif-move"),
            entry("vlan", 2, "vlan-create, vlan-destroy"),
            entry(
                    "vm",
                    60,
                    "vm-compute-memory-overhead, vm-memory-balloon† (deprecated), vm-memory-dynamic-range-set, vm-memory-static-range-set, vm-memory-limits-set, vm-memory-set, vm-memory-target-set, vm-memory-target-wait†, vm-data-source-list, vm-data-source-record, vm-data-source-query, vm-data-source-forget, vm-memory-shadow-multiplier-set, vm-clone, vm-snapshot, vm-snapshot-with-quiesce, vm-checkpoint, vm-copy, vm-install, vm-uninstall, vm-query-services†, vm-start, vm-suspend, vm-resume, vm-shutdown, vm-reset-powerstate, vm-reboot, vm-compute-maximum-memory, vm-retrieve-wlb-recommendations, vm-migrate, vm-restart-device-models, vm-pause, vm-unpause, vm-disk-list, vm-crashdump-list, vm-cd-add, vm-cd-list, vm-cd-remove, vm-cd-eject, vm-cd-insert, vm-vcpu-hotplug, vm-disk-add, vm-disk-remove, vm-import, vm-export, vm-copy-bios-strings, vm-is-bios-customized, vm-call-plugin, vm-call-host-plugin, vm-vif-list, vm-create†, vm-destroy, vm-recover, vm-assert-can-be-recovered, vm-set-uefi-mode, vm-get-secureboot-readiness, vm-update-secureboot-certificates-on-boot, vm-group-create, vm-group-destroy, vm-sysprep"),
            entry("vmss", 2, "vmss-create, vmss-destroy"),
            entry("vtpm", 2, "vtpm-create, vtpm-destroy"),
            entry("vusb", 3, "vusb-create, vusb-unplug, vusb-destroy"));

    @Test
    void everyGroupOfAppendixAMatches() {
        Map<String, CommandSpec> byName = CommandSpecs.all().stream()
                .collect(Collectors.toMap(CommandSpec::name, Function.identity(), (a, b) -> a, LinkedHashMap::new));
        Set<String> seen = new LinkedHashSet<>();
        for (Group g : APPENDIX_A) {
            assertEquals(g.size(), g.commands().size(), g.name() + ": the appendix's own count");
            List<String> names = new ArrayList<>();
            for (String item : g.commands()) {
                boolean deprecated = item.endsWith(" (deprecated)");
                String name = item.replace(" (deprecated)", "");
                boolean hidden = name.contains("\u2020");
                boolean neverforward = name.contains("\u2021");
                name = name.replace("\u2020", "").replace("\u2021", "");
                names.add(name);
                CommandSpec s = byName.get(name);
                assertTrue(s != null, g.name() + ": no command " + name);
                assertEquals(hidden, s.has(CommandFlag.HIDDEN), name + " Hidden");
                assertEquals(neverforward, s.has(CommandFlag.NEVERFORWARD), name + " Neverforward");
                assertEquals(deprecated, s.has(CommandFlag.DEPRECATED), name + " Deprecated");
                assertTrue(seen.add(name), name + " twice in the appendix");
            }
            List<String> inTableOrder =
                    byName.keySet().stream().filter(names::contains).toList();
            assertEquals(names, inTableOrder, g.name() + ": the group's commands in Xapi's order");
        }
        assertEquals(new TreeSet<>(byName.keySet()), new TreeSet<>(seen), "the appendix names every command");
    }

    private static void assertSpec(
            String name, List<String> reqd, List<String> optn, String help, ImplKind impl, Set<CommandFlag> flags) {
        CommandSpec s = spec(name);
        assertEquals(reqd, s.reqd(), name + " reqd");
        assertEquals(optn, s.optn(), name + " optn");
        assertEquals(help, s.help(), name + " help");
        assertEquals(impl, s.impl(), name + " impl");
        assertEquals(flags, s.flags(), name + " flags");
        assertNull(s.deprecation(), name + " deprecation");
    }

    private static final Set<CommandFlag> STANDARD_VM = EnumSet.of(CommandFlag.STANDARD, CommandFlag.VM_SELECTORS);

    @Test
    void vmStart() {
        assertSpec(
                "vm-start",
                List.of(),
                List.of("force", "on", "paused"),
                "Start the selected VM(s). Where pooling is enabled, the host on which to start can be specified"
                        + " with the 'on' parameter that takes a uuid. The optional parameter '--force' will bypass"
                        + " any hardware-compatibility warnings.",
                ImplKind.NO_FD,
                STANDARD_VM);
    }

    @Test
    void vmShutdown() {
        assertSpec(
                "vm-shutdown",
                List.of(),
                List.of("force"),
                "Shutdown the selected VM(s). The optional argument --force will forcibly shut down the VM.",
                ImplKind.NO_FD,
                STANDARD_VM);
    }

    @Test
    void vmInstall() {
        assertSpec(
                "vm-install",
                List.of("new-name-label"),
                List.of("sr-name-label", "sr-uuid", "template", "copy-bios-strings-from"),
                "Install a new VM from a template. The template parameter can match either the template name or"
                        + " the uuid.",
                ImplKind.NO_FD,
                EnumSet.of(CommandFlag.STANDARD));
    }

    @Test
    void vmExport() {
        assertSpec(
                "vm-export",
                List.of("filename"),
                List.of("preserve-power-state", "compress", "metadata", "excluded-device-types", "include-snapshots"),
                "Export a VM to <filename>.",
                ImplKind.WITH_FD,
                STANDARD_VM);
    }

    @Test
    void vmImport() {
        assertSpec(
                "vm-import",
                List.of(),
                List.of(
                        "filename",
                        "preserve",
                        "sr-uuid",
                        "force",
                        "host-username",
                        "host-password",
                        "type",
                        "remote-config",
                        "dry-run",
                        "metadata",
                        "url",
                        "vdi:"),
                "Import a VM. If type=ESXServer is given, it will import from a VMWare server and 'host-username',"
                        + " 'host-password' and 'remote-config' are required. Otherwise, it will import from a file,"
                        + " and 'filename' is required. If the option preserve=true is given then as many settings as"
                        + " possible are restored, including VIF MAC addresses. The default is to regenerate VIF MAC"
                        + " addresses. The VDIs will be imported into the Pool's default SR unless an override is"
                        + " provided. If the force option is given then any disk data checksum failures will be"
                        + " ignored. If the parameter 'url' is specified, xapi will attempt to import from that URL."
                        + " Only metadata will be imported if 'metadata' is true",
                ImplKind.WITH_FD,
                EnumSet.of(CommandFlag.STANDARD));
    }

    @Test
    void srCreate() {
        assertSpec(
                "sr-create",
                List.of("name-label", "type"),
                List.of(
                        "name-description",
                        "host-uuid",
                        "device-config:",
                        "shared",
                        "physical-size",
                        "content-type",
                        "sm-config:"),
                "Create an SR, also a PBD. The device-config parameters can be specified by device-config:foo=baa,"
                        + " for example.",
                ImplKind.WITH_FD,
                Set.of());
    }

    @Test
    void vdiCreate() {
        assertSpec(
                "vdi-create",
                List.of("sr-uuid", "name-label", "virtual-size"),
                List.of("sm-config:", "sharable", "tags:", "type"),
                "Create a VDI. Type is 'system' 'user' 'suspend' or 'crashdump'.",
                ImplKind.NO_FD,
                Set.of());
    }

    @Test
    void vmUninstall() {
        assertSpec(
                "vm-uninstall",
                List.of(),
                List.of("force"),
                "Uninstall a VM. This operation will destroy those VDIs that are marked RW and connected to this VM"
                        + " only. To simply destroy the VM record, use vm-destroy.",
                ImplKind.WITH_FD,
                STANDARD_VM);
    }

    @Test
    void hostDisable() {
        assertSpec(
                "host-disable",
                List.of(),
                List.of("auto-enable"),
                "Disable the XE host. Setting auto-enable=false will keep the host persistently disabled until"
                        + " manually re-enabled with Host.enable.",
                ImplKind.NO_FD,
                EnumSet.of(CommandFlag.HOST_SELECTORS));
    }

    @Test
    void poolJoin() {
        assertSpec(
                "pool-join",
                List.of("master-address", "master-username", "master-password"),
                List.of("force"),
                "Instruct host to join an existing pool.",
                ImplKind.NO_FD,
                Set.of());
    }

    @Test
    void vifCreate() {
        assertSpec(
                "vif-create",
                List.of("device", "network-uuid", "vm-uuid"),
                List.of("mac"),
                "Create a VIF. Appropriate values for the device are listed in the parameter 'allowed-VIF-devices'"
                        + " on the VM. If specified, the MAC parameter is of the form aa:bb:cc:dd:ee:ff. If MAC is"
                        + " not specified the server will choose an appropriate MAC automatically.",
                ImplKind.NO_FD,
                Set.of());
    }

    @Test
    void networkCreate() {
        assertSpec(
                "network-create",
                List.of("name-label"),
                List.of("name-description", "MTU", "bridge", "managed"),
                "Create a new network.",
                ImplKind.NO_FD,
                Set.of());
    }

    /** Help texts that are not one plain string literal in Xapi's source. */
    @Test
    void helpTextsBuiltOrQuotedInTheSourceAreExact() {
        // a {|...|} quoted string: newlines and the next lines' indentation are part of the text
        assertEquals(
                "Prints a hexadecimal representation of the pool's physical-CPU\n"
                        + "           features for PV and HVM VMs. These are combinations of all the\n"
                        + "           hosts' policies and are used when starting new VMs in a pool.",
                spec("pool-get-cpu-features").help());
        assertEquals(
                "Prints a hexadecimal representation of the host's physical-CPU\n"
                        + "           features for PV and HVM VMs. features_{hvm,pv} are \"maximum\"\n"
                        + "           featuresets the host will accept during migrations, and\n"
                        + "           features_{hvm,pv}_host will be used to start new VMs.",
                spec("host-get-cpu-features").help());
        // two literals joined by ^
        assertEquals(
                "Set the memory target for a running VM. The given value must be within the range defined by the"
                        + " VM's memory_dynamic_min and memory_dynamic_max values.",
                spec("vm-memory-balloon").help());
        // empty help texts
        for (String name : List.of(
                "pool-retrieve-wlb-report", "pool-retrieve-wlb-diagnostics", "host-get-system-status-capabilities")) {
            assertEquals("", spec(name).help(), name);
        }
        assertTrue(spec("vdi-create").help().indexOf('\n') < 0);
    }

    @Test
    void anEmptyParameterNameIsKept() {
        // Xapi's gpu-group-destroy has optn [""]: one parameter, named "" (help prints it as nothing)
        assertEquals(List.of(""), spec("gpu-group-destroy").optn());
    }

    @Test
    void deprecationsCarryTheirMessages() {
        Map<String, String> expected = Map.of(
                "pool-certificate-install", "Use pool-install-ca-certificate",
                "pool-certificate-uninstall", "Use pool-uninstall-ca-certificate",
                "pool-certificate-list", "Use certificate-list type=ca",
                "pool-disable-ssl-legacy", "Legacy SSL no longer supported",
                "vm-memory-balloon", "vm-memory-dynamic-range-set");
        Map<String, String> actual = CommandSpecs.all().stream()
                .filter(s -> s.has(CommandFlag.DEPRECATED))
                .collect(Collectors.toMap(CommandSpec::name, CommandSpec::deprecation));
        assertEquals(expected, actual);
        assertEquals(
                EnumSet.of(CommandFlag.DEPRECATED, CommandFlag.VM_SELECTORS, CommandFlag.HIDDEN),
                spec("vm-memory-balloon").flags());
        assertTrue(CommandSpecs.all().stream()
                .filter(s -> !s.has(CommandFlag.DEPRECATED))
                .allMatch(s -> s.deprecation() == null));
    }

    private static final String GOOD = """
            # a comment
            command a-b
            reqd x, y
            optn ""
            impl With_fd_local_session
            flags Hidden Deprecated(use c d) Neverforward
            help one\\ntwo \\\\ three\\tfour

            command c
            reqd
            optn p:, q
            impl No_fd
            flags
            help
            """;

    @Test
    void parsesTheFormat() throws IOException {
        List<CommandSpec> specs = CommandSpecs.parse(new StringReader(GOOD), "t");
        assertEquals(2, specs.size());
        CommandSpec a = specs.get(0);
        assertEquals("a-b", a.name());
        assertEquals(List.of("x", "y"), a.reqd());
        assertEquals(List.of(""), a.optn());
        assertEquals(ImplKind.WITH_FD_LOCAL_SESSION, a.impl());
        assertEquals(EnumSet.of(CommandFlag.HIDDEN, CommandFlag.DEPRECATED, CommandFlag.NEVERFORWARD), a.flags());
        assertEquals("use c d", a.deprecation());
        assertEquals("one\ntwo \\ three\tfour", a.help());
        CommandSpec c = specs.get(1);
        assertEquals(List.of(), c.reqd());
        assertEquals(List.of("p:", "q"), c.optn());
        assertEquals(Set.of(), c.flags());
        assertEquals("", c.help());
        assertNull(c.deprecation());
    }

    /** Each bad line is reported with its number (a flags line's errors are found once its block's help line is read). */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "2|command a-b|commands a-b",
                "3|reqd x, y|reqd x,y",
                "3|reqd x, y|reqd x, , y",
                "4|optn \"\"|opt",
                "5|impl With_fd_local_session|impl With_FD",
                "6|flags Hidden Deprecated(use c d) Neverforward|flags Hidden  Neverforward",
                "6|flags Hidden Deprecated(use c d) Neverforward|flags Hidden Standardish",
                "6|flags Hidden Deprecated(use c d) Neverforward|flags Deprecated(oops",
                "6|flags Hidden Deprecated(use c d) Neverforward|flags Hidden Hidden",
                "7|help one\\ntwo \\\\ three\\tfour|help a \\q b",
                "7|help one\\ntwo \\\\ three\\tfour|help ends \\",
                "7|help one\\ntwo \\\\ three\\tfour|flags"
            })
    void aBadLineIsNamed(String testCase) {
        String[] parts = testCase.split("\\|", 3);
        String bad = GOOD.replace(parts[1] + "\n", parts[2] + "\n");
        assertFalse(bad.equals(GOOD), testCase);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> CommandSpecs.parse(new StringReader(bad), "t"));
        assertTrue(e.getMessage().startsWith("t line " + parts[0] + ": "), e.getMessage());
    }

    @Test
    void aTruncatedBlockIsAnError() {
        String cut = GOOD.substring(0, GOOD.indexOf("impl No_fd"));
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> CommandSpecs.parse(new StringReader(cut), "t"));
        assertTrue(e.getMessage().startsWith("t line 11: "), e.getMessage());
    }
}
