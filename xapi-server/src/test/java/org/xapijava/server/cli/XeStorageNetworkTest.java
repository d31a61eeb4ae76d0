package org.xapijava.server.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;

/** The storage and network commands of xe-cli.md §4 through the real client, with their effects read back. */
class XeStorageNetworkTest {
    @TempDir
    static Path dir;

    static TestHost host;
    static Path home;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir.resolve("host"));
        home = Files.createDirectories(dir.resolve("home"));
    }

    @AfterAll
    static void stop() throws Exception {
        host.close();
    }

    static String ok(String... args) {
        return XeRun.ok(host, home, args);
    }

    static XeRun.Result xe(String... args) {
        return XeRun.tcp(host, home, "", args);
    }

    static boolean isUuid(String s) {
        return s.matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    }

    @Test
    void anSrIsCreatedScannedAndItsDisksMadeCopiedResizedAndDestroyed() throws Exception {
        Path location = Files.createDirectories(dir.resolve("sr2"));
        String sr = ok("sr-create", "name-label=second", "type=file", "device-config:location=" + location)
                .strip();
        assertTrue(isUuid(sr), sr);
        assertEquals("file\n", ok("sr-param-get", "uuid=" + sr, "param-name=type"));
        String pbd = ok("pbd-list", "sr-uuid=" + sr, "--minimal").strip();
        assertEquals("true\n", ok("pbd-param-get", "uuid=" + pbd, "param-name=currently-attached"));
        assertEquals("location: " + location + "\n", ok("pbd-param-get", "uuid=" + pbd, "param-name=device-config"));
        String vdi = ok("vdi-create", "sr-uuid=" + sr, "name-label=data", "virtual-size=8MiB")
                .strip();
        assertTrue(isUuid(vdi), vdi);
        assertEquals("8388608\n", ok("vdi-param-get", "uuid=" + vdi, "param-name=virtual-size"));
        assertEquals("", ok("vdi-resize", "uuid=" + vdi, "disk-size=16MiB"));
        assertEquals("16777216\n", ok("vdi-param-get", "uuid=" + vdi, "param-name=virtual-size"));
        String copy = ok("vdi-copy", "uuid=" + vdi, "sr-uuid=" + sr).strip();
        String clone = ok("vdi-clone", "uuid=" + vdi, "new-name-label=cloned").strip();
        String snap = ok("vdi-snapshot", "uuid=" + vdi).strip();
        assertEquals("cloned\n", ok("vdi-param-get", "uuid=" + clone, "param-name=name-label"));
        assertEquals("true\n", ok("vdi-param-get", "uuid=" + snap, "param-name=is-a-snapshot"));
        assertEquals(vdi + "\n", ok("vdi-param-get", "uuid=" + snap, "param-name=snapshot-of"));
        assertEquals("", ok("sr-scan", "uuid=" + sr));
        String listed =
                ok("vdi-list", "sr-uuid=" + sr, "params=uuid", "--minimal").strip();
        for (String v : new String[] {vdi, copy, clone, snap}) assertTrue(listed.contains(v), listed);
        XeRun.Result both = xe("vdi-copy", "uuid=" + vdi);
        assertEquals(
                "Error: Please specify one but not both of: a destination sr-uuid (I will create a fresh VDI);"
                        + " or a destination into-vdi-uuid (I will copy the blocks into this VDI)\n",
                both.err());
        XeRun.Result badType = xe("vdi-create", "sr-uuid=" + sr, "name-label=x", "virtual-size=1MiB", "type=odd");
        assertEquals("Error: Unknown vdi type: odd\n", badType.err());
        for (String v : new String[] {snap, clone, copy, vdi}) ok("vdi-destroy", "uuid=" + v);
        ok("pbd-unplug", "uuid=" + pbd);
        assertEquals("false\n", ok("pbd-param-get", "uuid=" + pbd, "param-name=currently-attached"));
        ok("sr-forget", "uuid=" + sr);
        assertEquals("\n", ok("sr-list", "uuid=" + sr, "--minimal"));
    }

    @Test
    void aVmGetsADiskACdAndANicByVbdAndVifCommands() {
        String vm = ok("vm-install", "template=Debian Bookworm 12", "new-name-label=devices")
                .strip();
        String sr = ok("pool-list", "params=default-SR", "--minimal").strip();
        String vdi = ok("vdi-create", "sr-uuid=" + sr, "name-label=extra", "virtual-size=4MiB")
                .strip();
        String vbd =
                ok("vbd-create", "vm-uuid=" + vm, "vdi-uuid=" + vdi, "device=3").strip();
        assertEquals("3\n", ok("vbd-param-get", "uuid=" + vbd, "param-name=userdevice"));
        assertEquals("RW\n", ok("vbd-param-get", "uuid=" + vbd, "param-name=mode"));
        assertEquals(
                "Error: Empty VBDs can only be made for type=CD\n",
                xe("vbd-create", "vm-uuid=" + vm, "device=4").err());
        String cd = ok("vbd-create", "vm-uuid=" + vm, "device=5", "type=cd", "mode=ro")
                .strip();
        assertEquals("true\n", ok("vbd-param-get", "uuid=" + cd, "param-name=empty"));
        String net = ok("network-create", "name-label=backend", "MTU=9000").strip();
        assertEquals("9000\n", ok("network-param-get", "uuid=" + net, "param-name=MTU"));
        String vif = ok("vif-create", "vm-uuid=" + vm, "network-uuid=" + net, "device=1", "mac=random")
                .strip();
        String mac = ok("vif-param-get", "uuid=" + vif, "param-name=MAC").strip();
        // Xapi's random_mac_local: one random byte six times, the first locally administered and unicast
        String[] b = mac.split(":");
        assertEquals(6, b.length, mac);
        for (int i = 2; i < 6; i++) assertEquals(b[1], b[i], mac);
        int first = Integer.parseInt(b[0], 16);
        assertEquals(2, first & 3, mac);
        assertEquals("9000\n", ok("vif-param-get", "uuid=" + vif, "param-name=MTU"));
        assertEquals(
                "Error: Required parameter not found: address\n",
                xe("vif-configure-ipv4", "uuid=" + vif, "mode=static").err());
        // the call reaches the server, which refuses it as Xapi does for a guest without the agent's feature
        XeRun.Result noAgent =
                xe("vif-configure-ipv4", "uuid=" + vif, "mode=static", "address=192.0.2.10/24", "gateway=192.0.2.1");
        assertEquals(1, noAgent.code(), noAgent::toString);
        assertTrue(
                noAgent.err().startsWith("You attempted an operation on a VM which lacks the feature.\nvm: " + vm),
                noAgent::toString);
        assertEquals(vif + "\n", ok("vif-list", "vm-uuid=" + vm, "MAC=" + mac.toUpperCase(), "--minimal"));
        ok("vm-start", "uuid=" + vm);
        assertEquals("true\n", ok("vbd-param-get", "uuid=" + vbd, "param-name=currently-attached"));
        ok("vbd-unplug", "uuid=" + vbd);
        assertEquals("false\n", ok("vbd-param-get", "uuid=" + vbd, "param-name=currently-attached"));
        ok("vbd-plug", "uuid=" + vbd);
        ok("vm-shutdown", "uuid=" + vm, "--force");
        ok("vif-destroy", "uuid=" + vif);
        ok("vbd-destroy", "uuid=" + vbd);
        ok("vbd-destroy", "uuid=" + cd);
        ok("vdi-destroy", "uuid=" + vdi);
        ok("network-destroy", "uuid=" + net);
        ok("vm-uninstall", "uuid=" + vm, "--force");
    }
}
