package org.xapijava.db;

import java.util.List;

/**
 * What changed since a generation, read from one snapshot.
 *
 * @param changes  adds, then mods, then dels (order inside a batch is not meaningful in Xapi)
 * @param token    the largest generation among matched changes, or {@code since} when none: the
 *                 database half of the next event.from token, as Xapi computes it
 * @param snapshot the snapshot the changes were read from (take event snapshots and
 *                 {@link Snapshot#validRefCounts()} from it; wait for {@code snapshot.generation()} to
 *                 move when nothing matched)
 */
public record Changes(List<Change> changes, long token, Snapshot snapshot) {
    public Changes {
        changes = List.copyOf(changes);
    }
}
