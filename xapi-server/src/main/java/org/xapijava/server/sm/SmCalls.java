package org.xapijava.server.sm;

import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.PBD;
import org.xapijava.model.api.SR;
import org.xapijava.model.api.VDI;
import org.xapijava.model.api.enums.VdiType;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.PBDApi;
import org.xapijava.server.api.gen.SRApi;
import org.xapijava.server.api.gen.VDIApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.ops.AllowedOperations;
import org.xapijava.server.storage.SrRecords;
import org.xapijava.server.storage.VdiRecords;

/**
 * The calls reserved for storage plugins (Xapi's {@code message_forwarding.ml} guards them with
 * {@code Sm.assert_session_has_internal_sr_access}, then {@code xapi_vdi.ml}, {@code xapi_sr.ml},
 * {@code xapi_pbd.ml} write the database): {@code SR.set_virtual_allocation / set_physical_size /
 * set_physical_utilisation}, {@code VDI.db_introduce / db_forget} and the VDI field setters, and
 * {@code PBD.set_device_config}. Each first checks {@link SmAccess} for the SR concerned ({@code PERMISSION_DENIED
 * [""]} otherwise), then writes the database only. Thread-safe.
 */
public final class SmCalls implements Messages {

    private final Db data;
    private final AllowedOperations allowed;

    public SmCalls(Db data, AllowedOperations allowed) {
        this.data = data;
        this.allowed = allowed;
    }

    @Override
    public void bind(MessageTable table) {
        SRApi.bind(table, new SrCalls());
        VDIApi.bind(table, new VdiCalls());
        PBDApi.bind(table, new PbdCalls());
    }

    private final class SrCalls implements SRApi {
        @Override
        public void setVirtualAllocation(CallContext ctx, String self, long value) {
            SmAccess.check(ctx, self);
            data.set(self, SR.VIRTUAL_ALLOCATION, value);
        }

        @Override
        public void setPhysicalSize(CallContext ctx, String self, long value) {
            SmAccess.check(ctx, self);
            data.set(self, SR.PHYSICAL_SIZE, value);
        }

        @Override
        public void setPhysicalUtilisation(CallContext ctx, String self, long value) {
            SmAccess.check(ctx, self);
            data.set(self, SR.PHYSICAL_UTILISATION, value);
        }
    }

    private final class PbdCalls implements PBDApi {
        @Override
        public void setDeviceConfig(CallContext ctx, String self, Map<String, String> value) {
            SmAccess.check(ctx, data.get(self, PBD.SR));
            String master = value.get(SrRecords.SR_MASTER_KEY);
            if (master != null) {
                throw new ApiError(
                        ErrorCodes.VALUE_NOT_SUPPORTED,
                        SrRecords.SR_MASTER_KEY,
                        master,
                        "This key is for internal use only");
            }
            data.set(self, PBD.DEVICE_CONFIG, value);
        }
    }

    private final class VdiCalls implements VDIApi {
        /** The SR of {@code vdi}, after the SM access check for it. */
        private String checked(CallContext ctx, String vdi) {
            String sr = data.get(vdi, VDI.SR);
            SmAccess.check(ctx, sr);
            return sr;
        }

        @Override
        public String dbIntroduce(
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
            SmAccess.check(ctx, sr);
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

        /**
         * {@code VDI.db_forget}: the record goes; a CD drive that held it is left empty, and (what Xapi's database
         * GC does moments later) the VDI's other VBDs are destroyed and a VM suspended onto it loses the link.
         */
        @Override
        public void dbForget(CallContext ctx, String vdi) {
            checked(ctx, vdi);
            VdiRecords.forget(data, vdi);
        }

        @Override
        public void setSharable(CallContext ctx, String self, boolean value) {
            checked(ctx, self);
            data.set(self, VDI.SHARABLE, value);
        }

        @Override
        public void setManaged(CallContext ctx, String self, boolean value) {
            checked(ctx, self);
            data.set(self, VDI.MANAGED, value);
        }

        @Override
        public void setReadOnly(CallContext ctx, String self, boolean value) {
            checked(ctx, self);
            data.set(self, VDI.READ_ONLY, value);
        }

        @Override
        public void setMissing(CallContext ctx, String self, boolean value) {
            checked(ctx, self);
            data.set(self, VDI.MISSING, value);
        }

        @Override
        public void setVirtualSize(CallContext ctx, String self, long value) {
            checked(ctx, self);
            data.set(self, VDI.VIRTUAL_SIZE, value);
        }

        @Override
        public void setPhysicalUtilisation(CallContext ctx, String self, long value) {
            checked(ctx, self);
            data.set(self, VDI.PHYSICAL_UTILISATION, value);
        }

        @Override
        public void setIsASnapshot(CallContext ctx, String self, boolean value) {
            checked(ctx, self);
            data.set(self, VDI.IS_A_SNAPSHOT, value);
        }

        @Override
        public void setSnapshotOf(CallContext ctx, String self, String value) {
            checked(ctx, self);
            data.set(self, VDI.SNAPSHOT_OF, value);
        }

        @Override
        public void setSnapshotTime(CallContext ctx, String self, DateTime value) {
            checked(ctx, self);
            data.set(self, VDI.SNAPSHOT_TIME, value);
        }

        @Override
        public void setMetadataOfPool(CallContext ctx, String self, String value) {
            checked(ctx, self);
            String cbt = VdiType.CBT_METADATA.wire();
            if (cbt.equals(data.get(self, VDI.TYPE))) throw new ApiError(ErrorCodes.VDI_INCOMPATIBLE_TYPE, self, cbt);
            data.set(self, VDI.METADATA_OF_POOL, value);
        }

        @Override
        public void setCbtEnabled(CallContext ctx, String self, boolean value) {
            checked(ctx, self);
            if (data.get(self, VDI.CBT_ENABLED) == value) return;
            data.set(self, VDI.CBT_ENABLED, value);
            allowed.update(VDI.XAPI_CLASS, self);
        }
    }
}
