package org.xapijava.server.api;

import org.xapijava.server.dispatch.MessageTable;

/**
 * A group of message implementations: a class implementing some of the generated per-class interfaces
 * ({@code org.xapijava.server.api.gen.VMApi}, ...) and binding them with the generated {@code bind}s. Named
 * {@code ...Messages}.
 */
public interface Messages {
    /** Registers the messages this object implements (each generated interface's {@code bind}). */
    void bind(MessageTable table);
}
