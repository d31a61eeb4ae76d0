package org.xapijava.cli.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xapijava.cli.records.CliFailure;
import org.xapijava.model.api.enums.BondMode;
import org.xapijava.model.api.enums.Ipv6ConfigurationMode;
import org.xapijava.model.api.enums.PrimaryAddressType;
import org.xapijava.model.api.enums.SdnControllerProtocol;
import org.xapijava.model.api.enums.TunnelProtocol;
import org.xapijava.model.errors.ApiError;

/**
 * The network commands of {@code cli_operations.ml} beyond the plain ones: bonds, tunnels, SR-IOV networks, PIF
 * introduction and IPv6, the pool-wide VLAN, the management interface, SDN controllers.
 */
final class NetworkMoreCommands {
    private NetworkMoreCommands() {}

    static void bind(Map<String, CommandImpl> t) {
        t.put("bond-create", NetworkMoreCommands::bondCreate);
        t.put(
                "bond-destroy",
                c -> c.api().bond().destroy(c.api().bond().getByUuid(c.params().get("uuid"))));
        t.put("bond-set-mode", c -> {
            String bond = c.api().bond().getByUuid(c.params().get("uuid"));
            c.api().bond().setMode(bond, bondMode(c.params().getOr("mode", "")));
        });
        t.put("tunnel-create", c -> {
            Params p = c.params();
            String network = c.api().network().getByUuid(p.get("network-uuid"));
            String pif = c.api().pif().getByUuid(p.get("pif-uuid"));
            TunnelProtocol protocol =
                    CliArgs.enumOf(TunnelProtocol.values(), TunnelProtocol::wire, p.getOr("protocol", "gre"));
            String tunnel = c.api().tunnel().create(pif, network, protocol);
            String access = c.api().tunnel().getAccessPIF(tunnel);
            c.out().list(List.of(c.api().pif().getUuid(access)));
        });
        t.put(
                "tunnel-destroy",
                c -> c.api()
                        .tunnel()
                        .destroy(c.api().tunnel().getByUuid(c.params().get("uuid"))));
        t.put("network-sriov-create", c -> {
            String pif = c.api().pif().getByUuid(c.params().get("pif-uuid"));
            String network = c.api().network().getByUuid(c.params().get("network-uuid"));
            String sriov = c.api().networkSriov().create(pif, network);
            c.out().list(List.of(c.api().networkSriov().getUuid(sriov)));
        });
        t.put(
                "network-sriov-destroy",
                c -> c.api()
                        .networkSriov()
                        .destroy(c.api().networkSriov().getByUuid(c.params().get("uuid"))));
        t.put("pif-introduce", c -> {
            Params p = c.params();
            String host = c.api().host().getByUuid(p.get("host-uuid"));
            String mac = p.getOr("mac", "");
            String device = p.get("device");
            boolean managed = p.bool("managed", true);
            String pif = c.api().pif().introduce(host, mac, device, managed);
            c.out().list(List.of(c.api().pif().getUuid(pif)));
        });
        t.put("pif-forget", c -> c.api().pif().forget(pif(c)));
        t.put("pif-db-forget", c -> c.api().pif().dbForget(pif(c)));
        t.put("pif-reconfigure-ipv6", c -> {
            Params p = c.params();
            String pif = pif(c);
            Ipv6ConfigurationMode mode =
                    CliArgs.enumOf(Ipv6ConfigurationMode.values(), Ipv6ConfigurationMode::wire, p.get("mode"));
            String ipv6 = caseInsensitive(p, "IPv6");
            String gateway = p.getOr("gateway", "");
            String dns = caseInsensitive(p, "DNS");
            c.api().pif().reconfigureIpv6(pif, mode, ipv6, gateway, dns);
        });
        t.put("pif-set-primary-address-type", c -> {
            String pif = pif(c);
            PrimaryAddressType type = CliArgs.enumOf(
                    PrimaryAddressType.values(),
                    PrimaryAddressType::wire,
                    c.params().get("primary_address_type"));
            c.api().pif().setPrimaryAddressType(pif, type);
        });
        t.put("pool-vlan-create", c -> {
            Params p = c.params();
            String network = c.api().network().getByUuid(p.get("network-uuid"));
            String pif = c.api().pif().getByUuid(p.get("pif-uuid"));
            long vlan = vlanTag(p.get("vlan"));
            List<String> uuids = new ArrayList<>();
            for (String made : c.api().pool().createVLANFromPIF(pif, network, vlan))
                uuids.add(c.api().pif().getUuid(made));
            c.out().list(uuids);
        });
        t.put(
                "pool-management-reconfigure",
                c -> c.api()
                        .pool()
                        .managementReconfigure(
                                c.api().network().getByUuid(c.params().get("network-uuid"))));
        t.put(
                "host-management-reconfigure",
                c -> c.api()
                        .host()
                        .managementReconfigure(
                                c.api().pif().getByUuid(c.params().get("pif-uuid"))));
        t.put("host-management-disable", c -> c.api().host().managementDisable());
        t.put(
                "host-emergency-management-reconfigure",
                c -> c.api().host().localManagementReconfigure(c.params().get("interface")));
        t.put("sdn-controller-introduce", NetworkMoreCommands::sdnControllerIntroduce);
        t.put(
                "sdn-controller-forget",
                c -> c.api()
                        .sdnController()
                        .forget(c.api().sdnController().getByUuid(c.params().get("uuid"))));
    }

    private static void bondCreate(CommandContext c) {
        Params p = c.params();
        String mac = p.getOr("mac", "");
        String network = c.api().network().getByUuid(p.get("network-uuid"));
        List<String> members = new ArrayList<>();
        for (String uuid : CliArgs.commas(p.get("pif-uuids")))
            members.add(c.api().pif().getByUuid(uuid));
        BondMode mode = bondMode(p.getOr("mode", ""));
        Map<String, String> properties = c.params().mapOf("properties");
        String bond = c.api().bond().create(network, members, mac, mode, properties);
        c.out().list(List.of(c.api().bond().getUuid(bond)));
    }

    /** Xapi's {@code bond_mode_of_string}: nothing is balance-slb. */
    private static BondMode bondMode(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "balance-slb", "" -> BondMode.BALANCE_SLB;
            case "active-backup" -> BondMode.ACTIVE_BACKUP;
            case "lacp" -> BondMode.LACP;
            default -> throw new CliFailure("Invalid bond mode. Got " + s.toLowerCase(Locale.ROOT));
        };
    }

    /** Xapi's {@code validate_and_get_vlan}: an {@code Int64.of_string}, its failure worded for the parameter. */
    private static long vlanTag(String s) {
        try {
            return CliArgs.int64(s);
        } catch (ApiError e) {
            throw new CliFailure("Failed to parse parameter 'vlan': expecting an integer");
        }
    }

    private static void sdnControllerIntroduce(CommandContext c) {
        Params p = c.params();
        long port = 0L;
        if (p.has("tcp-port")) {
            try {
                port = CliArgs.int64(p.get("tcp-port"));
            } catch (ApiError e) {
                throw new CliFailure("port field should be an integer");
            }
        }
        SdnControllerProtocol protocol = p.has("protocol")
                ? CliArgs.enumOf(SdnControllerProtocol.values(), SdnControllerProtocol::wire, p.get("protocol"))
                : SdnControllerProtocol.SSL;
        String address = p.getOr("address", "");
        String sdn = c.api().sdnController().introduce(protocol, address, port);
        c.out().list(List.of(c.api().sdnController().getUuid(sdn)));
    }

    /** Xapi's {@code read_optional_case_insensitive}: the first parameter named {@code key} in any case, or "". */
    private static String caseInsensitive(Params p, String key) {
        for (Map.Entry<String, String> e : p.entries()) {
            if (e.getKey().equalsIgnoreCase(key)) return e.getValue();
        }
        return "";
    }

    private static String pif(CommandContext c) {
        return c.api().pif().getByUuid(c.params().get("uuid"));
    }
}
