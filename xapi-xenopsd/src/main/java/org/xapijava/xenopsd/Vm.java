package org.xapijava.xenopsd;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.xapijava.xenopsd.internal.Rpc;
import org.xapijava.xenopsd.internal.RpcDecodeException;

/**
 * A VM's configuration as xenopsd holds it: {@code Vm.t} ({@code ocaml/xapi-idl/xen/xenops_types.ml}). The
 * component names are the OCaml field names in camel case; on the wire they are the OCaml names. Members with
 * an OCaml default ({@code name}, {@code on_softreboot}, {@code has_vendor_device}) take it when missing.
 * {@code null} stands for {@code None} in the option fields ({@code machineAddressSize}, {@code generationId}).
 * Maps keep their order (they are association lists in OCaml). Immutable.
 *
 * @param id                          the VM's id (xapi uses the VM's uuid)
 * @param ssidref                     {@code int32}
 * @param ty                          {@code builder_info}: HVM, PV, PVinPVH or PVH
 * @param machineAddressSize          {@code int option}
 * @param vcpuMax                     boot-time maximum
 * @param vcpus                       ideal number to use
 * @param generationId                {@code string option}
 */
public record Vm(
        String id,
        String name,
        long ssidref,
        Map<String, String> xsdata,
        Map<String, String> platformdata,
        Map<String, String> biosStrings,
        BuilderInfo ty,
        boolean suppressSpuriousPageFaults,
        Integer machineAddressSize,
        long memoryStaticMax,
        long memoryDynamicMax,
        long memoryDynamicMin,
        int vcpuMax,
        int vcpus,
        SchedulerParams schedulerParams,
        List<Action> onCrash,
        List<Action> onShutdown,
        List<Action> onReboot,
        List<Action> onSoftreboot,
        boolean pciMsitranslate,
        boolean pciPowerMgmt,
        boolean hasVendorDevice,
        String generationId) {

    public Vm {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        xsdata = Rpc.frozen(xsdata);
        platformdata = Rpc.frozen(platformdata);
        biosStrings = Rpc.frozen(biosStrings);
        Objects.requireNonNull(ty, "ty");
        Objects.requireNonNull(schedulerParams, "schedulerParams");
        onCrash = List.copyOf(onCrash);
        onShutdown = List.copyOf(onShutdown);
        onReboot = List.copyOf(onReboot);
        onSoftreboot = List.copyOf(onSoftreboot);
    }

    /** {@code Vm.action}: what to do when the domain crashes, shuts down or reboots. */
    public enum Action {
        Coredump,
        Shutdown,
        Start,
        Pause,
        Softreboot
    }

    /**
     * {@code Vm.scheduler_params}.
     *
     * @param priority {@code (weight, cap)}, or {@code null} for None
     * @param affinity per VCPU, the physical CPUs it may run on
     */
    public record SchedulerParams(Priority priority, List<List<Integer>> affinity) {
        public SchedulerParams {
            List<List<Integer>> a = new ArrayList<>();
            for (List<Integer> l : affinity) a.add(List.copyOf(l));
            affinity = List.copyOf(a);
        }

        /** The credit scheduler's weight and cap. */
        public record Priority(int weight, int cap) {}

        public static final SchedulerParams NONE = new SchedulerParams(null, List.of());

        public Object toRpc() {
            List<Object> aff = new ArrayList<>();
            for (List<Integer> l : affinity) aff.add(Rpc.encodeList(l, i -> (long) i));
            return Rpc.struct()
                    .opt("priority", priority == null ? null : Rpc.tupleOf((long) priority.weight, (long) priority.cap))
                    .put("affinity", aff)
                    .build();
        }

        public static SchedulerParams fromRpc(Object v) {
            Rpc.Fields f = Rpc.fields(v, "scheduler_params");
            Priority p = f.opt("priority", x -> {
                List<?> t = Rpc.tuple(x, 2);
                return new Priority(Rpc.integer(t.get(0)), Rpc.integer(t.get(1)));
            });
            List<List<Integer>> aff = f.req("affinity", x -> Rpc.list(x, y -> Rpc.list(y, Rpc::integer)));
            return new SchedulerParams(p, aff);
        }
    }

    // ------------------------------------------------------------------------------------------- builder_info

    /** {@code Vm.builder_info}: {@code HVM of hvm_info | PV of pv_info | PVinPVH of pv_info | PVH of pv_info}. */
    public sealed interface BuilderInfo permits Hvm, Pv, PvInPvh, Pvh {
        default Object toRpc() {
            return switch (this) {
                case Hvm h -> Rpc.tag("HVM", h.info().toRpc());
                case Pv p -> Rpc.tag("PV", p.info().toRpc());
                case PvInPvh p -> Rpc.tag("PVinPVH", p.info().toRpc());
                case Pvh p -> Rpc.tag("PVH", p.info().toRpc());
            };
        }

        static BuilderInfo fromRpc(Object v) {
            Rpc.Tag t = Rpc.variant(v);
            if (t.is("HVM")) return new Hvm(HvmInfo.fromRpc(t.contents()));
            if (t.is("PV")) return new Pv(PvInfo.fromRpc(t.contents()));
            if (t.is("PVinPVH")) return new PvInPvh(PvInfo.fromRpc(t.contents()));
            if (t.is("PVH")) return new Pvh(PvInfo.fromRpc(t.contents()));
            throw new RpcDecodeException("Unknown tag '" + t.name() + "'");
        }

        /** Whether this is an HVM guest (the simulator's domain {@code hvm} flag). */
        default boolean isHvm() {
            return this instanceof Hvm;
        }
    }

    public record Hvm(HvmInfo info) implements BuilderInfo {
        public Hvm {
            Objects.requireNonNull(info);
        }
    }

    public record Pv(PvInfo info) implements BuilderInfo {
        public Pv {
            Objects.requireNonNull(info);
        }
    }

    public record PvInPvh(PvInfo info) implements BuilderInfo {
        public PvInPvh {
            Objects.requireNonNull(info);
        }
    }

    public record Pvh(PvInfo info) implements BuilderInfo {
        public Pvh {
            Objects.requireNonNull(info);
        }
    }

    /**
     * {@code Vm.hvm_info}. Every member has an OCaml default ({@link #DEFAULT}).
     *
     * @param video       the {@code video_card} tag: {@code Cirrus}, {@code Standard_VGA}, {@code Vgpu} or
     *                    {@code IGD_passthrough} (whose only argument is {@code GVT_d})
     * @param serial      {@code null} for None
     * @param keymap      {@code null} for None
     * @param vncIp       {@code null} for None
     * @param tpmVtpmUuid the uuid of {@code Vtpm uuid}, or {@code null} for None
     */
    public record HvmInfo(
            boolean hap,
            double shadowMultiplier,
            String timeoffset,
            int videoMib,
            String video,
            boolean acpi,
            String serial,
            String keymap,
            String vncIp,
            List<String> pciEmulations,
            boolean pciPassthrough,
            String bootOrder,
            boolean qemuDiskCmdline,
            boolean qemuStubdom,
            Firmware firmware,
            String tpmVtpmUuid) {

        public HvmInfo {
            Objects.requireNonNull(timeoffset);
            Objects.requireNonNull(video);
            pciEmulations = List.copyOf(pciEmulations);
            Objects.requireNonNull(bootOrder);
            Objects.requireNonNull(firmware);
        }

        public static final HvmInfo DEFAULT = new HvmInfo(
                true,
                1.0,
                "",
                4,
                "Cirrus",
                true,
                null,
                null,
                null,
                List.of(),
                false,
                "",
                false,
                false,
                Firmware.BIOS,
                null);

        public HvmInfo withBootOrder(String order) {
            return new HvmInfo(
                    hap,
                    shadowMultiplier,
                    timeoffset,
                    videoMib,
                    video,
                    acpi,
                    serial,
                    keymap,
                    vncIp,
                    pciEmulations,
                    pciPassthrough,
                    order,
                    qemuDiskCmdline,
                    qemuStubdom,
                    firmware,
                    tpmVtpmUuid);
        }

        public Object toRpc() {
            return Rpc.struct()
                    .put("hap", hap)
                    .put("shadow_multiplier", shadowMultiplier)
                    .put("timeoffset", timeoffset)
                    .put("video_mib", (long) videoMib)
                    .put("video", video.equals("IGD_passthrough") ? Rpc.tag("IGD_passthrough", "GVT_d") : video)
                    .put("acpi", acpi)
                    .opt("serial", serial)
                    .opt("keymap", keymap)
                    .opt("vnc_ip", vncIp)
                    .put("pci_emulations", new ArrayList<Object>(pciEmulations))
                    .put("pci_passthrough", pciPassthrough)
                    .put("boot_order", bootOrder)
                    .put("qemu_disk_cmdline", qemuDiskCmdline)
                    .put("qemu_stubdom", qemuStubdom)
                    .put("firmware", firmware.toRpc())
                    .opt("tpm", tpmVtpmUuid == null ? null : Rpc.tag("Vtpm", tpmVtpmUuid))
                    .build();
        }

        public static HvmInfo fromRpc(Object v) {
            Rpc.Fields f = Rpc.fields(v, "hvm_info");
            HvmInfo d = DEFAULT;
            return new HvmInfo(
                    f.def("hap", Rpc::bool, d.hap),
                    f.def("shadow_multiplier", Rpc::float64, d.shadowMultiplier),
                    f.def("timeoffset", Rpc::string, d.timeoffset),
                    f.def("video_mib", Rpc::integer, d.videoMib),
                    // video_card is [@@default Cirrus]: an unknown tag reads as Cirrus
                    f.def("video", HvmInfo::videoOf, d.video),
                    f.def("acpi", Rpc::bool, d.acpi),
                    f.opt("serial", Rpc::string),
                    f.opt("keymap", Rpc::string),
                    f.opt("vnc_ip", Rpc::string),
                    f.def("pci_emulations", x -> Rpc.list(x, Rpc::string), d.pciEmulations),
                    f.def("pci_passthrough", Rpc::bool, d.pciPassthrough),
                    f.def("boot_order", Rpc::string, d.bootOrder),
                    f.def("qemu_disk_cmdline", Rpc::bool, d.qemuDiskCmdline),
                    f.def("qemu_stubdom", Rpc::bool, d.qemuStubdom),
                    f.def("firmware", Firmware::fromRpc, d.firmware),
                    f.opt("tpm", x -> {
                        Rpc.Tag t = Rpc.variant(x);
                        if (!t.is("Vtpm")) throw new RpcDecodeException("Unknown tag '" + t.name() + "'");
                        return Rpc.string(t.contents());
                    }));
        }

        private static String videoOf(Object v) {
            Rpc.Tag t = Rpc.variant(v);
            for (String s : List.of("Cirrus", "Standard_VGA", "Vgpu", "IGD_passthrough")) {
                if (t.is(s)) return s;
            }
            return "Cirrus";
        }
    }

    /**
     * {@code Vm.firmware_type}: {@code Bios | Uefi of Nvram_uefi_variables.t}.
     *
     * @param uefi      whether this is {@code Uefi}
     * @param onBoot    for UEFI, {@code Persist} or {@code Reset} (the NVRAM's {@code on_boot})
     * @param backend   for UEFI, the NVRAM backend (default {@code xapidb})
     */
    public record Firmware(boolean uefi, String onBoot, String backend) {
        public static final Firmware BIOS = new Firmware(false, "Persist", "xapidb");

        public static Firmware uefi(String onBoot, String backend) {
            return new Firmware(true, onBoot, backend);
        }

        public Object toRpc() {
            if (!uefi) return "Bios";
            return Rpc.tag(
                    "Uefi",
                    Rpc.struct().put("on_boot", onBoot).put("backend", backend).build());
        }

        public static Firmware fromRpc(Object v) {
            Rpc.Tag t = Rpc.variant(v);
            if (t.is("Bios")) return BIOS;
            if (t.is("Uefi")) {
                Rpc.Fields f = Rpc.fields(t.contents(), "t");
                String onBoot = f.def(
                        "on_boot",
                        x -> {
                            Rpc.Tag o = Rpc.variant(x);
                            if (o.is("Persist")) return "Persist";
                            if (o.is("Reset")) return "Reset";
                            throw new RpcDecodeException("Unknown tag '" + o.name() + "'");
                        },
                        "Persist");
                return new Firmware(true, onBoot, f.def("backend", Rpc::string, "xapidb"));
            }
            throw new RpcDecodeException("Unknown tag '" + t.name() + "'");
        }
    }

    /**
     * {@code Vm.pv_info}.
     *
     * @param framebufferIp {@code null} for None
     * @param vncTermIp     {@code null} for None
     */
    public record PvInfo(
            PvBoot boot,
            boolean framebuffer,
            String framebufferIp,
            boolean vncterm,
            String vnctermIp,
            boolean pciPassthrough) {
        public PvInfo {
            Objects.requireNonNull(boot);
        }

        public static PvInfo of(PvBoot boot) {
            return new PvInfo(boot, true, null, true, null, false);
        }

        public Object toRpc() {
            return Rpc.struct()
                    .put("boot", boot.toRpc())
                    .put("framebuffer", framebuffer)
                    .opt("framebuffer_ip", framebufferIp)
                    .put("vncterm", vncterm)
                    .opt("vncterm_ip", vnctermIp)
                    .put("pci_passthrough", pciPassthrough)
                    .build();
        }

        public static PvInfo fromRpc(Object v) {
            Rpc.Fields f = Rpc.fields(v, "pv_info");
            return new PvInfo(
                    f.req("boot", PvBoot::fromRpc),
                    f.def("framebuffer", Rpc::bool, true),
                    f.opt("framebuffer_ip", Rpc::string),
                    f.def("vncterm", Rpc::bool, true),
                    f.opt("vncterm_ip", Rpc::string),
                    f.def("pci_passthrough", Rpc::bool, false));
        }
    }

    /** {@code Vm.pv_boot}: {@code Direct of pv_direct_boot | Indirect of pv_indirect_boot}. */
    public sealed interface PvBoot permits Direct, Indirect {
        default Object toRpc() {
            return switch (this) {
                case Direct d ->
                    Rpc.tag(
                            "Direct",
                            Rpc.struct()
                                    .put("kernel", d.kernel())
                                    .put("cmdline", d.cmdline())
                                    .opt("ramdisk", d.ramdisk())
                                    .build());
                case Indirect i ->
                    Rpc.tag(
                            "Indirect",
                            Rpc.struct()
                                    .put("bootloader", i.bootloader())
                                    .put("extra_args", i.extraArgs())
                                    .put("legacy_args", i.legacyArgs())
                                    .put("bootloader_args", i.bootloaderArgs())
                                    .put("devices", Rpc.encodeList(i.devices(), Disk::toRpc))
                                    .build());
            };
        }

        static PvBoot fromRpc(Object v) {
            Rpc.Tag t = Rpc.variant(v);
            if (t.is("Direct")) {
                Rpc.Fields f = Rpc.fields(t.contents(), "pv_direct_boot");
                return new Direct(
                        f.def("kernel", Rpc::string, ""),
                        f.def("cmdline", Rpc::string, ""),
                        f.opt("ramdisk", Rpc::string));
            }
            if (t.is("Indirect")) {
                Rpc.Fields f = Rpc.fields(t.contents(), "pv_indirect_boot");
                return new Indirect(
                        f.def("bootloader", Rpc::string, ""),
                        f.def("extra_args", Rpc::string, ""),
                        f.def("legacy_args", Rpc::string, ""),
                        f.def("bootloader_args", Rpc::string, ""),
                        f.def("devices", x -> Rpc.list(x, Disk::fromRpc), List.of()));
            }
            throw new RpcDecodeException("Unknown tag '" + t.name() + "'");
        }
    }

    /** {@code Vm.pv_direct_boot}; {@code ramdisk} is {@code null} for None. */
    public record Direct(String kernel, String cmdline, String ramdisk) implements PvBoot {
        public Direct {
            Objects.requireNonNull(kernel);
            Objects.requireNonNull(cmdline);
        }
    }

    /** {@code Vm.pv_indirect_boot}. */
    public record Indirect(
            String bootloader, String extraArgs, String legacyArgs, String bootloaderArgs, List<Disk> devices)
            implements PvBoot {
        public Indirect {
            Objects.requireNonNull(bootloader);
            Objects.requireNonNull(extraArgs);
            Objects.requireNonNull(legacyArgs);
            Objects.requireNonNull(bootloaderArgs);
            devices = List.copyOf(devices);
        }
    }

    // ------------------------------------------------------------------------------------------- codec

    public Object toRpc() {
        return Rpc.struct()
                .put("id", id)
                .put("name", name)
                .put("ssidref", ssidref)
                .put("xsdata", Rpc.encodeStringMap(xsdata))
                .put("platformdata", Rpc.encodeStringMap(platformdata))
                .put("bios_strings", Rpc.encodeStringMap(biosStrings))
                .put("ty", ty.toRpc())
                .put("suppress_spurious_page_faults", suppressSpuriousPageFaults)
                .opt("machine_address_size", machineAddressSize == null ? null : (long) (int) machineAddressSize)
                .put("memory_static_max", memoryStaticMax)
                .put("memory_dynamic_max", memoryDynamicMax)
                .put("memory_dynamic_min", memoryDynamicMin)
                .put("vcpu_max", (long) vcpuMax)
                .put("vcpus", (long) vcpus)
                .put("scheduler_params", schedulerParams.toRpc())
                .put("on_crash", actions(onCrash))
                .put("on_shutdown", actions(onShutdown))
                .put("on_reboot", actions(onReboot))
                .put("on_softreboot", actions(onSoftreboot))
                .put("pci_msitranslate", pciMsitranslate)
                .put("pci_power_mgmt", pciPowerMgmt)
                .put("has_vendor_device", hasVendorDevice)
                .opt("generation_id", generationId)
                .build();
    }

    private static List<Object> actions(List<Action> as) {
        return Rpc.encodeList(as, Action::name);
    }

    private static List<Action> actionsOf(Object v) {
        return Rpc.list(v, x -> Rpc.enumTag(x, Action.class));
    }

    public static Vm fromRpc(Object v) {
        Rpc.Fields f = Rpc.fields(v, "t");
        return new Vm(
                f.req("id", Rpc::string),
                f.def("name", Rpc::string, "unnamed"),
                f.req("ssidref", Rpc::int64),
                f.req("xsdata", Rpc::stringMap),
                f.req("platformdata", Rpc::stringMap),
                f.req("bios_strings", Rpc::stringMap),
                f.req("ty", BuilderInfo::fromRpc),
                f.req("suppress_spurious_page_faults", Rpc::bool),
                f.opt("machine_address_size", Rpc::integer),
                f.req("memory_static_max", Rpc::int64),
                f.req("memory_dynamic_max", Rpc::int64),
                f.req("memory_dynamic_min", Rpc::int64),
                f.req("vcpu_max", Rpc::integer),
                f.req("vcpus", Rpc::integer),
                f.req("scheduler_params", SchedulerParams::fromRpc),
                f.req("on_crash", Vm::actionsOf),
                f.req("on_shutdown", Vm::actionsOf),
                f.req("on_reboot", Vm::actionsOf),
                f.def("on_softreboot", Vm::actionsOf, List.of(Action.Softreboot)),
                f.req("pci_msitranslate", Rpc::bool),
                f.req("pci_power_mgmt", Rpc::bool),
                f.def("has_vendor_device", Rpc::bool, false),
                f.opt("generation_id", Rpc::string));
    }

    // ------------------------------------------------------------------------------------------- builder

    /** A builder starting from values a plain HVM guest would have; every setter returns the builder. */
    public static Builder builder(String id) {
        return new Builder(id);
    }

    /** A builder holding this VM's values. */
    public Builder toBuilder() {
        Builder b = new Builder(id);
        b.name = name;
        b.ssidref = ssidref;
        b.xsdata = new LinkedHashMap<>(xsdata);
        b.platformdata = new LinkedHashMap<>(platformdata);
        b.biosStrings = new LinkedHashMap<>(biosStrings);
        b.ty = ty;
        b.suppressSpuriousPageFaults = suppressSpuriousPageFaults;
        b.machineAddressSize = machineAddressSize;
        b.memoryStaticMax = memoryStaticMax;
        b.memoryDynamicMax = memoryDynamicMax;
        b.memoryDynamicMin = memoryDynamicMin;
        b.vcpuMax = vcpuMax;
        b.vcpus = vcpus;
        b.schedulerParams = schedulerParams;
        b.onCrash = onCrash;
        b.onShutdown = onShutdown;
        b.onReboot = onReboot;
        b.onSoftreboot = onSoftreboot;
        b.pciMsitranslate = pciMsitranslate;
        b.pciPowerMgmt = pciPowerMgmt;
        b.hasVendorDevice = hasVendorDevice;
        b.generationId = generationId;
        return b;
    }

    /** Mutable, not thread-safe. */
    public static final class Builder {
        private final String id;
        private String name = "unnamed";
        private long ssidref;
        private Map<String, String> xsdata = new LinkedHashMap<>();
        private Map<String, String> platformdata = new LinkedHashMap<>();
        private Map<String, String> biosStrings = new LinkedHashMap<>();
        private BuilderInfo ty = new Hvm(HvmInfo.DEFAULT);
        private boolean suppressSpuriousPageFaults;
        private Integer machineAddressSize;
        private long memoryStaticMax = 256L << 20;
        private long memoryDynamicMax = 256L << 20;
        private long memoryDynamicMin = 256L << 20;
        private int vcpuMax = 1;
        private int vcpus = 1;
        private SchedulerParams schedulerParams = SchedulerParams.NONE;
        private List<Action> onCrash = List.of(Action.Shutdown);
        private List<Action> onShutdown = List.of(Action.Shutdown);
        private List<Action> onReboot = List.of(Action.Start);
        private List<Action> onSoftreboot = List.of(Action.Softreboot);
        private boolean pciMsitranslate = true;
        private boolean pciPowerMgmt;
        private boolean hasVendorDevice;
        private String generationId;

        private Builder(String id) {
            this.id = Objects.requireNonNull(id);
        }

        public Builder name(String v) {
            name = v;
            return this;
        }

        public Builder ssidref(long v) {
            ssidref = v;
            return this;
        }

        public Builder xsdata(Map<String, String> v) {
            xsdata = v;
            return this;
        }

        public Builder platformdata(Map<String, String> v) {
            platformdata = v;
            return this;
        }

        public Builder biosStrings(Map<String, String> v) {
            biosStrings = v;
            return this;
        }

        public Builder ty(BuilderInfo v) {
            ty = v;
            return this;
        }

        public Builder suppressSpuriousPageFaults(boolean v) {
            suppressSpuriousPageFaults = v;
            return this;
        }

        public Builder machineAddressSize(Integer v) {
            machineAddressSize = v;
            return this;
        }

        public Builder memoryStaticMax(long v) {
            memoryStaticMax = v;
            return this;
        }

        public Builder memoryDynamicMax(long v) {
            memoryDynamicMax = v;
            return this;
        }

        public Builder memoryDynamicMin(long v) {
            memoryDynamicMin = v;
            return this;
        }
        /** Sets static max, dynamic max and dynamic min to the same number of bytes. */
        public Builder memory(long bytes) {
            memoryStaticMax = memoryDynamicMax = memoryDynamicMin = bytes;
            return this;
        }

        public Builder vcpuMax(int v) {
            vcpuMax = v;
            return this;
        }

        public Builder vcpus(int v) {
            vcpus = v;
            return this;
        }

        public Builder schedulerParams(SchedulerParams v) {
            schedulerParams = v;
            return this;
        }

        public Builder onCrash(List<Action> v) {
            onCrash = v;
            return this;
        }

        public Builder onShutdown(List<Action> v) {
            onShutdown = v;
            return this;
        }

        public Builder onReboot(List<Action> v) {
            onReboot = v;
            return this;
        }

        public Builder onSoftreboot(List<Action> v) {
            onSoftreboot = v;
            return this;
        }

        public Builder pciMsitranslate(boolean v) {
            pciMsitranslate = v;
            return this;
        }

        public Builder pciPowerMgmt(boolean v) {
            pciPowerMgmt = v;
            return this;
        }

        public Builder hasVendorDevice(boolean v) {
            hasVendorDevice = v;
            return this;
        }

        public Builder generationId(String v) {
            generationId = v;
            return this;
        }

        public Vm build() {
            return new Vm(
                    id,
                    name,
                    ssidref,
                    xsdata,
                    platformdata,
                    biosStrings,
                    ty,
                    suppressSpuriousPageFaults,
                    machineAddressSize,
                    memoryStaticMax,
                    memoryDynamicMax,
                    memoryDynamicMin,
                    vcpuMax,
                    vcpus,
                    schedulerParams,
                    onCrash,
                    onShutdown,
                    onReboot,
                    onSoftreboot,
                    pciMsitranslate,
                    pciPowerMgmt,
                    hasVendorDevice,
                    generationId);
        }
    }
}
