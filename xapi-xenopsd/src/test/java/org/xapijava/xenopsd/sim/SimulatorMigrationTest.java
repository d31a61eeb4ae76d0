package org.xapijava.xenopsd.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.xapijava.xenopsd.sim.SimFixture.failed;
import static org.xapijava.xenopsd.sim.SimFixture.ok;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.xenopsd.DeviceId;
import org.xapijava.xenopsd.PowerState;
import org.xapijava.xenopsd.Vif;
import org.xapijava.xenopsd.XenopsClient;
import org.xapijava.xenopsd.XenopsError;

/**
 * {@code VM.migrate} within one simulator: a localhost migration moves the domain to a new domid; a halted VM
 * cannot migrate; a destination that cannot be reached leaves the VM running here. (Between two hosts, through
 * xapi's {@code /services/xenops}: {@code PoolMigrationSdkTest} in xapi-server.)
 */
class SimulatorMigrationTest {
    private static final String VM = "22222222-3333-4444-5555-666666666666";

    @TempDir
    Path dir;

    SimFixture f;
    XenopsClient x;

    @BeforeEach
    void start() throws Exception {
        f = new SimFixture(dir, Simulator.Config.inMemory());
        x = f.client;
        x.vmImportMetadata("t", SimFixture.metadata(VM, 1L << 30));
    }

    @AfterEach
    void stop() {
        f.close();
    }

    private void run() {
        ok(x, x.vmStart("t", VM, false));
        ok(x, x.vmUnpause("t", VM));
    }

    @Test
    void aLocalhostMigrationMovesTheDomainToANewDomid() {
        run();
        int domid = x.vmStat("t", VM).state().domids().getFirst();
        ok(x, x.vmMigrate("t", VM, "http://127.0.0.1:1/services/xenops", true));
        var st = x.vmStat("t", VM).state();
        assertEquals(PowerState.Running, st.powerState());
        assertNotEquals(domid, st.domids().getFirst());
    }

    @Test
    void aVifMapPutsTheVifsItNamesOnTheirNewNetwork() {
        DeviceId eth0 = x.vifAdd("t", Vif.of(new DeviceId(VM, "0"), 0, "aa:bb:cc:00:00:01", new Vif.Local("xenbr0")));
        DeviceId eth1 = x.vifAdd("t", Vif.of(new DeviceId(VM, "1"), 1, "aa:bb:cc:00:00:02", new Vif.Local("xenbr0")));
        run();
        ok(
                x,
                x.vmMigrate(
                        "t",
                        VM,
                        "http://127.0.0.1:1/services/xenops",
                        true,
                        Map.of(),
                        Map.of("1", new Vif.Local("xapi7")),
                        false));
        assertEquals(new Vif.Local("xenbr0"), x.vifStat("t", eth0).vif().backend());
        assertEquals(new Vif.Local("xapi7"), x.vifStat("t", eth1).vif().backend());
        assertEquals(PowerState.Running, x.vmStat("t", VM).state().powerState());
    }

    @Test
    void aHaltedVmCannotMigrate() {
        XenopsError e = failed(x, x.vmMigrate("t", VM, "http://127.0.0.1:1/services/xenops", false));
        assertTrue(e.is("Bad_power_state"), e.getMessage());
    }

    @Test
    void anUnreachableDestinationLeavesTheVmRunningHere() {
        run();
        int domid = x.vmStat("t", VM).state().domids().getFirst();
        XenopsError e = failed(x, x.vmMigrate("t", VM, "http://127.0.0.1:1/services/xenops", false));
        assertTrue(e.is("Internal_error"), e.getMessage());
        var st = x.vmStat("t", VM).state();
        assertEquals(PowerState.Running, st.powerState());
        assertEquals(domid, st.domids().getFirst());
    }

    @Test
    void aSimulatorCanBeToldToRefuseMigrations() {
        x.debugTrigger("t", "refuse-migration", List.of("on"));
        XenopsError e = assertThrows(XenopsError.class, () -> x.vmReceiveMemory("t", VM, "not an image"));
        assertTrue(e.getMessage().contains("refuses"), e.getMessage());
        x.debugTrigger("t", "refuse-migration", List.of("off"));
        e = assertThrows(XenopsError.class, () -> x.vmReceiveMemory("t", VM, "not an image"));
        assertTrue(e.getMessage().contains("not a memory image"), e.getMessage());
        assertEquals(PowerState.Halted, x.vmStat("t", VM).state().powerState());
    }
}
