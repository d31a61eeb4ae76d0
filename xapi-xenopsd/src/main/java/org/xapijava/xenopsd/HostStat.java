package org.xapijava.xenopsd;

import org.xapijava.xenopsd.internal.Rpc;

/**
 * The answer of {@code HOST.stat}: {@code Host.t} ({@code ocaml/xapi-idl/xen/xenops_interface.ml}). The CPU
 * policies ({@code CPU_policy.t}) are strings on the wire.
 */
public record HostStat(CpuInfo cpuInfo, Hypervisor hypervisor, ChipsetInfo chipsetInfo) {

    /** {@code Host.cpu_info}. */
    public record CpuInfo(
            int cpuCount,
            int socketCount,
            int threadsPerCore,
            int nrNodes,
            String vendor,
            String speed,
            String modelname,
            String family,
            String model,
            String stepping,
            String flags,
            String features,
            String featuresPv,
            String featuresHvm,
            String featuresPvHost,
            String featuresHvmHost) {
        public Object toRpc() {
            return Rpc.struct()
                    .put("cpu_count", (long) cpuCount)
                    .put("socket_count", (long) socketCount)
                    .put("threads_per_core", (long) threadsPerCore)
                    .put("nr_nodes", (long) nrNodes)
                    .put("vendor", vendor)
                    .put("speed", speed)
                    .put("modelname", modelname)
                    .put("family", family)
                    .put("model", model)
                    .put("stepping", stepping)
                    .put("flags", flags)
                    .put("features", features)
                    .put("features_pv", featuresPv)
                    .put("features_hvm", featuresHvm)
                    .put("features_pv_host", featuresPvHost)
                    .put("features_hvm_host", featuresHvmHost)
                    .build();
        }

        public static CpuInfo fromRpc(Object v) {
            Rpc.Fields f = Rpc.fields(v, "cpu_info");
            return new CpuInfo(
                    f.req("cpu_count", Rpc::integer),
                    f.req("socket_count", Rpc::integer),
                    f.req("threads_per_core", Rpc::integer),
                    f.req("nr_nodes", Rpc::integer),
                    f.req("vendor", Rpc::string),
                    f.req("speed", Rpc::string),
                    f.req("modelname", Rpc::string),
                    f.req("family", Rpc::string),
                    f.req("model", Rpc::string),
                    f.req("stepping", Rpc::string),
                    f.req("flags", Rpc::string),
                    f.req("features", Rpc::string),
                    f.req("features_pv", Rpc::string),
                    f.req("features_hvm", Rpc::string),
                    f.req("features_pv_host", Rpc::string),
                    f.req("features_hvm_host", Rpc::string));
        }
    }

    /** {@code Host.hypervisor}. */
    public record Hypervisor(String version, String capabilities) {
        public Object toRpc() {
            return Rpc.struct()
                    .put("version", version)
                    .put("capabilities", capabilities)
                    .build();
        }

        public static Hypervisor fromRpc(Object v) {
            Rpc.Fields f = Rpc.fields(v, "hypervisor");
            return new Hypervisor(f.req("version", Rpc::string), f.req("capabilities", Rpc::string));
        }
    }

    /** {@code Host.chipset_info}. */
    public record ChipsetInfo(boolean iommu, boolean hvm) {
        public Object toRpc() {
            return Rpc.struct().put("iommu", iommu).put("hvm", hvm).build();
        }

        public static ChipsetInfo fromRpc(Object v) {
            Rpc.Fields f = Rpc.fields(v, "chipset_info");
            return new ChipsetInfo(f.req("iommu", Rpc::bool), f.req("hvm", Rpc::bool));
        }
    }

    public Object toRpc() {
        return Rpc.struct()
                .put("cpu_info", cpuInfo.toRpc())
                .put("hypervisor", hypervisor.toRpc())
                .put("chipset_info", chipsetInfo.toRpc())
                .build();
    }

    public static HostStat fromRpc(Object v) {
        Rpc.Fields f = Rpc.fields(v, "t");
        return new HostStat(
                f.req("cpu_info", CpuInfo::fromRpc),
                f.req("hypervisor", Hypervisor::fromRpc),
                f.req("chipset_info", ChipsetInfo::fromRpc));
    }
}
