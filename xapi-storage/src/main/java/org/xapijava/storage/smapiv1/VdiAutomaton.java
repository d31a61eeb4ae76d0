package org.xapijava.storage.smapiv1;

import java.util.Collection;
import java.util.List;

/**
 * The attach/activate automaton of one VDI as seen by one datapath, and of the VDI as a whole (Xapi's
 * {@code vdi_automaton.ml}): the states, what a datapath's request makes of its state ({@link #apply}), the VDI's
 * superstate over all its datapaths ({@link #superstate}) and the backend operations that move the VDI from one
 * superstate to another ({@link #steps}). Pure.
 */
public final class VdiAutomaton {
    private VdiAutomaton() {}

    /** A datapath's (or the VDI's) state. */
    public enum State {
        DETACHED(false, false, false),
        ATTACHED_RO(true, false, false),
        ATTACHED_RW(true, false, true),
        ACTIVATED_RO(true, true, false),
        ACTIVATED_RW(true, true, true);

        private final boolean attached;
        private final boolean activated;
        private final boolean rw;

        State(boolean attached, boolean activated, boolean rw) {
            this.attached = attached;
            this.activated = activated;
            this.rw = rw;
        }

        public boolean attached() {
            return attached;
        }

        public boolean activated() {
            return activated;
        }

        public boolean readWrite() {
            return rw;
        }

        static State attached(boolean rw) {
            return rw ? ATTACHED_RW : ATTACHED_RO;
        }

        static State activated(boolean rw) {
            return rw ? ACTIVATED_RW : ACTIVATED_RO;
        }

        /** Xapi's rendering: {@code detached}, {@code attached  RO}, {@code activated RW}. */
        public String text() {
            if (!attached) return "detached";
            return (activated ? "activated " : "attached  ") + (rw ? "RW" : "RO");
        }
    }

    /** A request of a datapath, or a backend operation. */
    public enum Op {
        NOTHING,
        ATTACH_RO,
        ATTACH_RW,
        DETACH,
        ACTIVATE,
        DEACTIVATE;

        static Op attach(boolean rw) {
            return rw ? ATTACH_RW : ATTACH_RO;
        }
    }

    /** A transition the automaton refuses (Xapi's {@code Bad_transition} / {@code Illegal_transition}). */
    public static final class IllegalTransition extends RuntimeException {
        private static final long serialVersionUID = 1L;

        IllegalTransition(State from, String to) {
            super("Illegal transition from " + from.text() + " by " + to);
        }
    }

    /** A backend operation, and the VDI's state if it fails. */
    public record Step(Op op, State onFailure) {}

    private static boolean mergeRw(State from, Op op, boolean have, boolean want) {
        if (!have && want) throw new IllegalTransition(from, op.name());
        return have;
    }

    /** The state a datapath in {@code s} reaches by {@code op}. */
    public static State apply(State s, Op op) {
        return switch (op) {
            case NOTHING -> s;
            case ATTACH_RO, ATTACH_RW -> {
                boolean want = op == Op.ATTACH_RW;
                if (!s.attached) yield State.attached(want);
                boolean rw = mergeRw(s, op, s.rw, want);
                yield s.activated ? State.activated(rw) : State.attached(rw);
            }
            case ACTIVATE -> {
                if (!s.attached) throw new IllegalTransition(s, op.name());
                yield State.activated(s.rw);
            }
            case DEACTIVATE -> s.activated ? State.attached(s.rw) : s;
            case DETACH -> {
                if (s.activated) throw new IllegalTransition(s, op.name());
                yield State.DETACHED;
            }
        };
    }

    /** The VDI's state over its datapaths' states: activated if any is, RW if any is; detached when none. */
    public static State superstate(Collection<State> states) {
        boolean any = false;
        boolean activated = false;
        boolean rw = false;
        for (State s : states) {
            if (!s.attached) continue;
            any = true;
            activated |= s.activated;
            rw |= s.rw;
        }
        if (!any) return State.DETACHED;
        return activated ? State.activated(rw) : State.attached(rw);
    }

    /**
     * The backend operations, in order, that take the VDI from {@code from} to {@code to}, each with the state the
     * VDI is left in if it fails.
     *
     * @throws IllegalTransition when no sequence does (e.g. read-only to read-write)
     */
    public static List<Step> steps(State from, State to) {
        if (from == to) return List.of();
        if (to == State.DETACHED) {
            if (from.activated)
                return List.of(new Step(Op.DEACTIVATE, from), new Step(Op.DETACH, State.attached(from.rw)));
            return List.of(new Step(Op.DETACH, from));
        }
        if (from.attached && from.rw != to.rw) throw new IllegalTransition(from, to.text());
        if (from.activated && to.attached && !to.activated) return List.of(new Step(Op.DEACTIVATE, from));
        if (!from.attached) {
            Step attach = new Step(Op.attach(to.rw), from);
            if (!to.activated) return List.of(attach);
            return List.of(attach, new Step(Op.ACTIVATE, State.attached(to.rw)));
        }
        // attached → activated, same mode
        return List.of(new Step(Op.ACTIVATE, from));
    }
}
