"""Activation tags (smlock.py) through FileSR: the pool-wide exclusion a driver keeps in VDI.sm_config."""

import os
import time

from filetest import MiB, FileTestCase

ME = "host_OpaqueRef:host"
OTHER = "OpaqueRef:other-host"


class ActivationTagsTest(FileTestCase):
    def setUp(self):
        super().setUp()
        self.sr_path = os.path.join(self.tmp, "sr")
        self.c("sr_create", args=["0"])
        self.c("sr_attach")
        self.ref = self.create(4 * MiB)

    def sm_config(self):
        return self.xapi.vdis[self.ref].setdefault("sm_config", {})

    def tags(self):
        """sm_config without what vdi_create put there (vdi_type)."""
        return {k: v for k, v in self.sm_config().items() if k != "vdi_type"}

    def test_activate_tags_the_vdi_for_this_host_and_deactivate_removes_it(self):
        self.activate(self.ref)
        self.assertEqual({ME: "RW"}, self.tags())
        names = self.xapi.names()
        self.assertIn("VDI.add_to_sm_config", names)
        self.deactivate(self.ref)
        self.assertEqual({}, self.tags())
        self.activate(self.ref, writable=False)
        self.assertEqual({ME: "RO"}, self.tags())
        self.deactivate(self.ref)
        self.assertEqual({}, self.tags())

    def test_a_vdi_activated_elsewhere_is_refused(self):
        self.xapi.hosts[OTHER] = True
        self.sm_config()["host_" + OTHER] = "RW"
        self.c("vdi_attach", args=["false"], vdi=self.ref)
        self.fault(46, "FileSR", "vdi_activate", dconf=self.dconf(), args=["false"], vdi=self.ref)
        self.assertEqual({"host_" + OTHER: "RW"}, self.tags())  # nothing added, mutex released
        self.sm_config()["host_" + OTHER] = "RO"
        self.fault(46, "FileSR", "vdi_activate", dconf=self.dconf(), args=["true"], vdi=self.ref)
        self.c("vdi_activate", args=["false"], vdi=self.ref)  # read-only beside read-only is fine
        self.assertEqual({"host_" + OTHER: "RO", ME: "RO"}, self.tags())
        self.c("vdi_deactivate", vdi=self.ref)
        self.assertEqual({"host_" + OTHER: "RO"}, self.tags())

    def test_a_datapath_running_for_another_host_is_not_taken_as_this_hosts(self):
        # two hosts of a pool on one machine share the datapath directory: the daemon another host started for the
        # VDI must not make this host's activation a no-op without its tag
        self.activate(self.ref)
        self.c("vdi_activate", args=["true"], vdi=self.ref)  # again, this host: idempotent
        self.assertEqual({ME: "RW"}, self.tags())
        del self.sm_config()[ME]
        self.xapi.hosts[OTHER] = True
        self.sm_config()["host_" + OTHER] = "RW"
        self.fault(24, "FileSR", "vdi_activate", dconf=self.dconf(), args=["true"], vdi=self.ref)
        self.assertEqual({"host_" + OTHER: "RW"}, self.tags())
        self.deactivate(self.ref)

    def test_stale_tags_of_dead_or_unknown_hosts_are_cleared(self):
        self.xapi.hosts[OTHER] = False  # not live
        self.sm_config()["host_" + OTHER] = "RW"
        self.sm_config()["host_OpaqueRef:gone"] = "RW"  # no such host
        self.activate(self.ref)
        self.assertEqual({ME: "RW"}, self.tags())
        self.deactivate(self.ref)

    def test_activating_and_paused_block_until_the_retry_time_runs_out(self):
        for key in ("activating", "paused", "relinking"):
            self.sm_config()[key] = "True"
            self.c("vdi_attach", args=["true"], vdi=self.ref)
            start = time.monotonic()
            self.fault(46, "FileSR", "vdi_activate", dconf=self.dconf(), args=["true"], vdi=self.ref)
            self.assertGreaterEqual(time.monotonic() - start, 1.0)
            self.assertEqual({key: "True"}, self.tags())
            del self.sm_config()[key]
        self.activate(self.ref)
        self.assertEqual({ME: "RW"}, self.tags())
        self.deactivate(self.ref)

    def test_the_allow_multiple_file_turns_the_exclusion_off(self):
        self.xapi.hosts[OTHER] = True
        self.sm_config()["host_" + OTHER] = "RW"
        open(os.path.join(self.tmp, "allow_multiple_vdi_attach"), "w").close()
        self.activate(self.ref)
        self.assertEqual({"host_" + OTHER: "RW", ME: "RW"}, self.tags())
        self.deactivate(self.ref)

    def test_sr_attach_clears_this_hosts_tags(self):
        self.sm_config()[ME] = "RW"  # left by a crash
        self.xapi.hosts[OTHER] = True
        self.sm_config()["host_" + OTHER] = "RO"
        self.c("sr_attach")
        self.assertEqual({"host_" + OTHER: "RO"}, self.tags())

    def test_a_tag_committed_by_another_host_while_taking_the_mutex_is_seen(self):
        self.xapi.hosts[OTHER] = True
        add = self.xapi.VDI_add_to_sm_config

        def racing_add(ref, key, value):
            result = add(ref, key, value)
            if key == "activating":  # the other host committed just before our mutex was taken
                self.xapi.vdis[ref]["sm_config"]["host_" + OTHER] = "RW"
            return result

        self.xapi.VDI_add_to_sm_config = racing_add
        self.c("vdi_attach", args=["true"], vdi=self.ref)
        self.fault(46, "FileSR", "vdi_activate", dconf=self.dconf(), args=["true"], vdi=self.ref)
        self.assertEqual({"host_" + OTHER: "RW"}, self.tags())  # the mutex released, nothing of ours
