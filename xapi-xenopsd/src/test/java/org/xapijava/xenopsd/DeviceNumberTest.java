package org.xapijava.xenopsd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.xapijava.xenopsd.DeviceNumber.Bus;

/** Xapi's device-number rules (these cases came with xapi-server's former DeviceNumber). */
class DeviceNumberTest {
    private static DeviceNumber d(Bus b, int disk, int part) {
        return new DeviceNumber(b, disk, part);
    }

    /** Xapi's {@code of_string}, null where it gives None. */
    private static DeviceNumber of(String name, boolean hvm) {
        return DeviceNumber.ofString(hvm, name).orElse(null);
    }

    private static DeviceNumber linux(String name) {
        return DeviceNumber.ofLinuxDevice(name).orElse(null);
    }

    @Test
    void linuxNamesAsXapisOwnExamples() {
        assertEquals(d(Bus.Xen, 0, 0), linux("xvda"));
        assertEquals(d(Bus.Xen, 0, 1), linux("xvda1"));
        assertEquals(d(Bus.Ide, 0, 0), linux("hda"));
        assertEquals(d(Bus.Scsi, 1, 3), linux("sdb3"));
        assertEquals(d(Bus.Ide, 2, 2), linux("hdc2"));
        assertEquals(d(Bus.Xen, 26, 0), linux("xvdaa"));
        assertEquals(d(Bus.Ide, 15, 0), linux("hdp"));
        // equivalences of device_number_test.ml
        assertEquals(of("xvda", false), of("d0", false));
        assertEquals(of("0", false), of("d0", false));
        assertEquals(of("5", false), of("xvdf", false));
        assertEquals(of("xvda", false), of("d0p0", false));
        assertEquals(of("xvdtq37", false), of("d536p37", false));
        assertNull(of("d0p0q", false));
        assertNull(of("", false));
        assertNull(of("autodetect", false));
    }

    @Test
    void numbersDependOnTheGuestType() {
        assertEquals(d(Bus.Ide, 1, 0), of("1", true));
        assertEquals(d(Bus.Xen, 1, 0), of("1", false));
        assertEquals(d(Bus.Xen, 4, 0), of("4", true));
        assertEquals(List.of(d(Bus.Ide, 0, 0), d(Bus.Xen, 0, 0)), DeviceNumber.possible("0"));
        assertEquals(List.of(d(Bus.Xen, 0, 0), d(Bus.Xen, 0, 0)), DeviceNumber.possible("xvda"));
        // OCaml int_of_string: hex and underscores are numbers too
        assertEquals(d(Bus.Xen, 16, 0), of("0x10", false));
        assertEquals(d(Bus.Xen, 10, 0), of("1_0", false));
        // an out-of-range number is then read as a Linux name, which it is not
        assertNull(of("-1", false));
        assertNull(of("1048576", false));
        assertNull(of("4294967296", false), "not truncated to an int first");
        // a Linux name without letters reads as disk -1, unchecked, as Xapi does
        assertEquals(d(Bus.Xen, -1, 1), linux("xvd1"));
    }

    @Test
    void linuxDeviceNames() {
        assertEquals("xvda", d(Bus.Xen, 0, 0).toLinuxDevice());
        assertEquals("xvdz", d(Bus.Xen, 25, 0).toLinuxDevice());
        assertEquals("xvdaa", d(Bus.Xen, 26, 0).toLinuxDevice());
        assertEquals("sdc2", d(Bus.Scsi, 2, 2).toLinuxDevice());
        assertEquals("fdb", d(Bus.Floppy, 1, 0).toLinuxDevice());
        assertEquals("xvdb", d(Bus.Ide, 1, 0).toLinuxDevice());
        for (int n = 0; n < 1000; n += 37) {
            DeviceNumber x = d(Bus.Xen, n, 0);
            assertEquals(x, linux(x.toLinuxDevice()));
        }
    }

    @Test
    void namesBeyondAnIntParseToNothing() {
        assertEquals(Optional.of(d(Bus.Xen, 321272405, 0)), DeviceNumber.ofLinuxDevice("xvdzzzzzz"));
        assertEquals(Optional.of(d(Bus.Xen, 321272406, 0)), DeviceNumber.ofLinuxDevice("xvdaaaaaaa"));
        assertEquals(Optional.empty(), DeviceNumber.ofLinuxDevice("xvdzzzzzzz"));
        assertEquals(Optional.empty(), DeviceNumber.ofLinuxDevice("xvdaaaaaaaa"));
        assertEquals(Optional.of(d(Bus.Xen, 0, Integer.MAX_VALUE)), DeviceNumber.ofLinuxDevice("xvda2147483647"));
        assertEquals(Optional.empty(), DeviceNumber.ofLinuxDevice("xvda2147483648"));
        assertEquals(Optional.empty(), DeviceNumber.ofLinuxDevice("d2147483648"));
        assertEquals(Optional.empty(), DeviceNumber.ofLinuxDevice("d1p"));
        assertEquals(Optional.empty(), DeviceNumber.ofLinuxDevice("xvda1x"));
    }

    @Test
    void unrangedIdeDisksHaveNoXenstoreKey() {
        DeviceNumber beyond = linux("hdz");
        assertEquals(d(Bus.Ide, 25, 0), beyond);
        assertTrue(DeviceNumber.make(Bus.Ide, 25, 0).isEmpty());
        assertThrows(IllegalArgumentException.class, beyond::toXenstoreKey);
        assertEquals(0x5b40, d(Bus.Ide, 19, 0).toXenstoreKey()); // the last deprecated major, 91
    }
}
