package org.xapijava.xenopsd.sim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.xapijava.xenopsd.Vif;

/**
 * The simulated guests' agent: once a domain is built (and not suspended) its guest runs an agent that writes a
 * Linux guest with PV drivers into xenstore, supporting clean shutdown, reboot, suspend and static IP setting
 * ({@code VIF.configure_ipv4}), so that Xapi's checks treat it as a guest with tools; its PV drivers include a
 * balloon driver ({@link Balloons}). Like a real agent it reports each plugged NIC's IPv4 address
 * ({@code attr/vif/<device>/ipv4/0}): the static one xenopsd configured, else the one the simulated DHCP gives. Xenopsd's own simulator
 * reports no agent; {@code DEBUG.trigger "guest-agent" [vm; "off"]} gives that case for one VM, balloon driver
 * included ({@code "on"} undoes it).
 *
 * <p>Thread-safe (a concurrent set of the VMs without an agent).
 */
final class GuestAgent {

    /** VMs whose simulated guest runs no guest agent. */
    private final Set<String> withoutAgent = ConcurrentHashMap.newKeySet();

    /** Whether the VM's guest runs the agent (when its domain is built). */
    boolean runs(String vmId) {
        return !withoutAgent.contains(vmId);
    }

    void set(String vmId, boolean on) {
        if (on) withoutAgent.remove(vmId);
        else withoutAgent.add(vmId);
    }

    /**
     * What the agent writes in xenstore (paths relative to the domain's xenstore directory, as xenopsd reports
     * them), for a guest with {@code memoryBytes} of memory and these plugged NICs.
     */
    static Map<String, String> xenstoreKeys(long memoryBytes, List<Vif> vifs) {
        Map<String, String> ga = new LinkedHashMap<>();
        ga.put("attr/PVAddons/MajorVersion", "8");
        ga.put("attr/PVAddons/MinorVersion", "4");
        ga.put("attr/PVAddons/MicroVersion", "0");
        ga.put("attr/PVAddons/BuildVersion", "1");
        for (String f : List.of("shutdown", "poweroff", "reboot", "suspend", "balloon", "static-ip-setting"))
            ga.put("control/feature-" + f, "1");
        ga.put("data/os_name", "Simulated Linux");
        ga.put("data/os_uname", "6.1.0-simulated");
        ga.put("data/os_distro", "debian");
        ga.put("data/os_majorver", "12");
        ga.put("data/os_minorver", "0");
        ga.put("data/meminfo_total", Long.toString(memoryBytes / 1024));
        ga.put("data/meminfo_free", Long.toString(memoryBytes / 2048));
        for (Vif v : vifs) ga.put("attr/vif/" + v.position() + "/ipv4/0", ipv4(v));
        return Map.copyOf(ga);
    }

    /**
     * The NIC's IPv4 address as the guest has it: the first of a static configuration, else an address of the
     * simulated DHCP server's 10.0.0.0/8, from the last three bytes of the MAC (the last one kept within 1..254).
     */
    static String ipv4(Vif v) {
        Vif.IpConfig c = v.ipv4Configuration();
        if (c.tag().equals("Static4") && !c.cidrs().isEmpty()) {
            String cidr = c.cidrs().getFirst();
            int slash = cidr.indexOf('/');
            return slash < 0 ? cidr : cidr.substring(0, slash);
        }
        String[] b = v.mac().split(":");
        int n = b.length;
        if (n < 3) return "10.0.0.1";
        try {
            return "10." + Integer.parseInt(b[n - 3], 16) + "." + Integer.parseInt(b[n - 2], 16) + "."
                    + (1 + Integer.parseInt(b[n - 1], 16) % 254);
        } catch (NumberFormatException e) {
            return "10.0.0.1";
        }
    }
}
