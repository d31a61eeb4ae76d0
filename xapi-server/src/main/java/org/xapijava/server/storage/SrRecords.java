package org.xapijava.server.storage;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.db.Update;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.SM;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VDI;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.Refs;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.PBDApi;
import org.xapijava.server.api.gen.SRApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.ops.AllowedOperations;

/**
 * The SR and PBD messages that only touch the database, as Xapi's {@code xapi_sr.ml} and {@code xapi_pbd.ml} with
 * the checks {@code message_forwarding.ml} adds: {@code SR.introduce}, {@code SR.make} (deprecated),
 * {@code SR.forget}, {@code SR.set_shared}, {@code SR.set_name_label}, {@code SR.set_name_description}, {@code SR.get_supported_types}, {@code PBD.create} and
 * {@code PBD.destroy}. The lock plan marks the SR ({@code forget}, {@code pbd_create}, {@code pbd_destroy}) before
 * these run. Thread-safe.
 */
public final class SrRecords implements SRApi, Messages {
    /** {@code device_config} key xapi adds for the driver; never stored in a PBD. */
    public static final String SR_MASTER_KEY = "SRmaster";

    private final Db data;
    private final AllowedOperations allowed;

    public SrRecords(Db data, AllowedOperations allowed) {
        this.data = data;
        this.allowed = allowed;
    }

    @Override
    public void bind(MessageTable table) {
        SRApi.bind(table, this);
        PBDApi.bind(table, new PBDApi() {
            @Override
            public String create(CallContext ctx, Map<String, Object> args) {
                return createPbd(args);
            }

            @Override
            public void destroy(CallContext ctx, String self) {
                destroyPbd(self);
            }
        });
    }

    // ------------------------------------------------------------------ SR

    /**
     * {@code SR.introduce}: an SR record with no PBDs (sizes unknown: -1), the type in lower case, a fresh uuid
     * when {@code uuid} is empty.
     *
     * @throws ApiError {@code SR_UUID_EXISTS [uuid]}
     */
    @Override
    public String introduce(
            CallContext ctx,
            String uuid,
            String nameLabel,
            String nameDescription,
            String type,
            String contentType,
            boolean shared,
            Map<String, String> smConfig) {
        String id = uuid.isEmpty() ? UUID.randomUUID().toString() : uuid;
        if (data.findByUuid(SR.XAPI_CLASS, id).isPresent()) throw new ApiError(ErrorCodes.SR_UUID_EXISTS, id);
        String ref = Refs.fresh();
        data.create(
                ref,
                FieldValues.of(SR.XAPI_CLASS)
                        .with(SR.UUID, id)
                        .with(SR.NAME_LABEL, nameLabel)
                        .with(SR.NAME_DESCRIPTION, nameDescription)
                        .with(SR.ALLOWED_OPERATIONS, List.of())
                        .with(SR.CURRENT_OPERATIONS, Map.of())
                        .with(SR.VIRTUAL_ALLOCATION, 0L)
                        .with(SR.PHYSICAL_UTILISATION, -1L)
                        .with(SR.PHYSICAL_SIZE, -1L)
                        .with(SR.CONTENT_TYPE, contentType)
                        .with(SR.TYPE, type.toLowerCase(java.util.Locale.ROOT))
                        .with(SR.SHARED, shared)
                        .with(SR.OTHER_CONFIG, Map.of())
                        .with(SR.DEFAULT_VDI_VISIBILITY, true)
                        .with(SR.SM_CONFIG, smConfig)
                        .with(SR.BLOBS, Map.of())
                        .with(SR.TAGS, List.of())
                        .with(SR.LOCAL_CACHE_ENABLED, false)
                        .with(SR.INTRODUCED_BY, Refs.NULL)
                        .with(SR.CLUSTERED, false)
                        .with(SR.IS_TOOLS_SR, false));
        allowed.update(SR.XAPI_CLASS, ref);
        return ref;
    }

    /** {@code SR.make}: deprecated since Xapi 1.x ({@code MESSAGE_DEPRECATED}). */
    @Override
    public String make(
            CallContext ctx,
            String host,
            Map<String, String> deviceConfig,
            long physicalSize,
            String nameLabel,
            String nameDescription,
            String type,
            String contentType,
            Map<String, String> smConfig) {
        throw new ApiError(ErrorCodes.MESSAGE_DEPRECATED);
    }

    /**
     * {@code SR.forget}: refused while a PBD is plugged ({@code SR_HAS_PBD [sr]}); then the SR's PBDs (and their
     * secrets), its VDI records and the SR record go, in one step. The disks themselves are left alone.
     */
    @Override
    public void forget(CallContext ctx, String sr) {
        assertAllPbdsUnplugged(sr);
        reallyForget(sr);
    }

    /** {@code Xapi_sr.assert_all_pbds_unplugged}. */
    void assertAllPbdsUnplugged(String sr) {
        for (String pbd : data.get(sr, SR.PBDS)) {
            if (data.get(pbd, PBD.CURRENTLY_ATTACHED)) throw new ApiError(ErrorCodes.SR_HAS_PBD, sr);
        }
    }

    /** {@code Xapi_sr.really_forget}: PBDs (with their secrets), VDI records, then the SR. */
    void reallyForget(String sr) {
        List<String> pbds = data.get(sr, SR.PBDS);
        Update.Builder u = Update.builder().exists(SR.XAPI_CLASS, sr);
        for (String pbd : pbds) {
            u.expect(
                    pbd,
                    PBD.CURRENTLY_ATTACHED,
                    false,
                    new ApiError(ErrorCodes.OPERATION_NOT_ALLOWED, "PBD is currently attached"));
            u.delete(PBD.XAPI_CLASS, pbd);
        }
        for (String vdi : data.get(sr, SR.VDIS)) u.delete(VDI.XAPI_CLASS, vdi);
        u.delete(SR.XAPI_CLASS, sr);
        List<Map<String, String>> configs =
                pbds.stream().map(p -> data.get(p, PBD.DEVICE_CONFIG)).toList();
        data.apply(u.build());
        for (Map<String, String> c : configs) Secrets.cleanOut(data, c);
    }

    /**
     * {@code SR.set_shared}: setting it is always allowed; clearing it is refused when the SR has several PBDs
     * ({@code SR_HAS_MULTIPLE_PBDS [pbd...]}).
     */
    @Override
    public void setShared(CallContext ctx, String sr, boolean value) {
        if (!value) {
            List<String> pbds = data.where(PBD.SR, sr);
            if (pbds.size() > 1) throw new ApiError(ErrorCodes.SR_HAS_MULTIPLE_PBDS, pbds.toArray(String[]::new));
        }
        data.set(sr, SR.SHARED, value);
    }

    /**
     * {@code SR.set_name_label}: run on a host with the SR plugged (the placement stage answers {@code SR_HAS_NO_PBDS}
     * otherwise); for SMAPIv1 drivers the storage layer only writes the database.
     */
    @Override
    public void setNameLabel(CallContext ctx, String sr, String value) {
        data.set(sr, SR.NAME_LABEL, value);
    }

    /** {@code SR.set_name_description}: as {@link #setNameLabel}. */
    @Override
    public void setNameDescription(CallContext ctx, String sr, String value) {
        data.set(sr, SR.NAME_DESCRIPTION, value);
    }

    /** {@code SR.get_supported_types}: the types of the storage drivers this host has registered. */
    @Override
    public List<String> getSupportedTypes(CallContext ctx) {
        return data.all(SM.XAPI_CLASS).stream().map(s -> data.get(s, SM.TYPE)).toList();
    }

    // ------------------------------------------------------------------ PBD

    /**
     * {@code PBD.create}: one PBD per (host, SR) ({@code PBD_EXISTS [sr, host, pbd]}); {@code SRmaster} is internal
     * ({@code VALUE_NOT_SUPPORTED}); the configuration's secrets are copied for the new PBD; not attached.
     */
    String createPbd(Map<String, Object> args) {
        String host = Db.value(args, PBD.HOST);
        String sr = Db.value(args, PBD.SR);
        Map<String, String> config = Db.value(args, PBD.DEVICE_CONFIG);
        if (!data.exists(SR.XAPI_CLASS, sr)) throw ApiError.handleInvalid(SR.XAPI_CLASS, sr);
        if (!data.exists(Host.XAPI_CLASS, host)) throw ApiError.handleInvalid(Host.XAPI_CLASS, host);
        for (String pbd : data.get(sr, SR.PBDS)) {
            if (host.equals(data.get(pbd, PBD.HOST))) throw new ApiError(ErrorCodes.PBD_EXISTS, sr, host, pbd);
        }
        assertNoSrMasterKey(config);
        Map<String, String> stored = Secrets.duplicate(data, config);
        String ref = Refs.fresh();
        data.create(
                ref,
                FieldValues.of(PBD.XAPI_CLASS)
                        .with(PBD.UUID, UUID.randomUUID().toString())
                        .with(PBD.HOST, host)
                        .with(PBD.SR, sr)
                        .with(PBD.DEVICE_CONFIG, stored)
                        .with(PBD.CURRENTLY_ATTACHED, false)
                        .with(PBD.OTHER_CONFIG, Map.of()));
        return ref;
    }

    /** {@code assert_no_srmaster_key}: {@code VALUE_NOT_SUPPORTED [SRmaster, value, reason]}. */
    static void assertNoSrMasterKey(Map<String, String> config) {
        String v = config.get(SR_MASTER_KEY);
        if (v != null) {
            throw new ApiError(ErrorCodes.VALUE_NOT_SUPPORTED, SR_MASTER_KEY, v, "This key is for internal use only");
        }
    }

    /** {@code PBD.destroy}: refused while attached ({@code OPERATION_NOT_ALLOWED}); its secrets go with it. */
    void destroyPbd(String self) {
        if (data.get(self, PBD.CURRENTLY_ATTACHED)) {
            throw new ApiError(ErrorCodes.OPERATION_NOT_ALLOWED, "PBD is currently attached");
        }
        Map<String, String> config = data.get(self, PBD.DEVICE_CONFIG);
        data.delete(PBD.XAPI_CLASS, self);
        Secrets.cleanOut(data, config);
    }
}
