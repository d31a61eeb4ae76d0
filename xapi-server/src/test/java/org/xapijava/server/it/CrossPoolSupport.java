package org.xapijava.server.it;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.Network;
import com.xensource.xenapi.PIF;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VBD;
import com.xensource.xenapi.VDI;
import com.xensource.xenapi.VIF;
import com.xensource.xenapi.VM;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.xapijava.server.TestHost;
import org.xapijava.xenopsd.sim.Simulator;

/** What the tests of moves to another pool share: the destination asked of the other pool, and what to look at. */
final class CrossPoolSupport {
    private CrossPoolSupport() {}

    static Simulator sim(TestHost h) {
        return h.server.embeddedXenopsd().simulator();
    }

    static Network managementNetwork(Connection c, Host h) throws Exception {
        for (PIF p : h.getPIFs(c)) if (p.getManagement(c)) return p.getNetwork(c);
        throw new AssertionError("no management PIF");
    }

    /** {@code host.migrate_receive} of {@code host} on its management network, asked of its pool through {@code c}. */
    static Map<String, String> dest(Connection c, Host host) throws Exception {
        return host.migrateReceive(c, managementNetwork(c, host), Map.of());
    }

    /** Every VIF of {@code vm} (read through {@code from}) to the management network of {@code host}'s pool. */
    static Map<VIF, Network> vifsTo(Connection from, VM vm, Connection to, Host host) throws Exception {
        Map<VIF, Network> m = new HashMap<>();
        for (VIF v : vm.getVIFs(from)) m.put(v, managementNetwork(to, host));
        return m;
    }

    static Set<String> vdisOf(Connection c, SR sr) throws Exception {
        return sr.getVDIs(c).stream().map(VDI::toWireString).collect(Collectors.toSet());
    }

    static Set<String> vmUuids(Connection c) throws Exception {
        return VM.getAllRecords(c).values().stream().map(r -> r.uuid).collect(Collectors.toSet());
    }

    static VDI diskOf(Connection c, VM vm) throws Exception {
        for (VBD vbd : vm.getVBDs(c)) if (vbd.getType(c) == Types.VbdType.DISK) return vbd.getVDI(c);
        throw new AssertionError("no disk");
    }
}
