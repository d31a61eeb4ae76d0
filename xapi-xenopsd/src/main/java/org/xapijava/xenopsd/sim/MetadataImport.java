package org.xapijava.xenopsd.sim;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.model.jsonrpc.JsonRpcCodec;
import org.xapijava.xenopsd.DeviceId;
import org.xapijava.xenopsd.DynamicId;
import org.xapijava.xenopsd.HostStat;
import org.xapijava.xenopsd.Metadata;
import org.xapijava.xenopsd.Vbd;
import org.xapijava.xenopsd.Vif;
import org.xapijava.xenopsd.Vm;
import org.xapijava.xenopsd.XenopsError;

/**
 * {@code VM.import_metadata} and {@code VM.export_metadata} ({@code import_metadata}/{@code export_metadata} of
 * {@code xenops_server.ml}): importing replaces a VM's configuration and devices (devices no longer listed are
 * removed, which a plugged one forbids: {@code Device_is_connected}), renames {@code hdX} VBDs to {@code xvdX},
 * fills in MACs ({@link Macs}), gives a VM without a CPU featureset this host's, and takes the domain from the
 * metadata's {@code domains} when present; exporting gives the {@link Metadata} JSON with the domain's state.
 *
 * <p>Thread-safe: an import is one {@link VmTable#update}.
 */
final class MetadataImport {

    private final VmTable vms;
    private final HostStat host;

    MetadataImport(VmTable vms, HostStat host) {
        this.vms = vms;
        this.host = host;
    }

    /** {@code Internal_error "Unable to unmarshal metadata: ..."} for JSON that is not {@code Metadata.t}. */
    static Metadata parse(String json) {
        try {
            return Metadata.fromJson(json);
        } catch (RuntimeException e) {
            throw XenopsError.internalError("Unable to unmarshal metadata: " + e.getMessage());
        }
    }

    /** Imports; returns the VM id. */
    String importMetadata(Metadata md) {
        String vmId = md.vm().id();
        Vm vm = md.vm();
        if (!vm.platformdata().containsKey("featureset")) {
            // a VM from a host without CPU levelling gets every feature this host offers
            Map<String, String> pd = new LinkedHashMap<>();
            pd.put(
                    "featureset",
                    vm.ty() instanceof Vm.Pv
                            ? host.cpuInfo().featuresPv()
                            : host.cpuInfo().featuresHvm());
            pd.putAll(vm.platformdata());
            vm = vm.toBuilder().platformdata(pd).build();
        }
        List<Vbd> vbds = new ArrayList<>();
        for (Vbd v : md.vbds()) {
            String name = v.id().name().startsWith("hd") ? "xvd" + v.id().name().substring(2) : v.id().name();
            vbds.add(new Vbd(
                    new DeviceId(vmId, name),
                    v.position(),
                    v.mode(),
                    v.backend(),
                    v.ty(),
                    v.unpluggable(),
                    v.extraBackendKeys(),
                    v.extraPrivateKeys(),
                    v.qos(),
                    v.persistent(),
                    v.canAttachEarly()));
        }
        List<Vif> vifs = new ArrayList<>();
        for (Vif v : md.vifs()) vifs.add(Macs.withMac(v, new DeviceId(vmId, v.id().name())));
        Domain imported = md.domains() == null ? null : parseDomain(md.domains());
        final Vm newVm = vm;
        Map<DynamicId, Boolean> removed = new LinkedHashMap<>();
        vms.update(vmId, old -> {
            if (old != null) {
                // devices no longer in the metadata must not be plugged (VBD_DB.remove')
                for (Vbd v : old.vbds()) {
                    if (vbds.stream().noneMatch(n -> n.id().equals(v.id()))) {
                        if (StateReports.vbdState(old, v).plugged()) throw XenopsError.deviceIsConnected();
                        removed.put(new DynamicId.Vbd(v.id()), true);
                    }
                }
                for (Vif v : old.vifs()) {
                    if (vifs.stream().noneMatch(n -> n.id().equals(v.id()))) {
                        if (StateReports.vifState(old, v).plugged()) throw XenopsError.deviceIsConnected();
                        removed.put(new DynamicId.Vif(v.id()), true);
                    }
                }
            }
            Domain d = imported != null ? imported : old == null ? null : old.domain();
            Map<String, Boolean> active = old == null ? Map.of() : old.active();
            return new VmEntry(newVm, vbds, vifs, md.pcis(), md.vgpus(), md.vusbs(), d, active);
        });
        for (DynamicId id : removed.keySet()) vms.forget(id);
        return vmId;
    }

    /** The VM's metadata, with {@code domains} holding its domain's state when it has one. */
    String exportMetadata(String vmId) {
        VmEntry e = vms.vmExn(vmId);
        String domains =
                e.domain() == null ? null : JsonRpcCodec.toJson(e.domain().toRpc());
        return new Metadata(e.vm(), e.vbds(), e.vifs(), e.pcis(), e.vgpus(), e.vusbs(), domains).toJson();
    }

    /** The VM's configuration and devices without its domain: what a migration sends ahead of the memory. */
    String exportConfiguration(String vmId) {
        return exportConfiguration(vmId, java.util.Map.of(), java.util.Map.of());
    }

    /**
     * The VM's configuration as {@link #exportConfiguration(String)}, each VBD whose disk {@code vdiMap} maps (by
     * {@code <sr>/<location>}) pointing to the mapped disk and each VIF whose device {@code vifMap} maps on the mapped
     * network: what a migration with a VDI and a VIF map sends the destination.
     */
    String exportConfiguration(
            String vmId,
            java.util.Map<String, String> vdiMap,
            java.util.Map<String, org.xapijava.xenopsd.Vif.Network> vifMap) {
        VmEntry e = vms.vmExn(vmId);
        java.util.List<org.xapijava.xenopsd.Vbd> vbds = e.vbds().stream()
                .map(v ->
                        v.backend() instanceof org.xapijava.xenopsd.Disk.Vdi d && vdiMap.containsKey(d.srAndLocation())
                                ? v.withBackend(new org.xapijava.xenopsd.Disk.Vdi(vdiMap.get(d.srAndLocation())))
                                : v)
                .toList();
        return new Metadata(e.vm(), vbds, remapVifs(e.vifs(), vifMap), e.pcis(), e.vgpus(), e.vusbs(), null).toJson();
    }

    /** xenopsd's {@code remap_vif}: each VIF whose device ({@code snd id}) {@code vifMap} names on that network. */
    static java.util.List<org.xapijava.xenopsd.Vif> remapVifs(
            java.util.List<org.xapijava.xenopsd.Vif> vifs,
            java.util.Map<String, org.xapijava.xenopsd.Vif.Network> vifMap) {
        if (vifMap.isEmpty()) return vifs;
        return vifs.stream()
                .map(v -> vifMap.containsKey(v.id().name()) ? v.withBackend(vifMap.get(v.id().name())) : v)
                .toList();
    }

    private static Domain parseDomain(String json) {
        try {
            return Domain.fromRpc(VmEntry.STATE_JSON.parseValue(json.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw XenopsError.internalError("Failed to unmarshal Domain.t: " + e.getMessage());
        }
    }
}
