package org.xapijava.server.dispatch;

/**
 * A result already in RPC form (e.g. an event batch whose snapshots are records of several classes):
 * the dispatcher sends {@code value} as it is instead of marshalling it by the message's result type.
 */
public record RawRpc(Object value) {}
