package org.xapijava.server.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HostHardwareTest {
    private static final String CPU = """
            processor\t: 0
            vendor_id\t: GenuineIntel
            cpu family\t: 6
            model\t\t: 85
            model name\t: Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz
            stepping\t: 7
            cpu MHz\t\t: 2095.078
            physical id\t: 0
            siblings\t: 4
            cpu cores\t: 2
            flags\t\t: fpu vme de pse tsc

            processor\t: 1
            vendor_id\t: GenuineIntel
            physical id\t: 0

            processor\t: 2
            physical id\t: 1

            processor\t: 3
            physical id\t: 1

            processor\t: 4

            processor\t: 5

            processor\t: 6

            processor\t: 7
            """;

    @Test
    void parsesTheProcFiles() {
        HostHardware hw = HostHardware.parse(
                CPU,
                "MemTotal:       16303348 kB\nMemFree:  100 kB\n",
                "Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) #1 SMP\n",
                "cpu 1 2 3\nbtime 1712345678\n",
                2,
                Map.of("bios-vendor", "Dell Inc."));
        assertEquals(8, hw.cpuCount());
        assertEquals(2, hw.threadsPerCore());
        assertEquals(2, hw.socketCount());
        assertEquals(2, hw.nrNodes());
        assertEquals("GenuineIntel", hw.cpuVendor());
        assertEquals("Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz", hw.cpuModelName());
        assertEquals("6", hw.cpuFamily());
        assertEquals("85", hw.cpuModel());
        assertEquals("7", hw.cpuStepping());
        assertEquals("2095.078", hw.cpuSpeedMhz());
        assertEquals(2095L, hw.speedMhzTruncated());
        assertEquals("fpu vme de pse tsc", hw.cpuFlags());
        assertEquals(16303348L * 1024, hw.memTotalBytes());
        assertEquals("6.1.0-18-amd64", hw.linuxVersion());
        assertEquals(Instant.ofEpochSecond(1712345678L), hw.bootTime());
        assertEquals("Dell Inc.", hw.dmi().get("bios-vendor"));
        assertEquals("", hw.dmi().get("system-serial-number"));
        assertEquals(HostHardware.DMI_KEYS, hw.dmi().keySet().stream().toList());
    }

    @Test
    void missingFieldsReadUnknownAsXenopsdDoes() {
        HostHardware hw =
                HostHardware.parse("processor : 0\nprocessor : 1\n", "MemTotal: 1024 kB\n", "", "", 0, Map.of());
        assertEquals(2, hw.cpuCount());
        assertEquals(1, hw.socketCount());
        assertEquals(1, hw.threadsPerCore());
        assertEquals(1, hw.nrNodes());
        assertEquals("unknown", hw.cpuVendor());
        assertEquals(0L, hw.speedMhzTruncated());
        assertEquals(Instant.EPOCH, hw.bootTime());
    }

    @Test
    void biosStringsAreCleanedAsXapiDoes() {
        assertEquals("", HostHardware.biosString("Not Specified\n"));
        assertEquals("ACME 1.0", HostHardware.biosString(" ACME\u0001 1.0\u00e9 "));
    }

    @Test
    void probeReadsThisBox() {
        HostHardware hw = HostHardware.probe();
        assertTrue(hw.cpuCount() >= 1);
        assertTrue(hw.memTotalBytes() > 0);
    }
}
