package org.xapijava.db.tool;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.xapijava.db.DbRepair;
import org.xapijava.db.persist.Delta;
import org.xapijava.db.persist.LoadedDb;
import org.xapijava.db.persist.RedoLogFormatException;
import org.xapijava.db.persist.RedoLogReader;
import org.xapijava.db.persist.StateDbFormatException;
import org.xapijava.db.persist.StateDbReader;
import org.xapijava.model.Datamodel;
import org.xapijava.model.rpc.Utf8Check;

/**
 * Prints what a {@code state.db} or a redo log holds (offline; never changes the file).
 *
 * <pre>
 * dbtool state.db FILE [--rows]   manifest, .generation, rows per table; with --rows every row
 * dbtool redo-log FILE            header, every batch with its deltas, and where a torn tail starts
 * dbtool repair STATE_DB [--redo-log FILE] [--dry-run]
 *                                 loads the database as xapi's start-up does (the redo log defaults to
 *                                 STATE_DB.redo when it exists), replaces every value the database refuses
 *                                 (see {@link DbRepair}), prints each change, and writes the repaired state.db
 *                                 (old files kept as .bak-TIME); with --dry-run it only prints. Stop xapi first.
 * </pre>
 *
 * Exit status: 0 fine (for repair: nothing to repair, or repaired), 1 the file is malformed or damaged beyond
 * repair, 2 usage or I/O error. Only {@code repair} without {@code --dry-run} changes files. Values are printed
 * in Java string-literal style where they hold characters that would be ambiguous on a terminal.
 */
public final class DbTool {
    private DbTool() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the tool; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length < 2) {
            return usage(err);
        }
        Path file = Path.of(args[1]);
        try {
            switch (args[0]) {
                case "state.db", "state-db" -> {
                    boolean rows = false;
                    for (int i = 2; i < args.length; i++) {
                        if (args[i].equals("--rows")) {
                            rows = true;
                        } else {
                            return usage(err);
                        }
                    }
                    stateDb(file, rows, out);
                    return 0;
                }
                case "repair" -> {
                    Path redo = null;
                    boolean dryRun = false;
                    for (int i = 2; i < args.length; i++) {
                        if (args[i].equals("--dry-run")) {
                            dryRun = true;
                        } else if (args[i].equals("--redo-log") && i + 1 < args.length) {
                            redo = Path.of(args[++i]);
                        } else {
                            return usage(err);
                        }
                    }
                    if (redo == null) redo = file.resolveSibling(file.getFileName() + ".redo");
                    return repair(file, redo, dryRun, out, err);
                }
                case "redo-log" -> {
                    if (args.length != 2) {
                        return usage(err);
                    }
                    return redoLog(file, out);
                }
                default -> {
                    return usage(err);
                }
            }
        } catch (StateDbFormatException | RedoLogFormatException e) {
            err.println("dbtool: malformed: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("dbtool: " + e);
            return 2;
        }
    }

    private static int usage(PrintStream err) {
        err.println("usage: dbtool state.db FILE [--rows]");
        err.println("       dbtool redo-log FILE");
        err.println("       dbtool repair STATE_DB [--redo-log FILE] [--dry-run]");
        return 2;
    }

    private static void stateDb(Path file, boolean rows, PrintStream out) throws IOException {
        LoadedDb db = StateDbReader.read(file);
        out.println("file: " + file + " (" + Files.size(file) + " bytes)");
        out.println("schema: " + db.schemaMajor() + "." + db.schemaMinor());
        out.println("generation_count: " + db.generation());
        OptionalLong gen = StateDbReader.readGeneration(file);
        out.println(".generation: " + (gen.isPresent() ? Long.toString(gen.getAsLong()) : "(none)")
                + (gen.isPresent() && gen.getAsLong() != db.generation() ? "  (differs from the manifest)" : ""));
        long total = 0;
        out.println("tables: " + db.tables().size());
        for (Map.Entry<String, List<LoadedDb.LoadedRow>> t : db.tables().entrySet()) {
            out.printf("  %-36s %8d rows%n", t.getKey(), t.getValue().size());
            total += t.getValue().size();
        }
        out.println("rows: " + total);
        if (rows) {
            for (Map.Entry<String, List<LoadedDb.LoadedRow>> t : db.tables().entrySet()) {
                for (LoadedDb.LoadedRow r : t.getValue()) {
                    out.println();
                    out.println(t.getKey() + " " + r.ref() + "  ctime=" + r.created() + " mtime=" + r.modified());
                    for (Map.Entry<String, String> c : new TreeMap<>(r.columns()).entrySet()) {
                        out.println("  " + c.getKey() + " = " + show(c.getValue()));
                    }
                }
            }
        }
    }

    private static int repair(Path stateDb, Path redoLog, boolean dryRun, PrintStream out, PrintStream err) {
        DbRepair.Result r;
        try {
            r = DbRepair.repair(Datamodel.get(), stateDb, redoLog, !dryRun);
        } catch (IOException e) {
            err.println("dbtool: " + e.getMessage());
            return 1;
        }
        for (DbRepair.Change c : r.changes()) {
            out.println(c.source() + ": " + c.table() + " " + c.ref() + " " + c.column() + ": " + c.problem());
            out.println("    was: " + show(c.before()));
            out.println("    now: " + show(c.after()));
        }
        if (r.changes().isEmpty()) {
            out.println("nothing to repair in " + stateDb + (Files.exists(redoLog) ? " and " + redoLog : ""));
        } else if (dryRun) {
            out.println(r.changes().size() + " values would be replaced (dry run: nothing written)");
        } else {
            out.println(
                    r.changes().size() + " values replaced; " + stateDb + " rewritten at generation " + r.generation());
            for (Path b : r.backups()) out.println("kept the old file as " + b);
        }
        return 0;
    }

    private static int redoLog(Path file, PrintStream out) throws IOException {
        out.println("file: " + file + " (" + Files.size(file) + " bytes)");
        RedoLogReader.Header header = RedoLogReader.readHeader(file);
        out.println(
                "header: magic XJREDOLG, format version " + header.version() + ", first group " + header.firstGroup());
        long[] deltas = {0};
        RedoLogReader.Scan scan = RedoLogReader.scan(file, e -> {
            out.println("batch generation " + e.batch().generation() + "  (byte " + e.offset() + ", " + e.length()
                    + " bytes, group " + e.group() + (e.endOfGroup() ? ", ends group" : "") + ", "
                    + e.batch().deltas().size() + " deltas)");
            for (Delta d : e.batch().deltas()) {
                deltas[0]++;
                switch (d) {
                    case Delta.CreateRow c -> {
                        out.println("  CreateRow " + c.table() + " " + c.ref());
                        for (Map.Entry<String, String> col : new TreeMap<>(c.columns()).entrySet()) {
                            out.println("    " + col.getKey() + " = " + show(col.getValue()));
                        }
                    }
                    case Delta.DeleteRow x -> out.println("  DeleteRow " + x.table() + " " + x.ref());
                    case Delta.WriteField w ->
                        out.println("  WriteField " + w.table() + " " + w.ref() + " " + w.column() + " = "
                                + show(w.value()));
                }
            }
        });
        out.println("batches: " + scan.records() + ", deltas: " + deltas[0] + ", last generation: "
                + (scan.records() == 0 ? "(none)" : Long.toString(scan.lastGeneration())));
        if (scan.torn()) {
            out.println("torn tail: " + (scan.fileSize() - scan.validEnd()) + " bytes from byte " + scan.validEnd()
                    + " (" + scan.tornReason() + "); replay ignores them, opening the log truncates them");
        } else {
            out.println("torn tail: none");
        }
        return 0;
    }

    /** A value as is when plain, else quoted with escapes for what a terminal would hide. */
    static String show(String v) {
        boolean plain = !v.isEmpty();
        for (int i = 0; i < v.length() && plain; i++) {
            char c = v.charAt(i);
            plain = c > ' ' && c != '"' && c != '\\' && c != 0x7f && (Utf8Check.storableBmp(c) || storablePair(v, i));
        }
        if (plain) {
            return v;
        }
        StringBuilder sb = new StringBuilder(v.length() + 2).append('"');
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (c < ' ' || c == 0x7f || !Utf8Check.storableBmp(c) && !storablePair(v, i)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    /** Whether {@code v} has a storable surrogate pair at {@code i} or ending at {@code i}. */
    private static boolean storablePair(String v, int i) {
        int start = Character.isLowSurrogate(v.charAt(i)) ? i - 1 : i;
        if (start < 0 || start + 1 >= v.length()) return false;
        return Utf8Check.firstUnstorable(v.substring(start, start + 2)) < 0;
    }
}
