package org.xapijava.server.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.MutableClock;

class NewMasterProposalTest {
    private final MutableClock clock = new MutableClock();
    private final NewMasterProposal p = new NewMasterProposal(clock);

    @Test
    void aSecondAddressIsRefusedForTenMinutesAfterTheLastAgreement() {
        p.propose("10.0.0.1");
        clock.advance(Duration.ofMinutes(9));
        p.propose("10.0.0.1"); // the same address again: agreed, and the ten minutes start again
        clock.advance(Duration.ofMinutes(9));
        ApiError e = assertThrows(ApiError.class, () -> p.propose("10.0.0.2"));
        assertEquals("HA_ABORT_NEW_MASTER", e.code());
        assertTrue(e.getMessage().contains("Already agreed to commit host address '10.0.0.1'"), e.getMessage());
        assertTrue(e.getMessage().contains("'540' secs ago"), e.getMessage());
        clock.advance(Duration.ofMinutes(1).plusSeconds(1));
        p.propose("10.0.0.2");
        p.assertAgreed("10.0.0.2");
    }

    @Test
    void aCommitMustNameTheAgreedAddressAndAnAbortForgetsIt() {
        ApiError none = assertThrows(ApiError.class, () -> p.assertAgreed("10.0.0.1"));
        assertEquals("HA_ABORT_NEW_MASTER", none.code());
        assertTrue(none.getMessage().contains("never received a proposal"), none.getMessage());
        p.propose("10.0.0.1");
        ApiError other = assertThrows(ApiError.class, () -> p.assertAgreed("10.0.0.2"));
        assertTrue(other.getMessage().contains("previously received proposal for 10.0.0.1"), other.getMessage());
        p.abort("10.0.0.1");
        p.propose("10.0.0.2"); // at once: the abort released the first
        p.assertAgreed("10.0.0.2");
    }
}
