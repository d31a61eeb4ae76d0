package org.xapijava.server.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The OCaml orders, against values printed by the OCaml 4.13 toplevel ({@code Obj.magic `tag : int},
 * {@code Hashtbl.fold} over {@code Hashtbl.create 10} filled with {@code replace}, {@code List.sort_uniq}).
 */
class OcamlOrderTest {
    @Test
    void variantHashesAreTheCompilersValues() {
        Map<String, Integer> ocaml = Map.of(
                "attach",
                -535823419,
                "changing_VCPUs",
                -956142737,
                "unplug_force",
                -366422381,
                "vdi_list_changed_blocks",
                494850990,
                "exchange_ca_certificates_on_join",
                85604460,
                "a",
                97,
                "update_allowed_operations",
                752304921);
        ocaml.forEach((tag, v) -> assertEquals(v, OcamlOrder.variantHash(tag), tag));
    }

    @Test
    void hashtableFoldOrdersAreXapis() {
        assertEquals(
                List.of("attach", "unpause", "unplug", "plug", "insert", "unplug_force", "pause", "eject"),
                VbdChecker.FOLD_ORDER);
        assertEquals(List.of("attach", "unplug", "plug"), VifChecker.FOLD_ORDER);
        assertEquals(
                List.of(
                        "vm_migrate",
                        "provision",
                        "vm_resume",
                        "apply_updates",
                        "enable",
                        "power_on",
                        "reboot",
                        "evacuate",
                        "vm_start",
                        "shutdown"),
                HostChecker.FOLD_ORDER);
        assertEquals(
                List.of(
                        "vdi_enable_cbt",
                        "vdi_list_changed_blocks",
                        "vdi_introduce",
                        "destroy",
                        "unplug",
                        "plug",
                        "pbd_create",
                        "vdi_disable_cbt",
                        "update",
                        "pbd_destroy",
                        "vdi_resize",
                        "forget",
                        "vdi_clone",
                        "vdi_data_destroy",
                        "scan",
                        "vdi_snapshot",
                        "vdi_mirror",
                        "vdi_create",
                        "vdi_revert",
                        "vdi_destroy",
                        "vdi_set_on_boot"),
                SrChecker.FOLD_ORDER);
    }

    @Test
    void setOrderIsTheVariantOrder() {
        assertEquals(
                List.of(
                        "copy",
                        "generate_config",
                        "clone",
                        "resize_online",
                        "forget",
                        "update",
                        "resize",
                        "snapshot",
                        "destroy"),
                VdiChecker.LISTED);
    }

    @Test
    void sortUniqKeepsTheFirstPairOfEachOperation() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("r1", "plug");
        m.put("r2", "scan");
        m.put("r3", "scan");
        m.put("r4", "scan");
        m.put("r5", "plug");
        List<String> refs = new ArrayList<>();
        OcamlOrder.sortUniqByOp(m).forEach(e -> refs.add(e.getKey()));
        assertEquals(List.of("r1", "r2"), refs);
        Map<String, String> m2 = new LinkedHashMap<>();
        m2.put("r1", "scan");
        m2.put("r2", "plug");
        m2.put("r3", "scan");
        refs.clear();
        OcamlOrder.sortUniqByOp(m2).forEach(e -> refs.add(e.getKey()));
        assertEquals(List.of("r2", "r1"), refs);
    }
}
