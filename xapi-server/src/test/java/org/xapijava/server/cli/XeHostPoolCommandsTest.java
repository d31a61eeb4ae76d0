package org.xapijava.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.types.Refs;
import org.xapijava.server.TestHost;

/** The host, pool, storage and subject commands of the second batch, run by the real {@code xe} client. */
class XeHostPoolCommandsTest {
    @TempDir
    static Path dir;

    static TestHost host;
    static Path home;
    static String session;
    static String hostUuid;
    static String hostRef;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir.resolve("host"));
        home = Files.createDirectories(dir.resolve("home"));
        session = host.login();
        hostUuid = min("host-list");
        hostRef = (String) host.ok("host.get_by_uuid", session, hostUuid);
    }

    @AfterAll
    static void stop() throws Exception {
        host.close();
    }

    static XeRun.Result xe(String... args) {
        return XeRun.tcp(host, home, "", args);
    }

    /** Runs a command that must succeed; its stdout. */
    static String ok(String... args) {
        XeRun.Result r = xe(args);
        assertEquals(0, r.code(), () -> "xe " + String.join(" ", args) + "\n" + r);
        return r.out();
    }

    /** Runs a command that must fail; its stderr. */
    static String fails(String... args) {
        XeRun.Result r = xe(args);
        assertEquals(1, r.code(), () -> "xe " + String.join(" ", args) + "\n" + r);
        return r.err();
    }

    static String min(String... args) {
        String[] a = java.util.Arrays.copyOf(args, args.length + 1);
        a[args.length] = "--minimal";
        return ok(a).strip();
    }

    /** A record as the printer lays it out: the first key padded on the right, the others on the left. */
    static String table(List<Map.Entry<String, String>> fields) {
        int w = 4 + fields.stream().mapToInt(e -> e.getKey().length()).max().orElse(0);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < fields.size(); i++) {
            String k = fields.get(i).getKey();
            String pad = " ".repeat(w - k.length());
            b.append(i == 0 ? k + pad : pad + k)
                    .append(": ")
                    .append(fields.get(i).getValue())
                    .append('\n');
        }
        return b.append("\n\n").toString();
    }

    @Test
    @SuppressWarnings("unchecked")
    void hostInformation() {
        assertEquals("false\n", ok("host-is-in-emergency-mode"));
        Map<String, String> cpu = (Map<String, String>) host.ok("host.get_cpu_info", session, hostRef);
        String expected = table(List.copyOf(cpu.entrySet()));
        assertEquals(expected, ok("host-cpu-info"));
        assertEquals(expected, ok("host-cpu-info", "uuid=" + hostUuid));
        assertEquals(
                table(List.of(
                        Map.entry("features_pv", cpu.get("features_pv")),
                        Map.entry("features_hvm", cpu.get("features_hvm")),
                        Map.entry("features_pv_host", cpu.get("features_pv_host")),
                        Map.entry("features_hvm_host", cpu.get("features_hvm_host")))),
                ok("host-get-cpu-features", "uuid=" + hostUuid));
        String pool = min("pool-list");
        String poolRef = (String) host.ok("pool.get_by_uuid", session, pool);
        Map<String, String> poolCpu = (Map<String, String>) host.ok("pool.get_cpu_info", session, poolRef);
        assertEquals(
                table(List.of(
                        Map.entry("features_pv_host", poolCpu.get("features_pv_host")),
                        Map.entry("features_hvm_host", poolCpu.get("features_hvm_host")))),
                ok("pool-get-cpu-features"));

        Map<String, String> license = (Map<String, String>) host.ok("host.get_license_params", session, hostRef);
        List<Map.Entry<String, String>> shown = license.entrySet().stream()
                .filter(e -> !e.getKey().equals("sku_type"))
                .toList();
        assertEquals(table(shown), ok("host-license-view", "host-uuid=" + hostUuid));
        assertEquals(table(shown), ok("host-license-view"));
        List<String> editions = (List<String>) host.ok("host.get_editions", session, hostRef);
        assertEquals(String.join("\n", editions) + "\n", ok("host-all-editions"));

        // diagnostic-license-status: heading, divider, the host, divider, the pool; columns padded to their widest
        List<String> status = List.of(ok("diagnostic-license-status").split("\n"));
        assertEquals(5, status.size(), String.join("\n", status));
        String features =
                org.xapijava.model.LicenceFeature.compactString(org.xapijava.model.LicenceFeature.of(license));
        assertTrue(features.startsWith("VLAN QoS SStorage NTAP EQL Pool XHA MTC email perf WLB RBAC"), features);
        String hostname = (String) host.ok("host.get_hostname", session, hostRef);
        String edition = (String) host.ok("host.get_edition", session, hostRef);
        int w = Math.max(hostname.length(), "Hostname".length());
        String row = status.get(2);
        assertTrue(
                row.startsWith(hostname + " ".repeat(w - hostname.length()) + " " + hostUuid.substring(0, 8) + " "
                        + features + " " + edition + " "),
                row);
        assertTrue(row.contains(" 19700101T00:00:00Z -"), row); // no expiry in the licence: Xapi's epoch
        assertTrue(status.get(0).startsWith("Hostname" + " ".repeat(w - 8) + " UUID     Features "), status.get(0));
        assertEquals(status.get(1), status.get(3));
        assertTrue(status.get(4).startsWith("-" + " ".repeat(w - 1) + " -        "), status.get(4));
        assertEquals("", ok("host-get-vms-which-prevent-evacuation", "uuid=" + hostUuid));
        // a running VM cannot leave a host alone in its pool
        String sr = min("sr-list", "type=file");
        String vm = ok("vm-install", "template=Other install media", "new-name-label=stuck", "sr-uuid=" + sr)
                .strip();
        ok(
                "vm-memory-limits-set",
                "uuid=" + vm,
                "static-min=128MiB",
                "static-max=256MiB",
                "dynamic-min=256MiB",
                "dynamic-max=256MiB");
        String vmRef = (String) host.ok("VM.get_by_uuid", session, vm);
        host.ok("VM.start", session, vmRef, false, false);
        try {
            Map<String, List<String>> why =
                    (Map<String, List<String>>) host.ok("host.get_vms_which_prevent_evacuation", session, hostRef);
            String reason = String.join(",", why.get(vmRef));
            assertTrue(reason.startsWith("NO_HOSTS_AVAILABLE"), reason);
            assertEquals(
                    table(List.of(
                            Map.entry("uuid ( RO)", vm),
                            Map.entry("name-label ( RW)", "stuck"),
                            Map.entry("reason ( RO)", reason))),
                    ok("host-get-vms-which-prevent-evacuation", "uuid=" + hostUuid));
            assertEquals(
                    table(List.of(Map.entry("power-state ( RO)", "running"), Map.entry("reason ( RO)", reason))),
                    ok("host-get-vms-which-prevent-evacuation", "uuid=" + hostUuid, "params=power-state,reason"));
            assertEquals(
                    table(List.of(Map.entry("name-label ( RW)", "stuck"))),
                    ok("host-get-vms-which-prevent-evacuation", "uuid=" + hostUuid, "params=name-label"));
        } finally {
            host.ok("VM.hard_shutdown", session, vmRef);
        }
        assertTrue(fails("host-get-vms-which-prevent-evacuation", "uuid=nope")
                .startsWith("The uuid you supplied was invalid.\n"));
    }

    @Test
    void poolEmergencyCommands() throws Exception {
        assertEquals("", ok("pool-recover-slaves"));
        assertEquals(
                "Host agent is already master. Use '--force' to execute the operation anyway.\n",
                ok("pool-emergency-transition-to-master"));
        assertEquals(false, host.server.restartRequested().isDone());
        assertEquals(
                "Host agent will restart and become slave of 192.0.2.7 in 10.000 seconds...\n",
                ok("pool-emergency-reset-master", "master-address=192.0.2.7"));
        host.server.restartRequested().get(10, java.util.concurrent.TimeUnit.SECONDS);
        Path conf;
        try (var s = Files.walk(host.dir)) {
            conf = s.filter(p -> p.getFileName().toString().equals("pool.conf"))
                    .findFirst()
                    .orElseThrow();
        }
        assertEquals("slave:192.0.2.7", Files.readString(conf).strip());
        assertEquals(
                "Host agent will restart and transition to master in 10.000 seconds...\n",
                ok("pool-emergency-transition-to-master", "--force"));
        assertEquals("master", Files.readString(conf).strip());
    }

    @Test
    void messageDestroyAll() {
        String pool = min("pool-list");
        ok("message-destroy-all"); // what other tests' VMs left
        assertEquals("", min("message-list"));
        ok("message-create", "name=low", "priority=3", "body=b", "pool-uuid=" + pool);
        ok("message-create", "name=high", "priority=5", "body=b", "pool-uuid=" + pool);
        assertEquals(
                "Error: invalid timestamp format for 'before' (expected RFC3339, for example,"
                        + " 2025-01-01T00:00:00Z)\n",
                fails("message-destroy-all", "before=yesterday"));
        assertEquals(
                "Error: Invalid timestamp format for 'after' (expected RFC3339, for example,"
                        + " 2025-01-01T00:00:00Z)\n",
                fails("message-destroy-all", "after=2025-13"));
        assertEquals(
                "Error: Invalid priority format (expected positive integer)\n",
                fails("message-destroy-all", "priority=high"));
        // nothing is older than 2000, every message is newer
        ok("message-destroy-all", "before=20000101T00:00:00Z");
        assertEquals(2, min("message-list", "params=name").split(",").length);
        ok("message-destroy-all", "priority=3", "after=2000-01-01T00:00:00+02:00");
        assertEquals("high", min("message-list", "params=name"));
        ok("message-destroy-all");
        assertEquals("", min("message-list"));
    }

    @Test
    void observersAndNetworks() {
        String uuid = ok("observer-create", "name-label=o", "host-uuids=" + hostUuid, "attributes=a:b,c:d,junk")
                .strip();
        assertEquals("bugtool", min("observer-param-get", "uuid=" + uuid, "param-name=endpoints"));
        assertEquals("a: b; c: d\n", ok("observer-param-get", "uuid=" + uuid, "param-name=attributes"));
        assertEquals(hostUuid, min("observer-param-get", "uuid=" + uuid, "param-name=host-uuids"));
        assertEquals("false", min("observer-param-get", "uuid=" + uuid, "param-name=enabled"));
        String other = ok("observer-create", "name-label=p", "endpoints=e1,e2", "components=xapi", "enabled=true")
                .strip();
        assertEquals("e1; e2\n", ok("observer-param-get", "uuid=" + other, "param-name=endpoints"));
        assertEquals("true", min("observer-param-get", "uuid=" + other, "param-name=enabled"));
        ok("observer-destroy", "uuid=" + uuid);
        ok("observer-destroy", "uuid=" + other);
        assertEquals("", min("observer-list"));

        String net = min("network-list", "bridge=xenbr0");
        ok("network-attach", "uuid=" + net, "host-uuid=" + hostUuid);
        assertTrue(fails("network-attach", "uuid=" + net, "host-uuid=nope")
                .startsWith("The uuid you supplied was invalid.\n"));
    }

    @Test
    void storage() {
        String sr = min("sr-list", "type=file");
        assertEquals(
                "The uuid you supplied was invalid.\ntype: PVS_site\nuuid: nope\n",
                fails("pvs-cache-storage-create", "sr-uuid=" + sr, "pvs-site-uuid=nope", "size=1GiB"));
        // PVS_site.introduce is not implemented: a site as it would have made one
        String site = "11111111-2222-3333-4444-555555555555";
        host.server.services().db().create("PVS_site", Refs.fresh(), Map.of("uuid", site, "name_label", "site"));
        String cache = min("pvs-cache-storage-create", "sr-uuid=" + sr, "pvs-site-uuid=" + site, "size=1GiB");
        assertEquals(
                table(List.of(
                        Map.entry("uuid ( RO)", cache),
                        Map.entry("host-uuid ( RO)", hostUuid),
                        Map.entry("sr-uuid ( RO)", sr),
                        Map.entry("pvs-site-uuid ( RO)", site),
                        Map.entry("size ( RO)", "1073741824"))),
                ok("pvs-cache-storage-list"));
        ok("pvs-cache-storage-destroy", "uuid=" + cache);
        assertEquals("", min("pvs-cache-storage-list"));
        assertTrue(fails("sr-probe-ext", "type=file")
                .startsWith("The SR backend does not support the operation (check the SR's allowed operations)\n"));
        assertEquals(
                "Error: Unknown vdi type: bogus\n",
                fails("vdi-introduce", "uuid=x", "sr-uuid=" + sr, "type=bogus", "location=l"));

        String vdi = min("vdi-create", "sr-uuid=" + sr, "name-label=d", "virtual-size=4MiB");
        // the file SR has no changed-block tracking: the server's refusal comes through
        String refused = "The SR backend does not support the operation (check the SR's allowed operations)\n" + "sr: "
                + sr + " (Local storage)\n";
        for (String[] cmd : new String[][] {
            {"vdi-enable-cbt", "uuid=" + vdi},
            {"vdi-disable-cbt", "uuid=" + vdi},
            {"vdi-data-destroy", "uuid=" + vdi},
            {"vdi-list-changed-blocks", "vdi-from-uuid=" + vdi, "vdi-to-uuid=" + vdi}
        }) {
            assertEquals(refused, fails(cmd), String.join(" ", cmd));
        }
        assertEquals("false", min("vdi-param-get", "uuid=" + vdi, "param-name=cbt-enabled"));
        // nor does it introduce: the VDI stays forgotten
        String location = min("vdi-param-get", "uuid=" + vdi, "param-name=location");
        ok("vdi-forget", "uuid=" + vdi);
        assertEquals(
                refused,
                fails(
                        "vdi-introduce",
                        "uuid=" + vdi,
                        "sr-uuid=" + sr,
                        "type=user",
                        "location=" + location,
                        "name-label=back",
                        "other-config:k=v"));
        assertEquals("", min("vdi-list", "uuid=" + vdi));
    }

    @Test
    void subjectsAndRoles() {
        String subj = Refs.fresh();
        host.server
                .services()
                .db()
                .create(
                        "subject",
                        subj,
                        Map.of(
                                "uuid",
                                "7a4f3a4e-1111-2222-3333-444455556666",
                                "subject_identifier",
                                "S-1-5-21-1",
                                "roles",
                                List.of()));
        String uuid = "7a4f3a4e-1111-2222-3333-444455556666";
        // cli_operations.ml's failwith is its own: a CLI failure, printed as "Error: ..."
        String failure = "Error: ";
        assertEquals(
                failure + "Required parameter not found: role-uuid or role-name\n",
                fails("subject-role-add", "uuid=" + uuid));
        assertEquals(
                failure + "Parameters role-uuid and role-name cannot be used together\n",
                fails("subject-role-add", "uuid=" + uuid, "role-name=vm-admin", "role-uuid=x"));
        ok("subject-role-add", "uuid=" + uuid, "role-name=vm-admin");
        String vmAdmin = min("role-list", "name=vm-admin");
        assertEquals("vm-admin", min("subject-param-get", "uuid=" + uuid, "param-name=roles"));
        assertEquals("Role cannot be found.\n", fails("subject-role-add", "uuid=" + uuid, "role-name=nosuch"));
        ok("subject-role-remove", "uuid=" + uuid, "role-uuid=" + vmAdmin);
        assertEquals("", min("subject-param-get", "uuid=" + uuid, "param-name=roles"));
        ok("subject-remove", "subject-uuid=" + uuid);
        assertEquals("", min("subject-list"));

        assertEquals("", ok("session-subject-identifier-list"));
        ok("session-subject-identifier-logout-all");
        assertEquals("", ok("session-subject-identifier-logout", "subject-identifier=S-1-5-21-9"));
    }
}
