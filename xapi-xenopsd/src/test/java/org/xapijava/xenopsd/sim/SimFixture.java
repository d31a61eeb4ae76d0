package org.xapijava.xenopsd.sim;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.xapijava.xenopsd.DeviceId;
import org.xapijava.xenopsd.DeviceNumber;
import org.xapijava.xenopsd.Disk;
import org.xapijava.xenopsd.Metadata;
import org.xapijava.xenopsd.TaskInfo;
import org.xapijava.xenopsd.Updates;
import org.xapijava.xenopsd.Vbd;
import org.xapijava.xenopsd.Vif;
import org.xapijava.xenopsd.Vm;
import org.xapijava.xenopsd.Xenops;
import org.xapijava.xenopsd.XenopsClient;
import org.xapijava.xenopsd.XenopsError;

/** A simulator served on a socket in a temporary directory, with a client; closes all three. */
final class SimFixture implements AutoCloseable {
    final Simulator sim;
    final SimulatorServer server;
    final XenopsClient client;

    SimFixture(Path dir, Simulator.Config config) throws Exception {
        this(dir, config, Duration.ofSeconds(20));
    }

    SimFixture(Path dir, Simulator.Config config, Duration callTimeout) throws Exception {
        sim = Simulator.start(config);
        server = SimulatorServer.start(sim, dir.resolve("xenopsd"));
        client = new XenopsClient(server.socket(), Duration.ofSeconds(5), callTimeout);
    }

    @Override
    public void close() {
        client.close();
        server.close();
        sim.close();
    }

    /** Metadata of an HVM VM with a read-write disk, a read-only CD and one NIC. */
    static Metadata metadata(String vmId, long memoryBytes) {
        Vm vm = Vm.builder(vmId)
                .name("vm " + vmId)
                .memory(memoryBytes)
                .vcpuMax(2)
                .vcpus(2)
                .platformdata(Map.of("featureset", "deadbeef"))
                .build();
        Vbd cd = Vbd.of(
                new DeviceId(vmId, "xvdd"),
                DeviceNumber.ofString(true, "3").orElseThrow(),
                Vbd.Mode.ReadOnly,
                new Disk.Vdi("sr1/iso"),
                Vbd.Type.CDROM);
        Vbd disk = Vbd.of(
                new DeviceId(vmId, "xvda"),
                DeviceNumber.ofString(true, "0").orElseThrow(),
                Vbd.Mode.ReadWrite,
                Disk.Vdi.of("sr1", "disk0"),
                Vbd.Type.Disk);
        Vif nic = Vif.of(new DeviceId(vmId, "0"), 0, "aa:bb:cc:dd:ee:ff", new Vif.Local("xenbr0"));
        // the CD comes first so that the plug order has to be arranged by the simulator
        return Metadata.of(vm, List.of(cd, disk), List.of(nic));
    }

    /**
     * Waits for a task to finish the way xapi does (UPDATES.get long-polls until a Task event shows it done),
     * then destroys it and returns its final state.
     */
    static TaskInfo.State await(Xenops x, String taskId) {
        int last = x.updatesLastId("test");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        for (; ; ) {
            TaskInfo.State s = x.taskStat("test", taskId).state();
            if (!(s instanceof TaskInfo.Pending)) {
                x.taskDestroy("test", taskId);
                return s;
            }
            if (System.nanoTime() > deadline) fail("task " + taskId + " still pending");
            Updates u = x.updatesGet("test", last, 5);
            last = u.nextId();
        }
    }

    /** Waits for the task and fails the test unless it completed. */
    static void ok(Xenops x, String taskId) {
        TaskInfo.State s = await(x, taskId);
        if (s instanceof TaskInfo.Failed f) fail("task failed: " + f.toError().getMessage());
    }

    /** Waits for the task, which must fail; returns its error. */
    static XenopsError failed(Xenops x, String taskId) {
        TaskInfo.State s = await(x, taskId);
        if (s instanceof TaskInfo.Failed f) return f.toError();
        fail("task " + taskId + " completed but should have failed");
        return null;
    }
}
