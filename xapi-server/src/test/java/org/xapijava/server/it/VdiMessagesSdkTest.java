package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Host;
import com.xensource.xenapi.PBD;
import com.xensource.xenapi.Pool;
import com.xensource.xenapi.SR;
import com.xensource.xenapi.Types;
import com.xensource.xenapi.VDI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.server.TestHost;

/**
 * The VDI and SR messages of issue 12 item 2 through the Citrix SDK (and, for those the SDK 8.1 lacks, its
 * transport), against a real host with the bundled drivers: the local {@code file} SR (FileSR: no vdi_introduce,
 * no VDI_UPDATE, no VDI_RESET_ON_BOOT, no CBT, as sm's FileSR) and a {@code dummy} SR (DummySR: vdi_introduce).
 */
class VdiMessagesSdkTest {
    private static final long MIB = 1L << 20;

    @TempDir
    static Path dir;

    static TestHost host;
    static ConcurrencySupport.Recording c;
    static RawConnection raw;
    static SR local;
    static Host me;

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir);
        c = ConcurrencySupport.login(host);
        raw = new RawConnection(LifecycleSupport.url(host));
        local = Pool.getAll(c).iterator().next().getDefaultSR(c);
        me = Host.getAll(c).iterator().next();
    }

    @AfterAll
    static void stop() throws Exception {
        if (host != null) host.close();
    }

    /** The error description of a call that must fail, as it came over the wire. */
    static List<String> err(ConcurrencySupport.SdkCall call) throws Exception {
        List<String> e = ConcurrencySupport.errorOf(c, call);
        if (e == null) throw new AssertionError("the call succeeded");
        return e;
    }

    static List<String> rawErr(String method, Object... params) throws Exception {
        Object[] all = new Object[params.length + 1];
        all[0] = c.getSessionReference();
        System.arraycopy(params, 0, all, 1, params.length);
        return raw.failure(method, all);
    }

    static Object rawOk(String method, Object... params) throws Exception {
        Object[] all = new Object[params.length + 1];
        all[0] = c.getSessionReference();
        System.arraycopy(params, 0, all, 1, params.length);
        return raw.call(method, all);
    }

    static VDI newVdi(SR sr, long size, String name) throws Exception {
        return VDI.create(c, LifecycleSupport.vdiRecord(sr, name, size));
    }

    static SR dummySr(String name) throws Exception {
        return SR.create(c, me, Map.of(), 0L, name, "", "dummy", "user", false, Map.of());
    }

    static VDI introduce(SR sr, String uuid, String name, String location) throws Exception {
        return VDI.introduce(
                c,
                uuid,
                name,
                "introduced",
                sr,
                Types.VdiType.USER,
                false,
                false,
                Map.of("k", "v"),
                location,
                Map.of(),
                Map.of());
    }

    @Test
    void checksumIsTheMd5OfTheContentAndForceUnlockIsDeprecated() throws Exception {
        VDI v = newVdi(local, MIB, "summed");
        byte[] content = new byte[(int) MIB];
        byte[] text = "checksummed content".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, content, 4096, text.length);
        org.xapijava.server.storage.VdiData.write(host.server, v.toWireString(), 4096, "checksummed content");
        String expected = java.util.HexFormat.of()
                .formatHex(java.security.MessageDigest.getInstance("MD5").digest(content));
        assertEquals(expected, rawOk("VDI.checksum", v.toWireString()));
        assertEquals(List.of("MESSAGE_DEPRECATED"), rawErr("VDI.force_unlock", v.toWireString()));
        v.destroy(c);
    }

    @Test
    void introduceMakesTheDriversRecordWithXapisFields() throws Exception {
        SR sr = dummySr("intro");
        String uuid = UUID.randomUUID().toString();
        VDI v = introduce(sr, uuid, "disk", "loc-1");
        VDI.Record r = v.getRecord(c);
        assertEquals(uuid, r.uuid);
        assertEquals("loc-1", r.location);
        assertEquals(sr, r.SR);
        assertEquals("disk", r.nameLabel);
        assertEquals("introduced", r.nameDescription);
        assertEquals(Map.of("k", "v"), r.otherConfig);
        assertEquals(Types.VdiType.USER, r.type);
        assertTrue(r.managed);
        assertFalse(r.allowedOperations.isEmpty(), "allowed_operations computed");
        // another uuid at a known location: LOCATION_NOT_UNIQUE, nothing made
        int before = sr.getVDIs(c).size();
        assertEquals(
                List.of("LOCATION_NOT_UNIQUE", sr.toWireString(), "loc-1"),
                err(() -> introduce(sr, UUID.randomUUID().toString(), "x", "loc-1")));
        // a known uuid elsewhere: the driver's db_introduce fails, which Xapi reports as the location missing
        assertEquals(
                List.of("INTERNAL_ERROR", "Storage_interface.Storage_error(Vdi_does_not_exist(\"loc-2\"))"),
                err(() -> introduce(sr, uuid, "x", "loc-2")));
        assertEquals(before, sr.getVDIs(c).size());
        // FileSR does not advertise VDI_INTRODUCE (as sm's): the SR's vdi_introduce operation is refused
        assertEquals(
                List.of("SR_OPERATION_NOT_SUPPORTED", local.toWireString()),
                err(() -> introduce(
                        local,
                        UUID.randomUUID().toString(),
                        "x",
                        UUID.randomUUID().toString())));
        // forget: the record only; the file SR's disk stays and a scan brings it back
        v.forget(c);
        assertFalse(sr.getVDIs(c).contains(v));
        VDI disk = newVdi(local, MIB, "forgotten");
        String diskUuid = disk.getUuid(c);
        disk.forget(c);
        assertEquals(
                0,
                VDI.getAllRecords(c).values().stream()
                        .filter(x -> x.uuid.equals(diskUuid))
                        .count());
        local.scan(c);
        VDI back = VDI.getByUuid(c, diskUuid);
        assertEquals(MIB, back.getVirtualSize(c));
        back.destroy(c);
    }

    @Test
    void poolIntroduceIsDatabaseOnly() throws Exception {
        SR sr = dummySr("pool-intro");
        String uuid = UUID.randomUUID().toString();
        Object[] args = {
            uuid,
            "p",
            "d",
            sr.toWireString(),
            "user",
            false,
            true,
            Map.of(),
            "pool-loc",
            Map.of(),
            Map.of("a", "b"),
            true,
            "1024",
            "0",
            "OpaqueRef:NULL",
            false,
            new java.util.Date(0),
            "OpaqueRef:NULL",
            false
        };
        VDI v = Types.toVDI(rawOk("VDI.pool_introduce", args));
        VDI.Record r = v.getRecord(c);
        assertEquals(uuid, r.uuid);
        assertEquals("pool-loc", r.location);
        assertEquals(1024L, r.virtualSize);
        assertTrue(r.readOnly);
        assertEquals(Map.of("a", "b"), r.smConfig);
        args[0] = UUID.randomUUID().toString();
        assertEquals(List.of("LOCATION_NOT_UNIQUE", sr.toWireString(), "pool-loc"), rawErr("VDI.pool_introduce", args));
        args[0] = "not-a-uuid";
        args[8] = "other-loc";
        assertEquals(List.of("UUID_INVALID", "VDI", "not-a-uuid"), rawErr("VDI.pool_introduce", args));
    }

    @Test
    void capabilitiesTheFileSrLacksAnswerXapisError() throws Exception {
        VDI v = newVdi(local, MIB, "caps");
        String sr = local.toWireString();
        List<String> notSupported = List.of("SR_OPERATION_NOT_SUPPORTED", sr);
        assertEquals(notSupported, err(() -> v.update(c)));
        assertEquals(notSupported, err(() -> v.setOnBoot(c, Types.OnBoot.RESET)));
        assertEquals(notSupported, err(() -> v.enableCbt(c)));
        assertEquals(notSupported, err(() -> v.disableCbt(c)));
        assertEquals(notSupported, err(() -> v.dataDestroy(c)));
        assertEquals(notSupported, err(() -> v.listChangedBlocks(c, v)));
        assertEquals("persist", v.getRecord(c).onBoot.toString().toLowerCase(java.util.Locale.ROOT));
        assertFalse(v.getCbtEnabled(c));
        // on the dummy SR (no VDI_GENERATE_CONFIG) generate_config is refused the same way
        SR dummy = dummySr("caps-dummy");
        VDI d = introduce(dummy, UUID.randomUUID().toString(), "d", "caps-loc");
        assertEquals(
                List.of("SR_OPERATION_NOT_SUPPORTED", dummy.toWireString()),
                rawErr("VDI.generate_config", me.toWireString(), d.toWireString()));
        v.destroy(c);
    }

    @Test
    void generateConfigAllowCachingNbdAndMetadataCalls() throws Exception {
        VDI v = newVdi(local, MIB, "config");
        String config = (String) rawOk("VDI.generate_config", me.toWireString(), v.toWireString());
        assertTrue(config.contains("vdi_attach_from_config"), config);
        assertTrue(config.contains(v.getUuid(c)), config);
        v.setAllowCaching(c, true);
        assertTrue(v.getAllowCaching(c));
        v.setAllowCaching(c, false);
        assertFalse(v.getAllowCaching(c));
        assertEquals(0, v.getNbdInfo(c).size(), "no NBD network");
        assertEquals(List.of("VDI_INCOMPATIBLE_TYPE", v.toWireString(), "User"), err(() -> v.openDatabase(c)));
        assertEquals("", v.readDatabasePoolUuid(c));
        v.destroy(c);
    }

    @Test
    void revertGivesTheVdiItsSnapshotsContent() throws Exception {
        VDI v = newVdi(local, MIB, "revert");
        VDI snap = v.snapshot(c, Map.of());
        v.resize(c, 4 * MIB);
        assertEquals(4 * MIB, v.getVirtualSize(c));
        rawOk("VDI.revert", snap.toWireString());
        assertEquals(MIB, v.getVirtualSize(c));
        assertEquals(List.of("REVERT_ONLY_ALLOWED_ON_SNAPSHOT"), rawErr("VDI.revert", v.toWireString()));
        snap.destroy(c);
        v.destroy(c);
    }

    @Test
    void probeExtAndLiveHosts() throws Exception {
        // an SMAPIv1 driver answers raw XML, which Xapi does not turn into probe results
        assertEquals(List.of("SR_OPERATION_NOT_SUPPORTED"), err(() -> SR.probeExt(c, me, Map.of(), "dummy", Map.of())));
        assertEquals(
                List.of(me.toWireString()),
                rawOk("SR.get_live_hosts", local.toWireString()) instanceof Object[] a
                        ? java.util.Arrays.stream(a).map(String.class::cast).toList()
                        : List.of());
        SR sr = dummySr("unplugged");
        for (PBD p : sr.getPBDs(c)) p.unplug(c);
        assertEquals(0, ((Object[]) rawOk("SR.get_live_hosts", sr.toWireString())).length);
    }
}
