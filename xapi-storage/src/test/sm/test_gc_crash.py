"""The coalescing GC killed (kill -9 of its process group) at every point of its sequence loses nothing."""

import os
import subprocess
import sys

from filetest import MiB, FileTestCase

POINTS = ["journal", "commit", "committed", "rebased-one", "renamed"]


class GcCrashTest(FileTestCase):
    def setUp(self):
        super().setUp()
        self.sr_path = os.path.join(self.tmp, "sr")
        with open(os.path.join(self.plugins, "sm.conf"), "a") as f:
            f.write("gc = off\n")  # the GC runs only when the test says
        self.c("sr_create", args=["0"])

    def run_gc(self, fist=None):
        env = {"PATH": self.path, "SM_CONF": os.path.join(self.plugins, "sm.conf"), "XAPI_UNIX_SOCKET": self.xapi.path}
        if fist:
            env["SM_GC_FIST"] = fist
        kick = os.path.join(self.lockdir, self.sr_uuid, "gc.kick")
        open(kick, "w").close()
        p = subprocess.run([sys.executable, os.path.join(self.plugins, "smgc.py"), self.sr_path, self.sr_uuid],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60,
                           start_new_session=True)
        return p

    def chain_setup(self):
        """VDI A over H2 over H1, with snapshots S1 (on H1) and S2 (on H2); the GC is kept from running by
        holding its lock while the plugins kick it."""
        a = self.create(12 * MiB)
        self.poke(a, 0, 6 * MiB, 20)
        s1 = self.copy("vdi_snapshot", a)
        self.poke(a, 3 * MiB, 6 * MiB, 21)
        s2 = self.copy("vdi_snapshot", a)
        self.poke(a, 8 * MiB, 3 * MiB, 22)
        return a, s1, s2

    def expect(self, refs):
        return {r: self.content(r) for r in refs}

    def check(self, expected):
        for r, data in expected.items():
            self.assertEqual(data, self.content(r), "data of %s" % self.location(r))

    def delete_without_gc(self, ref):
        self.c("vdi_delete", vdi=ref)

    def wait_gc(self):
        p = self.run_gc()
        self.assertEqual(0, p.returncode, p.stdout)

    def test_kill_at_each_point_of_a_hidden_coalesce(self):
        for point in ["journal", "commit", "committed", "rebased-one"]:
            with self.subTest(point=point):
                a, s1, s2 = self.chain_setup()
                expected = self.expect([a, s2])
                self.assertEqual(bytes([20]) * 3 * MiB + bytes([21]) * 5 * MiB + bytes([22]) * 3 * MiB + bytes(MiB),
                                 expected[a])
                self.delete_without_gc(s1)  # H1 now has the single child H2: a hidden coalesce
                p = self.run_gc(point)
                self.assertEqual(-9, p.returncode, p.stdout)
                self.assertIn("fist point " + point, p.stdout)
                self.check(expected)  # nothing lost while the journal is pending
                p = self.run_gc()
                self.assertEqual(0, p.returncode, p.stdout)
                self.assertFalse(os.path.exists(os.path.join(self.sr_path, "gc-journal")))
                self.assertEqual(1, len(self.hidden()))
                self.check(expected)
                for r in (a, s2):
                    self.c("vdi_delete", vdi=r)
                self.wait_gc()
                self.assertEqual([], self.files())

    def test_kill_at_each_point_of_a_leaf_coalesce(self):
        for point in ["journal", "commit", "committed", "renamed"]:
            with self.subTest(point=point):
                a = self.create(12 * MiB)
                self.poke(a, 0, 5 * MiB, 23)
                s = self.copy("vdi_snapshot", a)
                self.poke(a, 4 * MiB, 5 * MiB, 24)
                expected = self.expect([a])
                self.delete_without_gc(s)  # the hidden node has the single child A: a leaf coalesce
                p = self.run_gc(point)
                self.assertEqual(-9, p.returncode, p.stdout)
                self.check(expected)
                p = self.run_gc()
                self.assertEqual(0, p.returncode, p.stdout)
                self.assertEqual([self.location(a) + ".qcow2"], self.files())
                self.check(expected)
                self.c("vdi_delete", vdi=a)
                self.wait_gc()

    def test_a_snapshot_between_the_crash_and_the_resume(self):
        a = self.create(12 * MiB)
        self.poke(a, 0, 5 * MiB, 25)
        s = self.copy("vdi_snapshot", a)
        self.poke(a, 4 * MiB, 5 * MiB, 26)
        self.delete_without_gc(s)
        p = self.run_gc("journal")  # the journal says: commit A into its parent
        self.assertEqual(-9, p.returncode, p.stdout)
        s2 = self.copy("vdi_snapshot", a)  # the chain changes before the GC resumes
        self.poke(a, 0, MiB, 27)
        expected = self.expect([a, s2])
        p = self.run_gc()
        self.assertEqual(0, p.returncode, p.stdout)
        self.check(expected)
