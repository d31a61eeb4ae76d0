package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Host;
import com.xensource.xenapi.Network;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VBD;
import com.xensource.xenapi.VIF;
import com.xensource.xenapi.VM;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.Db;
import org.xapijava.model.Field;
import org.xapijava.server.TestHost;
import org.xapijava.server.it.OperationTableSdkTest.Kind;

/**
 * {@code VM.assert_can_boot_here}, {@code VM.get_possible_hosts} and {@code VM.assert_agile} through the Citrix SDK,
 * in a pool of two in-process hosts: each of Xapi's admission checks that can be reached here refusing with its
 * exact parameters (the same checks {@code VM.start} admits a VM with), the hosts a VM may run on, templates and
 * snapshots checked as VMs, and the agility of a VM's disks and networks. A refused check changes nothing.
 */
class PlacementSdkTest {
    @TempDir
    static Path dirA;

    @TempDir
    static Path dirB;

    static TwoHostPool pool;
    static TestHost master;
    static TestHost member;
    static ConcurrencySupport.Recording c;
    static int made;

    @BeforeAll
    static void start() throws Exception {
        pool = TwoHostPool.start(dirA, dirB);
        master = pool.master();
        member = pool.member();
        c = ConcurrencySupport.login(master);
    }

    @AfterAll
    static void stop() throws Exception {
        if (pool != null) pool.close();
    }

    static Db db() {
        return master.server.services().data();
    }

    static String hostA() {
        return master.server.services().hostRef();
    }

    static String hostB() {
        return member.server.services().hostRef();
    }

    static Host a() {
        return Types.toHost(hostA());
    }

    static Host b() {
        return Types.toHost(hostB());
    }

    /** A halted HVM VM with VIF 0 on the management network and an empty CD drive. */
    static VM newVm() throws Exception {
        return LifecycleSupport.newVm(master, c, "placement-" + (++made));
    }

    static List<String> bootHere(VM vm, String host) throws Exception {
        String ref = vm.toWireString();
        Map<String, Object> before = db().record(org.xapijava.model.api.VM.XAPI_CLASS, ref);
        List<String> e = ConcurrencySupport.errorOf(c, () -> vm.assertCanBootHere(c, Types.toHost(host)));
        assertEquals(before, db().record(org.xapijava.model.api.VM.XAPI_CLASS, ref), "the check changes nothing");
        return e;
    }

    static Set<String> possible(VM vm) throws Exception {
        Set<String> out = new HashSet<>();
        for (Host h : vm.getPossibleHosts(c)) out.add(h.toWireString());
        return out;
    }

    /** Sets {@code field} of {@code ref} for the duration of {@code body}, then puts it back. */
    static <T> void with(String ref, Field<T> field, T value, ConcurrencySupport.SdkCall body) throws Exception {
        T old = db().get(ref, field);
        db().set(ref, field, value);
        try {
            body.run();
        } finally {
            db().set(ref, field, old);
        }
    }

    static String hostMetrics(String host) {
        return db().get(host, org.xapijava.model.api.Host.METRICS);
    }

    @Test
    void allocateResourcesForVmSchedulesTheVmOnTheHostAndCountsItsMemoryThere() throws Exception {
        // a hidden message (the SDK has no binding): called as Xapi's cross-pool migration calls it
        RawConnection raw = new RawConnection(LifecycleSupport.url(master));
        VM vm = newVm();
        long before = b().computeFreeMemory(c);
        raw.call("host.allocate_resources_for_vm", c.getSessionReference(), hostB(), vm.toWireString(), true);
        String ref = vm.toWireString();
        assertEquals(hostB(), db().get(ref, org.xapijava.model.api.VM.SCHEDULED_TO_BE_RESIDENT_ON));
        assertTrue(b().computeFreeMemory(c) < before, "the VM's memory counts on B");
        assertEquals(
                List.of("HANDLE_INVALID", "VM", "OpaqueRef:nonsense"),
                raw.failure(
                        "host.allocate_resources_for_vm",
                        c.getSessionReference(),
                        hostB(),
                        "OpaqueRef:nonsense",
                        true));
        db().set(ref, org.xapijava.model.api.VM.SCHEDULED_TO_BE_RESIDENT_ON, "OpaqueRef:NULL");
        assertEquals(before, b().computeFreeMemory(c));
    }

    @Test
    void aHaltedVmCanBootOnEitherHost() throws Exception {
        VM vm = newVm();
        assertNull(bootHere(vm, hostA()));
        assertNull(bootHere(vm, hostB()));
        assertEquals(Set.of(hostA(), hostB()), possible(vm));
    }

    @Test
    void aDisabledHostIsRefusedAndNotPossible() throws Exception {
        VM vm = newVm();
        with(hostB(), org.xapijava.model.api.Host.ENABLED, false, () -> {
            assertEquals(List.of("HOST_DISABLED", hostB()), bootHere(vm, hostB()));
            assertEquals(Set.of(hostA()), possible(vm));
        });
    }

    @Test
    void aHostNotLiveIsRefusedAndNotPossible() throws Exception {
        VM vm = newVm();
        with(hostMetrics(hostB()), org.xapijava.model.api.HostMetrics.LIVE, false, () -> {
            assertEquals(List.of("HOST_NOT_LIVE"), bootHere(vm, hostB()));
            assertEquals(Set.of(hostA()), possible(vm));
        });
        // a reference that is no host is not live either (Xapi's is_host_live reads false)
        assertEquals(List.of("HOST_NOT_LIVE"), bootHere(vm, "OpaqueRef:00000000-0000-0000-0000-00000000dead"));
    }

    @Test
    void aVmThatIsNotThereIsHandleInvalid() throws Exception {
        String bad = "OpaqueRef:00000000-0000-0000-0000-00000000beef";
        List<String> e = ConcurrencySupport.errorOf(c, () -> Types.toVM(bad).assertCanBootHere(c, a()));
        assertEquals(List.of("HANDLE_INVALID", "VM", bad), e);
    }

    @Test
    void aDiskOnOneHostsLocalStoragePinsTheVmThere() throws Exception {
        VM vm = newVm();
        SR local = Pool.getAll(c).iterator().next().getDefaultSR(c);
        VBD disk = LifecycleSupport.attachDisk(c, vm, local, "1", 1L << 20);
        String sr = local.toWireString();
        String srHost = local.getPBDs(c).iterator().next().getHost(c).toWireString();
        String other = srHost.equals(hostA()) ? hostB() : hostA();
        assertEquals(List.of("VM_REQUIRES_SR", vm.toWireString(), sr), bootHere(vm, other));
        assertNull(bootHere(vm, srHost));
        assertEquals(Set.of(srHost), possible(vm));
        // an unplugged PBD hides the SR on its own host too
        String pbd = local.getPBDs(c).iterator().next().toWireString();
        with(pbd, org.xapijava.model.api.PBD.CURRENTLY_ATTACHED, false, () -> {
            assertEquals(List.of("VM_REQUIRES_SR", vm.toWireString(), sr), bootHere(vm, srHost));
            assertEquals(Set.of(), possible(vm));
        });
        // and the VM is not agile: its disk is on storage only one host sees
        assertEquals(
                List.of("HA_CONSTRAINT_VIOLATION_SR_NOT_SHARED", sr),
                ConcurrencySupport.errorOf(c, () -> vm.assertAgile(c)));
        disk.destroy(c);
    }

    @Test
    void anInternalNetworkIsPinnedToTheHostItsRunningVmsAreOn() throws Exception {
        Network internal = VifSettingsSdkTest.network(c, "brplace", true);
        VM first = newVm();
        VM second = newVm();
        for (VM vm : List.of(first, second)) {
            VIF vif = vm.getVIFs(c).iterator().next();
            vif.move(c, internal);
        }
        String net = internal.toWireString();
        // a managed network without PIFs: anywhere while no VM on it runs, but not agile
        assertEquals(Set.of(hostA(), hostB()), possible(second));
        assertEquals(
                List.of("HA_CONSTRAINT_VIOLATION_NETWORK_NOT_SHARED", net),
                ConcurrencySupport.errorOf(c, () -> second.assertAgile(c)));
        first.startOn(c, b(), false, false);
        try {
            assertEquals(List.of("VM_REQUIRES_NETWORK", second.toWireString(), net), bootHere(second, hostA()));
            assertNull(bootHere(second, hostB()));
            assertEquals(Set.of(hostB()), possible(second));
            // VM.start without a host asks the same question of every host and takes the one that can
            second.start(c, false, false);
            try {
                assertEquals(hostB(), second.getResidentOn(c).toWireString());
            } finally {
                second.hardShutdown(c);
            }
            // unmanaged, or assumed shared, it is everywhere
            with(net, org.xapijava.model.api.Network.MANAGED, false, () -> assertNull(bootHere(second, hostA())));
            with(
                    net,
                    org.xapijava.model.api.Network.OTHER_CONFIG,
                    Map.of("assume_network_is_shared", "true"),
                    () -> assertNull(bootHere(second, hostA())));
        } finally {
            first.hardShutdown(c);
        }
        assertNull(bootHere(second, hostA()));
    }

    @Test
    void aNetworkWhoseLocalPifIsABondSlaveCannotBeAttached() throws Exception {
        VM vm = newVm();
        String net = vm.getVIFs(c).iterator().next().getNetwork(c).toWireString();
        String pif = db().where(org.xapijava.model.api.PIF.NETWORK, net).stream()
                .filter(p -> hostA().equals(db().get(p, org.xapijava.model.api.PIF.HOST)))
                .findFirst()
                .orElseThrow();
        with(pif, org.xapijava.model.api.PIF.BOND_SLAVE_OF, "OpaqueRef:00000000-0000-0000-0000-0000000b0b0b", () -> {
            assertEquals(List.of("HOST_CANNOT_ATTACH_NETWORK", hostA(), net), bootHere(vm, hostA()));
        });
    }

    @Test
    void aVmOnSharedNetworksWithoutDisksIsAgile() throws Exception {
        VM vm = newVm();
        String net = vm.getVIFs(c).iterator().next().getNetwork(c).toWireString();
        Set<String> pifHosts = new HashSet<>();
        for (String p : db().where(org.xapijava.model.api.PIF.NETWORK, net))
            pifHosts.add(db().get(p, org.xapijava.model.api.PIF.HOST));
        if (pifHosts.containsAll(Set.of(hostA(), hostB()))) {
            assertNull(ConcurrencySupport.errorOf(c, () -> vm.assertAgile(c)));
        } else {
            assertEquals(
                    List.of("HA_CONSTRAINT_VIOLATION_NETWORK_NOT_SHARED", net),
                    ConcurrencySupport.errorOf(c, () -> vm.assertAgile(c)));
        }
        // a disabled host need not see the network
        for (String h : List.of(hostA(), hostB())) {
            if (!pifHosts.contains(h)) {
                with(
                        h,
                        org.xapijava.model.api.Host.ENABLED,
                        false,
                        () -> assertNull(ConcurrencySupport.errorOf(c, () -> vm.assertAgile(c))));
            }
        }
    }

    @Test
    void memoryCpusAndHardwareAreCheckedWithXapisParameters() throws Exception {
        VM vm = newVm();
        String ref = vm.toWireString();
        long free = org.xapijava.server.xenops.MemoryCheck.hostFreeMemoryBytes(db(), hostA(), null);
        long huge = (free / (1L << 20) + 1024) << 20;
        db().apply(org.xapijava.db.Update.builder()
                .set(ref, org.xapijava.model.api.VM.MEMORY_STATIC_MAX, huge)
                .set(ref, org.xapijava.model.api.VM.MEMORY_DYNAMIC_MAX, huge)
                .set(ref, org.xapijava.model.api.VM.MEMORY_DYNAMIC_MIN, huge)
                .build());
        long needed = org.xapijava.server.xenops.MemoryCheck.startMemoryBytes(db(), ref);
        assertEquals(
                List.of("HOST_NOT_ENOUGH_FREE_MEMORY", Long.toString(needed), Long.toString(free)),
                bootHere(vm, hostA()));

        VM cpus = newVm();
        String cref = cpus.toWireString();
        long pcpus = Long.parseLong(
                db().get(hostA(), org.xapijava.model.api.Host.CPU_INFO).get("cpu_count"));
        cpus.setVCPUsMax(c, pcpus + 1);
        assertEquals(
                List.of("HOST_NOT_ENOUGH_PCPUS", Long.toString(pcpus + 1), Long.toString(pcpus)),
                bootHere(cpus, hostA()));
        cpus.addToPlatform(c, "vcpu-unrestricted", "true");
        assertNull(bootHere(cpus, hostA()));
        cpus.removeFromPlatform(c, "vcpu-unrestricted");
        cpus.setVCPUsMax(c, 1L);

        with(cref, org.xapijava.model.api.VM.HARDWARE_PLATFORM_VERSION, 99L, () -> {
            List<Long> versions = db().get(hostA(), org.xapijava.model.api.Host.VIRTUAL_HARDWARE_PLATFORM_VERSIONS);
            StringBuilder s = new StringBuilder("[");
            for (int i = 0; i < versions.size(); i++)
                s.append(i == 0 ? "" : "; ").append(versions.get(i));
            assertEquals(
                    List.of(
                            "VM_HOST_INCOMPATIBLE_VIRTUAL_HARDWARE_PLATFORM_VERSION",
                            hostA(),
                            s.append(']').toString(),
                            cref,
                            "99"),
                    bootHere(cpus, hostA()));
        });
        with(
                hostA(),
                org.xapijava.model.api.Host.CAPABILITIES,
                List.of("xen-3.0-x86_64"),
                () -> assertEquals(List.of("VM_HVM_REQUIRED", cref), bootHere(cpus, hostA())));
        with(
                cref,
                org.xapijava.model.api.VM.VCPUS_AT_STARTUP,
                2L,
                () -> assertEquals(
                        List.of("VALUE_NOT_SUPPORTED", "VCPUs-at-startup", "2", "value greater than VCPUs-max"),
                        bootHere(cpus, hostA())));
        with(
                cref,
                org.xapijava.model.api.VM.ACTIONS_AFTER_CRASH,
                "coredump_and_restart",
                () -> assertEquals(
                        List.of(
                                "VALUE_NOT_SUPPORTED",
                                "VM.actions_after_crash",
                                "coredump_and_restart",
                                "cannot invoke a coredump of an HVM, PVH or PV-in-PVH domain"),
                        bootHere(cpus, hostA())));
    }

    @Test
    void aRunningVmIsCheckedAgainstTheCpuItLastBootedOn() throws Exception {
        VM vm = newVm();
        String ref = vm.toWireString();
        vm.startOn(c, a(), false, false);
        try {
            LifecycleSupport.await(
                    master,
                    "the boot's CPU flags",
                    () -> !db().get(ref, org.xapijava.model.api.VM.LAST_BOOT_CPU_FLAGS)
                            .isEmpty());
            // its own host, even disabled (a local live migration)
            with(hostA(), org.xapijava.model.api.Host.ENABLED, false, () -> assertNull(bootHere(vm, hostA())));
            Map<String, String> flags = db().get(ref, org.xapijava.model.api.VM.LAST_BOOT_CPU_FLAGS);
            Map<String, String> vendor = new LinkedHashMap<>(flags);
            vendor.put("vendor", "SomeOtherVendor");
            with(
                    ref,
                    org.xapijava.model.api.VM.LAST_BOOT_CPU_FLAGS,
                    vendor,
                    () -> assertEquals(
                            List.of(
                                    "VM_INCOMPATIBLE_WITH_THIS_HOST",
                                    ref,
                                    hostB(),
                                    "VM last booted on a host which had a CPU from a different vendor."),
                            bootHere(vm, hostB())));
            Map<String, String> features = new LinkedHashMap<>(flags);
            features.put("features", "ffffffff-ffffffff-ffffffff-ffffffff-ffffffff-ffffffff-ffffffff-ffffffff");
            with(ref, org.xapijava.model.api.VM.LAST_BOOT_CPU_FLAGS, features, () -> {
                assertEquals(
                        List.of(
                                "VM_INCOMPATIBLE_WITH_THIS_HOST",
                                ref,
                                hostB(),
                                "VM last booted on a CPU with features this host's CPU does not have."),
                        bootHere(vm, hostB()));
                // get_possible_hosts does not look at the CPU: a running VM's host is its reservation or none
                assertEquals(Set.of(hostA(), hostB()), possible(vm));
            });
        } finally {
            vm.hardShutdown(c);
        }
    }

    @Test
    void templatesAndSnapshotsAreCheckedAsVms() throws Exception {
        VmSubjects subjects = new VmSubjects(master, c, "placement-subject");
        for (Kind k : List.of(Kind.TEMPLATE, Kind.SNAPSHOT)) {
            VM vm = subjects.subject(k, OperationTableSdkTest.H);
            assertNull(bootHere(vm, hostA()), k.label);
            assertEquals(Set.of(hostA(), hostB()), possible(vm), k.label);
            with(
                    hostB(),
                    org.xapijava.model.api.Host.ENABLED,
                    false,
                    () -> assertEquals(List.of("HOST_DISABLED", hostB()), bootHere(vm, hostB())));
        }
    }

    @Test
    void aVmWithAReservationCanOnlyGoThere() throws Exception {
        VM vm = newVm();
        with(
                vm.toWireString(),
                org.xapijava.model.api.VM.SCHEDULED_TO_BE_RESIDENT_ON,
                hostB(),
                () -> assertEquals(Set.of(hostB()), possible(vm)));
    }

    @Test
    void vmStartWithoutAHostChoosesOneAsXapi() throws Exception {
        VM vm = newVm();
        String ref = vm.toWireString();
        // the affinity host first, master or member
        for (String h : List.of(hostA(), hostB())) {
            with(ref, org.xapijava.model.api.VM.AFFINITY, h, () -> {
                vm.start(c, false, false);
                try {
                    assertEquals(h, vm.getResidentOn(c).toWireString());
                } finally {
                    vm.hardShutdown(c);
                }
            });
        }
        // a disabled host is passed over, even as the affinity host
        with(
                ref,
                org.xapijava.model.api.VM.AFFINITY,
                hostB(),
                () -> with(hostB(), org.xapijava.model.api.Host.ENABLED, false, () -> {
                    vm.start(c, false, false);
                    try {
                        assertEquals(hostA(), vm.getResidentOn(c).toWireString());
                    } finally {
                        vm.hardShutdown(c);
                    }
                }));
        // no host at all: NO_HOSTS_AVAILABLE and nothing changed
        with(
                hostA(),
                org.xapijava.model.api.Host.ENABLED,
                false,
                () -> with(hostB(), org.xapijava.model.api.Host.ENABLED, false, () -> {
                    Map<String, Object> before = new HashMap<>(db().record(org.xapijava.model.api.VM.XAPI_CLASS, ref));
                    assertEquals(
                            List.of("NO_HOSTS_AVAILABLE"),
                            ConcurrencySupport.errorOf(c, () -> vm.start(c, false, false)));
                    Map<String, Object> after = new HashMap<>(db().record(org.xapijava.model.api.VM.XAPI_CLASS, ref));
                    after.remove("allowed_operations");
                    before.remove("allowed_operations");
                    assertEquals(before, after);
                    assertEquals(Map.of(), db().get(hostA(), org.xapijava.model.api.Host.CURRENT_OPERATIONS));
                    assertEquals(Map.of(), db().get(hostB(), org.xapijava.model.api.Host.CURRENT_OPERATIONS));
                }));
        // a VM whose guests could not shrink enough anywhere is in no memory category of any host
        var memory = List.of(
                org.xapijava.model.api.VM.MEMORY_STATIC_MAX,
                org.xapijava.model.api.VM.MEMORY_DYNAMIC_MAX,
                org.xapijava.model.api.VM.MEMORY_DYNAMIC_MIN,
                org.xapijava.model.api.VM.MEMORY_STATIC_MIN);
        Map<Field<Long>, Long> old = new HashMap<>();
        for (Field<Long> f : memory) old.put(f, db().get(ref, f));
        try {
            for (Field<Long> f : memory) db().set(ref, f, 1L << 50);
            assertEquals(List.of("NO_HOSTS_AVAILABLE"), ConcurrencySupport.errorOf(c, () -> vm.start(c, false, false)));
            assertEquals(Types.VmPowerState.HALTED, vm.getPowerState(c));
        } finally {
            for (Field<Long> f : memory) db().set(ref, f, old.get(f));
        }
    }
}
