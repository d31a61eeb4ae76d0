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
 * The string validation Xapi applies since XSA-474 (CVE-2025-58146, xen-api commit fb83a6b "Simplify UTF-8
 * decoding", September 2025). Two checks exist in Xapi and both are here:
 * <ol>
 *   <li><b>Dispatch</b> ({@link #checkParams}): before method lookup, every parameter is rendered with
 *       ocaml-rpc's {@code Rpc.to_string} and the rendering must be valid UTF-8 (OCaml's
 *       {@code String.is_valid_utf_8}); otherwise {@code INVALID_VALUE ["Invalid UTF-8 string in parameter",
 *       <rendering>]}. The rendering contains every string leaf, struct member name, and base64 payload of the
 *       parameter, so this validates all of them. Control characters are <em>not</em> refused here.</li>
 *   <li><b>Database write</b> ({@link #isValidDbValue}): a string, every element of a set and every key and
 *       value of a map written to the database must be valid UTF-8 <em>and</em> legal in XML 1.0 (no code point
 *       below U+0020 except TAB, LF, CR); otherwise Xapi raises {@code Db_exn.Invalid_value}, which clients see
 *       as {@code INTERNAL_ERROR ["Db_exn.Invalid_value"]} ({@link #DB_INVALID_VALUE}).</li>
 * </ol>
 * Java strings cannot hold invalid UTF-8 bytes; the Java equivalent is an unpaired surrogate (which a JSON
 * {@code "\ud800"} escape produces). Stateless.
 */
public final class Utf8Check {
    private Utf8Check() {}

    /** The parameter of {@code INVALID_VALUE} for a parameter that is not valid UTF-8. */
    public static final String INVALID_UTF8_IN_PARAMETER = "Invalid UTF-8 string in parameter";

    /** Printexc text of Xapi's {@code Db_exn.Invalid_value} (raised by a database write of a non-XML string). */
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

    /** Whether {@code s} is valid UTF-16 (no lone surrogate) and holds only characters XML 1.0 allows. */
    public static boolean isValidXml(CharSequence s) {
        return xmlValidPrefix(s) == s.length();
    }

    /**
     * Length of the longest prefix of {@code s} made of characters XML 1.0 allows (TAB, LF, CR,
     * U+0020..U+D7FF, U+E000..U+FFFD, and supplementary characters as surrogate pairs), i.e. the index of
     * the first character Xapi's database refuses, or {@code s.length()}.
     */
    public static int xmlValidPrefix(CharSequence s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0xD800) continue;
            if (c == '\t' || c == '\n' || c == '\r') continue;
            if (c >= 0xE000 && c <= 0xFFFD) continue;
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
                continue;
            }
            return i;
        }
        return n;
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
     * Xapi's database-write check: a string, or all elements of a set, or all keys and values of a map, must be
     * valid UTF-8 legal in XML ({@link #isValidXml}). Values of other types are always valid.
     */
    public static boolean isValidDbValue(Object v) {
        return switch (v) {
            case CharSequence s -> isValidXml(s);
            case Collection<?> c -> {
                for (Object x : c) if (x instanceof CharSequence s && !isValidXml(s)) yield false;
                yield true;
            }
            case Map<?, ?> m -> {
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (e.getKey() instanceof CharSequence k && !isValidXml(k)) yield false;
                    if (e.getValue() instanceof CharSequence s && !isValidXml(s)) yield false;
                }
                yield true;
            }
            case null, default -> true;
        };
    }
}
