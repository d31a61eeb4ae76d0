package org.xapijava.server.api;

import org.xapijava.model.errors.ApiError;

/** A pause inside a call: an interruption (the call's thread stopped) ends the call with {@code INTERNAL_ERROR}. */
public final class Pause {
    private Pause() {}

    /** Sleeps {@code ms} milliseconds; interrupted: the interrupt kept, {@code INTERNAL_ERROR ["interrupted"]}. */
    public static void of(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.internal("interrupted");
        }
    }
}
