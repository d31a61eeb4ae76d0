package org.xapijava.model.xmlrpc;

/**
 * Input that is not an acceptable XML-RPC document: malformed or truncated XML, invalid UTF-8, a DOCTYPE,
 * an unknown or extension element, a value that does not parse, or a configured limit exceeded. The message
 * says what was wrong and where ({@code line L, column C}, or a byte offset). Xapi answers such requests with
 * HTTP 500; so should the server.
 */
public final class XmlRpcParseException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int line;
    private final int column;

    public XmlRpcParseException(String message, int line, int column) {
        super(message, null, false, false);
        this.line = line;
        this.column = column;
    }

    /** Line of the problem (1-based), or -1 when unknown. */
    public int line() {
        return line;
    }

    /** Column of the problem (1-based), or -1 when unknown. */
    public int column() {
        return column;
    }
}
