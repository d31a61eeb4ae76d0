package org.xapijava.xenopsd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.xapijava.model.jsonrpc.JsonRpcCodec;
import org.xapijava.model.xmlrpc.XmlRpcReader;
import org.xapijava.model.xmlrpc.XmlRpcWriter;
import org.xapijava.xenopsd.internal.RpcDecodeException;

/**
 * The types against literal texts written by hand from ocaml-rpc's rules ({@code Rpcmarshal} with
 * {@code ppx_deriving_rpcty}: record members in reverse declaration order, None members left out, variants as
 * {@code "Tag"} or {@code ["Tag", contents]}, tuples as arrays, {@code (string * t) list} as objects; JSON as
 * Yojson writes it; XML-RPC as {@code Xmlrpc} with strict=false writes it).
 */
class TypesEncodingTest {

    static final String VM_JSON = "{\"has_vendor_device\":false,\"pci_power_mgmt\":false,\"pci_msitranslate\":true,"
            + "\"on_softreboot\":[\"Softreboot\"],\"on_reboot\":[\"Start\"],\"on_shutdown\":[\"Shutdown\"],"
            + "\"on_crash\":[\"Coredump\",\"Shutdown\"],\"scheduler_params\":{\"affinity\":[[0,1],[2]],"
            + "\"priority\":[256,0]},\"vcpus\":2,\"vcpu_max\":4,\"memory_dynamic_min\":536870912,"
            + "\"memory_dynamic_max\":1073741824,\"memory_static_max\":1073741824,"
            + "\"suppress_spurious_page_faults\":false,\"ty\":[\"PV\",{\"pci_passthrough\":false,\"vncterm\":true,"
            + "\"framebuffer\":false,\"boot\":[\"Direct\",{\"cmdline\":\"root=/dev/xvda1\","
            + "\"kernel\":\"/boot/vmlinuz\"}]}],\"bios_strings\":{},\"platformdata\":{\"featureset\":\"1f\","
            + "\"nx\":\"true\"},\"xsdata\":{\"vm-data/hostname\":\"h\"},\"ssidref\":0,\"name\":\"demo\","
            + "\"id\":\"a1b2\"}";

    static final String VBD_JSON = "{\"can_attach_early\":false,\"persistent\":true,\"extra_private_keys\":{},"
            + "\"extra_backend_keys\":{},\"unpluggable\":true,\"ty\":\"Disk\",\"backend\":[\"VDI\",\"sr1/vdi1\"],"
            + "\"mode\":\"ReadWrite\",\"position\":[\"Xen\",0,0],\"id\":[\"a1b2\",\"xvda\"]}";

    static final String VIF_JSON = "{\"trunks\":[],\"ipv6_configuration\":\"Unspecified6\","
            + "\"ipv4_configuration\":[\"Static4\",[[\"10.0.0.2/24\"],[\"10.0.0.1\"]]],\"extra_private_keys\":{},"
            + "\"locking_mode\":[\"Locked\",{\"ipv6\":[],\"ipv4\":[\"10.0.0.2\"]}],\"other_config\":{},"
            + "\"backend\":[\"Local\",\"xenbr0\"],\"mtu\":1500,\"carrier\":true,\"mac\":\"aa:bb:cc:dd:ee:ff\","
            + "\"position\":0,\"id\":[\"a1b2\",\"0\"]}";

    static final String METADATA_JSON = "{\"vusbs\":[],\"vgpus\":[],\"pcis\":[],\"vifs\":[" + VIF_JSON + "],\"vbds\":["
            + VBD_JSON + "],\"vm\":" + VM_JSON + "}";

    @Test
    void metadataJsonRoundTripsByteForByte() {
        Metadata md = Metadata.fromJson(METADATA_JSON);
        Vm vm = md.vm();
        assertEquals("a1b2", vm.id());
        assertEquals("demo", vm.name());
        assertEquals(1L << 30, vm.memoryStaticMax());
        assertEquals(
                new Vm.SchedulerParams.Priority(256, 0), vm.schedulerParams().priority());
        assertEquals(List.of(List.of(0, 1), List.of(2)), vm.schedulerParams().affinity());
        assertEquals(List.of(Vm.Action.Coredump, Vm.Action.Shutdown), vm.onCrash());
        Vm.Pv pv = (Vm.Pv) vm.ty();
        assertEquals(
                new Vm.Direct("/boot/vmlinuz", "root=/dev/xvda1", null),
                pv.info().boot());
        assertTrue(!pv.info().framebuffer() && pv.info().vncterm());
        assertEquals(List.of("featureset", "nx"), List.copyOf(vm.platformdata().keySet()));
        Vbd vbd = md.vbds().get(0);
        assertEquals(new DeviceNumber(DeviceNumber.Bus.Xen, 0, 0), vbd.position());
        assertEquals(new Disk.Vdi("sr1/vdi1"), vbd.backend());
        Vif vif = md.vifs().get(0);
        assertEquals(new Vif.IpConfig("Static4", List.of("10.0.0.2/24"), "10.0.0.1"), vif.ipv4Configuration());
        assertEquals(Vif.LockingMode.Kind.Locked, vif.lockingMode().kind());
        assertEquals(List.of("10.0.0.2"), vif.lockingMode().ipv4());
        assertNull(md.domains());
        assertEquals(METADATA_JSON, md.toJson());
    }

    @Test
    void missingMembersTakeTheirDefaults() {
        // as xapi's older metadata may lack members added later
        Vbd vbd = Vbd.fromRpc(parse("{\"id\":[\"v\",\"xvdb\"]}"));
        assertEquals(Vbd.of(new DeviceId("v", "xvdb"), null, Vbd.Mode.ReadWrite, null, Vbd.Type.Disk), vbd);
        Vif vif = Vif.fromRpc(parse("{\"id\":[\"v\",\"1\"],\"position\":1}"));
        assertEquals("fe:ff:ff:ff:ff:ff", vif.mac());
        assertEquals(new Vif.Local("xenbr0"), vif.backend());
        Vm.HvmInfo hvm =
                Vm.HvmInfo.fromRpc(parse("{\"boot_order\":\"cd\",\"shadow_multiplier\":1.5,\"video\":\"Nonsense\"}"));
        assertEquals("cd", hvm.bootOrder());
        assertEquals("Cirrus", hvm.video()); // video_card is [@@default Cirrus]
        assertEquals(
                "{\"firmware\":\"Bios\",\"qemu_stubdom\":false,\"qemu_disk_cmdline\":false,\"boot_order\":\"cd\","
                        + "\"pci_passthrough\":false,\"pci_emulations\":[],\"acpi\":true,\"video\":\"Cirrus\",\"video_mib\":4,"
                        + "\"timeoffset\":\"\",\"shadow_multiplier\":1.5,\"hap\":true}",
                JsonRpcCodec.toJson(hvm.toRpc()));
        // a Vm.t member without a default is required
        RpcDecodeException e = assertThrows(RpcDecodeException.class, () -> Vm.fromRpc(parse("{\"id\":\"x\"}")));
        assertTrue(e.getMessage().contains("No value found for key"), e.getMessage());
    }

    @Test
    void uefiAndTpmAndIgd() {
        Vm.HvmInfo h = new Vm.HvmInfo(
                true,
                1.0,
                "",
                4,
                "IGD_passthrough",
                true,
                null,
                "en-us",
                null,
                List.of(),
                false,
                "",
                false,
                false,
                Vm.Firmware.uefi("Reset", "xapidb"),
                "0f0e0d0c-0000-1111-2222-333344445555");
        String json = JsonRpcCodec.toJson(h.toRpc());
        assertTrue(
                json.startsWith("{\"tpm\":[\"Vtpm\",\"0f0e0d0c-0000-1111-2222-333344445555\"],"
                        + "\"firmware\":[\"Uefi\",{\"backend\":\"xapidb\",\"on_boot\":\"Reset\"}]"),
                json);
        assertTrue(json.contains("\"keymap\":\"en-us\""), json);
        assertTrue(json.contains("\"video\":[\"IGD_passthrough\",\"GVT_d\"]"), json);
        assertEquals(h, Vm.HvmInfo.fromRpc(parse(json)));
    }

    @Test
    void taskStatXml() throws Exception {
        TaskInfo t = new TaskInfo(
                "7",
                "d",
                1700000000.5,
                new TaskInfo.Pending(0.25),
                Map.of(),
                Map.of("cancel_points_seen", "3"),
                "()",
                true);
        String xml = "<value><struct><member><name>cancellable</name><value><boolean>1</boolean></value></member>"
                + "<member><name>backtrace</name><value>()</value></member>"
                + "<member><name>debug_info</name><value><struct><member><name>cancel_points_seen</name>"
                + "<value>3</value></member></struct></value></member>"
                + "<member><name>subtasks</name><value><struct></struct></value></member>"
                + "<member><name>state</name><value><array><data><value>Pending</value>"
                + "<value><double>0.25</double></value></data></array></value></member>"
                + "<member><name>ctime</name><value><double>1700000000.5</double></value></member>"
                + "<member><name>dbg</name><value>d</value></member>"
                + "<member><name>id</name><value>7</value></member></struct></value>";
        assertEquals(xml, XmlRpcWriter.toString(t.toRpc()));
        assertEquals(t, TaskInfo.fromRpc(XmlRpcReader.RESPONSES.readValue(xml)));
        TaskInfo.State done = TaskInfo.State.fromRpc(parse("[\"Completed\",{\"duration\":0.5}]"));
        assertEquals(new TaskInfo.Completed(0.5, null), done);
        TaskInfo.State failed = TaskInfo.State.fromRpc(parse("[\"Failed\",[\"Cancelled\",\"7\"]]"));
        assertEquals(XenopsError.cancelled("7").toRpc(), ((TaskInfo.Failed) failed).error());
        assertEquals(List.of("7"), ((TaskInfo.Failed) failed).toError().args());
    }

    @Test
    void updatesXmlWithIntsAsUntypedValues() throws Exception {
        Updates u = new Updates(
                List.of(new Updates.Barrier(3, List.of(new DynamicId.Vm("v")))),
                List.of(new DynamicId.Vbd(new DeviceId("v", "xvda")), new DynamicId.Task("12")),
                17);
        String xml = "<value><array><data>"
                + "<value><array><data><value><array><data><value>3</value><value><array><data>"
                + "<value><array><data><value>Vm</value><value>v</value></data></array></value>"
                + "</data></array></value></data></array></value></data></array></value>"
                + "<value><array><data>"
                + "<value><array><data><value>Vbd</value><value><array><data><value>v</value><value>xvda</value>"
                + "</data></array></value></data></array></value>"
                + "<value><array><data><value>Task</value><value>12</value></data></array></value>"
                + "</data></array></value>"
                + "<value>17</value></data></array></value>";
        assertEquals(xml, XmlRpcWriter.toString(u.toRpc()));
        // the ints come back as strings (untyped <value>), which ocaml-rpc accepts for ints
        assertEquals(u, Updates.fromRpc(XmlRpcReader.RESPONSES.readValue(xml)));
    }

    @Test
    void errorsOnTheWire() throws Exception {
        assertEquals(
                "[\"Storage_backend_error\",[\"SR_BACKEND_FAILURE_44\",[\"\",\"no space\"]]]",
                JsonRpcCodec.toJson(XenopsError.storageBackendError("SR_BACKEND_FAILURE_44", List.of("", "no space"))
                        .toRpc()));
        assertEquals(
                "\"Device_is_connected\"",
                JsonRpcCodec.toJson(XenopsError.deviceIsConnected().toRpc()));
        assertEquals(
                "[\"Does_not_exist\",[\"VM\",\"x/config\"]]",
                JsonRpcCodec.toJson(XenopsError.doesNotExist("VM", "x/config").toRpc()));
        assertEquals(
                "[\"Failed_to_shutdown\",[\"v\",30.0]]",
                JsonRpcCodec.toJson(XenopsError.failedToShutdown("v", 30.0).toRpc()));
        String xml = XmlRpcWriter.toString(XenopsError.notEnoughMemory(1024).toRpc());
        assertEquals(
                "<value><array><data><value>Not_enough_memory</value><value>1024</value></data></array></value>", xml);
        assertEquals(
                List.of(1024L),
                XenopsError.fromRpc(XmlRpcReader.RESPONSES.readValue(xml)).args());
        // tags are matched without regard to case; unknown ones are Unknown_error
        XenopsError lower = XenopsError.fromRpc(parse("[\"bad_power_state\",[\"running\",\"Halted\"]]"));
        assertEquals("Bad_power_state", lower.code());
        assertEquals(List.of(PowerState.Running, PowerState.Halted), lower.args());
        assertEquals(
                "Unknown_error",
                XenopsError.fromRpc(parse("[\"Brand_new_error\",\"x\"]")).code());
        assertEquals(
                "Internal_error",
                XenopsError.fromRpc(parse("[\"Cancelled\",[1,2]]")).code());
        assertThrows(IllegalArgumentException.class, () -> new XenopsError("Cancelled", List.of(7L)));
    }

    @Test
    void vmStateRoundTripAndMemberNamesIgnoreCase() {
        VmState s = new VmState(
                PowerState.Running,
                List.of(5),
                List.of(new VmState.Console(VmState.ConsoleProtocol.Rfb, 5901, "")),
                1,
                2,
                3,
                2,
                1.0,
                "0",
                false,
                Map.of("a", "b"),
                Map.of(),
                true,
                12.5,
                true,
                false,
                false,
                VmState.DomainType.Domain_HVM,
                "fs",
                false,
                1,
                List.of(new VmState.NodeMemory(0, 1024)));
        assertEquals(s, VmState.fromRpc(s.toRpc()));
        String json = JsonRpcCodec.toJson(s.toRpc());
        assertTrue(json.startsWith("{\"numa_node_memory\":[[0,1024]],\"numa_nodes\":1,"), json);
        Query q = Query.fromRpc(parse("{\"NAME\":\"xenops\",\"Vendor\":\"XCP\",\"version\":\"0.1\",\"features\":[],"
                + "\"instance_id\":\"i\"}"));
        assertEquals("xenops", q.name());
    }

    @Test
    void deviceNumbers() {
        assertEquals(
                new DeviceNumber(DeviceNumber.Bus.Ide, 3, 0),
                DeviceNumber.ofString(true, "3").orElseThrow());
        assertEquals(
                new DeviceNumber(DeviceNumber.Bus.Xen, 4, 0),
                DeviceNumber.ofString(true, "4").orElseThrow());
        assertEquals(
                new DeviceNumber(DeviceNumber.Bus.Xen, 0, 0),
                DeviceNumber.ofString(false, "0").orElseThrow());
        assertEquals("xvda", DeviceNumber.ofString(false, "0").orElseThrow().toLinuxDevice());
        assertEquals("xvdaa", new DeviceNumber(DeviceNumber.Bus.Xen, 26, 0).toLinuxDevice());
        assertEquals("sdb2", new DeviceNumber(DeviceNumber.Bus.Scsi, 1, 2).toLinuxDevice());
        assertEquals(
                new DeviceNumber(DeviceNumber.Bus.Xen, 26, 0),
                DeviceNumber.ofLinuxDevice("xvdaa").orElseThrow());
        assertEquals(
                new DeviceNumber(DeviceNumber.Bus.Ide, 1, 0),
                DeviceNumber.ofLinuxDevice("hdb").orElseThrow());
        assertEquals(
                new DeviceNumber(DeviceNumber.Bus.Xen, 5, 2),
                DeviceNumber.ofLinuxDevice("d5p2").orElseThrow());
        assertEquals(51712, new DeviceNumber(DeviceNumber.Bus.Xen, 0, 0).toXenstoreKey());
        assertEquals(768, new DeviceNumber(DeviceNumber.Bus.Ide, 0, 0).toXenstoreKey());
        assertEquals(5632, new DeviceNumber(DeviceNumber.Bus.Ide, 2, 0).toXenstoreKey());
        for (DeviceNumber d : List.of(
                new DeviceNumber(DeviceNumber.Bus.Xen, 20, 3),
                new DeviceNumber(DeviceNumber.Bus.Ide, 7, 1),
                new DeviceNumber(DeviceNumber.Bus.Scsi, 15, 15),
                new DeviceNumber(DeviceNumber.Bus.Floppy, 1, 0))) {
            assertEquals(d, DeviceNumber.ofXenstoreKey(d.toXenstoreKey()));
            assertEquals(d, DeviceNumber.fromRpc(d.toRpc()));
        }
        assertTrue(DeviceNumber.make(DeviceNumber.Bus.Floppy, 3, 0).isEmpty());
        assertTrue(DeviceNumber.ofLinuxDevice("nvme0n1").isEmpty());
    }

    private static Object parse(String json) {
        try {
            return JsonRpcCodec.standard().parseValue(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
