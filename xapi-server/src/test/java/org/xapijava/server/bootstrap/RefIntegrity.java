package org.xapijava.server.bootstrap;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xapijava.db.Database;
import org.xapijava.model.ClassDef;
import org.xapijava.model.FieldDef;
import org.xapijava.model.types.Refs;
import org.xapijava.model.types.XType;

/**
 * Checks every reference in a database against the datamodel: each value of a ref-typed field (also inside
 * sets, maps and options) must be {@code OpaqueRef:NULL} or name an existing object of the field's class.
 */
final class RefIntegrity {
    private RefIntegrity() {}

    /** The dangling references, as {@code class.field of ref -> value}; empty when all are valid. */
    static List<String> dangling(Database db) {
        List<String> bad = new ArrayList<>();
        for (ClassDef c : db.datamodel().classes()) {
            for (Map.Entry<String, Map<String, Object>> row :
                    db.getAllRecords(c.name()).entrySet()) {
                for (FieldDef f : c.dbFields()) {
                    check(
                            db,
                            f.type(),
                            db.get(c.name(), row.getKey(), f.name()),
                            c.name() + "." + f.name() + " of " + row.getKey(),
                            bad);
                }
            }
        }
        return bad;
    }

    private static void check(Database db, XType t, Object v, String where, List<String> bad) {
        if (v == null) return;
        switch (t) {
            case XType.RefType r -> {
                String ref = (String) v;
                if (!Refs.isNull(ref) && !db.exists(r.cls(), ref)) bad.add(where + " -> " + ref);
            }
            case XType.SetType s -> {
                for (Object x : (List<?>) v) check(db, s.element(), x, where, bad);
            }
            case XType.MapType m -> {
                for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                    check(db, m.key(), e.getKey(), where, bad);
                    check(db, m.value(), e.getValue(), where, bad);
                }
            }
            case XType.OptionType o -> check(db, o.inner(), v, where, bad);
            default -> {}
        }
    }
}
