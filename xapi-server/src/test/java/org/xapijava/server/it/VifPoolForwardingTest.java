package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Network;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VIF;
import com.xensource.xenapi.VM;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;
import org.xapijava.xenopsd.DeviceId;
import org.xapijava.xenopsd.Vif;

/**
 * Where the VIF and network messages of issue 11 run in a pool of two hosts (a master and a member in this JVM,
 * as {@code PoolForwardingTest}): a running VM's VIF settings go to its host's xenopsd, and the host-side network
 * calls to the host they name.
 */
class VifPoolForwardingTest {
    @TempDir
    static Path dirA;

    @TempDir
    static Path dirB;

    static TwoHostPool pool;
    static TestHost master;
    static TestHost member;
    static Connection c;

    @BeforeAll
    static void start() throws Exception {
        pool = TwoHostPool.start(dirA, dirB);
        master = pool.master();
        member = pool.member();
        c = LifecycleSupport.login(master);
    }

    @AfterAll
    static void stop() throws Exception {
        if (pool != null) pool.close();
    }

    @Test
    void aRunningVmsVifChangesOnItsHostAndNetworksAttachWhereNamed() throws Exception {
        String hostB = member.server.services().hostRef();
        VM vm = LifecycleSupport.newVm(master, c, "vif-on-b");
        vm.startOn(c, Types.toHost(hostB), false, false);
        VIF vif = vm.getVIFs(c).iterator().next();
        DeviceId id = new DeviceId(vm.getUuid(c), "0");

        vif.setLockingMode(c, Types.VifLockingMode.DISABLED);
        assertEquals(
                Vif.LockingMode.DISABLED,
                member.server.xenops().xenops().vifStat("t", id).vif().lockingMode());
        vif.setIpv4Allowed(c, new java.util.HashSet<>(List.of("10.0.0.9")));
        vif.setLockingMode(c, Types.VifLockingMode.LOCKED);
        assertEquals(
                List.of("10.0.0.9"),
                member.server
                        .xenops()
                        .xenops()
                        .vifStat("t", id)
                        .vif()
                        .lockingMode()
                        .ipv4());
        assertFalse(master.server.xenops().xenops().vmExists("t", id.vm()), "the master's xenopsd has no such VM");

        Network.Record r = new Network.Record();
        r.nameLabel = "pool internal";
        r.nameDescription = "";
        r.MTU = 1500L;
        r.otherConfig = new java.util.HashMap<>(Map.of());
        r.bridge = "brpool";
        r.managed = true;
        r.tags = new java.util.HashSet<>();
        Network internal = Network.create(c, r);
        vif.move(c, internal);
        assertEquals(
                new Vif.Local("brpool"),
                member.server.xenops().xenops().vifStat("t", id).vif().backend());
        assertTrue(member.server.bridges().bridges().contains("brpool"), "brought up on the VM's host");
        assertFalse(master.server.bridges().bridges().contains("brpool"));

        Network other = Network.create(c, withBridge(r, "brpool2"));
        VifSettingsSdkTest.rawCall(master, c, "network.attach", other.toWireString(), hostB);
        assertTrue(member.server.bridges().bridges().contains("brpool2"));
        assertFalse(master.server.bridges().bridges().contains("brpool2"));
        vm.hardShutdown(c);
    }

    private static Network.Record withBridge(Network.Record r, String bridge) {
        r.bridge = bridge;
        r.nameLabel = bridge;
        return r;
    }
}
