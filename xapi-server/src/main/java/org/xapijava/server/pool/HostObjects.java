package org.xapijava.server.pool;

import org.xapijava.db.Db;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.HostMetrics;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.PIF;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.types.Refs;

/** The database rows of a host that leaves the pool or is forgotten. Stateless. */
final class HostObjects {
    private HostObjects() {}

    /**
     * A host's record and what only it had, as {@code pool.eject} and {@code host.destroy} leave them (Xapi destroys
     * the host and leaves the rest to its database GC; here it goes at once): its metrics, CPUs, PIFs, PBDs, its
     * control domains; VMs with an affinity for it lose it; with {@code lonelySrs}, the SRs only it had, with their
     * VDIs (an eject forgets them on the host that leaves).
     */
    static void destroy(Db db, String host, boolean lonelySrs) {
        for (String vm : db.where(VM.RESIDENT_ON, host)) if (db.get(vm, VM.IS_CONTROL_DOMAIN)) destroyVm(db, vm);
        for (String vm : db.where(VM.AFFINITY, host)) db.set(vm, VM.AFFINITY, Refs.NULL);
        for (String pbd : db.get(host, Host.PBDS)) {
            String sr = db.get(pbd, PBD.SR);
            boolean alone = db.exists(SR.XAPI_CLASS, sr)
                    && db.get(sr, SR.PBDS).stream()
                            .allMatch(p -> db.get(p, PBD.HOST).equals(host));
            db.delete(PBD.XAPI_CLASS, pbd);
            if (alone && lonelySrs) destroySr(db, sr);
        }
        for (String pif : db.get(host, Host.PIFS)) {
            String metrics = db.get(pif, PIF.METRICS);
            db.delete(PIF.XAPI_CLASS, pif);
            deleteIfExists(db, org.xapijava.model.api.PIFMetrics.XAPI_CLASS, metrics);
        }
        for (String cpu : db.get(host, Host.HOST_CPUS)) db.delete(org.xapijava.model.api.HostCpu.XAPI_CLASS, cpu);
        String metrics = db.get(host, Host.METRICS);
        db.delete(Host.XAPI_CLASS, host);
        deleteIfExists(db, HostMetrics.XAPI_CLASS, metrics);
    }

    private static void destroySr(Db db, String sr) {
        for (String vdi : db.get(sr, SR.VDIS)) {
            for (String vbd : db.get(vdi, VDI.VBDS)) db.delete(org.xapijava.model.api.VBD.XAPI_CLASS, vbd);
            db.delete(VDI.XAPI_CLASS, vdi);
        }
        for (String pbd : db.get(sr, SR.PBDS)) db.delete(PBD.XAPI_CLASS, pbd);
        db.delete(SR.XAPI_CLASS, sr);
    }

    static void destroyVm(Db db, String vm) {
        String metrics = db.get(vm, VM.METRICS);
        for (String console : db.get(vm, VM.CONSOLES)) db.delete(org.xapijava.model.api.Console.XAPI_CLASS, console);
        db.delete(VM.XAPI_CLASS, vm);
        deleteIfExists(db, org.xapijava.model.api.VMMetrics.XAPI_CLASS, metrics);
    }

    private static void deleteIfExists(Db db, String cls, String ref) {
        if (!Refs.isNull(ref) && db.exists(cls, ref)) db.delete(cls, ref);
    }
}
