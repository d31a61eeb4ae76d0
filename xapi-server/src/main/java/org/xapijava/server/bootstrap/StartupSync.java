package org.xapijava.server.bootstrap;

import java.io.UncheckedIOException;
import org.xapijava.db.Db;

/**
 * What a host's start does to the database before clients are let in, in the order of Xapi's {@code dbsync.ml}
 * and {@code xapi.ml}: {@link MemberStartupSync#syncHost} (this host's records), {@link MasterStartupSync#sync}
 * (the pool's), then this host's storage, first-boot completion and enabling. On a fresh database that creates
 * everything a freshly installed XCP-ng 8.3 host has; on a later start it refreshes what Xapi refreshes.
 *
 * <p>Each step is atomic on its own, as each of Xapi's database calls is; writes that must go together are one
 * {@link org.xapijava.db.Update}. Every step finds its object before creating it, and the first-boot work
 * (management PIF, installer SRs, templates) runs until {@link FirstBoot} records it complete, so a start
 * interrupted anywhere is finished by the next one, and a complete start changes nothing but what Xapi
 * refreshes (the {@code host_cpu} objects are recreated at every start, as in Xapi). Every reference written
 * names an existing object or is {@code OpaqueRef:NULL}, after every step. The SR directories are created and
 * measured before the first database step.
 *
 * <p>This host is the master (a single-host pool); a pool member will run only the member sync, against the
 * master's database.
 */
public final class StartupSync {
    private StartupSync() {}

    /**
     * Runs the start-up syncs of this host on {@code db} and returns the host's objects.
     *
     * @throws UncheckedIOException when an SR directory cannot be created or measured
     */
    public static HostObjects run(Db db, BootstrapSettings s) {
        return run(db, s, false);
    }

    /**
     * {@link #run} for a host joining the pool whose database {@code db} is (in this JVM, for now): the same
     * syncs, except that the pool keeps its master and default SR. A member with its own database, syncing
     * only its host records over the master's, is the pool issue's.
     */
    public static HostObjects runMember(Db db, BootstrapSettings s) {
        return run(db, s, true);
    }

    private static HostObjects run(Db db, BootstrapSettings s, boolean joining) {
        Disk local = Disk.measure(s.localSrPath());
        Disk tools = Disk.measure(s.toolsIsoPath());
        StartupContext c = new StartupContext(db, s, local, tools, s.clock().instant(), joining);
        MemberStartupSync member = new MemberStartupSync(c);
        MemberStartupSync.Synced h = member.syncHost();
        MasterStartupSync.Synced p = new MasterStartupSync(c).sync(h.host());
        HostStorage.InstallerSrs srs = member.initialiseStorage(h);
        member.finish(h);
        return new HostObjects(
                h.created(),
                p.pool(),
                h.host(),
                h.metrics(),
                h.cpus(),
                h.dom0().vm(),
                h.dom0().metrics(),
                h.dom0().consoles(),
                h.management().network(),
                h.management().pif(),
                h.management().pifMetrics(),
                p.internalManagementNetwork(),
                p.smByType(),
                srs.local(),
                member.pbdOf(srs.local(), h.host()),
                srs.removable(),
                srs.dvd(),
                p.toolsSr(),
                member.pbdOf(p.toolsSr(), h.host()),
                p.templatesByUuid(),
                p.rootUser(),
                p.telemetrySecret());
    }
}
