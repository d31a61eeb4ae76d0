package org.xapijava.model.rpc;

/**
 * A writer (XML-RPC, JSON-RPC, {@code state.db}, the redo log) met a string holding a character that its readers
 * refuse, or that it could only write altered: a value the database's check ({@link Utf8Check#firstUnstorable})
 * should have stopped before it was stored, so a bug. Writers throw this instead of producing a response or a
 * file that cannot be read back, or a silently changed value. Error descriptions, which echo what a client sent,
 * are written leniently instead (see each writer).
 */
public final class UnwritableTextException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /**
     * @param writer what was being written ({@code XML-RPC response}, {@code state.db}, ...)
     * @param text   the string at fault
     */
    public UnwritableTextException(String writer, CharSequence text) {
        super(writer + " refused a string holding " + describe(text)
                + ": a value the database check should have refused (a bug)");
    }

    private static String describe(CharSequence text) {
        String d = Utf8Check.describeUnstorable(text);
        return d != null ? d : "a character it cannot carry";
    }
}
