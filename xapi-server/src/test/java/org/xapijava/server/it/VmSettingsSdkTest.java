package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Host;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VDI;
import com.xensource.xenapi.VM;
import com.xensource.xenapi.VMSS;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;

/**
 * The VM configuration messages of issue 11 with bad input and in the cases the table
 * ({@link VmSettingsTableSdkTest}) does not reach, through the Citrix SDK: each refusal is Xapi's error with its
 * parameters and leaves the VM's record as it was. varstored's tools ({@code varstore-sb-state},
 * {@code varstore-ls}) are shell scripts in the test's directory, named by the host's settings, so that Xapi's
 * script calls run real processes; removing or breaking them gives Xapi's errors for a host without them.
 */
class VmSettingsSdkTest {
    @TempDir
    static Path dir;

    static TestHost host;
    static ConcurrencySupport.Recording c;
    static Host thisHost;
    static Path sbState;
    static Path ls;
    static int made;

    @BeforeAll
    static void start() throws Exception {
        sbState = dir.resolve("varstore-sb-state");
        ls = dir.resolve("varstore-ls");
        host = TestHost.start(
                dir.resolve("host"), "--varstore-sb-state", sbState.toString(), "--varstore-ls", ls.toString());
        c = ConcurrencySupport.login(host);
        thisHost = Types.toHost(host.server.services().hostRef());
    }

    @AfterAll
    static void stop() throws Exception {
        if (host != null) host.close();
    }

    static VM newVm() throws Exception {
        return ConcurrencySupport.pvVm(host, c, "settings-" + (++made));
    }

    static Map<String, Object> record(VM vm) {
        return host.server.services().db().snapshot().getRecord("VM", vm.toWireString());
    }

    /** The error of {@code call}, having checked that it left the VM's record as it was. */
    static List<String> refused(VM vm, ConcurrencySupport.SdkCall call) throws Exception {
        Map<String, Object> before = record(vm);
        List<String> e = ConcurrencySupport.errorOf(c, call);
        assertEquals(before, record(vm), "a refused call changes nothing");
        ConcurrencySupport.assertNothingMarked(host);
        return e;
    }

    /** A message by name through the SDK's transport (for those the SDK 8.1 lacks); its value. */
    static Object call(String method, Object... params) throws Exception {
        return c.dispatch(method, params).get("Value");
    }

    static String session() {
        return c.getSessionReference();
    }

    static void script(Path p, String body) throws Exception {
        Files.writeString(p, "#!/bin/sh\n" + body + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    // ---------------------------------------------------------------------------------------- enums and numbers

    @Test
    void enumValuesOutsideTheirTypeAreRefused() throws Exception {
        VM vm = newVm();
        String ref = vm.toWireString();
        List<String> unmarshal = List.of("INTERNAL_ERROR", "Failure(\"Unknown tag/contents\")");
        assertEquals(unmarshal, refused(vm, () -> call("VM.set_actions_after_crash", session(), ref, "explode")));
        assertEquals(unmarshal, refused(vm, () -> call("VM.set_actions_after_shutdown", session(), ref, "explode")));
        assertEquals(unmarshal, refused(vm, () -> call("VM.set_domain_type", session(), ref, "xen")));
        assertEquals(
                List.of("INVALID_VALUE", "domain_type", "unspecified"),
                refused(vm, () -> vm.setDomainType(c, Types.DomainType.UNSPECIFIED)));
        // Xapi checks the crash action when the VM starts, not when it is set
        vm.setActionsAfterCrash(c, Types.OnCrashBehaviour.RENAME_RESTART);
        assertEquals("rename_restart", record(vm).get("actions_after_crash"));
        // the other actions have no explicit setter: the field setters work as in Xapi
        vm.setActionsAfterShutdown(c, Types.OnNormalExit.RESTART);
        vm.setActionsAfterReboot(c, Types.OnNormalExit.DESTROY);
        call("VM.set_actions_after_softreboot", session(), ref, "destroy");
        assertEquals("restart", record(vm).get("actions_after_shutdown"));
        assertEquals("destroy", record(vm).get("actions_after_reboot"));
        assertEquals("destroy", record(vm).get("actions_after_softreboot"));
        // the boot policy decides the domain type
        vm.setHVMBootPolicy(c, "");
        assertEquals("pv", record(vm).get("domain_type"));
        vm.setDomainType(c, Types.DomainType.HVM);
        assertEquals("BIOS order", record(vm).get("HVM_boot_policy"));
    }

    @Test
    void shadowMultipliersBelowOneAreRefused() throws Exception {
        VM vm = newVm();
        assertEquals(
                List.of("INVALID_VALUE", "multiplier", "0.5"), refused(vm, () -> vm.setHVMShadowMultiplier(c, 0.5)));
        assertEquals(
                List.of("INVALID_VALUE", "multiplier", "-1."), refused(vm, () -> vm.setHVMShadowMultiplier(c, -1.0)));
        vm.setHVMShadowMultiplier(c, 1.0);
        vm.setHVMBootPolicy(c, "BIOS order"); // HVM: xenopsd refuses a PV domain's multiplier (Unimplemented)
        vm.start(c, false, false);
        assertEquals(
                List.of("INVALID_VALUE", "multiplier", "0.999"),
                refused(vm, () -> vm.setShadowMultiplierLive(c, 0.999)));
        vm.setShadowMultiplierLive(c, 4.0);
        assertEquals(4.0, record(vm).get("HVM_shadow_multiplier"));
        vm.hardShutdown(c);
    }

    @Test
    void negativeDelaysAndOrdersAreRefused() throws Exception {
        VM vm = newVm();
        assertEquals(
                List.of("INVALID_VALUE", "order must be non-negative", "-1"), refused(vm, () -> vm.setOrder(c, -1L)));
        assertEquals(
                List.of("INVALID_VALUE", "start_delay must be non-negative", "-5"),
                refused(vm, () -> vm.setStartDelay(c, -5L)));
        assertEquals(
                List.of("INVALID_VALUE", "shutdown_delay must be non-negative", "-9223372036854775808"),
                refused(vm, () -> vm.setShutdownDelay(c, Long.MIN_VALUE)));
        vm.setOrder(c, 0L);
        vm.setStartDelay(c, Long.MAX_VALUE);
        assertEquals(Long.MAX_VALUE, record(vm).get("start_delay"));
    }

    // ---------------------------------------------------------------------------------------- BIOS strings

    @Test
    void biosStringsOutsideXapisRulesAreRefused() throws Exception {
        VM vm = newVm();
        String ref = vm.toWireString();
        assertEquals(
                List.of("INVALID_VALUE", "oem-1", "Unknown key"),
                refused(vm, () -> vm.setBiosStrings(c, Map.of("oem-1", "Acme"))));
        assertEquals(
                List.of("INVALID_VALUE", "bios-vendor", "Value provided is empty"),
                refused(vm, () -> vm.setBiosStrings(c, Map.of("bios-vendor", ""))));
        String long513 = "x".repeat(513);
        assertEquals(
                List.of("INVALID_VALUE", "bios-version", long513 + " has length more than 512 characters"),
                refused(vm, () -> vm.setBiosStrings(c, Map.of("bios-version", long513))));
        assertEquals(
                List.of("INVALID_VALUE", "system-version", "tab\there has non-printable ASCII characters"),
                refused(vm, () -> vm.setBiosStrings(c, Map.of("system-version", "tab\there"))));
        assertEquals(
                List.of("INVALID_VALUE", "system-version", "caf\u00e9 has non-printable ASCII characters"),
                refused(vm, () -> vm.setBiosStrings(c, Map.of("system-version", "caf\u00e9"))));
        // 512 bytes are allowed; a two-byte character counts twice
        assertEquals(
                List.of(
                        "INVALID_VALUE",
                        "system-version",
                        "\u00e9".repeat(257) + " has length more than 512 characters"),
                refused(vm, () -> vm.setBiosStrings(c, Map.of("system-version", "\u00e9".repeat(257)))));
        assertEquals(
                List.of("HANDLE_INVALID", "host", "OpaqueRef:nowhere"),
                refused(vm, () -> vm.copyBiosStrings(c, Types.toHost("OpaqueRef:nowhere"))));
        vm.setBiosStrings(c, Map.of("baseboard-asset-tag", "y".repeat(512)));
        Map<String, String> set = vm.getBiosStrings(c);
        assertEquals("y".repeat(512), set.get("baseboard-asset-tag"));
        assertEquals("Xen", set.get("bios-vendor"));
        assertEquals(16, set.size());
        assertEquals(List.of("VM_BIOS_STRINGS_ALREADY_SET"), refused(vm, () -> vm.setBiosStrings(c, Map.of())));
        assertEquals(List.of("VM_BIOS_STRINGS_ALREADY_SET"), refused(vm, () -> vm.copyBiosStrings(c, thisHost)));
        // an empty map still fills in the generic strings
        VM other = newVm();
        other.setBiosStrings(c, Map.of());
        assertEquals(VmSettingsTableSdkTest.GENERIC_BIOS_STRINGS, other.getBiosStrings(c));
        assertEquals(
                List.of("HANDLE_INVALID", "VM", ref + "x"),
                ConcurrencySupport.errorOf(c, () -> Types.toVM(ref + "x").setBiosStrings(c, Map.of())));
    }

    // ---------------------------------------------------------------------------------------- NVRAM

    @Test
    void nvramKeysAreXapisToCheckAtStart() throws Exception {
        VM vm = LifecycleSupport.newVm(host, c, "settings-uefi"); // HVM
        String ref = vm.toWireString();
        vm.setNVRAM(c, Map.of("EFI-variables-on-boot", "persist"));
        // Xapi keeps no list of NVRAM keys: any key is stored...
        vm.addToNVRAM(c, "anything", "goes");
        assertEquals(
                List.of("MAP_DUPLICATE_KEY", "VM", "NVRAM", ref, "anything"),
                refused(vm, () -> vm.addToNVRAM(c, "anything", "again")));
        vm.removeFromNVRAM(c, "anything");
        vm.removeFromNVRAM(c, "anything"); // absent: nothing to do
        // ...and the keys xenopsd reads are checked when the VM starts (firmware_of_vm)
        Map<String, String> params = new HashMap<>(vm.getHVMBootParams(c));
        params.put("firmware", "uefi");
        vm.setHVMBootParams(c, params);
        vm.setNVRAM(c, Map.of("EFI-variables-on-boot", "sometimes"));
        assertEquals(
                List.of("INVALID_VALUE", "NVRAM['EFI-variables-on-boot']", "sometimes"),
                ConcurrencySupport.errorOf(c, () -> vm.start(c, false, false)));
        assertEquals(Types.VmPowerState.HALTED, vm.getPowerState(c));
        // a running VM's NVRAM is varstored's: only set_NVRAM_EFI_variables changes it
        vm.setNVRAM(c, Map.of("EFI-variables-on-boot", "persist", "EFI-variables", "old"));
        vm.start(c, false, false);
        assertEquals(
                List.of("VM_BAD_POWER_STATE", ref, "halted", "running"), refused(vm, () -> vm.setNVRAM(c, Map.of())));
        call("VM.set_NVRAM_EFI_variables", session(), ref, "new"); // the update argument defaults to unspecified
        Map<?, ?> nvram = (Map<?, ?>) record(vm).get("NVRAM");
        assertEquals(Map.of("EFI-variables", "new", "EFI-variables-on-boot", "persist"), nvram);
        assertEquals("EFI-variables", nvram.keySet().iterator().next(), "first, as Xapi writes it");
        call("VM.set_NVRAM_EFI_variables", session(), ref, "newer", "yes");
        assertEquals("newer", vm.getNVRAM(c).get("EFI-variables"));
        assertEquals(
                List.of("INTERNAL_ERROR", "Failure(\"Unknown tag/contents\")"),
                refused(vm, () -> call("VM.set_NVRAM_EFI_variables", session(), ref, "x", "maybe")));
        vm.hardShutdown(c);
    }

    // ---------------------------------------------------------------------------------------- varstored's tools

    @Test
    void uefiModeRunsVarstoreSbStateAsXapiDoes() throws Exception {
        VM vm = newVm();
        String ref = vm.toWireString();
        String uuid = vm.getUuid(c);
        Files.deleteIfExists(sbState);
        assertEquals(
                List.of("INTERNAL_ERROR", "Unix.Unix_error(Unix.ENOENT, \"access\", \"" + sbState + "\")"),
                refused(vm, () -> call("VM.set_uefi_mode", session(), ref, "user")));
        Files.writeString(sbState, "#!/bin/sh\n", StandardCharsets.UTF_8);
        assertEquals(
                List.of("INTERNAL_ERROR", "Unix.Unix_error(Unix.EACCES, \"access\", \"" + sbState + "\")"),
                refused(vm, () -> call("VM.set_uefi_mode", session(), ref, "user")));
        Path args = dir.resolve("sb-state.args");
        script(sbState, "echo \"$@\" > " + args + "\necho \"PATH=$PATH HOME=$HOME\"\necho done");
        String out = (String) call("VM.set_uefi_mode", session(), ref, "setup");
        assertEquals(uuid + " setup\n", Files.readString(args));
        assertEquals("PATH=" + System.getenv("PATH") + " HOME=\ndone\n", out, "Xapi's PATH only");
        call("VM.set_uefi_mode", session(), ref, "USER"); // enum values are matched whatever their case
        assertEquals(uuid + " user\n", Files.readString(args));
        script(sbState, "echo partial\necho oops >&2\nexit 3");
        assertEquals(
                List.of(
                        "INTERNAL_ERROR",
                        "Subprocess exited with unexpected code 3; stdout = [ partial\n ]; stderr = [ oops\n ]"),
                refused(vm, () -> call("VM.set_uefi_mode", session(), ref, "user")));
        assertEquals(
                List.of("INTERNAL_ERROR", "Failure(\"Unknown tag/contents\")"),
                refused(vm, () -> call("VM.set_uefi_mode", session(), ref, "custom")));
    }

    @Test
    void securebootReadinessFollowsFirmwarePlatformNvramAndVarstoreLs() throws Exception {
        VM vm = newVm();
        String ref = vm.toWireString();
        String uuid = vm.getUuid(c);
        assertEquals("not_supported", readiness(ref)); // no firmware key: BIOS
        setFirmware(vm, "bios");
        assertEquals("not_supported", readiness(ref));
        setFirmware(vm, "uefi");
        assertEquals("disabled", readiness(ref));
        vm.addToPlatform(c, "secureboot", "TRUE");
        assertEquals("first_boot", readiness(ref));
        vm.addToNVRAM(c, "EFI-variables", "VkFSUw==");
        Files.deleteIfExists(ls);
        assertEquals(
                List.of("INTERNAL_ERROR", "Unix.Unix_error(Unix.ENOENT, \"access\", \"" + ls + "\")"),
                refused(vm, () -> readiness(ref)));
        Path listing = dir.resolve("varstore-ls.out");
        Path args = dir.resolve("ls.args");
        script(ls, "echo \"$@\" > " + args + "\ncat " + listing);
        String g = "8be4df61-93ca-11d2-aa0d-00e098032b8c";
        String d = "d719b2cb-3d3a-4596-a3bc-dad00e67656f";
        Files.writeString(listing, g + " PK\n" + g + " KEK\n" + d + " db\n" + d + " dbx\n");
        assertEquals("ready", readiness(ref));
        assertEquals(uuid + "\n", Files.readString(args));
        Files.writeString(listing, g + " PK\n" + g + " KEK\n" + d + " db\n");
        assertEquals("ready_no_dbx", readiness(ref));
        Files.writeString(listing, g + " KEK\n" + d + " db\n" + d + " dbx\n");
        assertEquals("setup_mode", readiness(ref));
        Files.writeString(listing, g + " PK\n" + d + " db\n");
        assertEquals("certs_incomplete", readiness(ref));
        vm.removeFromPlatform(c, "secureboot");
        vm.addToPlatform(c, "secureboot", "maybe"); // not a boolean: the default, false
        assertEquals("disabled", readiness(ref));
        vm.addToNVRAM(c, "EFI-variables-on-boot", "never");
        assertEquals(
                List.of("INVALID_VALUE", "NVRAM['EFI-variables-on-boot']", "never"), refused(vm, () -> readiness(ref)));
        setFirmware(vm, "coreboot");
        assertEquals(
                List.of("INVALID_VALUE", "HVM-boot-params['firmware']", "coreboot"), refused(vm, () -> readiness(ref)));
    }

    static String readiness(String ref) throws Exception {
        return (String) call("VM.get_secureboot_readiness", session(), ref);
    }

    static void setFirmware(VM vm, String firmware) throws Exception {
        Map<String, String> params = new HashMap<>(vm.getHVMBootParams(c));
        params.put("firmware", firmware);
        vm.setHVMBootParams(c, params);
    }

    // ---------------------------------------------------------------------------------------- assignments

    @Test
    void haRestartPrioritiesAreXapis() throws Exception {
        VM vm = newVm();
        assertEquals(
                List.of("INVALID_VALUE", "ha_restart_priority", "always"),
                refused(vm, () -> vm.setHaRestartPriority(c, "always")));
        assertEquals(
                List.of("INVALID_VALUE", "ha_restart_priority", "Restart"),
                refused(vm, () -> vm.setHaRestartPriority(c, "Restart")));
        vm.setHaRestartPriority(c, "best-effort");
        assertEquals(false, vm.getHaAlwaysRun(c));
        vm.start(c, false, false);
        vm.setHaAlwaysRun(c, true);
        assertEquals("restart", vm.getHaRestartPriority(c));
        assertEquals(true, vm.getHaAlwaysRun(c));
        vm.setHaAlwaysRun(c, false);
        assertEquals("", vm.getHaRestartPriority(c));
        assertEquals(false, vm.getHaAlwaysRun(c));
        vm.hardShutdown(c);
    }

    @Test
    void snapshotSchedulesAreCheckedAsXapiDoes() throws Exception {
        VM vm = newVm();
        String ref = vm.toWireString();
        assertEquals(
                List.of("INVALID_VALUE", "OpaqueRef:no-schedule"),
                refused(vm, () -> vm.setSnapshotSchedule(c, Types.toVMSS("OpaqueRef:no-schedule"))));
        assertEquals(
                List.of("INVALID_VALUE", ref),
                refused(vm, () -> vm.setSnapshotSchedule(c, Types.toVMSS(ref))),
                "a VM is not a schedule");
        VMSS quiesce = schedule(Types.VmssType.SNAPSHOT_WITH_QUIESCE);
        assertEquals(
                List.of("VM_SNAPSHOT_WITH_QUIESCE_NOT_SUPPORTED", ref),
                refused(vm, () -> vm.setSnapshotSchedule(c, quiesce)));
        VMSS plain = schedule(Types.VmssType.SNAPSHOT);
        vm.setSnapshotSchedule(c, plain);
        assertEquals(plain, vm.getSnapshotSchedule(c));
        assertTrue(!ConcurrencySupport.allowedOperations(host, c, vm).contains("make_into_template"));
        vm.setSnapshotSchedule(c, Types.toVMSS(VmSettingsTableSdkTest.NULL));
        assertTrue(ConcurrencySupport.allowedOperations(host, c, vm).contains("make_into_template"));
        call("VM.set_snapshot_schedule", session(), ref, ""); // Xapi takes an empty reference as no schedule
        assertEquals("", record(vm).get("snapshot_schedule"));
        assertTrue(ConcurrencySupport.allowedOperations(host, c, vm).contains("make_into_template"));
        // a pool without the VMSS feature refuses every schedule, NULL included
        Pool pool = Pool.getAll(c).iterator().next();
        Map<String, String> restrictions = pool.getRestrictions(c);
        String poolRef = pool.toWireString();
        Map<String, String> restricted = new LinkedHashMap<>(restrictions);
        restricted.put("restrict_vmss", "true");
        host.server.services().db().transact(tx -> tx.set("pool", poolRef, "restrictions", restricted));
        try {
            assertEquals(
                    List.of("LICENCE_RESTRICTION", "VMSS"),
                    refused(vm, () -> vm.setSnapshotSchedule(c, Types.toVMSS(VmSettingsTableSdkTest.NULL))));
        } finally {
            host.server.services().db().transact(tx -> tx.set("pool", poolRef, "restrictions", restrictions));
        }
    }

    static VMSS schedule(Types.VmssType type) throws Exception {
        VMSS.Record v = new VMSS.Record();
        v.nameLabel = "schedule-" + type;
        v.nameDescription = "";
        v.enabled = false;
        v.type = type;
        v.retainedSnapshots = 7L;
        v.frequency = Types.VmssFrequency.HOURLY;
        v.schedule = new HashMap<>(Map.of("min", "0"));
        return VMSS.create(c, v);
    }

    @Test
    void suspendImagesAreReplacedOnlyByIdenticalOnes() throws Exception {
        VM vm = newVm();
        String ref = vm.toWireString();
        vm.start(c, false, false);
        vm.suspend(c);
        VDI image = vm.getSuspendVDI(c);
        assertEquals(
                List.of("HANDLE_INVALID", "VDI", "OpaqueRef:no-image"),
                refused(vm, () -> vm.setSuspendVDI(c, Types.toVDI("OpaqueRef:no-image"))));
        VDI cbt = image.createClone(c, Map.of());
        host.server.services().db().set("VDI", cbt.toWireString(), "type", "cbt_metadata");
        assertEquals(
                List.of("VDI_INCOMPATIBLE_TYPE", ref, "CBT metadata"), refused(vm, () -> vm.setSuspendVDI(c, cbt)));
        VDI copy = image.createClone(c, Map.of());
        // Xapi compares the two images' checksums (VDI.checksum): its answer decides
        List<String> sums = ConcurrencySupport.errorOf(c, () -> call("VDI.checksum", session(), image.toWireString()));
        if (sums != null) {
            assertEquals(sums, refused(vm, () -> vm.setSuspendVDI(c, copy)), "VDI.checksum's error");
        } else {
            vm.setSuspendVDI(c, copy);
            assertEquals(copy, vm.getSuspendVDI(c));
        }
        vm.hardShutdown(c);
    }

    // ---------------------------------------------------------------------------------------- the rest

    @Test
    void defaultTemplateFlagFollowsOtherConfig() throws Exception {
        VM vm = newVm();
        String ref = vm.toWireString();
        vm.addToOtherConfig(c, "default_template", "maybe");
        call("VM.set_is_default_template", session(), ref, true);
        VM.Record r = vm.getRecord(c);
        assertTrue(r.isATemplate && r.isDefaultTemplate);
        assertEquals("true", r.otherConfig.get("default_template"));
        assertEquals(List.of("VM_IS_TEMPLATE", ref, "destroy"), ConcurrencySupport.errorOf(c, () -> vm.destroy(c)));
        call("VM.set_is_default_template", session(), ref, false);
        r = vm.getRecord(c);
        assertTrue(r.isATemplate && !r.isDefaultTemplate, "still a template");
        assertEquals("false", r.otherConfig.get("default_template"));
        vm.destroy(c);
    }

    @Test
    void queryServicesHasNoImplementationBehindItsCheck() throws Exception {
        VM vm = newVm();
        vm.addToOtherConfig(c, "is_system_domain", "true");
        assertEquals(List.of("NOT_IMPLEMENTED", "query_services"), refused(vm, () -> vm.queryServices(c)));
    }

    @Test
    void deprecatedAndRemovedMessagesAnswerAsXapi() throws Exception {
        assertEquals(true, Types.toVM("OpaqueRef:no-vm").getCooperative(c), "Xapi does not look the VM up");
        VM vm = newVm();
        assertEquals(
                List.of("MESSAGE_REMOVED"),
                refused(vm, () -> vm.setProtectionPolicy(c, Types.toVMPP(VmSettingsTableSdkTest.NULL))));
        assertEquals(
                List.of("HANDLE_INVALID", "VM", "OpaqueRef:no-vm"),
                ConcurrencySupport.errorOf(
                        c, () -> Types.toVM("OpaqueRef:no-vm").setOrder(c, 1L)));
    }

    @Test
    void updateSnapshotMetadataMakesASnapshotRecord() throws Exception {
        VM source = newVm();
        VM vm = newVm();
        Date when = new Date(1_700_000_000_000L);
        call(
                "VM.update_snapshot_metadata",
                session(),
                vm.toWireString(),
                source.toWireString(),
                when,
                "transportable-1");
        VM.Record r = vm.getRecord(c);
        assertTrue(r.isASnapshot);
        assertEquals(source, r.snapshotOf);
        assertEquals(when, r.snapshotTime);
        assertEquals("transportable-1", record(vm).get("transportable_snapshot_id"));
        assertTrue(source.getSnapshots(c).contains(vm));
    }
}
