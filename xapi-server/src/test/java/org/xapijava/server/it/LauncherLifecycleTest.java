package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.APIVersion;
import com.xensource.xenapi.Connection;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Session;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VBD;
import com.xensource.xenapi.VDI;
import com.xensource.xenapi.VM;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The layout {@code scripts/xapi} runs, as separate processes: the xenopsd simulator daemon
 * ({@code SimulatorMain}) and xapi ({@code Main}, {@code --xenopsd external}) on its socket. The Citrix
 * Java SDK installs a VM from a template, starts it; xapi is restarted while the VM runs and finds it
 * running; the VM is shut down; {@code host.shutdown_agent} stops xapi for good; the simulator stops on SIGTERM.
 */
class LauncherLifecycleTest {
    private static final Pattern XAPI_READY =
            Pattern.compile("xapi ready: http://127\\.0\\.0\\.1:(\\d+) user=root password=(\\S+)");
    /** Generous bound for a JVM to start or stop on a loaded 2-core machine. */
    private static final long START_STOP_SECONDS = 60;

    @TempDir
    Path dir;

    @BeforeAll
    static void xmlLimits() {
        // Apache XML-RPC (the SDK's transport) trips the JDK 24+ entity-size limits on large responses
        System.setProperty("jdk.xml.maxGeneralEntitySizeLimit", "0");
        System.setProperty("jdk.xml.totalEntitySizeLimit", "0");
    }

    private record Child(Process process, String readyLine, BufferedReader stdout, Path stderr) {}

    private Child launch(String tag, List<String> mainAndArgs) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // surefire runs tests from a manifest-only jar; its property holds the real class path
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path stderr = dir.resolve("stderr-" + tag + ".txt");
        List<String> cmd = new java.util.ArrayList<>(List.of(java, "-cp", cp));
        cmd.addAll(mainAndArgs);
        Process p = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        String line;
        try {
            line = first.get(START_STOP_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            p.toHandle().destroyForcibly();
            throw new AssertionError(tag + ": no ready line; stderr:\n" + read(stderr), e);
        }
        assertNotNull(line, () -> tag + ": stdout closed; stderr:\n" + read(stderr));
        return new Child(p, line, out, stderr);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static void stop(Child c) throws Exception {
        if (!c.process().isAlive()) return;
        // SIGTERM through the process handle: Process.destroy() would also close our end of its stdout
        assertTrue(c.process().toHandle().destroy(), "SIGTERM not sent");
        assertTrue(c.process().waitFor(START_STOP_SECONDS, TimeUnit.SECONDS), "still running after SIGTERM");
        int rc = c.process().exitValue();
        assertTrue(rc == 0 || rc == 143, "exit status " + rc + "; stderr:\n" + read(c.stderr()));
    }

    private Child xapi(Path data, Path socket, String tag) throws Exception {
        Child c = launch(
                tag,
                List.of(
                        "org.xapijava.server.Main",
                        "--data-dir",
                        data.toString(),
                        "--http-port",
                        "0",
                        "--https-port",
                        "0",
                        "--xenopsd",
                        "external",
                        "--xenopsd-socket",
                        socket.toString()));
        assertTrue(XAPI_READY.matcher(c.readyLine()).matches(), c.readyLine());
        return c;
    }

    private static Connection login(Child xapi) throws Exception {
        Matcher m = XAPI_READY.matcher(xapi.readyLine());
        assertTrue(m.matches());
        Connection c = new Connection(
                URI.create("http://127.0.0.1:" + m.group(1) + "/").toURL());
        Session.loginWithPassword(c, "root", m.group(2), APIVersion.latest().toString());
        return c;
    }

    @Test
    void installStartRestartXapiAndShutDownWithTheSimulatorInItsOwnProcess() throws Exception {
        Path data = dir.resolve("data");
        Path socket = dir.resolve("xenopsd.sock");
        Child sim = launch(
                "simulator",
                List.of(
                        "org.xapijava.xenopsd.sim.SimulatorMain",
                        "--socket",
                        socket.toString(),
                        "--state-dir",
                        dir.resolve("xenopsd").toString()));
        Child x = null;
        try {
            assertEquals("xenopsd-simulator ready: " + socket, sim.readyLine());
            x = xapi(data, socket, "xapi-1");
            Connection c = login(x);

            // install as xe vm-install does: clone the template, name the SR in the disks XML, provision
            VM template = VM.getByNameLabel(c, "Debian Bookworm 12").iterator().next();
            SR local = null;
            for (SR sr : SR.getAll(c)) if (sr.getType(c).equals("file")) local = sr;
            assertNotNull(local, "the local file SR");
            VM vm = template.createClone(c, "installed");
            String xml = vm.getOtherConfig(c).get("disks");
            vm.removeFromOtherConfig(c, "disks");
            vm.addToOtherConfig(c, "disks", xml.replace("sr=\"\"", "sr=\"" + local.getUuid(c) + "\""));
            vm.provision(c);
            VBD vbd = vm.getVBDs(c).iterator().next();
            VDI disk = vbd.getVDI(c);
            assertTrue(
                    Files.isRegularFile(data.resolve("sr/local").resolve(disk.getUuid(c) + ".qcow2")),
                    "the disk is a file in the local SR");

            vm.start(c, false, false);
            assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c));
            long domid = vm.getDomid(c);
            assertTrue(domid > 0, "domid " + domid);
            assertTrue(vbd.getCurrentlyAttached(c));

            // xapi restarted while the VM runs: it finds it running, with the same domain
            stop(x);
            x = xapi(data, socket, "xapi-2");
            c = login(x);
            vm = VM.getByUuid(c, vm.getUuid(c));
            assertEquals(Types.VmPowerState.RUNNING, vm.getPowerState(c));
            assertEquals(domid, vm.getDomid(c));
            assertFalse(vm.getAllowedOperations(c).contains(Types.VmOperations.START));

            vm.cleanShutdown(c);
            assertEquals(Types.VmPowerState.HALTED, vm.getPowerState(c));
            assertEquals(-1L, vm.getDomid(c));
            assertTrue(vm.getCurrentOperations(c).isEmpty());
            assertTrue(vm.getAllowedOperations(c).contains(Types.VmOperations.START));

            // host.shutdown_agent: xapi answers, then stops for good (exit 0), the simulator runs on
            com.xensource.xenapi.Host.shutdownAgent(c);
            assertTrue(x.process().waitFor(START_STOP_SECONDS, TimeUnit.SECONDS), "xapi still running");
            assertEquals(0, x.process().exitValue());
            x = null;
            assertTrue(sim.process().isAlive());
        } finally {
            try {
                if (x != null) stop(x);
            } finally {
                stop(sim);
            }
        }
    }
}
