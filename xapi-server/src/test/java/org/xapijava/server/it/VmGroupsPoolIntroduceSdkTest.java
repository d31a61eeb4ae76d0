package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.VM;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.Db;
import org.xapijava.model.api.Network;
import org.xapijava.model.api.Pool;
import org.xapijava.server.TestHost;

/**
 * {@code VM.set_groups} on a datamodel without VM groups (Xapi's checks, the empty set accepted, a group ref
 * invalid) and {@code network.pool_introduce} (a network record with exactly the given fields), through the SDK's
 * transport.
 */
class VmGroupsPoolIntroduceSdkTest {
    @TempDir
    Path dir;

    private static Object[] with(Connection c, Object... args) {
        Object[] params = new Object[args.length + 1];
        params[0] = c.getSessionReference();
        System.arraycopy(args, 0, params, 1, args.length);
        return params;
    }

    private static List<String> fails(TestHost host, Connection c, String method, Object... args) throws Exception {
        return new RawConnection(LifecycleSupport.url(host)).failure(method, with(c, args));
    }

    private static Object call(TestHost host, Connection c, String method, Object... args) throws Exception {
        return new RawConnection(LifecycleSupport.url(host)).call(method, with(c, args));
    }

    @Test
    void setGroupsChecksAsXapiAndKnowsNoGroup() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            Db data = host.server.services().data();
            VM vm = LifecycleSupport.newVm(host, c, "grouped");
            String v = vm.toWireString();
            long stamp = data.modified("VM", v);

            call(host, c, "VM.set_groups", v, new Object[0]);
            assertEquals(
                    List.of("HANDLE_INVALID", "VM_group", "OpaqueRef:g"),
                    fails(host, c, "VM.set_groups", v, new Object[] {"OpaqueRef:g"}));
            assertEquals(
                    List.of("TOO_MANY_GROUPS"),
                    fails(host, c, "VM.set_groups", v, new Object[] {"OpaqueRef:g", "OpaqueRef:h"}));
            assertEquals(
                    List.of("HANDLE_INVALID", "VM", "OpaqueRef:nope"),
                    fails(host, c, "VM.set_groups", "OpaqueRef:nope", new Object[0]));
            assertEquals(stamp, data.modified("VM", v), "nothing written");

            String template = null;
            for (Map.Entry<VM, VM.Record> e : VM.getAllRecords(c).entrySet()) {
                if (e.getValue().isATemplate) template = e.getKey().toWireString();
            }
            String dom0 = null;
            for (Map.Entry<VM, VM.Record> e : VM.getAllRecords(c).entrySet()) {
                if (e.getValue().isControlDomain) dom0 = e.getKey().toWireString();
            }
            for (String refused : List.of(template, dom0)) {
                assertEquals(
                        List.of(
                                "OPERATION_NOT_ALLOWED",
                                "Control domains, templates, and snapshots cannot be added to VM groups."),
                        fails(host, c, "VM.set_groups", refused, new Object[0]));
            }

            String pool = data.all(Pool.XAPI_CLASS).getFirst();
            Map<String, String> restricted = new HashMap<>(data.get(pool, Pool.RESTRICTIONS));
            restricted.put("restrict_vm_groups", "true");
            data.set(pool, Pool.RESTRICTIONS, restricted);
            assertEquals(
                    List.of("LICENCE_RESTRICTION", "VM_groups"), fails(host, c, "VM.set_groups", v, new Object[0]));
        }
    }

    @Test
    void poolIntroduceMakesTheNetworkItIsGiven() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            Db data = host.server.services().data();
            String net = (String) call(
                    host,
                    c,
                    "network.pool_introduce",
                    "joined",
                    "from a member",
                    "9000",
                    Map.of("k", "v"),
                    "xenbr7",
                    false,
                    new Object[] {"nbd"});
            @SuppressWarnings("unchecked")
            Map<String, Object> r = (Map<String, Object>) call(host, c, "network.get_record", net);
            assertEquals("joined", r.get("name_label"));
            assertEquals("from a member", r.get("name_description"));
            assertEquals("9000", r.get("MTU"));
            assertEquals(Map.of("k", "v"), r.get("other_config"));
            assertEquals("xenbr7", r.get("bridge"));
            assertEquals(false, r.get("managed"));
            assertEquals(List.of("nbd"), Arrays.asList((Object[]) r.get("purpose")));
            assertEquals("unlocked", r.get("default_locking_mode"));
            assertEquals(Map.of(), r.get("blobs"));
            assertEquals(List.of(), Arrays.asList((Object[]) r.get("PIFs")));
            assertEquals(Map.of(), data.get(net, Network.ASSIGNED_IPS));
            // a purpose that is not one: refused by the decoder, no network made
            int networks = data.all(Network.XAPI_CLASS).size();
            assertEquals(
                    List.of("INTERNAL_ERROR", "Failure(\"Unknown tag/contents\")"),
                    fails(host, c, "network.pool_introduce", "x", "", "1500", Map.of(), "b", true, new Object[] {"no"
                    }));
            assertEquals(networks, data.all(Network.XAPI_CLASS).size());
        }
    }
}
