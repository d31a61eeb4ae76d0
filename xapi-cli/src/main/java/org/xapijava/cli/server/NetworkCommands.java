package org.xapijava.cli.server;

import java.security.SecureRandom;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.cli.records.CliFailure;

/** The network, VIF, VLAN and PIF commands of {@code cli_operations.ml}. */
final class NetworkCommands {
    private static final SecureRandom RANDOM = new SecureRandom();

    private NetworkCommands() {}

    static void bind(Map<String, CommandImpl> t) {
        t.put("network-create", c -> {
            Params p = c.params();
            long mtu = p.opt("MTU").map(m -> VmCommands.parseLong("MTU", m)).orElse(1500L);
            Map<String, Object> r = new HashMap<>();
            r.put("name_label", p.get("name-label"));
            r.put("name_description", p.getOr("name-description", ""));
            r.put("MTU", mtu);
            r.put("other_config", Map.of());
            r.put("bridge", p.getOr("bridge", ""));
            r.put("managed", p.bool("managed", true));
            r.put("tags", List.of());
            String net = c.api().network().create(r);
            c.out().list(List.of(c.api().network().getUuid(net)));
        });
        t.put(
                "network-destroy",
                c -> c.api()
                        .network()
                        .destroy(c.api().network().getByUuid(c.params().get("uuid"))));
        t.put("vif-create", c -> {
            Params p = c.params();
            String mac = p.getOr("mac", "");
            if (mac.equals("random")) mac = randomLocalMac();
            String vm = c.api().vm().getByUuid(p.get("vm-uuid"));
            String network = c.api().network().getByUuid(p.get("network-uuid"));
            Map<String, Object> r = new HashMap<>();
            r.put("device", p.get("device"));
            r.put("network", network);
            r.put("VM", vm);
            r.put("MAC", mac);
            r.put("MTU", c.api().network().getMTU(network));
            r.put("other_config", Map.of());
            r.put("qos_algorithm_type", "");
            r.put("qos_algorithm_params", Map.of());
            r.put("locking_mode", "network_default");
            r.put("ipv4_allowed", List.of());
            r.put("ipv6_allowed", List.of());
            String vif = c.api().vif().create(r);
            c.out().list(List.of(c.api().vif().getUuid(vif)));
        });
        t.put("vif-destroy", c -> c.api().vif().destroy(vif(c)));
        t.put("vif-plug", c -> c.api().vif().plug(vif(c)));
        t.put("vif-unplug", c -> {
            if (c.params().bool("force", false)) c.api().vif().unplugForce(vif(c));
            else c.api().vif().unplug(vif(c));
        });
        t.put(
                "vif-move",
                c -> c.api()
                        .vif()
                        .move(vif(c), c.api().network().getByUuid(c.params().get("network-uuid"))));
        t.put("pif-plug", c -> c.api().pif().plug(pif(c)));
        t.put("pif-unplug", c -> c.api().pif().unplug(pif(c)));
        t.put(
                "pif-scan",
                c -> c.api().pif().scan(c.api().host().getByUuid(c.params().get("host-uuid"))));
        t.put("pif-reconfigure-ip", c -> {
            Params p = c.params();
            String mode = p.get("mode");
            String ip = p.getOr("IP", "");
            if (mode.equalsIgnoreCase("static") && ip.isEmpty()) {
                throw new CliFailure("Required parameter not found: IP");
            }
            c.api()
                    .pif()
                    .reconfigureIp(
                            pif(c),
                            ipMode(mode),
                            ip,
                            p.getOr("netmask", ""),
                            p.getOr("gateway", ""),
                            p.getOr("DNS", ""));
        });
        t.put("vlan-create", c -> {
            Params p = c.params();
            String pif = c.api().pif().getByUuid(p.get("pif-uuid"));
            long tag = VmCommands.parseLong("vlan", p.get("vlan"));
            String network = c.api().network().getByUuid(p.get("network-uuid"));
            String vlan = c.api().vlan().create(pif, tag, network);
            c.out().list(List.of(c.api().pif().getUuid(c.api().vlan().getUntaggedPIF(vlan))));
        });
        t.put("vlan-destroy", c -> {
            // Xapi accepts the VLAN's uuid or that of its untagged PIF
            String uuid = c.params().get("uuid");
            String vlan;
            try {
                vlan = c.api().vlan().getByUuid(uuid);
            } catch (org.xapijava.model.errors.ApiError e) {
                vlan = c.api().pif().getVLANMasterOf(c.api().pif().getByUuid(uuid));
            }
            c.api().vlan().destroy(vlan);
        });
    }

    private static String vif(CommandContext c) {
        return c.api().vif().getByUuid(c.params().get("uuid"));
    }

    private static String pif(CommandContext c) {
        return c.api().pif().getByUuid(c.params().get("uuid"));
    }

    private static org.xapijava.model.api.enums.IpConfigurationMode ipMode(String s) {
        org.xapijava.model.api.enums.IpConfigurationMode m = org.xapijava.model.api.enums.IpConfigurationMode.of(s);
        if (m == null) throw new CliFailure("Unknown IP configuration mode: " + s);
        return m;
    }

    /**
     * Xapi's {@code random_mac_local}: one random byte repeated six times, the first made locally administered and
     * unicast.
     */
    static String randomLocalMac() {
        int b = RANDOM.nextInt(256);
        int first = (b | 0x2) & ~0x1;
        return String.format("%02x:%02x:%02x:%02x:%02x:%02x", first, b, b, b, b, b);
    }
}
