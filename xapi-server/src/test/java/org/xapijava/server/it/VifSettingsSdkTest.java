package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Network;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VIF;
import com.xensource.xenapi.VM;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.Database;
import org.xapijava.model.types.Refs;
import org.xapijava.server.TestHost;
import org.xapijava.xenopsd.DeviceId;
import org.xapijava.xenopsd.Vif;

/**
 * The VIF settings of issue 11 through the Citrix SDK against a host with the embedded xenopsd simulator:
 * {@code VIF.set_locking_mode}, {@code set/add/remove_ipv4_allowed} and the IPv6 ones, {@code configure_ipv4},
 * {@code configure_ipv6} and {@code move}, on a halted VM (the database only) and on a running one (xenopsd's VIF
 * changed live), with each of Xapi's refusals and its parameters; a refusal leaves the VIF as it was and marks
 * nothing.
 */
class VifSettingsSdkTest {
    @TempDir
    static Path dir;

    static TestHost host;
    static ConcurrencySupport.Recording c;
    static int made;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir.resolve("host"));
        c = ConcurrencySupport.login(host);
    }

    @AfterAll
    static void stop() throws Exception {
        if (host != null) host.close();
    }

    static Database db() {
        return host.server.services().db();
    }

    static Map<String, Object> record(VIF vif) {
        return db().snapshot().getRecord("VIF", vif.toWireString());
    }

    /** The error of {@code call}, having checked that it left the VIF's record as it was and nothing marked. */
    static List<String> refused(VIF vif, ConcurrencySupport.SdkCall call) throws Exception {
        Map<String, Object> before = record(vif);
        List<String> e = ConcurrencySupport.errorOf(c, call);
        assertEquals(before, record(vif), "a refused call changes nothing");
        ConcurrencySupport.assertNothingMarked(host);
        return e;
    }

    static List<String> rawFailure(String method, Object... args) throws Exception {
        return rawFailure(host, c, method, args);
    }

    /** The error of a call sent as is (hidden messages, lists in order). */
    static List<String> rawFailure(TestHost host, Connection c, String method, Object... args) throws Exception {
        return new RawConnection(LifecycleSupport.url(host)).failure(method, withSession(c, args));
    }

    static Object rawCall(String method, Object... args) throws Exception {
        return rawCall(host, c, method, args);
    }

    static Object rawCall(TestHost host, Connection c, String method, Object... args) throws Exception {
        return new RawConnection(LifecycleSupport.url(host)).call(method, withSession(c, args));
    }

    private static Object[] withSession(Connection c, Object[] args) {
        Object[] params = new Object[args.length + 1];
        params[0] = c.getSessionReference();
        System.arraycopy(args, 0, params, 1, args.length);
        return params;
    }

    static VIF vifOf(VM vm) throws Exception {
        return vm.getVIFs(c).iterator().next();
    }

    /** A halted HVM VM with VIF 0 on the management network. */
    static VM newVm() throws Exception {
        return LifecycleSupport.newVm(host, c, "vif-" + (++made));
    }

    /** A network without PIFs (an internal one), managed or not, on {@code bridge}. */
    static Network network(String bridge, boolean managed) throws Exception {
        return network(c, bridge, managed);
    }

    static Network network(Connection c, String bridge, boolean managed) throws Exception {
        Network.Record r = new Network.Record();
        r.nameLabel = bridge;
        r.nameDescription = "";
        r.MTU = 1500L;
        r.otherConfig = new HashMap<>();
        r.bridge = bridge;
        r.managed = managed;
        r.tags = new HashSet<>();
        return Network.create(c, r);
    }

    static void restrict(String flag, String value) throws Exception {
        String pool = host.server.services().poolRef();
        Map<String, String> r = new HashMap<>(Pool.getAll(c).iterator().next().getRestrictions(c));
        r.put(flag, value);
        db().set("pool", pool, "restrictions", r);
    }

    /** xenopsd's record of the VM's VIF 0. */
    static Vif xenopsVif(VM vm) throws Exception {
        return xenopsVif(host, c, vm);
    }

    static Vif xenopsVif(TestHost host, Connection c, VM vm) throws Exception {
        return host.server
                .xenops()
                .xenops()
                .vifStat("t", new DeviceId(vm.getUuid(c), "0"))
                .vif();
    }

    static Set<String> set(String... s) {
        return new HashSet<>(List.of(s));
    }

    @Test
    void lockingModeAndAllowedAddressesOfAHaltedVm() throws Exception {
        VM vm = newVm();
        VIF vif = vifOf(vm);
        vif.setLockingMode(c, Types.VifLockingMode.LOCKED);
        assertEquals(Types.VifLockingMode.LOCKED, vif.getLockingMode(c));

        // duplicates dropped, the last of each kept in place (Listext.setify)
        rawCall("VIF.set_ipv4_allowed", vif.toWireString(), new Object[] {"10.0.0.1", "10.0.0.0/24", "10.0.0.1"});
        assertEquals(List.of("10.0.0.0/24", "10.0.0.1"), record(vif).get("ipv4_allowed"));
        vif.addIpv4Allowed(c, "192.168.0.7");
        vif.addIpv4Allowed(c, "192.168.0.7");
        assertEquals(set("10.0.0.0/24", "10.0.0.1", "192.168.0.7"), vif.getIpv4Allowed(c));
        vif.removeIpv4Allowed(c, "10.0.0.1");
        vif.removeIpv4Allowed(c, "not there");
        assertEquals(set("10.0.0.0/24", "192.168.0.7"), vif.getIpv4Allowed(c));
        vif.setIpv6Allowed(c, set("fe80::1", "2001:db8::/32"));
        vif.addIpv6Allowed(c, "::ffff:10.0.0.1");
        vif.removeIpv6Allowed(c, "fe80::1");
        assertEquals(set("2001:db8::/32", "::ffff:10.0.0.1"), vif.getIpv6Allowed(c));

        // addresses or CIDRs of the right family, else the field is named
        List<String> v4 = List.of("INVALID_IP_ADDRESS_SPECIFIED", "ipv4_allowed");
        List<String> v6 = List.of("INVALID_IP_ADDRESS_SPECIFIED", "ipv6_allowed");
        assertEquals(v4, refused(vif, () -> vif.addIpv4Allowed(c, "10.0.0.256")));
        assertEquals(v4, refused(vif, () -> vif.addIpv4Allowed(c, "fe80::1")));
        assertEquals(v4, refused(vif, () -> vif.addIpv4Allowed(c, "010.0.0.1")));
        assertEquals(v4, refused(vif, () -> vif.setIpv4Allowed(c, set("10.0.0.1", "10.0.0.0/33"))));
        assertEquals(v6, refused(vif, () -> vif.addIpv6Allowed(c, "10.0.0.1")));
        assertEquals(v6, refused(vif, () -> vif.setIpv6Allowed(c, set("fe80::1%eth0"))));

        vif.setLockingMode(c, Types.VifLockingMode.NETWORK_DEFAULT);
        vif.setIpv4Allowed(c, set());
        assertEquals(Set.of(), vif.getIpv4Allowed(c));
        ConcurrencySupport.assertNothingMarked(host);
    }

    @Test
    void lockingNeedsTheLicenceAndNoVswitchController() throws Exception {
        VM vm = newVm();
        VIF vif = vifOf(vm);
        vif.addIpv4Allowed(c, "10.0.0.5");
        restrict("restrict_vif_locking", "true");
        try {
            List<String> licence = List.of("LICENCE_RESTRICTION", "VIF_locking");
            assertEquals(licence, refused(vif, () -> vif.setLockingMode(c, Types.VifLockingMode.LOCKED)));
            assertEquals(licence, refused(vif, () -> vif.addIpv4Allowed(c, "10.0.0.6")));
            assertEquals(licence, refused(vif, () -> vif.addIpv6Allowed(c, "fe80::6")));
            assertEquals(licence, refused(vif, () -> vif.setIpv4Allowed(c, set("10.0.0.6"))));
            assertEquals(licence, refused(vif, () -> vif.setIpv6Allowed(c, set("fe80::6"))));
            // what loosens locking needs no licence; the check comes before the address's
            assertEquals(licence, refused(vif, () -> vif.addIpv4Allowed(c, "nonsense")));
            vif.setLockingMode(c, Types.VifLockingMode.DISABLED);
            vif.setLockingMode(c, Types.VifLockingMode.UNLOCKED);
            vif.removeIpv4Allowed(c, "10.0.0.5");
            vif.setIpv4Allowed(c, set());
            vif.setIpv6Allowed(c, set());
            // VIF.create and the copies of clones check it too (Xapi_vif_helpers.create)
            VIF.Record r = vif.getRecord(c);
            r.device = "1";
            r.MAC = "";
            r.lockingMode = Types.VifLockingMode.LOCKED;
            int vifs = vm.getVIFs(c).size();
            assertEquals(licence, ConcurrencySupport.errorOf(c, () -> VIF.create(c, r)));
            r.lockingMode = Types.VifLockingMode.NETWORK_DEFAULT;
            r.ipv6Allowed = set("fe80::1");
            assertEquals(licence, ConcurrencySupport.errorOf(c, () -> VIF.create(c, r)));
            assertEquals(vifs, vm.getVIFs(c).size());
            r.ipv6Allowed = set();
            VIF.create(c, r).destroy(c);
        } finally {
            restrict("restrict_vif_locking", "false");
        }

        // an SDN controller on an Open vSwitch host (the simulated host's backend): no locked VIF
        String sdn = Refs.fresh();
        db().create("SDN_controller", sdn, Map.of("uuid", UUID.randomUUID().toString()));
        try {
            assertEquals(
                    List.of("OPERATION_NOT_ALLOWED", "A vswitch controller is active"),
                    refused(vif, () -> vif.setLockingMode(c, Types.VifLockingMode.LOCKED)));
            vif.setLockingMode(c, Types.VifLockingMode.NETWORK_DEFAULT); // the network's default is not locked
            vif.addIpv4Allowed(c, "10.0.0.7");
        } finally {
            db().delete("SDN_controller", sdn);
        }
        vif.setLockingMode(c, Types.VifLockingMode.LOCKED);

        List<String> invalid = List.of("HANDLE_INVALID", "VIF", "OpaqueRef:nothing");
        assertEquals(invalid, rawFailure("VIF.set_locking_mode", "OpaqueRef:nothing", "locked"));
        assertEquals(invalid, rawFailure("VIF.add_ipv4_allowed", "OpaqueRef:nothing", "nonsense"));
    }

    @Test
    void configuringAnAddressNeedsTheGuestsFeature() throws Exception {
        VM vm = newVm();
        VIF vif = vifOf(vm);
        String address = "address";
        Types.VifIpv4ConfigurationMode v4static = Types.VifIpv4ConfigurationMode.STATIC;
        Types.VifIpv6ConfigurationMode v6static = Types.VifIpv6ConfigurationMode.STATIC;
        assertEquals(
                List.of("INVALID_CIDR_ADDRESS_SPECIFIED", address),
                refused(vif, () -> vif.configureIpv4(c, v4static, "10.0.0.2", "")));
        assertEquals(
                List.of("INVALID_CIDR_ADDRESS_SPECIFIED", address),
                refused(vif, () -> vif.configureIpv4(c, v4static, "fe80::2/64", "")));
        assertEquals(
                List.of("INVALID_CIDR_ADDRESS_SPECIFIED", address),
                refused(vif, () -> vif.configureIpv6(c, v6static, "fe80::2", "")));
        assertEquals(
                List.of("INVALID_IP_ADDRESS_SPECIFIED", "gateway"),
                refused(vif, () -> vif.configureIpv4(c, v4static, "10.0.0.2/24", "10.0.0.1/24")));
        assertEquals(
                List.of("INVALID_IP_ADDRESS_SPECIFIED", "gateway"),
                refused(vif, () -> vif.configureIpv6(c, v6static, "fe80::2/64", "10.0.0.1")));

        // a locked VIF's address must be one it allows (the address of the CIDR, canonical)
        vif.setLockingMode(c, Types.VifLockingMode.LOCKED);
        vif.setIpv4Allowed(c, set("10.0.0.2"));
        vif.setIpv6Allowed(c, set("fe80::2"));
        assertEquals(
                List.of("ADDRESS_VIOLATES_LOCKING_CONSTRAINT", "10.0.0.3/24"),
                refused(vif, () -> vif.configureIpv4(c, v4static, "10.0.0.3/24", "10.0.0.1")));
        assertEquals(
                List.of("ADDRESS_VIOLATES_LOCKING_CONSTRAINT", "fe80::3/64"),
                refused(vif, () -> vif.configureIpv6(c, v6static, "fe80::3/64", "")));

        // a halted VM that never ran has no guest agent to set it
        List<String> lacks = List.of("VM_LACKS_FEATURE", vm.toWireString());
        assertEquals(lacks, refused(vif, () -> vif.configureIpv4(c, v4static, "10.0.0.2/24", "10.0.0.1")));
        assertEquals(lacks, refused(vif, () -> vif.configureIpv6(c, v6static, "FE80:0::2/64", "")));
        assertEquals(lacks, refused(vif, () -> vif.configureIpv4(c, Types.VifIpv4ConfigurationMode.NONE, "", "")));

        restrict("restrict_guest_ip_setting", "true");
        try {
            assertEquals(
                    List.of("LICENCE_RESTRICTION", "Guest_ip_setting"),
                    refused(vif, () -> vif.configureIpv4(c, v4static, "nonsense", "")));
            assertEquals(
                    lacks,
                    refused(vif, () -> vif.configureIpv6(c, Types.VifIpv6ConfigurationMode.NONE, "", "")),
                    "no licence needed to unset");
        } finally {
            restrict("restrict_guest_ip_setting", "false");
        }
    }

    @Test
    void aHaltedVmsVifIsRepointedWithoutChecks() throws Exception {
        VM vm = newVm();
        VIF vif = vifOf(vm);
        Network internal = network("brhalted", true);
        vif.move(c, internal);
        assertEquals(internal, vif.getNetwork(c));
        assertTrue(internal.getVIFs(c).contains(vif));
        assertTrue(!host.server.bridges().bridges().contains("brhalted"), "a VIF not attached attaches no network");
        // Xapi checks the network only for a VIF it moves live
        Network unmanaged = network("brnowhere", false);
        vif.move(c, unmanaged);
        assertEquals(unmanaged, vif.getNetwork(c));
    }

    @Test
    void aRunningVmsVifChangesLive() throws Exception {
        VM vm = newVm();
        VIF vif = vifOf(vm);
        vm.start(c, false, false);
        assertTrue(vif.getCurrentlyAttached(c));

        // locking: the effective mode, with the allowed addresses, reaches xenopsd's VIF
        vif.setIpv4Allowed(c, set("10.0.0.2"));
        vif.setLockingMode(c, Types.VifLockingMode.LOCKED);
        Vif x = xenopsVif(vm);
        assertEquals(Vif.LockingMode.Kind.Locked, x.lockingMode().kind());
        assertEquals(List.of("10.0.0.2"), x.lockingMode().ipv4());
        vif.addIpv6Allowed(c, "fe80::2");
        assertEquals(List.of("fe80::2"), xenopsVif(vm).lockingMode().ipv6());
        vif.setLockingMode(c, Types.VifLockingMode.DISABLED);
        assertEquals(Vif.LockingMode.DISABLED, xenopsVif(vm).lockingMode());
        vif.setLockingMode(c, Types.VifLockingMode.NETWORK_DEFAULT);
        assertEquals(Vif.LockingMode.UNLOCKED, xenopsVif(vm).lockingMode(), "the network's default");
        vif.setLockingMode(c, Types.VifLockingMode.LOCKED);

        // the guest agent says it can set addresses once it runs
        String metricsSeen = "the guest agent reports feature-static-ip-setting";
        LifecycleSupport.await(host, metricsSeen, () -> {
            VM.Record r = vm.getRecord(c);
            return !r.guestMetrics.toWireString().equals("OpaqueRef:NULL")
                    && "1".equals(r.guestMetrics.getOther(c).get("feature-static-ip-setting"));
        });
        assertEquals(
                List.of("ADDRESS_VIOLATES_LOCKING_CONSTRAINT", "10.0.0.3/24"),
                refused(vif, () -> vif.configureIpv4(c, Types.VifIpv4ConfigurationMode.STATIC, "10.0.0.3/24", "")));
        vif.configureIpv4(c, Types.VifIpv4ConfigurationMode.STATIC, "10.0.0.2/24", "10.0.0.1");
        assertEquals(Types.VifIpv4ConfigurationMode.STATIC, vif.getIpv4ConfigurationMode(c));
        assertEquals(Set.of("10.0.0.2/24"), vif.getIpv4Addresses(c));
        assertEquals("10.0.0.1", vif.getIpv4Gateway(c));
        assertEquals(
                new Vif.IpConfig("Static4", List.of("10.0.0.2/24"), "10.0.0.1"),
                xenopsVif(vm).ipv4Configuration());
        vif.configureIpv6(c, Types.VifIpv6ConfigurationMode.STATIC, "FE80::2/64", "");
        assertEquals(Set.of("FE80::2/64"), vif.getIpv6Addresses(c), "stored as given");
        assertEquals(
                new Vif.IpConfig("Static6", List.of("FE80::2/64"), null),
                xenopsVif(vm).ipv6Configuration());
        // None keeps the address it was given (Xapi writes [address] whatever the mode)
        vif.configureIpv4(c, Types.VifIpv4ConfigurationMode.NONE, "", "");
        assertEquals(List.of(""), record(vif).get("ipv4_addresses"));
        assertEquals(Vif.IpConfig.UNSPECIFIED4, xenopsVif(vm).ipv4Configuration());

        // move: onto an internal network, whose bridge the host brings up
        Network internal = network("brlive", true);
        vif.move(c, internal);
        assertEquals(internal, vif.getNetwork(c));
        assertTrue(vif.getCurrentlyAttached(c));
        assertEquals(new Vif.Local("brlive"), xenopsVif(vm).backend());
        assertTrue(host.server.bridges().bridges().contains("brlive"));
        assertEquals(Vif.LockingMode.Kind.Locked, xenopsVif(vm).lockingMode().kind(), "the settings stay");

        // a network whose PIFs are all on another host is out of reach
        Network elsewhere = network("brelsewhere", true);
        String otherHost = Refs.fresh();
        db().create(
                        "PIF",
                        Refs.fresh(),
                        Map.of(
                                "uuid",
                                UUID.randomUUID().toString(),
                                "network",
                                elsewhere.toWireString(),
                                "host",
                                otherHost));
        String hostRef = host.server.services().hostRef();
        assertEquals(
                List.of("HOST_CANNOT_ATTACH_NETWORK", hostRef, elsewhere.toWireString()),
                refused(vif, () -> vif.move(c, elsewhere)));
        // one whose PIF here is a bond's member cannot be attached either
        Network bonded = network("brbonded", true);
        db().create(
                        "PIF",
                        Refs.fresh(),
                        Map.of(
                                "uuid", UUID.randomUUID().toString(),
                                "network", bonded.toWireString(),
                                "host", hostRef,
                                "bond_slave_of", Refs.fresh()));
        assertEquals(
                List.of("HOST_CANNOT_ATTACH_NETWORK", hostRef, bonded.toWireString()),
                refused(vif, () -> vif.move(c, bonded)));
        assertEquals(
                List.of("HANDLE_INVALID", "network", "OpaqueRef:nothing"),
                rawFailure("VIF.move", vif.toWireString(), "OpaqueRef:nothing"));

        // an unmanaged network whose bridge the host lacks: Xapi has re-pointed the VIF when the attach fails
        Network unmanaged = network("brmissing", false);
        assertEquals(
                List.of("BRIDGE_NOT_AVAILABLE", "brmissing"),
                ConcurrencySupport.errorOf(c, () -> vif.move(c, unmanaged)));
        assertEquals(unmanaged, vif.getNetwork(c));
        assertEquals(new Vif.Local("brlive"), xenopsVif(vm).backend(), "xenopsd was not asked");
        ConcurrencySupport.assertNothingMarked(host);

        // a suspended VM's VIF only changes in the database
        vif.move(c, internal);
        vm.suspend(c);
        vif.setLockingMode(c, Types.VifLockingMode.UNLOCKED);
        assertEquals(Types.VifLockingMode.UNLOCKED, vif.getLockingMode(c));
        vm.resume(c, false, false);
        assertEquals(Vif.LockingMode.UNLOCKED, xenopsVif(vm).lockingMode(), "given at resume");
        vm.hardShutdown(c);
        assertNull(ConcurrencySupport.errorOf(c, () -> vif.setLockingMode(c, Types.VifLockingMode.DISABLED)));
    }
}
