"""The file-based SR core shared by FileSR (a directory) and EXTSR (a mounted ext4 device).

Layout of an SR directory:
  <uuid>.qcow2          a VDI (thin, copy-on-write; its backing chain is made of hidden nodes)
  <uuid>.raw            a raw VDI (sparse file, no snapshot or clone)
  <uuid>.hidden.qcow2   a hidden chain node: frozen content shared by its children, never a VDI
  *.tmp                 a file being written; removed by the garbage collector
  gc-journal            the garbage collector's record of the coalesce in progress
A VDI's location is its uuid. Backing file names are stored relative (the SR may move).

Datapath: <datapath-dir>/<sr-uuid>/<vdi-uuid> is a regular file (made by vdi_attach) over which
vdi_activate mounts a FUSE export of the qcow2 leaf, served by qemu-storage-daemon (pid in
<vdi-uuid>.pid, access mode in <vdi-uuid>.mode). A raw VDI's datapath is its file itself.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

import smcore
import smlock
import smqcow2
from smcore import SMError, log, run

VDI_FILE = re.compile(r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(qcow2|raw)$")
HIDDEN_FILE = re.compile(r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.hidden\.qcow2$")
JOURNAL = "gc-journal"


def fsync_dir(path):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def qemu_info(path):
    """virtual-size, actual-size and backing-filename of an image (-U: readable while exported)."""
    return json.loads(run(["qemu-img", "info", "-U", "--output=json", path]))


def backing_of(path):
    """The backing file's name, read from the qcow2 header (qemu-img info for anything else)."""
    try:
        name = smqcow2.header(path)[1]
    except ValueError:
        name = qemu_info(path).get("backing-filename")
    except OSError as e:  # gone or unreadable: as qemu-img would fail
        raise smcore.CommandFailed(["read", path], 1, str(e))
    return os.path.basename(name) if name else None


def is_mounted(path):
    path = os.path.abspath(path)  # no stat: a dead FUSE mount fails every stat with ENOTCONN
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mountpoint = line.split()[4].replace("\\040", " ")
            if mountpoint == path:
                return True
    return False


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is dead for our purposes
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Datapath:
    """The FUSE export of one qcow2 VDI."""

    def __init__(self, sr_uuid, vdi_uuid):
        self.dir = os.path.join(smcore.CONFIG["datapath-dir"], sr_uuid)
        self.path = os.path.join(self.dir, vdi_uuid)
        self.pidfile = self.path + ".pid"
        self.modefile = self.path + ".mode"

    def pid(self):
        try:
            with open(self.pidfile) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return None
        if not pid_alive(pid):
            return None
        try:  # the pid may have been reused after a crash: it must be our daemon for this path
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cmdline = f.read().split(b"\0")
        except OSError:
            return None
        if not any(b"qemu-storage-daemon" in a for a in cmdline[:1]) or not any(
                self.path.encode() in a for a in cmdline):
            return None
        return pid

    def active(self):
        return self.pid() is not None

    def mode(self):
        try:
            with open(self.modefile) as f:
                return f.read().strip()
        except OSError:
            return None

    def prepare(self):
        os.makedirs(self.dir, exist_ok=True)
        if is_mounted(self.path) and not self.active():  # the export of a killed daemon
            run(["fusermount3", "-u", "-z", self.path], check=False)
        if not os.path.exists(self.path):
            with open(self.path, "a"):
                pass

    def start(self, image, writable):
        self.prepare()
        if is_mounted(self.path):  # a stale export of a killed daemon
            run(["fusermount3", "-u", "-z", self.path], check=False)
        ro = "off" if writable else "on"
        argv = ["qemu-storage-daemon",
                "--blockdev", "driver=file,node-name=f,filename=%s,read-only=%s" % (image.replace(",", ",,"), ro),
                "--blockdev", "driver=qcow2,node-name=q,file=f,read-only=%s" % ro,
                "--export", "type=fuse,id=e,node-name=q,mountpoint=%s,writable=%s"
                % (self.path.replace(",", ",,"), "on" if writable else "off"),
                "--chardev", "socket,id=m,path=%s,abstract=on,server=on,wait=off" % self.monitor_name(),
                "--monitor", "chardev=m",
                "--pidfile", self.pidfile, "--daemonize"]
        smcore.tool("fusermount3")
        with open(self.modefile + ".tmp", "w") as f:
            f.write("rw" if writable else "ro")
        os.rename(self.modefile + ".tmp", self.modefile)
        run(argv)

    def monitor_name(self):
        """The daemon's QMP socket, in the abstract namespace (no file, no sun_path length trouble)."""
        return "xapi-java-sm/%s/%s" % (os.path.basename(self.dir), os.path.basename(self.path))

    def qmp(self, *commands):
        """Runs QMP commands [(name, arguments)] on the daemon; returns their results, or raises SMError."""
        import socket
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(30)
        try:
            sock.connect("\0" + self.monitor_name())
            stream = sock.makefile("rw")
            json.loads(stream.readline())  # greeting
            results = []
            for name, arguments in [("qmp_capabilities", {})] + list(commands):
                stream.write(json.dumps({"execute": name, "arguments": arguments}) + "\n")
                stream.flush()
                while True:
                    line = stream.readline()
                    if not line:
                        raise SMError("VDIUnavailable", "qemu-storage-daemon closed its monitor")
                    answer = json.loads(line)
                    if "error" in answer:
                        raise SMError("VDIUnavailable", "QMP %s: %s" % (name, answer["error"].get("desc")))
                    if "return" in answer:
                        results.append(answer["return"])
                        break
            return results[1:]
        except OSError as e:
            raise SMError("VDIUnavailable", "QMP: %s" % e)
        finally:
            sock.close()

    def live_snapshot(self, leaf):
        """Moves the running export onto the (already written) new leaf file; the old one becomes its backing."""
        [exports] = self.qmp(("query-block-exports", {}))
        top = exports[0]["node-name"]
        node = "n" + smcore.new_uuid().replace("-", "")[:16]
        self.qmp(("blockdev-add", {"driver": "qcow2", "node-name": node, "read-only": self.mode() != "rw",
                                   "file": {"driver": "file", "filename": os.path.abspath(leaf),
                                            "read-only": self.mode() != "rw"}, "backing": None}),
                 ("blockdev-snapshot", {"node": top, "overlay": node}))

    def stop(self):
        """Stops the export; idempotent, and cleans up after a daemon or plugin killed part way."""
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.02)
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)
                while pid_alive(pid):
                    time.sleep(0.02)
        if is_mounted(self.path):
            run(["fusermount3", "-u", "-z", self.path], check=False)
        for f in (self.pidfile, self.modefile):
            try:
                os.unlink(f)
            except FileNotFoundError:
                pass

    def remove(self):
        self.stop()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


class FileStore:
    """SMAPIv1 commands on an SR directory."""

    def __init__(self, req, path):
        self.req = req
        self.path = path
        self.sr_uuid = req.sr_uuid

    # -- files ----------------------------------------------------------------------------------------
    def file(self, name):
        return os.path.join(self.path, name)

    def check_available(self):
        if not os.path.isdir(self.path):
            raise SMError("SRUnavailable", "no such directory %s" % self.path)

    def vdi_file(self, location):
        """The leaf file of the VDI with this location (its uuid); never a path outside the SR."""
        smcore.check_uuid(location, "VDI location")
        for ext in ("qcow2", "raw"):
            if os.path.exists(self.file("%s.%s" % (location, ext))):
                return self.file("%s.%s" % (location, ext)), ext
        raise SMError("VDIMissing", "no file for VDI %s in %s" % (location, self.path))

    def listing(self):
        """(vdis: uuid -> (path, format), hidden: uuid -> path)."""
        vdis, hidden = {}, {}
        for name in os.listdir(self.path):
            m = VDI_FILE.match(name)
            if m:
                vdis[m.group(1)] = (self.file(name), m.group(2))
                continue
            m = HIDDEN_FILE.match(name)
            if m:
                hidden[m.group(1)] = self.file(name)
        return vdis, hidden

    def sizes(self, path, fmt):
        if fmt == "raw":
            st = os.stat(path)
            return st.st_size, st.st_blocks * 512
        try:  # qemu-img info's actual-size is the file's allocation too
            return smqcow2.header(path)[0], os.stat(path).st_blocks * 512
        except ValueError:
            info = qemu_info(path)
            return int(info["virtual-size"]), int(info.get("actual-size", 0))

    def sr_totals(self):
        st = os.statvfs(self.path)
        size = st.f_blocks * st.f_frsize
        used = (st.f_blocks - st.f_bfree) * st.f_frsize
        vdis, _ = self.listing()
        allocation = sum(self.sizes(p, f)[0] for p, f in vdis.values())
        return size, used, allocation

    def lock(self):
        return smcore.Lock(self.sr_uuid, "sr")

    def adjust_totals(self, delta):
        """As sm's SR._update after a VDI is made, removed or resized: virtual_allocation moves by delta (read
        and written back through the callbacks, no rescan), physical_utilisation is what the filesystem says."""
        x = self.req.xapi
        current = int(x.SR.get_virtual_allocation(self.req.sr_ref))
        x.SR.set_virtual_allocation(self.req.sr_ref, str(max(0, current + delta)))
        st = os.statvfs(self.path)
        x.SR.set_physical_utilisation(self.req.sr_ref, str((st.f_blocks - st.f_bfree) * st.f_frsize))

    def kick_gc(self):
        kick_gc(self.path, self.sr_uuid)

    # -- SR commands ----------------------------------------------------------------------------------
    def sr_update(self):
        self.check_available()
        size, used, allocation = self.sr_totals()
        x = self.req.xapi
        x.SR.set_physical_size(self.req.sr_ref, str(size))
        x.SR.set_physical_utilisation(self.req.sr_ref, str(used))
        x.SR.set_virtual_allocation(self.req.sr_ref, str(allocation))

    def sr_scan(self):
        """Reconciles the database with the directory both ways (the location is the key)."""
        self.check_available()
        req, x = self.req, self.req.xapi
        with self.lock():
            self.sr_update()
            records = x.VDI.get_all_records_where('field "SR" = "%s"' % req.sr_ref)
            by_location = {r.get("location"): (ref, r) for ref, r in records.items()}
            vdis, _ = self.listing()
            for uuid, (path, fmt) in sorted(vdis.items()):
                vsize, psize = self.sizes(path, fmt)
                if uuid not in by_location:
                    smcore.db_introduce(req, uuid, uuid, vsize, psize, sm_config={"vdi_type": fmt})
                    continue
                ref, r = by_location[uuid]
                if str(r.get("virtual_size")) != str(vsize):
                    x.VDI.set_virtual_size(ref, str(vsize))
                if str(r.get("physical_utilisation")) != str(psize):
                    x.VDI.set_physical_utilisation(ref, str(psize))
            for location, (ref, r) in sorted(by_location.items()):
                if location not in vdis:
                    x.VDI.db_forget(ref)
        self.kick_gc()

    def sr_delete(self):
        self.check_available()
        with self.lock():
            vdis, hidden = self.listing()
            if vdis:
                raise SMError("SRNotEmpty", "%d VDIs remain in %s" % (len(vdis), self.path))
            held = stop_gc(self.sr_uuid)
            try:
                for name in os.listdir(self.path):
                    p = self.file(name)
                    if name == "lost+found" or not os.path.isfile(p):
                        continue
                    if HIDDEN_FILE.match(name) or name == JOURNAL or name.endswith(".tmp"):
                        os.unlink(p)
            finally:
                held.release()

    def sr_detach(self, then=None):
        """Stops the garbage collector and runs then() (an unmount) before one can start again; refuses while a VDI
        is still activated."""
        dp_dir = os.path.join(smcore.CONFIG["datapath-dir"], self.sr_uuid)
        if os.path.isdir(dp_dir):
            for name in os.listdir(dp_dir):
                if name.endswith(".pid") and Datapath(self.sr_uuid, name[:-4]).active():
                    raise SMError("SRInUse", "VDI %s is still activated" % name[:-4])
        held = stop_gc(self.sr_uuid)
        try:
            if then is not None:
                then()
        finally:
            held.release()

    # -- VDI commands ---------------------------------------------------------------------------------
    def create_image(self, uuid, size, fmt, backing=None):
        """Writes <uuid>.<fmt> through a .tmp file renamed into place."""
        final = self.file("%s.%s" % (uuid, fmt))
        tmp = final + ".tmp"
        if fmt == "raw":
            with open(tmp, "wb") as f:
                f.truncate(size)
                os.fsync(f.fileno())
        else:  # qemu-img create's image, written directly; the backing (perhaps exported) is not opened
            smqcow2.create(tmp, size, backing)
        os.rename(tmp, final)
        fsync_dir(self.path)
        return final

    def vdi_create(self):
        req = self.req
        self.check_available()
        size = int(req.arg(0, "size"))
        if size < 0:
            raise SMError("VDISize", "negative size %d" % size)
        fmt = req.vdi_sm_config.get("type", "qcow2")
        if fmt not in ("qcow2", "raw"):
            raise SMError("VDIType", "sm_config type %r (qcow2 or raw)" % fmt)
        if fmt == "qcow2":
            size = (size + 511) // 512 * 512  # qcow2 sizes are whole sectors
        uuid = smcore.check_uuid(req.vdi_uuid) if req.vdi_uuid else smcore.new_uuid()
        with self.lock():
            if os.path.exists(self.file(uuid + ".qcow2")) or os.path.exists(self.file(uuid + ".raw")):
                raise SMError("VDIExists", uuid)
            path = self.create_image(uuid, size, fmt)
            try:
                vsize, psize = self.sizes(path, fmt)
                sm_config = dict(req.vdi_sm_config)
                sm_config["vdi_type"] = fmt
                smcore.db_introduce(req, uuid, uuid, vsize, psize, req.arg(1, "name_label"),
                                    req.arg(2, "name_description"), vdi_type=req.vdi_type,
                                    read_only=smcore.to_bool(req.args[7]) if len(req.args) > 7 else False,
                                    sm_config=sm_config)
            except BaseException:
                os.unlink(path)
                raise
            self.adjust_totals(vsize)
        return smcore.vdi_result(uuid, uuid)

    def vdi_delete(self):
        req = self.req
        self.check_available()
        with self.lock():
            path, fmt = self.vdi_file(req.vdi_location)
            if Datapath(self.sr_uuid, req.vdi_location).active():
                raise SMError("VDIInUse", "VDI %s is activated" % req.vdi_location)
            Datapath(self.sr_uuid, req.vdi_location).remove()
            vsize, _ = self.sizes(path, fmt)
            os.unlink(path)
            fsync_dir(self.path)
            if req.vdi_ref:
                req.xapi.VDI.db_forget(req.vdi_ref)
            self.adjust_totals(-vsize)
        self.kick_gc()

    def _freeze(self, location):
        """Makes the VDI's current content a hidden node H and its leaf an empty child of H; returns H's name.

        Crash-safe: H is first a second name of the leaf (hard link), then a new child replaces the leaf
        by rename. A crash before the rename leaves an H without children, which the GC removes."""
        path, fmt = self.vdi_file(location)
        if fmt != "qcow2":
            raise SMError("VDIType", "a raw VDI has no snapshot or clone")
        size, _ = self.sizes(path, fmt)
        hidden = "%s.hidden.qcow2" % smcore.new_uuid()
        os.link(path, self.file(hidden))
        fsync_dir(self.path)
        self.create_image(location, size, "qcow2", backing=hidden)
        return hidden, size

    def vdi_snapshot(self, is_snapshot):
        req = self.req
        self.check_available()
        req.require("vdi_ref", "vdi_location")
        error = "VDISnapshot" if is_snapshot else "VDIClone"
        with self.lock():
            dp = Datapath(self.sr_uuid, req.vdi_location)
            active = dp.active()
            try:
                hidden, size = self._freeze(req.vdi_location)
            except SMError as e:
                raise SMError(error, e.text) if e.name == "VDIType" else e
            if active:
                # The running export moves onto the new leaf (QMP blockdev-snapshot): the path stays open.
                # Until it has, its writes still land in the hidden node, which the new leaf reads through.
                try:
                    dp.live_snapshot(self.vdi_file(req.vdi_location)[0])
                except SMError as e:  # fall back to reopening the export on the new leaf
                    log("live snapshot failed (%s): restarting the export" % e.text)
                    mode = dp.mode()
                    dp.stop()
                    dp.start(self.vdi_file(req.vdi_location)[0], mode == "rw")
            uuid = smcore.new_uuid()
            path = self.create_image(uuid, size, "qcow2", backing=hidden)
            record = req.xapi.VDI.get_record(req.vdi_ref)
            vsize, psize = self.sizes(path, "qcow2")
            sm_config = {"vdi_type": "qcow2"}
            smcore.db_introduce(req, uuid, uuid, vsize, psize, record.get("name_label", ""),
                                record.get("name_description", ""), vdi_type=record.get("type", "user"),
                                sm_config=sm_config, is_a_snapshot=is_snapshot,
                                snapshot_of=req.vdi_ref if is_snapshot else smcore.NULL_REF,
                                snapshot_time=smcore.now_datetime() if is_snapshot else None)
            _, leaf_psize = self.sizes(self.vdi_file(req.vdi_location)[0], "qcow2")
            req.xapi.VDI.set_physical_utilisation(req.vdi_ref, str(leaf_psize))
            self.adjust_totals(vsize)
        return smcore.vdi_result(uuid, uuid)

    def vdi_revert(self):
        """Gives the VDI args[0] the content of the snapshot vdi_ref: its leaf is replaced by a new child
        of the snapshot's (frozen) content; the old leaf's chain is left to the GC."""
        req = self.req
        self.check_available()
        req.require("vdi_location")
        target_ref = req.arg(0, "VDI to overwrite")
        target = req.xapi.VDI.get_record(target_ref)
        target_location = smcore.check_uuid(target.get("location", ""), "VDI location")
        with self.lock():
            for loc in (target_location, req.vdi_location):
                if Datapath(self.sr_uuid, loc).active():
                    raise SMError("VDIInUse", "VDI %s is activated" % loc)
            old, fmt = self.vdi_file(target_location)
            if fmt != "qcow2":
                raise SMError("VDIType", "a raw VDI cannot be reverted")
            hidden, size = self._freeze(req.vdi_location)
            self.create_image(target_location, size, "qcow2", backing=hidden)  # replaces the old leaf
            vsize, psize = self.sizes(self.vdi_file(target_location)[0], "qcow2")
            req.xapi.VDI.set_virtual_size(target_ref, str(vsize))
            req.xapi.VDI.set_physical_utilisation(target_ref, str(psize))
        self.kick_gc()

    def vdi_resize(self):
        req = self.req
        self.check_available()
        size = int(req.arg(0, "new size"))
        with self.lock():
            path, fmt = self.vdi_file(req.vdi_location)
            if Datapath(self.sr_uuid, req.vdi_location).active():
                raise SMError("VDIInUse", "VDI %s is activated" % req.vdi_location)
            current, _ = self.sizes(path, fmt)
            if size < current:
                raise SMError("VDISize", "shrinking from %d to %d" % (current, size))
            if fmt == "raw":
                os.truncate(path, size)
            else:
                size = (size + 511) // 512 * 512
                try:
                    run(["qemu-img", "resize", "-q", "-f", "qcow2", path, str(size)])
                except smcore.CommandFailed as e:
                    raise SMError("VDIResize", str(e))
            vsize, psize = self.sizes(path, fmt)
            if req.vdi_ref:
                req.xapi.VDI.set_virtual_size(req.vdi_ref, str(vsize))
                req.xapi.VDI.set_physical_utilisation(req.vdi_ref, str(psize))
            self.adjust_totals(vsize - current)
        return smcore.vdi_result(req.vdi_uuid or req.vdi_location, req.vdi_location)

    def vdi_update(self):
        """sm's FileVDI.update: the VDI must have its file; its sizes are written back to the record."""
        req = self.req
        self.check_available()
        path, fmt = self.vdi_file(req.vdi_location)
        vsize, psize = self.sizes(path, fmt)
        if req.vdi_ref:
            req.xapi.VDI.set_virtual_size(req.vdi_ref, str(vsize))
            req.xapi.VDI.set_physical_utilisation(req.vdi_ref, str(psize))
        return None

    def vdi_generate_config(self):
        """sm's FileVDI.generate_config: a vdi_attach_from_config methodCall (device_config, sr_uuid, vdi_uuid,
        command), the string value of the plugin's methodResponse (sm prints its own response holding it; smcore
        writes the same one); VDIUnavailable without the VDI's file."""
        req = self.req
        try:
            self.vdi_file(req.vdi_location)
        except SMError:
            raise SMError("VDIUnavailable", "no file for VDI %s" % req.vdi_location)
        config = {"device_config": dict(req.dconf), "sr_uuid": self.sr_uuid,
                  "vdi_uuid": req.vdi_uuid or req.vdi_location, "command": "vdi_attach_from_config"}
        import xmlrpc.client  # only here: the plugins' start-up does without it (smxml.py)

        return xmlrpc.client.dumps((config,), "vdi_attach_from_config")

    def vdi_epoch_begin(self, capabilities):
        """sm's SRCommand: nothing unless the VDI's on_boot is reset; then the driver needs VDI_RESET_ON_BOOT/2
        (else Unimplemented) and the leaf's own writes are dropped: a new empty leaf over the same backing
        (written as .tmp, renamed). A qcow2 VDI without backing is refused, as sm refuses a VHD without parent."""
        req = self.req
        if req.params.get("vdi_on_boot") != "reset":
            return None
        if "VDI_RESET_ON_BOOT/2" not in capabilities:
            raise SMError("Unimplemented", "VDI_RESET_ON_BOOT/2")
        self.check_available()
        with self.lock():
            path, fmt = self.vdi_file(req.vdi_location)
            if fmt != "qcow2":
                raise SMError("Unimplemented", "reset of a %s VDI" % fmt)
            if Datapath(self.sr_uuid, req.vdi_location).active():
                raise SMError("VDIInUse", "VDI %s is activated" % req.vdi_location)
            backing = backing_of(path)
            if not backing:
                raise SMError("SMGeneral", "VDI %s has no parent, will not reset contents" % req.vdi_location)
            size, _ = self.sizes(path, fmt)
            self.create_image(req.vdi_location, size, "qcow2", backing=backing)
        self.kick_gc()
        return None

    def vdi_attach(self):
        req = self.req
        self.check_available()
        return self._attach(req.vdi_location, req.vdi_uuid or "")

    def _attach(self, location, uuid):
        path, fmt = self.vdi_file(location)
        if fmt == "raw":
            params = path
        else:
            dp = Datapath(self.sr_uuid, location)
            dp.prepare()
            params = dp.path
        return {"params": params, "params_nbd": "", "o_direct": False,
                "o_direct_reason": "file-backed datapath", "xenstore_data": {"vdi-uuid": uuid}}

    def from_config_location(self):
        """The VDI of a vdi_attach_from_config / vdi_detach_from_config request: generate_config's struct has
        device_config, sr_uuid and vdi_uuid only, and a file VDI's location is its uuid."""
        self.req.require("vdi_uuid")
        return smcore.check_uuid(self.req.vdi_uuid, "VDI uuid")

    def vdi_attach_from_config(self):
        """sm's FileVDI.attach_from_config with its tapdisk step (Xapi's static VDIs, e.g. the HA statefile and
        the redo log, attached while xapi may be down): the VDI is attached and activated read-write in one call
        and the attach result returned. The request carries no session: no activation tag is written."""
        location = self.from_config_location()
        self.check_available()
        with self.lock():
            try:
                path, fmt = self.vdi_file(location)
            except SMError:
                raise SMError("VDIUnavailable", "no file for VDI %s" % location)
            result = self._attach(location, location)
            dp = Datapath(self.sr_uuid, location)
            if fmt != "raw":
                if dp.active() and dp.mode() != "rw":
                    raise SMError("VDIInUse", "VDI %s is activated %s" % (location, dp.mode()))
                if not dp.active():
                    try:
                        dp.start(path, True)
                    except smcore.CommandFailed as e:
                        dp.remove()
                        raise SMError("VDIUnavailable", str(e))
        return result

    def vdi_detach_from_config(self):
        """The inverse of vdi_attach_from_config (sm's: deactivate, then detach); idempotent."""
        location = self.from_config_location()
        with self.lock():
            Datapath(self.sr_uuid, location).remove()
        self.kick_gc()
        return None

    def vdi_activate(self):
        req = self.req
        self.check_available()
        writable = smcore.to_bool(req.arg(0, "writable"))
        with self.lock():
            path, fmt = self.vdi_file(req.vdi_location)
            dp = Datapath(self.sr_uuid, req.vdi_location)
            tags = smlock.ActivationTags(req)
            if fmt != "raw" and dp.active():
                # already so for this host: idempotent (another host sharing this machine's datapath-dir is not us)
                if dp.mode() == ("rw" if writable else "ro") and tags.held(writable):
                    return None
                raise SMError("VDIInUse", "VDI %s is activated %s" % (req.vdi_location, dp.mode()))
            tags.begin(writable)
            try:
                if fmt != "raw":
                    try:
                        dp.start(path, writable)
                    except smcore.CommandFailed as e:
                        dp.stop()
                        raise SMError("VDIUnavailable", str(e))
                tags.commit(writable)
            finally:
                tags.end()
        return None

    def vdi_deactivate(self):
        req = self.req
        with self.lock():
            smcore.check_uuid(req.vdi_location, "VDI location")
            Datapath(self.sr_uuid, req.vdi_location).stop()
            smlock.ActivationTags(req).release()
        self.kick_gc()
        return None

    def reset_tags(self):
        """sr_attach: this host's activation tags on the SR's VDIs are stale."""
        req = self.req
        if req.session_ref and req.sr_ref:
            smlock.reset_host_tags(req, req.xapi.VDI.get_all_records_where('field "SR" = "%s"' % req.sr_ref))

    def vdi_detach(self):
        req = self.req
        with self.lock():
            smcore.check_uuid(req.vdi_location, "VDI location")
            Datapath(self.sr_uuid, req.vdi_location).remove()
        return None


# -- the garbage collector, run detached ---------------------------------------------------------------


def gc_paths(sr_uuid):
    d = os.path.join(smcore.CONFIG["lock-dir"], sr_uuid)
    os.makedirs(d, exist_ok=True)
    return os.path.join(d, "gc.kick"), os.path.join(d, "gc.pid"), os.path.join(d, "gc.log")


def kick_gc(sr_path, sr_uuid):
    """Starts the coalescing GC in its own session (it outlives the plugin; its output goes to gc.log)."""
    try:
        work = any(HIDDEN_FILE.match(n) or n == JOURNAL or n.endswith(".tmp") for n in os.listdir(sr_path))
    except OSError:
        work = False
    if not work:
        return  # only hidden nodes, a journal or leftovers give the GC something to do
    kick, _, logfile = gc_paths(sr_uuid)
    with open(kick, "w"):
        pass
    if smcore.CONFIG["gc"] == "off":
        return
    with open(logfile, "a") as out:
        subprocess.Popen([sys.executable, os.path.join(smcore.HERE, "smgc.py"), sr_path, sr_uuid],
                         stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True,
                         close_fds=True)


def stop_gc(sr_uuid):
    """Kills a running GC with its process group (every step of it is crash-safe) and takes its lock, which the
    caller releases: a GC started meanwhile (a kick of a moment ago) finds the lock taken and leaves at once."""
    _, pidfile, _ = gc_paths(sr_uuid)
    try:
        with open(pidfile) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        pid = None
    lock = smcore.Lock(sr_uuid, "gc")
    if lock.acquire(blocking=False):
        return lock
    if pid is not None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    lock.acquire(timeout=30)
    return lock
