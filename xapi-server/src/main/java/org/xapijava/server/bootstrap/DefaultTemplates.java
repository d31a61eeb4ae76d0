package org.xapijava.server.bootstrap;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.xapijava.db.Db;
import org.xapijava.db.FieldValues;
import org.xapijava.db.Update;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.enums.DomainType;
import org.xapijava.model.api.enums.OnCrashBehaviour;
import org.xapijava.model.api.enums.OnNormalExit;
import org.xapijava.model.api.enums.OnSoftrebootBehavior;
import org.xapijava.model.api.enums.VmPowerState;
import org.xapijava.model.types.Refs;
import org.xapijava.server.bootstrap.TemplateCatalog.Template;

/**
 * The default templates of {@link TemplateCatalog}, imported as the template service does at install (the work
 * Xapi leaves to the templates package; here part of the master's start-up, beside {@code dbsync_master.ml}): a
 * full restore with their own uuids, version 1, a MAC seed, {@code is_default_template} and
 * {@code other_config:default_template} true. Master only; each template is created with its metrics in one step.
 */
final class DefaultTemplates {
    /** {@code VM.other_config} keys the import adds. */
    static final String DEFAULT_TEMPLATE = "default_template";

    static final String MAC_SEED = "mac_seed";

    private final Db db;

    DefaultTemplates(StartupContext c) {
        this.db = c.db;
    }

    /**
     * The default templates present, by uuid. While the first boot is not complete the missing ones are imported;
     * afterwards a template a user destroyed stays destroyed.
     */
    Map<String, String> ensure(boolean firstBootPending) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Template t : TemplateCatalog.templates()) {
            Optional<String> vm = db.findByUuid(VM.XAPI_CLASS, t.uuid());
            if (vm.isEmpty() && firstBootPending) vm = Optional.of(create(t));
            vm.ifPresent(ref -> out.put(t.uuid(), ref));
        }
        return out;
    }

    private String create(Template t) {
        Map<String, String> oc = new LinkedHashMap<>();
        oc.put(DEFAULT_TEMPLATE, "true");
        oc.put(MAC_SEED, StartupContext.uuid());
        oc.putAll(t.otherConfig());
        String metrics = Refs.fresh();
        String vm = Refs.fresh();
        FieldValues values = VmRecords.common()
                .with(VM.UUID, t.uuid())
                .with(VM.NAME_LABEL, t.nameLabel())
                .with(VM.NAME_DESCRIPTION, t.nameDescription())
                .with(VM.POWER_STATE, VmPowerState.HALTED.wire())
                .with(VM.USER_VERSION, 1L)
                .with(VM.IS_A_TEMPLATE, true)
                .with(VM.IS_DEFAULT_TEMPLATE, true)
                .with(VM.RESIDENT_ON, Refs.NULL)
                .with(VM.AFFINITY, Refs.NULL)
                .with(
                        VM.MEMORY_OVERHEAD,
                        MemoryModel.overheadBytes(
                                MemoryModel.Model.HVM, t.memoryStaticMax(), t.vcpusMax(), t.hvmShadowMultiplier()))
                .with(VM.MEMORY_TARGET, 0L)
                .with(VM.MEMORY_STATIC_MAX, t.memoryStaticMax())
                .with(VM.MEMORY_DYNAMIC_MAX, t.memoryDynamicMax())
                .with(VM.MEMORY_DYNAMIC_MIN, t.memoryDynamicMin())
                .with(VM.MEMORY_STATIC_MIN, t.memoryStaticMin())
                .with(VM.VCPUS_MAX, t.vcpusMax())
                .with(VM.VCPUS_AT_STARTUP, t.vcpusAtStartup())
                .with(VM.ACTIONS_AFTER_SOFTREBOOT, OnSoftrebootBehavior.SOFT_REBOOT.wire())
                .with(VM.ACTIONS_AFTER_SHUTDOWN, OnNormalExit.DESTROY.wire())
                .with(VM.ACTIONS_AFTER_REBOOT, OnNormalExit.RESTART.wire())
                .with(VM.ACTIONS_AFTER_CRASH, OnCrashBehaviour.RESTART.wire())
                .with(VM.HVM_BOOT_POLICY, t.hvmBootPolicy())
                .with(VM.HVM_BOOT_PARAMS, t.hvmBootParams())
                .with(VM.HVM_SHADOW_MULTIPLIER, t.hvmShadowMultiplier())
                .with(VM.PLATFORM, t.platform())
                .with(VM.OTHER_CONFIG, oc)
                .with(VM.DOMID, -1L)
                .with(VM.DOMARCH, "")
                .with(VM.IS_CONTROL_DOMAIN, false)
                .with(VM.METRICS, metrics)
                .with(VM.RECOMMENDATIONS, t.recommendations())
                .with(VM.VERSION, 1L)
                .with(VM.GENERATION_ID, t.generationId())
                .with(VM.REFERENCE_LABEL, t.referenceLabel())
                .with(VM.DOMAIN_TYPE, (t.hvmBootPolicy().isEmpty() ? DomainType.PV : DomainType.HVM).wire());
        db.apply(Update.builder()
                .create(metrics, VmRecords.emptyMetrics())
                .create(vm, values)
                .build());
        return vm;
    }
}
