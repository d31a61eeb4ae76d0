package org.xapijava.storage.smapiv1;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.xapijava.storage.SrStat;
import org.xapijava.storage.VdiInfo;

/**
 * {@link Smapiv1Host} in memory for tests. The VDIs are what the {@code RecordSR} test driver keeps in its
 * {@code db.json} (standing for the records a real driver creates through callbacks); refs are
 * {@code OpaqueRef:vdi-<location>}. sm_config keys and content_ids set by the adapter are kept here.
 */
final class FakeHost implements Smapiv1Host {
    static final String HOST = "OpaqueRef:host";
    static final String HOST_UUID = "host-uuid";
    private static final ObjectMapper JSON = new ObjectMapper();

    final Path db;
    final Map<String, String> srRefs = new ConcurrentHashMap<>();
    final Map<String, Map<String, String>> deviceConfigs = new ConcurrentHashMap<>();
    final Map<String, Map<String, String>> smConfig = new ConcurrentHashMap<>();
    final Map<String, String> contentIds = new ConcurrentHashMap<>();
    final AtomicInteger sessionsOpen = new AtomicInteger();
    final List<String> sessionScopes = new ArrayList<>();
    volatile boolean master = true;

    FakeHost(Path db) {
        this.db = db;
    }

    /** Adds SR {@code uuid} with ref {@code OpaqueRef:<uuid>} and the device_config of this host's PBD. */
    String addSr(String uuid, Map<String, String> dc) {
        String ref = "OpaqueRef:" + uuid;
        srRefs.put(uuid, ref);
        deviceConfigs.put(ref, new LinkedHashMap<>(dc));
        return ref;
    }

    private JsonNode records() {
        try {
            return Files.exists(db) ? JSON.readTree(db.toFile()) : JSON.createObjectNode();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String location(String vdiRef) {
        return vdiRef.substring("OpaqueRef:vdi-".length());
    }

    @Override
    public String hostRef() {
        return HOST;
    }

    @Override
    public String hostUuid() {
        return HOST_UUID;
    }

    @Override
    public String srRef(String srUuid) {
        return srRefs.get(srUuid);
    }

    @Override
    public boolean isSrMaster(String srRef) {
        return master;
    }

    @Override
    public Map<String, String> deviceConfig(String srRef) {
        return deviceConfigs.getOrDefault(srRef, Map.of());
    }

    @Override
    public String localCacheSrUuid() {
        return null;
    }

    @Override
    public String vdiRef(String srRef, String location) {
        return records().has(location) ? "OpaqueRef:vdi-" + location : null;
    }

    @Override
    public VdiRecord vdi(String vdiRef) {
        JsonNode r = records().get(location(vdiRef));
        return r == null ? null : new VdiRecord(r.path("uuid").asText(), location(vdiRef), "persist", false);
    }

    @Override
    public VdiInfo vdiInfo(String vdiRef) {
        String loc = location(vdiRef);
        JsonNode r = records().get(loc);
        if (r == null) return null;
        Map<String, String> sm = new LinkedHashMap<>();
        r.path("sm_config")
                .fields()
                .forEachRemaining(e -> sm.put(e.getKey(), e.getValue().asText()));
        sm.putAll(smConfig.getOrDefault(vdiRef, Map.of()));
        return new VdiInfo(
                loc,
                r.path("uuid").asText(),
                r.path("name_label").asText(),
                "",
                "user",
                Long.parseLong(r.path("size").asText()),
                0,
                false,
                false,
                sm);
    }

    @Override
    public List<VdiInfo> vdis(String srRef) {
        List<VdiInfo> out = new ArrayList<>();
        records().fieldNames().forEachRemaining(loc -> out.add(vdiInfo("OpaqueRef:vdi-" + loc)));
        return out;
    }

    @Override
    public SrStat srTotals(String srRef) {
        return new SrStat(100, 10, 50);
    }

    @Override
    public void setVdiSmConfigKey(String vdiRef, String key, String value) {
        Map<String, String> m = smConfig.computeIfAbsent(vdiRef, k -> new ConcurrentHashMap<>());
        if (value == null) m.remove(key);
        else m.put(key, value);
    }

    @Override
    public String contentId(String vdiRef) {
        return contentIds.get(vdiRef);
    }

    @Override
    public void setContentId(String vdiRef, String value) {
        if (value == null) contentIds.remove(vdiRef);
        else contentIds.put(vdiRef, value);
    }

    @Override
    public synchronized String openSmSession(String srRef) {
        sessionsOpen.incrementAndGet();
        sessionScopes.add(String.valueOf(srRef));
        return "OpaqueRef:session-" + sessionScopes.size();
    }

    @Override
    public void closeSmSession(String sessionRef) {
        sessionsOpen.decrementAndGet();
    }
}
