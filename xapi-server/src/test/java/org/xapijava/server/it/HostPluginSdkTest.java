package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Host;
import com.xensource.xenapi.Types;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;

/**
 * {@code host.call_plugin} through the Citrix SDK with small shell plugins in the host's plugin directory: the call
 * passed as one XML-RPC argument (function name, session, argument struct), the result envelope, and each of Xapi's
 * failures ({@code XENAPI_MISSING_PLUGIN}, {@code XENAPI_PLUGIN_FAILURE} with its reason, stdout and stderr);
 * {@code VM.call_host_plugin} for a running VM.
 */
class HostPluginSdkTest {
    private static final String OK = "<?xml version='1.0'?><methodResponse><params><param><value><struct>"
            + "<member><name>Status</name><value><string>Success</string></value></member>"
            + "<member><name>Value</name><value><string>%s</string></value></member>"
            + "</struct></value></param></params></methodResponse>";

    @TempDir
    static Path dir;

    static TestHost host;
    static Connection c;
    static Host me;
    static Path plugins;

    @BeforeAll
    static void start() throws Exception {
        plugins = dir.resolve("plugins");
        Files.createDirectories(plugins);
        plugin("echo", "a=$(printf '%s' \"$1\" | base64 -w0); printf \"" + OK.replace("%s", "$a") + "\"");
        plugin("env", "printf \"" + OK.replace("%s", "$PATH|$(env | wc -l)") + "\"");
        plugin(
                "failure",
                "printf '<methodResponse><params><param><value><struct><member><name>Status</name>"
                        + "<value>Failure</value></member><member><name>ErrorDescription</name><value><array><data>"
                        + "<value>VDI_IN_USE</value><value>x</value><value>y</value></data></array></value></member>"
                        + "</struct></value></param></params></methodResponse>'");
        plugin(
                "fault",
                "printf '<methodResponse><fault><value><struct><member><name>faultCode</name>"
                        + "<value><int>42</int></value></member><member><name>faultString</name><value>boom</value>"
                        + "</member></struct></value></fault></methodResponse>'");
        plugin("exit3", "echo out; echo err >&2; exit 3");
        plugin("garbage", "echo 'not xml'");
        plugin("killed", "echo partial; kill -TERM $$");
        plugin("hang", "sleep 1000 & echo $! > " + dir.resolve("child.pid") + "; sleep 1000");
        host = TestHost.start(dir, "--plugin-timeout-seconds", "2");
        c = LifecycleSupport.login(host);
        me = Host.getAll(c).iterator().next();
    }

    @AfterAll
    static void stop() throws Exception {
        if (host != null) host.close();
    }

    private static void plugin(String name, String body) throws Exception {
        Path p = plugins.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static List<String> fails(String plugin, String fn, Map<String, String> args) throws Exception {
        return new RawConnection(LifecycleSupport.url(host))
                .failure("host.call_plugin", c.getSessionReference(), me.toWireString(), plugin, fn, args);
    }

    @Test
    void thePluginGetsOneMethodCallWithTheSessionAndTheArguments() throws Exception {
        String b64 = me.callPlugin(c, "echo", "my_fn", Map.of("k", "v & w"));
        String call = new String(java.util.Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
        assertTrue(call.contains("<methodName>my_fn</methodName>"), call);
        assertTrue(call.contains(c.getSessionReference()), call);
        assertTrue(call.contains("<name>k</name>"), call);
        assertTrue(call.contains("v &amp; w"), call);
        // Xapi's PATH, not the server's
        String env = me.callPlugin(c, "env", "f", Map.of());
        assertTrue(env.startsWith("/sbin:/usr/sbin:/bin:/usr/bin|"), env);
    }

    @Test
    void vmCallHostPluginRunsThePluginOnTheHostOfARunningVm() throws Exception {
        com.xensource.xenapi.VM vm = LifecycleSupport.newVm(host, c, "plugin-vm");
        String session = c.getSessionReference();
        RawConnection raw = new RawConnection(LifecycleSupport.url(host));
        List<String> halted = raw.failure("VM.call_host_plugin", session, vm.toWireString(), "echo", "vm_fn", Map.of());
        assertEquals(List.of("VM_BAD_POWER_STATE", vm.toWireString(), "Running", "Halted"), halted);
        vm.start(c, false, false);
        try {
            Object reply =
                    raw.rawCall("VM.call_host_plugin", session, vm.toWireString(), "echo", "vm_fn", Map.of("k", "v"));
            @SuppressWarnings("unchecked")
            String b64 = (String) ((Map<String, Object>) reply).get("Value");
            String call = new String(java.util.Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
            assertTrue(call.contains("<methodName>vm_fn</methodName>"), call);
            assertTrue(call.contains(session), call);
            assertTrue(call.contains("<name>k</name>"), call);
            assertEquals(
                    List.of("XENAPI_MISSING_PLUGIN", "nope"),
                    raw.failure("VM.call_host_plugin", session, vm.toWireString(), "nope", "f", Map.of()));
            assertEquals(
                    List.of("VDI_IN_USE", "x", "y"),
                    raw.failure("VM.call_host_plugin", session, vm.toWireString(), "failure", "f", Map.of()));
            assertTrue(vm.getCurrentOperations(c).isEmpty(), "the call_plugin mark is gone");
            // VM.import_convert asks the conversion plugin first, which hosts of this kind lack
            assertEquals(
                    List.of("XENAPI_MISSING_PLUGIN", "conversion"),
                    raw.failure(
                            "VM.import_convert",
                            session,
                            "ESXServer",
                            "u",
                            "p",
                            "OpaqueRef:NULL",
                            Map.of("hostname", "esx", "username", "u", "password", "p", "vm-name", "x")));
        } finally {
            vm.hardShutdown(c);
        }
    }

    @Test
    void missingPluginsAndPathsOutsideTheDirectory() throws Exception {
        assertThrows(Types.XenapiMissingPlugin.class, () -> me.callPlugin(c, "nope", "f", Map.of()));
        for (String bad : List.of("../plugins/echo", "/bin/sh", "..", ".", "echo/", "")) {
            assertEquals(List.of("XENAPI_MISSING_PLUGIN", bad), fails(bad, "f", Map.of()), bad);
        }
    }

    @Test
    void failuresAsXapiReportsThem() throws Exception {
        assertEquals(List.of("VDI_IN_USE", "x", "y"), fails("failure", "f", Map.of()));
        assertEquals(List.of("XENAPI_PLUGIN_FAILURE", "fault", "42", "boom"), fails("fault", "f", Map.of()));
        assertEquals(
                List.of("XENAPI_PLUGIN_FAILURE", "non-zero exit", "out\n", "err\n"), fails("exit3", "f", Map.of()));
        List<String> garbage = fails("garbage", "f", Map.of());
        assertEquals(
                List.of("XENAPI_PLUGIN_FAILURE", "failed to parse plugin output", "not xml\n"), garbage.subList(0, 3));
        assertEquals(
                List.of("XENAPI_PLUGIN_FAILURE", "signal: SIGTERM", "partial\n", ""), fails("killed", "f", Map.of()));
    }

    @Test
    void aHangingPluginIsKilledWithItsChildren() throws Exception {
        assertEquals(List.of("XENAPI_PLUGIN_FAILURE", "signal: SIGKILL", "", ""), fails("hang", "f", Map.of()));
        long child = Long.parseLong(Files.readString(dir.resolve("child.pid")).strip());
        LifecycleSupport.await(
                host,
                "the plugin's child is gone",
                () -> ProcessHandle.of(child).map(p -> !p.isAlive()).orElse(true));
    }
}
