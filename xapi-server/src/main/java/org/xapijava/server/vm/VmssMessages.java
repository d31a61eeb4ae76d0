package org.xapijava.server.vm;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.model.LicenceFeature;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Message;
import org.xapijava.model.api.VMSS;
import org.xapijava.model.api.enums.VmssFrequency;
import org.xapijava.model.api.enums.VmssType;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;
import org.xapijava.server.alerts.MessageStore;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.VMSSApi;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;

/**
 * The snapshot schedule messages ({@code xapi_vmss.ml}): {@code create} and {@code destroy}, the setters of
 * {@code frequency}, {@code schedule} (and {@code add_to_schedule}/{@code remove_from_schedule}), {@code type},
 * {@code retained_snapshots} (1..10, else {@code INVALID_VALUE ["retained_snapshots", n]}) and
 * {@code last_run_time}, and {@code snapshot_now} ({@link VmssRun}). Every one needs the pool's licence for
 * {@code VMSS} ({@code LICENCE_RESTRICTION ["VMSS"]}); the schedule's keys and values are {@link VmssSchedule}'s. A
 * refused call changes nothing, but for Xapi's own quirk of {@code add_to_schedule} (see {@link #addToSchedule}).
 * Thread-safe.
 */
public final class VmssMessages implements Messages {
    /** {@code assert_retained_snapshots}'s bounds. */
    static final long MIN_RETAINED = 1;

    static final long MAX_RETAINED = 10;

    private final Db data;
    private final String poolRef;
    private final MessageStore alerts;
    private final VmssRun run;
    /**
     * Xapi's {@code schedule_backup}: the schedule {@code remove_from_schedule} last saw, whichever schedule it was
     * (one for the whole pool, as in Xapi), from which a refused {@code add_to_schedule} puts the key back.
     */
    private final AtomicReference<Map<String, String>> scheduleBackup = new AtomicReference<>(Map.of());

    public VmssMessages(Db data, Clock clock, String poolRef, MessageStore alerts) {
        this.data = data;
        this.poolRef = poolRef;
        this.alerts = alerts;
        this.run = new VmssRun(data, clock, alerts);
    }

    @Override
    public void bind(MessageTable table) {
        VMSSApi.bind(table, new Api());
    }

    private final class Api implements VMSSApi {
        @Override
        public String create(CallContext ctx, Map<String, Object> args) {
            return VmssMessages.this.create(args);
        }

        @Override
        public void destroy(CallContext ctx, String self) {
            VmssMessages.this.destroy(self);
        }

        @Override
        public void setFrequency(CallContext ctx, String self, VmssFrequency value) {
            licensed();
            Map<String, String> schedule = data.get(self, VMSS.SCHEDULE);
            Map<String, String> updated = VmssSchedule.assertAllKeys(VmssSchedule.keys(value), schedule, schedule);
            data.set(self, VMSS.FREQUENCY, value.wire());
            data.set(self, VMSS.SCHEDULE, updated);
        }

        @Override
        public void setSchedule(CallContext ctx, String self, Map<String, String> value) {
            licensed();
            data.set(
                    self,
                    VMSS.SCHEDULE,
                    VmssSchedule.assertKeys(VmssSchedule.allKeys(), value, data.get(self, VMSS.SCHEDULE)));
        }

        @Override
        public void addToSchedule(CallContext ctx, String self, String key, String value) {
            VmssMessages.this.addToSchedule(self, key, value);
        }

        @Override
        public void removeFromSchedule(CallContext ctx, String self, String key) {
            licensed();
            scheduleBackup.set(data.get(self, VMSS.SCHEDULE));
            data.removeFromMap(self, VMSS.SCHEDULE, key);
        }

        @Override
        public void setType(CallContext ctx, String self, VmssType value) {
            licensed();
            if (value == VmssType.SNAPSHOT_WITH_QUIESCE) {
                PoolFeatures.assertEnabled(data, poolRef, LicenceFeature.VSS);
                for (String vm : data.get(self, VMSS.VMS)) VmAssignments.assertSupportsQuiesceSnapshot(data, vm);
            }
            data.set(self, VMSS.TYPE, value.wire());
        }

        @Override
        public void setLastRunTime(CallContext ctx, String self, DateTime value) {
            licensed();
            data.set(self, VMSS.LAST_RUN_TIME, value);
        }

        @Override
        public void setRetainedSnapshots(CallContext ctx, String self, long value) {
            licensed();
            assertRetainedSnapshots(value);
            data.set(self, VMSS.RETAINED_SNAPSHOTS, value);
        }

        @Override
        public String snapshotNow(CallContext ctx, String vmss) {
            licensed();
            return run.snapshotNow(ctx, vmss);
        }
    }

    /** {@code assert_licensed}: {@code LICENCE_RESTRICTION ["VMSS"]} unless the pool is licensed for it. */
    private void licensed() {
        PoolFeatures.assertEnabled(data, poolRef, LicenceFeature.VMSS);
    }

    /** {@code assert_retained_snapshots}: 1..10. */
    static void assertRetainedSnapshots(long value) {
        if (value < MIN_RETAINED || value > MAX_RETAINED) {
            throw ApiError.invalidValue(VMSS.RETAINED_SNAPSHOTS.name(), Long.toString(value));
        }
    }

    /**
     * {@code VMSS.create}: licensed (and for {@code snapshot_with_quiesce}, licensed for {@code VSS}); the schedule's
     * keys must be the frequency's, their values valid; missing keys get their defaults; {@code retained_snapshots}
     * 1..10; {@code last_run_time} starts at the epoch.
     */
    private String create(Map<String, Object> args) {
        licensed();
        if (VmssType.SNAPSHOT_WITH_QUIESCE.wire().equals(Db.value(args, VMSS.TYPE))) {
            PoolFeatures.assertEnabled(data, poolRef, LicenceFeature.VSS);
        }
        VmssFrequency frequency = VmssFrequency.of(Db.value(args, VMSS.FREQUENCY));
        Map<String, String> schedule = Db.value(args, VMSS.SCHEDULE);
        List<VmssSchedule.Key> keys = VmssSchedule.keys(frequency);
        VmssSchedule.assertKeys(keys, schedule, Map.of());
        Map<String, String> checked = VmssSchedule.assertAllKeys(keys, schedule, schedule);
        assertRetainedSnapshots(Db.value(args, VMSS.RETAINED_SNAPSHOTS));
        Map<String, Object> values = new LinkedHashMap<>(args);
        values.put(VMSS.SCHEDULE.name(), checked);
        values.put(VMSS.UUID.name(), UUID.randomUUID().toString());
        values.put(VMSS.LAST_RUN_TIME.name(), DateTime.EPOCH);
        String ref = Refs.fresh();
        data.create(ref, FieldValues.ofNames(VMSS.XAPI_CLASS, values));
        return ref;
    }

    /**
     * {@code VMSS.destroy}: licensed; a schedule with VMs is {@code VMSS_HAS_VM []}; else every message about it
     * (any message whose {@code obj_uuid} is its uuid) goes first, then the schedule.
     */
    private void destroy(String self) {
        licensed();
        if (!data.get(self, VMSS.VMS).isEmpty()) throw new ApiError(ErrorCodes.VMSS_HAS_VM);
        String uuid = data.get(self, VMSS.UUID);
        alerts.getAllRecords().forEach((ref, record) -> {
            if (uuid.equals(record.get(Message.OBJ_UUID.name()))) {
                try {
                    alerts.destroy(ref);
                } catch (ApiError e) {
                    // destroyed meanwhile
                }
            }
        });
        data.delete(VMSS.XAPI_CLASS, self);
    }

    /**
     * {@code VMSS.add_to_schedule}: licensed; the key and value, checked together with the schedule's other keys, are
     * added. When that fails, Xapi puts back the key's value from the schedule {@link #scheduleBackup} holds (the
     * backup {@code remove_from_schedule} made, as {@code xe vmss-param-set} removes a key before adding it again) and
     * raises the failure; a backup without the key makes that {@code INTERNAL_ERROR ["Not_found"]} instead, and a key
     * still in the schedule {@code MAP_DUPLICATE_KEY}.
     */
    private void addToSchedule(String self, String key, String value) {
        licensed();
        try {
            Map<String, String> checked =
                    VmssSchedule.assertKeys(VmssSchedule.allKeys(), Map.of(key, value), data.get(self, VMSS.SCHEDULE));
            data.addToMap(self, VMSS.SCHEDULE, key, checked.get(key));
        } catch (ApiError e) {
            String before = scheduleBackup.get().get(key);
            if (before == null) throw ApiError.internal("Not_found");
            data.addToMap(self, VMSS.SCHEDULE, key, before); // MAP_DUPLICATE_KEY when still there
            throw e;
        }
    }
}
