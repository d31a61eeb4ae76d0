package org.xapijava.model.types;

/**
 * Parses the type syntax of {@code xenapi.json}: postfix constructors {@code ref}, {@code set},
 * {@code record}, {@code option}, {@code map} over a prefix-free base ({@code string}, {@code enum x},
 * a class name, or a parenthesised {@code (K -> V)} pair for maps). Stateless and thread-safe.
 */
final class TypeParser {
    private final String s;
    private int pos;

    private TypeParser(String s) {
        this.s = s;
    }

    static XType parse(String text) {
        TypeParser p = new TypeParser(text.trim());
        XType t = p.type();
        p.skipSpaces();
        if (p.pos != p.s.length()) throw p.error("trailing text");
        return t;
    }

    private XType type() {
        skipSpaces();
        XType base;
        String pendingClass = null;
        if (peek() == '(') {
            pos++;
            XType k = type();
            skipSpaces();
            if (s.startsWith("->", pos)) {
                pos += 2;
                XType v = type();
                expect(')');
                expectWord("map");
                base = new XType.MapType(k, v);
            } else {
                expect(')');
                base = k;
            }
        } else if (peek() == '<') {
            int end = s.indexOf('>', pos);
            if (end < 0) throw error("unterminated <class>");
            pendingClass = s.substring(pos, end + 1);
            pos = end + 1;
            base = null;
        } else {
            String w = word();
            switch (w) {
                case "string" -> base = XType.STRING;
                case "int" -> base = XType.INT;
                case "float" -> base = XType.FLOAT;
                case "bool" -> base = XType.BOOL;
                case "datetime" -> base = XType.DATETIME;
                case "void" -> base = XType.VOID;
                case "enum" -> base = new XType.EnumType(word());
                default -> {
                    pendingClass = w;
                    base = null;
                }
            }
        }
        while (true) {
            int save = pos;
            skipSpaces();
            if (pos >= s.length() || !Character.isLetter(s.charAt(pos))) {
                pos = save;
                break;
            }
            String w = word();
            if (pendingClass != null) {
                switch (w) {
                    case "ref" -> base = new XType.RefType(pendingClass);
                    case "record" -> base = new XType.RecordType(pendingClass);
                    default -> throw error("expected 'ref' or 'record' after class " + pendingClass);
                }
                pendingClass = null;
                continue;
            }
            switch (w) {
                case "set" -> base = new XType.SetType(base);
                case "option" -> base = new XType.OptionType(base);
                case "map" -> throw error("'map' must follow a (K -> V) pair");
                default -> {
                    pos = save;
                    return finish(base, pendingClass);
                }
            }
        }
        return finish(base, pendingClass);
    }

    private XType finish(XType base, String pendingClass) {
        if (pendingClass != null) throw error("class name " + pendingClass + " needs 'ref' or 'record'");
        return base;
    }

    private String word() {
        skipSpaces();
        int start = pos;
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (Character.isLetterOrDigit(c) || c == '_' || c == '-') pos++;
            else break;
        }
        if (start == pos) throw error("expected a word");
        return s.substring(start, pos);
    }

    private void expectWord(String w) {
        if (!word().equals(w)) throw error("expected '" + w + "'");
    }

    private void expect(char c) {
        skipSpaces();
        if (peek() != c) throw error("expected '" + c + "'");
        pos++;
    }

    private char peek() {
        return pos < s.length() ? s.charAt(pos) : '\0';
    }

    private void skipSpaces() {
        while (pos < s.length() && s.charAt(pos) == ' ') pos++;
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("bad XenAPI type '" + s + "' at " + pos + ": " + what);
    }
}
