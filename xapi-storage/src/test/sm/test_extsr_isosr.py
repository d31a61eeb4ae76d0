"""EXTSR on a loop device, and ISOSR (a local library; NFS and SMB attempted and refused)."""

import os
import subprocess
import uuid as uuidlib
import xml.dom.minidom

from filetest import MiB, FileTestCase, pattern
from smtest import PluginTestCase


class ExtSRTest(FileTestCase):
    plugin = "EXTSR"

    def setUp(self):
        super().setUp()
        image = os.path.join(self.tmp, "disk.img")
        with open(image, "wb") as f:
            f.truncate(256 * MiB)
        self.device = subprocess.run(["losetup", "-f", "--show", image], check=True, stdout=subprocess.PIPE,
                                     text=True).stdout.strip()
        self.addCleanup(subprocess.run, ["losetup", "-d", self.device], check=False)
        self.sr_path = os.path.join(self.mountbase, self.sr_uuid)

    def dconf(self):
        return {"device": self.device}

    def mounted(self):
        with open("/proc/self/mountinfo") as f:
            return any(line.split()[4] == self.sr_path for line in f)

    def test_lifecycle_on_a_loop_device(self):
        self.c("sr_create", args=["0"])
        self.assertIn("ext4", subprocess.run(["blkid", "-o", "value", "-s", "TYPE", self.device],
                                             stdout=subprocess.PIPE, text=True).stdout)
        self.assertFalse(self.mounted())
        self.fault(47, "EXTSR", "vdi_create", dconf=self.dconf(), args=[MiB, "", "", "", "", "", "", ""])
        self.c("sr_attach")
        self.assertTrue(self.mounted())
        ref = self.create(16 * MiB)
        self.write(ref, 0, pattern(30, 2 * MiB))
        snap = self.copy("vdi_snapshot", ref)
        self.write(ref, MiB, pattern(31, MiB))
        self.assertEqual(pattern(30, 2 * MiB), self.read(snap, 0, 2 * MiB))
        self.c("sr_scan")
        self.assertEqual(2, len(self.xapi.by_location(self.sr_ref)))
        self.assertEqual(str(32 * MiB), self.xapi.srs[self.sr_ref]["virtual_allocation"])
        self.assertLess(int(self.xapi.srs[self.sr_ref]["physical_size"]), 256 * MiB)
        self.c("vdi_delete", vdi=snap)
        self.wait_gc()
        self.assertEqual(pattern(30, MiB) + pattern(31, MiB), self.read(ref, 0, 2 * MiB))
        self.assertEqual([], self.hidden())
        self.c("sr_detach")
        self.assertFalse(self.mounted())
        self.assertFalse(os.path.exists(self.sr_path))
        self.c("sr_attach")  # the data is on the device
        self.assertEqual(pattern(30, MiB) + pattern(31, MiB), self.read(ref, 0, 2 * MiB))
        self.fault(39, "EXTSR", "sr_delete", dconf=self.dconf())
        self.c("vdi_delete", vdi=ref)
        self.wait_gc()
        self.c("sr_detach")
        self.c("sr_delete")
        self.assertFalse(self.mounted())

    def test_probe_update_and_reset_on_boot(self):
        empty = self.c("sr_probe", sr=False)
        self.assertEqual([], xml.dom.minidom.parseString(empty).getElementsByTagName("SR"))
        self.c("sr_create", args=["0"])
        found = xml.dom.minidom.parseString(self.c("sr_probe", sr=False)).getElementsByTagName("SR")
        self.assertEqual(1, len(found))
        text = {n.tagName: n.firstChild.data for n in found[0].childNodes if n.nodeType == n.ELEMENT_NODE}
        self.assertEqual({"UUID": self.sr_uuid, "Devlist": self.device, "size": str(256 * MiB)}, text)
        self.c("sr_attach")
        caps = self.call("EXTSR", "sr_get_driver_info", sr=False)["capabilities"]
        for cap in ("SR_PROBE", "VDI_UPDATE", "VDI_GENERATE_CONFIG", "VDI_RESET_ON_BOOT/2"):
            self.assertIn(cap, caps)
        ref = self.create(4 * MiB)
        self.c("vdi_update", vdi=ref)
        self.write(ref, 0, pattern(40, MiB))
        # a VDI without parent is not reset
        self.fault(202, "EXTSR", "vdi_epoch_begin", dconf=self.dconf(), vdi=ref, extra={"vdi_on_boot": "reset"})
        self.assertEqual(pattern(40, MiB), self.read(ref, 0, MiB))
        # with a parent (here a snapshot's frozen node), the leaf's own writes go
        snap = self.copy("vdi_snapshot", ref)
        self.write(ref, MiB, pattern(41, MiB))
        self.c("vdi_epoch_begin", vdi=ref, extra={"vdi_on_boot": "reset"})
        self.assertEqual(pattern(40, MiB) + bytes(MiB), self.read(ref, 0, 2 * MiB))
        self.c("vdi_delete", vdi=snap)
        self.c("vdi_delete", vdi=ref)
        self.wait_gc()
        self.c("sr_detach")

    def test_bad_device_config(self):
        self.fault(90, "EXTSR", "sr_create", dconf={}, args=["0"])
        self.fault(91, "EXTSR", "sr_create", dconf={"device": "relative"}, args=["0"])
        self.fault(91, "EXTSR", "sr_create", dconf={"device": "/dev/../dev/null"}, args=["0"])
        self.fault(91, "EXTSR", "sr_create", dconf={"device": "/dev/null"}, args=["0"])
        self.fault(91, "EXTSR", "sr_attach", dconf={"device": os.path.join(self.tmp, "disk.img")})
        self.assertFalse(os.path.exists(self.mountbase))
        self.assertEqual("", subprocess.run(["blkid", "-o", "value", "-s", "TYPE", self.device],
                                            stdout=subprocess.PIPE, text=True).stdout.strip())


class IsoSRTest(PluginTestCase):
    def setUp(self):
        super().setUp()
        self.lib = os.path.join(self.tmp, "isos")
        os.mkdir(self.lib)
        self.fixed = str(uuidlib.uuid4())
        for name, size in (("a.iso", 4096), ("%s.img" % self.fixed, 8192), ("notes.txt", 10)):
            with open(os.path.join(self.lib, name), "wb") as f:
                f.write(b"\x01" * size)
        self.dconf = {"location": self.lib, "legacy_mode": "true"}

    def c(self, command, **kwargs):
        kwargs.setdefault("dconf", self.dconf)
        return self.call("ISOSR", command, **kwargs)

    def test_local_library(self):
        self.c("sr_create", args=["0"])
        self.c("sr_attach")
        self.c("sr_scan")
        vdis = {r["location"]: (ref, r) for ref, r in self.xapi.vdis.items()}
        self.assertEqual(sorted(["%s.img" % self.fixed, "a.iso"]), sorted(vdis))
        self.assertEqual(self.fixed, vdis["%s.img" % self.fixed][1]["uuid"])
        self.assertTrue(all(r["read_only"] for _, r in vdis.values()))
        self.assertEqual("4096", vdis["a.iso"][1]["virtual_size"])
        ref = vdis["a.iso"][0]
        self.assertEqual(os.path.join(self.lib, "a.iso"), self.c("vdi_attach", args=["false"], vdi=ref)["params"])
        self.c("vdi_detach", vdi=ref)
        os.unlink(os.path.join(self.lib, "a.iso"))
        with open(os.path.join(self.lib, "b.ISO"), "wb") as f:
            f.write(b"\x02" * 2048)
        self.c("sr_scan")
        self.assertEqual(sorted(["%s.img" % self.fixed, "b.ISO"]), sorted(self.xapi.by_location(self.sr_ref)))
        created = self.c("vdi_create", args=[MiB, "blank", "", "", "false", "", "", "false"])
        self.assertTrue(os.path.exists(os.path.join(self.lib, created["location"])))
        self.c("vdi_delete", vdi=self.xapi.by_location(self.sr_ref)[created["location"]])
        self.assertFalse(os.path.exists(os.path.join(self.lib, created["location"])))
        self.fault(144, "ISOSR", "vdi_attach", dconf=self.dconf, args=["false"], vdi="OpaqueRef:x",
                   vdi_location="../isos/b.ISO")
        self.c("sr_detach")

    def test_bad_locations(self):
        self.fault(94, "ISOSR", "sr_attach", dconf={"legacy_mode": "true"})
        self.fault(226, "ISOSR", "sr_attach", dconf={"location": os.path.join(self.tmp, "none"), "legacy_mode": "true"})
        self.fault(226, "ISOSR", "sr_attach", dconf={"location": "rel/dir", "legacy_mode": "true"})
        self.fault(225, "ISOSR", "sr_attach", dconf={"location": "just-a-name"})

    def test_nfs_and_smb_mounts_fail_with_the_iso_mount_code(self):
        for location in ("127.0.0.1:/exports/isos", "//127.0.0.1/isos"):
            e = self.fault(222, "ISOSR", "sr_attach", dconf={"location": location})
            self.assertIn("mount", e.text)
            self.assertFalse(os.path.exists(os.path.join(self.mountbase, self.sr_uuid)))
