package org.xapijava.cli.records;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The CLI record tables: every record ({@code <name>.rec}), the generated command classes ({@code classes.tsv}) and the
 * CLI spellings of enum values ({@code enums.tsv}), read once from the resources beside this class. The format is
 * described in the {@code README.md} there.
 */
public final class RecordTables {
    static final String DIR = "/org/xapijava/cli/records/";

    /** Every record file, in Xapi's {@code records.ml} order. */
    static final List<String> RECORD_NAMES = List.of(
            "bond",
            "vlan",
            "tunnel",
            "message",
            "network_sriov",
            "pif",
            "task",
            "vif",
            "network",
            "pool",
            "vmss",
            "subject",
            "role",
            "console",
            "vm",
            "host_crashdump",
            "pool_patch",
            "pool_update",
            "host_cpu",
            "host",
            "vdi",
            "vbd",
            "crashdump",
            "sm",
            "sr",
            "pbd",
            "secret",
            "vm_appliance",
            "vm_group",
            "drtask",
            "pgpu",
            "gpu_group",
            "vgpu",
            "vgpu_type",
            "pvs_site",
            "pvs_server",
            "pvs_proxy",
            "pvs_cache_storage",
            "feature",
            "sdn_controller",
            "pusb",
            "usb_group",
            "vusb",
            "cluster",
            "cluster_host",
            "certificate",
            "repository",
            "hostdriver_variant",
            "hostdriver",
            "vtpm",
            "observer",
            "pci",
            "caller",
            "rate_limit");

    private static final Map<String, ClassCommands.Op> OPS = Map.of(
            "L", ClassCommands.Op.LIST,
            "PL", ClassCommands.Op.PARAM_LIST,
            "PG", ClassCommands.Op.PARAM_GET,
            "PS", ClassCommands.Op.PARAM_SET,
            "PA", ClassCommands.Op.PARAM_ADD,
            "PR", ClassCommands.Op.PARAM_REMOVE,
            "PC", ClassCommands.Op.PARAM_CLEAR);

    private final Map<String, RecordSpec> records;
    private final Map<String, List<FieldSpec>> unavailable;
    private final List<ClassCommands> classes;
    private final Map<String, ClassCommands> classesByCli;
    private final Map<String, Map<String, String>> enumTexts;

    private RecordTables(
            Map<String, RecordSpec> records,
            Map<String, List<FieldSpec>> unavailable,
            List<ClassCommands> classes,
            Map<String, Map<String, String>> enumTexts) {
        this.records = Collections.unmodifiableMap(records);
        this.unavailable = Collections.unmodifiableMap(unavailable);
        this.classes = List.copyOf(classes);
        Map<String, ClassCommands> byCli = new LinkedHashMap<>();
        for (ClassCommands c : classes) byCli.put(c.cliName(), c);
        this.classesByCli = Collections.unmodifiableMap(byCli);
        this.enumTexts = Collections.unmodifiableMap(enumTexts);
    }

    private static final class Holder {
        static final RecordTables INSTANCE = load();
    }

    /** The tables, parsed on first use. */
    public static RecordTables get() {
        return Holder.INSTANCE;
    }

    /** The record of that name ({@code vm}, {@code host_cpu}). */
    public RecordSpec record(String name) {
        RecordSpec r = records.get(name);
        if (r == null) throw new IllegalArgumentException("no CLI record named '" + name + "'");
        return r;
    }

    /** Every record, in Xapi's order. */
    public List<RecordSpec> records() {
        return List.copyOf(records.values());
    }

    /**
     * The fields of a record that the newest Xapi shows but whose source this project's datamodel lacks (lines
     * marked {@code ?}): not part of {@link #record}. Their paths are as Xapi would read them.
     */
    public List<FieldSpec> unavailable(String record) {
        record(record);
        return unavailable.getOrDefault(record, List.of());
    }

    /** The generated command classes, in Xapi's order. */
    public List<ClassCommands> classes() {
        return classes;
    }

    /** The command class of that CLI name ({@code vm}, {@code host-cpu}). */
    public Optional<ClassCommands> commandClass(String cliName) {
        return Optional.ofNullable(classesByCli.get(cliName));
    }

    /** How a {@link FieldSpec.Flag#CLI_ENUM} field shows a value of that enum type: the CLI text, else the wire value. */
    public String enumText(String enumType, String wireValue) {
        Map<String, String> m = enumTexts.get(enumType);
        String t = m == null ? null : m.get(wireValue);
        return t == null ? wireValue : t;
    }

    /**
     * The wire value a CLI text stands for in that enum type (case-insensitive), if the text is one of the CLI
     * spellings; a caller then also tries the wire values themselves.
     */
    public Optional<String> enumWireValue(String enumType, String text) {
        Map<String, String> m = enumTexts.getOrDefault(enumType, Map.of());
        for (Map.Entry<String, String> e : m.entrySet()) {
            if (e.getValue().equalsIgnoreCase(text) && !e.getValue().startsWith("(")) return Optional.of(e.getKey());
        }
        return Optional.empty();
    }

    /** The enum types {@code enums.tsv} spells. */
    public Set<String> spelledEnums() {
        return enumTexts.keySet();
    }

    // ---------------------------------------------------------------- loading

    private static RecordTables load() {
        Map<String, RecordSpec> records = new LinkedHashMap<>();
        Map<String, List<FieldSpec>> unavailable = new LinkedHashMap<>();
        for (String name : RECORD_NAMES) {
            String file = name + ".rec";
            List<FieldSpec> missing = new ArrayList<>();
            RecordSpec r = parseRecord(file, readLines(file), missing);
            if (!r.name().equals(name)) {
                throw new IllegalStateException(file + ": the header names record '" + r.name() + "'");
            }
            records.put(name, r);
            if (!missing.isEmpty()) unavailable.put(name, List.copyOf(missing));
        }
        List<ClassCommands> classes = parseClasses("classes.tsv", readLines("classes.tsv"));
        for (ClassCommands c : classes) {
            if (!records.containsKey(c.record())) {
                throw new IllegalStateException(
                        "classes.tsv: class " + c.cliName() + " shows unknown record '" + c.record() + "'");
            }
        }
        return new RecordTables(records, unavailable, classes, parseEnums("enums.tsv", readLines("enums.tsv")));
    }

    static List<String> readLines(String file) {
        try (InputStream in = RecordTables.class.getResourceAsStream(DIR + file)) {
            if (in == null) throw new IllegalStateException(file + ": missing resource " + DIR + file);
            List<String> lines = new ArrayList<>();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) lines.add(l);
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    private static IllegalStateException error(String file, int line, String message) {
        return new IllegalStateException(file + ":" + line + ": " + message);
    }

    private static boolean skipped(String line) {
        String t = line.strip();
        return t.isEmpty() || t.startsWith("#");
    }

    /**
     * Parses one {@code .rec} file; the fields marked {@code ?} go to {@code unavailable} instead of the record.
     *
     * @throws IllegalStateException naming the file and line of the first error
     */
    static RecordSpec parseRecord(String file, List<String> lines, List<FieldSpec> unavailable) {
        String name = null;
        String apiClass = null;
        List<FieldSpec> fields = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int no = i + 1;
            if (skipped(line)) continue;
            String[] w = line.strip().split("\\s+");
            if (name == null) {
                if (w.length != 3 || !w[0].equals("record")) {
                    throw error(file, no, "expected the header 'record <name> <class>'");
                }
                name = w[1];
                apiClass = w[2];
                continue;
            }
            boolean missing = w[0].startsWith("?");
            if (missing) w[0] = w[0].substring(1);
            FieldSpec f = parseField(file, no, w);
            if (!names.add(f.name())) throw error(file, no, "field '" + f.name() + "' given twice");
            (missing ? unavailable : fields).add(f);
        }
        if (name == null) throw error(file, lines.size(), "no 'record <name> <class>' header");
        return new RecordSpec(name, apiClass, fields);
    }

    private static FieldSpec parseField(String file, int no, String[] w) {
        if (w.length < 2 || w[0].isEmpty()) throw error(file, no, "expected '<cli-name> <source> [flags...]'");
        String name = w[0];
        String source = w[1];
        List<String> path = List.of();
        String computed = null;
        if (source.startsWith("#")) {
            computed = source.substring(1);
            if (computed.isEmpty()) throw error(file, no, "empty computed name");
        } else {
            path = Arrays.asList(source.split("/", -1));
            if (path.stream().anyMatch(String::isEmpty)) throw error(file, no, "bad source '" + source + "'");
        }
        FieldSpec.Shape shape = FieldSpec.Shape.SCALAR;
        boolean shapeGiven = false;
        boolean writable = false;
        boolean rwGiven = false;
        String setter = null;
        List<String> keys = List.of();
        Set<FieldSpec.Flag> flags = EnumSet.noneOf(FieldSpec.Flag.class);
        for (int k = 2; k < w.length; k++) {
            String flag = w[k];
            switch (flag) {
                case "rw" -> {
                    rwGiven = true;
                    writable = true;
                }
                case "set-ro", "set-rw", "map-ro", "map-rw" -> {
                    if (shapeGiven) throw error(file, no, "more than one of set-ro/set-rw/map-ro/map-rw");
                    shapeGiven = true;
                    shape = flag.startsWith("set") ? FieldSpec.Shape.SET : FieldSpec.Shape.MAP;
                    writable = flag.endsWith("-rw");
                }
                default -> {
                    if (flag.startsWith("setter=")) {
                        setter = flag.substring("setter=".length());
                        if (setter.indexOf('.') <= 0 || setter.endsWith(".")) {
                            throw error(file, no, "setter must be <Class>.<message>: '" + flag + "'");
                        }
                    } else if (flag.startsWith("keys=")) {
                        keys = Arrays.asList(flag.substring("keys=".length()).split(","));
                        if (keys.stream().anyMatch(String::isEmpty)) throw error(file, no, "empty key in " + flag);
                    } else {
                        flags.add(flag(file, no, flag));
                    }
                }
            }
        }
        if (shapeGiven && rwGiven) {
            throw error(file, no, "'rw' is for scalars: a set or map is set-rw or map-rw");
        }
        if (!keys.isEmpty() && shape != FieldSpec.Shape.MAP) throw error(file, no, "keys= on a field that is no map");
        if (flags.contains(FieldSpec.Flag.SET_IN_MAP) && setter == null) {
            throw error(file, no, "set-in-map needs setter=<Class>.<message>");
        }
        if ((flags.contains(FieldSpec.Flag.SET_IN_MAP) || flags.contains(FieldSpec.Flag.SET_WHOLE_MAP))
                && shape != FieldSpec.Shape.MAP) {
            throw error(file, no, "set-in-map / set-whole-map on a field that is no map");
        }
        return new FieldSpec(name, path, computed, shape, writable, setter, keys, flags);
    }

    private static FieldSpec.Flag flag(String file, int no, String word) {
        if (!word.equals(word.toLowerCase(Locale.ROOT)) || word.contains("_")) {
            throw error(file, no, "unknown flag '" + word + "'");
        }
        try {
            return FieldSpec.Flag.valueOf(word.replace('-', '_').toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw error(file, no, "unknown flag '" + word + "'");
        }
    }

    /** Parses {@code classes.tsv}. */
    static List<ClassCommands> parseClasses(String file, List<String> lines) {
        List<ClassCommands> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int no = i + 1;
            if (skipped(line)) continue;
            String[] c = line.split("\t", -1);
            if (c.length != 5 && c.length != 6) throw error(file, no, "expected 5 or 6 tab-separated columns");
            String cli = c[0].strip();
            if (cli.isEmpty() || !seen.add(cli)) throw error(file, no, "empty or repeated class '" + cli + "'");
            Set<ClassCommands.Op> ops = EnumSet.noneOf(ClassCommands.Op.class);
            if (c[2].strip().equals("all")) {
                ops = EnumSet.allOf(ClassCommands.Op.class);
            } else {
                for (String o : c[2].split(",")) {
                    ClassCommands.Op op = OPS.get(o.strip());
                    if (op == null) throw error(file, no, "unknown op '" + o + "'");
                    ops.add(op);
                }
            }
            List<Map.Entry<String, String>> filters = new ArrayList<>();
            for (String f : list(c[3])) {
                int eq = f.indexOf('=');
                if (eq <= 0) throw error(file, no, "filter must be name=value: '" + f + "'");
                filters.add(Map.entry(f.substring(0, eq), f.substring(eq + 1)));
            }
            String where = c.length == 6 && !c[5].isBlank() ? c[5].strip() : "true";
            out.add(new ClassCommands(cli, c[1].strip(), ops, filters, list(c[4]), where));
        }
        return out;
    }

    private static List<String> list(String column) {
        String t = column.strip();
        if (t.equals("-") || t.isEmpty()) return List.of();
        List<String> out = new ArrayList<>();
        for (String s : t.split(",")) out.add(s.strip());
        return out;
    }

    /** Parses {@code enums.tsv}: enum type to (wire value to CLI text). */
    static Map<String, Map<String, String>> parseEnums(String file, List<String> lines) {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (skipped(line)) continue;
            String[] c = line.split("\t", -1);
            if (c.length != 3 || c[0].isBlank() || c[1].isBlank() || c[2].isBlank()) {
                throw error(file, i + 1, "expected 'enum-type<TAB>wire value<TAB>CLI text'");
            }
            Map<String, String> m = out.computeIfAbsent(c[0], k -> new LinkedHashMap<>());
            if (m.put(c[1], c[2]) != null) throw error(file, i + 1, "value '" + c[1] + "' given twice");
        }
        out.replaceAll((k, v) -> Collections.unmodifiableMap(v));
        return out;
    }
}
