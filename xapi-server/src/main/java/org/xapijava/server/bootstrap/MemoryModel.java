package org.xapijava.server.bootstrap;

/**
 * The memory arithmetic first start needs: the installer's dom0 sizing ({@code xcp/dom0.py} of
 * python-libs, platform version >= 2.9.0) and Xapi's per-VM memory overhead ({@code memory.ml} memory
 * models, used by {@code Memory_check.vm_compute_memory_overhead}).
 */
final class MemoryModel {
    static final long MIB = 1024L * 1024;

    private MemoryModel() {}

    /**
     * dom0 memory in MiB for a host of {@code hostMemKib}: 1 GiB plus 5% of the host memory (counted with
     * 256 MiB added for what Xen keeps), rounded down to 16 MiB, at most 8 GiB.
     */
    static long defaultDom0MemoryMib(long hostMemKib) {
        long mb = (hostMemKib + 256 * 1024) / 1024;
        return Math.min((1024 + (long) (mb * 0.05)) & ~0xFL, 8192);
    }

    /** dom0 vCPUs: every pCPU up to 16, fewer when dom0 memory is small (4 under 2 GiB, 8 under 4 GiB). */
    static int defaultDom0Vcpus(int hostPcpus, long dom0MemMib) {
        int max = 16;
        if (dom0MemMib < 2 * 1024) max = 4;
        else if (dom0MemMib < 4 * 1024) max = 8;
        if (hostPcpus == 0) return 1;
        return Math.min(Math.min(hostPcpus, 16), max);
    }

    /** Which of Xapi's memory models applies; {@code pvh} uses the HVM one, as Xapi does. */
    enum Model {
        HVM(1, 1),
        LINUX_PV(0, 1);

        final long extraInternalMib;
        final long extraExternalMib;

        Model(long extraInternalMib, long extraExternalMib) {
            this.extraInternalMib = extraInternalMib;
            this.extraExternalMib = extraExternalMib;
        }

        /** The model of a {@code domain_type} value ({@code hvm}, {@code pvh} or {@code pv}). */
        static Model of(String domainType) {
            return switch (domainType) {
                case "hvm", "pvh" -> HVM;
                case "pv" -> LINUX_PV;
                default -> throw new IllegalArgumentException("no memory model for domain type " + domainType);
            };
        }
    }

    /**
     * Xapi's {@code VM.memory_overhead}: extra internal + extra external + shadow + 38 pages per vCPU
     * (rounded up to MiB), in bytes, for a VM of {@code staticMaxBytes} (rounded up to MiB) and
     * {@code vcpusMax}. Shadow is the pages of 256 per vCPU plus two per MiB of static max, rounded up to
     * MiB, times the shadow multiplier (truncated), at least 1 MiB.
     */
    static long overheadBytes(Model m, long staticMaxBytes, long vcpusMax, double shadowMultiplier) {
        long staticMaxMib = ceilDiv(staticMaxBytes, MIB);
        long pages = 256 * vcpusMax + staticMaxMib + staticMaxMib;
        long shadowMib = Math.max(1, (long) (ceilDiv(pages, 256) * shadowMultiplier));
        long mib = m.extraInternalMib + m.extraExternalMib + shadowMib + ceilDiv(38 * vcpusMax, 256);
        return mib * MIB;
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
