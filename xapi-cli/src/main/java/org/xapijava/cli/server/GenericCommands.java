package org.xapijava.cli.server;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xapijava.cli.records.ClassCommands;
import org.xapijava.cli.records.CliFailure;
import org.xapijava.cli.records.FieldSpec;
import org.xapijava.cli.records.Filters;
import org.xapijava.cli.records.ObjectRecord;
import org.xapijava.cli.records.RecordSetters;
import org.xapijava.cli.records.RecordSpec;
import org.xapijava.cli.records.RecordTables;

/**
 * The generated commands of every CLI class ({@code cli_operations.ml make_param_funs}): {@code <c>-list},
 * {@code -param-list}, {@code -param-get} always; {@code -param-set} when a field can be set,
 * {@code -param-add}/{@code -param-remove} when a set or map can be added to, {@code -param-clear} when any field can
 * be cleared.
 */
public final class GenericCommands {
    /** One generated command; {@code implemented} is false for the classes the datamodel lacks. */
    public record Generated(CommandSpec spec, CommandImpl impl, boolean implemented) {}

    private GenericCommands() {}

    /** Every generated command of every class. */
    public static List<Generated> all() {
        List<Generated> out = new ArrayList<>();
        for (ClassCommands c : RecordTables.get().classes()) out.addAll(of(c));
        return out;
    }

    static List<Generated> of(ClassCommands c) {
        RecordSpec spec = RecordTables.get().record(c.record());
        if (!available(spec)) {
            // a class of a newer Xapi than the datamodel: its commands exist and answer NOT_IMPLEMENTED
            List<Generated> out = new ArrayList<>();
            for (ClassCommands.Op op : c.ops()) {
                String name = c.cliName() + op.suffix;
                Generated g = gen(name, List.of(), List.of(), "", false, ctx -> {
                    throw new org.xapijava.model.errors.ApiError("NOT_IMPLEMENTED", "xe " + name);
                });
                out.add(new Generated(g.spec(), g.impl(), false));
            }
            return out;
        }
        List<FieldSpec> shown = spec.fields().stream()
                .filter(f -> !f.has(FieldSpec.Flag.HIDDEN))
                .toList();
        List<String> settable = new ArrayList<>();
        for (FieldSpec f : shown) if (f.shape() == FieldSpec.Shape.SCALAR && f.writable()) settable.add(f.name());
        for (FieldSpec f : shown) {
            if (f.shape() == FieldSpec.Shape.MAP
                    && (f.writable() || f.has(FieldSpec.Flag.SET_IN_MAP) || f.has(FieldSpec.Flag.SET_WHOLE_MAP)))
                settable.add(f.name() + ":");
        }
        List<String> addable = shown.stream()
                .filter(f -> f.shape() != FieldSpec.Shape.SCALAR && f.writable())
                .map(FieldSpec::name)
                .toList();
        List<String> clearable = shown.stream()
                .filter(f -> f.shape() != FieldSpec.Shape.SCALAR || f.writable())
                .map(FieldSpec::name)
                .toList();
        List<String> listOptn = new ArrayList<>(List.of("params", "database:"));
        shown.forEach(f -> listOptn.add(f.name()));
        shown.stream().filter(f -> f.shape() == FieldSpec.Shape.SET).forEach(f -> listOptn.add(f.name() + ":contains"));
        String n = c.cliName();
        String plural = n.equals("patch") ? "patches" : n + "s";
        boolean std = n.equals("vm") || n.equals("network") || n.equals("sr");
        List<Generated> out = new ArrayList<>();
        if (!settable.isEmpty()) {
            out.add(gen(
                    n + "-param-set",
                    List.of("uuid"),
                    settable,
                    "Sets the parameter specified. If param-value is"
                            + " not given, the parameter is set to a null value. To set a (key,value) pair in a map parameter,"
                            + " use the syntax 'map-param:key=value'.",
                    false,
                    ctx -> paramSet(ctx, spec)));
        }
        out.add(gen(
                n + "-list",
                List.of(),
                listOptn,
                "Lists all the " + plural + ", filtering on the optional"
                        + " arguments. To filter on map parameters, use the syntax 'map-param:key=value'",
                std,
                ctx -> list(ctx, c, spec)));
        out.add(gen(
                n + "-param-list",
                List.of("uuid"),
                List.of("database:"),
                "Lists all the parameters of the object specified by the uuid.",
                false,
                ctx -> paramList(ctx, spec)));
        out.add(gen(
                n + "-param-get",
                List.of("uuid", "param-name"),
                List.of("param-key", "database:"),
                "Gets the parameter specified of the object. If the parameter is a map of key=value pairs, use"
                        + " 'param-key=<key>' to get the value associated with a particular key.",
                false,
                ctx -> paramGet(ctx, spec)));
        if (!addable.isEmpty()) {
            out.add(gen(
                    n + "-param-add",
                    List.of("uuid", "param-name"),
                    List.of("param-key"),
                    "Adds to a set or map"
                            + " parameter. If the parameter is a set, use param-key=<key to add>. If the parameter is a map,"
                            + " pass the values to add as 'key=value' pairs.",
                    false,
                    ctx -> paramAdd(ctx, spec)));
            out.add(gen(
                    n + "-param-remove",
                    List.of("uuid", "param-name", "param-key"),
                    List.of(),
                    "Removes a member or a key,value pair from a set/map respectively.",
                    false,
                    ctx -> paramRemove(ctx, spec)));
        }
        if (!clearable.isEmpty()) {
            out.add(gen(
                    n + "-param-clear",
                    List.of("uuid", "param-name"),
                    List.of(),
                    "Clears the specified parameter (param-name can be " + String.join(",", clearable) + ").",
                    false,
                    ctx -> paramClear(ctx, spec)));
        }
        return out;
    }

    private static Generated gen(
            String name, List<String> reqd, List<String> optn, String help, boolean standard, CommandImpl impl) {
        Set<CommandFlag> flags = standard ? Set.of(CommandFlag.STANDARD) : Set.of();
        return new Generated(new CommandSpec(name, reqd, optn, help, flags, null, ImplKind.NO_FD), impl, true);
    }

    /** Whether the datamodel has the record's class (newer Xapi classes this project lacks have none). */
    static boolean available(RecordSpec spec) {
        return org.xapijava.model.Datamodel.get().cls(spec.apiClass()) != null;
    }

    private static void list(CommandContext ctx, ClassCommands c, RecordSpec spec) {
        Params p = ctx.params();
        ApiResolver r = new ApiResolver(ctx.api(), ctx.host());
        List<ObjectRecord> all = r.all(spec, c.apiWhere());
        List<Map.Entry<String, String>> filters = new ArrayList<>(c.defaultFilters());
        for (Map.Entry<String, String> e : p.entries()) {
            String k = e.getKey();
            if (k.equals("params") || Params.STANDARD.contains(k) || k.startsWith("database:")) continue;
            filters.add(e);
        }
        List<ObjectRecord> shown = p.bool("all", false) ? all : Filters.apply(all, filters);
        List<FieldSpec> columns = columns(spec, p, c.defaultColumns());
        List<Printer.Row> rows = new ArrayList<>();
        for (ObjectRecord o : shown) rows.add(new Printer.Row(ObjectRecord.labelled(o, columns, true)));
        ctx.out().table(rows);
    }

    /** Xapi's {@code select_fields}: the fields named ({@code params=}, else the defaults), in record order. */
    static List<FieldSpec> columns(RecordSpec spec, Params p, List<String> defaults) {
        List<String> names = defaults;
        if (p.has("params")) {
            String ps = p.get("params");
            names = ps.equals("all") ? List.of() : List.of(ps.split(",", -1));
        }
        Set<String> wanted = new HashSet<>(names);
        List<FieldSpec> out = new ArrayList<>();
        for (FieldSpec f : spec.fields()) {
            if (f.has(FieldSpec.Flag.HIDDEN)) continue;
            if (wanted.isEmpty() || wanted.contains(f.name())) out.add(f);
        }
        return out;
    }

    private static ObjectRecord object(CommandContext ctx, RecordSpec spec) {
        return new ApiResolver(ctx.api(), ctx.host()).byUuid(spec, ctx.params().get("uuid"));
    }

    private static void paramList(CommandContext ctx, RecordSpec spec) {
        ObjectRecord o = object(ctx, spec);
        List<FieldSpec> fields = spec.fields().stream()
                .filter(f -> !f.has(FieldSpec.Flag.HIDDEN))
                .toList();
        ctx.out().table(List.of(new Printer.Row(ObjectRecord.labelled(o, fields, false))));
    }

    private static void paramGet(CommandContext ctx, RecordSpec spec) {
        ObjectRecord o = object(ctx, spec);
        FieldSpec f = o.field(ctx.params().get("param-name"));
        if (ctx.params().has("param-key") && f.shape() == FieldSpec.Shape.MAP) {
            String key = ctx.params().get("param-key");
            for (Map.Entry<String, String> e : o.entries(f)) {
                if (e.getKey().equals(key)) {
                    ctx.out().list(List.of(e.getValue()));
                    return;
                }
            }
            throw new CliFailure("Key " + key + " not found in map");
        }
        ctx.out().list(List.of(o.get(f)));
    }

    private static void paramSet(CommandContext ctx, RecordSpec spec) {
        ObjectRecord o = object(ctx, spec);
        RecordSetters s = new RecordSetters(o);
        Map<FieldSpec, List<Map.Entry<String, String>>> wholeMaps = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : ctx.params().entries()) {
            String k = e.getKey();
            String v = e.getValue();
            if (k.equals("uuid") || Params.STANDARD.contains(k)) continue;
            switch (Filters.target(spec, k)) {
                case Filters.Normal n -> {
                    FieldSpec f = n.field();
                    if (f.shape() == FieldSpec.Shape.SCALAR && f.writable()) s.set(f, v);
                    else if (f.shape() == FieldSpec.Shape.MAP && f.writable()) {
                        throw new CliFailure("Field '" + k + "' is a map or set. use the 'name:key=value' syntax.");
                    } else throw new CliFailure("Field '" + k + "' is read-only.");
                }
                case Filters.InMap m -> {
                    FieldSpec f = m.field();
                    if (f.has(FieldSpec.Flag.SET_IN_MAP)) s.setInMap(f, m.key(), v);
                    else if (f.has(FieldSpec.Flag.SET_WHOLE_MAP)) {
                        wholeMaps.computeIfAbsent(f, x -> new ArrayList<>()).add(0, Map.entry(m.key(), v));
                    } else if (!f.writable()) {
                        throw new CliFailure("Map field '" + f.name() + "' is read-only.");
                    } else {
                        boolean present =
                                o.entries(f).stream().anyMatch(x -> x.getKey().equals(m.key()));
                        if (present) s.removeFromMap(f, m.key());
                        s.addToMap(f, m.key(), v);
                    }
                }
                case Filters.InSet x -> throw new CliFailure("Cannot param-set on set fields");
            }
        }
        wholeMaps.forEach(s::setMap);
    }

    private static void paramAdd(CommandContext ctx, RecordSpec spec) {
        ObjectRecord o = object(ctx, spec);
        Params p = ctx.params();
        FieldSpec f = o.field(p.get("param-name"));
        RecordSetters s = new RecordSetters(o);
        if (f.shape() == FieldSpec.Shape.SET && f.writable()) {
            String key = p.opt("param-key")
                    .orElseThrow(() -> new CliFailure("When adding a key to a set, use the syntax: *-param-add"
                            + " param-name=<name> param-key=<key>"));
            s.addToSet(f, key);
        } else if (f.shape() == FieldSpec.Shape.MAP && f.writable()) {
            for (Map.Entry<String, String> e : p.entries()) {
                String k = e.getKey();
                if (k.equals("uuid") || k.equals("param-name") || k.equals("param-key") || Params.STANDARD.contains(k))
                    continue;
                s.addToMap(f, k, e.getValue());
            }
        } else if (f.shape() != FieldSpec.Shape.SCALAR) {
            throw new CliFailure("Parameter is read-only");
        } else {
            throw new CliFailure("Can only add to parameters of type Set or Map");
        }
    }

    private static void paramRemove(CommandContext ctx, RecordSpec spec) {
        ObjectRecord o = object(ctx, spec);
        Params p = ctx.params();
        FieldSpec f = o.field(p.get("param-name"));
        String key = p.get("param-key");
        RecordSetters s = new RecordSetters(o);
        if (f.shape() == FieldSpec.Shape.SET && f.writable()) {
            if (!o.members(f).contains(key)) throw new CliFailure("Key " + key + " is not in the set");
            s.removeFromSet(f, key);
        } else if (f.shape() == FieldSpec.Shape.MAP && f.writable()) {
            if (o.entries(f).stream().noneMatch(e -> e.getKey().equals(key))) {
                throw new CliFailure("Key " + key + " is not in map");
            }
            s.removeFromMap(f, key);
        } else if (f.shape() != FieldSpec.Shape.SCALAR) {
            throw new CliFailure("Cannot remove parameters from read-only map");
        } else {
            throw new CliFailure("Can only remove from parameters of type Set or Map");
        }
    }

    private static void paramClear(CommandContext ctx, RecordSpec spec) {
        ObjectRecord o = object(ctx, spec);
        FieldSpec f = o.field(ctx.params().get("param-name"));
        RecordSetters s = new RecordSetters(o);
        if (f.shape() == FieldSpec.Shape.SET && f.writable()) {
            for (String m : o.members(f)) s.removeFromSet(f, m);
        } else if (f.shape() == FieldSpec.Shape.MAP
                && (f.has(FieldSpec.Flag.SET_WHOLE_MAP) || f.has(FieldSpec.Flag.CLEAR_BY_SET))) {
            s.setMap(f, List.of());
        } else if (f.shape() == FieldSpec.Shape.MAP && f.writable()) {
            for (Map.Entry<String, String> e : o.entries(f)) s.removeFromMap(f, e.getKey());
        } else if (f.shape() == FieldSpec.Shape.SCALAR && f.writable()) {
            try {
                s.set(f, "");
            } catch (RuntimeException e) {
                throw new CliFailure("Cannot clear this parameter");
            }
        } else {
            throw new CliFailure("Can only clear RW parameters");
        }
    }
}
