package org.xapijava.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.types.Refs;
import org.xapijava.server.TestHost;

/**
 * The xe commands whose XenAPI calls the server does not implement yet, run by the real {@code xe} client: each
 * reaches its call (the call's NOT_IMPLEMENTED printed as xe prints errors), and every argument check of Xapi's
 * {@code cli_operations.ml} before the call prints Xapi's text.
 */
class XeApiBoundCommandsTest {
    private static final String INTERNAL = "The server failed to handle your request, due to an internal error. The"
            + " given message may give details useful for debugging the problem.\nmessage: ";

    @TempDir
    static Path dir;

    static TestHost host;
    static Path home;
    static String hostUuid;
    static String network;
    static String pif;
    static String sr;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir.resolve("host"));
        home = Files.createDirectories(dir.resolve("home"));
        hostUuid = min("host-list");
        network = min("network-create", "name-label=n");
        sr = min("sr-list", "type=file");
        // PIF.introduce is not implemented: a PIF as it would have made one
        pif = "aaaaaaaa-0000-0000-0000-000000000001";
        String hostRef = (String) host.ok("host.get_by_uuid", host.login(), hostUuid);
        String netRef = (String) host.ok("network.get_by_uuid", host.login(), network);
        host.server
                .services()
                .db()
                .create(
                        "PIF",
                        Refs.fresh(),
                        Map.of("uuid", pif, "device", "eth9", "host", hostRef, "network", netRef, "VLAN", -1L));
    }

    @AfterAll
    static void stop() throws Exception {
        host.close();
    }

    static XeRun.Result xe(String... args) {
        return XeRun.tcp(host, home, "", args);
    }

    static String ok(String... args) {
        XeRun.Result r = xe(args);
        assertEquals(0, r.code(), () -> "xe " + String.join(" ", args) + "\n" + r);
        return r.out();
    }

    static String min(String... args) {
        String[] a = java.util.Arrays.copyOf(args, args.length + 1);
        a[args.length] = "--minimal";
        return ok(a).strip();
    }

    /** The command exits 1 having printed {@code stderr} and nothing on stdout. */
    static void fails(String stderr, String... args) {
        XeRun.Result r = xe(args);
        assertEquals(1, r.code(), () -> "xe " + String.join(" ", args) + "\n" + r);
        assertEquals(stderr, r.err(), () -> "xe " + String.join(" ", args) + "\n" + r);
        assertEquals("", r.out(), () -> "xe " + String.join(" ", args) + "\n" + r);
    }

    /** The command reached {@code function} and printed its NOT_IMPLEMENTED. */
    static void reaches(String function, String... args) {
        fails("The function is not implemented\nfunction: " + function + "\n", args);
    }

    /** The command reached {@code function}, which is implemented: whatever its outcome, no NOT_IMPLEMENTED. */
    static void runs(String function, String... args) {
        XeRun.Result r = xe(args);
        assertFalse(r.err().contains("function: " + function), () -> "xe " + String.join(" ", args) + "\n" + r);
    }

    static String uuidInvalid(String cls, String uuid) {
        return "The uuid you supplied was invalid.\ntype: " + cls + "\nuuid: " + uuid + "\n";
    }

    @Test
    void network() {
        reaches("Bond.create", "bond-create", "network-uuid=" + network, "pif-uuids=" + pif, "properties:x=y");
        reaches("Bond.create", "bond-create", "network-uuid=" + network, "pif-uuids=" + pif, "mode=LACP");
        fails(
                "Error: Invalid bond mode. Got bogus\n",
                "bond-create",
                "network-uuid=" + network,
                "pif-uuids=" + pif,
                "mode=Bogus");
        fails(uuidInvalid("PIF", "nope"), "bond-create", "network-uuid=" + network, "pif-uuids=" + pif + ",nope");
        fails(uuidInvalid("Bond", "nope"), "bond-destroy", "uuid=nope");
        String bond = seed("Bond", "aaaaaaaa-0000-0000-0000-000000000002", Map.of());
        reaches("Bond.destroy", "bond-destroy", "uuid=" + bond);
        reaches("Bond.set_mode", "bond-set-mode", "uuid=" + bond, "mode=active-backup");
        fails("Error: Invalid bond mode. Got round-robin\n", "bond-set-mode", "uuid=" + bond, "mode=Round-Robin");
        String tunnel = seed("tunnel", "aaaaaaaa-0000-0000-0000-000000000003", Map.of());
        reaches("tunnel.destroy", "tunnel-destroy", "uuid=" + tunnel);
        String sriov = seed("network_sriov", "aaaaaaaa-0000-0000-0000-000000000004", Map.of());
        reaches("network_sriov.destroy", "network-sriov-destroy", "uuid=" + sriov);
        reaches("tunnel.create", "tunnel-create", "pif-uuid=" + pif, "network-uuid=" + network);
        reaches("tunnel.create", "tunnel-create", "pif-uuid=" + pif, "network-uuid=" + network, "protocol=VXLAN");
        fails(
                "Error: Expected one of 'gre', 'vxlan', got ipip\n",
                "tunnel-create",
                "pif-uuid=" + pif,
                "network-uuid=" + network,
                "protocol=IPIP");
        reaches("network_sriov.create", "network-sriov-create", "pif-uuid=" + pif, "network-uuid=" + network);
        reaches("PIF.introduce", "pif-introduce", "host-uuid=" + hostUuid, "device=eth7", "mac=aa:bb:cc:dd:ee:ff");
        fails(
                "Error: Failed to parse parameter 'managed': Expected 'true','t','yes','y','1','false','f','no','n','0'"
                        + " got maybe\n",
                "pif-introduce",
                "host-uuid=" + hostUuid,
                "device=eth7",
                "managed=maybe");
        reaches("PIF.forget", "pif-forget", "uuid=" + pif);
        reaches("PIF.db_forget", "pif-db-forget", "uuid=" + pif);
        reaches("PIF.reconfigure_ipv6", "pif-reconfigure-ipv6", "uuid=" + pif, "mode=static", "ipv6=fe80::1/64");
        fails(
                "Error: Expected one of 'None', 'DHCP', 'Static', 'Autoconf', got bogus\n",
                "pif-reconfigure-ipv6",
                "uuid=" + pif,
                "mode=Bogus");
        reaches(
                "PIF.set_primary_address_type",
                "pif-set-primary-address-type",
                "uuid=" + pif,
                "primary_address_type=ipv6");
        fails(
                "Error: Expected one of 'IPv4', 'IPv6', got ipv5\n",
                "pif-set-primary-address-type",
                "uuid=" + pif,
                "primary_address_type=IPv5");
        reaches(
                "pool.create_VLAN_from_PIF",
                "pool-vlan-create",
                "pif-uuid=" + pif,
                "network-uuid=" + network,
                "vlan=0x10");
        fails(
                "Error: Failed to parse parameter 'vlan': expecting an integer\n",
                "pool-vlan-create",
                "pif-uuid=" + pif,
                "network-uuid=" + network,
                "vlan=ten");
        reaches("pool.management_reconfigure", "pool-management-reconfigure", "network-uuid=" + network);
        reaches("host.management_reconfigure", "host-management-reconfigure", "pif-uuid=" + pif);
        reaches("host.management_disable", "host-management-disable");
        reaches("host.local_management_reconfigure", "host-emergency-management-reconfigure", "interface=eth0");
        reaches("SDN_controller.introduce", "sdn-controller-introduce", "address=10.0.0.1", "tcp-port=6632");
        fails("Error: port field should be an integer\n", "sdn-controller-introduce", "tcp-port=x");
        fails("Error: Expected one of 'ssl', 'pssl', got tcp\n", "sdn-controller-introduce", "protocol=TCP");
    }

    @Test
    void haAndLicences() throws Exception {
        reaches("pool.enable_ha", "pool-ha-enable", "heartbeat-sr-uuids=" + sr, "ha-config:timeout=30");
        fails(uuidInvalid("SR", "nope"), "pool-ha-enable", "heartbeat-sr-uuids=" + sr + ",nope");
        reaches("pool.disable_ha", "pool-ha-disable");
        reaches("pool.ha_prevent_restarts_for", "pool-ha-prevent-restarts-for", "seconds=1_000");
        fails(INTERNAL + "Failure: Int64.of_string\n", "pool-ha-prevent-restarts-for", "seconds=1.5");
        reaches("pool.ha_compute_max_host_failures_to_tolerate", "pool-ha-compute-max-host-failures-to-tolerate");
        String dom0 = min("vm-list", "is-control-domain=true");
        reaches(
                "pool.ha_compute_hypothetical_max_host_failures_to_tolerate",
                "pool-ha-compute-hypothetical-max-host-failures-to-tolerate",
                "vm-uuid=" + dom0,
                "restart-priority=restart");
        fails(
                "Error: Call requires an equal number of vm-uuid and restart-priority arguments\n",
                "pool-ha-compute-hypothetical-max-host-failures-to-tolerate",
                "vm-uuid=" + dom0);
        reaches("pool.ha_compute_vm_failover_plan", "pool-ha-compute-vm-failover-plan", "host-uuids=" + hostUuid);
        // the pool's redo log: on, then off (the VDI stays for the next time, as Xapi's)
        // (xe's pool record has no redo-log field: read through the API)
        String apiSession = host.login();
        String redoPool = (String) host.ok("pool.get_by_uuid", apiSession, min("pool-list"));
        ok("pool-enable-redo-log", "sr-uuid=" + sr);
        assertEquals(true, host.ok("pool.get_redo_log_enabled", apiSession, redoPool));
        ok("pool-disable-redo-log");
        assertEquals(false, host.ok("pool.get_redo_log_enabled", apiSession, redoPool));
        ok("pool-secret-rotate"); // a pool of one: the master alone takes a new secret
        reaches(
                "pool.enable_external_auth",
                "pool-enable-external-auth",
                "auth-type=AD",
                "service-name=example.com",
                "config:user=u");
        reaches("pool.disable_external_auth", "pool-disable-external-auth");
        fails(uuidInvalid("pool", "nope"), "pool-disable-external-auth", "uuid=nope");
        String pool = min("pool-list");
        reaches("pool.enable_local_storage_caching", "pool-enable-local-storage-caching", "uuid=" + pool);
        reaches("pool.disable_local_storage_caching", "pool-disable-local-storage-caching", "uuid=" + pool);
        reaches("pool.enable_ssh", "pool-enable-ssh");
        reaches("pool.disable_ssh", "pool-disable-ssh", "uuid=" + pool);
        reaches("host.enable_ssh", "host-enable-ssh", "host=" + hostUuid);
        reaches("host.disable_ssh", "host-disable-ssh");

        // the licence server is set on every host before the edition is applied
        reaches(
                "pool.apply_edition",
                "pool-apply-edition",
                "edition=premium",
                "license-server-address=ls.example.com",
                "license-server-port=27001");
        assertEquals(
                "ls.example.com",
                min("host-param-get", "uuid=" + hostUuid, "param-name=license-server", "param-key=address"));
        assertEquals("27001", min("host-param-get", "uuid=" + hostUuid, "param-name=license-server", "param-key=port"));
        fails(
                "NOTE: The given port number is invalid; reverting to the current value.\n\n"
                        + "The function is not implemented\nfunction: host.apply_edition\n",
                "host-apply-edition",
                "edition=premium",
                "license-server-port=70000");
        assertEquals("27001", min("host-param-get", "uuid=" + hostUuid, "param-name=license-server", "param-key=port"));
        reaches("host.apply_edition", "host-apply-edition", "host-uuid=" + hostUuid, "edition=premium");

        fails("Failed to read license file.\n", "host-license-add", "license-file=" + dir.resolve("none.lic"));
        Path lic = Files.writeString(dir.resolve("x.lic"), "licence");
        fails("Failed to apply license file.\n", "host-license-add", "license-file=" + lic);
        reaches("host.license_remove", "host-license-remove");
    }

    @Test
    void certificatesAndHostControl() throws Exception {
        XeRun.Result cert0 = xe("host-get-server-certificate");
        assertEquals(0, cert0.code(), cert0::toString);
        assertTrue(cert0.out().startsWith("-----BEGIN CERTIFICATE-----"), cert0::toString);
        runs("host.refresh_server_certificate", "host-refresh-server-certificate", "host=" + hostUuid);
        runs("host.reset_server_certificate", "host-reset-server-certificate", "uuid=" + hostUuid);
        fails("Error: No matching hosts found\n", "host-reset-server-certificate", "uuid=nope");
        Path cert = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
        Path missing = dir.resolve("missing.pem");
        fails(
                "Failed to read certificate\n",
                "host-server-certificate-install",
                "certificate=" + missing,
                "private-key=" + cert);
        fails(
                "Failed to read private key\n",
                "host-server-certificate-install",
                "certificate=" + cert,
                "private-key=" + missing);
        fails(
                "Failed to read certificate chain\n",
                "host-server-certificate-install",
                "certificate=" + cert,
                "private-key=" + cert,
                "certificate-chain=" + missing);
        fails(
                "Error: Parameter certificate-chain is defined multiple times, define it only once.\n",
                "host-server-certificate-install",
                "certificate=" + cert,
                "private-key=" + cert,
                "certificate-chain=" + cert,
                "certificate-chain=" + cert);
        XeRun.Result badKey = xe(
                "host-server-certificate-install",
                "certificate=" + cert,
                "private-key=" + cert,
                "certificate-chain=" + cert);
        assertEquals(1, badKey.code(), badKey::toString);
        assertEquals("The provided key is not in a PEM-encoded PKCS#8 format.\n", badKey.err(), badKey::toString);
        fails("Failed to read certificate\n", "pool-install-ca-certificate", "filename=" + missing);
        runs("pool.install_ca_certificate", "pool-install-ca-certificate", "filename=" + cert);
        runs("pool.install_ca_certificate", "pool-certificate-install", "filename=" + cert);
        runs("pool.uninstall_ca_certificate", "pool-uninstall-ca-certificate", "name=ca.pem", "force=true");
        fails(
                "Error: Failed to parse parameter 'force': Expected 'true','t','yes','y','1','false','f','no','n','0'"
                        + " got sure\n",
                "pool-uninstall-ca-certificate",
                "name=ca.pem",
                "force=sure");
        runs("pool.uninstall_ca_certificate", "pool-certificate-uninstall", "name=ca.pem");
        runs("pool.certificate_list", "pool-certificate-list");
        runs("pool.certificate_sync", "pool-certificate-sync");
        fails("Failed to read CRL\n", "pool-crl-install", "filename=" + missing);
        Path crl = Files.writeString(dir.resolve("corp-crl.pem"), new org.xapijava.server.tls.TestCa("Corp").crl());
        XeRun.Result installed = xe("pool-crl-install", "filename=" + crl);
        assertEquals(0, installed.code(), installed::toString);
        assertEquals("corp-crl.pem\n", xe("pool-crl-list").out());
        XeRun.Result uninstalled = xe("pool-crl-uninstall", "name=corp-crl.pem");
        assertEquals(0, uninstalled.code(), uninstalled::toString);
        assertEquals("", xe("pool-crl-list").out());
        runs("pool.enable_tls_verification", "pool-enable-tls-verification");
        reaches("pool.enable_client_certificate_auth", "pool-enable-client-certificate-auth", "name=client");
        reaches("pool.disable_client_certificate_auth", "pool-disable-client-certificate-auth");

        fails(
                "Error: This operation is dangerous and may cause data loss. This operation must be"
                        + " forced (use --force).\n",
                "host-emergency-ha-disable");
        reaches("host.emergency_ha_disable", "host-emergency-ha-disable", "--force", "soft=true");
        runs("host.emergency_reset_server_certificate", "host-emergency-reset-server-certificate");
        runs("host.emergency_disable_tls_verification", "host-emergency-disable-tls-verification");
        runs("host.emergency_reenable_tls_verification", "host-emergency-reenable-tls-verification");
        reaches("host.emergency_clear_mandatory_guidance", "host-emergency-clear-mandatory-guidance");
        reaches("host.set_hostname_live", "host-set-hostname-live", "host-uuid=" + hostUuid, "host-name=h1");
        reaches("host.enable_display", "host-enable-display", "uuid=" + hostUuid);
        reaches("host.disable_display", "host-disable-display", "uuid=" + hostUuid);
        reaches("host.syslog_reconfigure", "host-syslog-reconfigure", "host-uuid=" + hostUuid);
        ok("host-send-debug-keys", "host-uuid=" + hostUuid, "keys=q");
        assertTrue(ok("host-dmesg", "uuid=" + hostUuid)
                .contains("(XEN) 'q' pressed -> dump domain (and guest debug) info\n"));
        ok("host-set-power-on-mode", "power-on-mode=wake-on-lan", "power-on-config:x=y");
        assertEquals("wake-on-lan", min("host-param-get", "uuid=" + hostUuid, "param-name=power-on-mode"));
        assertEquals("x: y", min("host-param-get", "uuid=" + hostUuid, "param-name=power-on-config"));
        // this host answers: it cannot be powered on
        fails(
                "This operation cannot be completed because the server is still live.\nhost: " + hostUuid + " ("
                        + min("host-list", "params=name-label") + ")\n",
                "host-power-on",
                "host=" + hostUuid);
        ok("host-set-power-on-mode", "power-on-mode=");
    }

    /** An object of {@code cls} as the server would have made it: its uuid. */
    static String seed(String cls, String uuid, Map<String, Object> fields) {
        Map<String, Object> f = new java.util.HashMap<>(fields);
        f.put("uuid", uuid);
        host.server.services().db().create(cls, Refs.fresh(), f);
        return uuid;
    }

    @Test
    void patchesAndUpdates() throws Exception {
        Path data = Files.write(dir.resolve("update.iso"), new byte[4096]);
        int vdis = min("vdi-list", "sr-uuid=" + sr).split(",").length;
        // the update lands in a new VDI, which is destroyed when the update cannot be introduced
        reaches("pool_update.introduce", "update-upload", "file-name=" + data, "sr-uuid=" + sr);
        assertEquals(vdis, min("vdi-list", "sr-uuid=" + sr).split(",").length);
        fails(uuidInvalid("SR", "nope"), "update-upload", "file-name=" + data, "sr-uuid=nope");
        assertEquals(vdis, min("vdi-list", "sr-uuid=" + sr).split(",").length);
        String vdi = min("vdi-create", "sr-uuid=" + sr, "name-label=u", "virtual-size=1MiB");
        reaches("pool_update.introduce", "update-introduce", "vdi-uuid=" + vdi);
        // the server has no /pool_patch_upload handler yet: the client's transfer fails, the task holds no error
        fails("Error code: CLIENT_ERROR\nError parameters: \n", "patch-upload", "file-name=" + data);

        String update = seed("pool_update", "bbbbbbbb-0000-0000-0000-000000000001", Map.of("name_label", "u"));
        fails(uuidInvalid("pool_update", "nope"), "update-precheck", "uuid=nope");
        reaches("pool_update.precheck", "update-precheck", "uuid=" + update);
        reaches("pool_update.apply", "update-apply", "uuid=" + update, "host=" + hostUuid);
        reaches("pool_update.pool_apply", "update-pool-apply", "uuid=" + update);
        reaches("pool_update.pool_clean", "update-pool-clean", "uuid=" + update);
        reaches("pool_update.destroy", "update-destroy", "uuid=" + update);
        reaches("pool_update.resync_host", "update-resync-host", "host-uuid=" + hostUuid);
        String p = seed("pool_patch", "bbbbbbbb-0000-0000-0000-000000000002", Map.of("name_label", "p"));
        fails(uuidInvalid("pool_patch", "nope"), "patch-destroy", "uuid=nope");
        reaches("pool_patch.destroy", "patch-destroy", "uuid=" + p);
        reaches("pool_patch.clean", "patch-clean", "uuid=" + p);
        reaches("pool_patch.pool_clean", "patch-pool-clean", "uuid=" + p);
        reaches("pool_patch.apply", "patch-apply", "uuid=" + p, "host-uuid=" + hostUuid);
        reaches("pool_patch.precheck", "patch-precheck", "uuid=" + p, "host-uuid=" + hostUuid);
        reaches("pool_patch.pool_apply", "patch-pool-apply", "uuid=" + p);
    }

    @Test
    void wlbUpdatesAndUpkeep() throws Exception {
        reaches(
                "pool.initialize_wlb",
                "pool-initialize-wlb",
                "wlb_url=wlb.example.com:8012",
                "wlb_username=u",
                "wlb_password=p",
                "xenserver_username=root",
                "xenserver_password=x");
        reaches("pool.deconfigure_wlb", "pool-deconfigure-wlb");
        reaches("pool.send_wlb_configuration", "pool-send-wlb-configuration", "config:OptimizationMode=MaxPerformance");
        reaches("pool.retrieve_wlb_configuration", "pool-retrieve-wlb-configuration");
        reaches("pool.retrieve_wlb_recommendations", "pool-retrieve-wlb-recommendations");
        reaches(
                "host.retrieve_wlb_evacuate_recommendations",
                "host-retrieve-wlb-evacuate-recommendations",
                "uuid=" + hostUuid);
        reaches("pool.send_test_post", "pool-send-test-post", "dest-host=127.0.0.1", "dest-port=0x1bb", "body=b");
        fails(INTERNAL + "Failure: Int64.of_string\n", "pool-send-test-post", "dest-host=h", "dest-port=x", "body=b");
        reaches("pool.configure_repository_proxy", "pool-configure-repository-proxy", "proxy-url=http://proxy:3128");
        reaches("pool.disable_repository_proxy", "pool-disable-repository-proxy");
        // daily: the day is not looked at
        reaches(
                "pool.configure_update_sync",
                "pool-configure-update-sync",
                "update-sync-frequency=daily",
                "update-sync-day=9");
        reaches(
                "pool.configure_update_sync",
                "pool-configure-update-sync",
                "update-sync-frequency=WEEKLY",
                "update-sync-day=6");
        String day = "Error: Invalid value for day picked, must be an integer from 0 to 6\n";
        fails(day, "pool-configure-update-sync", "update-sync-frequency=weekly", "update-sync-day=7");
        fails(day, "pool-configure-update-sync", "update-sync-frequency=weekly", "update-sync-day=sunday");
        fails(
                "Error: Expected one of 'daily', 'weekly', got monthly\n",
                "pool-configure-update-sync",
                "update-sync-frequency=Monthly",
                "update-sync-day=1");
        reaches("pool.set_update_sync_enabled", "pool-set-update-sync-enabled", "value=true");
        reaches("pool.sync_updates", "pool-sync-updates", "force=true");
        reaches("host.apply_updates", "host-apply-updates", "uuid=" + hostUuid, "hash=abc");

        fails(uuidInvalid("host_crashdump", "nope"), "host-crashdump-destroy", "uuid=nope");
        fails(uuidInvalid("host_crashdump", "nope"), "host-crashdump-upload", "uuid=nope", "url=http://x/");
        reaches("host.bugreport_upload", "host-bugreport-upload", "url=http://x/", "http_proxy=http://p/");
        reaches("host.external_auth_set_ldaps", "host-external-auth-set-ldaps", "host-uuid=" + hostUuid, "ldaps=true");
        reaches("pool.external_auth_set_ldaps", "pool-external-auth-set-ldaps", "ldaps=false", "force=true");
        reaches("host.refresh_pack_info", "host-refresh-pack-info", "host-uuid=" + hostUuid);
        reaches("pool.enable_binary_storage", "pool-enable-binary-storage");
        reaches("pool.disable_binary_storage", "pool-disable-binary-storage");
        assertEquals("", ok("pool-disable-ssl-legacy")); // Xapi's does nothing
        Path cert = Files.writeString(home.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
        reaches(
                "pool.install_trusted_certificate",
                "pool-install-trusted-certificate",
                "filename=" + cert,
                "ca=false",
                "purpose=LDAPS,licensing");
        fails(
                "Error: Expected one of 'licensing', 'ldaps', got bogus\n",
                "pool-install-trusted-certificate",
                "filename=" + cert,
                "ca=true",
                "purpose=ldaps,Bogus");
        fails(
                "Failed to read certificate\n",
                "pool-install-trusted-certificate",
                "filename=" + home.resolve("missing.pem"),
                "ca=true");
        fails(uuidInvalid("Certificate", "nope"), "pool-uninstall-trusted-certificate", "certificate-uuid=nope");
        reaches(
                "LVHD.enable_thin_provisioning",
                "lvhd-enable-thin-provisioning",
                "sr-uuid=" + sr,
                "initial-allocation=1GiB",
                "allocation-quantum=512MiB",
                "uuid=" + hostUuid);
        fails(
                "Error: Failed to parse field 'allocation-quantum': expecting an integer (possibly with suffix KiB, MiB,"
                        + " GiB, TiB), got '0.5GiB'\n",
                "lvhd-enable-thin-provisioning",
                "sr-uuid=" + sr,
                "initial-allocation=1GiB",
                "allocation-quantum=0.5GiB");
        String vm = min("vm-install", "template=Other install media", "new-name-label=upkeep");
        reaches(
                "VM.update_secureboot_certificates_on_boot",
                "vm-update-secureboot-certificates-on-boot",
                "uuid=" + vm,
                "mark=true");
        fails(
                "Error: A parameter of the form 'database:vdi-uuid=<uuid>' must be specified to run this command.\n",
                "vm-recover",
                "uuid=" + vm);
        fails(uuidInvalid("VDI", "nope"), "vm-assert-can-be-recovered", "uuid=" + vm, "database:vdi-uuid=nope");

        // one record per host (the printer aligns the keys)
        assertEquals(
                java.util.List.of(
                        "Error              : Server_error(NOT_IMPLEMENTED, [ host.get_diagnostic_timing_stats ])",
                        "host-name-label: " + min("host-list", "params=name-label"),
                        "host-uuid: " + hostUuid,
                        "",
                        ""),
                ok("diagnostic-timing-stats").lines().map(String::strip).toList());
        XeRun.Result health = xe("host-ha-xapi-healthcheck");
        assertEquals(3, health.code(), health::toString);
        assertEquals(
                "Host.ha_xapi_healthcheck threw exception: NOT_IMPLEMENTED: [ host.ha_xapi_healthcheck ]\n",
                health.err());
        ok("vm-uninstall", "uuid=" + vm, "--force");
    }

    @Test
    void objects() throws Exception {
        reaches("auth.get_subject_identifier", "subject-add", "subject-name=alice");
        reaches("GPU_group.create", "gpu-group-create", "name-label=g");
        String group = seed("GPU_group", "cccccccc-0000-0000-0000-000000000001", Map.of("name_label", "g"));
        String type = seed("VGPU_type", "cccccccc-0000-0000-0000-000000000002", Map.of());
        reaches(
                "GPU_group.get_remaining_capacity",
                "gpu-group-get-remaining-capacity",
                "uuid=" + group,
                "vgpu-type-uuid=" + type);
        fails(
                uuidInvalid("VGPU_type", "nope"),
                "gpu-group-get-remaining-capacity",
                "uuid=" + group,
                "vgpu-type-uuid=nope");
        String dom0 = min("vm-list", "is-control-domain=true");
        reaches("VGPU.create", "vgpu-create", "vm-uuid=" + dom0, "gpu-group-uuid=" + group);
        reaches(
                "VGPU.create",
                "vgpu-create",
                "vm-uuid=" + dom0,
                "gpu-group-uuid=" + group,
                "vgpu-type-uuid=" + type,
                "device=1");
        reaches("GPU_group.destroy", "gpu-group-destroy", "uuid=" + group);
        String vgpu = seed("VGPU", "cccccccc-0000-0000-0000-000000000003", Map.of());
        reaches("VGPU.destroy", "vgpu-destroy", "uuid=" + vgpu);
        String pgpu = seed("PGPU", "cccccccc-0000-0000-0000-000000000004", Map.of());
        reaches("PGPU.enable_dom0_access", "pgpu-enable-dom0-access", "uuid=" + pgpu);
        reaches("PGPU.disable_dom0_access", "pgpu-disable-dom0-access", "uuid=" + pgpu);

        reaches("PVS_site.introduce", "pvs-site-introduce", "name-label=s", "pvs-uuid=p");
        String site = seed("PVS_site", "dddddddd-0000-0000-0000-000000000001", Map.of("name_label", "s"));
        reaches("PVS_site.forget", "pvs-site-forget", "uuid=" + site);
        reaches(
                "PVS_server.introduce",
                "pvs-server-introduce",
                "addresses=10.0.0.1,10.0.0.2",
                "first-port=6910",
                "last-port=6930",
                "pvs-site-uuid=" + site);
        fails(
                INTERNAL + "Failure: Int64.of_string\n",
                "pvs-server-introduce",
                "addresses=10.0.0.1",
                "first-port=69x",
                "last-port=6930",
                "pvs-site-uuid=" + site);
        fails(
                INTERNAL + "Failure: Int64.of_string\n",
                "pvs-server-introduce",
                "addresses=10.0.0.1",
                "first-port=6910",
                "last-port=",
                "pvs-site-uuid=" + site);
        String server = seed("PVS_server", "dddddddd-0000-0000-0000-000000000002", Map.of());
        reaches("PVS_server.forget", "pvs-server-forget", "uuid=" + server);
        String vif = seed("VIF", "dddddddd-0000-0000-0000-000000000005", Map.of());
        reaches("PVS_proxy.create", "pvs-proxy-create", "pvs-site-uuid=" + site, "vif-uuid=" + vif);
        String proxy = seed("PVS_proxy", "dddddddd-0000-0000-0000-000000000003", Map.of());
        reaches("PVS_proxy.destroy", "pvs-proxy-destroy", "uuid=" + proxy);
        String sdn = seed("SDN_controller", "dddddddd-0000-0000-0000-000000000004", Map.of());
        reaches("SDN_controller.forget", "sdn-controller-forget", "uuid=" + sdn);

        reaches(
                "Repository.introduce",
                "repository-introduce",
                "name-label=r",
                "binary-url=https://a/b",
                "source-url=https://a/s",
                "update=true",
                "gpgkey-path=k");
        fails(
                "Error: Failed to parse parameter 'update': Expected 'true','t','yes','y','1','false','f','no','n','0'"
                        + " got perhaps\n",
                "repository-introduce",
                "name-label=r",
                "binary-url=https://a/b",
                "source-url=https://a/s",
                "update=perhaps");
        reaches("Repository.introduce_bundle", "repository-introduce-bundle", "name-label=b");
        fails(
                "Failed to read certificate file\n",
                "repository-introduce-remote-pool",
                "name-label=r",
                "binary-url=https://a/b",
                "certificate-file=" + dir.resolve("none.pem"));
        Path cert = Files.writeString(dir.resolve("remote.pem"), "cert");
        reaches(
                "Repository.introduce_remote_pool",
                "repository-introduce-remote-pool",
                "name-label=r",
                "binary-url=https://a/b",
                "certificate-file=" + cert);
        String repo = seed("Repository", "eeeeeeee-0000-0000-0000-000000000001", Map.of("name_label", "r"));
        reaches("Repository.set_gpgkey_path", "repository-set-gpgkey-path", "uuid=" + repo, "gpgkey-path=k");
        reaches("Repository.forget", "repository-forget", "uuid=" + repo);

        reaches("Cluster.pool_create", "cluster-pool-create", "network-uuid=" + network, "token-timeout=x");
        reaches("Cluster.create", "cluster-create", "pif-uuid=" + pif, "pool-auto-join=false");
        fails(
                "Error: Failed to parse parameter 'pool-auto-join': Expected 'true','t','yes','y','1','false','f',"
                        + "'no','n','0' got often\n",
                "cluster-create",
                "pif-uuid=" + pif,
                "pool-auto-join=often");
        String cluster = seed("Cluster", "ffffffff-0000-0000-0000-000000000001", Map.of());
        reaches("Cluster.pool_destroy", "cluster-pool-destroy", "cluster-uuid=" + cluster);
        reaches("Cluster.pool_force_destroy", "cluster-pool-force-destroy", "cluster-uuid=" + cluster);
        reaches("Cluster.pool_resync", "cluster-pool-resync", "cluster-uuid=" + cluster);
        reaches("Cluster.destroy", "cluster-destroy", "uuid=" + cluster);
        reaches(
                "Cluster_host.create",
                "cluster-host-create",
                "cluster-uuid=" + cluster,
                "host-uuid=" + hostUuid,
                "pif-uuid=" + pif);
        String member = seed("Cluster_host", "ffffffff-0000-0000-0000-000000000002", Map.of());
        reaches("Cluster_host.enable", "cluster-host-enable", "uuid=" + member);
        reaches("Cluster_host.disable", "cluster-host-disable", "uuid=" + member);
        reaches("Cluster_host.destroy", "cluster-host-destroy", "uuid=" + member);
        reaches("Cluster_host.force_destroy", "cluster-host-force-destroy", "uuid=" + member);
    }
}
