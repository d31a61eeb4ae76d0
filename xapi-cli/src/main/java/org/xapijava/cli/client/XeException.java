package org.xapijava.cli.client;

/**
 * A failure that ends the client: the text written to stderr (each of {@code xe}'s client-side messages, §2.7 of
 * the CLI reference), whether the usage text follows, and the exit status.
 */
final class XeException extends Exception {
    final String stderrText;
    final boolean usage;
    final int exitCode;

    private XeException(String stderrText, boolean usage, int exitCode) {
        super(stderrText, null, false, false);
        this.stderrText = stderrText;
        this.usage = usage;
        this.exitCode = exitCode;
    }

    /** The usage text alone, exit status 0 ({@code -help}, no command, a bad port). */
    static XeException usage(String before) {
        return new XeException(before, true, 0);
    }

    /** {@code text} on stderr, exit status 1. */
    static XeException fail(String text) {
        return new XeException(text, false, 1);
    }

    /** {@code text} and the usage text on stderr, exit status 1. */
    static XeException failWithUsage(String text) {
        return new XeException(text, true, 1);
    }

    /** A status ({@code Exit n} from the server, or 1 after an {@code Operation failed}) with nothing to print. */
    static XeException exit(int code) {
        return new XeException("", false, code);
    }

    static XeException notCliServer() {
        return failWithUsage("Failed to contact a running management agent.\nTry specifying a server name and port.\n");
    }

    static XeException versionMismatch(String versions) {
        return failWithUsage("Protocol version mismatch: " + versions
                + ".\nTry specifying a server name and port on the command-line.\n");
    }

    static XeException hostNotFound(String server) {
        return fail("Host '" + server + "' not found.\n");
    }

    /** A socket error in {@code call} (Xapi's {@code Unix_error} text). */
    static XeException socketError(String message, String call) {
        return fail("Error: " + message + " (calling " + call + " )\n");
    }

    static XeException connectFailure() {
        return fail("Unable to contact server. Please check server and port settings.\n");
    }

    static XeException lostConnection() {
        return fail("Lost connection to the server.\n");
    }

    static XeException serverInternalError() {
        return fail("Server internal error.\n");
    }

    static XeException unexpected(String message) {
        return fail("Unexpected message from server: " + message + "\n");
    }

    /** A file the server asked for that the user did not name on the command line. */
    static XeException notPermitted(String filename) {
        return fail("File not permitted: Blocked upload/download of the file " + filename
                + ", which was requested by the server. The file name was not present on the command line\n.\n");
    }

    static XeException clientSide(String message) {
        return fail("Client Side error: " + message + ".\n");
    }

    static XeException unhandled(Throwable t) {
        String m = t.getMessage();
        return fail("Unhandled exception\n" + t.getClass().getSimpleName() + (m == null ? "" : ": " + m) + "\n");
    }
}
