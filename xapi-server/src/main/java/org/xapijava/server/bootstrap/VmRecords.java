package org.xapijava.server.bootstrap;

import java.util.List;
import java.util.Map;
import org.xapijava.db.FieldValues;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.VMMetrics;
import org.xapijava.model.api.enums.DomainType;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.Refs;

/**
 * The VM rows start-up creates share these values: the fields the control domain ({@code create_misc.ml}'s
 * {@code create_domain_zero_record}) and the default templates get alike, and the empty {@code VM_metrics} of
 * {@code VM.create} and {@code dbsync_master.ml}'s {@code ensure_vm_metrics_records_exist}.
 */
final class VmRecords {
    private VmRecords() {}

    /**
     * A VM row with the values every start-up VM has (no snapshot, no HA, no appliance, empty maps and sets, ...);
     * the caller adds the rest.
     */
    static FieldValues common() {
        return FieldValues.of(VM.XAPI_CLASS)
                .with(VM.GUEST_METRICS, Refs.NULL)
                .with(VM.LAST_BOOTED_RECORD, "")
                .with(VM.XENSTORE_DATA, Map.of())
                .with(VM.HA_ALWAYS_RUN, false)
                .with(VM.HA_RESTART_PRIORITY, "")
                .with(VM.IS_A_SNAPSHOT, false)
                .with(VM.SNAPSHOT_OF, Refs.NULL)
                .with(VM.SNAPSHOT_TIME, DateTime.EPOCH)
                .with(VM.TRANSPORTABLE_SNAPSHOT_ID, "")
                .with(VM.BLOBS, Map.of())
                .with(VM.TAGS, List.of())
                .with(VM.BLOCKED_OPERATIONS, Map.of())
                .with(VM.SNAPSHOT_INFO, Map.of())
                .with(VM.SNAPSHOT_METADATA, "")
                .with(VM.PARENT, Refs.NULL)
                .with(VM.BIOS_STRINGS, Map.of())
                .with(VM.PROTECTION_POLICY, Refs.NULL)
                .with(VM.SNAPSHOT_SCHEDULE, Refs.NULL)
                .with(VM.IS_VMSS_SNAPSHOT, false)
                .with(VM.APPLIANCE, Refs.NULL)
                .with(VM.START_DELAY, 0L)
                .with(VM.SHUTDOWN_DELAY, 0L)
                .with(VM.ORDER, 0L)
                .with(VM.SUSPEND_SR, Refs.NULL)
                .with(VM.HARDWARE_PLATFORM_VERSION, 0L)
                .with(VM.HAS_VENDOR_DEVICE, false)
                .with(VM.REQUIRES_REBOOT, false)
                .with(VM.NVRAM, Map.of())
                .with(VM.SUSPEND_VDI, Refs.NULL)
                .with(VM.SCHEDULED_TO_BE_RESIDENT_ON, Refs.NULL)
                .with(VM.VCPUS_PARAMS, Map.of())
                .with(VM.PV_BOOTLOADER, "")
                .with(VM.PV_KERNEL, "")
                .with(VM.PV_RAMDISK, "")
                .with(VM.PV_ARGS, "")
                .with(VM.PV_BOOTLOADER_ARGS, "")
                .with(VM.PV_LEGACY_ARGS, "")
                .with(VM.PCI_BUS, "")
                .with(VM.LAST_BOOT_CPU_FLAGS, Map.of());
    }

    /**
     * A {@code VM_metrics} row: zero memory and vCPUs, empty maps, epoch times, of domain type
     * {@code currentDomainType}.
     */
    static FieldValues metrics(long memoryActual, long vcpus, DomainType currentDomainType) {
        return FieldValues.of(VMMetrics.XAPI_CLASS)
                .with(VMMetrics.UUID, StartupContext.uuid())
                .with(VMMetrics.MEMORY_ACTUAL, memoryActual)
                .with(VMMetrics.VCPUS_NUMBER, vcpus)
                .with(VMMetrics.VCPUS_CPU, Map.of())
                .with(VMMetrics.VCPUS_PARAMS, Map.of())
                .with(VMMetrics.VCPUS_FLAGS, Map.of())
                .with(VMMetrics.STATE, List.of())
                .with(VMMetrics.START_TIME, DateTime.EPOCH)
                .with(VMMetrics.INSTALL_TIME, DateTime.EPOCH)
                .with(VMMetrics.LAST_UPDATED, DateTime.EPOCH)
                .with(VMMetrics.OTHER_CONFIG, Map.of())
                .with(VMMetrics.HVM, false)
                .with(VMMetrics.NESTED_VIRT, false)
                .with(VMMetrics.NOMIGRATE, false)
                .with(VMMetrics.CURRENT_DOMAIN_TYPE, currentDomainType.wire());
    }

    /** The empty metrics {@code VM.create} and {@code ensure_vm_metrics_records_exist} give a VM. */
    static FieldValues emptyMetrics() {
        return metrics(0L, 0L, DomainType.UNSPECIFIED);
    }
}
