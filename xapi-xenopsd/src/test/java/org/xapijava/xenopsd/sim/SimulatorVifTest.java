package org.xapijava.xenopsd.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xapijava.xenopsd.sim.SimFixture.failed;
import static org.xapijava.xenopsd.sim.SimFixture.ok;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.xenopsd.DeviceId;
import org.xapijava.xenopsd.DynamicId;
import org.xapijava.xenopsd.Metadata;
import org.xapijava.xenopsd.Updates;
import org.xapijava.xenopsd.Vif;
import org.xapijava.xenopsd.XenopsClient;
import org.xapijava.xenopsd.XenopsError;

/**
 * xenopsd's live VIF calls through the client and the socket server: {@code VIF.set_locking_mode},
 * {@code set_ipv4_configuration}, {@code set_ipv6_configuration} and {@code move} change xenopsd's record of the
 * VIF first, then the plugged copy in the domain, and signal the VIF; without a domain they fail with
 * {@code Does_not_exist ("domain", vm)}, and {@code move} of a VIF that is not plugged with
 * {@code Does_not_exist ("VIF", "vm.n")}.
 */
class SimulatorVifTest {
    @TempDir
    Path dir;

    SimFixture f;
    XenopsClient x;

    @BeforeEach
    void start() throws Exception {
        f = new SimFixture(dir, Simulator.Config.persistent(dir.resolve("state")));
        x = f.client;
    }

    @AfterEach
    void stop() {
        f.close();
    }

    private void define(String vm) {
        x.vmImportMetadata("t", SimFixture.metadata(vm, 1L << 30));
    }

    private void run(String vm) {
        ok(x, x.vmStart("t", vm, false));
        ok(x, x.vmUnpause("t", vm));
    }

    /** xenopsd's record of the VIF ({@code VIF.stat}). */
    private Vif record(DeviceId id) {
        return x.vifStat("t", id).vif();
    }

    /** The plugged copy of the VIF in the simulator's domain (from the VM's exported metadata). */
    private Vif plugged(DeviceId id) {
        String json = Metadata.fromJson(x.vmExportMetadata("t", id.vm())).domains();
        try {
            Domain d = Domain.fromRpc(VmEntry.STATE_JSON.parseValue(json.getBytes(StandardCharsets.UTF_8)));
            return d.vifs().stream().filter(v -> v.id().equals(id)).findFirst().orElseThrow();
        } catch (org.xapijava.model.jsonrpc.JsonRpcParseException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void lockingModeAndIpConfigurationsReachTheRecordAndThePluggedVif() {
        String vm = "vm-live";
        define(vm);
        run(vm);
        DeviceId id = new DeviceId(vm, "0");
        int last = x.updatesLastId("t");

        Vif.LockingMode locked =
                new Vif.LockingMode(Vif.LockingMode.Kind.Locked, List.of("10.0.0.2"), List.of("fe80::1"));
        ok(x, x.vifSetLockingMode("t", id, locked));
        assertEquals(locked, record(id).lockingMode());
        assertEquals(locked, plugged(id).lockingMode());
        Updates u = x.updatesGet("t", last, 5);
        assertTrue(u.ids().contains(new DynamicId.Vif(id)), "the VIF is signalled: " + u.ids());

        Vif.IpConfig v4 = new Vif.IpConfig("Static4", List.of("10.0.0.2/24"), "10.0.0.1");
        ok(x, x.vifSetIpv4Configuration("t", id, v4));
        Vif.IpConfig v6 = new Vif.IpConfig("Static6", List.of("fe80::1/64"), null);
        ok(x, x.vifSetIpv6Configuration("t", id, v6));
        for (Vif v : List.of(record(id), plugged(id))) {
            assertEquals(v4, v.ipv4Configuration());
            assertEquals(v6, v.ipv6Configuration());
            assertEquals(locked, v.lockingMode(), "the other settings stay");
        }
        ok(x, x.vifSetIpv4Configuration("t", id, Vif.IpConfig.UNSPECIFIED4));
        assertEquals(Vif.IpConfig.UNSPECIFIED4, plugged(id).ipv4Configuration());
        assertEquals(v6, plugged(id).ipv6Configuration());
    }

    @Test
    void theGuestAgentReportsEachPluggedNicsAddress() {
        String vm = "vm-ip";
        define(vm);
        assertEquals(Map.of(), x.vmStat("t", vm).state().guestAgent(), "no guest without a domain");
        run(vm);
        DeviceId id = new DeviceId(vm, "0");
        // aa:bb:cc:dd:ee:ff: the simulated DHCP's 10.0.0.0/8 address from the MAC's last three bytes
        assertEquals(
                "10.221.238." + (1 + 0xff % 254),
                x.vmStat("t", vm).state().guestAgent().get("attr/vif/0/ipv4/0"));
        int last = x.updatesLastId("t");
        ok(x, x.vifSetIpv4Configuration("t", id, new Vif.IpConfig("Static4", List.of("192.168.7.9/24"), null)));
        assertEquals("192.168.7.9", x.vmStat("t", vm).state().guestAgent().get("attr/vif/0/ipv4/0"));
        Updates u = x.updatesGet("t", last, 5);
        assertTrue(u.ids().contains(new DynamicId.Vm(vm)), "the VM is signalled: " + u.ids());
    }

    @Test
    void moveChangesTheBackendOfAPluggedVif() {
        String vm = "vm-move";
        define(vm);
        run(vm);
        DeviceId id = new DeviceId(vm, "0");
        Vif.Network other = new Vif.Local("xapi7");
        ok(x, x.vifMove("t", id, other));
        assertEquals(other, record(id).backend());
        assertEquals(other, plugged(id).backend());
        assertTrue(x.vifStat("t", id).state().plugged(), "still plugged");

        // a VIF xenopsd knows but has not plugged: its record changes, then the backend finds no device
        Vif spare = Vif.of(new DeviceId(vm, "1"), 1, "aa:bb:cc:dd:ee:01", new Vif.Local("xenbr0"));
        x.vifAdd("t", spare);
        XenopsError e = failed(x, x.vifMove("t", spare.id(), other));
        assertEquals("Does_not_exist", e.code());
        assertEquals(List.of("VIF", vm + ".1"), e.args());
        assertEquals(other, record(spare.id()).backend(), "xenopsd writes its record before the backend call");
    }

    @Test
    void theCallsNeedAKnownVifAndALiveDomain() {
        String vm = "vm-halted";
        define(vm);
        DeviceId id = new DeviceId(vm, "0");
        for (String task : List.of(
                x.vifSetLockingMode("t", id, Vif.LockingMode.DISABLED),
                x.vifSetIpv4Configuration("t", id, Vif.IpConfig.UNSPECIFIED4),
                x.vifSetIpv6Configuration("t", id, Vif.IpConfig.UNSPECIFIED6),
                x.vifMove("t", id, new Vif.Local("xenbr1")))) {
            XenopsError e = failed(x, task);
            assertEquals("Does_not_exist", e.code());
            assertEquals(List.of("domain", vm), e.args());
        }
        XenopsError e = failed(x, x.vifSetLockingMode("t", new DeviceId(vm, "9"), Vif.LockingMode.DISABLED));
        assertEquals(List.of("VM", vm + "/vif.9"), e.args());
    }
}
