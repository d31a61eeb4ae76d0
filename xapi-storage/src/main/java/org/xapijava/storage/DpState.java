package org.xapijava.storage;

import java.util.List;

/**
 * The state of a VDI seen from one datapath, xcp-idl's {@code Vdi_automaton.state}: {@code Detached},
 * {@code Attached RO|RW} or {@code Activated RO|RW}. On the wire {@code "Detached"} or
 * {@code ["Attached", "RW"]}.
 *
 * @param attached  attached (or activated)
 * @param activated activated
 * @param readWrite read-write (meaningless when detached)
 */
public record DpState(boolean attached, boolean activated, boolean readWrite) {
    public static final DpState DETACHED = new DpState(false, false, false);

    public static DpState attached(boolean readWrite) {
        return new DpState(true, false, readWrite);
    }

    public static DpState activated(boolean readWrite) {
        return new DpState(true, true, readWrite);
    }

    /** The VDI's superstate over its datapaths: activated if one is, read-write if one is. */
    public static DpState superstate(Iterable<DpState> states) {
        boolean att = false, act = false, rw = false;
        for (DpState s : states) {
            att |= s.attached;
            act |= s.activated;
            rw |= s.attached && s.readWrite;
        }
        return att ? new DpState(true, act, rw) : DETACHED;
    }

    public Object toRpc() {
        if (!attached) return "Detached";
        return List.of(activated ? "Activated" : "Attached", readWrite ? "RW" : "RO");
    }
}
