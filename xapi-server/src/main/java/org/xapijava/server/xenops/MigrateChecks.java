package org.xapijava.server.xenops;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xapijava.db.FieldReads;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.errors.ApiError;

/**
 * The checks of {@code VM.assert_can_migrate} and {@code VM.migrate_send} ({@code xapi_vm_migrate.ml}) over the
 * database, in Xapi's order, and the {@code dest} map of {@code host.migrate_receive} they read. Stateless.
 */
public final class MigrateChecks {
    /** The keys of {@code host.migrate_receive}'s answer ({@code _sm}, {@code _host}, ...). */
    public static final String SM = "SM",
            HOST = "host",
            XENOPS = "xenops",
            SESSION_ID = "session_id",
            MASTER = "master";

    /**
     * Xapi's {@code storage_migrate_vdi_map_key} and {@code storage_migrate_vif_map_key}: the remote VDI or network a
     * VDI or VIF maps to in the metadata a cross-pool {@code VM.migrate_send} sends.
     */
    public static final String MAPS_TO = "maps_to";

    private MigrateChecks() {}

    /** {@code remote_of_dest}: the destination named by a {@code host.migrate_receive} answer. */
    record Dest(String host, String session, String xenopsUrl, String smUrl, String masterUrl, String ip) {
        static Dest of(Map<String, String> dest) {
            String xenops = need(dest, XENOPS);
            String master = need(dest, MASTER);
            String session = need(dest, SESSION_ID);
            String host = need(dest, HOST);
            String sm = need(dest, SM);
            String ip;
            try {
                ip = URI.create(xenops).getHost();
            } catch (IllegalArgumentException e) {
                ip = null;
            }
            if (ip == null) throw ApiError.internal("Cannot extract foreign IP address from: " + xenops);
            return new Dest(host, session, httpsOnly(xenops), httpsOnly(sm), httpsOnly(master), ip);
        }

        /**
         * Xapi's {@code maybe_set_https} ({@code migration_https_only}, on by default): an {@code http://} URL that
         * names no port (Xapi's own, port 80) is used over HTTPS on port 443; one that names its port is a host of
         * this project's whose {@code migrate_receive} gave the scheme it serves, and is used as it is.
         */
        static String httpsOnly(String url) {
            try {
                URI u = URI.create(url);
                if ("http".equalsIgnoreCase(u.getScheme()) && u.getPort() == -1) return "https" + url.substring(4);
            } catch (IllegalArgumentException e) {
                // left as it is: the call that uses it fails with its own error
            }
            return url;
        }

        /** {@code migration_type}: intra-pool when the destination host is one of this pool's. */
        boolean intraPool(FieldReads r) {
            return r.isValid(Host.XAPI_CLASS, host);
        }

        private static String need(Map<String, String> dest, String key) {
            String v = dest.get(key);
            if (v == null) throw ApiError.internal("Not_found"); // List.assoc's exception, as Xapi lets it out
            return v;
        }
    }

    /** {@code vdi_filter}: the VBDs of {@code vm} with a disk to move (not empty, not a CD), in VBD order. */
    static List<String> disks(FieldReads r, String vm) {
        List<String> out = new ArrayList<>();
        for (String vbd : r.get(vm, VM.VBDS)) {
            if (r.get(vbd, VBD.EMPTY) || "CD".equals(r.get(vbd, VBD.TYPE))) continue;
            out.add(vbd);
        }
        return out;
    }

    /** {@code check_vdi_map}: every disk's VDI has an entry, else {@code VDI_NOT_IN_MAP [vdi]}. */
    static void checkVdiMap(FieldReads r, List<String> vbds, Map<String, String> vdiMap) {
        for (String vbd : vbds) {
            String vdi = r.get(vbd, VBD.VDI);
            if (!vdiMap.containsKey(vdi)) throw new ApiError(ErrorCodes.VDI_NOT_IN_MAP, vdi);
        }
    }

    /**
     * {@code assert_can_migrate} for a destination in this pool, in Xapi's order: every disk mapped, the destination's
     * versions not lower than the source's ({@code NOT_SUPPORTED_DURING_UPGRADE}), the SRs' capabilities of the disks
     * that change SR ({@code SR_DOES_NOT_SUPPORT_MIGRATION}), {@code assert_can_boot_here} on the destination without
     * its SR check (host live and enabled, networks, memory, ...), no VIF map ({@code OPERATION_NOT_ALLOWED}), then
     * no CBT or encryption on a disk that moves.
     */
    static void assertCanMigrateIntraPool(
            FieldReads r,
            String vm,
            Dest dest,
            Map<String, String> vdiMap,
            Map<String, String> vifMap,
            Map<String, String> options) {
        boolean force = Boolean.parseBoolean(options.getOrDefault("force", "false"));
        String source = r.get(vm, VM.RESIDENT_ON);
        if (!r.isValid(Host.XAPI_CLASS, source)) source = master(r);
        checkVdiMap(r, disks(r, vm), vdiMap);
        if (!HostVersions.atLeast(r.get(dest.host(), Host.SOFTWARE_VERSION), r.get(source, Host.SOFTWARE_VERSION))) {
            throw new ApiError(ErrorCodes.NOT_SUPPORTED_DURING_UPGRADE);
        }
        for (Map.Entry<String, String> e : vdiMap.entrySet()) {
            String vdi = e.getKey();
            if (!r.isValid(VDI.XAPI_CLASS, vdi)) throw ApiError.handleInvalid(VDI.XAPI_CLASS, vdi);
            if (!r.isValid(org.xapijava.model.api.SR.XAPI_CLASS, e.getValue())) {
                throw ApiError.handleInvalid(org.xapijava.model.api.SR.XAPI_CLASS, e.getValue());
            }
            if (r.get(vdi, VDI.SR).equals(e.getValue())) continue;
            StorageMotion.supported(r, r.get(vdi, VDI.SR), List.of("VDI_SNAPSHOT", "VDI_MIRROR"));
            StorageMotion.supported(r, e.getValue(), List.of("VDI_SNAPSHOT", "VDI_MIRROR_IN"));
        }
        BootChecks.assertCanBootHere(r, vm, dest.host(), !force, true, false);
        if (!vifMap.isEmpty()) {
            throw new ApiError(
                    ErrorCodes.OPERATION_NOT_ALLOWED,
                    "VIF mapping is not allowed for intra-pool migration -all VIFs must be on the same network");
        }
        assertCanMigrateVdis(r, vdiMap);
    }

    /** {@code assert_can_migrate_vdis}: a disk changing SR has neither CBT nor encryption. */
    static void assertCanMigrateVdis(FieldReads r, Map<String, String> vdiMap) {
        for (Map.Entry<String, String> e : vdiMap.entrySet()) {
            String vdi = e.getKey();
            if (e.getValue().equals(r.get(vdi, VDI.SR))) continue;
            if (r.get(vdi, VDI.CBT_ENABLED)) throw new ApiError(ErrorCodes.VDI_CBT_ENABLED, vdi);
            if (r.get(vdi, VDI.SM_CONFIG).containsKey("key_hash")) throw new ApiError(ErrorCodes.VDI_IS_ENCRYPTED, vdi);
        }
    }

    /** {@code VDI_ON_BOOT_MODE_INCOMPATIBLE_WITH_OPERATION [vdi]} for a disk of the VM with {@code on_boot=reset}. */
    static void assertNoResetOnBoot(FieldReads r, List<String> vbds) {
        for (String vbd : vbds) {
            String vdi = r.get(vbd, VBD.VDI);
            if ("reset".equals(r.get(vdi, VDI.ON_BOOT))) {
                throw new ApiError(ErrorCodes.VDI_ON_BOOT_MODE_INCOMPATIBLE_WITH_OPERATION, vdi);
            }
        }
    }

    static String master(FieldReads r) {
        for (String pool : r.all(org.xapijava.model.api.Pool.XAPI_CLASS)) {
            return r.get(pool, org.xapijava.model.api.Pool.MASTER);
        }
        throw ApiError.internal("no pool");
    }
}
