package org.xapijava.server.bootstrap;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.db.Update;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.SR;
import org.xapijava.model.types.Refs;
import org.xapijava.server.storage.SrRecords;

/**
 * This host's storage at start-up, after Xapi's {@code create_storage.ml} ({@code initialise_storage}: a PBD of
 * this host on the shared tools SR, then {@code resynchronise_pbds} and the plug, simulated) and the installer's
 * {@code storage-init} ("Local storage", "Removable storage", "DVD drives"), which runs while the host's first
 * boot is not complete. Each SR is created with its PBD in one step and found again by its {@code i18n-key}, so a
 * start interrupted between them creates only the missing ones next time.
 */
final class HostStorage {
    static final String LOCAL_STORAGE = "Local storage";
    static final String REMOVABLE_STORAGE = "Removable storage";
    static final String DVD_DRIVES = "DVD drives";
    static final String DVD_DRIVES_DESCRIPTION = "Physical DVD drives";
    /** {@code SR.other_config} keys of the SRs the installer and Xapi create. */
    static final String I18N_KEY = "i18n-key";

    static final String I18N_ORIGINAL_VALUE_PREFIX = "i18n-original-value-";
    /** {@code SR.sm_config} key of a udev SR: the kind of device it holds. */
    static final String SM_CONFIG_TYPE = "type";
    /** {@code PBD.device_config} key of a directory-backed SR. */
    static final String LOCATION = "location";
    /** The SR types start-up knows: directory-backed ({@code file}, {@code iso}) and {@code udev}. */
    static final String FILE_TYPE = "file";

    static final String ISO_TYPE = "iso";
    static final String UDEV_TYPE = "udev";
    /** Pool {@code other_config} key that turns off creating members' PBDs of shared SRs (Xapi's globs). */
    static final String SYNC_CREATE_PBDS = "sync_create_pbds";
    /** Its value that turns the sync off ({@code Xapi_globs.sync_switch_off}). */
    static final String SWITCH_OFF = "nosync";

    private final StartupContext c;
    private final Db db;

    HostStorage(StartupContext c) {
        this.c = c;
        this.db = c.db;
    }

    /** The installer's SRs; each NULL when absent (a user may remove them once the first boot is done). */
    record InstallerSrs(String local, String removable, String dvd) {}

    /**
     * The installer's SRs: created when missing while the first boot is not complete, else only found.
     * "Local storage" becomes the pool's default SR and the host's suspend-image and crash-dump SR.
     */
    InstallerSrs ensureInstallerSrs(String host, String pool, boolean firstBootPending) {
        String local = findInstallSr(host, "local-storage");
        if (Refs.isNull(local) && firstBootPending) local = createLocalSr(host, pool);
        String removable = findInstallSr(host, "local-hotplug-disk");
        if (Refs.isNull(removable) && firstBootPending) {
            removable =
                    createUdevSr(host, REMOVABLE_STORAGE, "", "disk", "block", "/dev/xapi/block", "local-hotplug-disk");
        }
        String dvd = findInstallSr(host, "local-hotplug-cd");
        if (Refs.isNull(dvd) && firstBootPending) {
            dvd = createUdevSr(
                    host, DVD_DRIVES, DVD_DRIVES_DESCRIPTION, ISO_TYPE, "cd", "/dev/xapi/cd", "local-hotplug-cd");
        }
        return new InstallerSrs(local, removable, dvd);
    }

    /** An SR row of start-up: no operations, no allocation, visible VDIs, not clustered, not the tools SR. */
    static FieldValues srValues(
            String name,
            String description,
            String type,
            String contentType,
            boolean shared,
            Map<String, String> smConfig,
            Map<String, String> otherConfig,
            Disk disk) {
        return FieldValues.of(SR.XAPI_CLASS)
                .with(SR.UUID, StartupContext.uuid())
                .with(SR.NAME_LABEL, name)
                .with(SR.NAME_DESCRIPTION, description)
                .with(SR.ALLOWED_OPERATIONS, List.of())
                .with(SR.CURRENT_OPERATIONS, Map.of())
                .with(SR.VIRTUAL_ALLOCATION, 0L)
                .with(SR.PHYSICAL_UTILISATION, disk == null ? 0L : disk.used())
                .with(SR.PHYSICAL_SIZE, disk == null ? 0L : disk.size())
                .with(SR.TYPE, type)
                .with(SR.CONTENT_TYPE, contentType)
                .with(SR.SHARED, shared)
                .with(SR.OTHER_CONFIG, otherConfig)
                .with(SR.DEFAULT_VDI_VISIBILITY, true)
                .with(SR.SM_CONFIG, smConfig)
                .with(SR.BLOBS, Map.of())
                .with(SR.TAGS, List.of())
                .with(SR.LOCAL_CACHE_ENABLED, false)
                .with(SR.INTRODUCED_BY, Refs.NULL)
                .with(SR.CLUSTERED, false)
                .with(SR.IS_TOOLS_SR, false);
    }

    /** A plugged PBD connecting {@code host} to {@code sr}. */
    static FieldValues pbdValues(String sr, String host, Map<String, String> deviceConfig) {
        return FieldValues.of(PBD.XAPI_CLASS)
                .with(PBD.UUID, StartupContext.uuid())
                .with(PBD.HOST, host)
                .with(PBD.SR, sr)
                .with(PBD.DEVICE_CONFIG, deviceConfig)
                .with(PBD.CURRENTLY_ATTACHED, true)
                .with(PBD.OTHER_CONFIG, Map.of());
    }

    /** {@code other_config} of an installer SR: its i18n key and the original name (and description). */
    private static Map<String, String> i18n(String key, String name, String description) {
        Map<String, String> oc = new LinkedHashMap<>();
        oc.put(I18N_KEY, key);
        oc.put(I18N_ORIGINAL_VALUE_PREFIX + SR.NAME_LABEL.name(), name);
        if (!description.isEmpty()) oc.put(I18N_ORIGINAL_VALUE_PREFIX + SR.NAME_DESCRIPTION.name(), description);
        return oc;
    }

    /**
     * The installer's local SR: "Local storage" of type {@code file} on the configured directory, tagged for
     * XenCenter's translation, with its PBD, as the pool's default SR and the host's suspend-image and crash-dump
     * SR, all in one step.
     */
    private String createLocalSr(String host, String pool) {
        String sr = Refs.fresh();
        Update.Builder u = Update.builder();
        // a member's local SR is not the pool's default
        if (!c.member) u.set(pool, Pool.DEFAULT_SR, sr);
        db.apply(u.create(
                        sr,
                        srValues(
                                LOCAL_STORAGE,
                                "",
                                FILE_TYPE,
                                "user",
                                false,
                                Map.of(),
                                i18n("local-storage", LOCAL_STORAGE, ""),
                                c.localDisk))
                .create(
                        Refs.fresh(),
                        pbdValues(
                                sr,
                                host,
                                Map.of(LOCATION, c.settings.localSrPath().toString())))
                .set(host, Host.CRASH_DUMP_SR, sr)
                .set(host, Host.SUSPEND_IMAGE_SR, sr)
                .build());
        return sr;
    }

    /** A udev SR of {@code storage-init} ("Removable storage" for disks, "DVD drives" for CDs) with its PBD. */
    private String createUdevSr(
            String host,
            String name,
            String description,
            String contentType,
            String smType,
            String location,
            String i18nKey) {
        String sr = Refs.fresh();
        db.apply(Update.builder()
                .create(
                        sr,
                        srValues(
                                name,
                                description,
                                UDEV_TYPE,
                                contentType,
                                false,
                                Map.of(SM_CONFIG_TYPE, smType),
                                i18n(i18nKey, name, description),
                                null))
                .create(Refs.fresh(), pbdValues(sr, host, Map.of(LOCATION, location)))
                .build());
        return sr;
    }

    /** An SR the installer made, found by its {@code i18n-key} and a PBD on this host; NULL when gone. */
    private String findInstallSr(String host, String i18nKey) {
        for (String sr : db.all(SR.XAPI_CLASS)) {
            if (i18nKey.equals(db.get(sr, SR.OTHER_CONFIG).get(I18N_KEY)) && !Refs.isNull(pbdOf(sr, host))) return sr;
        }
        return Refs.NULL;
    }

    /** The PBD connecting {@code host} to {@code sr}, or NULL. */
    String pbdOf(String sr, String host) {
        if (Refs.isNull(sr)) return Refs.NULL;
        for (String pbd : db.where(PBD.SR, sr)) {
            if (host.equals(db.get(pbd, PBD.HOST))) return pbd;
        }
        return Refs.NULL;
    }

    /**
     * {@code maybe_create_pbd} for the tools SR: this host gets a PBD on it (with the tools device config) when
     * it has none.
     */
    void ensureToolsPbd(String host, String toolsSr) {
        if (Refs.isNull(pbdOf(toolsSr, host))) {
            db.create(pbdValues(toolsSr, host, PoolStorage.toolsDeviceConfig(c.settings)));
        }
    }

    /**
     * {@code create_pbds_for_shared_srs}: for every shared SR but the tools SR that the master has a PBD of, this
     * host gets one with the master's device config (less {@code SRmaster}) when it has none, unplugged: the
     * start's plug of unplugged PBDs ({@code StorageResync}) plugs it through this host's driver. Skipped when the
     * pool's {@code other_config:sync_create_pbds} is {@code nosync}, as Xapi.
     */
    void ensureSharedPbds(String host, String pool) {
        if (SWITCH_OFF.equals(db.get(pool, Pool.OTHER_CONFIG).get(SYNC_CREATE_PBDS))) return;
        String master = db.get(pool, Pool.MASTER);
        for (String sr : db.where(SR.SHARED, true)) {
            if (db.get(sr, SR.IS_TOOLS_SR) || !Refs.isNull(pbdOf(sr, host))) continue;
            String masters = pbdOf(sr, master);
            if (Refs.isNull(masters)) continue;
            Map<String, String> config = new LinkedHashMap<>(db.get(masters, PBD.DEVICE_CONFIG));
            config.remove(SrRecords.SR_MASTER_KEY);
            db.create(pbdValues(sr, host, config).with(PBD.CURRENTLY_ATTACHED, false));
        }
    }

    /**
     * {@code resynchronise_pbds} then the start-time plug and scan, simulated: a PBD of this host is attached when
     * its SR's backing exists (the directory of a {@code file} or {@code iso} SR; udev SRs always); the local and
     * tools SR sizes come from the file systems measured before the syncs. One step.
     */
    void resyncPbds(String host) {
        String localPath = c.settings.localSrPath().toString();
        String toolsPath = c.settings.toolsIsoPath().toString();
        Update.Builder u = Update.builder();
        for (String pbd : db.where(PBD.HOST, host)) {
            String sr = db.get(pbd, PBD.SR);
            if (!c.valid(SR.XAPI_CLASS, sr)) continue;
            Map<String, String> dc = db.get(pbd, PBD.DEVICE_CONFIG);
            String location = dc.get(LOCATION);
            boolean attached = switch (db.get(sr, SR.TYPE)) {
                case FILE_TYPE, ISO_TYPE -> location != null && Files.isDirectory(Path.of(location));
                case UDEV_TYPE -> true;
                default -> db.get(pbd, PBD.CURRENTLY_ATTACHED);
            };
            u.set(pbd, PBD.CURRENTLY_ATTACHED, attached);
            Disk d = location == null
                    ? null
                    : location.equals(localPath) ? c.localDisk : location.equals(toolsPath) ? c.toolsDisk : null;
            if (d != null && attached) {
                u.set(sr, SR.PHYSICAL_SIZE, d.size()).set(sr, SR.PHYSICAL_UTILISATION, d.used());
            }
        }
        c.apply(u);
    }
}
