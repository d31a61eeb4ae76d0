package org.xapijava.server.pool;

import java.util.List;
import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.db.Update;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.HostMetrics;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.enums.HostDisplay;
import org.xapijava.model.api.enums.HostNtpMode;
import org.xapijava.model.api.enums.HostNumaAffinityPolicy;
import org.xapijava.model.api.enums.LatestSyncedUpdatesAppliedState;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;
import org.xapijava.server.api.gen.HostApi;
import org.xapijava.server.dispatch.CallContext;

/**
 * {@code host.create} as Xapi's {@code Xapi_host.create}, which a joining host calls on the master to make its own
 * record before its VMs are imported ({@code create_or_get_host_on_master}): a disabled host with fresh metrics (not
 * live), the description "Default install", the master's API version, {@code virtual_hardware_platform_versions}
 * {@code [0]}, the pool's TLS verification, and the given identity, licence, software version and settings (those of
 * the given parameters the datamodel has fields for). One atomic step; a uuid already used is the database's
 * {@code Uniqueness_constraint_violation}, as in Xapi. Thread-safe.
 */
final class HostCreate implements HostApi {
    private final Db db;
    private final String me;

    HostCreate(Db db, String me) {
        this.db = db;
        this.me = me;
    }

    @Override
    public String create(
            CallContext ctx,
            String uuid,
            String nameLabel,
            String nameDescription,
            String hostname,
            String address,
            String externalAuthType,
            String externalAuthServiceName,
            Map<String, String> externalAuthConfiguration,
            Map<String, String> licenseParams,
            String edition,
            Map<String, String> licenseServer,
            String localCacheSr,
            Map<String, String> chipsetInfo,
            boolean sslLegacy,
            DateTime lastSoftwareUpdate,
            String lastUpdateHash,
            boolean sshEnabled,
            long sshEnabledTimeout,
            DateTime sshExpiry,
            long consoleIdleTimeout,
            boolean sshAutoMode,
            boolean secureBoot,
            Map<String, String> softwareVersion,
            boolean httpsOnly,
            String maxCstate,
            HostNtpMode ntpMode,
            List<String> ntpCustomServers,
            String timezone,
            HostNumaAffinityPolicy numaAffinityPolicy,
            LatestSyncedUpdatesAppliedState latestSyncedUpdatesApplied,
            List<String> pendingGuidancesFull,
            List<String> pendingGuidancesRecommended) {
        List<String> pools = db.all(Pool.XAPI_CLASS);
        boolean tls = pools.size() == 1 && db.get(pools.get(0), Pool.TLS_VERIFICATION_ENABLED);
        String metrics = Refs.fresh();
        String host = Refs.fresh();
        DateTime now = DateTime.now();
        db.apply(Update.builder()
                .create(
                        metrics,
                        FieldValues.of(HostMetrics.XAPI_CLASS)
                                .with(
                                        HostMetrics.UUID,
                                        java.util.UUID.randomUUID().toString())
                                .with(HostMetrics.LIVE, false)
                                .with(HostMetrics.MEMORY_TOTAL, 0L)
                                .with(HostMetrics.LAST_UPDATED, now)
                                .with(HostMetrics.OTHER_CONFIG, Map.of()))
                .create(
                        host,
                        FieldValues.of(Host.XAPI_CLASS)
                                .with(Host.UUID, uuid)
                                .with(Host.NAME_LABEL, nameLabel)
                                // Xapi ignores the given description
                                .with(Host.NAME_DESCRIPTION, "Default install")
                                .with(Host.HOSTNAME, hostname)
                                .with(Host.ADDRESS, address)
                                .with(Host.ENABLED, false)
                                .with(Host.API_VERSION_MAJOR, db.get(me, Host.API_VERSION_MAJOR))
                                .with(Host.API_VERSION_MINOR, db.get(me, Host.API_VERSION_MINOR))
                                .with(Host.API_VERSION_VENDOR, db.get(me, Host.API_VERSION_VENDOR))
                                .with(
                                        Host.API_VERSION_VENDOR_IMPLEMENTATION,
                                        db.get(me, Host.API_VERSION_VENDOR_IMPLEMENTATION))
                                .with(Host.SOFTWARE_VERSION, softwareVersion)
                                .with(Host.CHIPSET_INFO, chipsetInfo)
                                .with(Host.SCHED_POLICY, "credit")
                                .with(Host.SUPPORTED_BOOTLOADERS, List.of("pygrub", "eliloader"))
                                .with(Host.SUSPEND_IMAGE_SR, Refs.NULL)
                                .with(Host.CRASH_DUMP_SR, Refs.NULL)
                                .with(Host.METRICS, metrics)
                                .with(Host.LICENSE_PARAMS, licenseParams)
                                .with(Host.EXTERNAL_AUTH_TYPE, externalAuthType)
                                .with(Host.EXTERNAL_AUTH_SERVICE_NAME, externalAuthServiceName)
                                .with(Host.EXTERNAL_AUTH_CONFIGURATION, externalAuthConfiguration)
                                .with(Host.EDITION, edition)
                                .with(Host.LICENSE_SERVER, licenseServer)
                                .with(Host.LOCAL_CACHE_SR, localCacheSr)
                                .with(Host.SSL_LEGACY, false)
                                .with(Host.DISPLAY, HostDisplay.ENABLED.wire())
                                .with(Host.VIRTUAL_HARDWARE_PLATFORM_VERSIONS, List.of(0L))
                                .with(Host.CONTROL_DOMAIN, Refs.NULL)
                                .with(Host.ISCSI_IQN, "")
                                .with(Host.TLS_VERIFICATION_ENABLED, tls)
                                .with(Host.LAST_SOFTWARE_UPDATE, lastSoftwareUpdate)
                                .with(Host.LAST_UPDATE_HASH, lastUpdateHash)
                                .with(Host.HTTPS_ONLY, httpsOnly)
                                .with(Host.LATEST_SYNCED_UPDATES_APPLIED, latestSyncedUpdatesApplied.wire())
                                .with(Host.NUMA_AFFINITY_POLICY, numaAffinityPolicy.wire())
                                .with(Host.PENDING_GUIDANCES_FULL, pendingGuidancesFull)
                                .with(Host.PENDING_GUIDANCES_RECOMMENDED, pendingGuidancesRecommended))
                .build());
        return host;
    }
}
