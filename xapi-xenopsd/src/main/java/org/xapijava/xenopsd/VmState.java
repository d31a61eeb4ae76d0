package org.xapijava.xenopsd;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.xapijava.xenopsd.internal.Rpc;

/**
 * The live state of a VM as xenopsd reports it in {@code VM.stat}: {@code Vm.state}
 * ({@code ocaml/xapi-idl/xen/xenops_types.ml}). Every member is required on the wire. Immutable.
 *
 * @param domids         the VM's domain ids (empty when Halted)
 * @param vcpuTarget     actual number of vcpus
 * @param numaNodeMemory per NUMA node, the bytes it holds ({@code (int * int64) list})
 */
public record VmState(
        PowerState powerState,
        List<Integer> domids,
        List<Console> consoles,
        long memoryTarget,
        long memoryActual,
        long memoryLimit,
        int vcpuTarget,
        double shadowMultiplierTarget,
        String rtcTimeoffset,
        boolean uncooperativeBalloonDriver,
        Map<String, String> guestAgent,
        Map<String, String> xsdataState,
        boolean pvDriversDetected,
        double lastStartTime,
        boolean hvm,
        boolean nomigrate,
        boolean nestedVirt,
        DomainType domainType,
        String featureset,
        boolean numaOptimised,
        int numaNodes,
        List<NodeMemory> numaNodeMemory) {

    public VmState {
        Objects.requireNonNull(powerState);
        domids = List.copyOf(domids);
        consoles = List.copyOf(consoles);
        Objects.requireNonNull(rtcTimeoffset);
        guestAgent = Rpc.frozen(guestAgent);
        xsdataState = Rpc.frozen(xsdataState);
        Objects.requireNonNull(domainType);
        Objects.requireNonNull(featureset);
        numaNodeMemory = List.copyOf(numaNodeMemory);
    }

    /** {@code Vm.console_protocol}. */
    public enum ConsoleProtocol {
        Rfb,
        Vt100
    }

    /** {@code Vm.console}. */
    public record Console(ConsoleProtocol protocol, int port, String path) {
        public Object toRpc() {
            return Rpc.struct()
                    .put("protocol", protocol.name())
                    .put("port", (long) port)
                    .put("path", path)
                    .build();
        }

        public static Console fromRpc(Object v) {
            Rpc.Fields f = Rpc.fields(v, "console");
            return new Console(
                    f.req("protocol", x -> Rpc.enumTag(x, ConsoleProtocol.class)),
                    f.req("port", Rpc::integer),
                    f.req("path", Rpc::string));
        }
    }

    /** {@code Vm.domain_type}. */
    public enum DomainType {
        Domain_HVM,
        Domain_PV,
        Domain_PVinPVH,
        Domain_PVH,
        Domain_undefined
    }

    /** One {@code (node, bytes)} pair of {@code numa_node_memory}. */
    public record NodeMemory(int node, long bytes) {}

    /** The state of a VM that has no domain ({@code halted_vm} of {@code ocaml/xenopsd/lib/xenops_utils.ml}). */
    public static VmState halted() {
        return new VmState(
                PowerState.Halted,
                List.of(),
                List.of(),
                0,
                0,
                0,
                0,
                1.0,
                "",
                false,
                Map.of(),
                Map.of(),
                false,
                0.0,
                false,
                false,
                false,
                DomainType.Domain_undefined,
                "",
                false,
                0,
                List.of());
    }

    public Object toRpc() {
        return Rpc.struct()
                .put("power_state", powerState.toRpc())
                .put("domids", Rpc.encodeList(domids, i -> (long) i))
                .put("consoles", Rpc.encodeList(consoles, Console::toRpc))
                .put("memory_target", memoryTarget)
                .put("memory_actual", memoryActual)
                .put("memory_limit", memoryLimit)
                .put("vcpu_target", (long) vcpuTarget)
                .put("shadow_multiplier_target", shadowMultiplierTarget)
                .put("rtc_timeoffset", rtcTimeoffset)
                .put("uncooperative_balloon_driver", uncooperativeBalloonDriver)
                .put("guest_agent", Rpc.encodeStringMap(guestAgent))
                .put("xsdata_state", Rpc.encodeStringMap(xsdataState))
                .put("pv_drivers_detected", pvDriversDetected)
                .put("last_start_time", lastStartTime)
                .put("hvm", hvm)
                .put("nomigrate", nomigrate)
                .put("nested_virt", nestedVirt)
                .put("domain_type", domainType.name())
                .put("featureset", featureset)
                .put("numa_optimised", numaOptimised)
                .put("numa_nodes", (long) numaNodes)
                .put("numa_node_memory", Rpc.encodeList(numaNodeMemory, n -> Rpc.tupleOf((long) n.node, n.bytes)))
                .build();
    }

    public static VmState fromRpc(Object v) {
        Rpc.Fields f = Rpc.fields(v, "state");
        return new VmState(
                f.req("power_state", PowerState::fromRpc),
                f.req("domids", x -> Rpc.list(x, Rpc::integer)),
                f.req("consoles", x -> Rpc.list(x, Console::fromRpc)),
                f.req("memory_target", Rpc::int64),
                f.req("memory_actual", Rpc::int64),
                f.req("memory_limit", Rpc::int64),
                f.req("vcpu_target", Rpc::integer),
                f.req("shadow_multiplier_target", Rpc::float64),
                f.req("rtc_timeoffset", Rpc::string),
                f.req("uncooperative_balloon_driver", Rpc::bool),
                f.req("guest_agent", Rpc::stringMap),
                f.req("xsdata_state", Rpc::stringMap),
                f.req("pv_drivers_detected", Rpc::bool),
                f.req("last_start_time", Rpc::float64),
                f.req("hvm", Rpc::bool),
                f.req("nomigrate", Rpc::bool),
                f.req("nested_virt", Rpc::bool),
                f.req("domain_type", x -> Rpc.enumTag(x, DomainType.class)),
                f.req("featureset", Rpc::string),
                f.req("numa_optimised", Rpc::bool),
                f.req("numa_nodes", Rpc::integer),
                f.req(
                        "numa_node_memory",
                        x -> Rpc.list(x, y -> {
                            List<?> t = Rpc.tuple(y, 2);
                            return new NodeMemory(Rpc.integer(t.get(0)), Rpc.int64(t.get(1)));
                        })));
    }
}
