package org.xapijava.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.xapijava.db.TestSupport.DM;
import static org.xapijava.db.TestSupport.apiError;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.xapijava.db.WhereExpr.And;
import org.xapijava.db.WhereExpr.Eq;
import org.xapijava.db.WhereExpr.Not;
import org.xapijava.db.WhereExpr.Or;
import org.xapijava.db.WhereExpr.True;
import org.xapijava.db.WhereExpr.Value;
import org.xapijava.model.api.VM;
import org.xapijava.model.types.Refs;

class WhereExprTest {
    private static final WhereExpr A = new Eq(new Value(true, "a"), new Value(false, "1"));
    private static final WhereExpr B = new Eq(new Value(true, "b"), new Value(false, "2"));
    private static final WhereExpr C = new Eq(new Value(true, "c"), new Value(false, "3"));

    @Test
    void precedenceAndAssociativityAreXapis() {
        String a = "field \"a\" = \"1\"";
        String b = "field \"b\" = \"2\"";
        String c = "field \"c\" = \"3\"";
        assertEquals(new And(new Or(A, B), C), WhereExpr.parse(a + " or " + b + " and " + c));
        assertEquals(new Or(new And(A, B), C), WhereExpr.parse(a + " and " + b + " or " + c));
        assertEquals(new Not(new And(A, B)), WhereExpr.parse("not " + a + " and " + b));
        assertEquals(new And(A, new Not(new Or(B, C))), WhereExpr.parse(a + " and not " + b + " or " + c));
        assertEquals(new And(new Not(A), B), WhereExpr.parse("(not " + a + ") and " + b));
        assertEquals(new Or(A, new And(B, C)), WhereExpr.parse(a + " or (" + b + " and " + c + ")"));
        assertEquals(new True(), WhereExpr.parse(" \t\ntrue\n"));
        assertEquals(new Eq(new Value(false, "x"), new Value(false, "x")), WhereExpr.parse("\"x\"=\"x\""));
        assertEquals(
                new Eq(new Value(true, "a b"), new Value(true, "it's\n")),
                WhereExpr.parse("field\"a b\"=field \"it's\n\""));
    }

    @Test
    void badExpressionsAreInvalidValue() {
        for (String bad : List.of(
                "",
                "field \"a\"",
                "field \"a\" = ",
                "true false",
                "(true",
                "true)",
                "true and",
                "not",
                "field = \"x\"",
                "\"a\" = field",
                "true or or true",
                "field \"a\" = \"b\" = \"c\"")) {
            apiError(() -> WhereExpr.parse(bad), "INVALID_VALUE", bad, WhereExpr.PARSE_ERROR);
        }
        for (String bad : List.of(
                "field \"a\" <> \"b\"", "x", "TRUE", "true && false", "field 'a' = 'b'", "\"unterminated", "true\r")) {
            apiError(() -> WhereExpr.parse(bad), "INVALID_VALUE", bad, WhereExpr.LEX_ERROR);
        }
        // keywords are matched without a word boundary, as ocamllex does
        assertEquals(new And(new True(), new True()), WhereExpr.parse("true andtrue"));
    }

    @Test
    void queriesCompareDatabaseStrings() {
        Database db = Database.empty(DM);
        String a = TestSupport.vm(db, "alpha");
        String b = TestSupport.vm(db, "beta");
        db.set(a, VM.POWER_STATE, "Running");
        db.set(a, VM.OTHER_CONFIG, Map.of("k", "v"));
        db.set(b, VM.MEMORY_STATIC_MAX, 1024L);
        db.set(b, VM.IS_A_TEMPLATE, true);
        assertEquals(List.of(a), db.getAllWhere("VM", "field \"name__label\" = \"alpha\""));
        assertEquals(List.of(a), db.getAllWhere("VM", "field \"power_state\" = \"Running\""));
        assertEquals(List.of(a), db.getAllWhere("VM", "field \"other_config\" = \"(('k' 'v'))\""));
        assertEquals(List.of(b), db.getAllWhere("VM", "field \"memory__static_max\" = \"1024\""));
        assertEquals(List.of(b), db.getAllWhere("VM", "\"true\" = field \"is_a_template\""));
        assertEquals(List.of(b), db.getAllWhere("VM", "field \"_ref\" = \"" + b + "\""));
        assertEquals(Set.of(a, b), Set.copyOf(db.getAllWhere("VM", "true")));
        assertEquals(List.of(), db.getAllWhere("VM", "false"));
        assertEquals(List.of(b), db.getAllWhere("VM", "not field \"name__label\" = \"alpha\""));
        assertEquals(
                Set.of(a, b),
                Set.copyOf(
                        db.getAllWhere("VM", "field \"name__label\" = \"alpha\" or field \"name__label\" = \"beta\"")));
        assertEquals(
                List.of(),
                db.getAllWhere("VM", "field \"name__label\" = \"alpha\" and field \"name__label\" = \"beta\""));
        assertEquals(
                List.of(a),
                db.getAllWhere(
                        "VM",
                        "field \"name__label\" = field \"name__label\" and field \"uuid\" = \"" + db.get(a, VM.UUID)
                                + "\""));
        Map<String, Map<String, Object>> recs = db.getAllRecordsWhere("VM", "field \"power_state\" = \"Running\"");
        assertEquals(Set.of(a), recs.keySet());
        assertEquals("alpha", recs.get(a).get("name_label"));
        // an unknown column is noticed per row, as in Xapi
        apiError(
                () -> db.getAllWhere("VM", "field \"name_label\" = \"alpha\""),
                "INTERNAL_ERROR",
                "missing field",
                "name_label",
                "");
        assertEquals(List.of(), db.getAllWhere("VDI", "field \"nope\" = \"x\""));
        apiError(
                () -> db.getAllRecordsWhere("VM", "field \"a\" == \"b\""),
                "INVALID_VALUE",
                "field \"a\" == \"b\"",
                WhereExpr.PARSE_ERROR);
        assertEquals(Refs.NULL.length() > 0, true);
    }
}
