package org.xapijava.model.jsonrpc;

/**
 * Limits a {@link JsonRpcCodec} enforces while it reads a document. Immutable.
 *
 * @param maxBytes maximum size of a document in bytes; reading stops as soon as it is exceeded
 * @param maxDepth maximum nesting of arrays and objects, the envelope object counting as level 1
 */
public record JsonRpcLimits(long maxBytes, int maxDepth) {

    /**
     * Requests: 300 KiB is Xapi's own limit on RPC bodies ({@code Db_globs.http_limit_max_rpc_size}); depth 64
     * is far more than any XenAPI value needs (a {@code create} record nests about 5 levels under the
     * envelope) and keeps the recursive reader's stack use trivial.
     */
    public static final JsonRpcLimits REQUEST = new JsonRpcLimits(300 * 1024, 64);

    /**
     * Responses read by the pool-internal client: a 10,000-VM {@code get_all_records} is about 15 MB, so
     * 1 GiB leaves room for the largest pools while still bounding memory.
     */
    public static final JsonRpcLimits RESPONSE = new JsonRpcLimits(1L << 30, 64);

    public JsonRpcLimits {
        if (maxBytes < 1 || maxBytes > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("maxBytes out of range: " + maxBytes);
        }
        if (maxDepth < 2 || maxDepth > 1000) {
            throw new IllegalArgumentException("maxDepth out of range: " + maxDepth);
        }
    }
}
