package org.xapijava.server.remotedb;

import java.util.function.UnaryOperator;

/**
 * Xapi's filter expressions over database rows ({@code Db_filter_types.expr}), as {@code find_refs_with_filter}
 * and {@code read_records_where} take them: a {@link Field} is a column's database string, a {@link Literal} a
 * constant; {@link Eq} compares strings. Immutable.
 */
public sealed interface DbExpr {
    record True() implements DbExpr {}

    record False() implements DbExpr {}

    record Not(DbExpr e) implements DbExpr {}

    record And(DbExpr a, DbExpr b) implements DbExpr {}

    record Or(DbExpr a, DbExpr b) implements DbExpr {}

    record Eq(Val a, Val b) implements DbExpr {}

    /** An operand of {@link Eq}. */
    sealed interface Val {}

    /** A column, by database name ({@code name__label}, {@code _ref}). */
    record Field(String name) implements Val {}

    record Literal(String value) implements Val {}

    /** {@code field = 'value'}. */
    static DbExpr eq(String column, String value) {
        return new Eq(new Field(column), new Literal(value));
    }

    /** {@code Db_filter.eval_expr}: {@code column} gives a column's database string. */
    default boolean eval(UnaryOperator<String> column) {
        return switch (this) {
            case True t -> true;
            case False f -> false;
            case Not n -> !n.e().eval(column);
            case And a -> a.a().eval(column) && a.b().eval(column);
            case Or o -> o.a().eval(column) || o.b().eval(column);
            case Eq q -> value(q.a(), column).equals(value(q.b(), column));
        };
    }

    private static String value(Val v, UnaryOperator<String> column) {
        return switch (v) {
            case Field f -> column.apply(f.name());
            case Literal l -> l.value();
        };
    }
}
