package org.xapijava.server.bootstrap;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The default templates, read from the resource {@code templates.json} (facts of the guest-templates-json
 * set that XCP-ng 8.3 ships) and resolved into the VM field values a host ends up with after
 * {@code create-guest-templates} imported them.
 *
 * <p>Resolution follows the template format: a template either stands alone or names a base it is
 * {@code derived_from}; the base is resolved first and the template's keys are applied over it. A
 * stand-alone definition starts from the blank template (1 vCPU, {@code destroy}/{@code restart}/{@code restart}
 * actions) and gets the platform defaults {@code nx=true acpi=1 apic=true pae=true hpet=true secureboot=true},
 * before its own {@code platform} map; a {@code null} platform value removes the key. {@code min_memory}
 * sets static-min to the amount and static-max, dynamic-min and dynamic-max to twice it. {@code disks}
 * becomes the {@code other_config:disks} provisioning XML, the restriction keys the {@code recommendations}
 * XML. Both XML texts are written as the template loader writes them under dom0's Python 3.6 (minidom,
 * attributes in name order, no declaration, no whitespace).
 */
final class TemplateCatalog {
    private static final String RESOURCE = "templates.json";
    private static final Pattern AMOUNT = Pattern.compile("(\\d+)([TtGgMmKk])?");

    /**
     * One default template, resolved.
     *
     * @param otherConfig the keys the definition gives ({@code install-methods}, {@code linux_template},
     *                    {@code disks}); {@code mac_seed} and {@code default_template} are added when the VM
     *                    is created
     */
    record Template(
            String uuid,
            String referenceLabel,
            String nameLabel,
            String nameDescription,
            long memoryStaticMin,
            long memoryStaticMax,
            long memoryDynamicMin,
            long memoryDynamicMax,
            long vcpusMax,
            long vcpusAtStartup,
            String hvmBootPolicy,
            Map<String, String> hvmBootParams,
            double hvmShadowMultiplier,
            Map<String, String> platform,
            Map<String, String> otherConfig,
            String recommendations,
            String generationId) {}

    private static volatile List<Template> all;

    private TemplateCatalog() {}

    /** Every default template, in resource order. */
    static List<Template> templates() {
        List<Template> t = all;
        if (t == null) {
            synchronized (TemplateCatalog.class) {
                t = all;
                if (t == null) all = t = load(ProductFacts.readResource(RESOURCE));
            }
        }
        return t;
    }

    static List<Template> load(JsonNode root) {
        JsonNode bases = root.path("bases");
        List<Template> out = new ArrayList<>();
        for (JsonNode t : root.path("templates")) out.add(resolve(t, bases, 0).build());
        return List.copyOf(out);
    }

    private static Builder resolve(JsonNode t, JsonNode bases, int depth) {
        if (depth > 8) throw new IllegalStateException("templates.json: derived_from cycle");
        Builder b;
        if (t.hasNonNull("derived_from")) {
            String base = t.get("derived_from").asText();
            if (!bases.has(base)) throw new IllegalStateException("templates.json: unknown base " + base);
            b = resolve(bases.get(base), bases, depth + 1);
            b.apply(t, false);
        } else {
            b = new Builder();
            b.apply(t, true);
        }
        return b;
    }

    /** Parses an amount such as {@code 128M} or {@code 1536G} (binary units; none means bytes). */
    static long amount(String s) {
        Matcher m = AMOUNT.matcher(s);
        if (!m.matches()) throw new IllegalArgumentException("invalid amount: " + s);
        long v = Long.parseLong(m.group(1));
        if (m.group(2) == null) return v;
        int shift = switch (Character.toUpperCase(m.group(2).charAt(0))) {
            case 'T' -> 40;
            case 'G' -> 30;
            case 'M' -> 20;
            default -> 10;
        };
        return v << shift;
    }

    private static boolean truthy(JsonNode v) {
        if (v.isBoolean()) return v.asBoolean();
        String s = v.asText().toLowerCase(java.util.Locale.ROOT);
        return s.equals("t") || s.equals("true") || s.equals("y") || s.equals("yes") || s.equals("1");
    }

    /** The template as the loader accumulates it. */
    private static final class Builder {
        String uuid = "";
        String referenceLabel = "";
        String nameLabel = "";
        String nameDescription = "";
        long staticMin;
        long staticMax;
        long dynamicMin;
        long dynamicMax;
        long vcpusMax = 1;
        long vcpusAtStartup = 1;
        String hvmBootPolicy = "";
        Map<String, String> hvmBootParams = new LinkedHashMap<>();
        double shadowMultiplier = 1.0;
        String generationId = "";
        final Map<String, String> platform = new LinkedHashMap<>();
        final Map<String, String> otherConfig = new LinkedHashMap<>();
        final Map<String, String> restrictions = new LinkedHashMap<>();
        final List<String[]> disks = new ArrayList<>();

        void apply(JsonNode t, boolean defaults) {
            if (t.has("uuid")) uuid = t.get("uuid").asText();
            if (t.has("reference_label"))
                referenceLabel = t.get("reference_label").asText();
            if (t.has("name_label")) nameLabel = t.get("name_label").asText();
            if (t.has("name_description"))
                nameDescription = t.get("name_description").asText();
            if (t.has("VCPUs_max")) vcpusMax = t.get("VCPUs_max").asLong();
            if (t.has("VCPUs_at_startup"))
                vcpusAtStartup = t.get("VCPUs_at_startup").asLong();
            if (t.has("generation_id")) generationId = t.get("generation_id").asText();
            if (defaults || t.has("HVM_boot_policy"))
                hvmBootPolicy = t.path("HVM_boot_policy").asText("");
            if (defaults || t.has("HVM_boot_params")) hvmBootParams = ProductFacts.stringMap(t.path("HVM_boot_params"));
            if (defaults || t.has("HVM_shadow_multiplier"))
                shadowMultiplier = t.path("HVM_shadow_multiplier").asDouble(1.0);
            if (t.has("min_memory")) {
                staticMin = amount(t.get("min_memory").asText());
                staticMax = dynamicMin = dynamicMax = staticMin * 2;
            }
            // platform: defaults first (only for a stand-alone definition), then the definition's own map
            if (defaults || t.has("nx")) platform.put("nx", flag(t, "nx", true, "true", "false"));
            if (defaults || t.has("acpi")) platform.put("acpi", flag(t, "acpi", true, "1", "0"));
            if (defaults || t.has("apic")) platform.put("apic", flag(t, "apic", true, "true", "false"));
            if (defaults || t.has("pae")) platform.put("pae", flag(t, "pae", true, "true", "false"));
            if (defaults || t.has("hpet")) platform.put("hpet", flag(t, "hpet", true, "true", "false"));
            if (defaults || t.has("secureboot"))
                platform.put("secureboot", flag(t, "secureboot", true, "true", "false"));
            t.path("platform")
                    .fields()
                    .forEachRemaining(e -> platform.put(
                            e.getKey(),
                            e.getValue().isNull() ? null : e.getValue().asText()));
            if (t.has("disks")) {
                disks.clear();
                for (JsonNode d : t.get("disks")) {
                    disks.add(new String[] {
                        Long.toString(amount(d.path("size").asText())),
                        d.path("sr").asText(""),
                        !d.has("bootable") || truthy(d.get("bootable")) ? "true" : "false",
                        d.path("type").asText("system")
                    });
                }
            }
            t.path("other_config")
                    .fields()
                    .forEachRemaining(
                            e -> otherConfig.put(e.getKey(), e.getValue().asText()));
            // restrictions (the recommendations field)
            if (t.has("max_memory"))
                restrictions.put(
                        "memory-static-max",
                        Long.toString(amount(t.get("max_memory").asText())));
            if (t.has("vcpus_max"))
                restrictions.put("vcpus-max", t.get("vcpus_max").asText());
            if (t.has("vcpus_min"))
                restrictions.put("vcpus-min", t.get("vcpus_min").asText());
            if (t.has("number_of_vbds"))
                restrictions.put("number-of-vbds", t.get("number_of_vbds").asText());
            if (t.has("number_of_vifs"))
                restrictions.put("number-of-vifs", t.get("number_of_vifs").asText());
            if (defaults || t.has("has_vendor_device")) {
                restrictions.put(
                        "has-vendor-device",
                        t.has("has_vendor_device") && truthy(t.get("has_vendor_device")) ? "true" : "false");
            }
            for (String k : new String[] {"allow_gpu_passthrough", "allow_vgpu", "allow_network_sriov"}) {
                if (t.has(k)) restrictions.put(k.replace('_', '-'), truthy(t.get(k)) ? "1" : "0");
            }
            for (String k : new String[] {"supports_bios", "supports_uefi", "supports_secure_boot"}) {
                if (t.has(k)) restrictions.put(k.replace('_', '-'), truthy(t.get(k)) ? "yes" : "no");
            }
        }

        private static String flag(JsonNode t, String key, boolean dflt, String yes, String no) {
            boolean v = t.has(key) ? truthy(t.get(key)) : dflt;
            return v ? yes : no;
        }

        Template build() {
            if (uuid.isEmpty() || nameLabel.isEmpty())
                throw new IllegalStateException("templates.json: template without uuid or name_label");
            Map<String, String> plat = new LinkedHashMap<>();
            platform.forEach((k, v) -> {
                if (v != null && !v.isEmpty()) plat.put(k, v);
            });
            Map<String, String> oc = new LinkedHashMap<>();
            otherConfig.forEach((k, v) -> {
                if (!v.isEmpty()) oc.put(k, v);
            });
            if (!disks.isEmpty()) oc.put("disks", disksXml());
            Map<String, String> hbp = new LinkedHashMap<>();
            hvmBootParams.forEach((k, v) -> {
                if (!v.isEmpty()) hbp.put(k, v);
            });
            return new Template(
                    uuid,
                    referenceLabel,
                    nameLabel,
                    nameDescription,
                    staticMin,
                    staticMax,
                    dynamicMin,
                    dynamicMax,
                    vcpusMax,
                    vcpusAtStartup,
                    hvmBootPolicy,
                    Collections.unmodifiableMap(hbp),
                    shadowMultiplier,
                    Collections.unmodifiableMap(plat),
                    Collections.unmodifiableMap(oc),
                    recommendationsXml(),
                    generationId);
        }

        /** {@code <provision><disk bootable=".." device="N" size=".." sr=".." type=".."/>...</provision>}. */
        private String disksXml() {
            StringBuilder sb = new StringBuilder("<provision>");
            int device = 0;
            for (String[] d : disks) {
                Map<String, String> a = new TreeMap<>();
                a.put("size", d[0]);
                a.put("sr", d[1]);
                a.put("bootable", d[2]);
                a.put("type", d[3]);
                a.put("device", Integer.toString(device++));
                element(sb, "disk", a);
            }
            return sb.append("</provision>").toString();
        }

        /** The restrictions document: field restrictions in the loader's order, then the two properties. */
        private String recommendationsXml() {
            StringBuilder sb = new StringBuilder("<restrictions>");
            String[][] fields = {
                {"memory-static-max", "max"},
                {"vcpus-min", "min"},
                {"vcpus-max", "max"},
                {"has-vendor-device", "value"},
                {"allow-gpu-passthrough", "value"},
                {"allow-vgpu", "value"},
                {"allow-network-sriov", "value"},
                {"supports-bios", "value"},
                {"supports-uefi", "value"},
                {"supports-secure-boot", "value"}
            };
            for (String[] f : fields) {
                String v = restrictions.get(f[0]);
                if (v == null) continue;
                Map<String, String> a = new TreeMap<>();
                a.put("field", f[0]);
                a.put(f[1], v);
                element(sb, "restriction", a);
            }
            for (String prop : new String[] {"number-of-vbds", "number-of-vifs"}) {
                Map<String, String> a = new TreeMap<>();
                a.put("property", prop);
                a.put("max", restrictions.getOrDefault(prop, ""));
                element(sb, "restriction", a);
            }
            return sb.append("</restrictions>").toString();
        }

        private static void element(StringBuilder sb, String name, Map<String, String> attrs) {
            sb.append('<').append(name);
            attrs.forEach((k, v) ->
                    sb.append(' ').append(k).append("=\"").append(escapeAttr(v)).append('"'));
            sb.append("/>");
        }

        private static String escapeAttr(String v) {
            return v.replace("&", "&amp;")
                    .replace("<", "&lt;")
                    .replace("\"", "&quot;")
                    .replace(">", "&gt;");
        }
    }
}
