package org.xapijava.xenopsd.internal;

/**
 * An rpc value does not have the shape its type requires (ocaml-rpc's {@code Idl.MarshalError}). The message
 * follows ocaml-rpc's wording where it has one.
 */
public final class RpcDecodeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public RpcDecodeException(String message) {
        super(message);
    }
}
