package org.xapijava.model.jsonrpc;

/**
 * The two JSON-RPC dialects Xapi speaks on {@code /jsonrpc}. A request without a {@code "jsonrpc"} member is
 * {@link #V1}; one with {@code "jsonrpc":"2.0"} is {@link #V2}. The version of the request decides the shape of
 * the response, in particular of errors (an array in V1, an error object in V2).
 */
public enum JsonRpcVersion {
    V1,
    V2
}
