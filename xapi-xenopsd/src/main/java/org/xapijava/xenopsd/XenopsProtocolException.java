package org.xapijava.xenopsd;

/**
 * xenopsd answered something that is not a well-formed answer to the call: bad HTTP, a non-200 status, XML that
 * is not a {@code methodResponse}, or a result of the wrong shape (ocaml-rpc's {@code MarshalError} on the
 * client side).
 */
public final class XenopsProtocolException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public XenopsProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
