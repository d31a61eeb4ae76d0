package org.xapijava.server.remotedb;

/**
 * A remote database message does not have the shape the protocol expects (Xapi's {@code DB_remote_marshall_error},
 * {@code XMLRPC.RunTimeTypeError}, {@code Remote_db_server_returned_bad_message}): thrown by the master's decoding of
 * a request (answered HTTP 500) and by the member's decoding of an answer (to the caller, not retried).
 */
public final class RemoteDbProtocolException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RemoteDbProtocolException(String message) {
        super(message, null, false, false);
    }
}
