package org.xapijava.db;

import java.util.function.Function;
import org.xapijava.model.errors.ApiError;

/**
 * An expression of Xapi's {@code get_all_records_where} language, parsed exactly as Xapi's
 * {@code db_filter_lex.mll} / {@code db_filter_parse.mly} do:
 * <ul>
 *   <li>tokens: {@code =}, {@code (}, {@code )}, the lower-case keywords {@code true false field and or not}
 *       (matched as prefixes, with no word boundary), and double-quoted strings with no escapes (any
 *       character but {@code "}, newlines included); blanks are space, tab and newline only;</li>
 *   <li>{@code value = value} where a value is {@code "literal"} or {@code field "column"};</li>
 *   <li>{@code and} and {@code or} share one precedence level and associate to the left
 *       ({@code a or b and c} is {@code (a or b) and c}); {@code not} binds loosest: its operand
 *       extends to the end of the enclosing group ({@code not a and b} is {@code not (a and b)}).</li>
 * </ul>
 * Comparison is string equality of the columns' database form. A syntax error is
 * {@code INVALID_VALUE [expr, <OCaml exception text>]}; a column the table lacks is only noticed when a
 * row is evaluated, as in Xapi ({@code INTERNAL_ERROR ["missing field", column, ""]}). Immutable.
 */
public sealed interface WhereExpr {

    /** What Xapi reports for a parse error (Menhir's exception, printed by {@code Printexc}). */
    String PARSE_ERROR = "Xapi_database__Db_filter_parse.MenhirBasics.Error";
    /** What Xapi reports for a character no token starts with (ocamllex's failure). */
    String LEX_ERROR = "Failure(\"lexing: empty token\")";

    record True() implements WhereExpr {}

    record False() implements WhereExpr {}

    record Not(WhereExpr e) implements WhereExpr {}

    record And(WhereExpr a, WhereExpr b) implements WhereExpr {}

    record Or(WhereExpr a, WhereExpr b) implements WhereExpr {}

    record Eq(Value a, Value b) implements WhereExpr {}

    /** An operand of {@code =}: a literal or a column. */
    record Value(boolean field, String text) {}

    /** Evaluates against a row given as column → database string ({@code lookup} may throw). */
    default boolean eval(Function<String, String> column) {
        return switch (this) {
            case True t -> true;
            case False f -> false;
            case Not n -> !n.e().eval(column);
            case And a -> a.a().eval(column) && a.b().eval(column);
            case Or o -> o.a().eval(column) || o.b().eval(column);
            case Eq e -> val(e.a(), column).equals(val(e.b(), column));
        };
    }

    private static String val(Value v, Function<String, String> column) {
        return v.field() ? column.apply(v.text()) : v.text();
    }

    /** Parses; {@code INVALID_VALUE [text, reason]} when the text is not an expression. */
    static WhereExpr parse(String text) {
        return new Parser(text).parseAll();
    }

    /** Recursive descent over a lazily lexed token stream (errors surface in the order Xapi's would). */
    final class Parser {
        private enum Tok {
            EQ,
            TRUE,
            FALSE,
            LPAREN,
            RPAREN,
            FIELD,
            AND,
            OR,
            NOT,
            IDENT,
            EOF
        }

        private static final String[] KEYWORDS = {"true", "false", "field", "and", "or", "not"};
        private static final Tok[] KEYWORD_TOKS = {Tok.TRUE, Tok.FALSE, Tok.FIELD, Tok.AND, Tok.OR, Tok.NOT};

        private final String src;
        private int pos;
        private Tok tok;
        private String ident;

        private Parser(String src) {
            this.src = src;
        }

        private ApiError fail(String reason) {
            return ApiError.invalidValue(src, reason);
        }

        private void next() {
            while (pos < src.length() && (src.charAt(pos) == ' ' || src.charAt(pos) == '\t' || src.charAt(pos) == '\n'))
                pos++;
            if (pos >= src.length()) {
                tok = Tok.EOF;
                return;
            }
            char c = src.charAt(pos);
            switch (c) {
                case '=' -> {
                    pos++;
                    tok = Tok.EQ;
                    return;
                }
                case '(' -> {
                    pos++;
                    tok = Tok.LPAREN;
                    return;
                }
                case ')' -> {
                    pos++;
                    tok = Tok.RPAREN;
                    return;
                }
                case '"' -> {
                    int end = src.indexOf('"', pos + 1);
                    if (end < 0) throw fail(LEX_ERROR);
                    ident = src.substring(pos + 1, end);
                    pos = end + 1;
                    tok = Tok.IDENT;
                    return;
                }
                default -> {
                    for (int i = 0; i < KEYWORDS.length; i++) {
                        if (src.startsWith(KEYWORDS[i], pos)) {
                            pos += KEYWORDS[i].length();
                            tok = KEYWORD_TOKS[i];
                            return;
                        }
                    }
                    throw fail(LEX_ERROR);
                }
            }
        }

        WhereExpr parseAll() {
            next();
            WhereExpr e = expr();
            if (tok != Tok.EOF) throw fail(PARSE_ERROR);
            return e;
        }

        private WhereExpr expr() {
            if (tok == Tok.NOT) {
                next();
                return new Not(expr());
            }
            WhereExpr left = primary();
            while (tok == Tok.AND || tok == Tok.OR) {
                boolean and = tok == Tok.AND;
                next();
                WhereExpr right = tok == Tok.NOT ? expr() : primary();
                left = and ? new And(left, right) : new Or(left, right);
            }
            return left;
        }

        private WhereExpr primary() {
            switch (tok) {
                case TRUE -> {
                    next();
                    return new True();
                }
                case FALSE -> {
                    next();
                    return new False();
                }
                case LPAREN -> {
                    next();
                    WhereExpr e = expr();
                    if (tok != Tok.RPAREN) throw fail(PARSE_ERROR);
                    next();
                    return e;
                }
                case IDENT, FIELD -> {
                    Value a = value();
                    if (tok != Tok.EQ) throw fail(PARSE_ERROR);
                    next();
                    Value b = value();
                    return new Eq(a, b);
                }
                default -> throw fail(PARSE_ERROR);
            }
        }

        private Value value() {
            if (tok == Tok.IDENT) {
                Value v = new Value(false, ident);
                next();
                return v;
            }
            if (tok == Tok.FIELD) {
                next();
                if (tok != Tok.IDENT) throw fail(PARSE_ERROR);
                Value v = new Value(true, ident);
                next();
                return v;
            }
            throw fail(PARSE_ERROR);
        }
    }
}
