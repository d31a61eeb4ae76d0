package org.xapijava.server.rrd;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The RRDs of one host, as Xapi's {@code xcp-rrdd} holds them ({@code Rrdd_shared.host_rrd}, {@code vm_rrds}): the
 * host's, and one per VM running here, each with the sources its last sample offered ({@code dss}). A sample
 * creates the RRD of an owner seen for the first time (from its archive when one was kept, {@code push_rrd_local}),
 * adds the standard sources it did not have ({@code merge_new_dss}) and updates it, sources that went missing being
 * updated as unknown; a VM that is no longer sampled keeps its RRD until {@link #takeVm} takes it ({@code
 * archive_rrd} at its halt, {@code migrate_rrd}); an SR no longer sampled is archived and dropped. Thread-safe: one
 * lock over everything, held only for in-memory work (archives are written from copies).
 */
public final class Rrds {

    /** One owner's RRD and the sources last offered for it ({@code rrd_info}). */
    private static final class Entry {
        Rrd rrd;
        Map<String, DataSource> live = new LinkedHashMap<>();
        long domid;

        Entry(Rrd rrd, long domid) {
            this.rrd = rrd;
            this.domid = domid;
        }
    }

    /** What a sample found for one VM. */
    public record VmSample(String uuid, long domid, List<DataSource> sources) {}

    /** What a sample found for one SR plugged here. */
    public record SrSample(String uuid, List<DataSource> sources) {}

    private final String hostUuid;
    private final RrdArchive archive;
    private Entry host;
    private final Map<String, Entry> vms = new TreeMap<>();
    private final Map<String, Entry> srs = new TreeMap<>();
    private boolean minMaxForVms;

    /**
     * @param hostUuid this host's uuid (the host RRD's legends and archive)
     * @param archive  where RRDs are kept when not in memory; its host RRD, if any, is loaded now
     */
    public Rrds(String hostUuid, RrdArchive archive) {
        this.hostUuid = hostUuid;
        this.archive = archive;
        Rrd saved = archive.load(hostUuid);
        if (saved != null) host = new Entry(saved, 0);
    }

    public String hostUuid() {
        return hostUuid;
    }

    /** {@code update_use_min_max}: whether new VM RRDs get MIN and MAX archives. */
    public synchronized void useMinMaxForVms(boolean on) {
        minMaxForVms = on;
    }

    /**
     * {@code update_rrds}: one sample of the host and the VMs running here.
     */
    public void update(double timestamp, List<DataSource> hostSources, List<VmSample> vmSamples) {
        update(timestamp, hostSources, vmSamples, List.of());
    }

    /**
     * {@code update_rrds}: one sample of the host, the VMs running here and the SRs plugged here. SRs not in it are
     * archived and dropped; VMs and SRs seen for the first time start from their archive when there is one.
     */
    public void update(
            double timestamp, List<DataSource> hostSources, List<VmSample> vmSamples, List<SrSample> srSamples) {
        List<String> fresh = new ArrayList<>();
        synchronized (this) {
            for (VmSample v : vmSamples) if (!vms.containsKey(v.uuid())) fresh.add(v.uuid());
            for (SrSample v : srSamples) if (!srs.containsKey(v.uuid())) fresh.add(v.uuid());
        }
        Map<String, Rrd> restored = new LinkedHashMap<>();
        for (String uuid : fresh) {
            Rrd saved = archive.load(uuid);
            if (saved != null) restored.put(uuid, saved);
        }
        Map<String, Rrd> toArchive = new LinkedHashMap<>();
        synchronized (this) {
            host = apply(host, timestamp, hostSources, 0, true);
            Set<String> sampled = new java.util.HashSet<>();
            for (VmSample v : vmSamples) {
                sampled.add(v.uuid());
                Entry e = vms.get(v.uuid());
                if (e == null && restored.containsKey(v.uuid())) {
                    e = new Entry(restored.get(v.uuid()), -1); // another domain: its first readings are fresh
                }
                vms.put(v.uuid(), apply(e, timestamp, v.sources(), v.domid(), minMaxForVms));
            }
            for (SrSample v : srSamples) {
                sampled.add(v.uuid());
                Entry e = srs.get(v.uuid());
                if (e == null && restored.containsKey(v.uuid())) e = new Entry(restored.get(v.uuid()), -1);
                srs.put(v.uuid(), apply(e, timestamp, v.sources(), 0, true));
            }
            // a VM no longer sampled keeps its RRD until it is archived at its halt or sent on at its migration
            // (archive_rrd, migrate_rrd): xcp-rrdd's monitor drops none; an SR unplugged here is archived
            List<String> gone = new ArrayList<>();
            for (String uuid : srs.keySet()) if (!sampled.contains(uuid)) gone.add(uuid);
            for (String uuid : gone) toArchive.put(uuid, srs.remove(uuid).rrd);
        }
        toArchive.forEach(archive::save);
    }

    /**
     * {@code put_rrd_handler} without {@code archive}: the RRD another host sent for a VM now running here (a
     * migration) replaces this host's, with no live sources until the next sample, as domain {@code domid}.
     */
    public synchronized void putVm(String uuid, Rrd rrd, long domid) {
        vms.put(uuid, new Entry(rrd, domid));
    }

    /**
     * {@code archive_rrd} and {@code migrate_rrd}: the RRD of VM {@code uuid} leaves this host's memory; null when it
     * has none here.
     */
    public synchronized Rrd takeVm(String uuid) {
        Entry e = vms.remove(uuid);
        return e == null ? null : e.rrd;
    }

    /**
     * {@code Deprecated.load_rrd} after a start without a local archive: the host's RRD fetched from the master,
     * unless a sample made one meanwhile.
     */
    public synchronized void restoreHost(Rrd rrd) {
        if (host == null) host = new Entry(rrd, 0);
    }

    /** Whether the host's RRD exists (read from its archive or made by a sample). */
    public synchronized boolean hasHost() {
        return host != null;
    }

    private Entry apply(Entry e, double timestamp, List<DataSource> sources, long domid, boolean minMax) {
        if (e == null) {
            List<DataSource> standard = new ArrayList<>();
            for (DataSource s : sources) if (s.standard()) standard.add(s);
            Entry created = new Entry(Rrd.create(standard, timestamp, minMax), domid);
            for (DataSource s : sources) created.live.put(s.name(), s);
            return created;
        }
        for (DataSource s : sources) {
            if (s.standard() && !e.live.containsKey(s.name())) e.rrd.addSource(s, timestamp);
            e.live.put(s.name(), s);
        }
        Map<String, Rrd.Reading> readings = new java.util.HashMap<>();
        for (DataSource s : sources) readings.put(s.name(), new Rrd.Reading(s.value(), s.integer(), s.inverse()));
        for (String name : e.rrd.names()) readings.putIfAbsent(name, Rrd.Reading.UNKNOWN);
        boolean freshDomain = domid != e.domid;
        e.rrd.update(timestamp, readings, freshDomain);
        e.domid = domid;
        return e;
    }

    /** Copies of the host's RRD (null: none yet) and those of the VMs, by uuid. */
    public synchronized Snapshot snapshot() {
        Map<String, Rrd> v = new LinkedHashMap<>();
        vms.forEach((k, e) -> v.put(k, e.rrd.copy()));
        srs.forEach((k, e) -> v.put(k, e.rrd.copy()));
        return new Snapshot(host == null ? null : host.rrd.copy(), v);
    }

    /** A consistent copy of every RRD in memory (the VMs' and the SRs' by uuid in {@code vms}). */
    public record Snapshot(Rrd host, Map<String, Rrd> vms) {}

    /**
     * {@code get_host_stats}: the export of {@code /rrd_updates} over the host's RRD (when {@code withHost}) and the
     * VMs' (those of {@code vmUuids}, or all when null), built under the lock.
     */
    public synchronized RrdUpdates updates(boolean withHost, List<String> vmUuids, long start, long interval, Cf cf) {
        return updates(withHost, vmUuids, List.of(), start, interval, cf);
    }

    /** {@link #updates(boolean, List, long, long, Cf)} with the SRs of {@code srUuids} ({@code sr_uuid=}) too. */
    public synchronized RrdUpdates updates(
            boolean withHost, List<String> vmUuids, List<String> srUuids, long start, long interval, Cf cf) {
        List<RrdUpdates.Source> sources = new ArrayList<>();
        if (withHost && host != null) sources.add(new RrdUpdates.Source("host:" + hostUuid + ":", host.rrd));
        vms.forEach((uuid, e) -> {
            if (vmUuids == null || vmUuids.contains(uuid))
                sources.add(new RrdUpdates.Source("vm:" + uuid + ":", e.rrd));
        });
        srs.forEach((uuid, e) -> {
            if (srUuids.contains(uuid)) sources.add(new RrdUpdates.Source("sr:" + uuid + ":", e.rrd));
        });
        return RrdUpdates.of(sources, start, interval, cf);
    }

    /** An SR's RRD as a dump (null: none here). */
    public synchronized String srDump(String uuid, boolean json) {
        Entry e = srs.get(uuid);
        if (e == null) return null;
        return json ? RrdDump.json(e.rrd) : RrdDump.xml(e.rrd, false);
    }

    /** {@code query_possible_sr_dss}: empty when the SR has no RRD here. */
    public synchronized List<SourceInfo> srSources(String uuid) {
        Entry e = srs.get(uuid);
        return e == null ? List.of() : possible(e);
    }

    /** {@code query_sr_ds}. */
    public synchronized double querySr(String uuid, String name, double now) {
        Entry e = srs.get(uuid);
        if (e == null) throw missing("SR: " + uuid);
        return query(e, name, now);
    }

    /** {@code add_sr_ds}. */
    public synchronized void recordSr(String uuid, String name, double now) {
        Entry e = srs.get(uuid);
        if (e == null) throw missing("SR: " + uuid);
        record(e, name, now);
    }

    /** {@code forget_sr_ds}. */
    public synchronized void forgetSr(String uuid, String name) {
        Entry e = srs.get(uuid);
        if (e != null) e.rrd.removeSource(name);
    }

    /** The host's RRD as a dump (null: none yet). */
    public synchronized String hostDump(boolean json) {
        if (host == null) return null;
        return json ? RrdDump.json(host.rrd) : RrdDump.xml(host.rrd, false);
    }

    /** A running VM's RRD as a dump (null: none here). */
    public synchronized String vmDump(String uuid, boolean json) {
        Entry e = vms.get(uuid);
        if (e == null) return null;
        return json ? RrdDump.json(e.rrd) : RrdDump.xml(e.rrd, false);
    }

    /** {@code has_vm_rrd}. */
    public synchronized boolean hasVm(String uuid) {
        return vms.containsKey(uuid);
    }

    /** The data sources of one owner, as Xapi lists them ({@code query_possible_dss}). */
    public record SourceInfo(
            String name, String description, boolean enabled, boolean standard, String units, double min, double max) {}

    /** {@code query_possible_host_dss}. */
    public synchronized List<SourceInfo> hostSources() {
        return host == null ? List.of() : possible(host);
    }

    /** {@code query_possible_vm_dss}: empty when the VM has no RRD here. */
    public synchronized List<SourceInfo> vmSources(String uuid) {
        Entry e = vms.get(uuid);
        return e == null ? List.of() : possible(e);
    }

    /** Live sources (enabled when in the RRD) and archived ones no longer offered, sorted by name. */
    private static List<SourceInfo> possible(Entry e) {
        TreeMap<String, SourceInfo> out = new TreeMap<>();
        List<String> enabled = e.rrd.names();
        e.live.forEach((name, s) -> out.put(
                name,
                new SourceInfo(
                        name, s.description(), enabled.contains(name), s.standard(), s.units(), s.min(), s.max())));
        for (Rrd.Ds d : e.rrd.dss) {
            out.putIfAbsent(
                    d.name, new SourceInfo(d.name, "description not available", false, false, "unknown", d.min, d.max));
        }
        return List.copyOf(out.values());
    }

    /** A failure of xcp-rrdd, as Xapi reports it ({@code Rrd_interface.rrd_errors}). */
    public static final class RrddException extends RuntimeException {
        public RrddException(String message) {
            super(message);
        }
    }

    /** {@code Datasource_missing}. */
    static RrddException missing(String what) {
        return new RrddException("Rrd_interface.Rrdd_error([S(Datasource_missing);S(" + what + ")])");
    }

    /** An exception of the RRD library passed on by xcp-rrdd ({@code Rrdd_internal_error}). */
    static RrddException internal(String what) {
        return new RrddException("Rrd_interface.Rrdd_error([S(Rrdd_internal_error);S(" + what + ")])");
    }

    /** {@code query_host_ds}: the newest AVERAGE of a host source. */
    public synchronized double queryHost(String name, double now) {
        if (host == null) throw missing("No host datasource!");
        return query(host, name, now);
    }

    /** {@code query_vm_ds}. */
    public synchronized double queryVm(String uuid, String name, double now) {
        Entry e = vms.get(uuid);
        if (e == null) throw missing("VM: " + uuid);
        return query(e, name, now);
    }

    private static double query(Entry e, String name, double now) {
        try {
            return e.rrd.query(name, now);
        } catch (IllegalArgumentException x) {
            throw internal("Rrd.Invalid_data_source(\"" + name + "\")");
        } catch (Rrd.NoArchiveException x) {
            throw internal("Rrd.No_RRA_Available");
        }
    }

    /** {@code add_host_ds}: records a source offered but not recorded (nothing when there is no host RRD yet). */
    public synchronized void recordHost(String name, double now) {
        if (host != null) record(host, name, now);
    }

    /** {@code add_vm_ds}. */
    public synchronized void recordVm(String uuid, String name, double now) {
        Entry e = vms.get(uuid);
        if (e == null) throw missing("VM: " + uuid);
        record(e, name, now);
    }

    private static void record(Entry e, String name, double now) {
        DataSource s = e.live.get(name);
        if (s == null) throw missing(name);
        e.rrd.addSource(s, now);
    }

    /** {@code forget_host_ds}: the source and its archives go (idempotent). */
    public synchronized void forgetHost(String name) {
        if (host != null) host.rrd.removeSource(name);
    }

    /** {@code forget_vm_ds}. */
    public synchronized void forgetVm(String uuid, String name) {
        Entry e = vms.get(uuid);
        if (e != null) e.rrd.removeSource(name);
    }

    /** {@code backup_rrds} to local disk: every RRD in memory is written to its archive. */
    public void backup() {
        Snapshot s = snapshot();
        if (s.host() != null) archive.save(hostUuid, s.host());
        s.vms().forEach(archive::save);
    }
}
