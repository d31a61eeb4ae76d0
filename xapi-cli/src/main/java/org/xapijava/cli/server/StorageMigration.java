package org.xapijava.cli.server;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.xapijava.cli.records.CliFailure;
import org.xapijava.cli.records.ObjectRecord;
import org.xapijava.model.client.XenApi;

/**
 * {@code vm-migrate} with a storage parameter ({@code remote-master}, {@code vdi:}, {@code vif:}, ...): Xapi's storage
 * live migration from the CLI ({@code vm_migrate}'s first branch). The CLI logs in to the destination pool's master
 * ({@code remote-master}, which for a move within the pool is this pool's master), picks the destination host and
 * network there, completes the disk map with the destination's preferred SR, asks the destination for
 * {@code host.migrate_receive}, and calls {@code VM.migrate_send} here.
 */
final class StorageMigration {
    private StorageMigration() {}

    static void run(CommandContext c, Params p, Map<String, String> options, Set<String> ignore) {
        c.out().msg("Performing a storage live migration. Your VM's VDIs will be migrated with the VM.");
        if (!(p.has("remote-master") && p.has("remote-username") && p.has("remote-password"))) {
            throw new CliFailure("Storage live migration requires remote-master, remote-username, and"
                    + " remote-password to be specified. Please see 'xe help vm-migrate' for help.");
        }
        try (CliHost.RemoteTransport t = c.host().remote(p.get("remote-master"))) {
            migrate(c, p, options, ignore, t);
        }
    }

    private static void migrate(
            CommandContext c, Params p, Map<String, String> options, Set<String> ignore, CliHost.RemoteTransport t) {
        XenApi api = c.api();
        XenApi anon = new XenApi(t, null);
        XenApi remote = anon.withSession(anon.session()
                .loginWithPassword(
                        p.get("remote-username"),
                        p.get("remote-password"),
                        "1.3",
                        "xapi/" + c.host().apiVersion()));
        try {
            String host = destinationHost(remote, p.opt("host"));
            String network = network(remote, host, p.opt("remote-network"));
            Map<String, String> vifMap = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : p.map("vif"))
                vifMap.put(api.vif().getByUuid(e.getKey()), remote.network().getByUuid(e.getValue()));
            Map<String, String> vdiMap = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : p.map("vdi"))
                vdiMap.put(api.vdi().getByUuid(e.getKey()), remote.sr().getByUuid(e.getValue()));
            Map<String, String> vgpuMap = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : p.map("vgpu"))
                vgpuMap.put(api.vgpu().getByUuid(e.getKey()), remote.gpuGroup().getByUuid(e.getValue()));
            Optional<String> preferred = preferredSr(c, remote, host);
            if (preferred.isPresent()) vdiMap = withPreferred(c, p, ignore, vdiMap, preferred.get());
            // the VM selector does not see the maps (Xapi drops the vif: and vdi: keys)
            List<Map.Entry<String, String>> rest = new ArrayList<>();
            for (Map.Entry<String, String> e : p.entries()) {
                String k = e.getKey();
                if (k.length() < 5 || !(k.startsWith("vif:") || k.startsWith("vdi:"))) rest.add(e);
            }
            CommandContext selecting =
                    new CommandContext(c.conn(), c.out(), api, new Params(rest), c.host(), c.unixSocket());
            c.out()
                    .msg("Will migrate to remote host: " + remote.host().getNameLabel(host) + ", using remote network: "
                            + remote.network().getNameLabel(network) + ". Here is the VDI mapping:");
            for (Map.Entry<String, String> e : vdiMap.entrySet())
                c.out()
                        .msg("VDI " + api.vdi().getUuid(e.getKey()) + " -> SR "
                                + remote.sr().getUuid(e.getValue()));
            Map<String, String> token = remote.host().migrateReceive(host, network, options);
            Map<String, String> vdis = vdiMap;
            List<String> moved = Selectors.vms(
                    selecting,
                    new Selectors.VmScope(false, true),
                    true,
                    ignore,
                    vm -> api.vm().migrateSend(vm.ref(), token, true, vdis, vifMap, options, vgpuMap));
            if (p.bool("copy", false) && !moved.isEmpty())
                c.out().list(List.of(remote.vm().getUuid(moved.get(0))));
        } finally {
            remote.session().logout();
        }
    }

    /** The host named by {@code host=} (hostname, name or uuid), else the first host of the destination pool. */
    private static String destinationHost(XenApi remote, Optional<String> name) {
        String expr = name.map(x -> "(field \"hostname\"=\"" + x + "\") or (field \"name__label\"=\"" + x
                        + "\") or (field \"uuid\"=\"" + x + "\")")
                .orElse("true");
        List<String> hosts =
                new ArrayList<>(remote.host().getAllRecordsWhere(expr).keySet());
        if (hosts.isEmpty())
            throw new CliFailure(name.map(x -> "Failed to find host: " + x).orElse("Failed to find a suitable host"));
        return hosts.get(0);
    }

    /** The network named by {@code remote-network=} (bridge, name or uuid), else the host's management network. */
    private static String network(XenApi remote, String host, Optional<String> name) {
        if (name.isPresent()) {
            String x = name.get();
            List<String> nets = new ArrayList<>(remote.network()
                    .getAllRecordsWhere("(field \"bridge\"=\"" + x + "\") or (field \"name__label\"=\"" + x
                            + "\") or (field \"uuid\"=\"" + x + "\")")
                    .keySet());
            if (nets.isEmpty()) throw new CliFailure("Failed to find network: " + x);
            return nets.get(0);
        }
        List<String> pifs = new ArrayList<>(remote.pif()
                .getAllRecordsWhere("(field \"host\"=\"" + host + "\") and (field \"management\"=\"true\")")
                .keySet());
        if (pifs.isEmpty())
            throw new CliFailure(
                    "Could not find management PIF on host " + remote.host().getUuid(host));
        return remote.pif().getNetwork(pifs.get(0));
    }

    /**
     * Xapi's preferred SR: of the destination host's plugged SRs that hold disks, a shared one with the most free space,
     * else a local one with the most; none (a message printed) when it cannot be worked out.
     */
    private static Optional<String> preferredSr(CommandContext c, XenApi remote, String host) {
        try {
            List<String> attached = new ArrayList<>();
            for (Map<String, Object> pbd : remote.pbd()
                    .getAllRecordsWhere("(field \"host\"=\"" + host + "\") and (field \"currently_attached\"=\"true\")")
                    .values()) attached.add((String) pbd.get("SR"));
            for (String shared : List.of("true", "false")) {
                Set<String> srs = remote.sr()
                        .getAllRecordsWhere(
                                "(not (field \"content_type\"=\"iso\")) and (field \"shared\"=\"" + shared + "\")")
                        .keySet();
                String best = null;
                long bestFree = 0;
                for (String sr : attached) {
                    if (!srs.contains(sr)) continue;
                    long free = remote.sr().getPhysicalSize(sr) - remote.sr().getPhysicalUtilisation(sr);
                    if (best == null || free > bestFree) {
                        best = sr;
                        bestFree = free;
                    }
                }
                if (best != null) return Optional.of(best);
            }
            return Optional.empty();
        } catch (RuntimeException e) {
            c.out()
                    .msg("Couldn't compute preferred SR, continuing with the user-provided VDI mapping. The reason is: "
                            + e.getMessage());
            return Optional.empty();
        }
    }

    /** Every disk of the (first) VM selected goes to the preferred SR unless the user's map says otherwise. */
    private static Map<String, String> withPreferred(
            CommandContext c, Params p, Set<String> ignore, Map<String, String> vdiMap, String preferred) {
        List<ObjectRecord> vms = Selectors.selectVms(c, new Selectors.VmScope(false, true), ignore);
        if (vms.isEmpty()) throw new CliFailure("No matching VMs found");
        XenApi api = c.api();
        Map<String, String> out = new LinkedHashMap<>();
        for (String vbd : api.vm().getVBDs(vms.get(0).ref())) {
            if (api.vbd().getEmpty(vbd)) continue;
            String vdi = api.vbd().getVDI(vbd);
            out.put(vdi, vdiMap.getOrDefault(vdi, preferred));
        }
        for (Map.Entry<String, String> e : vdiMap.entrySet()) out.putIfAbsent(e.getKey(), e.getValue());
        return out;
    }
}
