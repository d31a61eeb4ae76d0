package org.xapijava.server.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class MemoryModelTest {
    @Test
    void dom0SizingFollowsTheInstaller() {
        assertEquals(1856, MemoryModel.defaultDom0MemoryMib(16L * 1024 * 1024));
        assertEquals(4304, MemoryModel.defaultDom0MemoryMib(64L * 1024 * 1024));
        assertEquals(8192, MemoryModel.defaultDom0MemoryMib(256L * 1024 * 1024));
        assertEquals(1088, MemoryModel.defaultDom0MemoryMib(1024 * 1024));
        assertEquals(4, MemoryModel.defaultDom0Vcpus(8, 1856));
        assertEquals(2, MemoryModel.defaultDom0Vcpus(2, 1856));
        assertEquals(8, MemoryModel.defaultDom0Vcpus(32, 3000));
        assertEquals(16, MemoryModel.defaultDom0Vcpus(64, 8192));
        assertEquals(1, MemoryModel.defaultDom0Vcpus(0, 8192));
    }

    @Test
    void overheadFollowsXapisMemoryModels() {
        long mib = MemoryModel.MIB;
        // HVM, 2 GiB, 1 vCPU: 1 + 1 + shadow ceil((256 + 4096) / 256) = 17 + ceil(38 / 256) = 1
        assertEquals(20 * mib, MemoryModel.overheadBytes(MemoryModel.Model.HVM, 2048 * mib, 1, 1.0));
        // PV: no internal extra; 4 vCPUs, 1856 MiB: shadow ceil(4736 / 256) = 19
        assertEquals(21 * mib, MemoryModel.overheadBytes(MemoryModel.Model.LINUX_PV, 1856 * mib, 4, 1.0));
        // the multiplier scales the shadow part and truncates; shadow is at least 1 MiB
        assertEquals((2 + 34 + 1) * mib, MemoryModel.overheadBytes(MemoryModel.Model.HVM, 2048 * mib, 1, 2.0));
        assertEquals((2 + 1 + 1) * mib, MemoryModel.overheadBytes(MemoryModel.Model.HVM, 1, 1, 0.0));
        assertEquals(MemoryModel.Model.HVM, MemoryModel.Model.of("pvh"));
    }
}
