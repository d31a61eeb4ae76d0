package org.xapijava.cli.server;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.xapijava.cli.records.CliFailure;
import org.xapijava.model.errors.ApiError;

/**
 * The small readers of command arguments that {@code cli_operations.ml} shares between commands: OCaml's
 * {@code Int64.of_string}, the generated {@code <enum>_of_string}, {@code get_pool_with_default},
 * {@code get_file_or_fail}, {@code fail_without_force}, {@code get_unique_param}.
 */
final class CliArgs {
    /** Xapi's {@code no_force_msg}. */
    static final String NO_FORCE =
            "This operation is dangerous and may cause data loss. This operation must be" + " forced (use --force).";

    private CliArgs() {}

    /**
     * OCaml's {@code Int64.of_string}: an optional sign, then decimal digits or {@code 0x 0o 0b} and digits of that
     * base, underscores allowed after the first digit; anything else is the {@code Failure "Int64.of_string"} Xapi
     * prints as an internal error.
     */
    static long int64(String s) {
        try {
            return parseInt64(s);
        } catch (NumberFormatException e) {
            throw ApiError.internal("Failure: Int64.of_string");
        }
    }

    private static long parseInt64(String s) {
        int i = 0;
        boolean neg = false;
        if (i < s.length() && (s.charAt(i) == '-' || s.charAt(i) == '+')) neg = s.charAt(i++) == '-';
        int radix = 10;
        if (s.length() - i > 2 && s.charAt(i) == '0') {
            switch (Character.toLowerCase(s.charAt(i + 1))) {
                case 'x' -> radix = 16;
                case 'o' -> radix = 8;
                case 'b' -> radix = 2;
                default -> {}
            }
            if (radix != 10) i += 2;
        }
        String digits = s.substring(i);
        if (digits.isEmpty() || digits.charAt(0) == '_' || digits.charAt(0) == '+' || digits.charAt(0) == '-')
            throw new NumberFormatException(s);
        String clean = digits.replace("_", "");
        if (radix == 10) return Long.parseLong(neg ? "-" + clean : clean);
        // other bases: Int64.of_string takes up to 2^64 - 1, read as two's complement
        long u = Long.parseUnsignedLong(clean, radix);
        return neg ? -u : u;
    }

    /**
     * A generated {@code <enum>_of_string}: the value spelled {@code s} in any letter case, else the record failure
     * {@code Expected one of 'a', 'b', got s} (s in lower case).
     */
    static <E extends Enum<E>> E enumOf(E[] values, Function<E, String> wire, String s) {
        for (E v : values) {
            if (wire.apply(v).equalsIgnoreCase(s)) return v;
        }
        List<String> quoted = new ArrayList<>();
        for (E v : values) quoted.add("'" + wire.apply(v) + "'");
        throw new CliFailure("Expected one of " + String.join(", ", quoted) + ", got " + s.toLowerCase(Locale.ROOT));
    }

    /** Xapi's {@code get_pool_with_default}: the pool {@code key} names by uuid, else the pool. */
    static String poolOr(CommandContext c, String key) {
        return c.params().has(key)
                ? c.api().pool().getByUuid(c.params().get(key))
                : c.api().pool().getAll().get(0);
    }

    /** Xapi's {@code Cli_util.get_pool}: the pool, or an internal error when there is none. */
    static String pool(CommandContext c) {
        List<String> pools = c.api().pool().getAll();
        if (pools.isEmpty()) throw ApiError.internal("Remote host does not belong to a pool.");
        return pools.get(0);
    }

    /** Xapi's {@code get_file_or_fail}: the client's file as text, or {@code Failed to read <desc>} and exit 1. */
    static String fileOrFail(CommandContext c, String desc, String filename) throws IOException {
        return new String(bytesOrFail(c, desc, filename), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The client's file as it is, or {@code Failed to read <desc>} on standard error and exit 1. */
    static byte[] bytesOrFail(CommandContext c, String desc, String filename) throws IOException {
        byte[] data = c.conn().load(filename);
        if (data == null) {
            c.conn().printStderr("Failed to read " + desc + "\n");
            throw new CliErrors.ExitWithError(1);
        }
        return data;
    }

    /** Xapi's {@code fail_without_force}. */
    static void failWithoutForce(CommandContext c) {
        if (!c.params().bool("force", false)) throw new CliFailure(NO_FORCE);
    }

    /** Xapi's {@code get_unique_param}: the value given once, null when absent, a failure when given twice. */
    static String unique(CommandContext c, String key) {
        String found = null;
        int n = 0;
        for (Map.Entry<String, String> e : c.params().entries()) {
            if (e.getKey().equals(key)) {
                if (found == null) found = e.getValue();
                n++;
            }
        }
        if (n > 1) {
            throw new CliFailure("Parameter " + key + " is defined multiple times, define it only once.");
        }
        return found;
    }

    /** {@code String.split_on_char ','}: every piece, empty ones kept. */
    static List<String> commas(String v) {
        return Arrays.asList(v.split(",", -1));
    }
}
