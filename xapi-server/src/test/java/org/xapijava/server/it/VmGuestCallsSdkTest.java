package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VM;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.Db;
import org.xapijava.model.Datamodel;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.VMGuestMetrics;
import org.xapijava.model.rbac.Rbac;
import org.xapijava.server.TestHost;

/**
 * {@code VM.call_plugin} and {@code VM.sysprep} through the Citrix SDK (and the raw wire for the exact error
 * parameters) against a host with the embedded xenopsd simulator, whose simulated Linux guest agent offers neither
 * remote desktop, nor scripts, nor sysprep: Xapi's checks in its order, its rate limit, and what xenopsd answers;
 * and sysprep run to its end by a simulated guest that offers it ({@code DEBUG.trigger "sysprep"}).
 */
class VmGuestCallsSdkTest {
    private static final String PLUGIN = "guest-agent-operation";

    @TempDir
    static Path dir;

    static TestHost host;
    static Connection c;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir, "--vm-sysprep-wait", "0.1");
        c = LifecycleSupport.login(host);
    }

    @AfterAll
    static void stop() throws Exception {
        if (host != null) host.close();
    }

    private static List<String> failsAs(String session, String method, Object... args) throws Exception {
        Object[] params = new Object[args.length + 1];
        params[0] = session;
        System.arraycopy(args, 0, params, 1, args.length);
        return new RawConnection(LifecycleSupport.url(host)).failure(method, params);
    }

    private static List<String> fails(String method, Object... args) throws Exception {
        return failsAs(c.getSessionReference(), method, args);
    }

    private static Map<String, String> map(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    /** A session of {@code role} (as an external user's login would make it). */
    private static String sessionWithRole(String role) {
        String s = host.login();
        Rbac rbac = Rbac.of(Datamodel.get());
        host.server.services().db().transact(tx -> {
            tx.set("session", s, "is_local_superuser", false);
            tx.set("session", s, "rbac_permissions", rbac.permissionsOf(role));
            tx.set("session", s, "auth_user_sid", "S-1-5-21-" + role);
        });
        return s;
    }

    /** Forgets the VM's last plugin call (the rate limit is ten seconds; no test waits that long). */
    private static VM running(String name) throws Exception {
        VM vm = LifecycleSupport.newVm(host, c, name);
        vm.start(c, false, false);
        LifecycleSupport.await(host, "the guest agent reports", () -> {
            VM.Record r = vm.getRecord(c);
            return !r.guestMetrics.toWireString().equals("OpaqueRef:NULL")
                    && !r.guestMetrics.getOther(c).isEmpty();
        });
        return vm;
    }

    @Test
    void callPluginChecksAndRateLimit() throws Exception {
        VM vm = running("plugins");
        String ref = vm.toWireString();
        Db data = host.server.services().data();

        // another plugin: refused before the rate limit counts the call
        assertThrows(Types.XenapiMissingPlugin.class, () -> vm.callPlugin(c, "other", "request-rdp-on", map()));
        assertEquals(List.of("XENAPI_MISSING_PLUGIN", "nope"), fails("VM.call_plugin", ref, "nope", "x", map()));

        // the first call counts, whatever follows: an unknown function
        String notFound = "The requested fn \"reboot\" could not be found in plugin \"guest-agent-operation\".";
        assertEquals(
                List.of("XENAPI_PLUGIN_FAILURE", "failed to find fn", notFound, notFound),
                fails("VM.call_plugin", ref, PLUGIN, "reboot", map()));
        // a second call within ten seconds
        List<String> limited = fails("VM.call_plugin", ref, PLUGIN, "request-rdp-on", map());
        assertEquals(List.of("VM_CALL_PLUGIN_RATE_LIMIT", ref, "10."), limited.subList(0, 3));
        double wait = Double.parseDouble(limited.get(3));
        assertTrue(wait > 0 && wait <= 10, limited.get(3));
        assertTrue(vm.getCurrentOperations(c).isEmpty());

        // the simulated guest offers no remote desktop (feature-ts2)
        VM other = running("rdp");
        String noTs2 = "The requested fn \"request-rdp-on\" of plugin \"guest-agent-operation\" could not be executed"
                + " for lack of guest agent control feature.";
        assertEquals(
                List.of("XENAPI_PLUGIN_FAILURE", "failed to execute fn", noTs2, noTs2),
                fails("VM.call_plugin", other.toWireString(), PLUGIN, "request-rdp-on", map()));
        // a guest that offers it: xenopsd is asked (the simulated guest ignores the request)
        VM rdp = running("rdp-capable");
        String gm = data.get(rdp.toWireString(), org.xapijava.model.api.VM.GUEST_METRICS);
        Map<String, String> otherKeys = new HashMap<>(data.get(gm, VMGuestMetrics.OTHER));
        otherKeys.put("feature-ts2", "1");
        data.set(gm, VMGuestMetrics.OTHER, otherKeys);
        assertEquals("", rdp.callPlugin(c, PLUGIN, "request-rdp-on", map()));
        assertTrue(rdp.getCurrentOperations(c).isEmpty());
        vm.hardShutdown(c);
        other.hardShutdown(c);
        rdp.hardShutdown(c);
    }

    @Test
    void runScriptChecks() throws Exception {
        Db data = host.server.services().data();
        String pool = host.server.services().poolRef();
        Map<String, String> args = map("username", "u", "password", "p", "script", "echo hi");
        String[] vms = new String[5];
        for (int i = 0; i < vms.length; i++) vms[i] = running("script-" + i).toWireString();

        // not allowed in the pool
        assertEquals(List.of("FEATURE_RESTRICTED"), fails("VM.call_plugin", vms[0], PLUGIN, "run-script", args));
        Map<String, String> oc = new HashMap<>(data.get(pool, Pool.OTHER_CONFIG));
        Map<String, String> saved = new HashMap<>(oc);
        oc.put("allow_guest_agent_run_script", "true");
        data.set(pool, Pool.OTHER_CONFIG, oc);
        try {
            assertEquals(
                    List.of("XENAPI_PLUGIN_FAILURE", "missing argument", "", "Argument password is required."),
                    fails("VM.call_plugin", vms[1], PLUGIN, "run-script", map("username", "u", "script", "x")));
            // a VM admin may call plugins, but not run scripts
            assertEquals(
                    List.of(
                            "RBAC_PERMISSION_DENIED",
                            "vm.call_plugin",
                            "No permission to run script, must have VM power admin role or higher."),
                    failsAs(sessionWithRole("vm-admin"), "VM.call_plugin", vms[2], PLUGIN, "run-script", args));
            assertEquals(
                    List.of(
                            "XENAPI_PLUGIN_FAILURE",
                            "length restriction",
                            "",
                            "The script length must not exceed 1024 bytes"),
                    fails(
                            "VM.call_plugin",
                            vms[3],
                            PLUGIN,
                            "run-script",
                            map("username", "u", "password", "p", "script", "x".repeat(1025))));
            // xenopsd needs the agent's feature-xs-batcmd, which the simulated guest does not offer
            assertEquals(
                    List.of("NOT_IMPLEMENTED", "run-script is not supported on the given VM (or it is still booting)"),
                    failsAs(sessionWithRole("vm-power-admin"), "VM.call_plugin", vms[4], PLUGIN, "run-script", args));
        } finally {
            data.set(pool, Pool.OTHER_CONFIG, saved);
        }
        for (String vm : vms) {
            assertTrue(
                    com.xensource.xenapi.Types.toVM(vm).getCurrentOperations(c).isEmpty());
            com.xensource.xenapi.Types.toVM(vm).hardShutdown(c);
        }
    }

    @Test
    void sysprepChecks() throws Exception {
        VM vm = LifecycleSupport.newVm(host, c, "sysprep");
        String ref = vm.toWireString();
        String uuid = vm.getUuid(c);
        // no power-state check before Xapi's own: a VM without a domain
        assertEquals(List.of("SYSPREP", uuid, "VM is not running"), fails("VM.sysprep", ref, "<xml/>", 60.0));
        vm.start(c, false, false);
        assertEquals(List.of("INVALID_VALUE", "timeout", "-1."), fails("VM.sysprep", ref, "<xml/>", -1.0));
        assertEquals(
                List.of("SYSPREP", uuid, "unattend.xml file too large"),
                fails("VM.sysprep", ref, "x".repeat(32 * 1024 + 1), 60.0));
        assertEquals(
                List.of("SYSPREP", uuid, "VM driver does not support sysprep"),
                fails("VM.sysprep", ref, "<xml/>", 60.0));
        assertTrue(vm.getCurrentOperations(c).isEmpty());
        assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c));
        vm.hardShutdown(c);
    }

    @Test
    void sysprepRunsInAGuestThatOffersItThenTheGuestShutsDown() throws Exception {
        VM vm = LifecycleSupport.newVm(host, c, "windows");
        String ref = vm.toWireString();
        String uuid = vm.getUuid(c);
        org.xapijava.xenopsd.Xenops x = host.server.xenops().xenops();
        vm.start(c, false, false);
        x.debugTrigger("t", "sysprep", List.of(uuid, "on"));
        LifecycleSupport.await(
                host,
                "the guest agent reports feature-sysprep",
                () -> "1".equals(vm.getGuestMetrics(c).getOther(c).get("feature-sysprep")));
        Object done = new RawConnection(LifecycleSupport.url(host))
                .rawCall("VM.sysprep", c.getSessionReference(), ref, "<unattend>answers</unattend>", 30.0);
        assertEquals(
                "Success",
                ((java.util.Map<?, ?>) done).get("Status"),
                () -> java.util.Arrays.toString((Object[]) ((java.util.Map<?, ?>) done).get("ErrorDescription")));
        LifecycleSupport.await(host, "the guest shut down", () -> vm.getPowerState(c) == Types.VmPowerState.HALTED);
        assertTrue(vm.getCurrentOperations(c).isEmpty());
        // the CD is empty again, the ISO gone from the host's sysprep ISO SR (made on first use)
        for (com.xensource.xenapi.VBD b : vm.getVBDs(c))
            if (b.getType(c) == Types.VbdType.CD) assertTrue(b.getEmpty(c));
        java.util.Set<com.xensource.xenapi.SR> srs = com.xensource.xenapi.SR.getAll(c);
        com.xensource.xenapi.SR iso = srs.stream()
                .filter(s -> {
                    try {
                        return s.getNameLabel(c).startsWith("SYSPREP-");
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                })
                .findFirst()
                .orElseThrow();
        assertEquals("iso", iso.getType(c));
        assertEquals("Sysprep ISOs", iso.getNameDescription(c));
        try (var files = java.nio.file.Files.list(dir.resolve("sysprep-iso"))) {
            assertEquals(0, files.count(), "the ISO is removed");
        }

        // a guest that never starts sysprep: Xapi's time-out, and the CD is ejected all the same
        vm.start(c, false, false);
        x.debugTrigger("t", "sysprep", List.of(uuid, "hang"));
        LifecycleSupport.await(
                host,
                "the guest agent reports feature-sysprep",
                () -> vm.getGuestMetrics(c).getOther(c).containsKey("feature-sysprep"));
        assertEquals(
                List.of("SYSPREP", uuid, "No response from sysprep within allocated time"),
                fails("VM.sysprep", ref, "<xml/>", 1.0));
        assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c));
        for (com.xensource.xenapi.VBD b : vm.getVBDs(c))
            if (b.getType(c) == Types.VbdType.CD) assertTrue(b.getEmpty(c));
        assertTrue(vm.getCurrentOperations(c).isEmpty());
        vm.hardShutdown(c);
    }

    @Test
    void xeVmSysprepSendsTheClientsFile() throws Exception {
        VM vm = LifecycleSupport.newVm(host, c, "windows-xe");
        String uuid = vm.getUuid(c);
        vm.start(c, false, false);
        host.server.xenops().xenops().debugTrigger("t", "sysprep", List.of(uuid, "on"));
        LifecycleSupport.await(
                host,
                "the guest agent reports feature-sysprep",
                () -> "1".equals(vm.getGuestMetrics(c).getOther(c).get("feature-sysprep")));
        java.nio.file.Path home = java.nio.file.Files.createDirectories(dir.resolve("xe-home"));
        org.xapijava.server.cli.XeRun.Result missing = org.xapijava.server.cli.XeRun.tcp(
                host, home, "", "vm-sysprep", "uuid=" + uuid, "filename=" + home.resolve("none.xml"));
        assertEquals(1, missing.code(), missing.toString());
        assertEquals("Failed to read file.\n", missing.err(), missing.toString());
        java.nio.file.Path xml = java.nio.file.Files.writeString(home.resolve("unattend.xml"), "<unattend/>");
        org.xapijava.server.cli.XeRun.Result r = org.xapijava.server.cli.XeRun.tcp(
                host, home, "", "vm-sysprep", "uuid=" + uuid, "filename=" + xml, "timeout=30");
        assertEquals(0, r.code(), r.toString());
        LifecycleSupport.await(host, "the guest shut down", () -> vm.getPowerState(c) == Types.VmPowerState.HALTED);
    }
}
