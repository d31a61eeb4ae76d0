package org.xapijava.db.persist;

import java.util.List;

/**
 * The persistent changes of one committed transaction, applied atomically on replay.
 *
 * @param generation the database generation count after the transaction (strictly increasing)
 * @param deltas     the changes, in order
 */
public record DeltaBatch(long generation, List<Delta> deltas) {
    public DeltaBatch {
        deltas = List.copyOf(deltas);
    }
}
