/**
 * xenopsd's interface as Java: the types of {@code ocaml/xapi-idl/xen/xenops_interface.ml} and
 * {@code xenops_types.ml} ({@link org.xapijava.xenopsd.Vm}, {@link org.xapijava.xenopsd.VmState},
 * {@link org.xapijava.xenopsd.Vbd}, {@link org.xapijava.xenopsd.Vif}, {@link org.xapijava.xenopsd.Metadata},
 * {@link org.xapijava.xenopsd.TaskInfo}, {@link org.xapijava.xenopsd.DynamicId},
 * {@link org.xapijava.xenopsd.Updates}, {@link org.xapijava.xenopsd.XenopsError}, ...), the calls lifecycle needs
 * ({@link org.xapijava.xenopsd.Xenops}) and a client for xenopsd's Unix socket
 * ({@link org.xapijava.xenopsd.XenopsClient}).
 *
 * <p>Every type converts to and from the rpc value tree of {@code org.xapijava.model.rpc} with {@code toRpc()}
 * and {@code fromRpc(Object)}, following ocaml-rpc's encoding of the OCaml types (see
 * {@link org.xapijava.xenopsd.internal.Rpc}); {@code null} stands for OCaml's {@code None}. Types are immutable
 * records and thread-safe.
 */
package org.xapijava.xenopsd;
