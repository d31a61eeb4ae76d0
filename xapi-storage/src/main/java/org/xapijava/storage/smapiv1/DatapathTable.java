package org.xapijava.storage.smapiv1;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.xapijava.model.util.AtomicFiles;
import org.xapijava.storage.AttachInfo;
import org.xapijava.storage.smapiv1.VdiAutomaton.State;

/**
 * The state Xapi's {@code storage_smapiv1_wrapper} keeps for this host, and its file: the SRs attached here (with
 * their type), for each VDI in use the attach result, every datapath's {@link State}, the datapaths whose teardown
 * failed ({@code leaked}) and the VM of each datapath, plus the last 100 errors. Written whole, atomically, to
 * {@code <dir>/storage.db} after every change ({@link #save}); read back at construction, so a restarted server knows
 * what is attached and activated. Xapi's directory is {@code /var/run/nonpersistent/xapi} (a tmpfs: the state is
 * meant to die with a reboot). Callers synchronise on the table for every access.
 */
final class DatapathTable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_ERRORS = 100;

    /** One VDI's datapaths. */
    static final class Vdi {
        AttachInfo attachInfo;
        final Map<String, State> dps = new LinkedHashMap<>();
        final LinkedHashSet<String> leaked = new LinkedHashSet<>();
        final Map<String, String> dpv = new LinkedHashMap<>();

        State superstate() {
            return VdiAutomaton.superstate(dps.values());
        }

        State of(String dp) {
            return dps.getOrDefault(dp, State.DETACHED);
        }

        void set(String dp, String vm, State s) {
            if (s == State.DETACHED) {
                dps.remove(dp);
                dpv.remove(dp);
            } else {
                dps.put(dp, s);
                if (vm != null) dpv.put(dp, vm);
            }
        }
    }

    /** One attached SR. */
    static final class Sr {
        final String type;
        final Map<String, Vdi> vdis = new LinkedHashMap<>();

        Sr(String type) {
            this.type = type;
        }
    }

    /** One remembered failure. */
    record Failure(String dp, String time, String sr, String vdi, String error) {}

    private final Path file;
    final Map<String, Sr> srs = new LinkedHashMap<>();
    private final Deque<Failure> errors = new ArrayDeque<>();

    /** The table of {@code dir/storage.db}, loaded when the file exists. */
    DatapathTable(Path dir) {
        this.file = dir.resolve("storage.db");
        try {
            Files.createDirectories(dir);
            if (Files.exists(file)) load(JSON.readTree(file.toFile()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    Path file() {
        return file;
    }

    void addError(String dp, String sr, String vdi, String error) {
        errors.addLast(new Failure(dp, Instant.now().toString(), sr, vdi, error));
        while (errors.size() > MAX_ERRORS) errors.removeFirst();
    }

    List<Failure> errors() {
        return new ArrayList<>(errors);
    }

    /** Writes the whole table (atomically: a reader sees the old or the new file). */
    void save() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode s = root.putObject("srs");
        for (Map.Entry<String, Sr> e : srs.entrySet()) {
            ObjectNode sr = s.putObject(e.getKey());
            sr.put("type", e.getValue().type);
            ObjectNode vs = sr.putObject("vdis");
            for (Map.Entry<String, Vdi> ve : e.getValue().vdis.entrySet()) {
                Vdi v = ve.getValue();
                ObjectNode vn = vs.putObject(ve.getKey());
                if (v.attachInfo != null) vn.set("attach_info", attachJson(v.attachInfo));
                ObjectNode dps = vn.putObject("dps");
                v.dps.forEach((dp, st) -> dps.put(dp, st.name()));
                ArrayNode leaked = vn.putArray("leaked");
                v.leaked.forEach(leaked::add);
                ObjectNode dpv = vn.putObject("dpv");
                v.dpv.forEach(dpv::put);
            }
        }
        ArrayNode errs = root.putArray("errors");
        for (Failure f : errors) {
            errs.addObject()
                    .put("dp", f.dp())
                    .put("time", f.time())
                    .put("sr", f.sr())
                    .put("vdi", f.vdi())
                    .put("error", f.error());
        }
        try {
            AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private void load(JsonNode root) {
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("srs").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Sr sr = new Sr(e.getValue().path("type").asText());
            for (Iterator<Map.Entry<String, JsonNode>> vi =
                            e.getValue().path("vdis").fields();
                    vi.hasNext(); ) {
                Map.Entry<String, JsonNode> ve = vi.next();
                JsonNode vn = ve.getValue();
                Vdi v = new Vdi();
                if (vn.hasNonNull("attach_info")) v.attachInfo = attachOf(vn.get("attach_info"));
                vn.path("dps")
                        .fields()
                        .forEachRemaining(d ->
                                v.dps.put(d.getKey(), State.valueOf(d.getValue().asText())));
                vn.path("leaked").forEach(l -> v.leaked.add(l.asText()));
                vn.path("dpv")
                        .fields()
                        .forEachRemaining(
                                d -> v.dpv.put(d.getKey(), d.getValue().asText()));
                sr.vdis.put(ve.getKey(), v);
            }
            srs.put(e.getKey(), sr);
        }
        for (JsonNode f : root.path("errors")) {
            errors.addLast(new Failure(
                    f.path("dp").asText(),
                    f.path("time").asText(),
                    f.path("sr").asText(),
                    f.path("vdi").asText(),
                    f.path("error").asText()));
        }
    }

    private static ObjectNode attachJson(AttachInfo a) {
        ObjectNode n = JSON.createObjectNode();
        n.put("read_write", a.readWrite());
        if (a.params() != null) n.put("params", a.params());
        n.put("params_nbd", a.paramsNbd());
        n.put("o_direct", a.oDirect());
        n.put("o_direct_reason", a.oDirectReason());
        ObjectNode x = n.putObject("xenstore_data");
        a.xenstoreData().forEach(x::put);
        return n;
    }

    private static AttachInfo attachOf(JsonNode n) {
        Map<String, String> xs = new LinkedHashMap<>();
        n.path("xenstore_data")
                .fields()
                .forEachRemaining(e -> xs.put(e.getKey(), e.getValue().asText()));
        return AttachInfo.ofSmapiv1(
                n.path("read_write").asBoolean(),
                n.hasNonNull("params") ? n.get("params").asText() : null,
                n.path("params_nbd").asText(),
                n.path("o_direct").asBoolean(true),
                n.path("o_direct_reason").asText(),
                xs);
    }
}
