package org.xapijava.server.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MacAddressesTest {
    private static final String SEED = "c0ffee00-1111-2222-3333-444455556666";

    @Test
    void generatedFromTheSeedByMd5Chaining() {
        // values worked out by hand from xapi_vif_helpers.ml:gen_mac (MD5 chained 2n+1 times)
        assertEquals("b6:8a:f5:68:4c:11", MacAddresses.generate(0, SEED));
        assertEquals("d6:83:86:6e:bc:6c", MacAddresses.generate(1, SEED));
        assertEquals("c2:7b:c6:fa:93:d1", MacAddresses.generate(7, SEED));
        for (int dev = 0; dev < 16; dev++) {
            String mac = MacAddresses.generate(dev, "seed " + dev);
            int first = Integer.parseInt(mac.substring(0, 2), 16);
            assertEquals(2, first & 3, "locally administered, unicast: " + mac);
            assertTrue(MacAddresses.isValid(mac));
        }
    }

    @Test
    void validity() {
        assertTrue(MacAddresses.isValid("00:16:3E:aa:bb:cc"));
        assertFalse(MacAddresses.isValid(""));
        assertFalse(MacAddresses.isValid("00:16:3e:aa:bb"));
        assertFalse(MacAddresses.isValid("00:16:3e:aa:bb:cc:"));
        assertFalse(MacAddresses.isValid("00-16-3e-aa-bb-cc"));
        assertFalse(MacAddresses.isValid("0:16:3e:aa:bb:cc"));
        assertFalse(MacAddresses.isValid("00:16:3e:aa:bb:cg"));
    }
}
