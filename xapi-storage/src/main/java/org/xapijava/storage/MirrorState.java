package org.xapijava.storage;

/**
 * Where the mirror of a running VDI stands ({@link Smapiv2#dataMirrorWait}, Xapi's {@code DATA.MIRROR.stat}).
 * Immutable.
 *
 * @param state {@link #COPYING}, {@link #COPIED}, {@link #FAILED} or {@link #NONE}
 * @param done  bytes of the first copy made so far (while copying)
 * @param total bytes of the first copy in all (while copying)
 * @param dirty bytes the guest wrote since the last round (once copied)
 * @param error why it failed (else empty)
 */
public record MirrorState(String state, long done, long total, long dirty, String error) {
    /** The point-in-time copy of the disk is under way. */
    public static final String COPYING = "copying";
    /** The copy (or a round of the writes made since) is done; {@code dirty} bytes were written since. */
    public static final String COPIED = "copied";
    /** The mirror failed: the destination is incomplete. */
    public static final String FAILED = "failed";
    /** No mirror of this VDI. */
    public static final String NONE = "none";

    public boolean failed() {
        return FAILED.equals(state);
    }
}
