package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.fail;

import com.xensource.xenapi.APIVersion;
import com.xensource.xenapi.Connection;
import com.xensource.xenapi.Network;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Session;
import com.xensource.xenapi.Task;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VBD;
import com.xensource.xenapi.VDI;
import com.xensource.xenapi.VIF;
import com.xensource.xenapi.VM;
import java.net.URL;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.concurrent.Callable;
import org.xapijava.db.Database;
import org.xapijava.server.TestHost;

/**
 * What the {@code Lifecycle*} integration tests share: logging in with the Citrix SDK, making a VM (from a
 * first-start template's record, with a NIC on the management network and an empty CD drive), and waiting for
 * the database to show something (woken by its generation counter, never by sleeping).
 */
final class LifecycleSupport {
    /** How long any single wait on the server may take before a test fails. */
    static final Duration WAIT = Duration.ofSeconds(20);

    private LifecycleSupport() {}

    static URL url(TestHost host) throws Exception {
        return host.uri("").toURL();
    }

    static Connection login(TestHost host) throws Exception {
        Connection c = new Connection(url(host));
        Session.loginWithPassword(
                c, "root", host.password(), APIVersion.latest().toString());
        return c;
    }

    /** A root login on {@code host} whose session then has only {@code role}'s permissions (not a superuser's). */
    static Connection loginWithRole(TestHost host, String role) throws Exception {
        Connection c = login(host);
        org.xapijava.model.rbac.Rbac rbac = org.xapijava.model.rbac.Rbac.of(org.xapijava.model.Datamodel.get());
        host.server.services().db().transact(tx -> {
            String rs = c.getSessionReference();
            tx.set("session", rs, "is_local_superuser", false);
            tx.set("session", rs, "rbac_permissions", rbac.permissionsOf(role));
        });
        return c;
    }

    /** An HVM VM of 256 MiB and 1 vCPU (from a template's record), with VIF 0 and an empty CD drive on 3. */
    static VM newVm(TestHost host, Connection c, String name) throws Exception {
        return newVm(host.server, c, name);
    }

    /** {@link #newVm(TestHost, Connection, String)} on the pool whose master is {@code server}. */
    static VM newVm(org.xapijava.server.XapiServer server, Connection c, String name) throws Exception {
        VM template = null;
        for (Map.Entry<VM, VM.Record> e : VM.getAllRecords(c).entrySet()) {
            // a real template: snapshots and checkpoints are templates too, with a power state of their own
            if (e.getValue().isATemplate && !e.getValue().isASnapshot && !e.getValue().isControlDomain) {
                template = e.getKey();
                break;
            }
        }
        if (template == null) fail("no template");
        VM.Record r = template.getRecord(c);
        r.nameLabel = name;
        r.isATemplate = false;
        long mib = 1024L * 1024;
        r.memoryStaticMin = 128 * mib;
        r.memoryStaticMax = 256 * mib;
        r.memoryDynamicMin = 256 * mib;
        r.memoryDynamicMax = 256 * mib;
        r.VCPUsMax = 1L;
        r.VCPUsAtStartup = 1L;
        r.HVMBootPolicy = "BIOS order";
        r.HVMBootParams = new HashMap<>(Map.of("order", "dc"));
        r.domainType = Types.DomainType.HVM;
        r.platform = new HashMap<>(Map.of("acpi", "1", "apic", "true", "pae", "true", "viridian", "false"));
        r.otherConfig = new HashMap<>();
        r.actionsAfterShutdown = Types.OnNormalExit.DESTROY;
        r.actionsAfterReboot = Types.OnNormalExit.RESTART;
        r.actionsAfterCrash = Types.OnCrashBehaviour.RESTART;
        VM vm = VM.create(c, r);
        // Xapi's VM.create gives a new VM domid -1; the generic constructor here leaves the default 0
        server.services().db().set("VM", vm.toWireString(), "domid", -1L);
        Network mgmt = null;
        for (Map.Entry<Network, Network.Record> e : Network.getAllRecords(c).entrySet()) {
            if (!e.getValue().PIFs.isEmpty()) mgmt = e.getKey();
        }
        VIF.Record vif = new VIF.Record();
        vif.VM = vm;
        vif.network = mgmt;
        vif.device = "0";
        vif.MAC = "aa:bb:cc:00:00:01";
        vif.MTU = 1500L;
        vif.otherConfig = new HashMap<>();
        vif.qosAlgorithmType = "";
        vif.qosAlgorithmParams = new HashMap<>();
        vif.lockingMode = Types.VifLockingMode.NETWORK_DEFAULT;
        vif.ipv4Allowed = new HashSet<>();
        vif.ipv6Allowed = new HashSet<>();
        VIF.create(c, vif);
        VBD.Record cd = new VBD.Record();
        cd.VM = vm;
        cd.VDI = com.xensource.xenapi.Types.toVDI("OpaqueRef:NULL");
        cd.userdevice = "3";
        cd.bootable = false;
        cd.mode = Types.VbdMode.RO;
        cd.type = Types.VbdType.CD;
        cd.unpluggable = true;
        cd.empty = true;
        cd.otherConfig = new HashMap<>();
        cd.qosAlgorithmType = "";
        cd.qosAlgorithmParams = new HashMap<>();
        VBD.create(c, cd);
        return vm;
    }

    /** A VDI record for {@code VDI.create}: a user disk of {@code size} bytes on {@code sr}, nothing else set. */
    static VDI.Record vdiRecord(SR sr, String name, long size) {
        VDI.Record d = new VDI.Record();
        d.nameLabel = name;
        d.nameDescription = "";
        d.SR = sr;
        d.virtualSize = size;
        d.type = Types.VdiType.USER;
        d.sharable = false;
        d.readOnly = false;
        d.otherConfig = new HashMap<>();
        d.xenstoreData = new HashMap<>();
        d.smConfig = new HashMap<>();
        d.tags = new HashSet<>();
        return d;
    }

    /** {@code vdi} in {@code vm} as a read-write, unpluggable disk at {@code device}; the new VBD. */
    static VBD diskVbd(Connection c, VM vm, VDI vdi, String device) throws Exception {
        VBD.Record b = new VBD.Record();
        b.VM = vm;
        b.VDI = vdi;
        b.userdevice = device;
        b.bootable = false;
        b.mode = Types.VbdMode.RW;
        b.type = Types.VbdType.DISK;
        b.empty = false;
        b.unpluggable = true;
        b.otherConfig = new HashMap<>();
        b.qosAlgorithmType = "";
        b.qosAlgorithmParams = new HashMap<>();
        return VBD.create(c, b);
    }

    /** A new VDI of {@code size} bytes on {@code sr}, in {@code vm} as a read-write disk at {@code device}; its VBD. */
    /** The first {@code size} bytes of a VDI, read through a datapath of {@code server}'s own (as VdiData reads). */
    static byte[] vdiBytes(org.xapijava.server.XapiServer server, VDI vdi, int size) throws Exception {
        org.xapijava.server.storage.StorageBackends b = server.storageBackends();
        java.nio.file.Path p = b.attach(vdi.toWireString(), false);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(p.toFile(), "r")) {
            byte[] bytes = new byte[size];
            f.readFully(bytes);
            return bytes;
        } finally {
            b.detach(vdi.toWireString());
        }
    }

    /** {@code data} written durably at offset 0 of a VDI through a read-write datapath of {@code server}'s own. */
    static void writeVdi(org.xapijava.server.XapiServer server, VDI vdi, byte[] data) throws Exception {
        org.xapijava.server.storage.StorageBackends b = server.storageBackends();
        java.nio.file.Path p = b.attach(vdi.toWireString(), true);
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(p.toFile(), "rw")) {
            f.write(data);
            f.getFD().sync();
        } finally {
            b.detach(vdi.toWireString());
        }
    }

    static VBD attachDisk(Connection c, VM vm, SR sr, String device, long size) throws Exception {
        VDI vdi = VDI.create(c, vdiRecord(sr, vm.getNameLabel(c) + " disk " + device, size));
        return diskVbd(c, vm, vdi, device);
    }

    /** Calls {@code check} after every database publication until it returns true; fails after {@link #WAIT}. */
    static void await(TestHost host, String what, Callable<Boolean> check) throws Exception {
        await(host, what, check, WAIT);
    }

    /** {@link #await(TestHost, String, Callable)} with its own bound. */
    static void await(TestHost host, String what, Callable<Boolean> check, Duration wait) throws Exception {
        Database db = host.server.services().db();
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            long g = db.generation();
            if (check.call()) return;
            if (System.nanoTime() > deadline) fail("not within " + wait + ": " + what);
            db.awaitGeneration(g, wait);
        }
    }

    /** Waits for {@code task} to leave {@code pending}. */
    static Task.Record awaitTask(TestHost host, Connection c, Task task) throws Exception {
        return awaitTask(host, c, task, WAIT);
    }

    /** {@link #awaitTask(TestHost, Connection, Task)} with its own bound. */
    static Task.Record awaitTask(TestHost host, Connection c, Task task, Duration wait) throws Exception {
        Task.Record[] r = new Task.Record[1];
        await(
                host,
                "task " + task.toWireString() + " finishes",
                () -> {
                    r[0] = task.getRecord(c);
                    return r[0].status != Types.TaskStatusType.PENDING;
                },
                wait);
        return r[0];
    }
}
