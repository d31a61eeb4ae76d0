package org.xapijava.server.event;

import org.xapijava.model.errors.ApiError;
import org.xapijava.model.rpc.RpcValues;

/**
 * The {@code event.from} token (Xapi's {@code Xapi_event.Token}): {@code "<db>,<messages>"}, each part
 * a generation printed {@code %020d} so that tokens compare as strings. {@code ""} means "from the
 * beginning". Immutable.
 *
 * @param db       the database half: the largest database generation the client has seen
 * @param messages the message-store half
 * @param initial  the token was {@code ""}
 */
public record EventToken(long db, long messages, boolean initial) {

    /**
     * Parses a token as Xapi does: {@code ""} is {@code (0, 0)}; otherwise exactly one comma with an
     * OCaml {@code Int64.of_string} on each side (signs, {@code 0x}/{@code 0o}/{@code 0b}/{@code 0u}
     * prefixes and {@code _} included).
     *
     * @throws ApiError {@code EVENT_FROM_TOKEN_PARSE_FAILURE [token]} for anything else
     */
    public static EventToken parse(String token) {
        if (token.isEmpty()) return new EventToken(0, 0, true);
        int comma = token.indexOf(',');
        if (comma < 0 || token.indexOf(',', comma + 1) >= 0) throw failure(token);
        try {
            long db = RpcValues.parseOcamlInt64(token.substring(0, comma));
            long msg = RpcValues.parseOcamlInt64(token.substring(comma + 1));
            return new EventToken(db, msg, false);
        } catch (NumberFormatException e) {
            throw failure(token);
        }
    }

    /** Xapi's {@code Token.to_string}: {@code %020Ld,%020Ld} (a negative value keeps its sign first). */
    public static String format(long db, long messages) {
        return String.format("%020d,%020d", db, messages);
    }

    @Override
    public String toString() {
        return format(db, messages);
    }

    private static ApiError failure(String token) {
        return new ApiError("EVENT_FROM_TOKEN_PARSE_FAILURE", token);
    }
}
