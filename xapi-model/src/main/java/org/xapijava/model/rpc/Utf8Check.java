package org.xapijava.model.rpc;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.xapijava.model.errors.ApiError;

/**
 * The string rules of the XenAPI. Two checks exist in Xapi and both are here:
 * <ol>
 *   <li><b>Dispatch</b> ({@link #checkParams}): before method lookup, every parameter is rendered with
 *       ocaml-rpc's {@code Rpc.to_string} and the rendering must be valid UTF-8 (OCaml's
 *       {@code String.is_valid_utf_8}; XSA-474, CVE-2025-58146, xen-api commit fb83a6b); otherwise
 *       {@code INVALID_VALUE ["Invalid UTF-8 string in parameter", <rendering>]}. The rendering contains every
 *       string leaf, struct member name, and base64 payload of the parameter, so this validates all of them.
 *       Control characters are <em>not</em> refused here.</li>
 *   <li><b>Stored text</b> ({@link #firstUnstorable}): every string that is kept (a database value of any
 *       type: strings, refs, enums, set elements, map keys and values; an alert's name and body) must be text
 *       that UTF-8, XML 1.0 and every reader of our files and responses accept. Refused: unpaired surrogates
 *       (not Unicode; Java's form of invalid UTF-8), C0 control characters other than TAB, LF and CR (XML 1.0
 *       cannot carry them), and the Unicode noncharacters U+FDD0..U+FDEF and U+nFFFE/U+nFFFF of every plane
 *       (U+FFFE and U+FFFF are not XML characters either). This is Xapi's {@code UTF8_XML} validator as it was
 *       until XSA-474 (non-characters and illegal controls refused); the database answers
 *       {@code INTERNAL_ERROR ["Db_exn.Invalid_value"]} ({@link #DB_INVALID_VALUE}), as Xapi's
 *       {@code write_field} does.</li>
 * </ol>
 * Stateless.
 */
public final class Utf8Check {
    private Utf8Check() {}

    /** The parameter of {@code INVALID_VALUE} for a parameter that is not valid UTF-8. */
    public static final String INVALID_UTF8_IN_PARAMETER = "Invalid UTF-8 string in parameter";

    /** Printexc text of Xapi's {@code Db_exn.Invalid_value} (raised by a database write of a refused string). */
    public static final String DB_INVALID_VALUE = "Db_exn.Invalid_value";

    /** Whether {@code s} encodes to valid UTF-8 (no unpaired surrogates). */
    public static boolean isValidUtf8(CharSequence s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * The index of the first character of {@code s} that stored text may not hold (see the class comment), or
     * -1 when every character may be stored. A refused supplementary character is reported at its high
     * surrogate.
     */
    public static int firstUnstorable(CharSequence s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0xD800) continue; // nearly all text: one comparison pair
            if (!storableBmp(c)) {
                if (!Character.isHighSurrogate(c) || i + 1 >= n || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return i;
                }
                int cp = Character.toCodePoint(c, s.charAt(i + 1));
                if ((cp & 0xFFFE) == 0xFFFE) return i; // U+nFFFE, U+nFFFF
                i++;
            }
        }
        return -1;
    }

    /**
     * Whether the BMP character {@code c} may be stored on its own (surrogates may not: only as a pair, which
     * {@link #firstUnstorable} checks). The one rule every writer applies character by character.
     */
    public static boolean storableBmp(char c) {
        if (c < 0x20) return c == '\t' || c == '\n' || c == '\r';
        if (c < 0xD800) return true;
        if (c < 0xE000) return false; // surrogates
        return c < 0xFDD0 || (c > 0xFDEF && c < 0xFFFE);
    }

    /** Whether a supplementary code point may be stored (every one but the U+nFFFE/U+nFFFF noncharacters). */
    public static boolean storableSupplementary(int codePoint) {
        return (codePoint & 0xFFFE) != 0xFFFE;
    }

    /** Whether every character of {@code s} may be stored. */
    public static boolean isStorable(CharSequence s) {
        return firstUnstorable(s) < 0;
    }

    /**
     * Names the first refused character of {@code s} for logs and load errors, e.g. {@code U+FFFF at index 1},
     * or null when {@code s} may be stored.
     */
    public static String describeUnstorable(CharSequence s) {
        int i = firstUnstorable(s);
        if (i < 0) return null;
        char c = s.charAt(i);
        int cp = Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
                ? Character.toCodePoint(c, s.charAt(i + 1))
                : c;
        String what = Character.isSurrogate((char) cp) && cp <= 0xFFFF ? "unpaired surrogate " : "";
        return what + String.format("U+%04X at index %d", cp, i);
    }

    /** Whether {@code bytes} are valid UTF-8. */
    public static boolean isValidUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    /** Whether every string in an RPC value (leaves, struct member names, base64 payloads) is valid UTF-8. */
    public static boolean isValidUtf8Value(Object v) {
        return switch (v) {
            case null -> true;
            case String s -> isValidUtf8(s);
            case byte[] b -> isValidUtf8(b);
            case List<?> l -> {
                for (Object x : l) if (!isValidUtf8Value(x)) yield false;
                yield true;
            }
            case Map<?, ?> m -> {
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!(e.getKey() instanceof String k) || !isValidUtf8(k) || !isValidUtf8Value(e.getValue())) {
                        yield false;
                    }
                }
                yield true;
            }
            default -> true;
        };
    }

    /**
     * Xapi's dispatch-time check (step 3 of the pipeline): each parameter must be valid UTF-8 throughout.
     *
     * @throws ApiError {@code INVALID_VALUE ["Invalid UTF-8 string in parameter", <Rpc.to_string of the param>]}
     *                  for the first parameter that is not
     */
    public static void checkParams(List<Object> params) {
        for (Object p : params) {
            if (!isValidUtf8Value(p)) {
                throw ApiError.invalidValue(INVALID_UTF8_IN_PARAMETER, RpcValues.debugString(p));
            }
        }
    }

    /**
     * Whether a value may be stored: a string, or all elements of a collection, or all keys and values of a
     * map, checked with {@link #firstUnstorable}. Values of other types are always storable.
     */
    public static boolean isValidDbValue(Object v) {
        return switch (v) {
            case CharSequence s -> isStorable(s);
            case Collection<?> c -> {
                for (Object x : c) if (!isValidDbValue(x)) yield false;
                yield true;
            }
            case Map<?, ?> m -> {
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!isValidDbValue(e.getKey()) || !isValidDbValue(e.getValue())) yield false;
                }
                yield true;
            }
            case null, default -> true;
        };
    }
}
