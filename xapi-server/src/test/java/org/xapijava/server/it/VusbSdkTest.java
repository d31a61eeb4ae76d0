package org.xapijava.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.xensource.xenapi.Connection;
import com.xensource.xenapi.VM;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xapijava.db.Db;
import org.xapijava.model.api.Pool;
import org.xapijava.model.api.VUSB;
import org.xapijava.server.TestHost;

/**
 * VUSBs and USB groups through the SDK's transport, on a host without USB passthrough (no PUSB): a VUSB made from a
 * USB group row, Xapi's refusals of create (licence, missing VM or group, a group already used, HA restart priority,
 * the six-VUSB limit), of unplug (power state, detached) and of destroy (attached), and USB_group.destroy; nothing
 * changed by a refusal.
 */
class VusbSdkTest {
    @TempDir
    Path dir;

    private static RawConnection raw(TestHost host) throws Exception {
        return new RawConnection(LifecycleSupport.url(host));
    }

    private static Object[] with(Connection c, Object... args) {
        Object[] params = new Object[args.length + 1];
        params[0] = c.getSessionReference();
        System.arraycopy(args, 0, params, 1, args.length);
        return params;
    }

    private static List<String> fails(TestHost host, Connection c, String method, Object... args) throws Exception {
        return raw(host).failure(method, with(c, args));
    }

    private static Object call(TestHost host, Connection c, String method, Object... args) throws Exception {
        return raw(host).call(method, with(c, args));
    }

    private static String group(TestHost host, Connection c, String name) throws Exception {
        return (String) call(host, c, "USB_group.create", name, "", Map.of());
    }

    private static int vusbs(TestHost host) {
        return host.server.services().data().all(VUSB.XAPI_CLASS).size();
    }

    @Test
    void aVusbIsMadeFromAUsbGroupWithXapisChecks() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            Db data = host.server.services().data();
            VM vm = LifecycleSupport.newVm(host, c, "usb");
            String v = vm.toWireString();
            String g = group(host, c, "g0");
            assertEquals("g0", call(host, c, "USB_group.get_name_label", g));

            // missing VM or group: HANDLE_INVALID, nothing made
            assertEquals(
                    List.of("HANDLE_INVALID", "VM", "OpaqueRef:nope"),
                    fails(host, c, "VUSB.create", "OpaqueRef:nope", g, Map.of()));
            assertEquals(
                    List.of("HANDLE_INVALID", "USB_group", "OpaqueRef:nope"),
                    fails(host, c, "VUSB.create", v, "OpaqueRef:nope", Map.of()));
            // not licensed
            String pool = data.all(Pool.XAPI_CLASS).getFirst();
            Map<String, String> restrictions = new HashMap<>(data.get(pool, Pool.RESTRICTIONS));
            Map<String, String> restricted = new HashMap<>(restrictions);
            restricted.put("restrict_usb_passthrough", "true");
            data.set(pool, Pool.RESTRICTIONS, restricted);
            assertEquals(
                    List.of("LICENCE_RESTRICTION", "USB_passthrough"), fails(host, c, "VUSB.create", v, g, Map.of()));
            data.set(pool, Pool.RESTRICTIONS, restrictions);
            // HA restart priority "restart"
            data.set(v, org.xapijava.model.api.VM.HA_RESTART_PRIORITY, "restart");
            assertEquals(
                    List.of(
                            "OPERATION_NOT_ALLOWED",
                            "VM " + v + " ha_restart_priority has been set to 'restart', cannot create VUSB for it. "),
                    fails(host, c, "VUSB.create", v, g, Map.of()));
            data.set(v, org.xapijava.model.api.VM.HA_RESTART_PRIORITY, "");
            assertEquals(0, vusbs(host));

            String vusb = (String) call(host, c, "VUSB.create", v, g, Map.of("k", "x"));
            @SuppressWarnings("unchecked")
            Map<String, Object> r = (Map<String, Object>) call(host, c, "VUSB.get_record", vusb);
            assertEquals(v, r.get("VM"));
            assertEquals(g, r.get("USB_group"));
            assertEquals(Map.of("k", "x"), r.get("other_config"));
            assertEquals(false, r.get("currently_attached"));
            assertEquals(List.of(), Arrays.asList((Object[]) r.get("allowed_operations")));
            assertEquals(Map.of(), r.get("current_operations"));
            assertEquals(List.of(vusb), data.get(v, org.xapijava.model.api.VM.VUSBS));

            // one VUSB per group
            VM other = LifecycleSupport.newVm(host, c, "usb2");
            assertEquals(
                    List.of("USB_GROUP_CONFLICT", g), fails(host, c, "VUSB.create", other.toWireString(), g, Map.of()));
            // six per VM
            for (int i = 1; i < 6; i++) call(host, c, "VUSB.create", v, group(host, c, "g" + i), Map.of());
            assertEquals(6, vusbs(host));
            assertEquals(
                    List.of("TOO_MANY_VUSBS", "6"), fails(host, c, "VUSB.create", v, group(host, c, "g6"), Map.of()));
            assertEquals(6, vusbs(host));
        }
    }

    @Test
    void unplugDestroyAndGroupDestroyRefuseAsXapi() throws Exception {
        try (TestHost host = TestHost.start(dir)) {
            Connection c = LifecycleSupport.login(host);
            Db data = host.server.services().data();
            VM vm = LifecycleSupport.newVm(host, c, "usb");
            String v = vm.toWireString();
            String g = group(host, c, "g");
            String vusb = (String) call(host, c, "VUSB.create", v, g, Map.of());

            // a halted VM: nothing to unplug
            assertEquals(List.of("VM_BAD_POWER_STATE", v, "running", "halted"), fails(host, c, "VUSB.unplug", vusb));
            assertTrue(data.get(vusb, VUSB.CURRENT_OPERATIONS).isEmpty());

            // running (its group's device is on this host, as VM.start's placement checks want), the VUSB
            // detached (this host attaches none)
            String pusb = data.create(org.xapijava.db.FieldValues.of(org.xapijava.model.api.PUSB.XAPI_CLASS)
                    .with(
                            org.xapijava.model.api.PUSB.UUID,
                            java.util.UUID.randomUUID().toString())
                    .with(org.xapijava.model.api.PUSB.USB_GROUP, g)
                    .with(
                            org.xapijava.model.api.PUSB.HOST,
                            host.server.services().hostRef()));
            vm.start(c, false, false);
            assertFalse(data.get(vusb, VUSB.CURRENTLY_ATTACHED));
            assertEquals(List.of("DEVICE_ALREADY_DETACHED", vusb), fails(host, c, "VUSB.unplug", vusb));

            // recorded attached: destroy and the group's destroy refuse; unplug detaches
            data.set(vusb, VUSB.CURRENTLY_ATTACHED, true);
            String uuid = data.get(vusb, VUSB.UUID);
            assertEquals(
                    List.of("OPERATION_NOT_ALLOWED", "VUSB '" + uuid + "' still attached to '" + vm.getUuid(c) + "'"),
                    fails(host, c, "VUSB.destroy", vusb));
            assertEquals(List.of("USB_GROUP_CONTAINS_VUSB", vusb), fails(host, c, "USB_group.destroy", g));
            assertTrue(data.exists(VUSB.XAPI_CLASS, vusb));
            call(host, c, "VUSB.unplug", vusb);
            assertFalse(data.get(vusb, VUSB.CURRENTLY_ATTACHED));
            assertTrue(data.get(vusb, VUSB.CURRENT_OPERATIONS).isEmpty());
            assertEquals(
                    List.of("attach", "plug"),
                    data.get(vusb, VUSB.ALLOWED_OPERATIONS).stream().sorted().toList());
            vm.hardShutdown(c);
            data.apply(org.xapijava.db.Update.builder()
                    .delete(org.xapijava.model.api.PUSB.XAPI_CLASS, pusb)
                    .build()); // the device is gone: the group can go

            // detached: destroy goes; a group's destroy takes its detached VUSBs
            call(host, c, "VUSB.destroy", vusb);
            assertFalse(data.exists(VUSB.XAPI_CLASS, vusb));
            assertEquals(List.of("HANDLE_INVALID", "VUSB", vusb), fails(host, c, "VUSB.destroy", vusb));
            String again = (String) call(host, c, "VUSB.create", v, g, Map.of());
            call(host, c, "USB_group.destroy", g);
            assertFalse(data.exists(VUSB.XAPI_CLASS, again));
            assertFalse(data.exists("USB_group", g));
            assertTrue(data.get(v, org.xapijava.model.api.VM.VUSBS).isEmpty());
        }
    }
}
