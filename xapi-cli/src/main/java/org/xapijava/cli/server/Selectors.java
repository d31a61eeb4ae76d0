package org.xapijava.cli.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xapijava.cli.records.CliFailure;
import org.xapijava.cli.records.Filters;
import org.xapijava.cli.records.MissingField;
import org.xapijava.cli.records.ObjectRecord;
import org.xapijava.cli.records.RecordSpec;
import org.xapijava.cli.records.RecordTables;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.errors.ErrorRegistry;

/**
 * The objects a selector command acts on ({@code cli_operations.ml select_vms/select_hosts/select_srs} and
 * {@code do_vm_op/do_host_op/do_sr_op}): the pseudo-field ({@code vm=}, {@code host=}, {@code sr=}) as a database
 * query, every other parameter but the standard ones and the command's own as a filter, then one object, or several
 * with {@code --multiple}, failures collected.
 */
public final class Selectors {
    private Selectors() {}

    /** What a selector command does to one object. */
    @FunctionalInterface
    public interface Op<T> {
        T apply(ObjectRecord o) throws Exception;
    }

    /** Which VMs a VM command may see beyond ordinary ones. */
    public record VmScope(boolean controlDomains, boolean templates) {
        public static final VmScope ORDINARY = new VmScope(false, false);
    }

    /** {@code do_vm_op}. */
    public static <T> List<T> vms(CommandContext c, VmScope scope, boolean multiple, Set<String> ignore, Op<T> op) {
        List<ObjectRecord> vms;
        try {
            vms = selectVms(c, scope, ignore);
        } catch (MissingField m) {
            throw new CliFailure(
                    "Parameter '" + m.field + "' is not a field of the VM class. Failed to select VM for operation.");
        }
        return run(
                c,
                vms,
                multiple,
                op,
                "No matching VMs found",
                "Multiple matches VMs found. Operation can only be performed on one VM at a time",
                "Multiple matches VMs found. --multiple required to complete the operation");
    }

    /** {@code do_host_op}. */
    public static <T> List<T> hosts(CommandContext c, boolean multiple, Set<String> ignore, Op<T> op) {
        List<ObjectRecord> hosts = select(
                c,
                "host",
                "(field \"uuid\"=\"%1$s\") or (field \"hostname\"=\"%1$s\") or" + " (field \"name__label\"=\"%1$s\")",
                ignore,
                List.of());
        return run(
                c,
                hosts,
                multiple,
                op,
                "No matching hosts found",
                "Multiple matching hosts found. Operation can only be performed on one host at a time",
                "Multiple matching hosts found. --multiple required to complete the operation");
    }

    /** {@code do_sr_op}. */
    public static <T> List<T> srs(CommandContext c, boolean multiple, Set<String> ignore, Op<T> op) {
        List<ObjectRecord> srs =
                select(c, "sr", "(field \"uuid\"=\"%1$s\") or (field \"name__label\"=\"%1$s\")", ignore, List.of());
        return run(
                c,
                srs,
                multiple,
                op,
                "No matching hosts found",
                "Multiple matching SRs found. Operation can only be performed on one SR at a time",
                "Multiple matching SRs found. --multiple required to complete the operation");
    }

    /** {@code select_vms}: ordinary VMs unless the scope says otherwise. */
    public static List<ObjectRecord> selectVms(CommandContext c, VmScope scope, Set<String> ignore) {
        List<Map.Entry<String, String>> pre = new ArrayList<>();
        if (!scope.templates()) pre.add(Map.entry("is-a-template", "false"));
        if (!scope.controlDomains()) pre.add(Map.entry("is-control-domain", "false"));
        return select(c, "vm", "(field \"uuid\"=\"%1$s\") or (field \"name__label\"=\"%1$s\")", ignore, pre);
    }

    private static List<ObjectRecord> select(
            CommandContext c, String pseudo, String query, Set<String> ignore, List<Map.Entry<String, String>> pre) {
        String record = pseudo.equals("vm") ? "vm" : pseudo;
        RecordSpec spec = RecordTables.get().record(record);
        List<Map.Entry<String, String>> params = new ArrayList<>(pre);
        params.addAll(c.params().entries());
        String where = "true";
        for (Map.Entry<String, String> e : params) {
            if (e.getKey().equals(pseudo)) {
                String v = e.getValue().replace("\"", "\\\"");
                where = String.format(query, v);
                break;
            }
        }
        boolean pseudoSeen = false;
        List<Map.Entry<String, String>> filters = new ArrayList<>();
        for (Map.Entry<String, String> e : params) {
            if (e.getKey().equals(pseudo) && !pseudoSeen) {
                pseudoSeen = true;
                continue;
            }
            String stem = e.getKey().split(":", 2)[0];
            if (Params.STANDARD.contains(stem) || ignore.contains(stem)) continue;
            filters.add(e);
        }
        ApiResolver r = new ApiResolver(c.api(), c.host());
        return Filters.apply(r.all(spec, where), filters);
    }

    private static <T> List<T> run(
            CommandContext c,
            List<ObjectRecord> objs,
            boolean multiple,
            Op<T> op,
            String none,
            String onlyOne,
            String needMultiple) {
        if (objs.isEmpty()) throw new CliFailure(none);
        if (objs.size() == 1) return java.util.Collections.singletonList(call(op, objs.get(0)));
        if (!multiple || !c.params().bool("multiple", false)) throw new CliFailure(multiple ? needMultiple : onlyOne);
        List<T> out = new ArrayList<>();
        List<Map.Entry<String, String>> fails = new ArrayList<>();
        for (ObjectRecord o : objs) {
            try {
                out.add(op.apply(o));
            } catch (ApiError e) {
                ErrorRegistry.ErrorDef d = ErrorRegistry.get(e.code());
                String msg = d == null || d.doc() == null
                        ? ErrorPrinter.stringOfExn(e)
                        : d.doc() + "\n" + String.join("\n", ErrorPrinter.describe(e.code(), d.params(), e.params()));
                fails.add(0, Map.entry(uuid(o), msg));
            } catch (Exception e) {
                fails.add(0, Map.entry(uuid(o), String.valueOf(e.getMessage())));
            }
        }
        if (!fails.isEmpty()) throw new CliErrors.MultipleFailure(fails);
        return out;
    }

    private static <T> T call(Op<T> op, ObjectRecord o) {
        try {
            return op.apply(o);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String uuid(ObjectRecord o) {
        return String.valueOf(o.raw().get("uuid"));
    }
}
