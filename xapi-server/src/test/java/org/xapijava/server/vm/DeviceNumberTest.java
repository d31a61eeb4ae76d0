package org.xapijava.server.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.xapijava.server.vm.DeviceNumber.Bus;

class DeviceNumberTest {
    private static DeviceNumber d(Bus b, long disk, long part) {
        return new DeviceNumber(b, disk, part);
    }

    @Test
    void linuxNamesAsXapisOwnExamples() {
        assertEquals(d(Bus.XEN, 0, 0), DeviceNumber.ofLinuxDevice("xvda"));
        assertEquals(d(Bus.XEN, 0, 1), DeviceNumber.ofLinuxDevice("xvda1"));
        assertEquals(d(Bus.IDE, 0, 0), DeviceNumber.ofLinuxDevice("hda"));
        assertEquals(d(Bus.SCSI, 1, 3), DeviceNumber.ofLinuxDevice("sdb3"));
        assertEquals(d(Bus.IDE, 2, 2), DeviceNumber.ofLinuxDevice("hdc2"));
        assertEquals(d(Bus.XEN, 26, 0), DeviceNumber.ofLinuxDevice("xvdaa"));
        assertEquals(d(Bus.IDE, 15, 0), DeviceNumber.ofLinuxDevice("hdp"));
        // equivalences of device_number_test.ml
        assertEquals(DeviceNumber.of("xvda", false), DeviceNumber.of("d0", false));
        assertEquals(DeviceNumber.of("0", false), DeviceNumber.of("d0", false));
        assertEquals(DeviceNumber.of("5", false), DeviceNumber.of("xvdf", false));
        assertEquals(DeviceNumber.of("xvda", false), DeviceNumber.of("d0p0", false));
        assertEquals(DeviceNumber.of("xvdtq37", false), DeviceNumber.of("d536p37", false));
        assertNull(DeviceNumber.of("d0p0q", false));
        assertNull(DeviceNumber.of("", false));
        assertNull(DeviceNumber.of("autodetect", false));
    }

    @Test
    void numbersDependOnTheGuestType() {
        assertEquals(d(Bus.IDE, 1, 0), DeviceNumber.of("1", true));
        assertEquals(d(Bus.XEN, 1, 0), DeviceNumber.of("1", false));
        assertEquals(d(Bus.XEN, 4, 0), DeviceNumber.of("4", true));
        assertEquals(List.of(d(Bus.IDE, 0, 0), d(Bus.XEN, 0, 0)), DeviceNumber.possible("0"));
        assertEquals(List.of(d(Bus.XEN, 0, 0), d(Bus.XEN, 0, 0)), DeviceNumber.possible("xvda"));
        // OCaml int_of_string: hex and underscores are numbers too
        assertEquals(d(Bus.XEN, 16, 0), DeviceNumber.of("0x10", false));
        assertEquals(d(Bus.XEN, 10, 0), DeviceNumber.of("1_0", false));
        // an out-of-range number is then read as a Linux name, which it is not
        assertNull(DeviceNumber.of("-1", false));
        assertNull(DeviceNumber.of("1048576", false));
        // a Linux name without letters reads as disk -1, unchecked, as Xapi does
        assertEquals(d(Bus.XEN, -1, 1), DeviceNumber.ofLinuxDevice("xvd1"));
    }

    @Test
    void linuxDeviceNames() {
        assertEquals("xvda", d(Bus.XEN, 0, 0).toLinuxDevice());
        assertEquals("xvdz", d(Bus.XEN, 25, 0).toLinuxDevice());
        assertEquals("xvdaa", d(Bus.XEN, 26, 0).toLinuxDevice());
        assertEquals("sdc2", d(Bus.SCSI, 2, 2).toLinuxDevice());
        assertEquals("fdb", d(Bus.FLOPPY, 1, 0).toLinuxDevice());
        assertEquals("xvdb", d(Bus.IDE, 1, 0).toLinuxDevice());
        for (long n = 0; n < 1000; n += 37) {
            DeviceNumber x = d(Bus.XEN, n, 0);
            assertEquals(x, DeviceNumber.ofLinuxDevice(x.toLinuxDevice()));
        }
    }

    @Test
    void vbdAndVifDeviceValidity() {
        assertTrue(Vbds.validDevice("autodetect", "Disk"));
        assertTrue(Vbds.validDevice("xvdb", "Floppy"));
        assertTrue(Vbds.validDevice("-5", "Disk"), "Xapi's range test accepts any integer");
        assertFalse(Vbds.validDevice("-5", "Floppy"));
        assertFalse(Vbds.validDevice("bogus", "Disk"));
        assertTrue(Vifs.validDevice("0"));
        assertTrue(Vifs.validDevice("1_0"));
        assertFalse(Vifs.validDevice("-1"));
        assertFalse(Vifs.validDevice("+1"));
        assertFalse(Vifs.validDevice("x"));
        assertFalse(Vifs.validDevice(""));
    }
}
