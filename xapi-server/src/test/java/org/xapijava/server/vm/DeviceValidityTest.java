package org.xapijava.server.vm;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Xapi's {@code valid_device} of VBDs and VIFs (device numbers themselves: xenopsd's DeviceNumberTest). */
class DeviceValidityTest {
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
