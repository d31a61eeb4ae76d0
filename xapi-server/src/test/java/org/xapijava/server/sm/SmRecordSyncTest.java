package org.xapijava.server.sm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.Database;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.db.LocalDb;
import org.xapijava.model.Datamodel;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.SM;
import org.xapijava.model.api.SR;
import org.xapijava.storage.smapiv1.DriverInfo;

/** The SM table synchronised from the drivers found ({@link SmRecordSync}), on a database built directly. */
class SmRecordSyncTest {
    final Db data = new LocalDb(Database.empty(Datamodel.get()));
    final String host = host();

    @TempDir
    Path smDir;

    private String host() {
        return data.create(FieldValues.of(Host.XAPI_CLASS)
                .with(Host.UUID, UUID.randomUUID().toString()));
    }

    private DriverInfo driver(String stem, String apiVersion, Map<String, Long> features) throws Exception {
        Path exe = smDir.resolve(stem + "SR");
        if (!Files.exists(exe)) Files.writeString(exe, "#!/bin/sh\n");
        return new DriverInfo(
                stem.toLowerCase(),
                exe.toString(),
                stem + " name",
                stem + " description",
                "vendor",
                "copyright",
                "1.0",
                apiVersion,
                features,
                Map.of("location", "where"),
                List.of());
    }

    private static Map<String, Long> features(Object... kv) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], ((Number) kv[i + 1]).longValue());
        return m;
    }

    private String only(String type) {
        List<String> sms = data.where(SM.TYPE, type);
        assertEquals(1, sms.size(), type);
        return sms.getFirst();
    }

    @Test
    void createsARecordPerDriverWithWhatTheDriverSays() throws Exception {
        DriverInfo file = driver("File", "1.0", features("VDI_DELETE", 1, "SR_PROBE", 1, "VDI_RESET_ON_BOOT", 2));
        SmRecordSync.Result r = new SmRecordSync(data, host).sync(List.of(file), Set.of());
        String sm = only("file");
        assertEquals(Map.of("file", sm), r.created());
        assertEquals("File name", data.get(sm, SM.NAME_LABEL));
        assertEquals("File description", data.get(sm, SM.NAME_DESCRIPTION));
        assertEquals("vendor", data.get(sm, SM.VENDOR));
        assertEquals("copyright", data.get(sm, SM.COPYRIGHT));
        assertEquals("1.0", data.get(sm, SM.VERSION));
        assertEquals("1.0", data.get(sm, SM.REQUIRED_API_VERSION));
        // sorted by name, as Xapi's parse_string_int64
        assertEquals(List.of("SR_PROBE", "VDI_DELETE", "VDI_RESET_ON_BOOT"), data.get(sm, SM.CAPABILITIES));
        assertEquals(features("SR_PROBE", 1, "VDI_DELETE", 1, "VDI_RESET_ON_BOOT", 2), data.get(sm, SM.FEATURES));
        assertEquals(Map.of("location", "where"), data.get(sm, SM.CONFIGURATION));
        assertEquals(file.driverFilename(), data.get(sm, SM.DRIVER_FILENAME));
        assertEquals(List.of(), data.get(sm, SM.REQUIRED_CLUSTER_STACK));
        assertEquals(Map.of(), data.get(sm, SM.HOST_PENDING_FEATURES));
    }

    @Test
    void anUpdateDropsRemovedFeaturesAtOnceAndPromotesNewOnesWhenEveryHostHasThem() throws Exception {
        SmRecordSync sync = new SmRecordSync(data, host);
        sync.sync(List.of(driver("File", "1.0", features("SR_PROBE", 1, "VDI_DELETE", 1))), Set.of());
        String sm = only("file");
        // one host: a new feature is promoted at once; a removed one goes
        DriverInfo v2 = new DriverInfo(
                "file",
                smDir.resolve("FileSR").toString(),
                "renamed",
                "d2",
                "v2",
                "c2",
                "9.9",
                "1.1",
                features("SR_PROBE", 1, "VDI_CLONE", 1),
                Map.of(),
                List.of());
        SmRecordSync.Result r = sync.sync(List.of(v2), Set.of());
        assertEquals(List.of(sm), r.updated());
        assertEquals(features("SR_PROBE", 1, "VDI_CLONE", 1), data.get(sm, SM.FEATURES));
        assertEquals(List.of("SR_PROBE", "VDI_CLONE"), data.get(sm, SM.CAPABILITIES));
        assertEquals("renamed", data.get(sm, SM.NAME_LABEL));
        assertEquals("1.1", data.get(sm, SM.REQUIRED_API_VERSION));
        assertEquals(Map.of(), data.get(sm, SM.CONFIGURATION));
        assertEquals("1.0", data.get(sm, SM.VERSION), "Xapi's update leaves version");
        assertEquals(Map.of(), data.get(sm, SM.HOST_PENDING_FEATURES));

        // two hosts: a feature new on this host waits for the other
        String other = host();
        DriverInfo v3 = new DriverInfo(
                "file",
                v2.driverFilename(),
                "renamed",
                "d2",
                "v2",
                "c2",
                "9.9",
                "1.1",
                features("SR_PROBE", 1, "VDI_CLONE", 1, "VDI_SNAPSHOT", 2),
                Map.of(),
                List.of());
        sync.sync(List.of(v3), Set.of());
        assertEquals(features("SR_PROBE", 1, "VDI_CLONE", 1), data.get(sm, SM.FEATURES));
        assertEquals(Map.of(host, List.of("VDI_SNAPSHOT/2")), data.get(sm, SM.HOST_PENDING_FEATURES));
        // the other host reports it at version 1: promoted at the lower version; what is removed from the pending
        // lists is the promoted text (VDI_SNAPSHOT/1), so this host's VDI_SNAPSHOT/2 stays pending, as in Xapi
        DriverInfo v3other = new DriverInfo(
                "file",
                v2.driverFilename(),
                "renamed",
                "d2",
                "v2",
                "c2",
                "9.9",
                "1.1",
                features("SR_PROBE", 1, "VDI_CLONE", 1, "VDI_SNAPSHOT", 1),
                Map.of(),
                List.of());
        new SmRecordSync(data, other).sync(List.of(v3other), Set.of());
        assertEquals(features("SR_PROBE", 1, "VDI_CLONE", 1, "VDI_SNAPSHOT", 1), data.get(sm, SM.FEATURES));
        assertEquals(Map.of(host, List.of("VDI_SNAPSHOT/2"), other, List.of()), data.get(sm, SM.HOST_PENDING_FEATURES));
        // the same on both: nothing new, nothing pending
        new SmRecordSync(data, other).sync(List.of(v3other), Set.of());
        sync.sync(List.of(v3other), Set.of());
        assertEquals(features("SR_PROBE", 1, "VDI_CLONE", 1, "VDI_SNAPSHOT", 1), data.get(sm, SM.FEATURES));
        assertEquals(Map.of(), data.get(sm, SM.HOST_PENDING_FEATURES));
    }

    @Test
    void destroysRecordsNeitherConfiguredNorUsedAndThoseWhoseDriverIsGone() throws Exception {
        SmRecordSync sync = new SmRecordSync(data, host);
        DriverInfo file = driver("File", "1.0", features());
        DriverInfo iso = driver("ISO", "1.0", features());
        DriverInfo nfs = driver("NFS", "1.0", features());
        DriverInfo lvm = driver("LVM", "1.0", features());
        DriverInfo v5 = driver("Five", "5.0", features());
        sync.sync(List.of(file, iso, nfs, lvm, v5), Set.of());
        String isoSm = only("iso");
        String nfsSm = only("nfs");
        String lvmSm = only("lvm");
        String fiveSm = only("five");
        // iso: used by an SR; nfs: configured; lvm: neither; five: its driver file goes but api >= 5.0
        data.create(FieldValues.of(SR.XAPI_CLASS)
                .with(SR.UUID, UUID.randomUUID().toString())
                .with(SR.TYPE, "iso"));
        Files.delete(Path.of(v5.driverFilename()));
        SmRecordSync.Result r = sync.sync(List.of(file), Set.of("NFS", "five"));
        assertTrue(data.exists(SM.XAPI_CLASS, isoSm));
        assertTrue(data.exists(SM.XAPI_CLASS, nfsSm));
        assertTrue(data.exists(SM.XAPI_CLASS, fiveSm));
        assertFalse(data.exists(SM.XAPI_CLASS, lvmSm));
        assertEquals(List.of(lvmSm), r.destroyed());
        // a driver file gone with api < 5.0: destroyed even though configured
        Files.delete(Path.of(nfs.driverFilename()));
        sync.sync(List.of(file), Set.of("nfs"));
        assertFalse(data.exists(SM.XAPI_CLASS, nfsSm));
        only("file");
    }

    @Test
    void versionsCompareNumberByNumber() {
        assertTrue(SmRecordSync.versionAtLeast("5.0", "5.0"));
        assertTrue(SmRecordSync.versionAtLeast("10.1", "5.0"));
        assertTrue(SmRecordSync.versionAtLeast("5", "5.0"));
        assertFalse(SmRecordSync.versionAtLeast("1.0", "5.0"));
        assertFalse(SmRecordSync.versionAtLeast("4.99", "5.0"));
    }

    @Test
    void hostsSyncingAtOnceMakeOneRecordPerTypeAndNeverFailOnAnotherHostsDeletion() throws Exception {
        String other = host();
        DriverInfo file = driver("File", "1.0", features("SR_PROBE", 1));
        DriverInfo ext = driver("Ext", "1.0", features("VDI_DELETE", 1));
        for (int round = 0; round < 50; round++) {
            // the other host's driver file is gone: each sync finds the other's record unavailable and destroys it
            String missing = smDir.resolve("gone-" + round).toString();
            DriverInfo fileElsewhere =
                    new DriverInfo("file", missing, "n", "d", "v", "c", "1.0", "1.0", Map.of(), Map.of(), List.of());
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
            List<Thread> threads = new java.util.ArrayList<>();
            List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
            for (var job : List.<Runnable>of(
                    () -> new SmRecordSync(data, host).sync(List.of(file, ext), Set.of()),
                    () -> new SmRecordSync(data, other).sync(List.of(fileElsewhere, ext), Set.of()))) {
                threads.add(Thread.ofVirtual().start(() -> {
                    try {
                        start.await();
                        job.run();
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                }));
            }
            for (Thread t : threads) t.join();
            assertEquals(List.of(), failures);
            assertEquals(1, data.where(SM.TYPE, "file").size(), "round " + round);
            assertEquals(1, data.where(SM.TYPE, "ext").size(), "round " + round);
        }
    }
}
