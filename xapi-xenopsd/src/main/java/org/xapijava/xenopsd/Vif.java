package org.xapijava.xenopsd;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.xapijava.xenopsd.internal.Rpc;
import org.xapijava.xenopsd.internal.RpcDecodeException;

/**
 * A virtual network interface as xenopsd holds it: {@code Vif.t} ({@code ocaml/xapi-idl/xen/xenops_interface.ml}).
 * Every member has an OCaml default, taken when it is missing on the wire. {@code null} stands for None in
 * {@code rate}, {@code pvsProxy} and {@code vlan}. {@code pvsProxy} is kept as its rpc value
 * ({@code PVS_proxy.t = site * server list * interface}): lifecycle passes it through untouched. Immutable.
 *
 * @param position the device index (0 for {@code eth0})
 * @param rate     {@code (kbytes_per_s, timeslice_us) option}
 * @param backend  the network: {@code Local bridge | Remote (vm, bridge) | Sriov pci-address}
 */
public record Vif(
        DeviceId id,
        int position,
        String mac,
        boolean carrier,
        int mtu,
        Rate rate,
        Network backend,
        Map<String, String> otherConfig,
        LockingMode lockingMode,
        Map<String, String> extraPrivateKeys,
        IpConfig ipv4Configuration,
        IpConfig ipv6Configuration,
        Object pvsProxy,
        Long vlan,
        List<Long> trunks) {

    public Vif {
        Objects.requireNonNull(id);
        Objects.requireNonNull(mac);
        Objects.requireNonNull(backend);
        otherConfig = Rpc.frozen(otherConfig);
        Objects.requireNonNull(lockingMode);
        extraPrivateKeys = Rpc.frozen(extraPrivateKeys);
        Objects.requireNonNull(ipv4Configuration);
        Objects.requireNonNull(ipv6Configuration);
        trunks = List.copyOf(trunks);
    }

    /** A VIF with the OCaml defaults for everything but its id, position, MAC and network. */
    public static Vif of(DeviceId id, int position, String mac, Network backend) {
        return new Vif(
                id,
                position,
                mac,
                true,
                1500,
                null,
                backend,
                Map.of(),
                LockingMode.UNLOCKED,
                Map.of(),
                IpConfig.UNSPECIFIED4,
                IpConfig.UNSPECIFIED6,
                null,
                null,
                List.of());
    }

    /** This VIF on another network ({@code VIF.move}). */
    public Vif withBackend(Network network) {
        return new Vif(
                id,
                position,
                mac,
                carrier,
                mtu,
                rate,
                network,
                otherConfig,
                lockingMode,
                extraPrivateKeys,
                ipv4Configuration,
                ipv6Configuration,
                pvsProxy,
                vlan,
                trunks);
    }

    /** This VIF with another locking mode ({@code VIF.set_locking_mode}). */
    public Vif withLockingMode(LockingMode mode) {
        return new Vif(
                id,
                position,
                mac,
                carrier,
                mtu,
                rate,
                backend,
                otherConfig,
                mode,
                extraPrivateKeys,
                ipv4Configuration,
                ipv6Configuration,
                pvsProxy,
                vlan,
                trunks);
    }

    /** This VIF with other guest IP configurations ({@code VIF.set_ipv4_configuration}, {@code set_ipv6_...}). */
    public Vif withIpConfigurations(IpConfig ipv4, IpConfig ipv6) {
        return new Vif(
                id,
                position,
                mac,
                carrier,
                mtu,
                rate,
                backend,
                otherConfig,
                lockingMode,
                extraPrivateKeys,
                ipv4,
                ipv6,
                pvsProxy,
                vlan,
                trunks);
    }

    /** {@code rate}: kilobytes per second and the time slice in microseconds. */
    public record Rate(long kbytesPerS, long timesliceUs) {}

    /** {@code Network.t}. */
    public sealed interface Network permits Local, Remote, Sriov {
        default Object toRpc() {
            return switch (this) {
                case Local l -> Rpc.tag("Local", l.bridge());
                case Remote r -> Rpc.tag("Remote", Rpc.tupleOf(r.vm(), r.bridge()));
                case Sriov s -> Rpc.tag("Sriov", s.address().toRpc());
            };
        }

        static Network fromRpc(Object v) {
            Rpc.Tag t = Rpc.variant(v);
            if (t.is("Local")) return new Local(Rpc.string(t.contents()));
            if (t.is("Remote")) {
                List<?> x = Rpc.tuple(t.contents(), 2);
                return new Remote(Rpc.string(x.get(0)), Rpc.string(x.get(1)));
            }
            if (t.is("Sriov")) return new Sriov(PciAddress.fromRpc(t.contents()));
            throw new RpcDecodeException("Unknown tag '" + t.name() + "'");
        }
    }

    /** {@code Local bridge}: a switch in this host's domain 0. */
    public record Local(String bridge) implements Network {}

    /** {@code Remote (vm, bridge)}: a switch in a driver domain. */
    public record Remote(String vm, String bridge) implements Network {}

    /** {@code Sriov address}: an SR-IOV virtual function. */
    public record Sriov(PciAddress address) implements Network {}

    /** {@code Xcp_pci.address}. */
    public record PciAddress(int domain, int bus, int dev, int fn) {
        public Object toRpc() {
            return Rpc.struct()
                    .put("domain", (long) domain)
                    .put("bus", (long) bus)
                    .put("dev", (long) dev)
                    .put("fn", (long) fn)
                    .build();
        }

        public static PciAddress fromRpc(Object v) {
            Rpc.Fields f = Rpc.fields(v, "address");
            return new PciAddress(
                    f.req("domain", Rpc::integer),
                    f.req("bus", Rpc::integer),
                    f.req("dev", Rpc::integer),
                    f.req("fn", Rpc::integer));
        }
    }

    /** {@code Vif.locking_mode}: {@code Unlocked | Disabled | Locked of {ipv4; ipv6}}. */
    public record LockingMode(Kind kind, List<String> ipv4, List<String> ipv6) {
        public enum Kind {
            Unlocked,
            Disabled,
            Locked
        }

        public static final LockingMode UNLOCKED = new LockingMode(Kind.Unlocked, List.of(), List.of());
        public static final LockingMode DISABLED = new LockingMode(Kind.Disabled, List.of(), List.of());

        public LockingMode {
            Objects.requireNonNull(kind);
            ipv4 = List.copyOf(ipv4);
            ipv6 = List.copyOf(ipv6);
        }

        public Object toRpc() {
            if (kind != Kind.Locked) return kind.name();
            return Rpc.tag(
                    "Locked",
                    Rpc.struct()
                            .put("ipv4", new ArrayList<Object>(ipv4))
                            .put("ipv6", new ArrayList<Object>(ipv6))
                            .build());
        }

        public static LockingMode fromRpc(Object v) {
            Rpc.Tag t = Rpc.variant(v);
            Kind k = Rpc.enumTag(t.name(), Kind.class);
            if (k != Kind.Locked) return k == Kind.Unlocked ? UNLOCKED : DISABLED;
            Rpc.Fields f = Rpc.fields(t.contents(), "locked_addresses");
            return new LockingMode(
                    k, f.req("ipv4", x -> Rpc.list(x, Rpc::string)), f.req("ipv6", x -> Rpc.list(x, Rpc::string)));
        }
    }

    /**
     * {@code Vif.ipv4_configuration} ({@code Unspecified4 | Static4 of string list * string option | DHCP4}) and
     * {@code Vif.ipv6_configuration} ({@code Unspecified6 | Static6 of ... | Autoconf6}).
     *
     * @param tag      the OCaml constructor name
     * @param cidrs    for {@code Static4}/{@code Static6}, the addresses in CIDR form
     * @param gateway  for {@code Static4}/{@code Static6}, the gateway or {@code null}
     */
    public record IpConfig(String tag, List<String> cidrs, String gateway) {
        public static final IpConfig UNSPECIFIED4 = new IpConfig("Unspecified4", List.of(), null);
        public static final IpConfig UNSPECIFIED6 = new IpConfig("Unspecified6", List.of(), null);

        public IpConfig {
            Objects.requireNonNull(tag);
            cidrs = List.copyOf(cidrs);
        }

        private boolean isStatic() {
            return tag.equals("Static4") || tag.equals("Static6");
        }

        public Object toRpc() {
            if (!isStatic()) return tag;
            return Rpc.tag(tag, Rpc.tupleOf(new ArrayList<Object>(cidrs), Rpc.encodeOption(gateway)));
        }

        /** An {@code ipv4_configuration} value. */
        public static IpConfig ipv4FromRpc(Object v) {
            return fromRpc(v, List.of("Unspecified4", "Static4", "DHCP4"));
        }

        /** An {@code ipv6_configuration} value. */
        public static IpConfig ipv6FromRpc(Object v) {
            return fromRpc(v, List.of("Unspecified6", "Static6", "Autoconf6"));
        }

        static IpConfig fromRpc(Object v, List<String> tags) {
            Rpc.Tag t = Rpc.variant(v);
            for (String s : tags) {
                if (!t.is(s)) continue;
                if (!s.startsWith("Static")) return new IpConfig(s, List.of(), null);
                List<?> x = Rpc.tuple(t.contents(), 2);
                return new IpConfig(s, Rpc.list(x.get(0), Rpc::string), Rpc.option(x.get(1), Rpc::string));
            }
            throw new RpcDecodeException("Unknown tag '" + t.name() + "'");
        }
    }

    public Object toRpc() {
        return Rpc.struct()
                .put("id", id.toRpc())
                .put("position", (long) position)
                .put("mac", mac)
                .put("carrier", carrier)
                .put("mtu", (long) mtu)
                .opt("rate", rate == null ? null : Rpc.tupleOf(rate.kbytesPerS, rate.timesliceUs))
                .put("backend", backend.toRpc())
                .put("other_config", Rpc.encodeStringMap(otherConfig))
                .put("locking_mode", lockingMode.toRpc())
                .put("extra_private_keys", Rpc.encodeStringMap(extraPrivateKeys))
                .put("ipv4_configuration", ipv4Configuration.toRpc())
                .put("ipv6_configuration", ipv6Configuration.toRpc())
                .opt("pvs_proxy", pvsProxy)
                .opt("vlan", vlan)
                .put("trunks", Rpc.encodeList(trunks, x -> x))
                .build();
    }

    public static Vif fromRpc(Object v) {
        Rpc.Fields f = Rpc.fields(v, "t");
        return new Vif(
                f.def("id", DeviceId::fromRpc, new DeviceId("", "")),
                f.def("position", Rpc::integer, 0),
                f.def("mac", Rpc::string, "fe:ff:ff:ff:ff:ff"),
                f.def("carrier", Rpc::bool, true),
                f.def("mtu", Rpc::integer, 1500),
                f.opt("rate", x -> {
                    List<?> t = Rpc.tuple(x, 2);
                    return new Rate(Rpc.int64(t.get(0)), Rpc.int64(t.get(1)));
                }),
                f.def("backend", Network::fromRpc, new Local("xenbr0")),
                f.def("other_config", Rpc::stringMap, Map.of()),
                f.def("locking_mode", LockingMode::fromRpc, LockingMode.UNLOCKED),
                f.def("extra_private_keys", Rpc::stringMap, Map.of()),
                f.def("ipv4_configuration", IpConfig::ipv4FromRpc, IpConfig.UNSPECIFIED4),
                f.def("ipv6_configuration", IpConfig::ipv6FromRpc, IpConfig.UNSPECIFIED6),
                f.opt("pvs_proxy", x -> {
                    Rpc.tuple(x, 3);
                    return x;
                }),
                f.opt("vlan", Rpc::int64),
                f.def("trunks", x -> Rpc.list(x, Rpc::int64), List.of()));
    }
}
