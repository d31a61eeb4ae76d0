package org.xapijava.server.pool;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;

/**
 * The proposal of a new master this host agreed to (Xapi's {@code xapi_ha.ml} {@code proposed_master}), in memory as
 * Xapi's: agreeing again to the same address renews it; a different address is refused with
 * {@code HA_ABORT_NEW_MASTER} for 10 minutes after the last agreement, then accepted; a commit must name the agreed
 * address. Thread-safe.
 */
final class NewMasterProposal {
    private static final Logger LOG = LoggerFactory.getLogger(NewMasterProposal.class);
    /** How long an accepted proposal blocks another (Xapi's ten minutes). */
    static final Duration HOLD = Duration.ofMinutes(10);

    private final Clock clock;
    private String proposed;
    private Instant proposedAt;

    NewMasterProposal(Clock clock) {
        this.clock = clock;
    }

    /** {@code host.propose_new_master}: agrees to {@code address} or refuses. */
    synchronized void propose(String address) {
        Instant now = clock.instant();
        if (proposed != null && !proposed.equals(address)) {
            Duration ago = Duration.between(proposedAt, now);
            if (ago.compareTo(HOLD) <= 0) {
                throw new ApiError(
                        ErrorCodes.HA_ABORT_NEW_MASTER,
                        "Already agreed to commit host address '" + proposed + "' at " + DateTime.ofInstant(proposedAt)
                                + " ('" + ago.toSeconds() + "' secs ago)");
            }
        }
        proposed = address;
        proposedAt = now;
    }

    /** {@code host.abort_new_master}: forgets the proposal. */
    synchronized void abort(String address) {
        if (proposed == null) LOG.error("abort_new_master {} without a proposal", address);
        proposed = null;
    }

    /** The check of {@code host.commit_new_master}: {@code address} is the agreed one. */
    synchronized void assertAgreed(String address) {
        if (proposed == null) {
            throw new ApiError(
                    ErrorCodes.HA_ABORT_NEW_MASTER,
                    "Received commit_new_master(" + address + ") but never received a proposal");
        }
        if (!proposed.equals(address)) {
            throw new ApiError(
                    ErrorCodes.HA_ABORT_NEW_MASTER,
                    "Received commit_new_master(" + address + ") but previously received proposal for " + proposed);
        }
    }
}
