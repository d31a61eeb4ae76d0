package org.xapijava.server.bootstrap;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.db.Update;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.HostCpu;
import org.xapijava.model.api.Pool;
import org.xapijava.model.types.Refs;

/**
 * The CPU records of Xapi's {@code create_misc.ml}: {@code create_host_cpu} (every host, at every start: the
 * host's {@code cpu_info} and its {@code host_cpu} objects recreated) and {@code create_pool_cpuinfo} (the pool's
 * summary of its hosts).
 */
public final class HostCpus {
    /** {@code cpu_info} keys read back by {@link #updatePoolCpuInfo}. */
    static final String CPU_COUNT = "cpu_count";

    static final String SOCKET_COUNT = "socket_count";
    static final String VENDOR = "vendor";
    static final String FEATURES_PV_HOST = "features_pv_host";
    static final String FEATURES_HVM_HOST = "features_hvm_host";

    private final StartupContext c;
    private final Db db;

    HostCpus(StartupContext c) {
        this.c = c;
        this.db = c.db;
    }

    /**
     * {@code create_host_cpu}: the host's {@code cpu_info}, and its {@code host_cpu} objects replaced by fresh
     * ones, in one step. Returns them by CPU number.
     */
    List<String> createHostCpus(String host) {
        HostHardware hw = c.settings.hardware();
        String features = c.facts.cpuFeatureset();
        Map<String, String> info = new LinkedHashMap<>();
        info.put(CPU_COUNT, Integer.toString(hw.cpuCount()));
        info.put(SOCKET_COUNT, Integer.toString(hw.socketCount()));
        info.put("threads_per_core", Integer.toString(hw.threadsPerCore()));
        info.put("nr_nodes", Integer.toString(hw.nrNodes()));
        info.put(VENDOR, hw.cpuVendor());
        info.put("speed", hw.cpuSpeedMhz());
        info.put("modelname", hw.cpuModelName());
        info.put("family", hw.cpuFamily());
        info.put("model", hw.cpuModel());
        info.put("stepping", hw.cpuStepping());
        info.put("flags", hw.cpuFlags());
        info.put("features_pv", features);
        info.put("features_hvm", features);
        info.put(FEATURES_HVM_HOST, features);
        info.put(FEATURES_PV_HOST, features);
        Update.Builder u = Update.builder().set(host, Host.CPU_INFO, info);
        for (String old : db.where(HostCpu.HOST, host)) u.delete(HostCpu.XAPI_CLASS, old);
        long family = StartupContext.parseLongOr(hw.cpuFamily());
        long model = StartupContext.parseLongOr(hw.cpuModel());
        List<String> out = new ArrayList<>();
        for (int i = 0; i < hw.cpuCount(); i++) {
            String cpu = Refs.fresh();
            u.create(
                    cpu,
                    FieldValues.of(HostCpu.XAPI_CLASS)
                            .with(HostCpu.UUID, StartupContext.uuid())
                            .with(HostCpu.HOST, host)
                            .with(HostCpu.NUMBER, (long) i)
                            .with(HostCpu.VENDOR, hw.cpuVendor())
                            .with(HostCpu.SPEED, hw.speedMhzTruncated())
                            .with(HostCpu.MODELNAME, hw.cpuModelName())
                            .with(HostCpu.UTILISATION, 0.0)
                            .with(HostCpu.FLAGS, hw.cpuFlags())
                            .with(HostCpu.STEPPING, hw.cpuStepping())
                            .with(HostCpu.MODEL, model)
                            .with(HostCpu.FAMILY, family)
                            .with(HostCpu.FEATURES, "")
                            .with(HostCpu.OTHER_CONFIG, Map.of()));
            out.add(cpu);
        }
        db.apply(u.build());
        return out;
    }

    /**
     * {@code create_pool_cpuinfo}: the vendor, the summed CPU and socket counts and the host featuresets of the
     * hosts that report one.
     */
    void updatePoolCpuInfo(String pool) {
        updatePoolCpuInfo(db, pool);
    }

    /** {@code create_pool_cpuinfo} on {@code db} (also after a host leaves the pool). */
    public static void updatePoolCpuInfo(Db db, String pool) {
        String vendor = "";
        long sockets = 0;
        long cpus = 0;
        String pvHost = "";
        String hvmHost = "";
        for (String h : db.all(Host.XAPI_CLASS)) {
            Map<String, String> ci = db.get(h, Host.CPU_INFO);
            if (!ci.containsKey(FEATURES_PV_HOST)) continue;
            vendor = ci.getOrDefault(VENDOR, vendor);
            cpus += StartupContext.parseLongOr(ci.getOrDefault(CPU_COUNT, "0"));
            sockets += StartupContext.parseLongOr(ci.getOrDefault(SOCKET_COUNT, "0"));
            pvHost = pvHost.isEmpty() ? ci.get(FEATURES_PV_HOST) : pvHost;
            hvmHost = hvmHost.isEmpty() ? ci.getOrDefault(FEATURES_HVM_HOST, "") : hvmHost;
        }
        Map<String, String> info = new LinkedHashMap<>();
        info.put(VENDOR, vendor);
        info.put(SOCKET_COUNT, Long.toString(sockets));
        info.put(CPU_COUNT, Long.toString(cpus));
        info.put(FEATURES_PV_HOST, pvHost);
        info.put(FEATURES_HVM_HOST, hvmHost);
        db.set(pool, Pool.CPU_INFO, info);
    }
}
