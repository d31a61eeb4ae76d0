package org.xapijava.server.rrd;

/**
 * What a simulated guest does, as the counters a real host reads from the hypervisor and dom0 (xenctrl's CPU time
 * per vCPU, netback's bytes per VIF, blktap's bytes per VBD, the guest agent's free memory): deterministic functions
 * of the VM's uuid and the seconds since its domain started, so that they survive a restart of xapi and differ from
 * one VM to another. Each rate is a base level of the VM's own, moved by two slow waves of its own periods and
 * phases (never below 15 % of the base); each counter is the exact integral of its rate, so the rates the RRDs
 * derive from two readings are the rates the guest had. Stateless and thread-safe.
 */
public final class GuestActivity {
    private GuestActivity() {}

    /** A rate {@code base * (1 + a1 sin(2πt/p1 + f1) + a2 sin(2πt/p2 + f2))} and its integral. */
    record Wave(double base, double a1, double p1, double f1, double a2, double p2, double f2) {
        /** From a seed: base between {@code lo} and {@code hi}, slow and quicker waves. */
        static Wave of(long seed, double lo, double hi) {
            long s = mix(seed);
            double base = lo + (hi - lo) * unit(s);
            s = mix(s);
            double p1 = 40 + 80 * unit(s);
            s = mix(s);
            double f1 = 2 * Math.PI * unit(s);
            s = mix(s);
            double p2 = 7 + 10 * unit(s);
            s = mix(s);
            double f2 = 2 * Math.PI * unit(s);
            return new Wave(base, 0.6, p1, f1, 0.25, p2, f2);
        }

        double rate(double t) {
            return base * (1 + a1 * Math.sin(2 * Math.PI * t / p1 + f1) + a2 * Math.sin(2 * Math.PI * t / p2 + f2));
        }

        /** The integral of the rate from 0 to {@code t}. */
        double total(double t) {
            double w1 = a1 * p1 / (2 * Math.PI) * (Math.cos(f1) - Math.cos(2 * Math.PI * t / p1 + f1));
            double w2 = a2 * p2 / (2 * Math.PI) * (Math.cos(f2) - Math.cos(2 * Math.PI * t / p2 + f2));
            return base * (t + w1 + w2);
        }
    }

    /** splitmix64's finaliser. */
    static long mix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A number in [0, 1) from a mixed seed. */
    static double unit(long s) {
        return (s >>> 11) * 0x1.0p-53;
    }

    static long seed(String uuid, String what) {
        return mix(uuid.hashCode() * 31L + what.hashCode());
    }

    /** A vCPU's busy fraction: between 5 % and 35 % on average. */
    static Wave vcpu(String uuid, int vcpu) {
        return Wave.of(seed(uuid, "cpu" + vcpu), 0.05, 0.35);
    }

    /** Seconds vCPU {@code vcpu} has run since the domain started {@code t} seconds ago. */
    public static double cpuSeconds(String uuid, int vcpu, double t) {
        return vcpu(uuid, vcpu).total(Math.max(t, 0));
    }

    /** The vCPU's busy fraction now. */
    public static double cpuRate(String uuid, int vcpu, double t) {
        return vcpu(uuid, vcpu).rate(Math.max(t, 0));
    }

    /** Bytes the guest received on VIF {@code device} (20 to 400 KB/s on average). */
    public static long vifRxBytes(String uuid, String device, double t) {
        return (long) Wave.of(seed(uuid, "vif-rx" + device), 20e3, 400e3).total(Math.max(t, 0));
    }

    /** Bytes the guest sent on VIF {@code device} (5 to 200 KB/s on average). */
    public static long vifTxBytes(String uuid, String device, double t) {
        return (long) Wave.of(seed(uuid, "vif-tx" + device), 5e3, 200e3).total(Math.max(t, 0));
    }

    /** The rates of the VIF now, received and sent, in B/s. */
    public static double[] vifRates(String uuid, String device, double t) {
        double u = Math.max(t, 0);
        return new double[] {
            Wave.of(seed(uuid, "vif-rx" + device), 20e3, 400e3).rate(u),
            Wave.of(seed(uuid, "vif-tx" + device), 5e3, 200e3).rate(u)
        };
    }

    /** Bytes read from disk {@code device} (50 KB/s to 2 MB/s on average). */
    public static long vbdReadBytes(String uuid, String device, double t) {
        return (long) Wave.of(seed(uuid, "vbd-read" + device), 50e3, 2e6).total(Math.max(t, 0));
    }

    /** Bytes written to disk {@code device} (20 to 800 KB/s on average). */
    public static long vbdWriteBytes(String uuid, String device, double t) {
        return (long) Wave.of(seed(uuid, "vbd-write" + device), 20e3, 800e3).total(Math.max(t, 0));
    }

    /** The guest's free memory in KiB, out of {@code totalKib}: between 20 % and 50 % of it, moving slowly. */
    public static long freeKib(String uuid, long totalKib, double t) {
        Wave w = Wave.of(seed(uuid, "guest-free"), 0.3, 0.4);
        double fraction = Math.min(0.5, Math.max(0.2, w.rate(Math.max(t, 0)) / 1.85 + 0.05));
        return (long) (totalKib * fraction);
    }
}
