package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VM;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;
import org.xapijava.xenopsd.PowerState;

/**
 * Evacuation of a host of a three-host pool: its VMs are spread over the two other hosts (biggest first, each to the
 * host with the most free memory), migrated live through the destinations' xapi, and each runs afterwards in the
 * xenopsd of the host its {@code resident_on} names, and in no other.
 */
class PoolEvacuationSdkTest {
    @TempDir
    static Path dirA;

    @TempDir
    static Path dirB;

    @TempDir
    static Path dirC;

    static ThreeHostPool pool;
    static Connection c;

    @BeforeAll
    static void start() throws Exception {
        pool = ThreeHostPool.start(dirA, dirB, dirC);
        c = LifecycleSupport.login(pool.master());
    }

    @AfterAll
    static void stop() throws Exception {
        if (pool != null) pool.close();
    }

    private static Host host(TestHost h) {
        return Types.toHost(h.server.services().hostRef());
    }

    @Test
    void anEvacuatedHostsVmsAreSpreadOverTheOtherHosts() throws Exception {
        TestHost from = pool.member1();
        List<VM> vms = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            VM vm = LifecycleSupport.newVm(pool.master(), c, "evac3-" + i);
            vm.startOn(c, host(from), false, false);
            vms.add(vm);
        }
        // an unusable network for the migration: PIF_NOT_PRESENT, and nothing moves
        com.xensource.xenapi.Network.Record nr = new com.xensource.xenapi.Network.Record();
        nr.nameLabel = "no PIFs";
        nr.nameDescription = "";
        nr.MTU = 1500L;
        nr.otherConfig = new HashMap<>();
        nr.tags = new java.util.HashSet<>();
        com.xensource.xenapi.Network bare = com.xensource.xenapi.Network.create(c, nr);
        var api = new org.xapijava.model.client.XenApi(
                org.xapijava.server.client.XmlRpcTransport.tcp(
                        LifecycleSupport.url(pool.master()).toURI(), null, java.time.Duration.ofMinutes(2)),
                c.getSessionReference());
        org.xapijava.model.errors.ApiError e = assertThrows(
                org.xapijava.model.errors.ApiError.class,
                () -> api.host().evacuate(host(from).toWireString(), bare.toWireString(), 0L));
        assertEquals("PIF_NOT_PRESENT", e.code());
        for (VM vm : vms) assertEquals(host(from), vm.getResidentOn(c));

        host(from).evacuate(c);
        Map<String, Integer> perHost = new HashMap<>();
        for (VM vm : vms) {
            VM.Record r = vm.getRecord(c);
            assertEquals(Types.VmPowerState.RUNNING, r.powerState);
            assertTrue(r.currentOperations.isEmpty());
            String on = r.residentOn.toWireString();
            perHost.merge(on, 1, Integer::sum);
            for (TestHost h : pool.hosts()) {
                boolean here = h.server.services().hostRef().equals(on);
                var x = h.server.xenops().xenops();
                assertEquals(here, x.vmExists("test", r.uuid), "exactly one xenopsd has " + r.nameLabel);
                if (here) {
                    var st = x.vmStat("test", r.uuid).state();
                    assertEquals(PowerState.Running, st.powerState());
                    assertEquals(st.domids().getFirst().longValue(), r.domid);
                }
            }
        }
        assertFalse(perHost.containsKey(host(from).toWireString()));
        assertEquals(2, perHost.size(), "both other hosts take VMs: " + perHost);
        assertTrue(host(from).getCurrentOperations(c).isEmpty());
        for (VM vm : vms) vm.hardShutdown(c);
    }
}
