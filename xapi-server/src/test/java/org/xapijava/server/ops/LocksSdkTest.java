package org.xapijava.server.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.APIVersion;
import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Session;
import com.xensource.xenapi.Task;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VM;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.Database;
import org.xapijava.model.types.Refs;
import org.xapijava.server.TestHost;
import org.xapijava.server.dispatch.Implementation;
import org.xapijava.server.dispatch.MessageTable;

/**
 * The lock plans end to end (the dispatcher's forwarding stage): a slow fake VM.clean_shutdown on a real host, driven by the Citrix Java
 * SDK. While it runs, other clients see the VM's current and allowed operations change, get
 * OTHER_OPERATION_IN_PROGRESS from VM.assert_operation_valid, and a VM.pause waits for the end (Xapi's
 * default policy, woken early) and then succeeds.
 */
class LocksSdkTest {
    static final long WAIT_S = 20;

    @TempDir
    static Path dir;

    static TestHost host;
    static final ExecutorService POOL = Executors.newVirtualThreadPerTaskExecutor();

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir);
    }

    @AfterAll
    static void stop() throws Exception {
        POOL.shutdownNow();
        if (host != null) host.close();
    }

    static Connection login() throws Exception {
        Connection c = new Connection(host.uri("").toURL());
        Session.loginWithPassword(
                c, "root", host.password(), APIVersion.latest().toString());
        return c;
    }

    /** Binds {@code impl} to {@code message}, replacing whatever another module bound. */
    static void replace(MessageTable t, String message, Implementation impl) {
        if (t.isBound(message)) t.wrap(message, old -> impl);
        else t.bind(message, impl);
    }

    /** Waits (on database changes, no polling) until {@code task} is no longer pending. */
    static String awaitTask(Database db, String task) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(WAIT_S).toNanos();
        while (true) {
            long g = db.generation();
            String status = (String) db.snapshot().get("task", task, "status");
            if (!status.equals("pending") || System.nanoTime() > deadline) return status;
            db.awaitGeneration(g, Duration.ofSeconds(1));
        }
    }

    @Test
    void aSlowVmOperationLocksTheVmForOtherClients() throws Exception {
        Database db = host.server.services().db();
        String metrics = Refs.fresh();
        db.create("VM_metrics", metrics, Map.of("uuid", Fixture.uuid(), "current_domain_type", "pv"));
        String vmRef = Refs.fresh();
        db.create(
                "VM",
                vmRef,
                Map.of(
                        "uuid",
                        Fixture.uuid(),
                        "name_label",
                        "locked",
                        "power_state",
                        "Running",
                        "domain_type",
                        "pv",
                        "metrics",
                        metrics,
                        "resident_on",
                        host.server.services().hostRef()));
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        MessageTable t = host.server.messageTable();
        replace(t, "VM.clean_shutdown", (ctx, a) -> {
            entered.countDown();
            assertTrue(release.await(WAIT_S, TimeUnit.SECONDS));
            return null;
        });
        replace(t, "VM.pause", (ctx, a) -> null);
        if (!t.isBound("VM.assert_operation_valid"))
            new OperationMessages(host.server.services().allowed()).bind(t);

        Connection c = login();
        VM vm = Types.toVM(vmRef);
        vm.updateAllowedOperations(c);
        assertTrue(vm.getAllowedOperations(c).contains(Types.VmOperations.PAUSE));

        Task task = vm.cleanShutdownAsync(c);
        assertTrue(entered.await(WAIT_S, TimeUnit.SECONDS));
        assertEquals(Map.of(task.toWireString(), Types.VmOperations.CLEAN_SHUTDOWN), vm.getCurrentOperations(c));
        assertFalse(vm.getAllowedOperations(c).contains(Types.VmOperations.PAUSE));
        Types.OtherOperationInProgress busy = assertThrows(
                Types.OtherOperationInProgress.class, () -> vm.assertOperationValid(c, Types.VmOperations.PAUSE));
        assertEquals("VM", busy.clazz);
        assertEquals(vmRef, busy.object);

        Connection other = login();
        CountDownLatch pausing = new CountDownLatch(1);
        Future<Object> pause = POOL.submit(() -> {
            pausing.countDown();
            vm.pause(other); // waits for the shutdown to end, then succeeds
            return "paused";
        });
        assertTrue(pausing.await(WAIT_S, TimeUnit.SECONDS));
        assertFalse(pause.isDone());
        long t0 = System.nanoTime();
        release.countDown();
        assertEquals("paused", pause.get(WAIT_S, TimeUnit.SECONDS));
        // woken by the end of the shutdown, not by its own random 1–20 s wait
        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(2).toNanos());
        assertEquals("success", awaitTask(db, task.toWireString()));
        assertEquals(Map.of(), vm.getCurrentOperations(c));
        assertTrue(vm.getAllowedOperations(c).contains(Types.VmOperations.PAUSE));
    }
}
