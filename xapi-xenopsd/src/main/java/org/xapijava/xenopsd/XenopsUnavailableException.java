package org.xapijava.xenopsd;

/**
 * The xenopsd daemon could not be reached or did not answer: the socket is missing or refuses connections, the
 * connection broke, or (subclass {@link XenopsTimeoutException}) no answer came in time. Distinct from
 * {@link XenopsError}, which is an answer from a working daemon. Whether the call took effect is unknown when
 * the connection broke after the request was sent.
 */
public class XenopsUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public XenopsUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
