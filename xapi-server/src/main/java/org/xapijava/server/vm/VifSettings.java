package org.xapijava.server.vm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.db.Update;
import org.xapijava.model.Field;
import org.xapijava.model.LicenceFeature;
import org.xapijava.model.ParamDef;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.Network;
import org.xapijava.model.api.SDNController;
import org.xapijava.model.api.VIF;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMGuestMetrics;
import org.xapijava.model.api.enums.VifIpv4ConfigurationMode;
import org.xapijava.model.api.enums.VifIpv6ConfigurationMode;
import org.xapijava.model.api.enums.VifLockingMode;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.VIFApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.network.AttachChecks;
import org.xapijava.server.network.HostBridges;
import org.xapijava.server.network.IpAddresses;
import org.xapijava.server.network.IpAddresses.Kind;
import org.xapijava.server.xenops.VifLive;

/**
 * The VIF settings of Xapi's {@code xapi_vif.ml}: {@code set_locking_mode}, {@code set/add/remove_ipv4_allowed} and
 * the IPv6 ones (licence feature {@code VIF_locking} when a VIF gets locked or gains an address; addresses or CIDRs
 * of the right family; no {@code locked} mode while an SDN controller drives an Open vSwitch host),
 * {@code configure_ipv4}/{@code configure_ipv6} (feature {@code Guest_ip_setting} and a CIDR for {@code Static}, an
 * address within a locked VIF's allowed ones, a guest that advertises {@code feature-static-ip-setting}), and
 * {@code move} to another network. Each writes the database, then, when the VIF is attached to a VM that is not
 * suspended, brings the running VM's device up to date through xenopsd ({@link VifLive}); a refusal comes before
 * any write. None of them marks an operation: Xapi's forwarding layer only runs them on the VM's host
 * ({@code forward_vif_op}, {@code Placements}). The {@code trunks} messages stay {@code NOT_IMPLEMENTED}: the
 * datamodel has no {@code VIF.trunks} field. Thread-safe.
 */
public final class VifSettings implements Messages {
    /** Xapi's {@code VM_guest_metrics.other} key of a guest agent that can set a static IP. */
    static final String STATIC_IP_FEATURE = "feature-static-ip-setting";
    /** {@code Network_interface.string_of_kind Openvswitch}, as {@code software_version:network_backend} says it. */
    static final String OPENVSWITCH = "openvswitch";

    private final Db data;
    private final String hostRef;
    private final String poolRef;
    private final VifLive live;
    private final HostBridges bridges;

    public VifSettings(Db data, String hostRef, String poolRef, VifLive live, HostBridges bridges) {
        this.data = data;
        this.hostRef = hostRef;
        this.poolRef = poolRef;
        this.live = live;
        this.bridges = bridges;
    }

    @Override
    public void bind(MessageTable table) {
        VIFApi.bind(table, new Api());
    }

    /** {@code device_active}: attached, and its VM not suspended. */
    private boolean deviceActive(Db data, String vif) {
        return data.get(vif, VIF.CURRENTLY_ATTACHED)
                && !"Suspended".equals(data.get(data.get(vif, VIF.VM), VM.POWER_STATE));
    }

    /** {@code get_effective_locking_mode}: {@code network_default} is the network's default. */
    private static String effectiveLockingMode(Db data, String vif, String mode) {
        if (!mode.equals(VifLockingMode.NETWORK_DEFAULT.wire())) return mode;
        return data.get(data.get(vif, VIF.NETWORK), Network.DEFAULT_LOCKING_MODE);
    }

    /** {@code Helpers.assert_vswitch_controller_not_active}. */
    private void assertVswitchControllerNotActive(Db data) {
        String backend = data.get(hostRef, Host.SOFTWARE_VERSION).get("network_backend");
        if (!data.all(SDNController.XAPI_CLASS).isEmpty() && OPENVSWITCH.equals(backend)) {
            throw new ApiError(ErrorCodes.OPERATION_NOT_ALLOWED, "A vswitch controller is active");
        }
    }

    /** {@code change_locking_config}: the licence when asked, the change, then the running device's rules. */
    private void changeLockingConfig(CallContext ctx, String vif, boolean licenceCheck, Runnable change) {
        if (licenceCheck) PoolFeatures.assertEnabled(data, poolRef, LicenceFeature.VIF_locking);
        change.run();
        if (deviceActive(data, vif)) live.setLockingMode(ctx, vif);
    }

    /** {@code Listext.setify}: duplicates dropped, the last of each kept in place. */
    static List<String> setify(List<String> values) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            if (!values.subList(i + 1, values.size()).contains(values.get(i))) out.add(values.get(i));
        }
        return out;
    }

    private void setAllowed(CallContext ctx, String vif, Kind kind, List<String> value) {
        data.get(vif, VIF.VM); // the forwarding layer reads it first
        List<String> set = setify(value);
        String field = allowedField(kind).name();
        changeLockingConfig(ctx, vif, !set.isEmpty(), () -> {
            for (String a : set) IpAddresses.assertValidIpOrCidr(kind, field, a);
            data.set(vif, allowedField(kind), set);
        });
    }

    private void addAllowed(CallContext ctx, String vif, Kind kind, String value) {
        data.get(vif, VIF.VM);
        changeLockingConfig(ctx, vif, true, () -> {
            IpAddresses.assertValidIpOrCidr(kind, allowedField(kind).name(), value);
            data.addToSet(vif, allowedField(kind), value);
        });
    }

    private void removeAllowed(CallContext ctx, String vif, Kind kind, String value) {
        data.get(vif, VIF.VM);
        changeLockingConfig(ctx, vif, false, () -> data.removeFromSet(vif, allowedField(kind), value));
    }

    private static Field<List<String>> allowedField(Kind kind) {
        return kind == Kind.IPV4 ? VIF.IPV4_ALLOWED : VIF.IPV6_ALLOWED;
    }

    /** {@code assert_has_feature_static_ip_setting}: {@code VM_LACKS_FEATURE [vm]} otherwise. */
    private static void assertHasStaticIpFeature(Db data, String vif) {
        String vm = data.get(vif, VIF.VM);
        String gm = data.get(vm, VM.GUEST_METRICS);
        Map<String, String> other =
                data.exists(VMGuestMetrics.XAPI_CLASS, gm) ? data.get(gm, VMGuestMetrics.OTHER) : Map.of();
        if (!"1".equals(other.get(STATIC_IP_FEATURE))) throw new ApiError(ErrorCodes.VM_LACKS_FEATURE, vm);
    }

    /** {@code assert_no_locking_mode_conflict}: a locked VIF's new address must be one it allows. */
    private static void assertNoLockingModeConflict(Db data, String vif, Kind kind, String address) {
        if (!"locked".equals(effectiveLockingMode(data, vif, data.get(vif, VIF.LOCKING_MODE)))) return;
        List<String> allowed = data.get(vif, allowedField(kind));
        IpAddresses.parseCidr(kind, address).ifPresent(c -> {
            if (!allowed.contains(c.address())) {
                throw new ApiError(ErrorCodes.ADDRESS_VIOLATES_LOCKING_CONSTRAINT, address);
            }
        });
    }

    /** {@code configure_ipv4} / {@code configure_ipv6}: checks, the three settings, the running device. */
    private void configure(
            CallContext ctx, String vif, Kind kind, boolean isStatic, String mode, String address, String gateway) {
        data.get(vif, VIF.VM);
        if (isStatic) {
            PoolFeatures.assertEnabled(data, poolRef, LicenceFeature.Guest_ip_setting);
            // Xapi names the bad value by the message's parameter: address (2) or gateway (3), after self and mode
            List<ParamDef> params = ctx.message().callParams();
            IpAddresses.assertValidCidr(kind, params.get(2).name(), address);
            assertNoLockingModeConflict(data, vif, kind, address);
            if (!gateway.isEmpty())
                IpAddresses.assertValidIp(kind, params.get(3).name(), gateway);
        }
        assertHasStaticIpFeature(data, vif);
        boolean v4 = kind == Kind.IPV4;
        data.apply(Update.builder()
                .set(vif, v4 ? VIF.IPV4_CONFIGURATION_MODE : VIF.IPV6_CONFIGURATION_MODE, mode)
                .set(vif, v4 ? VIF.IPV4_ADDRESSES : VIF.IPV6_ADDRESSES, List.of(address))
                .set(vif, v4 ? VIF.IPV4_GATEWAY : VIF.IPV6_GATEWAY, gateway)
                .build());
        if (deviceActive(data, vif)) {
            if (v4) live.setIpv4Configuration(ctx, vif);
            else live.setIpv6Configuration(ctx, vif);
        }
    }

    private final class Api implements VIFApi {
        @Override
        public void setLockingMode(CallContext ctx, String self, VifLockingMode value) {
            data.get(self, VIF.VM);
            boolean locked = "locked".equals(effectiveLockingMode(data, self, value.wire()));
            if (locked) assertVswitchControllerNotActive(data);
            changeLockingConfig(ctx, self, locked, () -> data.set(self, VIF.LOCKING_MODE, value.wire()));
        }

        @Override
        public void setIpv4Allowed(CallContext ctx, String self, List<String> value) {
            setAllowed(ctx, self, Kind.IPV4, value);
        }

        @Override
        public void addIpv4Allowed(CallContext ctx, String self, String value) {
            addAllowed(ctx, self, Kind.IPV4, value);
        }

        @Override
        public void removeIpv4Allowed(CallContext ctx, String self, String value) {
            removeAllowed(ctx, self, Kind.IPV4, value);
        }

        @Override
        public void setIpv6Allowed(CallContext ctx, String self, List<String> value) {
            setAllowed(ctx, self, Kind.IPV6, value);
        }

        @Override
        public void addIpv6Allowed(CallContext ctx, String self, String value) {
            addAllowed(ctx, self, Kind.IPV6, value);
        }

        @Override
        public void removeIpv6Allowed(CallContext ctx, String self, String value) {
            removeAllowed(ctx, self, Kind.IPV6, value);
        }

        @Override
        public void configureIpv4(
                CallContext ctx, String self, VifIpv4ConfigurationMode mode, String address, String gateway) {
            configure(ctx, self, Kind.IPV4, mode == VifIpv4ConfigurationMode.STATIC, mode.wire(), address, gateway);
        }

        @Override
        public void configureIpv6(
                CallContext ctx, String self, VifIpv6ConfigurationMode mode, String address, String gateway) {
            configure(ctx, self, Kind.IPV6, mode == VifIpv6ConfigurationMode.STATIC, mode.wire(), address, gateway);
        }

        /**
         * {@code VIF.move}: a VIF attached to a running VM needs the network on the VM's host
         * ({@code HOST_CANNOT_ATTACH_NETWORK [host; network]}), then moves live; a VIF not attached is only
         * re-pointed (the network is not checked, as in Xapi).
         */
        @Override
        public void move(CallContext ctx, String self, String network) {
            boolean active = deviceActive(data, self);
            if (active) {
                String vm = data.get(self, VIF.VM);
                String host = data.get(vm, VM.RESIDENT_ON);
                try {
                    AttachChecks.assertCanSeeNamedNetworks(data, vm, host, List.of(network));
                } catch (ApiError e) {
                    if (!e.code().equals(ErrorCodes.VM_REQUIRES_NETWORK)) throw e;
                    throw new ApiError(ErrorCodes.HOST_CANNOT_ATTACH_NETWORK, host, network);
                }
            }
            data.set(self, VIF.NETWORK, network);
            if (active) live.move(ctx, self, () -> bridges.attachForVif(self));
        }
    }
}
