package org.xapijava.server.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.xapijava.model.errors.ApiError;

class VmProvisionerTest {
    @Test
    void parsesTheTemplatesDiskXml() {
        List<VmProvisioner.Disk> d =
                VmProvisioner.parse("<provision><disk bootable=\"true\" device=\"0\" size=\"10737418240\" "
                        + "sr=\"\" type=\"system\"/>\n  <disk device=\"1\" size=\"0x100000\" sr=\"abc\" bootable=\"false\" type=\"weird\"/>"
                        + "<disk device=\"xvdc\" size=\"1\" sr=\"s\" bootable=\"yes\"/></provision>");
        assertEquals(
                List.of(
                        new VmProvisioner.Disk("0", 10737418240L, "", true, "system"),
                        new VmProvisioner.Disk("1", 1 << 20, "abc", false, "system"),
                        new VmProvisioner.Disk("xvdc", 1, "s", false, "system")),
                d);
        assertEquals(
                "user",
                VmProvisioner.parse(
                                "<provision><disk device=\"0\" size=\"1\" sr=\"\" bootable=\"true\" type=\"user\"/></provision>")
                        .get(0)
                        .type());
        assertEquals(List.of(), VmProvisioner.parse("<provision/>"));
    }

    @Test
    void refusesWhatXapisParserRefuses() {
        for (String bad : List.of(
                "<provision x=\"1\"/>",
                "<disks/>",
                "<provision><disk device=\"0\" size=\"1\" sr=\"\"/></provision>",
                "<provision><disk device=\"0\" size=\"big\" sr=\"\" bootable=\"true\"/></provision>",
                "<provision><cd/></provision>",
                "<provision><disk device=\"0\" size=\"1\" sr=\"\" bootable=\"true\"><x/></disk></provision>",
                "not xml")) {
            ApiError e = assertThrows(ApiError.class, () -> VmProvisioner.parse(bad), bad);
            assertEquals("INTERNAL_ERROR", e.code(), bad);
        }
    }

    @Test
    void postInstallScriptsOnlyFromXapisDirectory() {
        assertTrue(VmProvisioner.whitelisted("/opt/xensource/packages/post-install-scripts/debian-etch"));
        assertFalse(VmProvisioner.whitelisted("/opt/xensource/packages/post-install-scripts/../../../bin/sh"));
        assertFalse(VmProvisioner.whitelisted("/opt/xensource/packages/post-install-scripts/x1"));
        assertFalse(VmProvisioner.whitelisted("/tmp/evil"));
    }
}
