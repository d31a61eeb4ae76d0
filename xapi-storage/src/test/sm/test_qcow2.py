"""smqcow2 writes the empty images qemu-img writes: QEMU reads and checks them, and with QEMU 7.2 (Debian 12,
scripts/setup-test-system) the bytes and the allocation are qemu-img create's own."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

from filetest import MiB, FileTestCase, chain_of, pattern
from smtest import PLUGINS

sys.path.insert(0, PLUGINS)
import smqcow2  # noqa: E402

SIZES = [0, 512, 64 * 1024, 64 * MiB, 512 * MiB, 512 * MiB + 512, 10 << 30, 4 << 40, 5 << 40]
BACKINGS = [None, "a.qcow2", "0b1f5c3e-1111-2222-3333-444455556666.hidden.qcow2"]


def qemu_img(*argv, cwd=None):
    return subprocess.run(["qemu-img"] + list(argv), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)


class Qcow2ImageTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="qcow2test-")
        self.addCleanup(subprocess.run, ["rm", "-rf", self.tmp])
        for backing in BACKINGS[1:]:
            qemu_img("create", "-q", "-f", "qcow2", os.path.join(self.tmp, backing), str(MiB))
        self.same_qemu = qemu_img("--version").stdout.startswith("qemu-img version 7.")

    def test_qemu_reads_and_checks_the_images(self):
        for size in SIZES:
            for backing in BACKINGS:
                with self.subTest(size=size, backing=backing):
                    mine = os.path.join(self.tmp, "mine.qcow2")
                    smqcow2.create(mine, size, backing)
                    check = qemu_img("check", "-U", "-f", "qcow2", mine)
                    self.assertEqual(0, check.returncode, check.stdout)
                    self.assertIn("No errors were found", check.stdout)
                    info = json.loads(qemu_img("info", "-U", "--output=json", mine).stdout)
                    self.assertEqual("qcow2", info["format"])
                    self.assertEqual(size, info["virtual-size"])
                    self.assertEqual(65536, info["cluster-size"])
                    self.assertEqual("1.1", info["format-specific"]["data"]["compat"])
                    self.assertEqual(backing, info.get("backing-filename"))
                    if backing:
                        self.assertEqual("qcow2", info["backing-filename-format"])
                    self.assertEqual((size, backing), smqcow2.header(mine))
                    if self.same_qemu:
                        ref = os.path.join(self.tmp, "ref.qcow2")
                        qemu_img("create", "-q", "-f", "qcow2", *(["-u", "-b", backing, "-F", "qcow2"] if backing
                                                                   else []), ref, str(size))
                        with open(ref, "rb") as a, open(mine, "rb") as b:
                            self.assertEqual(a.read(), b.read(), "the bytes of qemu-img create")
                        self.assertEqual(os.stat(ref).st_blocks, os.stat(mine).st_blocks, "qemu-img's allocation")
                        os.unlink(ref)
                    os.unlink(mine)

    def test_bad_sizes_and_non_qcow2_files(self):
        for size in (-512, 100):
            with self.assertRaises(ValueError):
                smqcow2.image(size)
        raw = os.path.join(self.tmp, "raw")
        with open(raw, "wb") as f:
            f.write(b"\0" * 4096)
        with self.assertRaises(ValueError):
            smqcow2.header(raw)


class FileSRImagesTest(FileTestCase):
    """Images the plugin wrote (create, snapshot, clone) are what qemu-img check and info accept."""

    def setUp(self):
        super().setUp()
        self.sr_path = os.path.join(self.tmp, "sr")
        self.c("sr_create", args=["0"])

    def test_created_and_snapshot_images_are_sound(self):
        ref = self.create(48 * MiB + 100)  # rounded up to whole sectors
        self.assertEqual(str(48 * MiB + 512), self.xapi.vdis[ref]["virtual_size"])
        self.assertEqual(str(os.stat(self.leaf(ref)).st_blocks * 512), self.xapi.vdis[ref]["physical_utilisation"])
        self.write(ref, 0, pattern(80, 2 * MiB))
        snap = self.copy("vdi_snapshot", ref)
        clone = self.copy("vdi_clone", ref)
        for r in (ref, snap, clone):
            leaf = self.leaf(r)
            self.assertGreaterEqual(len(chain_of(leaf)), 2)
            for path in chain_of(leaf):
                check = qemu_img("check", "-U", "-f", "qcow2", os.path.join(self.sr_path, path))
                self.assertEqual(0, check.returncode, check.stdout)
            self.assertEqual(pattern(80, 2 * MiB), self.content(r)[:2 * MiB])
        self.write(clone, MiB, pattern(81, MiB))
        self.assertEqual(pattern(80, MiB) + pattern(81, MiB), self.read(clone, 0, 2 * MiB))
        self.assertEqual(pattern(80, 2 * MiB), self.read(ref, 0, 2 * MiB))


if __name__ == "__main__":
    unittest.main()
