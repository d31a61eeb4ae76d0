package org.xapijava.storage.smapiv1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.xapijava.storage.smapiv1.VdiAutomaton.IllegalTransition;
import org.xapijava.storage.smapiv1.VdiAutomaton.Op;
import org.xapijava.storage.smapiv1.VdiAutomaton.State;
import org.xapijava.storage.smapiv1.VdiAutomaton.Step;

class VdiAutomatonTest {

    @Test
    void transitionsOfOneDatapath() {
        assertEquals(State.ATTACHED_RO, VdiAutomaton.apply(State.DETACHED, Op.ATTACH_RO));
        assertEquals(State.ATTACHED_RW, VdiAutomaton.apply(State.ATTACHED_RW, Op.ATTACH_RO));
        assertThrows(IllegalTransition.class, () -> VdiAutomaton.apply(State.ATTACHED_RO, Op.ATTACH_RW));
        assertThrows(IllegalTransition.class, () -> VdiAutomaton.apply(State.ACTIVATED_RO, Op.ATTACH_RW));
        assertThrows(IllegalTransition.class, () -> VdiAutomaton.apply(State.DETACHED, Op.ACTIVATE));
        assertThrows(IllegalTransition.class, () -> VdiAutomaton.apply(State.ACTIVATED_RW, Op.DETACH));
        assertEquals(State.DETACHED, VdiAutomaton.apply(State.DETACHED, Op.DETACH));
        assertEquals(State.DETACHED, VdiAutomaton.apply(State.DETACHED, Op.DEACTIVATE));
        assertEquals(State.ACTIVATED_RW, VdiAutomaton.apply(State.ATTACHED_RW, Op.ACTIVATE));
        assertEquals(State.ACTIVATED_RW, VdiAutomaton.apply(State.ACTIVATED_RW, Op.ACTIVATE));
        assertEquals(State.ATTACHED_RO, VdiAutomaton.apply(State.ACTIVATED_RO, Op.DEACTIVATE));
        assertEquals(State.ATTACHED_RO, VdiAutomaton.apply(State.ATTACHED_RO, Op.DEACTIVATE));
        assertEquals(State.DETACHED, VdiAutomaton.apply(State.ATTACHED_RW, Op.DETACH));
    }

    @Test
    void superstate() {
        assertEquals(State.DETACHED, VdiAutomaton.superstate(List.of()));
        assertEquals(State.ATTACHED_RW, VdiAutomaton.superstate(List.of(State.ATTACHED_RO, State.ATTACHED_RW)));
        assertEquals(State.ACTIVATED_RW, VdiAutomaton.superstate(List.of(State.ACTIVATED_RO, State.ATTACHED_RW)));
        assertEquals(State.ACTIVATED_RO, VdiAutomaton.superstate(List.of(State.ACTIVATED_RO, State.ATTACHED_RO)));
    }

    @Test
    void stepsBetweenSuperstates() {
        assertEquals(List.of(), VdiAutomaton.steps(State.ATTACHED_RO, State.ATTACHED_RO));
        assertEquals(
                List.of(new Step(Op.ATTACH_RW, State.DETACHED), new Step(Op.ACTIVATE, State.ATTACHED_RW)),
                VdiAutomaton.steps(State.DETACHED, State.ACTIVATED_RW));
        assertEquals(
                List.of(new Step(Op.DEACTIVATE, State.ACTIVATED_RO), new Step(Op.DETACH, State.ATTACHED_RO)),
                VdiAutomaton.steps(State.ACTIVATED_RO, State.DETACHED));
        assertEquals(
                List.of(new Step(Op.DETACH, State.ATTACHED_RW)), VdiAutomaton.steps(State.ATTACHED_RW, State.DETACHED));
        assertEquals(
                List.of(new Step(Op.DEACTIVATE, State.ACTIVATED_RW)),
                VdiAutomaton.steps(State.ACTIVATED_RW, State.ATTACHED_RW));
        assertEquals(
                List.of(new Step(Op.ACTIVATE, State.ATTACHED_RO)),
                VdiAutomaton.steps(State.ATTACHED_RO, State.ACTIVATED_RO));
        for (State[] bad : new State[][] {
            {State.ATTACHED_RO, State.ATTACHED_RW},
            {State.ATTACHED_RW, State.ATTACHED_RO},
            {State.ACTIVATED_RW, State.ATTACHED_RO},
            {State.ATTACHED_RO, State.ACTIVATED_RW},
            {State.ACTIVATED_RO, State.ACTIVATED_RW}
        }) {
            assertThrows(IllegalTransition.class, () -> VdiAutomaton.steps(bad[0], bad[1]));
        }
    }
}
