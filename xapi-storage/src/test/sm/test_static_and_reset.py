"""vdi_attach_from_config / vdi_detach_from_config (the static VDIs' path, run with generate_config's own
methodCall as the argument, as Xapi's static-vdis script does), and the GC leaving a reset-on-boot or
allow_caching VDI its parent."""

import os
import subprocess
import xmlrpc.client

from filetest import MiB, FileTestCase, chain_of, pattern


class StaticConfig:
    """generate_config's answer as static-vdis uses it: the inner methodCall, and its detach twin."""

    def __init__(self, test, ref):
        self.attach_call = test.c("vdi_generate_config", vdi=ref)
        (params,), method = xmlrpc.client.loads(self.attach_call)
        test.assertEqual("vdi_attach_from_config", method)
        params["command"] = "vdi_detach_from_config"
        self.detach_call = xmlrpc.client.dumps((params,), "vdi_detach_from_config")


class FromConfigMixin:
    def from_config(self, call):
        """The plugin run with exactly one methodCall string (no session, no host, no sr_ref)."""
        return self.call(self.plugin, "unused", raw_argv=[call])

    def check_attach_from_config(self):
        ref = self.create(8 * MiB)
        self.write(ref, 0, pattern(50, 2 * MiB))
        config = StaticConfig(self, ref)
        before = len(self.xapi.calls)
        result = self.from_config(config.attach_call)
        path = result["params"]
        self.assertEqual("", result["params_nbd"])
        self.assertEqual({"vdi-uuid": self.xapi.vdis[ref]["uuid"]}, result["xenstore_data"])
        with open(path, "r+b") as f:  # attached and activated read-write in one call
            self.assertEqual(pattern(50, 2 * MiB), f.read(2 * MiB))
            f.seek(MiB)
            f.write(pattern(51, MiB))
            f.flush()
            os.fsync(f.fileno())
        self.assertEqual(path, self.from_config(config.attach_call)["params"], "attach again: the same datapath")
        self.fault(24, self.plugin, "vdi_activate", dconf=self.dconf(), args=["false"], vdi=ref)
        self.assertEqual("", self.from_config(config.detach_call) or "")
        self.assertEqual("", self.from_config(config.detach_call) or "", "detach again: nothing to do")
        self.assertEqual(before, len(self.xapi.calls), "no callback: xapi may be down")
        self.assertEqual(pattern(50, MiB) + pattern(51, MiB), self.read(ref, 0, 2 * MiB))
        return ref, config


class FileSRFromConfigTest(FromConfigMixin, FileTestCase):
    def setUp(self):
        super().setUp()
        self.sr_path = os.path.join(self.tmp, "sr")
        self.c("sr_create", args=["0"])
        self.c("sr_attach")

    def test_attach_and_detach_from_config(self):
        ref, config = self.check_attach_from_config()
        raw = self.create(2 * MiB, sm_config={"type": "raw"})
        self.assertEqual(os.path.join(self.sr_path, self.location(raw) + ".raw"),
                         self.from_config(StaticConfig(self, raw).attach_call)["params"])
        # the VDI gone: VDIUnavailable; the SR directory gone: SRUnavailable
        self.c("vdi_delete", vdi=ref)
        self.fault(46, "FileSR", "unused", raw_argv=[config.attach_call])
        os.rename(self.sr_path, self.sr_path + ".moved")
        self.fault(47, "FileSR", "unused", raw_argv=[config.attach_call])


class GcKeepsResetOnBootTest(FileTestCase):
    """FileSR's GC (EXTSR's is the same code): xapi's set_on_boot reset is clone + delete of the clone, then the
    field; the VDI's new parent must stay."""

    def setUp(self):
        super().setUp()
        self.sr_path = os.path.join(self.tmp, "sr")
        self.c("sr_create", args=["0"])
        self.c("sr_attach")

    def set_persistent_false(self, ref):
        clone = self.copy("vdi_clone", ref)
        self.c("vdi_delete", vdi=clone)

    def test_reset_on_boot_and_allow_caching_vdis_keep_their_parent(self):
        for field, value in (("on_boot", "reset"), ("allow_caching", True)):
            with self.subTest(field=field):
                ref = self.create(4 * MiB)
                self.poke(ref, 0, MiB, 60)
                self.xapi.vdis[ref][field] = value
                self.set_persistent_false(ref)
                self.wait_gc()
                chain = chain_of(self.leaf(ref))
                self.assertEqual(2, len(chain), "the VDI keeps its parent: %s" % chain)
                self.assertIn("leaf coalesce of %s.qcow2 skipped" % self.location(ref), self.gc_log())
                self.xapi.vdis[ref][field] = "persist" if field == "on_boot" else False
                self.c("vdi_deactivate", vdi=ref)  # kicks the GC: the leaf coalesce may go now
                self.wait_gc()
                self.assertEqual(1, len(chain_of(self.leaf(ref))))
                self.assertEqual(bytes([60]) * MiB, self.content(ref)[:MiB])
                self.c("vdi_delete", vdi=ref)
                self.wait_gc()

    def test_the_delay_covers_on_boot_written_after_the_clone_delete(self):
        with open(os.path.join(self.plugins, "sm.conf"), "a") as f:
            f.write("leaf-coalesce-delay-seconds = 1\n")
        ref = self.create(4 * MiB)
        self.set_persistent_false(ref)  # the GC starts now
        self.xapi.vdis[ref]["on_boot"] = "reset"  # xapi writes the field after set_persistent
        self.wait_gc()
        self.assertEqual(2, len(chain_of(self.leaf(ref))))

    def test_without_xapi_no_leaf_is_coalesced(self):
        self.xapi.login_allowed = False
        ref = self.create(4 * MiB)
        self.set_persistent_false(ref)
        self.wait_gc()
        self.assertEqual(2, len(chain_of(self.leaf(ref))))
        self.assertIn("cannot read the VDIs of SR", self.gc_log())

    def gc_log(self):
        with open(os.path.join(self.lockdir, self.sr_uuid, "gc.log")) as f:
            return f.read()


class ExtSRStaticAndResetTest(FromConfigMixin, FileTestCase):
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
        self.c("sr_create", args=["0"])
        self.c("sr_attach")

    def dconf(self):
        return {"device": self.device}

    def test_attach_from_config_mounts_the_sr(self):
        ref, config = self.check_attach_from_config()
        self.c("sr_detach")
        self.assertFalse(os.path.exists(self.sr_path))
        path = self.from_config(config.attach_call)["params"]  # as after a reboot: the SR is mounted first
        with open(path, "rb") as f:
            self.assertEqual(pattern(50, MiB) + pattern(51, MiB), f.read(2 * MiB))
        self.from_config(config.detach_call)
        self.c("vdi_delete", vdi=ref)
        self.wait_gc()

    def test_reset_on_boot_after_the_gc_coalesced_the_clone_base(self):
        base = self.create(8 * MiB)
        self.write(base, 0, pattern(70, 4 * MiB))
        clone = self.copy("vdi_clone", base)
        # VDI.set_on_boot reset: set_persistent false (clone and delete the clone), then the field
        extra = self.copy("vdi_clone", clone)
        self.c("vdi_delete", vdi=extra)
        self.xapi.vdis[clone]["on_boot"] = "reset"
        self.wait_gc()
        # the base VDI goes and a snapshot of the clone comes and goes: the GC coalesces what it may
        self.c("vdi_delete", vdi=base)
        snap = self.copy("vdi_snapshot", clone)
        self.c("vdi_delete", vdi=snap)
        self.wait_gc()
        self.assertEqual(2, len(chain_of(self.leaf(clone))), "the clone keeps one parent: its base")
        expected = pattern(70, 4 * MiB) + bytes(4 * MiB)
        for boot in range(2):
            self.c("vdi_epoch_begin", vdi=clone, extra={"vdi_on_boot": "reset"})
            self.assertEqual(expected, self.read(clone, 0, 8 * MiB), "boot %d starts from the base" % boot)
            self.write(clone, MiB, pattern(71 + boot, 5 * MiB))
            self.c("vdi_epoch_end", vdi=clone)
            self.wait_gc()
        self.c("vdi_epoch_begin", vdi=clone, extra={"vdi_on_boot": "reset"})
        self.assertEqual(expected, self.content(clone))
        self.c("vdi_delete", vdi=clone)
        self.wait_gc()
        self.assertEqual(["lost+found"], self.files())
