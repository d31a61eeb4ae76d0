"""FileSR through the real argv/stdout protocol against the fake xapi."""

import os
import shutil
import signal
import subprocess
import time
import uuid as uuidlib
import xmlrpc.client

from filetest import MiB, FileTestCase, chain_of, pattern


class FileSRTest(FileTestCase):
    def setUp(self):
        super().setUp()
        self.sr_path = os.path.join(self.tmp, "sr")
        self.c("sr_create", args=["0"])
        self.c("sr_attach")

    def test_bad_device_config_is_refused_and_creates_nothing(self):
        for dconf, code in (({}, 94), ({"location": ""}, 94), ({"location": "relative/dir"}, 61),
                            ({"location": self.tmp + "/x/../evil"}, 61)):
            for command in ("sr_create", "sr_attach", "sr_scan", "vdi_create"):
                self.fault(code, "FileSR", command, dconf=dconf, args=["0", "", "", "", "", "", "", ""])
        self.assertEqual([], sorted(set(os.listdir(self.tmp)) - {"sr", "sm", "lock", "xapi.sock"}))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "x")))
        self.assertFalse(os.path.exists("relative"))
        self.assertEqual([], self.files())
        self.assertEqual(0, len(self.xapi.vdis))

    def test_sr_create_refuses_a_non_empty_directory(self):
        other = os.path.join(self.tmp, "other")
        os.mkdir(other)
        open(os.path.join(other, "f"), "w").close()
        self.fault(42, "FileSR", "sr_create", dconf={"location": other}, args=["0"])
        self.fault(61, "FileSR", "sr_create", dconf={"location": os.path.join(self.tmp, "no", "parent")}, args=["0"])
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "no")))

    def test_create_qcow2_and_raw(self):
        ref = self.create(100 * MiB)
        raw = self.create(10 * MiB, {"type": "raw"})
        loc, raw_loc = self.location(ref), self.location(raw)
        self.assertEqual(sorted([loc + ".qcow2", raw_loc + ".raw"]), self.files())
        self.assertEqual(str(100 * MiB), self.xapi.vdis[ref]["virtual_size"])
        self.assertEqual("qcow2", self.xapi.vdis[ref]["sm_config"]["vdi_type"])
        self.assertEqual("raw", self.xapi.vdis[raw]["sm_config"]["vdi_type"])
        self.assertLess(os.stat(os.path.join(self.sr_path, loc + ".qcow2")).st_blocks * 512, MiB)  # thin
        self.assertEqual(os.path.join(self.sr_path, raw_loc + ".raw"), self.c("vdi_attach", args=["true"], vdi=raw)["params"])
        self.fault(82, "FileSR", "vdi_snapshot", dconf=self.dconf(), vdi=raw)
        self.fault(66, "FileSR", "vdi_create", dconf=self.dconf(), args=[MiB, "", "", "", "", "", "", ""],
                   vdi_sm_config={"type": "vhd"})
        self.c("sr_update")
        sr = self.xapi.srs[self.sr_ref]
        self.assertEqual(str(110 * MiB), sr["virtual_allocation"])
        self.assertGreater(int(sr["physical_size"]), 0)

    def test_data_survives_snapshot_and_is_seen_by_the_clone(self):
        ref = self.create(16 * MiB)
        data = pattern(1, 3 * MiB)
        self.write(ref, MiB, data)
        snap = self.c("vdi_snapshot", vdi=ref)
        snap_ref = self.xapi.by_location(self.sr_ref)[snap["location"]]
        self.assertTrue(self.xapi.vdis[snap_ref]["is_a_snapshot"])
        self.assertEqual(ref, self.xapi.vdis[snap_ref]["snapshot_of"])
        # a chain, not a copy: both are thin children of one hidden node
        [hidden] = self.hidden()
        self.assertEqual([self.location(ref) + ".qcow2", hidden], chain_of(os.path.join(self.sr_path, self.location(ref) + ".qcow2")))
        self.assertEqual([snap["location"] + ".qcow2", hidden], chain_of(os.path.join(self.sr_path, snap["location"] + ".qcow2")))
        self.write(ref, MiB, pattern(2, MiB))  # the VDI moves on, the snapshot keeps the old data
        self.assertEqual(data, self.read(snap_ref, MiB, len(data)))
        clone = self.c("vdi_clone", vdi=snap_ref)
        clone_ref = self.xapi.by_location(self.sr_ref)[clone["location"]]
        self.assertFalse(self.xapi.vdis[clone_ref]["is_a_snapshot"])
        self.assertEqual(data, self.read(clone_ref, MiB, len(data)))
        self.assertEqual(pattern(2, MiB) + data[MiB:], self.read(ref, MiB, len(data)))

    def test_snapshot_of_an_activated_vdi_keeps_the_path_open(self):
        ref = self.create(8 * MiB)
        path = self.activate(ref)
        pid = self.daemon_pid(path)
        with open(path, "r+b", buffering=0) as f:  # held open across the snapshot, as a guest would
            f.write(pattern(3, MiB))
            os.fsync(f.fileno())
            snap = self.copy("vdi_snapshot", ref)
            f.seek(0)
            self.assertEqual(pattern(3, MiB), f.read(MiB))
            f.seek(0)
            f.write(pattern(4, MiB))
            os.fsync(f.fileno())
        self.assertEqual(pid, self.daemon_pid(path))  # the same daemon, moved onto the new leaf
        self.assertEqual([self.location(ref) + ".qcow2", self.hidden()[0]], chain_of(self.leaf(ref)))
        self.deactivate(ref)
        self.assertEqual(pattern(3, MiB), self.content(snap)[:MiB])
        self.assertEqual(pattern(4, MiB), self.read(ref, 0, MiB))
        clone = self.copy("vdi_clone", snap)
        self.assertEqual(pattern(3, MiB), self.content(clone)[:MiB])

    def test_gc_coalesces_after_snapshot_deletion(self):
        ref = self.create(16 * MiB)
        self.write(ref, 0, pattern(5, 4 * MiB))  # through the datapath
        s1 = self.copy("vdi_snapshot", ref)
        self.poke(ref, 2 * MiB, 4 * MiB, 6)  # straight into the leaf (quicker)
        s2 = self.copy("vdi_snapshot", ref)
        self.poke(ref, 5 * MiB, 2 * MiB, 7)
        expected, expected_s2 = self.content(ref), self.content(s2)
        self.assertEqual(pattern(5, 2 * MiB) + bytes([6]) * 3 * MiB + bytes([7]) * 2 * MiB + bytes(9 * MiB), expected)
        self.assertEqual(2, len(self.hidden()))
        self.c("vdi_delete", vdi=s1)
        self.wait_gc()
        self.assertEqual(1, len(self.hidden()))  # the two hidden nodes became one
        self.assertEqual(expected, self.content(ref))
        self.assertEqual(expected_s2, self.content(s2))
        self.c("vdi_delete", vdi=s2)
        self.wait_gc()
        self.assertEqual([], self.hidden())  # the leaf took its parent's place
        self.assertEqual([self.location(ref) + ".qcow2"], self.files())
        self.assertEqual([self.location(ref) + ".qcow2"], chain_of(self.leaf(ref)))
        self.assertEqual(expected, self.read(ref, 0, 16 * MiB))  # byte for byte, through the datapath

    def test_gc_removes_unreferenced_nodes_and_leftovers(self):
        ref = self.create(4 * MiB)
        self.write(ref, 0, pattern(8, MiB))
        snap = self.copy("vdi_snapshot", ref)
        self.c("vdi_delete", vdi=snap)
        self.c("vdi_delete", vdi=ref)
        self.wait_gc()
        self.assertEqual([], self.files())

    def test_a_snapshot_killed_part_way_leaves_nothing_behind(self):
        ref = self.create(4 * MiB)
        self.poke(ref, 0, MiB, 12)
        leaf = self.leaf(ref)
        # the state after the hard link and a half-written new leaf, when the plugin was killed there
        os.link(leaf, os.path.join(self.sr_path, str(uuidlib.uuid4()) + ".hidden.qcow2"))
        shutil.copy(leaf, leaf + ".tmp")
        self.c("sr_scan")  # kicks the GC
        self.wait_gc()
        self.assertEqual([self.location(ref) + ".qcow2"], self.files())
        self.assertEqual(bytes([12]) * MiB, self.content(ref)[:MiB])
        self.assertEqual([self.location(ref)], list(self.xapi.by_location(self.sr_ref)))

    def test_scan_reconciles_both_ways(self):
        ref = self.create(4 * MiB)
        snap = self.copy("vdi_snapshot", ref)
        foreign = str(uuidlib.uuid4())
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", os.path.join(self.sr_path, foreign + ".qcow2"),
                        str(8 * MiB)], check=True)
        open(os.path.join(self.sr_path, "not-a-vdi.txt"), "w").close()
        os.unlink(os.path.join(self.sr_path, self.location(snap) + ".qcow2"))
        self.xapi.vdis[ref]["virtual_size"] = "1"
        del self.xapi.calls[:]  # the order of the scan's own calls is checked below
        self.c("sr_scan")
        locations = sorted(self.xapi.by_location(self.sr_ref))
        self.assertEqual(sorted([self.location(ref), foreign]), locations)  # hidden node not introduced
        self.assertEqual(str(4 * MiB), self.xapi.vdis[ref]["virtual_size"])
        introduced = self.xapi.vdis[self.xapi.by_location(self.sr_ref)[foreign]]
        self.assertEqual((foreign, str(8 * MiB)), (introduced["uuid"], introduced["virtual_size"]))
        self.assertEqual(str(12 * MiB), self.xapi.srs[self.sr_ref]["virtual_allocation"])
        names = self.xapi.names()
        self.assertIn("VDI.db_forget", names)
        self.assertLess(names.index("SR.set_virtual_allocation"), names.index("VDI.get_all_records_where"))

    def test_resize(self):
        ref = self.create(4 * MiB)
        self.write(ref, 0, pattern(9, MiB))
        self.c("vdi_resize", args=[str(32 * MiB)], vdi=ref)
        self.assertEqual(str(32 * MiB), self.xapi.vdis[ref]["virtual_size"])
        self.assertEqual(pattern(9, MiB), self.read(ref, 0, MiB))
        self.fault(79, "FileSR", "vdi_resize", dconf=self.dconf(), args=[str(MiB)], vdi=ref)
        self.activate(ref)
        self.fault(24, "FileSR", "vdi_resize", dconf=self.dconf(), args=[str(64 * MiB)], vdi=ref)
        self.fault(24, "FileSR", "vdi_delete", dconf=self.dconf(), vdi=ref)
        self.deactivate(ref)

    def test_revert(self):
        ref = self.create(4 * MiB)
        self.write(ref, 0, pattern(10, MiB))
        snap = self.copy("vdi_snapshot", ref)
        self.write(ref, 0, pattern(11, MiB))
        self.c("vdi_revert", args=[ref], vdi=snap)
        self.assertEqual(pattern(10, MiB), self.read(ref, 0, MiB))
        self.wait_gc()
        self.assertEqual(pattern(10, MiB), self.read(snap, 0, MiB))

    def test_update_generate_config_and_probe(self):
        ref = self.create(4 * MiB)
        self.xapi.vdis[ref]["virtual_size"] = "1"
        self.assertEqual("", self.c("vdi_update", vdi=ref) or "")
        self.assertEqual(str(4 * MiB), self.xapi.vdis[ref]["virtual_size"], "vdi_update writes the sizes back")
        config = self.c("vdi_generate_config", vdi=ref)  # the methodResponse's value: the call itself
        (params,), method = xmlrpc.client.loads(config)
        self.assertEqual("vdi_attach_from_config", method)
        self.assertEqual({"device_config": dict(self.dconf(), SRmaster="true"), "sr_uuid": self.sr_uuid,
                          "vdi_uuid": self.xapi.vdis[ref]["uuid"], "command": "vdi_attach_from_config"}, params)
        self.fault(46, "FileSR", "vdi_generate_config", dconf=self.dconf(), vdi_location=str(uuidlib.uuid4()))
        self.fault(144, "FileSR", "vdi_update", dconf=self.dconf(), vdi_location=str(uuidlib.uuid4()))
        # as sm's FileSR: SR_PROBE advertised, sr_probe not implemented
        self.assertIn("SR_PROBE", self.call("FileSR", "sr_get_driver_info", sr=False)["capabilities"])
        self.fault(38, "FileSR", "sr_probe", dconf=self.dconf(), sr=False)

    def test_epoch_begin_resets_only_with_the_capability(self):
        ref = self.create(4 * MiB)
        self.write(ref, 0, pattern(12, MiB))
        self.c("vdi_epoch_begin", vdi=ref)  # on_boot persist: nothing
        self.c("vdi_epoch_begin", vdi=ref, extra={"vdi_on_boot": "persist"})
        self.assertEqual(pattern(12, MiB), self.read(ref, 0, MiB))
        # sm's FileSR has no VDI_RESET_ON_BOOT/2: a reset is Unimplemented and changes nothing
        self.fault(38, "FileSR", "vdi_epoch_begin", dconf=self.dconf(), vdi=ref, extra={"vdi_on_boot": "reset"})
        self.assertEqual(pattern(12, MiB), self.read(ref, 0, MiB))
        self.c("vdi_epoch_end", vdi=ref)

    def test_deactivate_is_idempotent_and_survives_a_killed_daemon(self):
        ref = self.create(4 * MiB)
        path = self.activate(ref)
        self.c("vdi_activate", args=["true"], vdi=ref)  # again: nothing changes
        self.fault(24, "FileSR", "vdi_activate", dconf=self.dconf(), args=["false"], vdi=ref)
        self.fault(16, "FileSR", "sr_detach", dconf=self.dconf())
        pid = self.daemon_pid(path)
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
        self.c("vdi_deactivate", vdi=ref)  # cleans up the stale FUSE mount
        self.c("vdi_deactivate", vdi=ref)
        self.assertFalse(os.path.exists(path + ".pid"))
        with open("/proc/self/mountinfo") as f:
            self.assertNotIn(path, f.read())
        path = self.activate(ref)  # and it can be activated again
        with open(path, "r+b") as f:
            f.write(b"x" * 4096)
        self.deactivate(ref)
        self.deactivate(ref)
        self.assertFalse(os.path.exists(path))
        self.c("sr_detach")

    def test_attach_and_activate_after_a_killed_daemon(self):
        ref = self.create(4 * MiB)
        path = self.activate(ref)
        os.kill(self.daemon_pid(path), signal.SIGKILL)  # xapi restarted, the daemon died, nobody deactivated
        time.sleep(0.2)
        self.assertEqual(path, self.c("vdi_attach", args=["true"], vdi=ref)["params"])
        self.c("vdi_activate", args=["true"], vdi=ref)
        with open(path, "r+b") as f:
            f.write(b"y" * 512)
        self.deactivate(ref)
        self.assertEqual(b"y" * 512, self.content(ref)[:512])

    def test_location_never_leaves_the_sr(self):
        for bad in ("../../etc/passwd", "/etc/passwd", "x"):
            self.fault(1, "FileSR", "vdi_attach", dconf=self.dconf(), args=["true"], vdi="OpaqueRef:x", vdi_location=bad)
        self.fault(144, "FileSR", "vdi_attach", dconf=self.dconf(), args=["true"], vdi="OpaqueRef:x",
                   vdi_location=str(uuidlib.uuid4()))

    def test_sr_delete(self):
        ref = self.create(MiB)
        self.fault(39, "FileSR", "sr_delete", dconf=self.dconf())
        self.c("vdi_delete", vdi=ref)
        self.wait_gc()
        self.c("sr_delete")
        self.assertEqual([], self.files())

    def test_missing_tool_is_named(self):
        bindir = os.path.join(self.tmp, "bin")
        os.mkdir(bindir)
        os.symlink(shutil.which("python3", path="/usr/bin:/bin"), os.path.join(bindir, "python3"))
        self.path = bindir  # vdi_create writes the qcow2 image itself: no tool needed
        ref = self.create(MiB)
        e = self.fault(202, "FileSR", "vdi_resize", dconf=self.dconf(), args=[2 * MiB], vdi=ref, path=bindir)
        self.assertIn("qemu-img", e.text)
        self.assertIn("qemu-utils", e.text)
        self.assertEqual(str(MiB), self.xapi.vdis[ref]["virtual_size"])
