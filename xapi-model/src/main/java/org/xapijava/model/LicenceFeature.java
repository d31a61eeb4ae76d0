package org.xapijava.model;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * The licensed features of Xapi's {@code Features.feature}, in its order, each with its flag in {@code
 * host.license_params} / {@code pool.restrictions}, that flag's orientation ({@code restrict_*} flags are negative:
 * {@code "false"} enables) and the short tag {@code Features.to_compact_string} prints. Constants carry Xapi's
 * constructor names, which {@code LICENCE_RESTRICTION} names. Immutable.
 */
public enum LicenceFeature {
    VLAN("restrict_vlan", false, "VLAN", false),
    QoS("restrict_qos", false, "QoS", false),
    Shared_storage("restrict_pool_attached_storage", false, "SStorage", false),
    Netapp("restrict_netapp", false, "NTAP", false),
    Equalogic("restrict_equalogic", false, "EQL", false),
    Pooling("restrict_pooling", false, "Pool", false),
    HA("enable_xha", true, "XHA", false),
    Marathon("restrict_marathon", false, "MTC", false),
    Email("restrict_email_alerting", false, "email", false),
    Performance("restrict_historical_performance", false, "perf", false),
    WLB("restrict_wlb", false, "WLB", false),
    RBAC("restrict_rbac", false, "RBAC", false),
    DMC("restrict_dmc", false, "DMC", false),
    Checkpoint("restrict_checkpoint", false, "chpt", false),
    CPU_masking("restrict_cpu_masking", false, "Mask", false),
    Connection("restrict_connection", false, "Cnx", false),
    No_platform_filter("platform_filter", false, "Plat", false),
    No_nag_dialog("regular_nag_dialog", false, "nonag", false),
    VMPR("restrict_vmpr", false, "VMPR", false),
    VMSS("restrict_vmss", false, "VMSS", false),
    IntelliCache("restrict_intellicache", false, "IntelliCache", false),
    GPU("restrict_gpu", false, "GPU", false),
    DR("restrict_dr", false, "DR", false),
    VIF_locking("restrict_vif_locking", false, "VIFLock", false),
    Storage_motion("restrict_storage_xen_motion", false, "SXM", false),
    VGPU("restrict_vgpu", false, "vGPU", false),
    Integrated_GPU("restrict_integrated_gpu_passthrough", false, "iGPU", false),
    VSS("restrict_vss", false, "VSS", false),
    Guest_agent_auto_update("restrict_guest_agent_auto_update", false, "GAAU", false),
    PCI_device_for_auto_update("restrict_pci_device_for_auto_update", false, "PciAU", false),
    Xen_motion("restrict_xen_motion", false, "Live_migration", true),
    Guest_ip_setting("restrict_guest_ip_setting", false, "GuestIP", false),
    AD("restrict_ad", false, "AD", true),
    Nested_virt("restrict_nested_virt", false, "Nested_virt", false),
    Live_patching("restrict_live_patching", false, "Live_patching", false),
    Live_set_vcpus("restrict_set_vcpus_number_live", false, "Live_set_vcpus", false),
    PVS_proxy("restrict_pvs_proxy", false, "PVS_proxy", false),
    IGMP_snooping("restrict_igmp_snooping", false, "IGMP_snooping", false),
    RPU("restrict_rpu", false, "RPU", false),
    Pool_size("restrict_pool_size", false, "Pool_size", false),
    CBT("restrict_cbt", false, "CBT", false),
    USB_passthrough("restrict_usb_passthrough", false, "USB_passthrough", false),
    Network_sriov("restrict_network_sriov", false, "Network_sriov", false),
    Corosync("restrict_corosync", false, "Corosync", false),
    Cluster_address("restrict_cluster_address", false, "Cluster_address", false),
    Zstd_export("restrict_zstd_export", false, "Zstd_export", false),
    Pool_secret_rotation("restrict_pool_secret_rotation", false, "Pool_secret_rotation", false),
    Certificate_verification("restrict_certificate_verification", false, "Certificate_verification", false),
    Updates("restrict_updates", false, "Upd", true),
    Internal_repo_access("restrict_internal_repo_access", false, "Internal_repo_access", false),
    VTPM("restrict_vtpm", false, "VTPM", false),
    VM_groups("restrict_vm_groups", false, "VM_groups", false),
    VM_start("restrict_vm_start", false, "Start", true),
    VM_appliance_start("restrict_vm_appliance_start", false, "Start", true);

    /** The flag's key. */
    public final String flag;
    /** Whether {@code "true"} enables ({@code Positive}); else {@code "false"} does. */
    public final boolean positive;
    /** The tag of {@link #compactString}. */
    public final String tag;
    /** Enabled when the flag is missing or not a boolean ({@code Features.enabled_when_unknown}). */
    public final boolean enabledWhenUnknown;

    LicenceFeature(String flag, boolean positive, String tag, boolean enabledWhenUnknown) {
        this.flag = flag;
        this.positive = positive;
        this.tag = tag;
        this.enabledWhenUnknown = enabledWhenUnknown;
    }

    /**
     * Whether this feature is enabled by {@code flags} ({@code Features.of_assoc_list}): its flag parsed as OCaml's
     * {@code bool_of_string} (only {@code "true"} and {@code "false"}); anything else counts as unknown.
     */
    public boolean enabledBy(Map<String, String> flags) {
        String v = flags.get(flag);
        if ("true".equals(v) || "false".equals(v)) return v.equals("true") == positive;
        return enabledWhenUnknown;
    }

    /** The features {@code flags} enable. */
    public static Set<LicenceFeature> of(Map<String, String> flags) {
        Set<LicenceFeature> out = EnumSet.noneOf(LicenceFeature.class);
        for (LicenceFeature f : values()) if (f.enabledBy(flags)) out.add(f);
        return out;
    }

    /**
     * {@code Features.to_compact_string}: every feature's tag in order, blanked (spaces of its length) when not in
     * {@code enabled}, joined by spaces.
     */
    public static String compactString(Set<LicenceFeature> enabled) {
        StringJoiner j = new StringJoiner(" ");
        for (LicenceFeature f : values()) j.add(enabled.contains(f) ? f.tag : " ".repeat(f.tag.length()));
        return j.toString();
    }
}
