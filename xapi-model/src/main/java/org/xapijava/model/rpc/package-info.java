/**
 * The untyped RPC value tree shared by the XML-RPC and JSON-RPC codecs, and the typed layer
 * ({@link org.xapijava.model.rpc.Unmarshal}, {@link org.xapijava.model.rpc.Marshal}) that converts between it and
 * the Java values of XenAPI types described in {@link org.xapijava.model.types.XType}.
 *
 * <p>An RPC value is one of these plain Java objects (this mirrors ocaml-rpc's {@code Rpc.t}):
 * <table>
 *   <caption>RPC value tree</caption>
 *   <tr><th>Java</th><th>ocaml-rpc</th><th>XML-RPC in</th><th>XML-RPC out</th></tr>
 *   <tr><td>{@link java.lang.String}</td><td>{@code String}</td><td>{@code <string>}, untyped
 *       {@code <value>text</value>}, empty {@code <value/>}</td><td>{@code <value>text</value>}</td></tr>
 *   <tr><td>{@link java.lang.Long}</td><td>{@code Int}</td><td>{@code <i4>}, {@code <i8>}, {@code <int>}</td>
 *       <td>{@code <value>123</value>} (untyped, as Xapi)</td></tr>
 *   <tr><td>{@link java.lang.Integer}</td><td>{@code Int32}</td><td>never produced by the reader</td>
 *       <td>{@code <value><i4>123</i4></value>} (e.g. {@code valid_ref_counts} of {@code event.from})</td></tr>
 *   <tr><td>{@link java.lang.Double}</td><td>{@code Float}</td><td>{@code <double>}</td>
 *       <td>{@code <value><double>%.16g</double></value>}</td></tr>
 *   <tr><td>{@link java.lang.Boolean}</td><td>{@code Bool}</td><td>{@code <boolean>} ("1" is true, anything
 *       else false)</td><td>{@code <value><boolean>1</boolean></value>}</td></tr>
 *   <tr><td>{@link org.xapijava.model.types.DateTime}</td><td>{@code DateTime}</td>
 *       <td>{@code <dateTime.iso8601>}</td><td>same</td></tr>
 *   <tr><td>{@code byte[]}</td><td>{@code Base64}</td><td>{@code <base64>} (decoded bytes)</td>
 *       <td>{@code <value><base64>…</base64></value>}</td></tr>
 *   <tr><td>{@link java.util.List}{@code <Object>}</td><td>{@code Enum}</td><td>{@code <array><data>}</td>
 *       <td>same</td></tr>
 *   <tr><td>{@link java.util.Map}{@code <String,Object>} (a {@link java.util.LinkedHashMap}: member order is
 *       kept)</td><td>{@code Dict}</td><td>{@code <struct>}</td><td>same</td></tr>
 *   <tr><td>{@code null}</td><td>{@code Null}</td><td>{@code <nil/>}</td><td>{@code <value><nil/></value>}</td></tr>
 * </table>
 *
 * <p>Values produced by the codecs are mutable collections owned by the caller; nothing here keeps a
 * reference to them. A struct with a repeated member name keeps the first one (as {@code List.assoc} does in
 * Xapi).
 */
package org.xapijava.model.rpc;
