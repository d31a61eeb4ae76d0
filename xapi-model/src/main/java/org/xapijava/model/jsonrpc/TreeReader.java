package org.xapijava.model.jsonrpc;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.model.jsonrpc.JsonRpcParseException.Kind;

/**
 * Builds rpc values from a Jackson token stream, with the checks Jackson does not make: nesting depth (with a
 * precise message; Jackson's own limit is one level deeper as a backstop), duplicate keys, integers beyond 64
 * bits, the exact spellings of non-finite numbers that Yojson reads ({@code NaN}, {@code Infinity},
 * {@code -Infinity}), and unpaired surrogates from {@code \\u} escapes. Values: JSON integers become
 * {@link Long}, other numbers {@link Double}, objects {@link LinkedHashMap} (document order), arrays
 * {@link ArrayList}. Not thread-safe: one per parser.
 */
final class TreeReader {

    private final JsonParser p;
    private final int maxDepth;

    TreeReader(JsonParser p, int maxDepth) {
        this.p = p;
        this.maxDepth = maxDepth;
    }

    /**
     * Reads the value whose first token {@code t} is the parser's current token.
     *
     * @param depth the nesting level this value has if it is an array or object (the top level is 1)
     */
    Object value(JsonToken t, int depth) throws IOException, JsonRpcParseException {
        if (t == null) throw error(Kind.SYNTAX, "unexpected end of input", p.currentLocation());
        switch (t) {
            case START_OBJECT: {
                checkDepth(depth);
                Map<String, Object> m = new LinkedHashMap<>();
                JsonToken k;
                while ((k = p.nextToken()) == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    checkSurrogates(name);
                    if (m.containsKey(name)) {
                        throw error(
                                Kind.ENVELOPE,
                                "duplicate key " + JsonRpcCodec.toJson(clip(name)),
                                p.currentTokenLocation());
                    }
                    m.put(name, value(p.nextToken(), depth + 1));
                }
                if (k != JsonToken.END_OBJECT) throw unexpected(k);
                return m;
            }
            case START_ARRAY: {
                checkDepth(depth);
                List<Object> l = new ArrayList<>();
                JsonToken e;
                while ((e = p.nextToken()) != JsonToken.END_ARRAY) {
                    l.add(value(e, depth + 1));
                }
                return l;
            }
            case VALUE_STRING: {
                String s = p.getText();
                checkSurrogates(s);
                return s;
            }
            case VALUE_NUMBER_INT: {
                if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                    throw error(
                            Kind.NUMBER,
                            "integer " + clip(p.getText()) + " does not fit in 64 bits",
                            p.currentTokenLocation());
                }
                return p.getLongValue();
            }
            case VALUE_NUMBER_FLOAT: {
                double d = p.getDoubleValue();
                if (!Double.isFinite(d)) {
                    String text = p.getText();
                    if (!hasDigit(text)
                            && !text.equals("NaN")
                            && !text.equals("Infinity")
                            && !text.equals("-Infinity")) {
                        throw error(Kind.SYNTAX, "invalid number " + clip(text), p.currentTokenLocation());
                    }
                }
                return d;
            }
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return null;
            default:
                throw unexpected(t);
        }
    }

    private JsonRpcParseException unexpected(JsonToken t) {
        return error(
                Kind.SYNTAX,
                "unexpected "
                        + (t == null ? "end of input" : t.asString() != null ? "'" + t.asString() + "'" : t.name()),
                p.currentTokenLocation());
    }

    private void checkDepth(int depth) throws JsonRpcParseException {
        if (depth > maxDepth) {
            throw error(
                    Kind.TOO_DEEP,
                    "arrays and objects nested deeper than " + maxDepth + " levels",
                    p.currentTokenLocation());
        }
    }

    private void checkSurrogates(String s) throws JsonRpcParseException {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    throw error(
                            Kind.ENCODING,
                            String.format("unpaired surrogate \\u%04x in a string", (int) c),
                            p.currentTokenLocation());
                }
            }
        }
    }

    private static boolean hasDigit(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') return true;
        }
        return false;
    }

    static String clip(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }

    static JsonRpcParseException error(Kind kind, String message, JsonLocation loc) {
        if (loc == null || loc.getLineNr() < 1) return new JsonRpcParseException(kind, message, 0, 0);
        return new JsonRpcParseException(kind, message, loc.getLineNr(), Math.max(loc.getColumnNr(), 1));
    }
}
