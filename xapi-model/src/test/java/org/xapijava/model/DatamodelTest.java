package org.xapijava.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xapijava.model.api.VM;
import org.xapijava.model.api.enums.VmPowerState;
import org.xapijava.model.errors.ErrorRegistry;
import org.xapijava.model.types.Refs;
import org.xapijava.model.types.Values;
import org.xapijava.model.types.XType;

class DatamodelTest {
    private final Datamodel dm = Datamodel.get();

    @Test
    void hasAllPublishedClasses() {
        assertEquals(67, dm.classes().size());
        for (String c : List.of(
                "session",
                "task",
                "event",
                "pool",
                "VM",
                "host",
                "SR",
                "VDI",
                "VBD",
                "VIF",
                "network",
                "PIF",
                "message",
                "role",
                "subject",
                "Observer",
                "Repository")) {
            assertNotNull(dm.cls(c), c);
        }
        assertEquals("VM", dm.clsIgnoreCase("vm").name());
    }

    @Test
    void fieldsCarryTypeQualifierDefaultAndColumn() {
        ClassDef vm = dm.cls("VM");
        FieldDef nl = vm.field("name_label");
        assertEquals("name__label", nl.column());
        assertEquals(XType.STRING, nl.type());
        assertEquals(Qualifier.RW, nl.qualifier());
        assertEquals("", nl.defaultValue());
        FieldDef ps = vm.field("power_state");
        assertEquals(new XType.EnumType("vm_power_state"), ps.type());
        assertEquals("Halted", ps.defaultValue());
        assertEquals("memory__static_max", vm.field("memory_static_max").column());
        assertEquals("HVM__boot_policy", vm.field("HVM_boot_policy").column());
        assertFalse(vm.field("allowed_operations").persist());
        assertFalse(vm.field("current_operations").persist());
        assertTrue(vm.field("uuid").persist());
    }

    @Test
    void everyDefaultConformsToItsType() {
        int n = 0;
        for (ClassDef c : dm.classes()) {
            for (FieldDef f : c.fields()) {
                if (!f.hasDefault()) continue;
                n++;
                assertTrue(
                        Values.conforms(f.type(), f.defaultValue()),
                        f.cls() + "." + f.name() + " = " + f.defaultValue());
                if (f.type() instanceof XType.EnumType e) {
                    assertTrue(dm.enumDef(e.name()).contains((String) f.defaultValue()), f.cls() + "." + f.name());
                }
            }
        }
        assertTrue(n > 480, "defaults: " + n);
    }

    @Test
    void everyTypeReferencesKnownEnums() {
        for (ClassDef c : dm.classes()) {
            for (FieldDef f : c.fields()) checkEnums(f.type(), c.name() + "." + f.name());
            for (MessageDef m : c.messages().values()) {
                checkEnums(m.result(), m.wireName());
                for (ParamDef p : m.params()) checkEnums(p.type(), m.wireName() + "/" + p.name());
            }
        }
    }

    private void checkEnums(XType t, String where) {
        switch (t) {
            case XType.EnumType e -> assertNotNull(dm.enumDef(e.name()), where + " uses unknown enum " + e.name());
            case XType.SetType s -> checkEnums(s.element(), where);
            case XType.MapType m -> {
                checkEnums(m.key(), where);
                checkEnums(m.value(), where);
            }
            case XType.OptionType o -> checkEnums(o.inner(), where);
            default -> {}
        }
    }

    @Test
    void implicitMessagesAreClassified() {
        MessageDef get = dm.message("VM.get_name_label");
        assertEquals(MessageKind.GET_FIELD, get.kind());
        assertEquals("name_label", get.field());
        assertEquals(MessageKind.SET_FIELD, dm.message("VM.set_name_label").kind());
        assertEquals(
                MessageKind.ADD_TO_MAP, dm.message("VM.add_to_xenstore_data").kind());
        assertEquals(MessageKind.ADD_TO_SET, dm.message("VM.add_tags").kind());
        assertEquals(
                MessageKind.GET_ALL_RECORDS, dm.message("VM.get_all_records").kind());
        assertEquals(MessageKind.CREATE, dm.message("VM.create").kind());
        assertTrue(dm.message("VM.create").async());
        assertFalse(dm.message("VM.get_record").async());
    }

    @Test
    void explicitMessagesCarryAsyncAndSession() {
        MessageDef start = dm.message("VM.start");
        assertEquals(MessageKind.EXPLICIT, start.kind());
        assertTrue(start.async());
        assertFalse(start.sessionless());
        assertEquals(
                List.of("start_paused", "force"),
                start.callParams().stream().skip(1).map(ParamDef::name).toList());
        MessageDef login = dm.message("session.login_with_password");
        assertTrue(login.sessionless());
        assertFalse(login.async());
        ParamDef version = login.params().get(2);
        assertEquals("version", version.name());
        assertTrue(version.hasDefault());
        assertEquals("1.1", version.defaultValue());
        assertFalse(dm.message("event.from").async());
    }

    @Test
    void hiddenMessagesArePresent() {
        for (String m : List.of("session.slave_login", "session.slave_local_login", "pool.hello")) {
            MessageDef d = dm.message(m);
            assertNotNull(d, m);
            assertTrue(d.hidden(), m);
        }
        assertTrue(dm.message("session.slave_login").sessionless());
        assertTrue(dm.message("session.slave_local_login_with_password").sessionless());
        assertNotNull(dm.enumDef("hello_return"));
    }

    @Test
    void mapKeyPermissions() {
        MessageDef add = dm.message("VM.add_to_other_config");
        assertTrue(add.mapKeyRoles().stream()
                .anyMatch(k -> k.key().equals("pci") && k.roles().equals(List.of("pool-admin"))));
        MapKeyRole custom = add.mapKeyRoles().stream()
                .filter(k -> k.key().endsWith("*"))
                .findFirst()
                .orElseThrow();
        assertTrue(custom.matches("XenCenter.CustomFields.owner"));
        assertFalse(custom.matches("XenCenter.Other"));
        assertFalse(dm.message("pool.add_to_other_config").mapKeyRoles().isEmpty());
    }

    @Test
    void relationsAndPersistence() {
        assertTrue(dm.relations().stream()
                .anyMatch(r -> r.kind() == Relation.Kind.ONE_TO_MANY
                        && r.aClass().equals("VBD")
                        && r.aField().equals("VM")
                        && r.bClass().equals("VM")
                        && r.bField().equals("VBDs")));
        assertFalse(dm.cls("session").persistent());
        assertFalse(dm.cls("task").persistent());
        assertTrue(dm.cls("VM").persistent());
        assertFalse(dm.cls("session").events());
        assertTrue(dm.cls("VM").events());
        assertEquals(5, dm.schemaMajor());
    }

    @Test
    void apiVersionOfDatamodelCommon() {
        assertEquals(2L, dm.apiVersionMajor());
        assertEquals(23L, dm.apiVersionMinor());
        assertEquals("XenSource", dm.apiVersionVendor());
        assertEquals(Map.of(), dm.apiVersionVendorImplementation());
    }

    @Test
    void internalFieldsAreStoredButNotSent() {
        FieldDef ts = dm.cls("task").field("session");
        assertNotNull(ts);
        assertTrue(ts.internal());
        assertFalse(ts.onWire());
        assertTrue(dm.cls("task").wireFields().stream().noneMatch(f -> f.name().equals("session")));
    }

    @Test
    void rolesInOrder() {
        assertEquals(
                List.of(
                        "pool-admin",
                        "pool-operator",
                        "vm-power-admin",
                        "vm-admin",
                        "vm-operator",
                        "client-cert",
                        "read-only"),
                dm.roles().stream().map(Datamodel.Role::name).toList());
    }

    @Test
    void typedHandlesAndEnums() {
        assertEquals("VM", VM.NAME_LABEL.cls());
        assertEquals("name__label", VM.NAME_LABEL.def().column());
        assertEquals("Halted", VmPowerState.HALTED.wire());
        assertEquals(VmPowerState.RUNNING, VmPowerState.of("running"));
        assertEquals(Refs.NULL, dm.emptyValue(XType.parse("VM ref")));
        assertEquals(Map.of(), dm.emptyValue(XType.parse("(string -> string) map")));
    }

    @Test
    void everyErrorCodeIsKnown() {
        assertEquals(635, ErrorRegistry.all().size());
        assertEquals(
                List.of("class", "handle"), ErrorRegistry.get("HANDLE_INVALID").params());
        assertTrue(ErrorRegistry.isKnown("VM_IS_SNAPSHOT"));
        for (ClassDef c : dm.classes()) {
            for (MessageDef m : c.messages().values()) {
                for (String e : m.errors())
                    assertTrue(ErrorRegistry.isKnown(e), m.wireName() + " documents unknown error " + e);
            }
        }
    }
}
