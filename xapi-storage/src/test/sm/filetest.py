"""Helpers for the FileSR and EXTSR tests: VDI creation, data through the datapath, chain inspection."""

import json
import os
import subprocess

from smtest import PluginTestCase

MiB = 1 << 20


def chain_of(path):
    out = subprocess.run(["qemu-img", "info", "-U", "--backing-chain", "--output=json", path],
                         stdout=subprocess.PIPE, check=True, text=True).stdout
    return [os.path.basename(i["filename"]) for i in json.loads(out)]


def pattern(seed, size):
    block = bytes((seed * 31 + i) % 251 for i in range(4096))
    return (block * (size // 4096 + 1))[:size]


class FileTestCase(PluginTestCase):
    plugin = "FileSR"

    def dconf(self):
        return {"location": self.sr_path}

    def c(self, command, **kwargs):
        kwargs.setdefault("dconf", self.dconf())
        return self.call(self.plugin, command, **kwargs)

    def create(self, size=64 * MiB, sm_config=None):
        result = self.c("vdi_create", args=[size, "disk", "", "OpaqueRef:NULL", "false", "", "", "false"],
                        vdi_sm_config=sm_config)
        return self.xapi.by_location(self.sr_ref)[result["location"]]

    def copy(self, command, ref):
        """vdi_snapshot or vdi_clone of ref; the new VDI's ref."""
        location = self.c(command, vdi=ref)["location"]
        return self.xapi.by_location(self.sr_ref)[location]

    def location(self, ref):
        return self.xapi.vdis[ref]["location"]

    def files(self):
        return sorted(n for n in os.listdir(self.sr_path))

    def hidden(self):
        return [n for n in self.files() if n.endswith(".hidden.qcow2")]

    def activate(self, ref, writable=True):
        params = self.c("vdi_attach", args=["true" if writable else "false"], vdi=ref)["params"]
        self.c("vdi_activate", args=["true" if writable else "false"], vdi=ref)
        return params

    def deactivate(self, ref):
        self.c("vdi_deactivate", vdi=ref)
        self.c("vdi_detach", vdi=ref)

    def write(self, ref, offset, data):
        path = self.activate(ref)
        with open(path, "r+b") as f:
            f.seek(offset)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        self.deactivate(ref)

    def read(self, ref, offset, size):
        path = self.activate(ref, writable=False)
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read(size)
        self.deactivate(ref)
        return data

    def daemon_pid(self, path):
        with open(path + ".pid") as f:
            return int(f.read())

    def leaf(self, ref):
        return os.path.join(self.sr_path, self.location(ref) + ".qcow2")

    def poke(self, ref, offset, size, byte):
        """Writes size bytes of value byte straight into the VDI's qcow2 leaf (qemu-io, no datapath)."""
        subprocess.run(["qemu-io", "-f", "qcow2", "-c", "write -q -P %d %d %d" % (byte, offset, size), self.leaf(ref)],
                       check=True, stdout=subprocess.DEVNULL)

    def content(self, ref):
        """The VDI's whole content, read through its backing chain by qemu-img (no datapath)."""
        out = os.path.join(self.tmp, "content.raw")
        subprocess.run(["qemu-img", "convert", "-U", "-O", "raw", self.leaf(ref), out], check=True)
        with open(out, "rb") as f:
            data = f.read()
        os.unlink(out)
        return data

    def wait_gc(self, timeout=30):
        """Waits until the GC launched by the plugins has finished (its flock is free, no kick left)."""
        import fcntl
        import time
        lock = os.path.join(self.lockdir, self.sr_uuid, "gc")
        kick = os.path.join(self.lockdir, self.sr_uuid, "gc.kick")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not os.path.exists(kick):
                if not os.path.exists(lock):
                    return  # never kicked (nothing to collect)
                fd = os.open(lock, os.O_RDWR)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    return
                except BlockingIOError:
                    pass
                finally:
                    os.close(fd)
            time.sleep(0.05)
        self.fail("the GC did not finish")
