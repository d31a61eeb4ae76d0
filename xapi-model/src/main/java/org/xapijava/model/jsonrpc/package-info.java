/**
 * Xapi's JSON-RPC wire format ({@code POST /jsonrpc}): {@link org.xapijava.model.jsonrpc.JsonRpcCodec} reads
 * and writes requests and responses (server and pool-internal client side) as JSON ⟷ rpc value trees, with the
 * exact bytes ocaml-rpc and Yojson 2.x produce. Values are plain Java ({@code String}, {@code Long},
 * {@code Integer} (written only), {@code Double}, {@code Boolean}, {@code DateTime} (written only, as its wire
 * string), {@code List}, {@code Map<String,Object>}, {@code null}); trees returned by the readers are mutable
 * {@code ArrayList}/{@code LinkedHashMap} owned by the caller. Converting them to datamodel types is the typed
 * layer's job. See {@code docs/jsonrpc.md} for the choices made where Xapi is lenient or uncertain.
 */
package org.xapijava.model.jsonrpc;
