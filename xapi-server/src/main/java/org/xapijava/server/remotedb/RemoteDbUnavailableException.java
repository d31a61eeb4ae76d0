package org.xapijava.server.remotedb;

/**
 * The master could not be reached within the {@link ReconnectPolicy}'s timeout (Xapi's
 * {@code Master_connection.Cannot_connect_to_master}); the cause is the last failure.
 */
public final class RemoteDbUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RemoteDbUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
