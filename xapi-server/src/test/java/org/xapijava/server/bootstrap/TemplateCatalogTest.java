package org.xapijava.server.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.xapijava.server.bootstrap.TemplateCatalog.Template;

class TemplateCatalogTest {
    private static Template byLabel(String referenceLabel) {
        return TemplateCatalog.templates().stream()
                .filter(t -> t.referenceLabel().equals(referenceLabel))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void everyTemplateIsComplete() {
        List<Template> all = TemplateCatalog.templates();
        Set<String> uuids = new HashSet<>();
        for (Template t : all) {
            assertTrue(uuids.add(t.uuid()), t.uuid());
            assertFalse(t.nameLabel().isEmpty());
            assertFalse(t.nameDescription().isEmpty(), t.nameLabel());
            assertTrue(t.memoryStaticMin() > 0 && t.memoryStaticMax() == 2 * t.memoryStaticMin(), t.nameLabel());
            assertEquals("BIOS order", t.hvmBootPolicy());
            assertTrue(t.otherConfig().containsKey("install-methods"), t.nameLabel());
            assertFalse(t.platform().containsValue(null));
        }
        assertTrue(all.size() >= 6);
    }

    @Test
    void debianBookwormResolvesThroughTheUefiLinuxBase() {
        Template t = byLabel("debian-12");
        assertEquals("07d91aaa-43f7-430a-bf84-0edb6714df0f", t.uuid());
        assertEquals("Debian Bookworm 12", t.nameLabel());
        assertTrue(t.nameDescription().startsWith("To use this template from the CLI"));
        assertEquals(1L << 30, t.memoryStaticMin());
        assertEquals(2L << 30, t.memoryDynamicMax());
        assertEquals(1, t.vcpusMax());
        assertEquals(Map.of("firmware", "uefi", "order", "cdn"), t.hvmBootParams());
        assertEquals(
                Map.of(
                        "nx",
                        "true",
                        "acpi",
                        "1",
                        "apic",
                        "true",
                        "pae",
                        "true",
                        "hpet",
                        "true",
                        "secureboot",
                        "auto",
                        "vga",
                        "std",
                        "videoram",
                        "8",
                        "viridian",
                        "false",
                        "device_id",
                        "0001"),
                t.platform());
        assertEquals(
                Map.of(
                        "linux_template",
                        "true",
                        "install-methods",
                        "cdrom,nfs,http,ftp",
                        "disks",
                        "<provision><disk bootable=\"true\" device=\"0\" size=\"10737418240\" sr=\"\" type=\"system\"/></provision>"),
                t.otherConfig());
        assertEquals(
                "<restrictions><restriction field=\"memory-static-max\" max=\"1649267441664\"/>"
                        + "<restriction field=\"vcpus-max\" max=\"64\"/><restriction field=\"has-vendor-device\" value=\"false\"/>"
                        + "<restriction field=\"allow-gpu-passthrough\" value=\"1\"/><restriction field=\"allow-vgpu\" value=\"1\"/>"
                        + "<restriction field=\"allow-network-sriov\" value=\"1\"/><restriction field=\"supports-bios\" value=\"yes\"/>"
                        + "<restriction field=\"supports-uefi\" value=\"yes\"/><restriction field=\"supports-secure-boot\" value=\"yes\"/>"
                        + "<restriction max=\"255\" property=\"number-of-vbds\"/><restriction max=\"7\" property=\"number-of-vifs\"/>"
                        + "</restrictions>",
                t.recommendations());
        assertEquals("", t.generationId());
    }

    @Test
    void windowsElevenResolvesThroughBothWindowsBases() {
        Template t = byLabel("windows-11");
        assertEquals(2, t.vcpusMax());
        assertEquals(2, t.vcpusAtStartup());
        assertEquals("0:0", t.generationId());
        assertEquals(4L << 30, t.memoryStaticMin());
        assertEquals("auto", t.platform().get("secureboot"));
        assertEquals("true", t.platform().get("vtpm"));
        assertFalse(t.platform().containsKey("device-model"));
        assertEquals(Map.of("firmware", "uefi", "order", "cd"), t.hvmBootParams());
        assertEquals(
                "<provision><disk bootable=\"false\" device=\"0\" size=\"68719476736\" sr=\"\" type=\"system\"/></provision>",
                t.otherConfig().get("disks"));
        assertEquals(
                "<restrictions><restriction field=\"memory-static-max\" max=\"1649267441664\"/>"
                        + "<restriction field=\"vcpus-min\" min=\"2\"/><restriction field=\"vcpus-max\" max=\"64\"/>"
                        + "<restriction field=\"has-vendor-device\" value=\"true\"/><restriction field=\"supports-bios\" value=\"no\"/>"
                        + "<restriction field=\"supports-uefi\" value=\"yes\"/><restriction field=\"supports-secure-boot\" value=\"yes\"/>"
                        + "<restriction max=\"255\" property=\"number-of-vbds\"/><restriction max=\"7\" property=\"number-of-vifs\"/>"
                        + "</restrictions>",
                t.recommendations());
    }

    @Test
    void otherInstallMediaStandsAlone() {
        Template t = byLabel("other-install-media");
        assertEquals(128L << 20, t.memoryStaticMin());
        assertEquals(Map.of("install-methods", "cdrom"), t.otherConfig());
        assertEquals("false", t.platform().get("secureboot"));
        assertEquals(Map.of("firmware", "bios", "order", "cd"), t.hvmBootParams());
        assertTrue(t.recommendations().contains("<restriction field=\"memory-static-max\" max=\"137438953472\"/>"));
        assertTrue(t.recommendations().contains("<restriction field=\"supports-uefi\" value=\"yes\"/>"));
    }

    @Test
    void amountsAndBadDefinitions() throws Exception {
        assertEquals(128L << 20, TemplateCatalog.amount("128M"));
        assertEquals(3L << 40, TemplateCatalog.amount("3t"));
        assertEquals(512, TemplateCatalog.amount("512"));
        assertThrows(IllegalArgumentException.class, () -> TemplateCatalog.amount("1.5G"));
        ObjectMapper om = new ObjectMapper();
        assertThrows(
                IllegalStateException.class,
                () -> TemplateCatalog.load(
                        om.readTree(
                                "{\"bases\":{},\"templates\":[{\"uuid\":\"u\",\"name_label\":\"n\",\"derived_from\":\"nope\"}]}")));
        assertThrows(
                IllegalStateException.class,
                () -> TemplateCatalog.load(
                        om.readTree(
                                "{\"bases\":{\"a\":{\"derived_from\":\"a\"}},\"templates\":[{\"uuid\":\"u\",\"name_label\":\"n\",\"derived_from\":\"a\"}]}")));
    }
}
