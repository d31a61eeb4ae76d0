package org.xapijava.server.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.db.Update;
import org.xapijava.model.LicenceFeature;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Network;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.PIF;
import org.xapijava.model.api.VBD;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.enums.NetworkPurpose;
import org.xapijava.model.api.enums.OnBoot;
import org.xapijava.model.api.enums.VdiType;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.VDIApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.ops.AllowedOperations;
import org.xapijava.server.ops.OpNames;
import org.xapijava.server.vm.PoolFeatures;
import org.xapijava.storage.Smapiv2;
import org.xapijava.storage.Smapiv2.CbtCall;
import org.xapijava.storage.StorageException;
import org.xapijava.storage.VdiInfo;

/**
 * The VDI messages of {@code xapi_vdi.ml} beside the ones {@link VdiService} makes: introduce, pool_introduce,
 * forget, update, generate_config, revert, set_on_boot, set_allow_caching, force_unlock, checksum, the CBT calls
 * (enable_cbt, disable_cbt,
 * data_destroy, list_changed_blocks), get_nbd_info, open_database and read_database_pool_uuid. The forwarding stage
 * has run Xapi's operation checks first (the SR's capability for the operation: {@code SR_OPERATION_NOT_SUPPORTED
 * [sr]}, {@code VDI_IN_USE}, ...); each then checks what Xapi's implementation checks and calls storage
 * ({@link Smapiv2}) outside any database transaction. Thread-safe.
 */
public final class VdiOperations implements VDIApi, Messages {
    private final Db data;
    private final AllowedOperations allowed;
    private final StorageBackends backends;
    private final String poolRef;

    public VdiOperations(Db data, AllowedOperations allowed, StorageBackends backends, String poolRef) {
        this.data = data;
        this.allowed = allowed;
        this.backends = backends;
        this.poolRef = poolRef;
    }

    @Override
    public void bind(MessageTable table) {
        VDIApi.bind(table, this);
    }

    private Smapiv2 storage() {
        return backends.storage();
    }

    /** {@code Xapi_vdi_helpers.assert_managed}. */
    private void assertManaged(String vdi) {
        if (!data.get(vdi, VDI.MANAGED)) throw new ApiError(ErrorCodes.VDI_NOT_MANAGED, vdi);
    }

    /** {@code VDI.force_unlock}: deprecated in Xapi, which answers {@code MESSAGE_DEPRECATED []}. */
    @Override
    public void forceUnlock(CallContext ctx, String vdi) {
        throw new ApiError(ErrorCodes.MESSAGE_DEPRECATED);
    }

    /**
     * {@code VDI.checksum}: the MD5 (hex) of the VDI's whole content, read through a read-only attach of it on this
     * host as Xapi's {@code with_block_attached_device} does.
     */
    @Override
    public String checksum(CallContext ctx, String self) {
        java.nio.file.Path p = backends.attach(self, false);
        try {
            if (p == null) throw ApiError.internal("VDI.checksum: the attach of " + self + " gave no local path");
            java.security.MessageDigest md5 = java.security.MessageDigest.getInstance("MD5");
            try (java.io.InputStream in = java.nio.file.Files.newInputStream(p)) {
                byte[] buf = new byte[1 << 20];
                for (int n; (n = in.read(buf)) > 0; ) md5.update(buf, 0, n);
            }
            return java.util.HexFormat.of().formatHex(md5.digest());
        } catch (java.io.IOException e) {
            throw ApiError.internal("VDI.checksum: " + e.getMessage());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } finally {
            backends.detach(self);
        }
    }

    // ------------------------------------------------------------------ introduce, forget, update

    /**
     * {@code VDI.introduce}: the SR's plugged PBD, no other VDI of the SR at {@code location} ({@code
     * LOCATION_NOT_UNIQUE [sr, location]}; the same uuid there is allowed), then the driver's {@code vdi_introduce}
     * makes the record, and xapi sets other_config, xenstore_data, sharable, type and (when not empty) the names. A
     * driver failure is Xapi's {@code Vdi_does_not_exist(location)}.
     */
    @Override
    public String introduce(
            CallContext ctx,
            String uuid,
            String nameLabel,
            String nameDescription,
            String sr,
            VdiType type,
            boolean sharable,
            boolean readOnly,
            Map<String, String> otherConfig,
            String location,
            Map<String, String> xenstoreData,
            Map<String, String> smConfig,
            boolean managed,
            long virtualSize,
            long physicalUtilisation,
            String metadataOfPool,
            boolean isASnapshot,
            DateTime snapshotTime,
            String snapshotOf) {
        String srId = backends.attached(data, sr);
        for (String vdi : data.where(VDI.SR, sr)) {
            if (location.equals(data.get(vdi, VDI.LOCATION)) && !uuid.equals(data.get(vdi, VDI.UUID))) {
                throw new ApiError(ErrorCodes.LOCATION_NOT_UNIQUE, sr, location);
            }
        }
        VdiInfo made;
        try {
            made = storage().vdiIntroduce(StorageBackends.context(ctx), srId, uuid, smConfig, location);
        } catch (StorageException e) {
            throw StorageBackends.toApiError(e, sr, Refs.NULL);
        }
        String ref = StorageBackends.vdiAt(data, sr, made.location());
        if (ref == null) throw ApiError.internal("newvdi failed to create a VDI for " + made.location());
        Update.Builder u = Update.builder()
                .exists(VDI.XAPI_CLASS, ref)
                .set(ref, VDI.OTHER_CONFIG, otherConfig)
                .set(ref, VDI.XENSTORE_DATA, xenstoreData)
                .set(ref, VDI.SHARABLE, sharable)
                .set(ref, VDI.TYPE, type.wire());
        // the driver may have named the VDI already (Xapi's udev case): only given names replace its
        if (!nameLabel.isEmpty()) u.set(ref, VDI.NAME_LABEL, nameLabel);
        if (!nameDescription.isEmpty()) u.set(ref, VDI.NAME_DESCRIPTION, nameDescription);
        data.apply(u.build());
        allowed.update(VDI.XAPI_CLASS, ref);
        return ref;
    }

    /** {@code VDI.pool_introduce}: the record only, as the drivers' {@code VDI.db_introduce} makes it. */
    @Override
    public String poolIntroduce(
            CallContext ctx,
            String uuid,
            String nameLabel,
            String nameDescription,
            String sr,
            VdiType type,
            boolean sharable,
            boolean readOnly,
            Map<String, String> otherConfig,
            String location,
            Map<String, String> xenstoreData,
            Map<String, String> smConfig,
            boolean managed,
            long virtualSize,
            long physicalUtilisation,
            String metadataOfPool,
            boolean isASnapshot,
            DateTime snapshotTime,
            String snapshotOf,
            boolean cbtEnabled) {
        String ref = VdiRecords.introduce(
                data,
                new VdiRecords.Introduced(
                        uuid,
                        nameLabel,
                        nameDescription,
                        sr,
                        type,
                        sharable,
                        readOnly,
                        otherConfig,
                        location,
                        xenstoreData,
                        smConfig,
                        managed,
                        virtualSize,
                        physicalUtilisation,
                        metadataOfPool,
                        isASnapshot,
                        snapshotTime,
                        snapshotOf,
                        cbtEnabled));
        allowed.update(VDI.XAPI_CLASS, ref);
        return ref;
    }

    /** {@code VDI.forget}: the record goes (the storage stays), with what Xapi's database GC does after. */
    @Override
    public void forget(CallContext ctx, String vdi) {
        VdiRecords.forget(data, vdi);
    }

    /** {@code VDI.update}: the SR's plugged PBD, then {@code VDI.stat} (the driver's {@code vdi_update}). */
    @Override
    public void update(CallContext ctx, String vdi) {
        String sr = data.get(vdi, VDI.SR);
        String srId = backends.attached(data, sr);
        try {
            storage().vdiStat(StorageBackends.context(ctx), srId, data.get(vdi, VDI.LOCATION));
        } catch (StorageException e) {
            throw StorageBackends.toApiError(e, sr, vdi);
        }
    }

    // ------------------------------------------------------------------ generate_config, revert

    /** {@code VDI.generate_config}: the SR's plugged PBD, a managed VDI, then the driver's {@code vdi_generate_config}. */
    @Override
    public String generateConfig(CallContext ctx, String host, String vdi) {
        String sr = data.get(vdi, VDI.SR);
        String srId = backends.attached(data, sr);
        assertManaged(vdi);
        try {
            return storage().vdiGenerateConfig(StorageBackends.context(ctx), srId, data.get(vdi, VDI.LOCATION));
        } catch (StorageException e) {
            throw StorageBackends.toApiError(e, sr, vdi);
        }
    }

    /**
     * {@code VDI.revert}: the snapshot's SR plugged here, a managed snapshot, then {@code VDI.revert} of the VDI it is
     * a snapshot of; a driver that turns out not to do it is {@code UNIMPLEMENTED_IN_SM_BACKEND [sr]}.
     */
    @Override
    public void revert(CallContext ctx, String snapshot) {
        String sr = data.get(snapshot, VDI.SR);
        String of = data.get(snapshot, VDI.SNAPSHOT_OF);
        // the datamodel has no revert_to/revert_from operations to mark: Xapi's checks of them, without marking
        allowed.assertValid(VDI.XAPI_CLASS, snapshot, "revert_to");
        if (!data.exists(VDI.XAPI_CLASS, of)) throw ApiError.handleInvalid(VDI.XAPI_CLASS, of);
        allowed.assertValid(VDI.XAPI_CLASS, of, "revert_from");
        String srId = backends.attached(data, sr);
        assertManaged(snapshot);
        try {
            storage()
                    .vdiRevert(
                            StorageBackends.context(ctx),
                            srId,
                            data.get(snapshot, VDI.LOCATION),
                            data.get(of, VDI.LOCATION));
        } catch (StorageException e) {
            if (e.xapiError() == null && e.error() == org.xapijava.storage.SmError.UNIMPLEMENTED) {
                throw new ApiError(ErrorCodes.UNIMPLEMENTED_IN_SM_BACKEND, sr);
            }
            throw StorageBackends.toApiError(e, sr, of);
        }
    }

    // ------------------------------------------------------------------ on_boot, allow_caching

    /**
     * {@code VDI.set_on_boot}: the SR's plugged PBD, {@code VDI.set_persistent} (reset: the driver drops the VDI's
     * changes), then the field. The forwarding stage has checked the SR's VDI_RESET_ON_BOOT and that no running VM
     * uses the VDI.
     */
    @Override
    public void setOnBoot(CallContext ctx, String self, OnBoot value) {
        String sr = data.get(self, VDI.SR);
        String srId = backends.attached(data, sr);
        try {
            storage()
                    .vdiSetPersistent(
                            StorageBackends.context(ctx), srId, data.get(self, VDI.LOCATION), value == OnBoot.PERSIST);
        } catch (StorageException e) {
            throw StorageBackends.toApiError(e, sr, self);
        }
        data.set(self, VDI.ON_BOOT, value.wire());
    }

    /** {@code VDI.set_allow_caching}: the field (the forwarding stage has checked no running VM uses the VDI). */
    @Override
    public void setAllowCaching(CallContext ctx, String self, boolean value) {
        data.set(self, VDI.ALLOW_CACHING, value);
    }

    // ------------------------------------------------------------------ CBT

    /** {@code VDI.enable_cbt}: the pool's CBT licence ({@code LICENCE_RESTRICTION [CBT]}), then the driver's. */
    @Override
    public void enableCbt(CallContext ctx, String self) {
        PoolFeatures.assertEnabled(data, poolRef, LicenceFeature.CBT);
        changeCbt(ctx, self, true);
    }

    @Override
    public void disableCbt(CallContext ctx, String self) {
        changeCbt(ctx, self, false);
    }

    /** {@code change_cbt_status}: nothing when the VDI is already so; else the driver, then {@code cbt_enabled}. */
    private void changeCbt(CallContext ctx, String self, boolean enable) {
        if (data.get(self, VDI.CBT_ENABLED) == enable) return;
        String sr = data.get(self, VDI.SR);
        String srId = backends.attached(data, sr);
        try {
            storage()
                    .vdiCbt(
                            StorageBackends.context(ctx),
                            srId,
                            data.get(self, VDI.LOCATION),
                            enable ? CbtCall.ENABLE : CbtCall.DISABLE);
        } catch (StorageException e) {
            throw StorageBackends.toApiError(e, sr, self);
        }
        data.set(self, VDI.CBT_ENABLED, enable);
    }

    /**
     * {@code VDI.data_destroy}: the VDI is marked {@code cbt_metadata} at once (no new VBD may use it; the old type is
     * put back on failure); an attached VBD is {@code VDI_IN_USE [vdi, data_destroy]} at once (Xapi first waits up
     * to 4 s for the VBDs to go: see docs/decisions.md), then the driver's {@code vdi_data_destroy}, the VBDs and any suspend_VDI link go. Nothing to do for a
     * {@code cbt_metadata} VDI.
     */
    @Override
    public void dataDestroy(CallContext ctx, String self) {
        String type = data.get(self, VDI.TYPE);
        if (type.equals(VdiType.CBT_METADATA.wire())) return;
        data.set(self, VDI.TYPE, VdiType.CBT_METADATA.wire());
        try {
            String sr = data.get(self, VDI.SR);
            String srId = backends.attached(data, sr);
            assertManaged(self);
            List<String> vbds = data.get(self, VDI.VBDS);
            for (String vbd : vbds) {
                if (data.get(vbd, VBD.CURRENTLY_ATTACHED) || data.get(vbd, VBD.RESERVED))
                    throw new ApiError(ErrorCodes.VDI_IN_USE, self, "data_destroy");
            }
            try {
                storage()
                        .vdiCbt(StorageBackends.context(ctx), srId, data.get(self, VDI.LOCATION), CbtCall.DATA_DESTROY);
            } catch (StorageException e) {
                throw StorageBackends.toApiError(e, sr, self);
            }
            Db.retrying(() -> {
                Update.Builder u = Update.builder();
                for (String vbd : vbds) {
                    data.version(VBD.XAPI_CLASS, vbd)
                            .ifPresent(m -> u.unchanged(VBD.XAPI_CLASS, vbd, m).delete(VBD.XAPI_CLASS, vbd));
                }
                for (String vm : data.where(VM.SUSPEND_VDI, self)) {
                    u.expect(vm, VM.SUSPEND_VDI, self, null).set(vm, VM.SUSPEND_VDI, Refs.NULL);
                }
                if (!u.isEmpty()) data.apply(u.build());
            });
        } catch (RuntimeException e) {
            if (data.exists(VDI.XAPI_CLASS, self)) data.set(self, VDI.TYPE, type);
            throw e;
        }
    }

    /** {@code VDI.list_changed_blocks}: the driver's answer, on the SR of {@code vdiTo}. */
    @Override
    public String listChangedBlocks(CallContext ctx, String vdiFrom, String vdiTo) {
        String sr = data.get(vdiTo, VDI.SR);
        String srId = backends.attached(data, sr);
        try {
            return storage()
                    .vdiListChangedBlocks(
                            StorageBackends.context(ctx),
                            srId,
                            data.get(vdiFrom, VDI.LOCATION),
                            data.get(vdiTo, VDI.LOCATION));
        } catch (StorageException e) {
            throw StorageBackends.toApiError(e, sr, vdiTo);
        }
    }

    // ------------------------------------------------------------------ NBD, metadata VDIs

    /**
     * {@code VDI.get_nbd_info}: a {@code cbt_metadata} VDI is {@code VDI_INCOMPATIBLE_TYPE}; otherwise one entry per IP
     * of a plugged PIF on an NBD network (purpose {@code nbd} or {@code insecure_nbd}) of each host with the SR plugged:
     * none when the pool has no such network. Serving NBD is not done here: with an address to offer, NOT_IMPLEMENTED.
     */
    @Override
    public List<Map<String, Object>> getNbdInfo(CallContext ctx, String self) {
        String type = data.get(self, VDI.TYPE);
        if (type.equals(VdiType.CBT_METADATA.wire())) {
            throw new ApiError(ErrorCodes.VDI_INCOMPATIBLE_TYPE, self, OpNames.vdiType(type));
        }
        String sr = data.get(self, VDI.SR);
        List<String> nbdNetworks = new ArrayList<>();
        for (String n : data.all(Network.XAPI_CLASS)) {
            List<String> purpose = data.get(n, Network.PURPOSE);
            if (purpose.contains(NetworkPurpose.NBD.wire()) || purpose.contains(NetworkPurpose.INSECURE_NBD.wire()))
                nbdNetworks.add(n);
        }
        for (String pbd : data.where(PBD.SR, sr)) {
            if (!data.get(pbd, PBD.CURRENTLY_ATTACHED)) continue;
            for (String pif : data.where(PIF.HOST, data.get(pbd, PBD.HOST))) {
                if (!data.get(pif, PIF.CURRENTLY_ATTACHED) || !nbdNetworks.contains(data.get(pif, PIF.NETWORK)))
                    continue;
                if (!data.get(pif, PIF.IP).isEmpty()
                        || data.get(pif, PIF.IPV6).stream().anyMatch(a -> !a.isEmpty())) {
                    throw new ApiError(ErrorCodes.NOT_IMPLEMENTED, "VDI.get_nbd_info with an NBD network");
                }
            }
        }
        return List.of();
    }

    /**
     * {@code VDI.open_database}: only a {@code metadata} VDI holds a database ({@code VDI_INCOMPATIBLE_TYPE [vdi,
     * type]}); reading one is not done here.
     */
    @Override
    public String openDatabase(CallContext ctx, String self) {
        String type = data.get(self, VDI.TYPE);
        if (!type.equals(VdiType.METADATA.wire())) {
            throw new ApiError(ErrorCodes.VDI_INCOMPATIBLE_TYPE, self, OpNames.vdiType(type));
        }
        throw new ApiError(ErrorCodes.NOT_IMPLEMENTED, "VDI.open_database of a metadata VDI");
    }

    /**
     * {@code VDI.read_database_pool_uuid}: Xapi answers from its cache of the metadata VDIs it has seen, {@code ""} for
     * any other VDI; reading a metadata VDI is not done here.
     */
    @Override
    public String readDatabasePoolUuid(CallContext ctx, String self) {
        if (!data.get(self, VDI.TYPE).equals(VdiType.METADATA.wire())) return "";
        throw new ApiError(ErrorCodes.NOT_IMPLEMENTED, "VDI.read_database_pool_uuid of a metadata VDI");
    }
}
