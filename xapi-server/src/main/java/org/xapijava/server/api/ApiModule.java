package org.xapijava.server.api;

import org.xapijava.server.dispatch.MessageTable;

/** A group of message implementations bound by wire name at start-up. */
public interface ApiModule {
    void register(MessageTable table);
}
