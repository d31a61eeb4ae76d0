package org.xapijava.server.bootstrap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The product facts first start writes, read once from the package resources {@code product.json} (what we
 * present ourselves as: XCP-ng 8.3) and {@code sm-drivers.json} (the SMAPIv1 drivers whose SRs first start
 * creates). Immutable.
 */
final class ProductFacts {
    private static final String PRODUCT = "product.json";
    private static final String SM_DRIVERS = "sm-drivers.json";

    /** One SM driver as {@code sr_get_driver_info} describes it. */
    record SmDriver(
            String type,
            String stem,
            String name,
            String description,
            String vendor,
            String copyright,
            String driverVersion,
            String requiredApiVersion,
            List<String> capabilities,
            Map<String, String> configuration) {}

    private static volatile ProductFacts instance;

    private final Map<String, String> inventoryDefaults;
    private final int xapiMajor;
    private final int xapiMinor;
    private final String xapiVersion;
    private final String xapiDate;
    private final String networkBackend;
    private final List<String> xenCapabilities;
    private final String cpuFeatureset;
    private final Map<String, String> chipsetInfo;
    private final String edition;
    private final List<String> editions;
    private final String dbv;
    private final Map<String, String> licenseParams;
    private final Set<String> knownSmCapabilities;
    private final List<SmDriver> smDrivers;

    private ProductFacts(JsonNode p, JsonNode sm) {
        inventoryDefaults = Collections.unmodifiableMap(stringMap(p.path("inventory")));
        xapiMajor = p.path("xapi").path("major").asInt();
        xapiMinor = p.path("xapi").path("minor").asInt();
        xapiVersion = p.path("xapi").path("version").asText();
        xapiDate = p.path("xapi").path("date").asText();
        networkBackend = p.path("networkBackend").asText();
        xenCapabilities = strings(p.path("xenCapabilities"));
        cpuFeatureset = p.path("cpuFeatureset").asText();
        chipsetInfo = Collections.unmodifiableMap(stringMap(p.path("chipsetInfo")));
        JsonNode lic = p.path("license");
        edition = lic.path("edition").asText();
        editions = strings(lic.path("editions"));
        dbv = lic.path("dbv").asText();
        Set<String> unsupported = Set.copyOf(strings(lic.path("unsupportedFeatures")));
        // license_params = additional params @ core params (Xapi_host.copy_license_to_db)
        Map<String, String> params = new LinkedHashMap<>();
        for (JsonNode f : lic.path("additionalFlags")) params.put(f.asText(), "false");
        for (JsonNode f : lic.path("coreFlags")) {
            String flag = f.get(0).asText();
            boolean enabled = !unsupported.contains(flag);
            boolean negative = f.get(1).asText().equals("negative");
            params.put(flag, Boolean.toString(negative != enabled));
        }
        licenseParams = Collections.unmodifiableMap(params);
        knownSmCapabilities = Set.copyOf(strings(p.path("knownSmCapabilities")));
        List<SmDriver> ds = new ArrayList<>();
        for (JsonNode d : sm.path("drivers")) {
            Map<String, String> conf = new LinkedHashMap<>();
            for (JsonNode c : d.path("configuration"))
                conf.put(c.get(0).asText(), c.get(1).asText());
            ds.add(new SmDriver(
                    d.path("type").asText(),
                    d.path("stem").asText(),
                    d.path("name").asText(),
                    d.path("description").asText(),
                    d.path("vendor").asText(),
                    d.path("copyright").asText(),
                    d.path("driver_version").asText(),
                    d.path("required_api_version").asText(),
                    strings(d.path("capabilities")),
                    Collections.unmodifiableMap(conf)));
        }
        smDrivers = List.copyOf(ds);
    }

    static ProductFacts get() {
        ProductFacts f = instance;
        if (f == null) {
            synchronized (ProductFacts.class) {
                f = instance;
                if (f == null) instance = f = new ProductFacts(readResource(PRODUCT), readResource(SM_DRIVERS));
            }
        }
        return f;
    }

    static JsonNode readResource(String name) {
        try (InputStream in = ProductFacts.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("missing resource " + name);
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + name, e);
        }
    }

    /** The product keys a fresh inventory gets (brand, versions, kernel, Xen). */
    Map<String, String> inventoryDefaults() {
        return inventoryDefaults;
    }

    /** xapi's own version: {@code software_version.xapi} is {@code major.minor}. */
    int xapiMajor() {
        return xapiMajor;
    }

    int xapiMinor() {
        return xapiMinor;
    }

    /** {@code software_version.xapi_build}. */
    String xapiVersion() {
        return xapiVersion;
    }

    /** {@code software_version.date} (xapi's build date). */
    String xapiDate() {
        return xapiDate;
    }

    String networkBackend() {
        return networkBackend;
    }

    /** {@code host.capabilities}: the Xen capability words. */
    List<String> xenCapabilities() {
        return xenCapabilities;
    }

    /** The CPU featureset written as {@code features_*} of {@code host.cpu_info} (no Xen to ask). */
    String cpuFeatureset() {
        return cpuFeatureset;
    }

    Map<String, String> chipsetInfo() {
        return chipsetInfo;
    }

    String edition() {
        return edition;
    }

    List<String> editions() {
        return editions;
    }

    /** The date-based version v6d reports ({@code software_version.dbv}). */
    String dbv() {
        return dbv;
    }

    /** {@code host.license_params} for the XCP-ng edition: additional flags then core flags, values "true"/"false". */
    Map<String, String> licenseParams() {
        return licenseParams;
    }

    /** Drops capability names Xapi does not know and sorts the rest, as {@code Smint.Feature.parse_string_int64}. */
    List<String> knownCapabilities(List<String> caps) {
        TreeSet<String> s = new TreeSet<>();
        for (String c : caps) {
            String name = c.contains("/") ? c.substring(0, c.indexOf('/')) : c;
            if (knownSmCapabilities.contains(name)) s.add(name);
        }
        return List.copyOf(s);
    }

    List<SmDriver> smDrivers() {
        return smDrivers;
    }

    SmDriver smDriver(String type) {
        for (SmDriver d : smDrivers) {
            if (d.type().equals(type)) return d;
        }
        throw new IllegalArgumentException("no SM driver " + type);
    }

    static List<String> strings(JsonNode arr) {
        List<String> out = new ArrayList<>();
        for (JsonNode x : arr) out.add(x.asText());
        return List.copyOf(out);
    }

    static Map<String, String> stringMap(JsonNode obj) {
        Map<String, String> m = new LinkedHashMap<>();
        obj.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
        return m;
    }
}
