package org.xapijava.model.jsonrpc;

/**
 * A JSON-RPC document that cannot be accepted: not JSON, not UTF-8, too large or too deep, or a JSON value
 * that is not a well-formed request (or response). It is the only exception the codec's readers throw for
 * bad input. The message says what is wrong and where ({@code ... at line L, column C}); on the server, Xapi
 * answers such a request with HTTP 500 and {@code Malformed_method_request}.
 * Line and column are 1-based and count characters; both are 0 when no position applies.
 */
public final class JsonRpcParseException extends Exception {
    private static final long serialVersionUID = 1L;

    /** What kind of problem it is, for callers that answer them differently. */
    public enum Kind {
        /** Not JSON (syntax error, trailing data, empty body). */
        SYNTAX,
        /** Not valid UTF-8, a byte order mark, or an unpaired surrogate in a {@code \\u} escape. */
        ENCODING,
        /** Larger than {@link JsonRpcLimits#maxBytes()} (or another size limit). */
        TOO_LARGE,
        /** Nested deeper than {@link JsonRpcLimits#maxDepth()}. */
        TOO_DEEP,
        /** A number JSON allows but the rpc value tree cannot hold (an integer beyond 64 bits). */
        NUMBER,
        /** Valid JSON that is not a JSON-RPC request/response (missing or mistyped members, duplicate keys). */
        ENVELOPE
    }

    private final Kind kind;
    private final int line;
    private final int column;

    public JsonRpcParseException(Kind kind, String message, int line, int column) {
        super(line > 0 ? message + " at line " + line + ", column " + column : message, null, false, false);
        this.kind = kind;
        this.line = line;
        this.column = column;
    }

    public Kind kind() {
        return kind;
    }

    /** 1-based line of the problem, 0 if none applies. */
    public int line() {
        return line;
    }

    /** 1-based column (in characters) of the problem, 0 if none applies. */
    public int column() {
        return column;
    }
}
