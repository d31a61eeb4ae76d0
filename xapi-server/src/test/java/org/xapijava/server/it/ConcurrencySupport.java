package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.xensource.xenapi.APIVersion;
import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Session;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VM;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.xmlrpc.XmlRpcException;
import org.apache.xmlrpc.client.XmlRpcClient;
import org.xapijava.db.Snapshot;
import org.xapijava.server.TestHost;
import org.xapijava.xenopsd.PowerState;
import org.xapijava.xenopsd.TaskInfo;
import org.xapijava.xenopsd.Xenops;

/**
 * What {@code ConcurrencySdkTest} and {@code OperationTableSdkTest} share on top of {@link LifecycleSupport}:
 * paravirtualised test VMs, the error of an SDK call as a list, simulator delays, and the "nothing left
 * marked" check.
 *
 * <p>The VMs are PV on purpose: Xapi refuses {@code clean_shutdown}/{@code clean_reboot} (and leaves them out of
 * {@code allowed_operations}) for a running HVM guest until its PV drivers are reported ({@code VM_LACKS_FEATURE}),
 * which happens some time after the start, when the guest agent's keys arrive; a guest that has definitely booted PV
 * has the features implicitly ({@code check_op_for_feature} in {@code xapi_vm_lifecycle.ml}), so what the tests
 * expect does not depend on that timing.
 */
final class ConcurrencySupport {
    /** The classes with {@code current_operations} that a VM operation marks (the VM, its devices, disks, SRs, the host). */
    static final List<String> MARKED_CLASSES = List.of("VM", "VBD", "VIF", "VDI", "SR", "host", "pool");

    private ConcurrencySupport() {}

    /** A call through the Citrix SDK, for {@link #errorOf}. */
    @FunctionalInterface
    interface SdkCall {
        void run() throws Exception;
    }

    /**
     * A PV guest of 256 MiB with one NIC and an empty CD drive: {@link LifecycleSupport#newVm} (from a first-start
     * template's record), then made PV with a bootloader. There is no {@code VM.set_domain_type} in the SDK this
     * test uses, so the three fields are written in the database, as {@code LifecycleSupport} does for the domid.
     */
    static VM pvVm(TestHost host, Connection c, String name) throws Exception {
        VM vm = LifecycleSupport.newVm(host, c, name);
        String ref = vm.toWireString();
        host.server.services().db().transact(tx -> {
            tx.set("VM", ref, "domain_type", "pv");
            tx.set("VM", ref, "HVM_boot_policy", "");
            tx.set("VM", ref, "PV_bootloader", "pygrub");
        });
        host.server.services().allowed().update("VM", ref);
        return vm;
    }

    /**
     * The Citrix SDK's connection, keeping each thread's last raw reply: the SDK's typed exceptions (e.g.
     * {@code Types.VmBadPowerState}) carry a text, not the error's parameters, so {@link #errorOf} reads them from
     * the reply. Calls other than the session ones go through the SDK's own transport and configuration (Apache
     * XML-RPC) and the SDK's own reply check ({@code Types.checkResponse}, package-private, reached by
     * reflection), so the typed bindings behave as with a plain {@link Connection}.
     */
    static final class Recording extends Connection {
        private static final Method CHECK_RESPONSE;

        static {
            try {
                CHECK_RESPONSE = Types.class.getDeclaredMethod("checkResponse", Map.class);
                CHECK_RESPONSE.setAccessible(true);
            } catch (NoSuchMethodException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final XmlRpcClient plain = new XmlRpcClient();
        private final ThreadLocal<Map<?, ?>> last = new ThreadLocal<>();

        Recording(URL url) {
            super(url);
            plain.setConfig(getConfig());
        }

        @Override
        @SuppressWarnings("rawtypes")
        protected Map dispatch(String method, Object[] params) throws XmlRpcException, Types.XenAPIException {
            if (method.startsWith("session.")) return super.dispatch(method, params); // the SDK keeps the session ref
            last.set(null);
            Map<?, ?> reply = (Map<?, ?>) plain.execute(method, params);
            last.set(reply);
            try {
                return (Map) CHECK_RESPONSE.invoke(null, reply);
            } catch (InvocationTargetException e) {
                if (e.getCause() instanceof Types.XenAPIException x) throw x;
                if (e.getCause() instanceof RuntimeException x) throw x;
                throw new IllegalStateException(e.getCause());
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }

        /** The {@code ErrorDescription} of this thread's last reply, or null if it was not a failure. */
        List<String> lastError() {
            Map<?, ?> reply = last.get();
            if (reply == null || !"Failure".equals(reply.get("Status"))) return null;
            List<String> out = new ArrayList<>();
            for (Object o : (Object[]) reply.get("ErrorDescription")) out.add(String.valueOf(o));
            return out;
        }
    }

    /** Logs in as root through a {@link Recording} connection. */
    static Recording login(TestHost host) throws Exception {
        Recording c = new Recording(LifecycleSupport.url(host));
        Session.loginWithPassword(
                c, "root", host.password(), APIVersion.latest().toString());
        return c;
    }

    /** The error description of {@code call} made on {@code c}, or null when it succeeded. */
    static List<String> errorOf(Recording c, SdkCall call) throws Exception {
        try {
            call.run();
            return null;
        } catch (Types.XenAPIException e) {
            List<String> raw = c.lastError();
            if (raw != null) return raw;
            return e.errorDescription == null ? List.of(e.shortDescription) : List.of(e.errorDescription);
        }
    }

    static Xenops xenops(TestHost host) {
        return host.server.xenops().xenops();
    }

    /** Sets the simulated duration of one xenopsd step (the simulator's {@code set-delay} trigger). */
    static void setDelay(TestHost host, String step, long millis) {
        xenops(host).debugTrigger("test", "set-delay", List.of(step, Long.toString(millis)));
    }

    /**
     * Every {@code current_operations} entry left on the VMs, devices, disks, SRs, the host and the pool, as
     * {@code class ref → entries}; empty when nothing is marked.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> marked(TestHost host) {
        Snapshot s = host.server.services().db().snapshot();
        Map<String, Object> out = new TreeMap<>();
        for (String cls : MARKED_CLASSES) {
            for (String ref : s.all(cls)) {
                Map<String, Object> ops = (Map<String, Object>) s.get(cls, ref, "current_operations");
                if (!ops.isEmpty()) out.put(cls + " " + ref, ops);
            }
        }
        return out;
    }

    static void assertNothingMarked(TestHost host) {
        assertEquals(Map.of(), marked(host), "current_operations left behind");
    }

    /**
     * Waits for xenopsd task {@code id} to end, following {@code UPDATES.get} (no polling), then destroys it.
     * Returns its final state.
     */
    static TaskInfo.State awaitXenopsTask(Xenops x, String id) {
        long deadline = System.nanoTime() + LifecycleSupport.WAIT.toNanos();
        Integer from = x.updatesLastId("test");
        while (x.taskStat("test", id).state() instanceof TaskInfo.Pending) {
            if (System.nanoTime() > deadline)
                throw new AssertionError("xenopsd task " + id + " still pending after " + LifecycleSupport.WAIT);
            from = x.updatesGet("test", from, 5).nextId();
        }
        TaskInfo.State end = x.taskStat("test", id).state();
        x.taskDestroy("test", id);
        return end;
    }

    /**
     * Removes a VM from the simulator if xapi left it there (a domain is shut down first); used after Xapi's
     * {@code VM.power_state_reset} of a paused VM, which forgets the domain without destroying it.
     */
    static void purgeFromSimulator(TestHost host, String uuid) {
        Xenops x = xenops(host);
        if (!x.vmExists("test", uuid)) return;
        if (x.vmStat("test", uuid).state().powerState() != PowerState.Halted) {
            TaskInfo.State end = awaitXenopsTask(x, x.vmShutdown("test", uuid, null));
            if (end instanceof TaskInfo.Failed f)
                throw new AssertionError("simulator VM.shutdown " + uuid + ": " + f.error());
        }
        x.vmRemove("test", uuid);
    }

    /** The VM's {@code allowed_operations} as wire strings (the SDK maps names it does not know to one constant). */
    static List<String> allowedOperations(TestHost host, Connection c, VM vm) throws Exception {
        Object v = new RawConnection(LifecycleSupport.url(host))
                .call("VM.get_allowed_operations", c.getSessionReference(), vm.toWireString());
        List<String> out = new ArrayList<>();
        for (Object o : (Object[]) v) out.add((String) o);
        return out;
    }
}
