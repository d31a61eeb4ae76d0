package org.xapijava.model.rbac;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.xapijava.model.ClassDef;
import org.xapijava.model.Datamodel;
import org.xapijava.model.MapKeyRole;
import org.xapijava.model.MessageDef;
import org.xapijava.model.errors.ApiError;

class RbacTest {
    private final Datamodel dm = Datamodel.get();
    private final Rbac rbac = Rbac.of(dm);

    private static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    @Test
    void builtOnceForTheDatamodel() {
        assertSame(rbac, Rbac.of(Datamodel.get()));
        assertSame(rbac, Rbac.get());
    }

    @Test
    void uuidsAreMd5OfTheName() {
        // Constants.rbac_pool_admin_uuid, and the uuids `xe role-list` prints in the XenServer manuals
        assertEquals("0165f154-ba3e-034e-6b27-5d271af109ba", Rbac.uuidOf("pool-admin"));
        assertEquals("b9ce9791-0604-50cd-0649-09b3284c7dfd", Rbac.uuidOf("pool-operator"));
        assertEquals("7955168d-7bec-10ed-105f-c6a7e6e63249", Rbac.uuidOf("vm-power-admin"));
        assertEquals("aaa00ab5-7340-bfbc-0d1b-7cf342639a6e", Rbac.uuidOf("vm-admin"));
        assertEquals("fb8d4ff9-310c-a959-0613-54101535d3d5", Rbac.uuidOf("vm-operator"));
        assertEquals("7233b8e3-eacb-d7da-2c95-f2e581cdbf4e", Rbac.uuidOf("read-only"));
        assertEquals("OpaqueRef:0165f154-ba3e-034e-6b27-5d271af109ba", Rbac.refOf("pool-admin"));
        // permissions hash their original-case name
        assertFalse(Rbac.uuidOf("VM.start").equals(Rbac.uuidOf("vm.start")));
        assertEquals(
                Rbac.uuidOf("VM.start"),
                rbac.record(rbac.getByNameLabel("vm.start").get(0)).get("uuid"));
    }

    @Test
    void permissionCounts() {
        int messages = 0;
        int keys = 0;
        for (ClassDef c : dm.classes()) {
            for (MessageDef m : c.messages().values()) {
                messages++;
                keys += m.mapKeyRoles().size();
            }
        }
        int http = 0;
        for (var h : dm.httpActions()) http += 1 + h.path("subActions").size();
        int extra = dm.extraPermissions().size();
        List<String> perms = rbac.permissions();
        assertEquals(messages + keys + http + extra, perms.size());
        assertEquals(perms.size(), new HashSet<>(perms).size(), "permission names are unique");
        Set<String> lowered = new HashSet<>();
        for (String p : perms) lowered.add(lower(p));
        assertEquals(perms.size(), lowered.size(), "unique ignoring case");
        assertTrue(perms.contains("VM.start"));
        assertTrue(perms.contains("VM.add_to_other_config/key:XenCenter.CustomFields.*"));
        assertTrue(perms.contains("http/get_export"));
        assertTrue(perms.contains("http/connect_console/host_console"));
        assertTrue(perms.contains("http/connect_console_ws/host_console_ws"));
        assertTrue(perms.contains("http/get_vncsnapshot/host_console"));
        assertTrue(perms.contains("task.destroy/any"));
        assertEquals("task.destroy/any", perms.get(perms.size() - 1), "extra permissions come last");

        StringBuilder report = new StringBuilder("permissions=" + perms.size() + " (messages=" + messages + ", keys="
                + keys + ", http=" + http + ", extra=" + extra + "), role objects="
                + rbac.allRefs().size() + "; per role:");
        for (Datamodel.Role r : dm.roles())
            report.append(' ')
                    .append(r.name())
                    .append('=')
                    .append(rbac.permissionsOf(r.name()).size() - 1);
        int noRole = 0;
        for (String p : perms) if (rbac.rolesWith(p).isEmpty()) noRole++;
        report.append("; local-superuser only=").append(noRole);
        System.out.println(report);

        int poolAdmin = rbac.permissionsOf("pool-admin").size() - 1;
        assertEquals(perms.size() - noRole, poolAdmin, "pool-admin holds every permission some role holds");
        assertEquals(poolAdmin + dm.roles().size(), rbac.allRefs().size());
    }

    @Test
    void higherRolesHoldEveryPermissionOfLowerOnes() {
        List<String> ordered = new ArrayList<>();
        for (Datamodel.Role r : dm.roles()) if (!r.name().equals("client-cert")) ordered.add(r.name());
        assertEquals(
                List.of("pool-admin", "pool-operator", "vm-power-admin", "vm-admin", "vm-operator", "read-only"),
                ordered);
        for (int i = 0; i + 1 < ordered.size(); i++) {
            Set<String> hi = permsOnly(ordered.get(i));
            Set<String> lo = permsOnly(ordered.get(i + 1));
            assertTrue(hi.containsAll(lo), ordered.get(i) + " ⊇ " + ordered.get(i + 1));
            assertTrue(hi.size() > lo.size(), ordered.get(i) + " has more than " + ordered.get(i + 1));
        }
        Set<String> cc = permsOnly("client-cert");
        // client-cert sits beside the chain: within pool-operator, above read-only, not comparable with vm-*
        assertTrue(permsOnly("pool-operator").containsAll(cc));
        assertTrue(cc.containsAll(permsOnly("read-only")));
        assertFalse(cc.containsAll(permsOnly("vm-operator")), "client-cert lacks VM.start");
        assertFalse(permsOnly("vm-power-admin").containsAll(cc), "client-cert has pool-operator permissions");
    }

    private Set<String> permsOnly(String role) {
        List<String> l = rbac.permissionsOf(role);
        assertEquals(role, l.get(l.size() - 1), "the role's own name comes last");
        return new HashSet<>(l.subList(0, l.size() - 1));
    }

    @Test
    void everyMessageAgainstEveryRole() {
        int checked = 0;
        for (ClassDef c : dm.classes()) {
            for (MessageDef m : c.messages().values()) {
                String p = m.mapKeyRoles().isEmpty()
                        ? rbac.permissionFor(m, null)
                        : rbac.permissionFor(m, "an-unprotected-key-\u00e9");
                assertEquals(lower(m.wireName()), p);
                checkRoles(p, m.roles());
                for (MapKeyRole k : m.mapKeyRoles()) {
                    String key =
                            k.key().endsWith("*") ? k.key().substring(0, k.key().length() - 1) + "Anything" : k.key();
                    String kp = rbac.permissionFor(m, key);
                    assertEquals(lower(m.wireName() + "/key:" + k.key()), kp);
                    checkRoles(kp, k.roles());
                    checked++;
                }
                checked++;
            }
        }
        for (var h : dm.httpActions()) {
            List<String> roles = new ArrayList<>();
            h.path("roles").forEach(r -> roles.add(r.asText()));
            checkRoles("http/" + lower(h.path("name").asText()), roles);
        }
        for (Datamodel.ExtraPermission e : dm.extraPermissions()) checkRoles(e.name(), e.roles());
        assertTrue(checked > 1900, "checked " + checked);
    }

    private void checkRoles(String permission, List<String> allowed) {
        assertEquals(new LinkedHashSet<>(allowed), new HashSet<>(rbac.rolesWith(permission)), permission);
        for (Datamodel.Role r : dm.roles()) {
            assertEquals(
                    allowed.contains(r.name()),
                    rbac.permissionsOf(r.name()).contains(permission),
                    permission + " / " + r.name());
        }
        String ref = rbac.getByNameLabel(permission).isEmpty()
                ? null
                : rbac.getByNameLabel(permission).get(0);
        assertEquals(!allowed.isEmpty(), ref != null, permission + " is a role object iff some role holds it");
        if (ref != null) assertEquals(allowed.size(), rbac.rolesContaining(ref).size(), permission);
    }

    @Test
    void mapKeyPermissions() {
        MessageDef add = dm.message("VM.add_to_other_config");
        assertEquals("vm.add_to_other_config/key:folder", rbac.permissionFor(add, "folder"));
        assertEquals(
                "vm.add_to_other_config/key:xencenter.customfields.*",
                rbac.permissionFor(add, "XenCenter.CustomFields.foo"));
        assertEquals(
                "vm.add_to_other_config/key:xencenter.customfields.*",
                rbac.permissionFor(add, "XenCenter.CustomFields."));
        assertEquals("vm.add_to_other_config/key:pci", rbac.permissionFor(add, "pci"));
        assertEquals("vm.add_to_other_config", rbac.permissionFor(add, "Folder"), "keys match case-sensitively");
        assertEquals("vm.add_to_other_config", rbac.permissionFor(add, "XenCenter.Custom"));
        assertEquals("vm.add_to_other_config", rbac.permissionFor(add, "owner"));
        assertEquals("vm.add_to_other_config/keyERR:DENY_NOKEY", rbac.permissionFor(add, null));
        assertEquals(
                "vm.add_to_other_config/key:folder",
                rbac.permissionFor("Async.VM.add_to_other_config".substring(6), add, "folder"));
        assertEquals("vm_add_to_other_config/key:folder", rbac.permissionFor("VM_add_to_other_config", add, "folder"));
        assertEquals("vm.start", rbac.permissionFor(dm.message("VM.start"), "folder"));
        assertEquals(
                "vm.remove_from_platform/key:hvm_serial",
                rbac.permissionFor(dm.message("VM.remove_from_platform"), "hvm_serial"));
        assertEquals(Set.of("pool-admin"), rbac.rolesWith("vm.add_to_other_config/key:pci"));
        assertEquals(5, rbac.rolesWith("VM.add_to_other_config/key:folder").size());
        assertTrue(rbac.permissionsOf("vm-operator").contains("vm.add_to_other_config/key:xencenter.customfields.*"));
        assertFalse(rbac.permissionsOf("vm-operator").contains("vm.add_to_other_config"));
        assertTrue(rbac.permissionsOf("vm-admin").contains("vm.add_to_other_config"));
    }

    @Test
    void roleListingOrderIsXapiGeneratorOrder() {
        // least recently granted a permission first: the last permissions generated are get_updates
        // (pool-admin, pool-operator, client-cert), put_bundle and task.destroy/any (pool-admin, pool-operator)
        assertEquals(
                List.of(
                        "vm-power-admin",
                        "vm-admin",
                        "vm-operator",
                        "read-only",
                        "client-cert",
                        "pool-admin",
                        "pool-operator"),
                rbac.roleNames());
        assertEquals(
                List.of("vm-power-admin", "vm-admin", "vm-operator", "pool-admin", "pool-operator"),
                List.copyOf(rbac.rolesWith("vm.start")));
    }

    @Test
    void deniedText() {
        ApiError e = rbac.denied("vm.start");
        assertEquals("RBAC_PERMISSION_DENIED", e.code());
        assertEquals(
                List.of(
                        "vm.start",
                        "No permission in user session. (Roles with this permission: vm-power-admin, vm-admin, vm-operator, pool-admin, pool-operator)"),
                e.params());
        assertEquals(
                "No permission in user session. (Roles with this permission: pool-admin)",
                rbac.denied("vm.add_to_other_config/key:hvm_serial").params().get(1));
        assertEquals(
                "No permission in user session. (Roles with this permission: pool-admin, pool-operator)",
                rbac.denied("task.destroy/any").params().get(1));
        assertEquals(
                "No permission in user session. (Roles with this permission: )",
                rbac.denied("session.change_password").params().get(1));
        assertEquals(
                "No permission in user session. (Roles with this permission: )",
                rbac.denied("vm_start").params().get(1));
        assertEquals(
                List.of("RBAC_PERMISSION_DENIED", "vm.start", "no session in context"),
                Rbac.deniedWithoutSession("vm.start").description());
    }

    @Test
    void messageOrderFollowsXapi() {
        List<String> vm = new ArrayList<>();
        for (MessageDef m : Rbac.xapiMessageOrder(dm.cls("VM"))) vm.add(m.name());
        assertEquals(
                List.of(
                        "get_record",
                        "get_by_uuid",
                        "create",
                        "destroy",
                        "get_by_name_label",
                        "get_uuid",
                        "get_allowed_operations",
                        "get_current_operations",
                        "get_name_label"),
                vm.subList(0, 9));
        assertEquals(List.of("get_all", "get_all_records"), vm.subList(vm.size() - 2, vm.size()));
        assertTrue(vm.indexOf("snapshot") < vm.indexOf("start"));
        assertTrue(vm.indexOf("set_name_label") < vm.indexOf("snapshot"), "setters before explicit messages");
        assertTrue(vm.indexOf("get_uuid") < vm.indexOf("set_name_label"), "getters before setters");
        assertTrue(vm.indexOf("restart_device_models") < vm.indexOf("csvm"), "messages missing from xenapi.json after");
        assertEquals(dm.cls("VM").messages().size(), vm.size());
        List<String> perms = rbac.permissions();
        assertEquals("session.get_record", perms.get(0));
        int add = perms.indexOf("VM.add_to_other_config");
        assertEquals(
                List.of(
                        "VM.add_to_other_config/key:hvm_serial",
                        "VM.add_to_other_config/key:pci",
                        "VM.add_to_other_config/key:folder",
                        "VM.add_to_other_config/key:XenCenter.CustomFields.*"),
                perms.subList(add + 1, add + 5));
        int http = perms.indexOf("http/connect_console");
        assertEquals("http/connect_console/host_console", perms.get(http + 1));
    }

    @Test
    void roleObjects() {
        String pa = Rbac.refOf("pool-admin");
        Map<String, Object> rec = rbac.record(pa);
        assertEquals(
                List.of("uuid", "name_label", "name_description", "subroles", "is_internal"),
                List.copyOf(rec.keySet()));
        assertEquals("0165f154-ba3e-034e-6b27-5d271af109ba", rec.get("uuid"));
        assertEquals("pool-admin", rec.get("name_label"));
        assertTrue(((String) rec.get("name_description")).startsWith("The Pool Administrator role"));
        assertEquals(false, rec.get("is_internal"));
        assertEquals(true, rbac.record(Rbac.refOf("client-cert")).get("is_internal"));
        @SuppressWarnings("unchecked")
        List<String> subroles = (List<String>) rec.get("subroles");
        assertEquals(rbac.whereSubrolesEmpty(), subroles, "pool-admin's permissions are the permission objects");

        String start = Rbac.refOf("VM.start");
        Map<String, Object> perm = rbac.record(start);
        assertEquals(
                Map.of(
                        "uuid",
                        Rbac.uuidOf("VM.start"),
                        "name_label",
                        "vm.start",
                        "name_description",
                        "A basic permission",
                        "subroles",
                        List.of(),
                        "is_internal",
                        true),
                perm);

        List<String> all = rbac.allRefs();
        assertEquals(rbac.whereSubrolesEmpty().size() + 7, all.size());
        assertEquals(all.subList(all.size() - 7, all.size()), rbac.allWhere("subroles<>[]"));
        assertEquals(rbac.whereSubrolesNotEmpty(), rbac.allWhere("subroles<>[]"));
        assertEquals(rbac.whereSubrolesEmpty(), rbac.allWhere("subroles=[]"));
        assertEquals(all, rbac.allWhere("subroles <> []"), "other expressions select everything");
        assertEquals(all, rbac.allWhere("true"));
        assertEquals(List.copyOf(rbac.allRecords().keySet()), all);
        assertEquals(7, rbac.allRecordsWhere("subroles<>[]").size());
        assertFalse(
                rbac.isValid(Rbac.refOf("session.change_password")),
                "local-superuser-only permissions are not objects");
        assertTrue(rbac.isValid(start));
        assertTrue(rbac.isRole(pa));
        assertFalse(rbac.isRole(start));

        assertEquals(pa, rbac.getByUuid("0165f154-ba3e-034e-6b27-5d271af109ba"));
        ApiError bad = assertThrows(ApiError.class, () -> rbac.getByUuid("nope"));
        assertEquals(List.of("UUID_INVALID", "role", "nope"), bad.description());
        ApiError badRef = assertThrows(ApiError.class, () -> rbac.record("OpaqueRef:nope"));
        assertEquals(List.of("HANDLE_INVALID", "role", "OpaqueRef:nope"), badRef.description());
        assertEquals(List.of(start), rbac.getByNameLabel("vm.start"));
        assertEquals(List.of(), rbac.getByNameLabel("VM.start"), "name_label lookup is exact");
        assertEquals(List.of(Rbac.refOf("read-only")), rbac.getByNameLabel("read-only"));

        List<String> perms = rbac.permissionsOfRole(Rbac.refOf("read-only"));
        List<String> subs = new ArrayList<>(
                (List<String>) rbac.record(Rbac.refOf("read-only")).get("subroles"));
        java.util.Collections.reverse(subs);
        assertEquals(subs, perms, "leaves come in reversed subroles order");
        assertEquals(List.of(start), rbac.permissionsOfRole(start));
        assertEquals(List.of("vm.start"), rbac.permissionLabelsOfRole(start));
        List<String> vmOpRoles = List.of(
                Rbac.refOf("vm-power-admin"),
                Rbac.refOf("vm-admin"),
                Rbac.refOf("vm-operator"),
                Rbac.refOf("pool-admin"),
                Rbac.refOf("pool-operator"));
        assertEquals(vmOpRoles, rbac.rolesContaining(start));
        assertEquals(vmOpRoles, rbac.rolesContainingLabel("vm.start"));
        assertEquals(List.of(), rbac.rolesContaining(pa));
        assertEquals(List.of(), rbac.rolesContainingLabel("VM.start"));
    }

    @Test
    void sessionPermissionsFollowXapiUnionOrder() {
        List<String> ro = rbac.permissionsOf("read-only");
        List<String> labels = rbac.permissionLabelsOfRole(Rbac.refOf("read-only"));
        List<String> inSubrolesOrder = new ArrayList<>(labels);
        java.util.Collections.reverse(inSubrolesOrder);
        inSubrolesOrder.add("read-only");
        assertEquals(inSubrolesOrder, ro);
        assertTrue(ro.contains("session.get_record"));
        assertTrue(ro.contains("http/get_root"));

        String vmOp = Rbac.refOf("vm-operator");
        String readOnly = Rbac.refOf("read-only");
        List<String> both = rbac.sessionPermissions(List.of(List.of(readOnly), List.of(vmOp, "OpaqueRef:gone")));
        assertEquals(new HashSet<>(union(rbac.permissionsOf("vm-operator"), ro)), new HashSet<>(both));
        assertEquals(both.size(), new HashSet<>(both).size());
        // role union [gone; vm-operator; read-only] (later subjects first, each reversed); each known role adds
        // its block (permissions in subroles order, then its name) in front, and a duplicate keeps its last
        // place: read-only's permissions all recur in vm-operator's block, only its name stays in front
        assertEquals(union(List.of("read-only"), rbac.permissionsOf("vm-operator")), both);
        assertEquals(List.of(), rbac.sessionPermissions(List.of(List.of("OpaqueRef:gone"))));
        assertEquals(List.of(), rbac.permissionsOf("nobody"));
    }

    private static List<String> union(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    @Test
    void asciiLowerLeavesOtherLettersAlone() {
        assertEquals("vm.start/key:xencenter.é", Rbac.asciiLower("VM.start/key:XenCenter.é"));
        assertEquals("Ä", Rbac.asciiLower("Ä"));
    }
}
