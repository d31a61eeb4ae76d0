package org.xapijava.server.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.model.ClassDef;
import org.xapijava.model.Datamodel;
import org.xapijava.model.FieldDef;
import org.xapijava.model.Lifecycle;
import org.xapijava.model.MessageDef;
import org.xapijava.model.ParamDef;
import org.xapijava.model.rbac.Rbac;
import org.xapijava.model.types.DateTime;
import org.xapijava.model.types.XType;
import org.xapijava.server.TestHost;

/**
 * Every message against every role, through the real dispatcher: a session holding a role's
 * permissions is denied exactly the messages the datamodel does not give that role, with Xapi's
 * {@code RBAC_PERMISSION_DENIED} parameters; the local superuser is never denied.
 */
class RbacDispatchTest {
    @TempDir
    static Path dir;

    static TestHost host;
    static final Datamodel DM = Datamodel.get();
    static final Rbac RBAC = Rbac.of(DM);

    @BeforeAll
    static void start() throws Exception {
        host = TestHost.start(dir);
    }

    @AfterAll
    static void stop() throws Exception {
        host.close();
    }

    /** A root session turned into a session of {@code role} (as an external user's login would make it). */
    static String sessionWithRole(String role) {
        String s = host.login();
        var db = host.server.services().db();
        db.transact(tx -> {
            tx.set("session", s, "is_local_superuser", false);
            tx.set("session", s, "rbac_permissions", RBAC.permissionsOf(role));
            tx.set("session", s, "auth_user_sid", "S-1-5-21-" + role);
        });
        return s;
    }

    @Test
    void everyMessageAgainstEveryRole() {
        int checked = 0;
        List<String> problems = new ArrayList<>();
        for (String role : RBAC.roleNames()) {
            String s = sessionWithRole(role);
            for (MessageDef m : host.server.messageTable().messages()) {
                if (m.sessionless()) continue;
                if (!host.server.services().sessions().isValid(s)) s = sessionWithRole(role);
                List<Object> params = new ArrayList<>();
                params.add(s);
                for (ParamDef p : m.callParams()) params.add(dummy(p.type()));
                Dispatcher.Outcome o = host.dispatcher().dispatch(m.wireName(), params, TestHost.remote());
                if (m.poolInternal() || m.lifecycle() == Lifecycle.REMOVED) {
                    // both are refused before RBAC (Xapi's order)
                    String want = m.poolInternal() ? "INTERNAL_ERROR" : "MESSAGE_REMOVED";
                    if (o.ok() || !o.error().code().equals(want))
                        problems.add(role + " " + m.wireName() + " expected " + want);
                    continue;
                }
                boolean denied = !o.ok() && o.error().code().equals("RBAC_PERMISSION_DENIED");
                boolean allowed = m.roles().contains(role);
                checked++;
                if (denied == allowed) {
                    problems.add(role + " " + m.wireName() + " allowed=" + allowed + " got "
                            + (o.ok() ? "success" : o.error().description()));
                } else if (denied) {
                    String perm = RBAC.permissionFor(m, m.mapKeyRoles().isEmpty() ? null : "");
                    if (!o.error().description().equals(RBAC.denied(perm).description())) {
                        problems.add(role + " " + m.wireName() + " wrong denial "
                                + o.error().description());
                    }
                }
            }
        }
        assertTrue(
                problems.isEmpty(),
                problems.size() + " mismatches, e.g. " + problems.subList(0, Math.min(20, problems.size())));
        assertTrue(checked > 7 * 1500, "checked " + checked);
    }

    @Test
    void mapKeyPermissions() {
        String operator = sessionWithRole("vm-operator");
        String readOnly = sessionWithRole("read-only");
        String vm = createVm();
        // "folder" is open to vm-operator and above
        host.ok("VM.add_to_other_config", operator, vm, "folder", "/a");
        assertEquals(
                RBAC.denied("vm.add_to_other_config/key:folder").description(),
                host.err("VM.add_to_other_config", readOnly, vm, "folder", "/b"));
        // "pci" needs pool-admin
        assertEquals(
                RBAC.denied("vm.add_to_other_config/key:pci").description(),
                host.err("VM.add_to_other_config", operator, vm, "pci", "0/0000:00:00.0"));
        host.ok("VM.add_to_other_config", sessionWithRole("pool-admin"), vm, "pci", "0/0000:00:00.0");
        // the wildcard key
        host.ok("VM.add_to_other_config", operator, vm, "XenCenter.CustomFields.colour", "blue");
    }

    @Test
    void wholeMapSettersNeedTheKeyPermissionsOfWhatTheyChange() {
        String operator = sessionWithRole("vm-operator");
        String vm = createVm();
        host.ok("VM.add_to_other_config", sessionWithRole("pool-admin"), vm, "pci", "0/0000:00:00.0");
        // keeping the protected key unchanged is fine for a VM admin
        String admin = sessionWithRole("vm-admin");
        host.ok("VM.set_other_config", admin, vm, Map.of("pci", "0/0000:00:00.0", "other", "x"));
        // changing or dropping it needs pool-admin
        assertEquals(
                RBAC.denied("vm.add_to_other_config/key:pci").description(),
                host.err("VM.set_other_config", admin, vm, Map.of("pci", "1/0000:00:01.0")));
        assertEquals(
                RBAC.denied("vm.remove_from_other_config/key:pci").description(),
                host.err("VM.set_other_config", admin, vm, Map.of("other", "x")));
        assertEquals(
                "RBAC_PERMISSION_DENIED",
                host.err("VM.set_other_config", operator, vm, Map.of()).get(0));
    }

    @Test
    void deniedCallsChangeNothing() {
        String readOnly = sessionWithRole("read-only");
        String vm = createVm();
        long g = host.server.services().db().generation();
        List<String> e = host.err("VM.set_name_label", readOnly, vm, "renamed");
        assertEquals("RBAC_PERMISSION_DENIED", e.get(0));
        assertEquals("vm.set_name_label", e.get(1));
        assertTrue(e.get(2).startsWith("No permission in user session. (Roles with this permission: "), e.get(2));
        assertEquals(g, host.server.services().db().generation());
    }

    static String createVm() {
        String root = host.login();
        Map<String, Object> rec = new LinkedHashMap<>();
        for (FieldDef f : DM.cls("VM").wireFields()) rec.put(f.name(), dummy(f.type()));
        rec.put("name_label", "rbac-test");
        return (String) host.ok("VM.create", root, rec);
    }

    /** A well-typed value of {@code t}, so decoding succeeds and RBAC is reached. */
    static Object dummy(XType t) {
        return switch (t) {
            case XType.Prim p ->
                switch (p.kind()) {
                    case STRING -> "";
                    case INT -> "0";
                    case FLOAT -> 0.0;
                    case BOOL -> false;
                    case DATETIME -> DateTime.EPOCH;
                    case VOID -> "";
                };
            case XType.EnumType e -> DM.enumDef(e.name()).values().get(0);
            case XType.RefType r -> "OpaqueRef:NULL";
            case XType.SetType s -> List.of();
            case XType.MapType m -> Map.of();
            case XType.RecordType r -> {
                ClassDef c = DM.cls(r.cls());
                Map<String, Object> rec = new LinkedHashMap<>();
                if (c != null) for (FieldDef f : c.wireFields()) rec.put(f.name(), dummy(f.type()));
                yield rec;
            }
            case XType.OptionType o -> List.of();
        };
    }
}
