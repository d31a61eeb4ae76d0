package org.xapijava.server.storage;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.server.config.XapiConfig;
import org.xapijava.server.sm.SmRecordSync;
import org.xapijava.server.sm.SmSessions;
import org.xapijava.storage.smapiv1.BundledDrivers;
import org.xapijava.storage.smapiv1.DriverDiscovery;
import org.xapijava.storage.smapiv1.DriverInfo;
import org.xapijava.storage.smapiv1.Smapiv1Executor;
import org.xapijava.storage.smapiv1.Smapiv1Storage;
import org.xapijava.storage.smapiv1.StaticVdis;

/**
 * This host's storage at start-up, as Xapi's {@code Storage_access.on_xapi_start}: the SMAPIv1 drivers of
 * {@code sm-dir} allowed by {@code sm-plugins} are asked {@code sr_get_driver_info}, the {@code SM} table is
 * synchronised with what they say, and SMAPIv2 is served by them ({@link Smapiv1Storage}, datapath state in
 * {@code storage-state-dir}). A development host (data directory layout) first installs the bundled drivers into
 * its {@code sm-dir}. Drivers call back over {@code unix-socket}.
 */
public final class StorageStartup {
    private static final Logger LOG = LoggerFactory.getLogger(StorageStartup.class);

    private StorageStartup() {}

    /** The static VDIs of {@code static-vdis-dir}, whose drivers run as every driver does. */
    public static StaticVdis staticVdis(XapiConfig config) {
        return new StaticVdis(config.path("static-vdis-dir"), executor(config));
    }

    private static Smapiv1Executor executor(XapiConfig config) {
        return new Smapiv1Executor(new Smapiv1Executor.Config(
                config.path("unix-socket"),
                Duration.ofSeconds(Long.parseLong(config.get("sm-timeout-seconds"))),
                16 << 20,
                1 << 20));
    }

    /** Discovers the drivers, syncs the SM records and returns this host's storage. */
    public static StorageBackends start(XapiConfig config, Db data, String hostRef, SmSessions sessions) {
        Path smDir = config.path("sm-dir");
        Path dataDir = config.dataDir();
        if (dataDir != null && smDir.startsWith(dataDir)) BundledDrivers.install(smDir);
        Smapiv1Executor executor = executor(config);
        DriverDiscovery.Whitelist whitelist = DriverDiscovery.Whitelist.parse(config.get("sm-plugins"));
        List<DriverInfo> drivers = new DriverDiscovery(executor, hostRef).discover(smDir, whitelist);
        LOG.info(
                "storage drivers in {}: {}",
                smDir,
                drivers.stream().map(DriverInfo::type).toList());
        Set<String> configured = new LinkedHashSet<>();
        if (!whitelist.all()) {
            for (String n : whitelist.names()) configured.add(n.toLowerCase(Locale.ROOT));
        }
        new SmRecordSync(data, hostRef).sync(drivers, configured);
        Smapiv1Storage storage = new Smapiv1Storage(
                executor, new ServerSmapiv1Host(data, hostRef, sessions), drivers, config.path("storage-state-dir"));
        return new StorageBackends(data, hostRef, storage, type -> storage.driver(type) != null);
    }
}
