package org.xapijava.server.rrd;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.PIF;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VIF;
import org.xapijava.model.api.VM;
import org.xapijava.xenopsd.PowerState;
import org.xapijava.xenopsd.VmStat;
import org.xapijava.xenopsd.VmState;
import org.xapijava.xenopsd.Xenops;

/**
 * One sample of this host and its running VMs, with Xapi's data source names ({@code rrdp-cpu}, {@code
 * rrdp-squeezed}, {@code rrdp-netdev}, {@code rrdp-iostat}): the domains are xenopsd's ({@code VM.list}: the VMs
 * running here, their vCPUs, memory, start time and guest agent), the host's CPUs and memory xenopsd's ({@code
 * HOST.stat}, {@code HOST.get_total_memory_mib}), the devices the database's (attached VIFs and VBDs, the host's
 * PIFs); the counters a real host reads from the hypervisor are the simulated guests' ({@link GuestActivity}). The
 * host's counters (idle time per CPU, bytes per PIF) accumulate here from the VMs' rates. Used by one thread at a
 * time (the sampler's).
 */
public final class DomainReadings {
    /** dom0's own share of each CPU. */
    private static final double DOM0_BUSY = 0.03;
    /** Bytes per second a PIF carries beyond its VMs' (management traffic). */
    private static final double PIF_BACKGROUND = 2_000;

    private final Xenops xenops;
    private final Db data;
    private final String hostRef;
    private int cpus = -1;
    private double[] idle;
    private final Map<String, double[]> pifBytes = new HashMap<>(); // device → {rx, tx}
    private double previous = Double.NaN;

    public DomainReadings(Xenops xenops, Db data, String hostRef) {
        this.xenops = xenops;
        this.data = data;
        this.hostRef = hostRef;
    }

    /** The host's sources and the running VMs' at {@code now} (seconds since the epoch). */
    public Sample read(double now) {
        String dbg = "rrdd monitor";
        if (cpus < 0) {
            cpus = Math.max(1, xenops.hostStat(dbg).cpuInfo().cpuCount());
            idle = new double[cpus];
        }
        double dt = Double.isNaN(previous) ? 0 : Math.max(0, now - previous);
        previous = now;
        List<Rrds.VmSample> vms = new ArrayList<>();
        double vcpuLoad = 0;
        long vmMemory = 0;
        Map<String, double[]> networkRates = new HashMap<>(); // network ref → {rx, tx}
        Map<String, double[]> srMib = new HashMap<>(); // SR ref → {read, written} MiB since the previous sample
        for (VmStat v : xenops.vmList(dbg)) {
            VmState s = v.state();
            if (s.powerState() != PowerState.Running && s.powerState() != PowerState.Paused) continue;
            if (s.domids().isEmpty()) continue;
            String uuid = v.vm().id();
            String ref = data.findByUuid(VM.XAPI_CLASS, uuid).orElse(null);
            if (ref == null) continue;
            double t = now - s.lastStartTime();
            List<DataSource> dss = new ArrayList<>();
            for (int i = 0; i < s.vcpuTarget(); i++) {
                dss.add(DataSource.cpu("cpu" + i, "CPU" + i + " usage", GuestActivity.cpuSeconds(uuid, i, t), false));
                vcpuLoad += GuestActivity.cpuRate(uuid, i, t);
            }
            vmMemory += s.memoryActual();
            if (s.powerState() == PowerState.Running) { // CA-34383: no memory readings of a paused domain
                dss.add(DataSource.gauge("memory", "Memory currently allocated to VM", "B", s.memoryActual(), true));
                dss.add(DataSource.gauge("memory_target", "Target of VM balloon driver", "B", s.memoryTarget(), true));
                if (s.pvDriversDetected()) {
                    long free = GuestActivity.freeKib(uuid, s.memoryActual() / 1024, t);
                    dss.add(DataSource.gauge(
                            "memory_internal_free", "Memory used as reported by the guest agent", "KiB", free, true));
                }
            }
            for (String vif : data.get(ref, VM.VIFS)) {
                if (!data.exists(VIF.XAPI_CLASS, vif) || !data.get(vif, VIF.CURRENTLY_ATTACHED)) continue;
                String n = data.get(vif, VIF.DEVICE);
                String what = "Bytes per second %s on virtual interface number '" + n + "'";
                dss.add(DataSource.bytes(
                        "vif_" + n + "_rx", what.formatted("received"), GuestActivity.vifRxBytes(uuid, n, t)));
                dss.add(DataSource.bytes(
                        "vif_" + n + "_tx", what.formatted("transmitted"), GuestActivity.vifTxBytes(uuid, n, t)));
                double[] r = GuestActivity.vifRates(uuid, n, t);
                double[] sum = networkRates.computeIfAbsent(data.get(vif, VIF.NETWORK), k -> new double[2]);
                sum[0] += r[0];
                sum[1] += r[1];
            }
            for (String vbd : data.get(ref, VM.VBDS)) {
                if (!data.exists(VBD.XAPI_CLASS, vbd) || !data.get(vbd, VBD.CURRENTLY_ATTACHED)) continue;
                if (!"Disk".equals(data.get(vbd, VBD.TYPE))) continue;
                String dev = data.get(vbd, VBD.DEVICE);
                if (dev.isEmpty()) continue;
                dss.add(DataSource.bytes(
                        "vbd_" + dev + "_read",
                        "Reads from device " + dev + ", in B/s",
                        GuestActivity.vbdReadBytes(uuid, dev, t)));
                dss.add(DataSource.bytes(
                        "vbd_" + dev + "_write",
                        "Writes from device " + dev + ", in B/s",
                        GuestActivity.vbdWriteBytes(uuid, dev, t)));
                String vdi = data.get(vbd, VBD.VDI);
                if (dt > 0 && data.exists(VDI.XAPI_CLASS, vdi)) {
                    double[] mib = srMib.computeIfAbsent(data.get(vdi, VDI.SR), k -> new double[2]);
                    double before = Math.max(0, t - dt);
                    mib[0] += (GuestActivity.vbdReadBytes(uuid, dev, t) - GuestActivity.vbdReadBytes(uuid, dev, before))
                            / MIB;
                    mib[1] +=
                            (GuestActivity.vbdWriteBytes(uuid, dev, t) - GuestActivity.vbdWriteBytes(uuid, dev, before))
                                    / MIB;
                }
            }
            vms.add(new Rrds.VmSample(uuid, s.domids().getFirst(), dss));
        }
        List<DataSource> host = hostSources(now, dt, vcpuLoad, vmMemory, networkRates);
        List<Rrds.SrSample> srs = new ArrayList<>();
        for (String pbd : data.get(hostRef, Host.PBDS)) {
            if (!data.exists(PBD.XAPI_CLASS, pbd) || !data.get(pbd, PBD.CURRENTLY_ATTACHED)) continue;
            String sr = data.get(pbd, PBD.SR);
            if (!data.exists(SR.XAPI_CLASS, sr)) continue;
            String srUuid = data.get(sr, SR.UUID);
            double[] mib = srMib.getOrDefault(sr, new double[2]);
            // rrdp-iostat: the SR's sums go into the host's RRD, suffixed by the SR uuid's first 8 characters
            host.addAll(srSources(srUuid.substring(0, Math.min(8, srUuid.length())), mib));
            srs.add(new Rrds.SrSample(srUuid, srSources(null, mib)));
        }
        return new Sample(host, vms, srs);
    }

    /** One MiB, the unit of the SR throughputs. */
    private static final double MIB = 1024.0 * 1024.0;

    /**
     * rrdp-iostat's SR throughputs ({@code io_throughput_read}, {@code _write}, {@code _total}: ABSOLUTE, the MiB
     * moved since the previous sample), named {@code <name>_<suffix>} when {@code suffix} is given.
     */
    private static List<DataSource> srSources(String suffix, double[] mib) {
        String[][] specs = {
            {"io_throughput_read", "Data read from the SR, in MiB/s"},
            {"io_throughput_write", "Data written to the SR, in MiB/s"},
            {"io_throughput_total", "All SR I/O, in MiB/s"}
        };
        double[] values = {mib[0], mib[1], mib[0] + mib[1]};
        List<DataSource> out = new ArrayList<>(3);
        for (int i = 0; i < specs.length; i++) {
            String name = suffix == null ? specs[i][0] : specs[i][0] + "_" + suffix;
            out.add(new DataSource(
                    name,
                    specs[i][1],
                    DsType.ABSOLUTE,
                    "MiB/s",
                    0.0,
                    Double.POSITIVE_INFINITY,
                    true,
                    false,
                    values[i],
                    false));
        }
        return out;
    }

    /** The host's CPUs (idle time, read inverted as Xapi does), load, memory and PIFs. */
    private List<DataSource> hostSources(
            double now, double dt, double vcpuLoad, long vmMemory, Map<String, double[]> networkRates) {
        List<DataSource> dss = new ArrayList<>();
        double idleSum = 0;
        for (int i = 0; i < cpus; i++) {
            double busy = Math.min(1.0, DOM0_BUSY * (1 + 0.5 * Math.sin(now / 13.0 + i)) + vcpuLoad / cpus);
            idle[i] += (1 - busy) * dt;
            idleSum += idle[i];
            dss.add(DataSource.cpu("cpu" + i, "Physical cpu usage for cpu " + i, idle[i], true));
        }
        dss.add(DataSource.cpu("cpu_avg", "Average physical cpu usage", idleSum / cpus, true));
        dss.add(new DataSource(
                "loadavg",
                "Domain0 loadavg",
                DsType.GAUGE,
                "(fraction)",
                Double.NEGATIVE_INFINITY,
                Double.POSITIVE_INFINITY,
                true,
                false,
                0.05 + vcpuLoad + 0.02 * Math.sin(now / 29.0),
                false));
        long totalKib = xenops.hostTotalMemoryMib("rrdd monitor") * 1024;
        String dom0 = data.get(hostRef, Host.CONTROL_DOMAIN);
        long dom0Bytes = data.exists(VM.XAPI_CLASS, dom0) ? data.get(dom0, VM.MEMORY_TARGET) : 0;
        long freeKib = Math.max(0, totalKib - (vmMemory + dom0Bytes) / 1024);
        dss.add(DataSource.gauge("memory_total_kib", "Total amount of memory in the host", "KiB", totalKib, true));
        dss.add(DataSource.gauge("memory_free_kib", "Total amount of free memory", "KiB", freeKib, true));
        long aggrRx = 0;
        long aggrTx = 0;
        for (String pif : data.get(hostRef, Host.PIFS)) {
            if (!data.exists(PIF.XAPI_CLASS, pif)) continue;
            String dev = data.get(pif, PIF.DEVICE);
            if (dev.isEmpty()) continue;
            double[] vifs = networkRates.getOrDefault(data.get(pif, PIF.NETWORK), new double[2]);
            double[] bytes = pifBytes.computeIfAbsent(dev, k -> new double[2]);
            bytes[0] += (PIF_BACKGROUND + vifs[0]) * dt; // what the guests receive comes in through the PIF
            bytes[1] += (PIF_BACKGROUND / 2 + vifs[1]) * dt;
            aggrRx += (long) bytes[0];
            aggrTx += (long) bytes[1];
            dss.add(DataSource.bytes(
                    "pif_" + dev + "_rx", "Bytes per second received on physical interface " + dev, (long) bytes[0]));
            dss.add(DataSource.bytes(
                    "pif_" + dev + "_tx", "Bytes per second sent on physical interface " + dev, (long) bytes[1]));
        }
        dss.add(DataSource.bytes("pif_aggr_rx", "Bytes per second received on all physical interfaces", aggrRx));
        dss.add(DataSource.bytes("pif_aggr_tx", "Bytes per second sent on all physical interfaces", aggrTx));
        return dss;
    }

    /** One sample: the host's sources, each running VM's and each plugged SR's. */
    public record Sample(List<DataSource> host, List<Rrds.VmSample> vms, List<Rrds.SrSample> srs) {

        public Sample(List<DataSource> host, List<Rrds.VmSample> vms) {
            this(host, vms, List.of());
        }
    }
}
