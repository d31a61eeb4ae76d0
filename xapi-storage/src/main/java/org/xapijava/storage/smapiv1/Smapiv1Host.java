package org.xapijava.storage.smapiv1;

import java.util.List;
import java.util.Map;
import org.xapijava.storage.SrStat;
import org.xapijava.storage.VdiInfo;

/**
 * What the SMAPIv1 layer needs of xapi's database and sessions, implemented by the server (Xapi's
 * {@code storage_smapiv1.ml} and {@code sm_exec.ml} read these straight from {@code Db}). SMAPIv1 drivers keep the
 * database themselves through callbacks ({@code VDI.db_introduce}, {@code SR.set_physical_size}, ...), so the
 * adapter hands the driver refs and re-reads results from here. Refs are {@code OpaqueRef:...} strings. Every method
 * may be called from any thread; none is called while the implementation's own locks could be needed by a driver's
 * callback (a call runs the driver, whose callbacks the server serves concurrently).
 */
public interface Smapiv1Host {

    /** This host's ref ({@code host_ref} of every call). */
    String hostRef();

    /** This host's uuid (the read-caching sm_config keys are named after it). */
    String hostUuid();

    /** The ref of the SR with uuid {@code srUuid}, or null when there is none. */
    String srRef(String srUuid);

    /**
     * Whether this host is the SR's master ({@code SRmaster}): the pool master for a shared SR, the host of its only
     * PBD for a local one ({@code Helpers.get_srmaster}).
     */
    boolean isSrMaster(String srRef);

    /** The {@code device_config} of this host's PBD of the SR (without {@code SRmaster}), or an empty map. */
    Map<String, String> deviceConfig(String srRef);

    /** The uuid of this host's {@code local_cache_sr}, or null when it has none. */
    String localCacheSrUuid();

    /** The ref of the VDI of the SR at {@code location}, or null when there is none. */
    String vdiRef(String srRef, String location);

    /**
     * What a call on an existing VDI sends of it.
     *
     * @param uuid         {@code VDI.uuid}
     * @param location     {@code VDI.location}
     * @param onBoot       {@code persist} or {@code reset}
     * @param allowCaching {@code VDI.allow_caching}
     */
    record VdiRecord(String uuid, String location, String onBoot, boolean allowCaching) {}

    /** The record of VDI {@code vdiRef}, or null when it no longer exists. */
    VdiRecord vdi(String vdiRef);

    /** The VDI as SMAPIv2's {@code vdi_info} (Xapi's {@code vdi_info_of_vdi_rec}), or null when it is gone. */
    VdiInfo vdiInfo(String vdiRef);

    /** Every VDI of the SR as {@code vdi_info}. */
    List<VdiInfo> vdis(String srRef);

    /** The SR's {@code physical_size}, {@code physical_utilisation}, {@code virtual_allocation}. */
    SrStat srTotals(String srRef);

    /** Sets ({@code value} non-null) or removes ({@code value} null) key {@code key} of the VDI's sm_config. */
    void setVdiSmConfigKey(String vdiRef, String key, String value);

    /** The VDI's {@code other_config:content_id}, or null when absent. */
    String contentId(String vdiRef);

    /** Sets ({@code value} non-null) or removes the VDI's {@code other_config:content_id}. */
    void setContentId(String vdiRef, String value);

    /**
     * Opens the password-less {@code __sm__backend} session for one driver call, its {@code other_config:_sm_session}
     * set to {@code srRef} (Xapi's {@code Xapi_session.SM.with_session}); {@code srRef} is null for calls without an
     * SR ({@code sr_probe}). Returns the session ref; {@link #closeSmSession} is called after the driver exits.
     */
    String openSmSession(String srRef);

    /** Destroys a session {@link #openSmSession} made. */
    void closeSmSession(String sessionRef);
}
