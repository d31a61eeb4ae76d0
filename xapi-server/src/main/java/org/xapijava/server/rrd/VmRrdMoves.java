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

    /** Nothing moves (a server without statistics, tests). */
    VmRrdMoves NONE = new VmRrdMoves() {
        @Override
        public void halted(String vmUuid) {}

        @Override
        public void migrated(String vmUuid, String host) {}
    };
}
