package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Host;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VM;
import com.xensource.xenapi.VMAppliance;
import com.xensource.xenapi.VMSS;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;
import org.xapijava.server.it.OperationTableSdkTest.Kind;
import org.xapijava.server.it.VmTable.Call;
import org.xapijava.server.it.VmTable.Effect;
import org.xapijava.server.it.VmTable.Expect;
import org.xapijava.server.it.VmTable.Msg;

/**
 * The VM configuration messages of issue 11 through the Citrix SDK, on an ordinary VM in each power state reached
 * through real operations (Halted, Running, Paused, Suspended), on a template, a snapshot and the control domain.
 * Each cell either succeeds, and then its effect is checked and undone, or fails with exactly Xapi's error while the
 * VM's whole database record stays as it was and nothing is left marked.
 *
 * <p>Where Xapi marks an operation ({@code message_forwarding.ml}) the expected refusal is the operation table's
 * ({@link OperationTableSdkTest#checkerError}, literal data from {@code reference/xapi-core.md} §4.4); the other
 * refusals are the checks of the bodies in {@code xapi_vm.ml}, written here as data: {@code set_has_vendor_device}
 * and {@code set_suspend_VDI} check the power state, {@code set_bios_strings} and {@code copy_bios_strings} only a
 * VM without BIOS strings, {@code set_appliance} refuses control domains, templates and snapshots,
 * {@code set_snapshot_schedule} control domains ({@code INVALID_VALUE}) and templates, {@code set_protection_policy}
 * is removed, {@code query_services} has no implementation behind its check. Messages the SDK (8.1) lacks are sent
 * through its transport by name.
 */
class VmSettingsTableSdkTest {
    static final String H = OperationTableSdkTest.H;
    static final String P = OperationTableSdkTest.P;
    static final String S = OperationTableSdkTest.S;
    static final String R = OperationTableSdkTest.R;
    static final String NULL = OperationTableSdkTest.NULL;

    /** {@code Constants.generic_bios_strings}, in Xapi's order. */
    static final Map<String, String> GENERIC_BIOS_STRINGS = new LinkedHashMap<>();

    static {
        for (String k : List.of(
                "bios-vendor",
                "bios-version",
                "system-manufacturer",
                "system-product-name",
                "system-version",
                "system-serial-number",
                "baseboard-manufacturer",
                "baseboard-product-name",
                "baseboard-version",
                "baseboard-serial-number",
                "baseboard-asset-tag",
                "baseboard-location-in-chassis",
                "enclosure-asset-tag",
                "hp-rombios")) {
            GENERIC_BIOS_STRINGS.put(k, "");
        }
        GENERIC_BIOS_STRINGS.put("bios-vendor", "Xen");
        GENERIC_BIOS_STRINGS.put("system-manufacturer", "Xen");
        GENERIC_BIOS_STRINGS.put("system-product-name", "HVM domU");
        GENERIC_BIOS_STRINGS.put("oem-1", "Xen");
        GENERIC_BIOS_STRINGS.put("oem-2", "MS_VM_CERT/SHA1/bdbeb6e0a816d43fa6d3fe8aaef04c2bad9d3e3d");
    }

    // ---------------------------------------------------------------------------------------- the host

    @TempDir
    static Path dir;

    static TestHost host;
    static ConcurrencySupport.Recording c;
    static Host thisHost;
    static VMAppliance appliance;
    static VMSS schedule;
    static VmTable table;

    // ---------------------------------------------------------------------------------------- the messages

    static final List<Msg> MESSAGES = new ArrayList<>();

    static Expect checker(String op) {
        return s -> OperationTableSdkTest.checkerError(s.kind(), s.state(), s.ref(), op);
    }

    static Expect always(List<String> error) {
        return s -> error;
    }

    static final Expect SUCCEEDS = s -> null;

    static Expect inState(String state) {
        return s -> s.state().equals(state) ? null : List.of("VM_BAD_POWER_STATE", s.ref(), state, s.state());
    }

    static Effect fields(Object... namesAndValues) {
        return (s, result, after) -> {
            for (int i = 0; i < namesAndValues.length; i += 2) {
                assertEquals(namesAndValues[i + 1], after.get((String) namesAndValues[i]), (String) namesAndValues[i]);
            }
        };
    }

    static final Effect NOTHING = (s, result, after) -> assertEquals(s.before(), after, "record changed");

    static void msg(String name, Call call, Expect expect, Effect effect, String... restore) {
        MESSAGES.add(new Msg(name, call, expect, effect, List.of(restore)));
    }

    static {
        msg(
                "set_actions_after_crash",
                s -> {
                    s.vm().setActionsAfterCrash(c, Types.OnCrashBehaviour.PRESERVE);
                    return null;
                },
                SUCCEEDS,
                fields("actions_after_crash", "preserve"),
                "actions_after_crash");
        msg(
                "set_HVM_boot_policy",
                s -> {
                    s.vm().setHVMBootPolicy(c, "BIOS order");
                    return null;
                },
                SUCCEEDS,
                fields("domain_type", "hvm", "HVM_boot_policy", "BIOS order"),
                "domain_type",
                "HVM_boot_policy");
        msg(
                "set_domain_type",
                s -> {
                    s.vm().setDomainType(c, Types.DomainType.PV_IN_PVH);
                    return null;
                },
                SUCCEEDS,
                fields("domain_type", "pv_in_pvh", "HVM_boot_policy", ""),
                "domain_type",
                "HVM_boot_policy");
        msg(
                "set_HVM_shadow_multiplier",
                s -> {
                    s.vm().setHVMShadowMultiplier(c, 2.0);
                    return null;
                },
                checker("changing_shadow_memory"),
                (s, r, after) -> {
                    assertEquals(2.0, after.get("HVM_shadow_multiplier"));
                    assertTrue((Long) after.get("memory_overhead")
                            > (Long) s.before().get("memory_overhead"));
                },
                "HVM_shadow_multiplier",
                "memory_overhead");
        msg(
                "set_shadow_multiplier_live",
                s -> {
                    s.vm().setShadowMultiplierLive(c, 2.0);
                    return null;
                },
                checker("changing_shadow_memory_live"),
                (s, r, after) -> {
                    if ("pv".equals(s.before().get("domain_type"))) {
                        // xenopsd's xc backend answers Unimplemented for a PV domain, which Xapi ignores
                        assertEquals(s.before().get("HVM_shadow_multiplier"), after.get("HVM_shadow_multiplier"));
                        assertEquals(s.before().get("memory_overhead"), after.get("memory_overhead"));
                        return;
                    }
                    // xenopsd reports the new multiplier, which reaches the field before the call returns
                    assertEquals(2.0, after.get("HVM_shadow_multiplier"));
                    assertTrue((Long) after.get("memory_overhead")
                            > (Long) s.before().get("memory_overhead"));
                },
                "HVM_shadow_multiplier",
                "memory_overhead");
        msg(
                "set_bios_strings",
                s -> {
                    s.vm().setBiosStrings(c, Map.of("system-serial-number", "SN-1"));
                    return null;
                },
                s -> biosStringsSet(s) ? List.of("VM_BIOS_STRINGS_ALREADY_SET") : null,
                (s, r, after) -> {
                    Map<String, String> want = new LinkedHashMap<>(GENERIC_BIOS_STRINGS);
                    want.put("system-serial-number", "SN-1");
                    assertEquals(want, after.get("bios_strings"));
                    assertEquals(
                            List.copyOf(want.keySet()), List.copyOf(((Map<?, ?>) after.get("bios_strings")).keySet()));
                },
                "bios_strings");
        msg(
                "copy_bios_strings",
                s -> {
                    s.vm().copyBiosStrings(c, thisHost);
                    return null;
                },
                s -> biosStringsSet(s) ? List.of("VM_BIOS_STRINGS_ALREADY_SET") : null,
                (s, r, after) -> {
                    assertEquals(thisHost.getBiosStrings(c), after.get("bios_strings"));
                    assertEquals(thisHost.toWireString(), after.get("affinity"));
                },
                "bios_strings",
                "affinity");
        msg(
                "set_NVRAM",
                s -> {
                    s.vm().setNVRAM(c, Map.of("EFI-variables-on-boot", "reset"));
                    return null;
                },
                checker("changing_NVRAM"),
                fields("NVRAM", Map.of("EFI-variables-on-boot", "reset")),
                "NVRAM");
        msg(
                "add_to_NVRAM",
                s -> {
                    s.vm().addToNVRAM(c, "EFI-variables-backend", "xapidb");
                    return null;
                },
                checker("changing_NVRAM"),
                (s, r, after) -> assertEquals("xapidb", ((Map<?, ?>) after.get("NVRAM")).get("EFI-variables-backend")),
                "NVRAM");
        msg(
                "remove_from_NVRAM",
                s -> {
                    s.vm().removeFromNVRAM(c, "no-such-key");
                    return null;
                },
                checker("changing_NVRAM"),
                NOTHING);
        msg(
                "set_NVRAM_EFI_variables",
                s -> call("VM.set_NVRAM_EFI_variables", session(), s.ref(), "VkFSUw==", "unspecified"),
                SUCCEEDS,
                (s, r, after) -> assertEquals("VkFSUw==", ((Map<?, ?>) after.get("NVRAM")).get("EFI-variables")),
                "NVRAM");
        msg(
                "set_has_vendor_device",
                s -> {
                    s.vm().setHasVendorDevice(c, true);
                    return null;
                },
                inState(H),
                (s, r, after) -> {
                    assertEquals(true, after.get("has_vendor_device"));
                    assertEquals(
                            Math.max(2L, (Long) s.before().get("hardware_platform_version")),
                            after.get("hardware_platform_version"));
                },
                "has_vendor_device",
                "hardware_platform_version");
        msg(
                "set_is_default_template",
                s -> call("VM.set_is_default_template", session(), s.ref(), true),
                // a template is not marked (the check would refuse it); anything else is made a template first
                s -> s.template()
                        ? null
                        : OperationTableSdkTest.checkerError(s.kind(), s.state(), s.ref(), "make_into_template"),
                (s, r, after) -> {
                    assertEquals(true, after.get("is_default_template"));
                    assertEquals(true, after.get("is_a_template"));
                    Map<?, ?> oc = (Map<?, ?>) after.get("other_config");
                    assertEquals("true", oc.get("default_template"));
                    assertEquals("default_template", oc.keySet().iterator().next(), "the flag comes first");
                },
                "is_default_template",
                "other_config");
        for (String f : List.of("order", "start_delay", "shutdown_delay")) {
            msg(
                    "set_" + f,
                    s -> {
                        switch (f) {
                            case "order" -> s.vm().setOrder(c, 3L);
                            case "start_delay" -> s.vm().setStartDelay(c, 3L);
                            default -> s.vm().setShutdownDelay(c, 3L);
                        }
                        return null;
                    },
                    SUCCEEDS,
                    fields(f, 3L),
                    f);
        }
        msg(
                "set_suspend_VDI",
                s -> {
                    // its own image: nothing to compare, nothing changes
                    s.vm().setSuspendVDI(c, Types.toVDI((String) s.before().get("suspend_VDI")));
                    return null;
                },
                inState(S),
                NOTHING);
        msg(
                "set_appliance",
                s -> {
                    s.vm().setAppliance(c, appliance);
                    return null;
                },
                s -> s.kind() == Kind.VM
                        ? null
                        : List.of(
                                "OPERATION_NOT_ALLOWED",
                                "Control domains, templates and snapshots cannot be assigned to appliances."),
                (s, r, after) -> assertEquals(appliance.toWireString(), after.get("appliance")),
                "appliance");
        msg(
                "set_ha_restart_priority",
                s -> {
                    s.vm().setHaRestartPriority(c, "restart");
                    return null;
                },
                SUCCEEDS,
                (s, r, after) -> {
                    assertEquals("restart", after.get("ha_restart_priority"));
                    assertEquals(s.state().equals(R), after.get("ha_always_run"), "protected at once when running");
                },
                "ha_restart_priority",
                "ha_always_run");
        msg(
                "set_ha_always_run",
                s -> {
                    s.vm().setHaAlwaysRun(c, true);
                    return null;
                },
                SUCCEEDS,
                (s, r, after) -> {
                    assertEquals("restart", after.get("ha_restart_priority"));
                    assertEquals(s.state().equals(R), after.get("ha_always_run"));
                },
                "ha_restart_priority",
                "ha_always_run");
        msg(
                "set_protection_policy",
                s -> {
                    s.vm().setProtectionPolicy(c, Types.toVMPP(NULL));
                    return null;
                },
                always(List.of("MESSAGE_REMOVED")),
                NOTHING);
        msg(
                "set_snapshot_schedule",
                s -> {
                    s.vm().setSnapshotSchedule(c, schedule);
                    return null;
                },
                s -> s.kind() == Kind.CONTROL_DOMAIN
                        ? List.of("INVALID_VALUE", schedule.toWireString())
                        : s.template() ? List.of("VM_IS_TEMPLATE", s.ref()) : null,
                (s, r, after) -> assertEquals(schedule.toWireString(), after.get("snapshot_schedule")),
                "snapshot_schedule");
        msg("get_boot_record", s -> s.vm().getBootRecord(c), checker("get_boot_record"), (s, r, after) -> {
            assertEquals(s.before().get("uuid"), ((VM.Record) r).uuid);
            assertEquals(s.before().get("power_state"), ((VM.Record) r).powerState.toString());
            assertEquals(s.before(), after);
        });
        msg("get_cooperative", s -> s.vm().getCooperative(c), SUCCEEDS, (s, r, after) -> assertEquals(true, r));
        msg(
                "query_services",
                s -> s.vm().queryServices(c),
                s -> {
                    List<String> e = OperationTableSdkTest.checkerError(s.kind(), s.state(), s.ref(), "query_services");
                    if (e == null) return List.of("NOT_SYSTEM_DOMAIN", s.ref());
                    // record_util.ml has no name for this operation: Xapi prints "(unknown operation)"
                    return e.stream()
                            .map(p -> p.equals("query_services") ? "(unknown operation)" : p)
                            .toList();
                },
                NOTHING);
    }

    static boolean biosStringsSet(VmTable.Subject s) {
        return !((Map<?, ?>) s.before().get("bios_strings")).isEmpty();
    }

    /** The power state each subject is tested in. */
    static final Map<Kind, List<String>> STATES = new LinkedHashMap<>();

    static {
        STATES.put(Kind.VM, List.of(H, R, P, S));
        STATES.put(Kind.TEMPLATE, List.of(H));
        STATES.put(Kind.SNAPSHOT, List.of(H));
        STATES.put(Kind.CONTROL_DOMAIN, List.of(R));
    }

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir);
        c = ConcurrencySupport.login(host);
        thisHost = Types.toHost(host.server.services().hostRef());
        VMAppliance.Record a = new VMAppliance.Record();
        a.nameLabel = "settings-appliance";
        a.nameDescription = "";
        appliance = VMAppliance.create(c, a);
        VMSS.Record v = new VMSS.Record();
        v.nameLabel = "settings-schedule";
        v.nameDescription = "";
        v.enabled = false;
        v.type = Types.VmssType.SNAPSHOT;
        v.retainedSnapshots = 7L;
        v.frequency = Types.VmssFrequency.DAILY;
        v.schedule = new HashMap<>(Map.of("hour", "1", "min", "0"));
        schedule = VMSS.create(c, v);
        VmSubjects subjects = new VmSubjects(host, c, "settings");
        table = new VmTable(host, c, subjects, new VmTable.Hooks() {
            @Override
            public boolean succeeded(VmTable.Subject s, Msg m) throws Exception {
                if (!m.name().equals("set_is_default_template") || s.template()) return false;
                subjects.discard(s.vm()); // made a default template for good
                subjects.forget(s.kind());
                return true;
            }
        });
    }

    @AfterAll
    static void stop() throws Exception {
        if (host != null) host.close();
    }

    static String session() {
        return c.getSessionReference();
    }

    /**
     * A message the SDK has no binding for, by name through the SDK's transport on the recording connection (so that
     * {@link ConcurrencySupport#errorOf} reads its error); its value.
     */
    static Object call(String method, Object... params) throws Exception {
        return c.dispatch(method, params).get("Value");
    }

    @TestFactory
    Stream<DynamicTest> everyMessageOnEverySubjectInEveryPowerState() {
        return table.tests(STATES, MESSAGES);
    }
}
