package org.xapijava.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
                INTERNAL + "Failure: Failed to parse parameter 'vlan': expecting an integer\n",
                "pool-vlan-create",
                "pif-uuid=" + pif,
                "network-uuid=" + network,
                "vlan=ten");
        reaches("pool.management_reconfigure", "pool-management-reconfigure", "network-uuid=" + network);
        reaches("host.management_reconfigure", "host-management-reconfigure", "pif-uuid=" + pif);
        reaches("host.management_disable", "host-management-disable");
        reaches("host.local_management_reconfigure", "host-emergency-management-reconfigure", "interface=eth0");
        reaches("SDN_controller.introduce", "sdn-controller-introduce", "address=10.0.0.1", "tcp-port=6632");
        fails(INTERNAL + "Failure: port field should be an integer\n", "sdn-controller-introduce", "tcp-port=x");
        fails("Error: Expected one of 'ssl', 'pssl', got tcp\n", "sdn-controller-introduce", "protocol=TCP");
    }
}
