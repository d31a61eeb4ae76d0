package org.xapijava.server.vm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.xapijava.db.Db;
import org.xapijava.db.Update;
import org.xapijava.model.ClassDef;
import org.xapijava.model.Datamodel;
import org.xapijava.model.FieldDef;
import org.xapijava.model.api.VM;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DbStrings;
import org.xapijava.model.types.XType;

/**
 * {@code VM.snapshot_metadata}: a VM's whole database row at snapshot time, in Xapi's form
 * ({@code Helpers.vm_to_string}): an S-expression {@code (('column' 'value') ...)} of every column in
 * descending column-name order (Xapi folds its column map into a list), values in database string
 * form, {@code \} and {@code '} backslash-escaped. Read back by {@code VM.revert}
 * ({@code vm_string_to_assoc}, {@code copy_vm_fields}). Stateless.
 */
public final class SnapshotMetadata {
    private static final XType COLUMNS = new XType.MapType(XType.STRING, XType.STRING);

    private SnapshotMetadata() {}

    /** The metadata string of {@code vm}'s row as {@code db} sees it. */
    public static String of(Db db, String vm) {
        TreeMap<String, String> cols = new TreeMap<>(db.columns(VM.XAPI_CLASS, vm));
        cols.put("_ref", vm);
        // the database's string form of a string map: (('column' 'value') ...), in the order given
        return DbStrings.toDb(COLUMNS, new LinkedHashMap<>(cols.descendingMap()));
    }

    /**
     * The (column, value) pairs of a metadata string, in order.
     *
     * @throws ApiError {@code INVALID_VALUE ["Invalid vm_string"]} when it is not a list of pairs
     */
    public static List<String[]> parse(String text) {
        Parser p = new Parser(text);
        try {
            List<String[]> out = p.pairs();
            p.skip();
            if (p.pos != text.length()) throw new IllegalArgumentException("trailing text");
            return out;
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            throw ApiError.invalidValue("Invalid vm_string");
        }
    }

    /**
     * Xapi's {@code copy_vm_fields}: adds to {@code u} the writing of every column of {@code metadata} into VM
     * {@code dst} except those in {@code doNotCopy}, with {@code overrides} taking precedence over the stored
     * values. Columns the datamodel no longer has are skipped, as Xapi skips them; so are the
     * reference-set columns (relations the database derives itself).
     */
    static void copyFields(
            Update.Builder u,
            List<String[]> metadata,
            String dst,
            java.util.Set<String> doNotCopy,
            Map<String, String> overrides) {
        ClassDef cls = Datamodel.get().cls(VM.XAPI_CLASS);
        for (String[] kv : metadata) {
            String column = kv[0];
            if (doNotCopy.contains(column)) continue;
            FieldDef f = cls.fieldByColumn(column);
            if (f == null || !f.inDatabase()) continue;
            if (f.type() instanceof XType.SetType st && st.element() instanceof XType.RefType) continue;
            String value = overrides.getOrDefault(column, kv[1]);
            Object v;
            try {
                v = DbStrings.fromDb(f.type(), value);
            } catch (RuntimeException e) {
                continue;
            }
            u.set(dst, Rows.handle(VM.XAPI_CLASS, f), v);
        }
    }

    /** A reader of the S-expression subset the metadata uses. */
    private static final class Parser {
        private final String s;
        private int pos;

        Parser(String s) {
            this.s = s;
        }

        List<String[]> pairs() {
            skip();
            expect('(');
            List<String[]> out = new ArrayList<>();
            while (true) {
                skip();
                if (s.charAt(pos) == ')') {
                    pos++;
                    return out;
                }
                expect('(');
                skip();
                String k = string();
                skip();
                String v = string();
                skip();
                expect(')');
                out.add(new String[] {k, v});
            }
        }

        private String string() {
            char q = s.charAt(pos);
            if (q != '\'' && q != '"') throw new IllegalArgumentException("expected a string at " + pos);
            pos++;
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = s.charAt(pos++);
                if (c == '\\') {
                    b.append(s.charAt(pos++));
                } else if (c == q) {
                    return b.toString();
                } else {
                    b.append(c);
                }
            }
        }

        private void expect(char c) {
            if (s.charAt(pos) != c) throw new IllegalArgumentException("expected " + c + " at " + pos);
            pos++;
        }

        void skip() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) pos++;
        }
    }
}
