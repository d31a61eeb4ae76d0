package org.xapijava.cli.records;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.xapijava.cli.records.ClassCommands.Op;
import org.xapijava.cli.records.FieldSpec.Flag;
import org.xapijava.cli.records.FieldSpec.Shape;
import org.xapijava.model.ClassDef;
import org.xapijava.model.Datamodel;
import org.xapijava.model.FieldDef;
import org.xapijava.model.types.XType;

/** The CLI record tables: they parse, agree with the datamodel and with what xe-cli.md says of Xapi's CLI. */
class RecordTablesTest {
    private static final RecordTables T = RecordTables.get();
    private static final Datamodel DM = Datamodel.get();
    private static final Path RESOURCES = Path.of("src/main/resources/org/xapijava/cli/records");

    /** Records whose class this project's datamodel does not have (every field marked '?'). */
    private static final Set<String> NO_CLASS =
            Set.of("vm_group", "hostdriver", "hostdriver_variant", "caller", "rate_limit");

    @Test
    void everyRecordFileIsListedAndParses() throws IOException {
        Set<String> files;
        try (Stream<Path> s = Files.list(RESOURCES)) {
            files = s.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".rec"))
                    .map(n -> n.substring(0, n.length() - 4))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
        assertEquals(new TreeSet<>(RecordTables.RECORD_NAMES), files);
        assertEquals(54, T.records().size());
        int fields = 0;
        for (RecordSpec r : T.records())
            fields += r.fields().size() + T.unavailable(r.name()).size();
        assertEquals(775, fields, "one field a make_field of records.ml");
        assertThrows(IllegalArgumentException.class, () -> T.record("nope"));
    }

    @Test
    void everyComputedNameIsExplainedInTheReadme() throws IOException {
        String readme = Files.readString(RESOURCES.resolve("README.md"));
        Set<String> missing = new TreeSet<>();
        for (RecordSpec r : T.records()) {
            List<FieldSpec> fs = new ArrayList<>(r.fields());
            fs.addAll(T.unavailable(r.name()));
            for (FieldSpec f : fs) {
                if (!f.isComputed()) continue;
                int colon = f.computed().indexOf(':');
                String key = colon < 0 ? f.computed() : f.computed().substring(0, colon) + ":<field>";
                if (!readme.contains("`" + key + "`")) missing.add(key);
            }
        }
        assertEquals(Set.of(), missing);
    }

    @Test
    void parseErrorsNameFileAndLine() {
        var e = assertThrows(
                IllegalStateException.class,
                () -> RecordTables.parseRecord(
                        "x.rec",
                        List.of("# c", "record x VM", "uuid uuid", "name name_label bogus"),
                        new ArrayList<>()));
        assertEquals("x.rec:4: unknown flag 'bogus'", e.getMessage());
        e = assertThrows(
                IllegalStateException.class,
                () -> RecordTables.parseRecord("y.rec", List.of("uuid uuid"), new ArrayList<>()));
        assertTrue(e.getMessage().startsWith("y.rec:1: "), e.getMessage());
        e = assertThrows(
                IllegalStateException.class,
                () -> RecordTables.parseRecord("z.rec", List.of("record z VM", "a b set-ro rw"), new ArrayList<>()));
        assertTrue(e.getMessage().startsWith("z.rec:2: "), e.getMessage());
        e = assertThrows(
                IllegalStateException.class, () -> RecordTables.parseClasses("c.tsv", List.of("vm\tvm\tL,XX\t-\t-")));
        assertEquals("c.tsv:1: unknown op 'XX'", e.getMessage());
    }

    @Test
    void recordClassesExistUnlessListed() {
        for (RecordSpec r : T.records()) {
            ClassDef c = DM.cls(r.apiClass());
            if (NO_CLASS.contains(r.name())) {
                assertEquals(null, c, r.name() + ": the datamodel has " + r.apiClass() + " now: remove the '?'s");
                assertTrue(r.fields().isEmpty(), r.name());
            } else {
                assertNotNull(c, r.name() + ": no class " + r.apiClass());
            }
        }
    }

    /** The type at the end of a path, or null if it does not resolve; a set step makes the result a set. */
    private static XType resolve(String cls, List<String> path) {
        ClassDef c = DM.cls(cls);
        boolean viaSet = false;
        for (int i = 0; i < path.size(); i++) {
            if (c == null) return null;
            FieldDef f = c.field(path.get(i));
            if (f == null || f.internal()) return null; // a removed field shows its empty value, as Xapi
            XType t = f.type();
            if (i == path.size() - 1) return viaSet && !(t instanceof XType.SetType) ? new XType.SetType(t) : t;
            if (t instanceof XType.SetType s && s.element() instanceof XType.RefType) {
                viaSet = true;
                t = s.element();
            }
            if (!(t instanceof XType.RefType ref)) return null;
            c = DM.cls(ref.cls());
        }
        return null;
    }

    @Test
    void everySourceResolvesAgainstTheDatamodel() {
        List<String> bad = new ArrayList<>();
        for (RecordSpec r : T.records()) {
            for (FieldSpec f : r.fields()) {
                if (f.isComputed()) {
                    assertTrue(f.path().isEmpty());
                    if (computedArgument(r, f) == Boolean.FALSE) {
                        bad.add(r.name() + "." + f.name() + ": no field for #" + f.computed());
                    }
                    continue;
                }
                if (resolve(r.apiClass(), f.path()) == null) bad.add(r.name() + "." + f.name() + " " + f.path());
            }
            if (DM.cls(r.apiClass()) == null) continue;
            for (FieldSpec f : T.unavailable(r.name())) {
                boolean resolves = f.isComputed()
                        ? computedArgument(r, f) == Boolean.TRUE
                        : resolve(r.apiClass(), f.path()) != null;
                if (resolves) {
                    bad.add(r.name() + "." + f.name() + " resolves now: remove its '?'");
                }
            }
        }
        assertEquals(List.of(), bad);
    }

    /** Whether the field named in a {@code <computation>:<field>} computed name exists; null without one. */
    private static Boolean computedArgument(RecordSpec r, FieldSpec f) {
        int colon = f.computed().indexOf(':');
        if (colon < 0) return null;
        String kind = f.computed().substring(0, colon);
        String cls = kind.equals("all_hosts") || kind.equals("hosts_consistent") ? "host" : r.apiClass();
        return resolve(cls, List.of(f.computed().substring(colon + 1))) != null;
    }

    private static String last(FieldSpec f) {
        return f.path().get(f.path().size() - 1);
    }

    private static boolean exists(String wire) {
        return DM.message(wire) != null;
    }

    @Test
    void everySetterMessageExists() {
        List<String> bad = new ArrayList<>();
        for (RecordSpec r : T.records()) {
            for (FieldSpec f : r.fields()) {
                List<String> msgs = new ArrayList<>();
                String dflt = f.isComputed() ? null : last(f);
                if (f.setter() != null) {
                    msgs.add(f.setter());
                    int dot = f.setter().indexOf('.');
                    String m = f.setter().substring(dot + 1);
                    String c = f.setter().substring(0, dot);
                    if (m.startsWith("add_to_")) msgs.add(c + ".remove_from_" + m.substring(7));
                    else if (m.startsWith("add_")) msgs.add(c + ".remove_" + m.substring(4));
                } else if (f.writable()) {
                    assertNotNull(dflt, r.name() + "." + f.name() + ": a computed field needs setter=");
                    switch (f.shape()) {
                        case SCALAR -> msgs.add(r.apiClass() + ".set_" + dflt);
                        case SET -> {
                            msgs.add(r.apiClass() + ".add_" + dflt);
                            msgs.add(r.apiClass() + ".remove_" + dflt);
                        }
                        case MAP -> {
                            msgs.add(r.apiClass() + ".add_to_" + dflt);
                            msgs.add(r.apiClass() + ".remove_from_" + dflt);
                        }
                    }
                }
                if ((f.has(Flag.SET_WHOLE_MAP) && f.setter() == null) || f.has(Flag.CLEAR_BY_SET)) {
                    msgs.add(r.apiClass() + ".set_" + dflt);
                }
                if (f.path().size() > 1 && f.writable() && f.setter() == null) {
                    bad.add(r.name() + "." + f.name() + ": writable through a reference");
                }
                for (String m : msgs) {
                    if (!exists(m)) bad.add(r.name() + "." + f.name() + ": " + m);
                }
            }
        }
        assertEquals(List.of(), bad);
    }

    @Test
    void shapesAndFlagsAgreeWithTheFieldTypes() {
        List<String> bad = new ArrayList<>();
        for (RecordSpec r : T.records()) {
            for (FieldSpec f : r.fields()) {
                if (f.isComputed()) continue;
                XType t = resolve(r.apiClass(), f.path());
                String at = r.name() + "." + f.name() + " (" + t + "): ";
                if (f.shape() == Shape.MAP && !(t instanceof XType.MapType)) bad.add(at + "MAP of no map");
                if (f.shape() == Shape.SET
                        && !(t instanceof XType.SetType)
                        && !(f.has(Flag.VALUES) && t instanceof XType.MapType)) {
                    bad.add(at + "SET of no set");
                }
                if (f.has(Flag.VALUES) && !(t instanceof XType.MapType)) bad.add(at + "values of no map");
                if (f.has(Flag.SIZE) && !t.equals(XType.INT)) bad.add(at + "size of no int");
                if (f.has(Flag.BY_UUID) && refClass(t) == null) bad.add(at + "by-uuid of no reference");
                if (f.has(Flag.LOWER) && enumName(t) == null) bad.add(at + "lower of no enum");
                if (f.has(Flag.CLI_ENUM)) {
                    String e = enumName(t);
                    if (e == null || !T.spelledEnums().contains(e)) bad.add(at + "cli-enum of an enum enums.tsv lacks");
                }
                if (f.has(Flag.COMMA) && !(t instanceof XType.SetType)) bad.add(at + "comma on no set");
            }
        }
        for (String e : T.spelledEnums()) {
            if (!e.equals("placement_policy") && DM.enumDef(e) == null) bad.add("enums.tsv: no enum " + e);
        }
        assertEquals(List.of(), bad);
    }

    private static String refClass(XType t) {
        if (t instanceof XType.SetType s) t = s.element();
        return t instanceof XType.RefType r ? r.cls() : null;
    }

    private static String enumName(XType t) {
        if (t instanceof XType.SetType s) t = s.element();
        if (t instanceof XType.MapType m) {
            if (m.key() instanceof XType.EnumType) t = m.key();
            else t = m.value();
        }
        return t instanceof XType.EnumType e ? e.name() : null;
    }

    @Test
    void theFiftyFiveClassesAndTheir288Commands() {
        List<ClassCommands> cs = T.classes();
        assertEquals(55, cs.size());
        assertEquals(288, cs.stream().mapToInt(c -> c.ops().size()).sum());
        Map<String, Set<Op>> byOps = new LinkedHashMap<>();
        Set<Op> all = EnumSet.allOf(Op.class);
        Set<Op> five = EnumSet.of(Op.LIST, Op.PARAM_LIST, Op.PARAM_GET, Op.PARAM_SET, Op.PARAM_CLEAR);
        Set<Op> four = EnumSet.of(Op.LIST, Op.PARAM_LIST, Op.PARAM_GET, Op.PARAM_CLEAR);
        Set<Op> three = EnumSet.of(Op.LIST, Op.PARAM_LIST, Op.PARAM_GET);
        String allSeven = "pool pif tunnel vif network console vm template snapshot host vdi vbd sr pbd task vmss"
                + " pgpu gpu-group vgpu usb-group vusb cluster observer pci caller";
        for (String c : allSeven.split(" ")) byOps.put(c, all);
        for (String c : "bond secret appliance vm-group pvs-site pusb repository rate-limit".split(" ")) {
            byOps.put(c, five);
        }
        for (String c : "patch update sm subject pvs-server cluster-host vtpm".split(" ")) byOps.put(c, four);
        for (String c : ("vlan host-cpu host-crashdump role message vgpu-type drtask pvs-proxy pvs-cache-storage"
                        + " feature sdn-controller network-sriov certificate hostdriver-variant hostdriver")
                .split(" ")) byOps.put(c, three);
        assertEquals(55, byOps.size());
        for (var e : byOps.entrySet()) {
            ClassCommands c = T.commandClass(e.getKey()).orElseThrow(() -> new AssertionError(e.getKey()));
            assertEquals(e.getValue(), c.ops(), c.cliName());
        }
        ClassCommands vm = T.commandClass("vm").orElseThrow();
        assertEquals(List.of(Map.entry("is-a-template", "false")), vm.defaultFilters());
        assertEquals(List.of("name-label", "uuid", "power-state"), vm.defaultColumns());
        assertEquals("vm", vm.record());
        assertEquals(
                List.of(Map.entry("is-a-template", "true"), Map.entry("is-a-snapshot", "false")),
                T.commandClass("template").orElseThrow().defaultFilters());
        assertEquals("subroles<>[]", T.commandClass("role").orElseThrow().apiWhere());
        assertEquals("true", T.commandClass("host").orElseThrow().apiWhere());
        assertEquals(List.of(), T.commandClass("message").orElseThrow().defaultColumns());
        assertEquals("host_cpu", T.commandClass("host-cpu").orElseThrow().record());
        assertTrue(T.commandClass("snapshot").orElseThrow().defaultColumns().contains("snapshot_of"));
        assertFalse(T.commandClass("blob").isPresent());
    }

    /** The ops make_param_funs would generate from the fields (xe-cli.md §3.7 "exists if"). */
    @Test
    void theOpsFollowFromTheFields() {
        for (ClassCommands c : T.classes()) {
            List<FieldSpec> fs = new ArrayList<>(T.record(c.record()).fields());
            fs.addAll(T.unavailable(c.record()));
            fs.removeIf(f -> f.has(Flag.HIDDEN));
            Set<Op> ops = EnumSet.of(Op.LIST, Op.PARAM_LIST, Op.PARAM_GET);
            for (FieldSpec f : fs) {
                boolean scalarSet = f.shape() == Shape.SCALAR && f.writable();
                boolean setWhole = f.shape() == Shape.SET
                        && f.setter() != null
                        && f.setter().contains(".set_");
                if (scalarSet
                        || setWhole
                        || (f.shape() == Shape.MAP
                                && (f.writable() || f.has(Flag.SET_IN_MAP) || f.has(Flag.SET_WHOLE_MAP)))) {
                    ops.add(Op.PARAM_SET);
                }
                if (f.shape() != Shape.SCALAR && f.writable()) {
                    ops.add(Op.PARAM_ADD);
                    ops.add(Op.PARAM_REMOVE);
                }
                if (scalarSet || f.shape() != Shape.SCALAR) ops.add(Op.PARAM_CLEAR);
            }
            assertEquals(c.ops(), ops, c.cliName());
        }
    }

    @Test
    void enumSpellings() {
        assertEquals("Destroy", T.enumText("on_normal_exit", "destroy"));
        assertEquals("VM.start", T.enumText("host_allowed_operations", "vm_start"));
        assertEquals("(unknown operation)", T.enumText("vm_operations", "query_services"));
        assertEquals("start", T.enumText("vm_operations", "start"));
        assertEquals("Core dump and restart", T.enumText("on_crash_behaviour", "coredump_and_restart"));
        assertEquals("pv-in-pvh", T.enumText("domain_type", "pv_in_pvh"));
        assertEquals(java.util.Optional.of("rename_restart"), T.enumWireValue("on_crash_behaviour", "rename RESTART"));
        assertEquals(java.util.Optional.empty(), T.enumWireValue("vm_operations", "(unknown operation)"));
    }

    /** The raw field lines of a record file, '?' ones included, in file order. */
    private static List<String> fileOrder(String record) {
        List<String> names = new ArrayList<>();
        boolean header = false;
        for (String l : RecordTables.readLines(record + ".rec")) {
            if (l.isBlank() || l.startsWith("#")) continue;
            if (!header) {
                header = true;
                continue;
            }
            String n = l.strip().split("\\s+")[0];
            names.add(n.startsWith("?") ? n.substring(1) : n);
        }
        return names;
    }

    private static String label(FieldSpec f) {
        return switch (f.shape()) {
            case SET -> f.writable() ? "SRW" : "SRO";
            case MAP -> f.writable() ? "MRW" : "MRO";
            case SCALAR -> f.writable() ? "RW" : "RO";
        };
    }

    @Test
    void namesOrderLabelsAndFlagsAsXeCliSection35() {
        for (var e : XE_CLI_3_5.entrySet()) {
            String rec = e.getKey();
            Map<String, FieldSpec> byName = new LinkedHashMap<>();
            for (FieldSpec f : T.record(rec).fields()) byName.put(f.name(), f);
            for (FieldSpec f : T.unavailable(rec)) byName.put(f.name(), f);
            List<String> expected = List.of(e.getValue().strip().split("\\s+"));
            List<String> got = new ArrayList<>();
            for (String n : fileOrder(rec)) {
                FieldSpec f = byName.get(n);
                String flags = (f.has(Flag.HIDDEN) ? "H" : "")
                        + (f.has(Flag.EXPENSIVE) ? "E" : "")
                        + (f.has(Flag.DEPRECATED) ? "D" : "");
                got.add(n + ":" + label(f) + (flags.isEmpty() ? "" : ":" + flags));
            }
            assertEquals(expected, got, rec);
        }
    }

    @Test
    void spotChecksOfSources() {
        RecordSpec vm = T.record("vm");
        assertEquals(
                List.of("resident_on"), vm.field("resident-on").orElseThrow().path());
        assertEquals(
                List.of("metrics", "memory_actual"),
                vm.field("memory-actual").orElseThrow().path());
        FieldSpec smax = vm.field("memory-static-max").orElseThrow();
        assertTrue(smax.has(Flag.SIZE) && smax.writable());
        assertTrue(vm.field("power-state").orElseThrow().has(Flag.LOWER));
        assertTrue(vm.field("suspend-SR-uuid").orElseThrow().has(Flag.BY_UUID));
        assertEquals(
                List.of("weight", "cap", "mask"),
                vm.field("VCPUs-params").orElseThrow().keys());
        assertEquals("memory_target", vm.field("memory-target").orElseThrow().computed());
        assertTrue(vm.field("tags").orElseThrow().has(Flag.COMMA));
        assertTrue(vm.field("numa-optimised").isEmpty());
        assertEquals(
                List.of("VM", "name_label"),
                T.record("vbd").field("vm-name-label").orElseThrow().path());
        FieldSpec props = T.record("pif").field("properties").orElseThrow();
        assertEquals("PIF.set_property", props.setter());
        assertTrue(props.has(Flag.SET_IN_MAP) && !props.writable());
        assertTrue(T.record("pif").field("MAC").orElseThrow().has(Flag.CASE_INSENSITIVE));
        assertEquals("uuid", T.records().get(0).fields().get(0).name());
    }

    private static final Map<String, String> XE_CLI_3_5 = Map.ofEntries(
            Map.entry("vm", """
                    uuid:RO name-label:RW name-description:RW user-version:RW is-a-template:RW is-default-template:RW
                    is-a-snapshot:RO snapshot-of:RO snapshots:RO snapshot-time:RO transportable-snapshot-id:RO:H
                    snapshot-info:RO parent:RO children:RO is-control-domain:RO power-state:RO memory-actual:RO
                    memory-target:RO:E memory-overhead:RO memory-static-max:RW memory-dynamic-max:RW
                    memory-dynamic-min:RW memory-static-min:RW suspend-VDI-uuid:RW suspend-SR-uuid:RW VCPUs-params:MRW
                    VCPUs-max:RW VCPUs-at-startup:RW actions-after-shutdown:RW actions-after-softreboot:RW
                    actions-after-reboot:RW actions-after-crash:RW console-uuids:SRO hvm:RO nomigrate:RO:H
                    nested-virt:RO:H platform:MRW numa-optimised:RO numa-nodes:RO numa-node-memory:MRO
                    allowed-operations:SRO current-operations:SRO blocked-operations:MRW allowed-VBD-devices:SRO:E
                    allowed-VIF-devices:SRO:E possible-hosts:RO:E domain-type:RW current-domain-type:RO
                    HVM-boot-policy:RW HVM-boot-params:MRW HVM-shadow-multiplier:RW NVRAM:MRW:H PV-kernel:RW
                    PV-ramdisk:RW PV-args:RW PV-legacy-args:RW PV-bootloader:RW PV-bootloader-args:RW
                    last-boot-CPU-flags:RO last-boot-record:RO:E resident-on:RO affinity:RW other-config:MRW dom-id:RO
                    recommendations:RO xenstore-data:MRW ha-always-run:RW:D ha-restart-priority:RW blobs:RO
                    start-time:RO install-time:RO VCPUs-number:RO VCPUs-utilisation:MRO:E os-version:MRO
                    netbios-name:MRO PV-drivers-version:MRO PV-drivers-up-to-date:RO:D memory:MRO disks:MRO VBDs:SRO
                    networks:MRO services:MRO PV-drivers-detected:RO other:MRO live:RO guest-metrics-last-updated:RO
                    can-use-hotplug-vbd:RO can-use-hotplug-vif:RO cooperative:RO:ED tags:SRW appliance:RW groups:RW
                    secureboot-certificates-state:RO snapshot-schedule:RW is-vmss-snapshot:RO start-delay:RW
                    shutdown-delay:RW order:RW version:RO generation-id:RO hardware-platform-version:RO
                    has-vendor-device:RW requires-reboot:RO reference-label:RO bios-strings:MRO pending-guidances:RO
                    vtpms:RO pending-guidances-recommended:RO pending-guidances-full:RO
                    """),
            Map.entry("host", """
                    uuid:RO name-label:RW name-description:RW allowed-operations:SRO current-operations:SRO enabled:RO
                    display:RO API-version-major:RO API-version-minor:RO API-version-vendor:RO
                    API-version-vendor-implementation:MRO logging:MRW suspend-image-sr-uuid:RW crash-dump-sr-uuid:RW
                    software-version:MRO capabilities:SRO other-config:MRW cpu_info:MRO chipset-info:MRO hostname:RO
                    address:RO https-only:RW supported-bootloaders:SRO blobs:RO memory-overhead:RO memory-total:RO
                    memory-free:RO memory-free-computed:RO:E host-metrics-live:RO patches:SRO:D updates:SRO
                    ha-statefiles:RO ha-network-peers:RO external-auth-type:RO external-auth-service-name:RO
                    external-auth-configuration:MRO edition:RO license-server:MRO power-on-mode:RO power-on-config:MRO
                    local-cache-sr:RO tags:SRW ssl-legacy:RW guest_VCPUs_params:MRW
                    virtual-hardware-platform-versions:SRO control-domain-uuid:RO resident-vms:SRO
                    updates-requiring-reboot:SRO features:SRO iscsi_iqn:RW multipathing:RW uefi-certificates:RW:H
                    numa-affinity-policy:RW pending-guidances:RO tls-verification-enabled:RO last-software-update:RO
                    latest-synced-updates-applied:RO pending-guidances-recommended:RO pending-guidances-full:RO
                    last-update-hash:RO ssh-enabled:RO ssh-enabled-timeout:RW ssh-expiry:RO console-idle-timeout:RW
                    ssh-auto-mode:RW max-cstate:RW secure-boot:RO ntp-mode:RW ntp-custom-servers:SRO timezone:RW
                    """),
            Map.entry("sr", """
                    uuid:RO name-label:RW name-description:RW host:RO allowed-operations:SRO current-operations:SRO
                    VDIs:SRO PBDs:SRO virtual-allocation:RO physical-utilisation:RO physical-size:RO type:RO
                    content-type:RO shared:RW introduced-by:RO is-tools-sr:RO other-config:MRW sm-config:MRO blobs:RO
                    local-cache-enabled:RO tags:SRW clustered:RO
                    """),
            Map.entry("vdi", """
                    uuid:RO name-label:RW name-description:RW is-a-snapshot:RO snapshot-of:RO snapshots:RO
                    snapshot-time:RO allowed-operations:SRO current-operations:SRO sr-uuid:RO sr-name-label:RO
                    vbd-uuids:SRO crashdump-uuids:SRO virtual-size:RO physical-utilisation:RO location:RO type:RO
                    sharable:RO read-only:RO storage-lock:RO managed:RO parent:RO:D missing:RO is-tools-iso:RO
                    other-config:MRW xenstore-data:MRO sm-config:MRO on-boot:RW allow-caching:RW metadata-latest:RO
                    metadata-of-pool:RO tags:SRW cbt-enabled:RO
                    """),
            Map.entry("vbd", """
                    uuid:RO vm-uuid:RO vm-name-label:RO vdi-uuid:RO vdi-name-label:RO allowed-operations:SRO
                    current-operations:SRO empty:RO device:RO userdevice:RW bootable:RW mode:RW type:RW unpluggable:RW
                    currently-attached:RO attachable:RO:E storage-lock:RO status-code:RO status-detail:RO
                    qos_algorithm_type:RW qos_algorithm_params:MRW qos_supported_algorithms:SRO other-config:MRW
                    io_read_kbs:RO:E io_write_kbs:RO:E
                    """),
            Map.entry("vif", """
                    uuid:RO vm-uuid:RO vm-name-label:RO allowed-operations:SRO current-operations:SRO device:RO MAC:RO
                    MAC-autogenerated:RO MTU:RO currently-attached:RO qos_algorithm_type:RW qos_algorithm_params:MRW
                    qos_supported_algorithms:SRO other-config:MRW network-uuid:RO network-name-label:RO io_read_kbs:RO:E
                    io_write_kbs:RO:E locking-mode:RW ipv4-allowed:SRW ipv6-allowed:SRW ipv4-configuration-mode:RO
                    ipv4-addresses:RO ipv4-gateway:RO ipv6-configuration-mode:RO ipv6-addresses:RO ipv6-gateway:RO
                    trunks:SRW
                    """),
            Map.entry("network", """
                    uuid:RO name-label:RW name-description:RW VIF-uuids:SRO PIF-uuids:SRO MTU:RW bridge:RO managed:RO
                    other-config:MRW blobs:RO tags:SRW default-locking-mode:RW purpose:SRW
                    """),
            Map.entry("pif", """
                    uuid:RO device:RO MAC:RO physical:RO managed:RO currently-attached:RO MTU:RO VLAN:RO
                    vlan-master-of:RO vlan-slave-of:RO bond-master-of:RO bond-slave-of:RO sriov-physical-PIF-of:RO
                    sriov-logical-PIF-of:RO tunnel-access-PIF-of:RO tunnel-transport-PIF-of:RO management:RO
                    network-uuid:RO network-name-label:RO host-uuid:RO host-name-label:RO IP-configuration-mode:RO IP:RO
                    netmask:RO gateway:RO IPv6-configuration-mode:RO IPv6:RO IPv6-gateway:RO primary-address-type:RO
                    DNS:RO properties:MRO capabilities:SRO io_read_kbs:RO:E io_write_kbs:RO:E carrier:RO vendor-id:RO
                    vendor-name:RO device-id:RO device-name:RO speed:RO duplex:RO disallow-unplug:RW pci-bus-path:RO
                    other-config:MRW igmp-snooping-status:RO
                    """),
            Map.entry("pool", """
                    uuid:RO name-label:RW name-description:RW master:RO default-SR:RW crash-dump-SR:RW
                    suspend-image-SR:RW supported-sr-types:RO:E other-config:MRW allowed-operations:SRO
                    current-operations:SRO ha-enabled:RO ha-configuration:RO ha-statefiles:RO
                    ha-host-failures-to-tolerate:RW ha-plan-exists-for:RO ha-allow-overcommit:RW ha-overcommitted:RO
                    ha-reboot-vm-on-internal-shutdown:RW blobs:RO wlb-url:RO wlb-username:RO wlb-enabled:RW
                    wlb-verify-cert:RW igmp-snooping-enabled:RW gui-config:MRW health-check-config:MRW
                    vswitch-controller:RO:H restrictions:RO tags:SRW license-state:RO ha-cluster-stack:RO
                    guest-agent-config:MRW cpu_info:MRO policy-no-vendor-device:RW live-patching-disabled:RW
                    uefi-certificates:RW:H custom-uefi-certificates:RW:H tls-verification-enabled:RO
                    client-certificate-auth-enabled:RO client-certificate-auth-name:RO repositories:SRW
                    repository-proxy-url:RO repository-proxy-username:RO https-only:RW migration-compression:RW
                    coordinator-bias:RW telemetry-frequency:RO telemetry-next-collection:RO last-update-sync:RO
                    update-sync-frequency:RO update-sync-day:RO update-sync-enabled:RO
                    auto-update-vm-secureboot-certificates:RW recommendations:MRO ext-auth-cache-enabled:RW
                    ext-auth-cache-size:RW ext-auth-cache-expiry:RW license-server:MRW ssh-enabled:RO
                    ssh-enabled-timeout:RW ssh-expiry:RO console-idle-timeout:RW ssh-auto-mode:RW
                    limit-console-sessions:RW vm-console-idle-timeout:RW
                    """),
            Map.entry("task", """
                    uuid:RO name-label:RO name-description:RO subtask_of:RO subtasks:RO resident-on:RO status:RO
                    progress:RO type:RO result:RO created:RO finished:RO error_info:RO allowed_operations:RO
                    current_operations:RO other-config:MRW
                    """),
            Map.entry("message", """
                    uuid:RO name:RO priority:RO class:RO obj-uuid:RO timestamp:RO body:RO
                    """),
            Map.entry("pbd", """
                    uuid:RO host:RO:D host-uuid:RO host-name-label:RO sr-uuid:RO sr-name-label:RO device-config:MRO
                    currently-attached:RO other-config:MRW
                    """));
}
