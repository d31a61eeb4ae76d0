"""The SMAPIv1 protocol shared by every plugin, and DummySR."""

import os
import subprocess

from smtest import PLUGINS, PluginFault, PluginTestCase

PLUGINS_ALL = ["DummySR", "FileSR", "EXTSR", "ISOSR"]


class ProtocolTest(PluginTestCase):
    def test_plugins_are_executable_files(self):
        for p in PLUGINS_ALL + ["smgc.py"]:
            self.assertTrue(os.access(os.path.join(PLUGINS, p), os.X_OK), p)

    def test_driver_info(self):
        names = {}
        for p in PLUGINS_ALL:
            info = self.call(p, "sr_get_driver_info", sr=False)
            names[p] = info["name"]
            for key in ("name", "description", "vendor", "copyright", "driver_version", "required_api_version"):
                self.assertIsInstance(info[key], str, key)
            self.assertIsInstance(info["capabilities"], list)
            for c in info["configuration"]:
                self.assertEqual({"key", "description"}, set(c))
        self.assertEqual({"DummySR": "dummy", "FileSR": "Local Path qcow2", "EXTSR": "Local EXT4 qcow2",
                          "ISOSR": "ISO"}, names)
        self.assertNotIn("session_ref", str(self.xapi.calls))

    def test_bad_requests_are_faults_143(self):
        for p in PLUGINS_ALL:
            for argv in ([], ["a", "b"], ["<methodCall><methodName>x"], ["not xml at all"],
                         ["<?xml version='1.0'?><methodCall><methodName>sr_scan</methodName><params>"
                          "<param><value><string>x</string></value></param></params></methodCall>"]):
                with self.assertRaises(PluginFault) as cm:
                    self.call(p, "sr_scan", raw_argv=argv)
                self.assertEqual(143, cm.exception.code, (p, argv))

    def test_unknown_command_is_unimplemented_38(self):
        for p in PLUGINS_ALL:
            self.fault(38, p, "vdi_list_changed_blocks", dconf={"location": "/nonexistent"})

    def test_command_must_match_method_name(self):
        self.fault(143, "DummySR", "sr_scan", extra={"command": "sr_attach"})

    def test_control_characters_in_a_fault_stay_parseable(self):
        e = self.fault(1, "DummySR", "vdi_create", args=["1", "x", "", "", "false", "", "", "false"],
                       extra={"vdi_uuid": "bad\x01uuid"[:3]})
        self.assertIn("uuid", e.text)


class DummySRTest(PluginTestCase):
    def create(self, size=1 << 30, label="disk"):
        result = self.call("DummySR", "vdi_create", args=[size, label, "desc", "OpaqueRef:NULL", "false", "", "", "false"])
        ref = self.xapi.by_location(self.sr_ref)[result["location"]]
        return result, ref

    def test_lifecycle_through_callbacks(self):
        for c in ("sr_create", "sr_attach"):
            self.assertIsNone(self.call("DummySR", c, args=["0"] if c == "sr_create" else []))
        result, ref = self.create(5 << 30)
        record = self.xapi.vdis[ref]
        self.assertEqual(result["uuid"], record["uuid"])
        self.assertEqual(str(5 << 30), record["virtual_size"])
        self.assertEqual(("disk", "desc", self.sr_ref), (record["name_label"], record["name_description"], record["SR"]))
        attach = self.call("DummySR", "vdi_attach", args=["true"], vdi=ref)
        self.assertEqual("/dev/null", attach["params"])
        self.assertEqual("", attach["params_nbd"])
        self.call("DummySR", "vdi_activate", args=["true"], vdi=ref)
        self.call("DummySR", "vdi_deactivate", vdi=ref)
        self.call("DummySR", "vdi_detach", vdi=ref)
        snap = self.call("DummySR", "vdi_snapshot", vdi=ref)
        snap_ref = self.xapi.by_location(self.sr_ref)[snap["location"]]
        self.assertTrue(self.xapi.vdis[snap_ref]["is_a_snapshot"])
        self.assertEqual(ref, self.xapi.vdis[snap_ref]["snapshot_of"])
        clone = self.call("DummySR", "vdi_clone", vdi=ref)
        clone_ref = self.xapi.by_location(self.sr_ref)[clone["location"]]
        self.assertFalse(self.xapi.vdis[clone_ref]["is_a_snapshot"])
        self.call("DummySR", "vdi_resize", args=[str(6 << 30)], vdi=ref)
        self.assertEqual(str(6 << 30), self.xapi.vdis[ref]["virtual_size"])
        self.call("DummySR", "sr_scan")
        self.assertEqual(str((6 + 5 + 5) << 30), self.xapi.srs[self.sr_ref]["virtual_allocation"])
        for r in (ref, snap_ref, clone_ref):
            self.call("DummySR", "vdi_delete", vdi=r)
        self.assertEqual({}, self.xapi.vdis)
        self.call("DummySR", "sr_detach")
        self.assertEqual(["VDI.db_introduce", "VDI.get_record", "VDI.db_introduce", "VDI.get_record",
                          "VDI.db_introduce", "VDI.set_virtual_size", "VDI.get_all_records_where",
                          "SR.set_virtual_allocation", "SR.set_physical_size", "SR.set_physical_utilisation",
                          "VDI.db_forget", "VDI.db_forget", "VDI.db_forget"], self.xapi.names())

    def test_introduce_and_probe(self):
        uuid = "0b7c6f1e-9a55-4d2e-8a53-0c1f1d2f3a4b"
        result = self.call("DummySR", "vdi_introduce", vdi_location="here", extra={"new_uuid": uuid})
        self.assertEqual({"uuid": uuid, "location": "here"}, result)
        self.assertIn("<SRlist", self.call("DummySR", "sr_probe", sr=False))

    def test_callback_failure_is_a_fault(self):
        self.fault(153, "DummySR", "vdi_delete", vdi="OpaqueRef:missing")

    def test_bad_size(self):
        self.fault(79, "DummySR", "vdi_create", args=["-1", "x", "", "", "false", "", "", "false"])
