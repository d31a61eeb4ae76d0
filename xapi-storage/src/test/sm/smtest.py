"""Test harness for the bundled SMAPIv1 plugins: a fake xapi on a Unix socket and a runner that calls a
plugin as xapi does (one methodCall as argv[1], the struct members in xapi's order, an environment of
PATH, ORIGINATOR=SM and XAPI_UNIX_SOCKET only) and parses its stdout as a methodResponse."""

import os
import shutil
import socketserver
import subprocess
import tempfile
import threading
import unittest
import uuid as uuidlib
import xmlrpc.client
from xmlrpc.server import SimpleXMLRPCDispatcher, SimpleXMLRPCRequestHandler

HERE = os.path.dirname(os.path.abspath(__file__))
PLUGINS = os.path.normpath(os.path.join(HERE, "..", "..", "main", "sm"))
SESSION = "OpaqueRef:sm-session"
PATH = "/sbin:/usr/sbin:/bin:/usr/bin"

VDI_FIELDS = ["uuid", "name_label", "name_description", "SR", "type", "sharable", "read_only", "other_config",
              "location", "xenstore_data", "sm_config", "managed", "virtual_size", "physical_utilisation",
              "metadata_of_pool", "is_a_snapshot", "snapshot_time", "snapshot_of", "cbt_enabled"]

# The SM-only calls and the reads the plugins are allowed to make; anything else is refused.
ALLOWED = {"VDI.db_introduce", "VDI.db_forget", "VDI.get_record", "VDI.get_all_records_where",
           "VDI.set_virtual_size", "VDI.set_physical_utilisation", "VDI.set_read_only",
           "SR.set_physical_size", "SR.set_physical_utilisation", "SR.set_virtual_allocation",
           "SR.get_virtual_allocation", "VDI.get_sm_config", "VDI.add_to_sm_config", "VDI.remove_from_sm_config",
           "host.get_metrics", "host_metrics.get_live", "SR.get_by_uuid"}


class _Handler(SimpleXMLRPCRequestHandler):
    rpc_paths = ()
    disable_nagle_algorithm = False

    def address_string(self):
        return "unix"

    def log_message(self, *args):
        pass


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer, SimpleXMLRPCDispatcher):
    daemon_threads = True
    logRequests = False

    def __init__(self, path, fake):
        socketserver.UnixStreamServer.__init__(self, path, _Handler)
        SimpleXMLRPCDispatcher.__init__(self, allow_none=True, encoding=None)
        self.register_instance(fake)


class FakeXapi:
    """Records every call (name, args) and keeps VDI and SR records as xapi's XML-RPC shows them."""

    def __init__(self, path):
        self.path = path
        self.calls = []
        self.vdis = {}
        self.srs = {}
        self.hosts = {"OpaqueRef:host": True}  # host ref -> live
        self.login_allowed = True
        self.lock = threading.Lock()
        self.server = _Server(path, self)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    def names(self):
        return [c[0] for c in self.calls]

    def by_location(self, sr_ref):
        return {r["location"]: ref for ref, r in self.vdis.items() if r["SR"] == sr_ref}

    def _dispatch(self, method, params):
        with self.lock:
            if method == "session.login_with_password":  # the GC's local login (root, any password)
                self.calls.append((method, list(params)))
                if params[:1] != ("root",) or not self.login_allowed:
                    return {"Status": "Failure", "ErrorDescription": ["SESSION_AUTHENTICATION_FAILED", str(params[:1])]}
                return {"Status": "Success", "Value": SESSION}
            self.calls.append((method, list(params[1:])))
            if method == "session.logout" and params[:1] == (SESSION,):
                return {"Status": "Success", "Value": ""}
            if not params or params[0] != SESSION:
                return {"Status": "Failure", "ErrorDescription": ["SESSION_INVALID", str(params[:1])]}
            if method not in ALLOWED:
                return {"Status": "Failure", "ErrorDescription": ["MESSAGE_METHOD_UNKNOWN", method]}
            try:
                return {"Status": "Success", "Value": getattr(self, method.replace(".", "_"))(*params[1:])}
            except _Fail as e:
                return {"Status": "Failure", "ErrorDescription": e.args[0]}
            except KeyError as e:
                return {"Status": "Failure", "ErrorDescription": ["HANDLE_INVALID", str(e)]}
            except TypeError as e:
                return {"Status": "Failure", "ErrorDescription": ["MESSAGE_PARAMETER_COUNT_MISMATCH", str(e)]}

    def VDI_db_introduce(self, *args):
        if len(args) != 19:
            raise TypeError("db_introduce takes 19 parameters, got %d" % len(args))
        record = dict(zip(VDI_FIELDS, args))
        record.update(on_boot="persist", allow_caching=False)  # fields xapi keeps itself
        if record["location"] in self.by_location(record["SR"]):
            return_failure = ["LOCATION_NOT_UNIQUE", record["SR"], record["location"]]
            raise _Fail(return_failure)
        ref = "OpaqueRef:%s" % uuidlib.uuid4()
        self.vdis[ref] = record
        return ref

    def VDI_db_forget(self, ref):
        del self.vdis[ref]
        return ""

    def VDI_get_record(self, ref):
        return self.vdis[ref]

    def VDI_get_all_records_where(self, expr):
        sr = expr.split('"')[3]
        return {ref: r for ref, r in self.vdis.items() if r["SR"] == sr}

    def VDI_set_virtual_size(self, ref, value):
        self.vdis[ref]["virtual_size"] = value
        return ""

    def VDI_set_physical_utilisation(self, ref, value):
        self.vdis[ref]["physical_utilisation"] = value
        return ""

    def VDI_set_read_only(self, ref, value):
        self.vdis[ref]["read_only"] = value
        return ""

    def VDI_get_sm_config(self, ref):
        return dict(self.vdis[ref].get("sm_config", {}))

    def VDI_add_to_sm_config(self, ref, key, value):
        sm_config = self.vdis[ref].setdefault("sm_config", {})
        if key in sm_config:
            raise _Fail(["MAP_DUPLICATE_KEY", "VDI", "sm_config", ref, key])
        sm_config[key] = value
        return ""

    def VDI_remove_from_sm_config(self, ref, key):
        self.vdis[ref].setdefault("sm_config", {}).pop(key, None)
        return ""

    def host_get_metrics(self, ref):
        if ref not in self.hosts:
            raise _Fail(["HANDLE_INVALID", "host", ref])
        return "OpaqueRef:metrics-" + ref

    def host_metrics_get_live(self, ref):
        return self.hosts[ref[len("OpaqueRef:metrics-"):]]

    def _sr(self, ref, key, value):
        self.srs.setdefault(ref, {})[key] = value
        return ""

    def SR_set_physical_size(self, ref, value):
        return self._sr(ref, "physical_size", value)

    def SR_set_physical_utilisation(self, ref, value):
        return self._sr(ref, "physical_utilisation", value)

    def SR_get_by_uuid(self, uuid):
        return "OpaqueRef:sr-" + uuid

    def SR_get_virtual_allocation(self, ref):
        return self.srs.get(ref, {}).get("virtual_allocation", "0")

    def SR_set_virtual_allocation(self, ref, value):
        return self._sr(ref, "virtual_allocation", value)


class _Fail(Exception):
    pass


class PluginFault(Exception):
    def __init__(self, code, text, stderr):
        super().__init__("%d %s" % (code, text))
        self.code, self.text, self.stderr = code, text, stderr


class PluginTestCase(unittest.TestCase):
    """Each test gets a copy of the plugin directory (with its own sm.conf pointing the lock, mount and
    datapath directories into a temporary directory) and a fresh fake xapi."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="smtest-")
        self.addCleanup(self._cleanup)
        self.plugins = os.path.join(self.tmp, "sm")
        shutil.copytree(PLUGINS, self.plugins, symlinks=False, ignore=shutil.ignore_patterns("__pycache__"))
        self.lockdir = os.path.join(self.tmp, "lock")
        self.mountbase = os.path.join(self.tmp, "mnt")
        self.dpdir = os.path.join(self.tmp, "dp")
        with open(os.path.join(self.plugins, "sm.conf"), "w") as f:
            f.write("lock-dir = %s\nmount-base = %s\ndatapath-dir = %s\n" % (self.lockdir, self.mountbase, self.dpdir))
            f.write("leaf-coalesce-delay-seconds = 0\n")  # tests that want the delay set it
            f.write("activation-retry-seconds = 1\nallow-multiple-vdi-attach = %s\n"
                    % os.path.join(self.tmp, "allow_multiple_vdi_attach"))
        self.xapi = FakeXapi(os.path.join(self.tmp, "xapi.sock"))
        self.sr_uuid = str(uuidlib.uuid4())
        self.sr_ref = "OpaqueRef:sr-%s" % self.sr_uuid
        self.path = PATH

    def _cleanup(self):
        self.xapi.close()
        # stop every export and GC left by a failing test, then unmount what is still mounted under tmp
        for pidfile in _walk(self.lockdir, "gc.pid"):  # only a GC still holding its lock
            _kill_running_gc(pidfile)
        with open("/proc/self/mountinfo") as f:
            mounts = [line.split()[4] for line in f if line.split()[4].startswith(self.tmp)]
        for pidfile in _walk(self.dpdir, ".pid"):  # only a qemu-storage-daemon of this test
            _kill_own_daemon(pidfile, self.tmp)
        for m in sorted(mounts, reverse=True):
            subprocess.run(["umount", "-l", m], check=False, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def call(self, plugin, command, args=(), dconf=None, sr=True, vdi=None, vdi_location=None, vdi_uuid=None,
             vdi_sm_config=None, extra=None, path=None, raw_argv=None):
        """Runs plugin with one methodCall; returns the result or raises PluginFault."""
        struct = {"host_ref": "OpaqueRef:host", "command": command, "args": [str(a) for a in args],
                  "device_config": dict(dconf or {}, SRmaster="true")}
        if command != "sr_get_driver_info":
            struct["session_ref"] = SESSION
        if sr:
            struct["sr_ref"] = self.sr_ref
        if command == "vdi_create":
            struct["vdi_type"] = "user"
        if sr:
            struct["sr_uuid"] = self.sr_uuid
        if vdi is not None:
            struct["vdi_ref"] = vdi
            record = self.xapi.vdis.get(vdi, {})
            struct["vdi_location"] = vdi_location or record.get("location", "")
            struct["vdi_uuid"] = vdi_uuid or record.get("uuid", "")
        elif vdi_location is not None:
            struct["vdi_location"] = vdi_location
        if vdi_uuid and vdi is None:
            struct["vdi_uuid"] = vdi_uuid
        if command in ("vdi_create", "vdi_introduce"):
            struct["vdi_sm_config"] = dict(vdi_sm_config or {})
        if command in ("vdi_snapshot", "vdi_clone"):
            struct["driver_params"] = {}
        struct.update(extra or {})
        struct["subtask_of"] = "OpaqueRef:task"
        xml = xmlrpc.client.dumps((struct,), command, allow_none=False)
        env = {"PATH": path or self.path, "ORIGINATOR": "SM", "XAPI_UNIX_SOCKET": self.xapi.path}
        argv = [os.path.join(self.plugins, plugin)] + ([xml] if raw_argv is None else raw_argv)
        p = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        self.assertEqual(0, p.returncode, "plugin exit status; stderr: %s" % p.stderr)
        self.assertTrue(p.stdout.lstrip().startswith("<?xml"), "stdout is not XML: %r" % p.stdout[:300])
        self.assertNotIn("Traceback", p.stdout)
        try:
            (result,), _ = xmlrpc.client.loads(p.stdout)
        except xmlrpc.client.Fault as f:
            raise PluginFault(f.faultCode, f.faultString, p.stderr)
        self.last_stderr = p.stderr
        return result

    def fault(self, code, plugin, command, **kwargs):
        with self.assertRaises(PluginFault) as cm:
            self.call(plugin, command, **kwargs)
        self.assertEqual(code, cm.exception.code, cm.exception.text)
        return cm.exception


def _walk(root, suffix):
    for d, _, files in os.walk(root):
        for f in files:
            if f.endswith(suffix):
                yield os.path.join(d, f)


def _read_pid(pidfile):
    try:
        with open(pidfile) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def _kill_running_gc(pidfile):
    import fcntl
    lock = os.path.join(os.path.dirname(pidfile), "gc")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return  # not running
    except BlockingIOError:
        pid = _read_pid(pidfile)
        if pid:
            try:
                os.killpg(pid, 9)
            except OSError:
                pass
    finally:
        os.close(fd)


def _kill_own_daemon(pidfile, tmp):
    pid = _read_pid(pidfile)
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            if tmp.encode() in f.read():
                os.kill(pid, 9)
    except (OSError, TypeError):
        pass
