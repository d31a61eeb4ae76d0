package org.xapijava.server.vm;

import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.db.Update;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.enums.DomainType;
import org.xapijava.model.api.enums.OnCrashBehaviour;
import org.xapijava.model.api.enums.UpdateStatus;
import org.xapijava.model.api.enums.VmPowerState;
import org.xapijava.model.api.enums.VmSecurebootReadiness;
import org.xapijava.model.api.enums.VmUefiMode;
import org.xapijava.model.errors.ApiError;
import org.xapijava.model.types.DateTime;
import org.xapijava.server.api.Messages;
import org.xapijava.server.api.gen.VMApi;
import org.xapijava.server.config.XapiConfig;
import org.xapijava.server.dispatch.CallContext;
import org.xapijava.server.dispatch.MessageTable;
import org.xapijava.server.ops.AllowedOperations;
import org.xapijava.server.xenops.ShadowMemory;
import org.xapijava.server.xenops.XenopsErrors;
import org.xapijava.server.xenops.XenopsService;

/**
 * The VM's configuration messages other than memory and vCPUs, as Xapi implements them ({@code xapi_vm.ml},
 * {@code xapi_vm_helpers.ml}, the {@code VM} part of {@code message_forwarding.ml}): crash action, boot policy and
 * domain type, shadow multiplier (halted and live), BIOS strings, UEFI and secure boot ({@link VmFirmware}), NVRAM,
 * vendor device, default template flag, start order and delays, appliance, HA restart priority, snapshot schedule and
 * suspend image ({@link VmAssignments}), the deprecated {@code get_boot_record} and {@code get_cooperative},
 * {@code query_services} and {@code update_snapshot_metadata}.
 *
 * <p>Where Xapi runs a message under an operation ({@code set_NVRAM}, {@code add_to_NVRAM}, {@code remove_from_NVRAM}:
 * {@code changing_NVRAM}; {@code set_HVM_shadow_multiplier}: {@code changing_shadow_memory};
 * {@code set_shadow_multiplier_live}: {@code changing_shadow_memory_live}; {@code set_is_default_template}:
 * {@code make_into_template}; {@code get_boot_record}, {@code query_services}), the dispatcher's forwarding stage
 * checks and marks it ({@link org.xapijava.server.ops.LockPlan}) and sends a live VM's call to its host; the bodies
 * here only do the work. Thread-safe.
 */
public final class VmSettings implements Messages {
    /** {@code Constants.hvm_default_boot_policy}. */
    static final String HVM_DEFAULT_BOOT_POLICY = "BIOS order";

    private final Db data;
    private final Vms vms;
    private final VmFirmware firmware;
    private final VmAssignments assignments;
    private final ShadowMemory shadow;

    /**
     * @param shadow          the live shadow-multiplier change through this host's xenopsd
     * @param varstoreSbState varstored's {@code varstore-sb-state} tool
     * @param varstoreLs      varstored's {@code varstore-ls} tool
     */
    public VmSettings(
            Db data, Vms vms, VmAssignments assignments, ShadowMemory shadow, Path varstoreSbState, Path varstoreLs) {
        this.data = data;
        this.vms = vms;
        this.firmware = new VmFirmware(data, varstoreSbState, varstoreLs);
        this.assignments = assignments;
        this.shadow = shadow;
    }

    /** This host's: shadow memory through {@code xenops}, varstored's tools where the settings name them. */
    public static VmSettings of(
            Db data, Clock clock, String poolRef, AllowedOperations allowed, XenopsService xenops, XapiConfig config) {
        return new VmSettings(
                data,
                new Vms(data, clock, poolRef, allowed),
                new VmAssignments(data, poolRef, allowed),
                new ShadowMemory(data, xenops),
                config.path("varstore-sb-state"),
                config.path("varstore-ls"));
    }

    @Override
    public void bind(MessageTable table) {
        VMApi.bind(table, new Api());
    }

    private final class Api implements VMApi {
        @Override
        public void setActionsAfterCrash(CallContext ctx, String self, OnCrashBehaviour value) {
            // no check here: Xapi validates the crash action when the VM starts
            data.set(self, VM.ACTIONS_AFTER_CRASH, value.wire());
        }

        @Override
        public void setHVMBootPolicy(CallContext ctx, String self, String value) {
            setBootFields(self, value.isEmpty() ? DomainType.PV : DomainType.HVM, value);
        }

        @Override
        public void setDomainType(CallContext ctx, String self, DomainType value) {
            if (value == DomainType.UNSPECIFIED) throw ApiError.invalidValue(VM.DOMAIN_TYPE.name(), value.wire());
            setBootFields(self, value, value == DomainType.HVM ? HVM_DEFAULT_BOOT_POLICY : "");
        }

        @Override
        public void setHVMShadowMultiplier(CallContext ctx, String self, double value) {
            VmSettings.this.setHvmShadowMultiplier(self, value);
        }

        @Override
        public void setShadowMultiplierLive(CallContext ctx, String self, double multiplier) {
            shadow.setLive(ctx, self, multiplier);
        }

        @Override
        public void setBiosStrings(CallContext ctx, String self, Map<String, String> value) {
            firmware.setBiosStrings(self, value);
        }

        @Override
        public void copyBiosStrings(CallContext ctx, String vm, String host) {
            firmware.copyBiosStrings(vm, host);
        }

        @Override
        public String setUefiMode(CallContext ctx, String self, VmUefiMode mode) {
            return firmware.setUefiMode(self, mode);
        }

        @Override
        public VmSecurebootReadiness getSecurebootReadiness(CallContext ctx, String self) {
            return firmware.getSecurebootReadiness(self);
        }

        @Override
        public void setNVRAM(CallContext ctx, String self, Map<String, String> value) {
            data.set(self, VM.NVRAM, value);
        }

        @Override
        public void addToNVRAM(CallContext ctx, String self, String key, String value) {
            data.addToMap(self, VM.NVRAM, key, value);
        }

        @Override
        public void removeFromNVRAM(CallContext ctx, String self, String key) {
            data.removeFromMap(self, VM.NVRAM, key);
        }

        @Override
        public void setNVRAMEFIVariables(CallContext ctx, String self, String value, UpdateStatus update) {
            firmware.setNvramEfiVariables(self, value, update);
        }

        @Override
        public void setHasVendorDevice(CallContext ctx, String self, boolean value) {
            VmSettings.this.setHasVendorDevice(self, value);
        }

        @Override
        public void setIsDefaultTemplate(CallContext ctx, String vm, boolean value) {
            VmSettings.this.setIsDefaultTemplate(ctx, vm, value);
        }

        @Override
        public void setOrder(CallContext ctx, String self, long value) {
            setNonNegative(self, VM.ORDER, value);
        }

        @Override
        public void setStartDelay(CallContext ctx, String self, long value) {
            setNonNegative(self, VM.START_DELAY, value);
        }

        @Override
        public void setShutdownDelay(CallContext ctx, String self, long value) {
            setNonNegative(self, VM.SHUTDOWN_DELAY, value);
        }

        @Override
        public void setSuspendVDI(CallContext ctx, String self, String value) {
            assignments.setSuspendVdi(ctx, self, value);
        }

        @Override
        public void setAppliance(CallContext ctx, String self, String value) {
            assignments.setAppliance(self, value);
        }

        @Override
        public void setSnapshotSchedule(CallContext ctx, String self, String value) {
            assignments.setSnapshotSchedule(self, value);
        }

        @Override
        public void setHaRestartPriority(CallContext ctx, String self, String value) {
            assignments.setHaRestartPriority(self, value);
        }

        @Override
        public void setHaAlwaysRun(CallContext ctx, String self, boolean value) {
            // deprecated since Boston: Xapi turns it into the restart priority it implies
            assignments.setHaRestartPriority(self, value ? VmAssignments.HA_RESTART : "");
        }

        @Override
        public Map<String, Object> getBootRecord(CallContext ctx, String self) {
            // Xapi answers the VM's current record (the forwarding stage marks get_boot_record first)
            return data.record(VM.XAPI_CLASS, self);
        }

        @Override
        public boolean getCooperative(CallContext ctx, String self) {
            return true; // Xapi's answer since Tampa, whatever the VM (it does not even look it up)
        }

        @Override
        public Map<String, String> queryServices(CallContext ctx, String self) {
            // Xapi marks the operation (which only a system domain allows), then has no implementation
            throw new ApiError(ErrorCodes.NOT_IMPLEMENTED, "query_services");
        }

        @Override
        public void updateSnapshotMetadata(
                CallContext ctx, String vm, String snapshotOf, DateTime snapshotTime, String transportableSnapshotId) {
            data.apply(Update.builder()
                    .set(vm, VM.IS_A_SNAPSHOT, true)
                    .set(vm, VM.SNAPSHOT_TIME, snapshotTime)
                    .set(vm, VM.SNAPSHOT_OF, snapshotOf)
                    .set(vm, VM.TRANSPORTABLE_SNAPSHOT_ID, transportableSnapshotId)
                    .build());
        }
    }

    /** {@code domain_type} and {@code HVM_boot_policy} together ({@code set_domain_type}, {@code set_HVM_boot_policy}). */
    private void setBootFields(String vm, DomainType domainType, String bootPolicy) {
        data.apply(Update.builder()
                .set(vm, VM.DOMAIN_TYPE, domainType.wire())
                .set(vm, VM.HVM_BOOT_POLICY, bootPolicy)
                .build());
    }

    /**
     * {@code set_HVM_shadow_multiplier} on a halted VM (the operation's check saw to that): below 1 is
     * {@code INVALID_VALUE ["multiplier", value]}; the VM's {@code memory_overhead} follows.
     */
    private void setHvmShadowMultiplier(String vm, double value) {
        if (!data.get(vm, VM.POWER_STATE).equals(VmPowerState.HALTED.wire())) {
            throw ApiError.internal("Failure(\"assertion_failed: set_HVM_shadow_multiplier should only be called"
                    + " when the VM is Halted\")");
        }
        if (value < 1.0) throw ApiError.invalidValue("multiplier", XenopsErrors.ocamlFloat(value));
        Db.retrying(() -> {
            long read = data.modified(VM.XAPI_CLASS, vm);
            Map<String, Object> r = data.record(VM.XAPI_CLASS, vm);
            long overhead = VmValidation.memoryOverhead(
                    Db.value(r, VM.DOMAIN_TYPE), Db.value(r, VM.MEMORY_STATIC_MAX), Db.value(r, VM.VCPUS_MAX), value);
            data.apply(Update.builder()
                    .unchanged(VM.XAPI_CLASS, vm, read)
                    .set(vm, VM.HVM_SHADOW_MULTIPLIER, value)
                    .set(vm, VM.MEMORY_OVERHEAD, overhead)
                    .build());
        });
    }

    /**
     * {@code set_has_vendor_device}: only on a halted VM ({@code VM_BAD_POWER_STATE [vm, "halted", actual]}); a
     * vendor device needs hardware platform version 2, which the VM gets if it had less.
     */
    private void setHasVendorDevice(String vm, boolean value) {
        Db.retrying(() -> {
            long read = data.modified(VM.XAPI_CLASS, vm);
            assertPowerState(data, vm, VmPowerState.HALTED);
            Update.Builder u =
                    Update.builder().unchanged(VM.XAPI_CLASS, vm, read).set(vm, VM.HAS_VENDOR_DEVICE, value);
            if (value && data.get(vm, VM.HARDWARE_PLATFORM_VERSION) < Vms.HAS_VENDOR_DEVICE_VERSION) {
                u.set(vm, VM.HARDWARE_PLATFORM_VERSION, Vms.HAS_VENDOR_DEVICE_VERSION);
            }
            data.apply(u.build());
        });
    }

    /**
     * {@code set_is_default_template}: a VM that is not a template becomes one first ({@code set_is_a_template},
     * under the {@code make_into_template} operation the forwarding stage marked); {@code other_config}'s
     * {@code default_template} follows the flag, for older clients.
     */
    private void setIsDefaultTemplate(CallContext ctx, String vm, boolean value) {
        if (value && !data.get(vm, VM.IS_A_TEMPLATE)) vms.setIsATemplate(ctx, vm, true);
        Db.retrying(() -> {
            long read = data.modified(VM.XAPI_CLASS, vm);
            Map<String, String> oc = new LinkedHashMap<>();
            oc.put(Vms.DEFAULT_TEMPLATE, Boolean.toString(value));
            for (Map.Entry<String, String> e : data.get(vm, VM.OTHER_CONFIG).entrySet()) {
                if (!e.getKey().equals(Vms.DEFAULT_TEMPLATE)) oc.put(e.getKey(), e.getValue());
            }
            data.apply(Update.builder()
                    .unchanged(VM.XAPI_CLASS, vm, read)
                    .set(vm, VM.OTHER_CONFIG, oc)
                    .set(vm, VM.IS_DEFAULT_TEMPLATE, value)
                    .build());
        });
    }

    /** {@code set_order}, {@code set_start_delay}, {@code set_shutdown_delay}: {@code INVALID_VALUE} below 0. */
    private void setNonNegative(String vm, org.xapijava.model.Field<Long> field, long value) {
        if (value < 0) throw ApiError.invalidValue(field.name() + " must be non-negative", Long.toString(value));
        data.set(vm, field, value);
    }

    /**
     * {@code Xapi_vm_lifecycle.assert_initial_power_state_is}: {@code VM_BAD_POWER_STATE [vm, expected, actual]}, in
     * lower case.
     */
    static void assertPowerState(Db data, String vm, VmPowerState expected) {
        String actual = data.get(vm, VM.POWER_STATE);
        if (!actual.equals(expected.wire())) {
            throw new ApiError(
                    ErrorCodes.VM_BAD_POWER_STATE,
                    vm,
                    expected.wire().toLowerCase(Locale.ROOT),
                    actual.toLowerCase(Locale.ROOT));
        }
    }
}
