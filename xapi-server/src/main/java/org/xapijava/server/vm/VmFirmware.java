package org.xapijava.server.vm;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xapijava.db.Db;
import org.xapijava.db.Update;
import org.xapijava.model.BiosStrings;
import org.xapijava.model.api.ErrorCodes;
import org.xapijava.model.api.Host;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.enums.UpdateStatus;
import org.xapijava.model.api.enums.VmSecurebootReadiness;
import org.xapijava.model.api.enums.VmUefiMode;
import org.xapijava.model.errors.ApiError;
import org.xapijava.server.xenops.MetadataBuilder;
import org.xapijava.xenopsd.Vm;

/**
 * A VM's firmware settings as Xapi keeps them ({@code xapi_vm.ml}, {@code xapi_vm_helpers.ml}): BIOS strings
 * ({@code set_bios_strings}, {@code copy_bios_strings}), the NVRAM's {@code EFI-variables} as varstored writes them
 * ({@code set_NVRAM_EFI_variables}), and the secure-boot tools of varstored ({@code set_uefi_mode} runs
 * {@code varstore-sb-state}, {@code get_secureboot_readiness} reads {@code varstore-ls}; their paths are the
 * {@code varstore-sb-state} and {@code varstore-ls} settings, Xapi's defaults under {@code /usr/bin}). None of these
 * is marked with an operation in Xapi. Each database change is one {@link Update} conditional on the VM as read.
 * Thread-safe.
 */
final class VmFirmware {
    /** {@code Constants.settable_vm_bios_string_keys}. */
    static final List<String> SETTABLE_BIOS_STRING_KEYS = List.of(
            "bios-vendor",
            "bios-version",
            "system-manufacturer",
            "system-product-name",
            "system-version",
            "system-serial-number",
            "baseboard-manufacturer",
            "baseboard-product-name",
            "baseboard-version",
            "baseboard-serial-number",
            "baseboard-asset-tag",
            "baseboard-location-in-chassis",
            "enclosure-asset-tag");

    /** {@code Constants.bios_string_limit_size}: the longest value, in bytes. */
    static final int BIOS_STRING_LIMIT_SIZE = 512;

    /** The NVRAM key varstored keeps the UEFI variables under. */
    static final String EFI_VARIABLES = "EFI-variables";

    private final Db data;
    private final Path varstoreSbState;
    private final Path varstoreLs;

    VmFirmware(Db data, Path varstoreSbState, Path varstoreLs) {
        this.data = data;
        this.varstoreSbState = varstoreSbState;
        this.varstoreLs = varstoreLs;
    }

    /**
     * {@code VM.set_bios_strings}: only while the VM has none ({@code VM_BIOS_STRINGS_ALREADY_SET []}); the given
     * keys must be settable, with values of 1 to 512 bytes of printable ASCII ({@code INVALID_VALUE [key, reason]},
     * checked in the order given). The VM gets the generic strings with the given ones in their place.
     */
    void setBiosStrings(String vm, Map<String, String> value) {
        Db.retrying(() -> {
            long read = data.modified(VM.XAPI_CLASS, vm);
            if (!data.get(vm, VM.BIOS_STRINGS).isEmpty()) throw new ApiError(ErrorCodes.VM_BIOS_STRINGS_ALREADY_SET);
            assertValidBiosStrings(value);
            Map<String, String> strings = new LinkedHashMap<>(BiosStrings.GENERIC);
            strings.replaceAll((k, v) -> value.getOrDefault(k, v));
            data.apply(Update.builder()
                    .unchanged(VM.XAPI_CLASS, vm, read)
                    .set(vm, VM.BIOS_STRINGS, strings)
                    .build());
        });
    }

    /** {@code assert_valid_bios_strings}. */
    static void assertValidBiosStrings(Map<String, String> value) {
        for (Map.Entry<String, String> e : value.entrySet()) {
            String k = e.getKey();
            String v = e.getValue();
            if (!SETTABLE_BIOS_STRING_KEYS.contains(k)) throw ApiError.invalidValue(k, "Unknown key");
            int len = v.getBytes(StandardCharsets.UTF_8).length; // OCaml's String.length counts bytes
            if (len == 0) throw ApiError.invalidValue(k, "Value provided is empty");
            if (len > BIOS_STRING_LIMIT_SIZE) {
                throw ApiError.invalidValue(k, v + " has length more than " + BIOS_STRING_LIMIT_SIZE + " characters");
            }
            for (int i = 0; i < v.length(); i++) {
                char c = v.charAt(i);
                if (c < 32 || c >= 127) throw ApiError.invalidValue(k, v + " has non-printable ASCII characters");
            }
        }
    }

    /**
     * {@code VM.copy_bios_strings}: only while the VM has none ({@code VM_BIOS_STRINGS_ALREADY_SET []}); the VM gets
     * the host's BIOS strings, and the host becomes its {@code affinity}.
     */
    void copyBiosStrings(String vm, String host) {
        Db.retrying(() -> {
            long read = data.modified(VM.XAPI_CLASS, vm);
            if (!data.get(vm, VM.BIOS_STRINGS).isEmpty()) throw new ApiError(ErrorCodes.VM_BIOS_STRINGS_ALREADY_SET);
            long hostRead = data.modified(Host.XAPI_CLASS, host);
            Map<String, String> strings = data.get(host, Host.BIOS_STRINGS);
            data.apply(Update.builder()
                    .unchanged(VM.XAPI_CLASS, vm, read)
                    .unchanged(Host.XAPI_CLASS, host, hostRead)
                    .set(vm, VM.BIOS_STRINGS, strings)
                    .set(vm, VM.AFFINITY, host)
                    .build());
        });
    }

    /**
     * {@code VM.set_NVRAM_EFI_variables} (varstored's call, in any power state): {@code NVRAM:EFI-variables}
     * replaced in one step (the NVRAM is never without it in between). Xapi then records what {@code update} says in
     * {@code VM.secureboot_certificates_state}, a field of a later release than this datamodel's: {@code update} is
     * accepted and has nothing to update here.
     */
    void setNvramEfiVariables(String vm, String value, UpdateStatus update) {
        Db.retrying(() -> {
            long read = data.modified(VM.XAPI_CLASS, vm);
            Map<String, String> nvram = new LinkedHashMap<>();
            nvram.put(EFI_VARIABLES, value);
            for (Map.Entry<String, String> e : data.get(vm, VM.NVRAM).entrySet()) {
                if (!e.getKey().equals(EFI_VARIABLES)) nvram.put(e.getKey(), e.getValue());
            }
            data.apply(Update.builder()
                    .unchanged(VM.XAPI_CLASS, vm, read)
                    .set(vm, VM.NVRAM, nvram)
                    .build());
        });
    }

    /**
     * {@code VM.set_uefi_mode}: {@code varstore-sb-state <vm uuid> setup|user}, which edits the VM's UEFI variables
     * (through this API); its output is the answer. Without varstored's tools this is Xapi's
     * {@code INTERNAL_ERROR ["Unix.Unix_error(Unix.ENOENT, \"access\", \"/usr/bin/varstore-sb-state\")"]}.
     */
    String setUefiMode(String vm, VmUefiMode mode) {
        String uuid = data.get(vm, VM.UUID);
        return Scripts.call(varstoreSbState, List.of(uuid, mode.wire()));
    }

    /**
     * {@code VM.get_secureboot_readiness}: {@code not_supported} for BIOS firmware, {@code disabled} without
     * {@code platform:secureboot}, {@code first_boot} while the NVRAM has no {@code EFI-variables}; otherwise what
     * {@code varstore-ls <vm uuid>} lists: PK, KEK, db and dbx {@code ready}, all but dbx {@code ready_no_dbx}, no PK
     * {@code setup_mode}, else {@code certs_incomplete}. A firmware or {@code EFI-variables-on-boot} Xapi does not
     * know is {@code INVALID_VALUE} ({@code firmware_of_vm}).
     */
    VmSecurebootReadiness getSecurebootReadiness(String vm) {
        Vm.Firmware firmware = MetadataBuilder.firmwareOf(data, vm);
        if (!firmware.uefi()) return VmSecurebootReadiness.NOT_SUPPORTED;
        if (!platformTrue(data.get(vm, VM.PLATFORM).get("secureboot"))) return VmSecurebootReadiness.DISABLED;
        if (!data.get(vm, VM.NVRAM).containsKey(EFI_VARIABLES)) return VmSecurebootReadiness.FIRST_BOOT;
        String listing = Scripts.call(varstoreLs, List.of(data.get(vm, VM.UUID)));
        List<String> keys = new ArrayList<>();
        for (String line : listing.split("\n", -1)) {
            String[] words = line.split(" ", -1); // "<GUID> <name>"
            if (words.length > 1) keys.add(words[1]);
        }
        boolean pk = keys.contains("PK");
        boolean kek = keys.contains("KEK");
        boolean db = keys.contains("db");
        boolean dbx = keys.contains("dbx");
        if (pk && kek && db) return dbx ? VmSecurebootReadiness.READY : VmSecurebootReadiness.READY_NO_DBX;
        if (!pk) return VmSecurebootReadiness.SETUP_MODE;
        return VmSecurebootReadiness.CERTS_INCOMPLETE;
    }

    /** {@code Vm_platform.is_true} with default false. */
    private static boolean platformTrue(String v) {
        if (v == null) return false;
        return switch (v.toLowerCase(java.util.Locale.ROOT)) {
            case "true", "1" -> true;
            default -> false;
        };
    }
}
