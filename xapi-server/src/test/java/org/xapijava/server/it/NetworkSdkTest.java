package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Network;
import com.xensource.xenapi.PIF;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VIF;
import com.xensource.xenapi.VM;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.types.Refs;
import org.xapijava.server.TestHost;
import org.xapijava.xenopsd.Vif;

/**
 * The network messages of issue 11 through the Citrix SDK (the hidden host-side ones as raw calls):
 * {@code add_purpose}/{@code remove_purpose}, {@code set_default_locking_mode} and what it does to a VIF left to the
 * network's default, {@code attach}, {@code attach_for_vm} and {@code detach_for_vm} on the simulated bridges, with
 * Xapi's refusals; a refusal changes nothing.
 */
class NetworkSdkTest {
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

    static Map<String, Object> record(Network n) {
        return host.server.services().db().snapshot().getRecord("network", n.toWireString());
    }

    static List<String> refused(Network n, ConcurrencySupport.SdkCall call) throws Exception {
        Map<String, Object> before = record(n);
        List<String> e = ConcurrencySupport.errorOf(c, call);
        assertEquals(before, record(n), "a refused call changes nothing");
        ConcurrencySupport.assertNothingMarked(host);
        return e;
    }

    static Network mgmt() throws Exception {
        for (Map.Entry<Network, Network.Record> e : Network.getAllRecords(c).entrySet()) {
            if (!e.getValue().PIFs.isEmpty()) return e.getKey();
        }
        throw new AssertionError("no management network");
    }

    static Set<String> bridges() {
        return host.server.bridges().bridges();
    }

    @Test
    void purposesAreKeptApartAcrossThePool() throws Exception {
        Network a = VifSettingsSdkTest.network(c, "brpurpose1", true);
        Network b = VifSettingsSdkTest.network(c, "brpurpose2", true);
        Network unmanaged = VifSettingsSdkTest.network(c, "brpurpose3", false);
        try {
            a.addPurpose(c, Types.NetworkPurpose.NBD);
            a.addPurpose(c, Types.NetworkPurpose.NBD);
            assertEquals(Set.of(Types.NetworkPurpose.NBD), a.getPurpose(c));
            List<String> clash = List.of("NETWORK_INCOMPATIBLE_PURPOSES", "insecure_nbd", "nbd");
            assertEquals(clash, refused(b, () -> b.addPurpose(c, Types.NetworkPurpose.INSECURE_NBD)));
            assertEquals(clash, refused(a, () -> a.addPurpose(c, Types.NetworkPurpose.INSECURE_NBD)));
            assertEquals(
                    List.of("NETWORK_UNMANAGED", unmanaged.toWireString()),
                    refused(unmanaged, () -> unmanaged.addPurpose(c, Types.NetworkPurpose.NBD)));
            b.addPurpose(c, Types.NetworkPurpose.NBD);
            b.removePurpose(c, Types.NetworkPurpose.INSECURE_NBD); // absent: nothing to do
            a.removePurpose(c, Types.NetworkPurpose.NBD);
            assertEquals(
                    List.of("NETWORK_INCOMPATIBLE_PURPOSES", "insecure_nbd", "nbd"),
                    refused(a, () -> a.addPurpose(c, Types.NetworkPurpose.INSECURE_NBD)));
            b.removePurpose(c, Types.NetworkPurpose.NBD);
            a.addPurpose(c, Types.NetworkPurpose.INSECURE_NBD);
            assertEquals(
                    List.of("NETWORK_INCOMPATIBLE_PURPOSES", "nbd", "insecure_nbd"),
                    refused(b, () -> b.addPurpose(c, Types.NetworkPurpose.NBD)));
            unmanaged.removePurpose(c, Types.NetworkPurpose.NBD); // Xapi only checks the management on add
        } finally {
            a.removePurpose(c, Types.NetworkPurpose.INSECURE_NBD);
        }
        assertEquals(
                List.of("HANDLE_INVALID", "network", "OpaqueRef:nothing"),
                VifSettingsSdkTest.rawFailure(host, c, "network.add_purpose", "OpaqueRef:nothing", "nbd"));
    }

    @Test
    void theDefaultLockingModeWaitsForTheVifsToBeDetachedAndReachesThemAtStart() throws Exception {
        VM vm = LifecycleSupport.newVm(host, c, "net-" + (++made));
        VIF vif = vm.getVIFs(c).iterator().next();
        Network internal = VifSettingsSdkTest.network(c, "brdefault", true);
        vif.move(c, internal);
        vm.start(c, false, false);
        assertEquals(
                List.of("VIF_IN_USE", internal.toWireString(), vif.toWireString()),
                refused(internal, () -> internal.setDefaultLockingMode(c, Types.NetworkDefaultLockingMode.DISABLED)));
        vm.hardShutdown(c);
        internal.setDefaultLockingMode(c, Types.NetworkDefaultLockingMode.DISABLED);
        assertEquals(Types.NetworkDefaultLockingMode.DISABLED, internal.getDefaultLockingMode(c));
        vm.start(c, false, false);
        assertEquals(
                Vif.LockingMode.DISABLED,
                VifSettingsSdkTest.xenopsVif(host, c, vm).lockingMode());
        vif.setLockingMode(c, Types.VifLockingMode.UNLOCKED);
        assertEquals(
                Vif.LockingMode.UNLOCKED,
                VifSettingsSdkTest.xenopsVif(host, c, vm).lockingMode());
        vif.setLockingMode(c, Types.VifLockingMode.NETWORK_DEFAULT);
        assertEquals(
                Vif.LockingMode.DISABLED,
                VifSettingsSdkTest.xenopsVif(host, c, vm).lockingMode());
        vm.hardShutdown(c);
        internal.setDefaultLockingMode(c, Types.NetworkDefaultLockingMode.UNLOCKED);
    }

    @Test
    void theHostBringsBridgesUpForNetworksAndVms() throws Exception {
        String here = host.server.services().hostRef();
        Network internal = VifSettingsSdkTest.network(c, "brattach", true);
        assertFalse(bridges().contains("brattach"));
        VifSettingsSdkTest.rawCall(host, c, "network.attach", internal.toWireString(), here);
        assertTrue(bridges().contains("brattach"), "an internal network's bridge is created");
        Network unmanaged = VifSettingsSdkTest.network(c, "brunmanaged", false);
        assertEquals(
                List.of("BRIDGE_NOT_AVAILABLE", "brunmanaged"),
                VifSettingsSdkTest.rawFailure(host, c, "network.attach", unmanaged.toWireString(), here));
        // an unmanaged network on an existing bridge has nothing to do
        Network onMgmtBridge = VifSettingsSdkTest.network(c, mgmt().getBridge(c), false);
        VifSettingsSdkTest.rawCall(host, c, "network.attach", onMgmtBridge.toWireString(), here);
        assertEquals(
                List.of("HOST_OFFLINE", "OpaqueRef:nowhere"),
                VifSettingsSdkTest.rawFailure(host, c, "network.attach", internal.toWireString(), "OpaqueRef:nowhere"));
        assertEquals(
                List.of("HANDLE_INVALID", "network", "OpaqueRef:nothing"),
                VifSettingsSdkTest.rawFailure(host, c, "network.attach", "OpaqueRef:nothing", here));

        // a managed PIF of this host is brought up (attach forces it even when attached)
        Network external = VifSettingsSdkTest.network(c, "brexternal", true);
        String pif = Refs.fresh();
        host.server
                .services()
                .db()
                .create(
                        "PIF",
                        pif,
                        Map.of(
                                "uuid",
                                UUID.randomUUID().toString(),
                                "network",
                                external.toWireString(),
                                "host",
                                here,
                                "managed",
                                true,
                                "currently_attached",
                                false));
        VifSettingsSdkTest.rawCall(host, c, "network.attach", external.toWireString(), here);
        assertTrue(PIF.getByUuid(c, (String) host.server.services().db().get("PIF", pif, "uuid"))
                .getCurrentlyAttached(c));
        assertTrue(bridges().contains("brexternal"));
        // ... unless it is a bond's member
        Network bonded = VifSettingsSdkTest.network(c, "brbondmember", true);
        String member = Refs.fresh();
        host.server
                .services()
                .db()
                .create(
                        "PIF",
                        member,
                        Map.of(
                                "uuid", UUID.randomUUID().toString(),
                                "network", bonded.toWireString(),
                                "host", here,
                                "managed", true,
                                "bond_slave_of", Refs.fresh()));
        assertEquals(
                List.of("CANNOT_PLUG_BOND_SLAVE", member),
                VifSettingsSdkTest.rawFailure(host, c, "network.attach", bonded.toWireString(), here));

        // a VM's networks: attached with its VIFs, an internal bridge removed with the last VIF on it
        VM vm = LifecycleSupport.newVm(host, c, "net-" + (++made));
        Network forVm = VifSettingsSdkTest.network(c, "brforvm", true);
        vm.getVIFs(c).iterator().next().move(c, forVm);
        VifSettingsSdkTest.rawCall(host, c, "network.attach_for_vm", here, vm.toWireString());
        assertTrue(bridges().contains("brforvm"));
        VifSettingsSdkTest.rawCall(host, c, "network.detach_for_vm", here, vm.toWireString());
        assertFalse(bridges().contains("brforvm"));
        assertEquals(
                List.of("HANDLE_INVALID", "VM", "OpaqueRef:nothing"),
                VifSettingsSdkTest.rawFailure(host, c, "network.attach_for_vm", here, "OpaqueRef:nothing"));
        // detaching logs what fails and answers success, as Xapi
        VifSettingsSdkTest.rawCall(host, c, "network.detach_for_vm", here, "OpaqueRef:nothing");
        ConcurrencySupport.assertNothingMarked(host);
    }
}
