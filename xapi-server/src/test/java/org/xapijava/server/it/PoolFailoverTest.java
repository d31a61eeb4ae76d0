package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.xensource.xenapi.APIVersion;
import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.Session;
import com.xensource.xenapi.VM;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No write the master acknowledged is lost when it dies and a member is made master (beyond Xapi, which loses up to
 * 300 s of writes without HA): the master is a process of its own, its member in this JVM asks for each batch of the
 * master's feed 300 ms late (a slow member), the master is killed with SIGKILL right after a client's last write was
 * answered, and the member made master with {@code pool.emergency_transition_to_master} holds every write.
 */
class PoolFailoverTest {
    @TempDir
    Path dirA;

    @TempDir
    Path dirB;

    Process a;
    PoolHost b;

    @AfterEach
    void stop() throws Exception {
        if (b != null) b.close();
        if (a != null) a.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }

    static void await(String what, BooleanSupplier done) throws InterruptedException {
        PoolHost.await(what, Duration.ofSeconds(90), done);
    }

    /** The master as {@code scripts/xapi} runs it (its own JVM, xenopsd simulator embedded); its root password. */
    private String launchMaster(int port) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        a = new ProcessBuilder(
                        java,
                        "-cp",
                        cp,
                        "org.xapijava.server.Main",
                        "--data-dir",
                        dirA.toString(),
                        "--bind",
                        "127.0.0.2",
                        "--http-port",
                        Integer.toString(port),
                        "--https-port",
                        "-1",
                        "--xenopsd",
                        "embedded")
                .redirectError(dirA.resolve("stderr.txt").toFile())
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(a.getInputStream(), StandardCharsets.UTF_8));
        String line = CompletableFuture.supplyAsync(() -> {
                    try {
                        return out.readLine();
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                })
                .get(120, TimeUnit.SECONDS);
        if (line == null || !line.startsWith("xapi ready:")) fail("no ready line: " + line);
        return line.substring(line.indexOf("password=") + "password=".length()).strip();
    }

    @Test
    void everyAcknowledgedWriteSurvivesTheMastersSigkill() throws Exception {
        int port = PoolHost.freePort();
        String password = launchMaster(port);
        Files.writeString(dirB.resolve("pool.conf"), "slave:127.0.0.2");
        Files.copy(dirA.resolve("ptoken"), dirB.resolve("ptoken"));
        b = PoolHost.start(dirB, "127.0.0.3", port, "--replica-poll-delay-ms", "300");
        Connection c =
                new Connection(URI.create("http://127.0.0.2:" + port + "/").toURL());
        Session.loginWithPassword(c, "root", password, APIVersion.latest().toString());
        VM vm = VM.getByNameLabel(c, "Other install media").iterator().next().createClone(c, "kept");
        String uuid = vm.getUuid(c);
        for (int i = 0; i < 5; i++) vm.setNameDescription(c, "write " + i);
        a.destroyForcibly(); // SIGKILL right after the last answer: the slow member must already hold it
        a.waitFor(30, TimeUnit.SECONDS);

        await("the member is in emergency mode", () -> b.server().inEmergencyMode());
        Connection cb = new Connection(b.url());
        Session.slaveLocalLoginWithPassword(cb, "root", password); // the pool's, synced to B
        int before = b.starts();
        Pool.emergencyTransitionToMaster(cb);
        await(
                "the member restarted as master",
                () -> b.starts() > before && !b.server().inEmergencyMode());
        Connection nb = new Connection(b.url());
        Session.loginWithPassword(nb, "root", password, APIVersion.latest().toString());
        assertEquals("write 4", VM.getByUuid(nb, uuid).getNameDescription(nb));
    }
}
