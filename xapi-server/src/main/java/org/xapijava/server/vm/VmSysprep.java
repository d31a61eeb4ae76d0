package org.xapijava.server.vm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.enums.VbdType;
import org.xapijava.model.client.XenApi;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.Pause;
import org.xapijava.server.api.gen.VMApi;
import org.xapijava.server.config.XapiConfig;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.xenops.XenopsErrors;
import org.xapijava.xenopsd.Xenops;

/**
 * {@code VM.sysprep} as Xapi's {@code vm_sysprep.ml}, on the host the VM runs on: the checks in Xapi's order
 * ({@code INVALID_VALUE} for a negative timeout, then {@code SYSPREP [uuid; reason]}: the call disabled
 * ({@code vm-sysprep-enabled}), no domain, an {@code unattend.xml} over 32 KiB, a guest agent without
 * {@code feature-sysprep}); then an ISO holding {@code unattend.xml} made with {@code genisoimage -r -J} in the
 * directory of this host's local ISO SR ({@code SYSPREP-<hostname>-<4 hex digits of its MD5>}, created on first use,
 * then scanned), inserted into the VM's empty CD drive; after {@code vm-sysprep-wait} seconds the guest's
 * {@code control/sysprep/filename}, {@code vdi-uuid} and {@code action=sysprep} are written; the guest must set
 * {@code action} to {@code running} within 5 s and remove it within {@code timeout}, then its domain must go within
 * {@code timeout}; the CD is ejected and the ISO removed in any case once the guest has been told.
 *
 * <p>Xapi writes and watches the guest's xenstore itself; here the simulated dom0 does it for us (the simulator's
 * {@code SIM.xenstore_write} / {@code SIM.xenstore_read}), polled every {@link #POLL_MS} ms. Thread-safe.
 */
public final class VmSysprep implements Messages {
    private static final Logger LOG = LoggerFactory.getLogger(VmSysprep.class);
    /** The largest {@code unattend.xml} {@code sysprep} accepts. */
    static final int MAX_UNATTEND_BYTES = 32 * 1024;
    /** How long the guest has to start sysprep once told, in seconds (Xapi's). */
    static final double START_TIMEOUT = 5.0;

    static final long POLL_MS = 100;
    static final String CONTROL = "control/sysprep/";
    /** The {@code device_config} key of the ISO SR's directory (a device_config key, not a field). */
    static final String DEVICE_CONFIG_LOCATION = "location";
    /** Xapi's local ISO SR is 512 MiB. */
    static final long SR_SIZE = 512L << 20;

    /**
     * The settings: {@code vm-sysprep-enabled}, {@code vm-sysprep-wait} (seconds), {@code genisoimage} and
     * {@code sysprep-iso-dir}.
     */
    public record Settings(boolean enabled, double waitSeconds, Path genisoimage, Path isoDir) {
        public static Settings of(XapiConfig config) {
            return new Settings(
                    Boolean.parseBoolean(config.get("vm-sysprep-enabled")),
                    Double.parseDouble(config.get("vm-sysprep-wait")),
                    config.path("genisoimage"),
                    config.path("sysprep-iso-dir"));
        }
    }

    private final Db data;
    private final String hostRef;
    private final Xenops xenops;
    private final Settings settings;

    public VmSysprep(Db data, String hostRef, Xenops xenops, Settings settings) {
        this.data = data;
        this.hostRef = hostRef;
        this.xenops = xenops;
        this.settings = settings;
    }

    @Override
    public void bind(MessageTable table) {
        VMApi.bind(table, new VMApi() {
            @Override
            public void sysprep(CallContext ctx, String self, String unattend, double timeout) {
                VmSysprep.this.sysprep(ctx, self, unattend, timeout);
            }
        });
    }

    void sysprep(CallContext ctx, String vm, String unattend, double timeout) {
        String uuid = data.get(vm, VM.UUID);
        if (timeout < 0.0) throw new ApiError(ErrorCodes.INVALID_VALUE, "timeout", XenopsErrors.ocamlFloat(timeout));
        if (!settings.enabled()) throw fail(uuid, "API call is disabled");
        if (data.get(vm, VM.DOMID) <= 0) throw fail(uuid, "VM is not running");
        if (unattend.getBytes(StandardCharsets.UTF_8).length > MAX_UNATTEND_BYTES)
            throw fail(uuid, "unattend.xml file too large");
        if (!"1".equals(VmGuestCalls.guestFeature(data, vm, "feature-sysprep")))
            throw fail(uuid, "VM driver does not support sysprep");
        String label = "sysprep-" + uuid + "-" + Instant.now().truncatedTo(ChronoUnit.SECONDS) + ".iso";
        Path iso = makeIso(label, unattend);
        XenApi api = ctx.api();
        updateSr(api);
        String vbd = emptyCd(vm, uuid);
        String vdi = isoVdi(label);
        try {
            api.vbd().insert(vbd, vdi);
        } catch (RuntimeException e) {
            LOG.info("sysprep: inserting the CD into VM {} failed: {}", uuid, e.toString());
            delete(iso);
            throw fail(uuid, "VM failed to insert CD");
        }
        Pause.of((long) (settings.waitSeconds() * 1000));
        if (!trigger(api, uuid, vbd, iso, data.get(vdi, VDI.UUID), timeout))
            throw fail(uuid, "No response from sysprep within allocated time");
    }

    /** Tells the guest, waits for it as Xapi does; false on a time-out. The CD is ejected in any case. */
    private boolean trigger(XenApi api, String uuid, String vbd, Path iso, String vdiUuid, double timeout) {
        String dbg = "sysprep:" + uuid;
        xenops.xenstoreWrite(dbg, uuid, CONTROL + "filename", "D://unattend.xml");
        xenops.xenstoreWrite(dbg, uuid, CONTROL + "vdi-uuid", vdiUuid);
        xenops.xenstoreWrite(dbg, uuid, CONTROL + "action", "sysprep");
        boolean started;
        boolean finished = false;
        try {
            started = waitFor(dbg, uuid, CONTROL + "action", "running"::equals, START_TIMEOUT);
            if (started) finished = waitFor(dbg, uuid, CONTROL + "action", v -> v == null, timeout);
        } finally {
            eject(api, uuid, vbd, iso);
        }
        return started && finished && waitFor(dbg, uuid, "", v -> v == null, timeout);
    }

    /** Polls the guest's {@code path} until {@code until} holds of its value (null: missing); false on time-out. */
    private boolean waitFor(String dbg, String uuid, String path, Predicate<String> until, double seconds) {
        long deadline = System.nanoTime() + (long) Math.min(seconds * 1e9, Long.MAX_VALUE / 4); // no overflow
        while (true) {
            if (until.test(xenops.xenstoreRead(dbg, uuid, path))) return true;
            if (System.nanoTime() - deadline > 0) return false;
            Pause.of(POLL_MS);
        }
    }

    private void eject(XenApi api, String uuid, String vbd, Path iso) {
        try {
            api.vbd().eject(vbd);
            delete(iso);
        } catch (RuntimeException e) {
            delete(iso); // still removed, so that the answer file does not stay behind
            LOG.warn("sysprep: ejecting the CD of VM {} failed: {}", uuid, e.toString());
            throw fail(uuid, "VM failed to eject CD");
        }
    }

    /** {@code make_iso}: the ISO of a directory holding only {@code unattend.xml}; its path. */
    private Path makeIso(String label, String unattend) {
        Path tmp = null;
        try {
            Files.createDirectories(settings.isoDir());
            Path iso = settings.isoDir().resolve(label);
            tmp = Files.createTempDirectory("sysprep-");
            Path xml = tmp.resolve("unattend.xml");
            Files.writeString(xml, unattend, StandardCharsets.UTF_8);
            Scripts.call(settings.genisoimage(), List.of("-r", "-J", "-o", iso.toString(), tmp.toString()));
            return iso;
        } catch (IOException | ApiError e) {
            throw ApiError.internal("make_iso failed: " + (e instanceof ApiError a ? a.params() : e.toString()));
        } finally {
            if (tmp != null) deleteTree(tmp);
        }
    }

    /** {@code update_sr}: this host's sysprep ISO SR, created when missing, then scanned. */
    private void updateSr(XenApi api) {
        String label = srName(data.get(hostRef, Host.HOSTNAME));
        String sr = null;
        for (String s : data.byNameLabel(SR.XAPI_CLASS, label)) if ("iso".equals(data.get(s, SR.TYPE))) sr = s;
        if (sr == null) {
            sr = api.sr()
                    .create(
                            hostRef,
                            Map.of(DEVICE_CONFIG_LOCATION, settings.isoDir().toString(), "legacy_mode", "true"),
                            SR_SIZE,
                            label,
                            "Sysprep ISOs",
                            "iso",
                            "iso",
                            false,
                            Map.of());
        }
        api.sr().scan(sr);
    }

    /** Xapi's name of the ISO SR: {@code SYSPREP-<hostname>-} and the first 4 hex digits of the name's MD5. */
    static String srName(String hostname) {
        try {
            byte[] md5 = MessageDigest.getInstance("MD5").digest(hostname.getBytes(StandardCharsets.UTF_8));
            return "SYSPREP-" + hostname + "-" + HexFormat.of().formatHex(md5).substring(0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code find_cdr_vbd}: the VM's first empty CD drive. */
    private String emptyCd(String vm, String uuid) {
        for (String b : data.get(vm, VM.VBDS))
            if (VbdType.CD.wire().equals(data.get(b, VBD.TYPE)) && data.get(b, VBD.EMPTY)) return b;
        throw fail(uuid, "CD-ROM drive not found");
    }

    /** {@code find_vdi}: the ISO's VDI, by its name. */
    private String isoVdi(String label) {
        List<String> vdis = data.byNameLabel(VDI.XAPI_CLASS, label);
        if (vdis.isEmpty()) throw ApiError.internal("find_vdi: can't find VDI for " + label);
        return vdis.get(0);
    }

    private static ApiError fail(String uuid, String why) {
        return new ApiError(ErrorCodes.SYSPREP, uuid, why);
    }

    private static void delete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.warn("sysprep: {} not removed: {}", p, e.toString());
        }
    }

    private static void deleteTree(Path dir) {
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(VmSysprep::delete);
        } catch (IOException e) {
            LOG.warn("sysprep: {} not removed: {}", dir, e.toString());
        }
    }
}
