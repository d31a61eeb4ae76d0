package org.xapijava.server.rrd;

/**
 * What the VM lifecycle tells the statistics about a VM whose RRD must move (Xapi's calls of xcp-rrdd from {@code
 * xapi_vm_lifecycle.ml} and {@code xapi_vm_migrate.ml}). Implementations log their failures and never throw, as
 * Xapi's {@code log_and_ignore_exn}.
 */
public interface VmRrdMoves {
    /** {@code archive_rrd}: the VM halted or suspended here; its RRD goes to the master's archive. */
    void halted(String vmUuid);

    /** {@code migrate_rrd}: the VM left for {@code host} (a ref); its RRD is sent there. */
    void migrated(String vmUuid, String host);

    /**
     * {@code migrate_rrd} with a {@code session_id}: the VM left for a host of another pool, whose xapi is at
     * {@code host} ({@code http://<address>:<port>/}) and takes {@code session}; its RRD is sent there.
     */
    default void migratedToPool(String vmUuid, java.net.URI host, String session) {}

    /** Nothing moves (a server without statistics, tests). */
    VmRrdMoves NONE = new VmRrdMoves() {
        @Override
        public void halted(String vmUuid) {}

        @Override
        public void migrated(String vmUuid, String host) {}
    };
}
