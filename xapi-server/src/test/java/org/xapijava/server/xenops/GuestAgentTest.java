package org.xapijava.server.xenops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Guest metrics from the agent's xenstore keys, as xapi_guest_agent.ml reads them. */
class GuestAgentTest {
    @Test
    void aLinuxAgentWithTheVifLayout() {
        Map<String, String> ga = new LinkedHashMap<>();
        ga.put("attr/PVAddons/MajorVersion", "7");
        ga.put("attr/PVAddons/MinorVersion", "30");
        ga.put("data/os_name", "Debian GNU/Linux 12");
        ga.put("data/os_distro", "debian");
        ga.put("data/os_uname", "6.1.0");
        ga.put("attr/vif/0/ipv4/0", "10.0.0.2");
        ga.put("attr/vif/0/ipv4/1", "10.0.0.3");
        ga.put("attr/vif/0/ipv6/0", "fe80::1");
        ga.put("control/feature-shutdown", "1");
        ga.put("control/feature-suspend", "1");
        ga.put("data/cant_suspend_reason", "busy");
        ga.put("data/ts", "1");
        ga.put("data/meminfo_free", "1000");
        ga.put("data/meminfo_total", "2000");
        ga.put("feature/hotplug/vbd", "1");
        ga.put("feature/hotplug/vif", "0");
        ga.put("data/host_name_dns", "web");
        ga.put("data/domain", "example.org");
        GuestAgent g = GuestAgent.parse(ga);
        assertEquals(Map.of("micro", "-1", "major", "7", "minor", "30"), g.pvDriversVersion());
        assertEquals(
                List.of("micro", "major", "minor"),
                List.copyOf(g.pvDriversVersion().keySet()),
                "micro first, as Xapi adds it");
        assertEquals(Map.of("name", "Debian GNU/Linux 12", "distro", "debian", "uname", "6.1.0"), g.osVersion());
        assertEquals(
                Map.of("0/ip", "10.0.0.2", "0/ipv4/0", "10.0.0.2", "0/ipv4/1", "10.0.0.3", "0/ipv6/0", "fe80::1"),
                g.networks());
        assertEquals(Map.of("feature-shutdown", "1", "data-cant-suspend-reason", "busy", "data-ts", "1"), g.other());
        assertEquals(Map.of("free", "1000", "total", "2000"), g.memory());
        assertEquals("yes", g.canUseHotplugVbd());
        assertEquals("no", g.canUseHotplugVif());
        assertEquals(Map.of("host_name", "web.example.org"), g.netbiosName());
    }

    @Test
    void theOlderEthLayoutAndWindowsDrivers() {
        Map<String, String> ga = new LinkedHashMap<>();
        ga.put("attr/eth0/ip", "192.168.1.5");
        ga.put("attr/eth0/ipv6/0/addr", "fe80::5");
        ga.put("attr/eth1/ip", "192.168.2.5");
        ga.put("drivers/0", "XenServer XENBUS 9.1.9.105 ");
        ga.put("drivers/x", "ignored");
        ga.put("data/device_id", "0002");
        GuestAgent g = GuestAgent.parse(ga);
        assertEquals(
                Map.of(
                        "0/ip",
                        "192.168.1.5",
                        "0/ipv4/0",
                        "192.168.1.5",
                        "0/ipv6/0",
                        "fe80::5",
                        "1/ip",
                        "192.168.2.5",
                        "1/ipv4/0",
                        "192.168.2.5"),
                g.networks());
        assertEquals(Map.of("micro", "-1", "xenbus", "XenServer 9.1.9.105 "), g.pvDriversVersion());
        assertEquals(Map.of("device_id", "0002"), g.deviceId());
        assertEquals("unspecified", g.canUseHotplugVbd());
        assertEquals(GuestAgent.EMPTY, GuestAgent.parse(Map.of()));
    }
}
