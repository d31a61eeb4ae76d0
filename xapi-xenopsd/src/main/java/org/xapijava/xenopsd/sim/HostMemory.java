package org.xapijava.xenopsd.sim;

import org.xapijava.xenopsd.XenopsError;

/**
 * Memory accounting of the simulated host (an addition: xenopsd's simulator backend has none). Building a
 * domain needs its {@code memory_dynamic_max} free out of the host total, where every other domain that is not
 * suspended counts (running, paused and half-built ones); otherwise {@code Not_enough_memory <bytes needed>}.
 *
 * <p>Immutable; {@link #checkCanBuild} runs under {@link VmTable}'s lock so that two builds cannot both take the
 * last free memory.
 */
final class HostMemory {

    private final long totalBytes;

    HostMemory(long totalMib) {
        this.totalBytes = totalMib * 1024L * 1024L;
    }

    /**
     * {@link VmTable} lock held: throws {@code Not_enough_memory} unless {@code e}'s domain fits beside the other
     * entries' domains.
     */
    void checkCanBuild(VmEntry e, Iterable<VmEntry> all) {
        long needed = e.domain().memoryDynamicMax();
        long used = 0;
        for (VmEntry o : all) {
            if (o != e && o.domain() != null && !o.domain().suspended())
                used += o.domain().memoryDynamicMax();
        }
        if (totalBytes - used < needed) throw XenopsError.notEnoughMemory(needed);
    }
}
