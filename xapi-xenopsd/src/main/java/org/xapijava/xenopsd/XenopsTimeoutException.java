package org.xapijava.xenopsd;

/**
 * A call to xenopsd got no complete answer within its time limit (the daemon is wedged or overloaded). The
 * connection is closed; whether the call took effect is unknown.
 */
public final class XenopsTimeoutException extends XenopsUnavailableException {
    private static final long serialVersionUID = 1L;

    public XenopsTimeoutException(String message) {
        super(message, null);
    }
}
