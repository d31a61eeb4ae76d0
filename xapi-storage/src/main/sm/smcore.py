"""Shared core of xapi-java's bundled SMAPIv1 plugins (DummySR, FileSR, EXTSR, ISOSR).

A plugin is run by xapi with one argument, an XML-RPC <methodCall> whose only param is a struct
(host_ref, command, args, device_config, session_ref, sr_ref, sr_uuid, vdi_ref, vdi_location, ...),
and prints one <methodResponse> on stdout: the result, or a <fault> with an sm error code. It always
exits 0 (as the sm drivers do); diagnostics go to stderr, which xapi captures.

This module parses and checks the request, maps errors to faults through sm-errorcodes.tsv, takes
lock files, reads the optional configuration file and opens the callback session to xapi.
"""

import fcntl
import os
import sys
import time

import smxml

HERE = os.path.dirname(os.path.realpath(__file__))
NULL_REF = "OpaqueRef:NULL"

# The configuration file: $SM_CONF, else sm.conf beside the plugins. "key = value" lines, # comments.
DEFAULTS = {
    "lock-dir": "/var/lock/sm",  # <lock-dir>/<sr-uuid>/sr, .../gc, .../gc.kick
    "mount-base": "/run/sr-mount",  # EXTSR mounts <device> at <mount-base>/<sr-uuid>; ISOSR NFS/SMB too
    "datapath-dir": "/run/sr-datapath",  # <datapath-dir>/<sr-uuid>/<vdi-uuid>: FUSE export of a qcow2 VDI
    "gc": "auto",  # "off": the plugins only leave the kick file; smgc.py is then run by hand
}


def load_config():
    conf = dict(DEFAULTS)
    path = os.environ.get("SM_CONF") or os.path.join(HERE, "sm.conf")
    try:
        with open(path) as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if "=" in line:
                    key, value = line.split("=", 1)
                    conf[key.strip()] = value.strip()
    except FileNotFoundError:
        pass
    return conf


CONFIG = load_config()


def log(message):
    sys.stderr.write("%s [%d] %s\n" % (os.path.basename(sys.argv[0]), os.getpid(), message))
    sys.stderr.flush()


# -- errors -------------------------------------------------------------------------------------------


def _load_codes():
    codes = {}
    with open(os.path.join(HERE, "sm-errorcodes.tsv")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            code, name, description = line.rstrip("\n").split("\t", 2)
            codes[name] = (int(code), description)
    return codes


CODES = _load_codes()


class SMError(Exception):
    """A failure the plugin reports as a fault: sm's error name, with an optional detail (opterr)."""

    def __init__(self, name, opterr=None):
        if name not in CODES:
            opterr = "unknown error name %s%s" % (name, "" if opterr is None else ": " + opterr)
            name = "GenericException"
        self.name = name
        self.code, description = CODES[name]
        self.text = description if opterr is None else "%s [opterr=%s]" % (description, opterr)
        super().__init__(self.text)


# Debian packages that provide the tools the plugins run, for the "missing tool" message.
PACKAGES = {
    "qemu-img": "qemu-utils",
    "qemu-storage-daemon": "qemu-system-common",
    "fusermount3": "fuse3",
    "mkfs.ext4": "e2fsprogs",
    "mount": "mount",
    "umount": "mount",
}


def tool(name):
    import shutil

    path = shutil.which(name)
    if path is None:
        raise SMError("SMGeneral", "required tool %s not found (Debian package %s)" % (name, PACKAGES.get(name, name)))
    return path


class CommandFailed(Exception):
    def __init__(self, argv, code, output):
        self.argv, self.code, self.output = argv, code, output
        super().__init__("%s exited with %s: %s" % (" ".join(argv), code, output.strip()[-800:]))


def run(argv, check=True, **kwargs):
    """Runs a tool (looked up on PATH), returns its stdout; stderr goes into the failure."""
    import subprocess

    argv = [tool(argv[0])] + list(argv[1:])
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)
    if check and p.returncode != 0:
        raise CommandFailed(argv, p.returncode, p.stderr + p.stdout)
    return p.stdout


# -- locks --------------------------------------------------------------------------------------------


class Lock:
    """An flock(2) on <lock-dir>/<sr-uuid>/<name>; the kernel drops it when the process dies."""

    def __init__(self, sr_uuid, name):
        directory = os.path.join(CONFIG["lock-dir"], sr_uuid)
        os.makedirs(directory, exist_ok=True)
        self.path = os.path.join(directory, name)
        self.fd = None

    def acquire(self, blocking=True, timeout=300):
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.fd = fd
                return True
            except BlockingIOError:
                if not blocking:
                    os.close(fd)
                    return False
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise SMError("LockErr", "timed out waiting for %s" % self.path)
                time.sleep(0.02)

    def release(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()


# -- the request --------------------------------------------------------------------------------------


class Request:
    """One SMAPIv1 call: the struct members as attributes (missing ones are None)."""

    def __init__(self, params):
        self.params = params
        self.command = params["command"]
        self.args = params.get("args", [])
        self.dconf = params.get("device_config", {})
        self.session_ref = params.get("session_ref")
        self.sr_ref = params.get("sr_ref")
        self.sr_uuid = params.get("sr_uuid")
        self.vdi_ref = params.get("vdi_ref")
        self.vdi_uuid = params.get("vdi_uuid")
        self.vdi_location = params.get("vdi_location")
        self.vdi_sm_config = params.get("vdi_sm_config", {})
        self.vdi_type = params.get("vdi_type", "user")
        self.driver_params = params.get("driver_params", {})
        self.new_uuid = params.get("new_uuid")
        self.subtask_of = params.get("subtask_of")
        self._session = None

    def arg(self, i, what):
        if len(self.args) <= i:
            raise SMError("BadRequest", "%s needs argument %d (%s)" % (self.command, i, what))
        return self.args[i]

    def require(self, *members):
        for m in members:
            if not self.params.get(m):
                raise SMError("BadRequest", "%s needs the member %s" % (self.command, m))

    @property
    def xapi(self):
        """The xenapi namespace of the local xapi with the session_ref given (no login): req.xapi.VDI.get_record(r)."""
        if self._session is None:
            if not self.session_ref:
                raise SMError("APISession", "no session_ref in the request")
            self._session = Callbacks(self.session_ref, self.subtask_of)
        return _Namespace(self._session, None)


# -- calling back into xapi ---------------------------------------------------------------------------


class Failure(Exception):
    """A XenAPI error answer (as XenAPI.Failure): details is the error description, its code first."""

    def __init__(self, details):
        super().__init__(details)
        self.details = list(details)

    def __str__(self):
        return str(self.details)


class _Namespace:
    def __init__(self, callbacks, name):
        self._callbacks, self._name = callbacks, name

    def __getattr__(self, part):
        if part.startswith("__"):
            raise AttributeError(part)
        return _Namespace(self._callbacks, part if self._name is None else self._name + "." + part)

    def __call__(self, *args):
        return self._callbacks.call(self._name, args)


class Callbacks:
    """XenAPI calls with a given session over xapi's Unix socket ($XAPI_UNIX_SOCKET, else Xapi's /var/lib/xcp/xapi),
    HTTP/1.1 with keep-alive, written and read by smxml: XenAPI.py's xmlrpc.client and http.client cost more than
    a whole plugin run. The headers are XenAPI.py's: originator (from $ORIGINATOR), traceparent, baggage,
    Subtask-of."""

    def __init__(self, session_ref, subtask_of=None):
        self.session_ref = session_ref
        self.path = os.environ.get("XAPI_UNIX_SOCKET") or "/var/lib/xcp/xapi"
        self.headers = [(h, os.environ[v]) for v, h in (("ORIGINATOR", "originator"), ("TRACEPARENT", "traceparent"),
                                                          ("BAGGAGE", "baggage")) if os.environ.get(v)]
        if subtask_of:
            self.headers.append(("Subtask-of", subtask_of))
        self.sock = None
        self.buffer = b""

    def call(self, method, args):
        body = smxml.dumps_call(method, (self.session_ref,) + tuple(args)).encode()
        head = "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n" % len(body)
        head += "".join("%s: %s\r\n" % h for h in self.headers) + "\r\n"
        for attempt in (1, 2):  # a kept-alive connection the server has closed meanwhile is opened again once
            fresh = self.sock is None
            try:
                if fresh:
                    self._connect()
                self.sock.sendall(head.encode() + body)
                answer = self._read_response()
                break
            except (OSError, EOFError) as e:
                self.close()
                if fresh or attempt == 2:
                    raise Failure(["SR_BACKEND_FAILURE", "cannot call xapi on %s: %s" % (self.path, e)])
        try:
            value = smxml.loads_response(answer)
        except (smxml.ParseError, smxml.Fault) as e:
            raise Failure(["INTERNAL_ERROR", "unreadable answer to %s: %s" % (method, e)])
        if not isinstance(value, dict) or "Status" not in value:
            raise Failure(["INTERNAL_ERROR", "no Status in the answer to %s" % method])
        if value["Status"] == "Success":
            return value.get("Value", "")
        raise Failure(value.get("ErrorDescription") or ["INTERNAL_ERROR", "no ErrorDescription"])

    def _connect(self):
        import socket
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(float(CONFIG.get("callback-timeout-seconds", "600")))
        self.sock.connect(self.path)
        self.buffer = b""

    def close(self):
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buffer = None, b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("xapi closed the connection")
        self.buffer += data

    def _line(self):
        while b"\r\n" not in self.buffer:
            self._fill()
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def _take(self, n):
        while len(self.buffer) < n:
            self._fill()
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def _read_response(self):
        status = self._line().split(None, 2)
        headers = {}
        while True:
            line = self._line()
            if not line:
                break
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip().lower()
        if len(status) < 2 or status[1] != b"200":
            self.close()
            raise EOFError("HTTP status %s" % b" ".join(status[1:]).decode(errors="replace"))
        if headers.get(b"transfer-encoding") == b"chunked":
            parts = []
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line():
                        pass
                    break
                parts.append(self._take(size))
                self._take(2)
            body = b"".join(parts)
        elif b"content-length" in headers:
            body = self._take(int(headers[b"content-length"]))
        else:  # to the end of the connection
            try:
                while True:
                    self._fill()
            except EOFError:
                pass
            body, self.buffer = self.buffer, b""
            self.close()
            return body.decode()
        if headers.get(b"connection") == b"close" or status[0] == b"HTTP/1.0" and headers.get(
                b"connection") != b"keep-alive":
            self.close()
        return body.decode()


def parse(argv):
    if len(argv) != 2:
        raise SMError("BadRequest", "expected exactly one argument (a methodCall), got %d" % (len(argv) - 1))
    try:
        params, method = smxml.loads(argv[1])
    except Exception as e:
        raise SMError("BadRequest", "not an XML-RPC methodCall: %s" % e)
    if method is None or len(params) != 1 or not isinstance(params[0], dict):
        raise SMError("BadRequest", "the methodCall must have one struct param")
    struct = params[0]
    if struct.get("command", method) != method:
        raise SMError("BadRequest", "command %r differs from methodName %r" % (struct.get("command"), method))
    struct.setdefault("command", method)
    for key, kind in (("args", list), ("device_config", dict), ("vdi_sm_config", dict), ("driver_params", dict)):
        if key in struct and not isinstance(struct[key], kind):
            raise SMError("BadRequest", "member %s has the wrong type" % key)
    if not isinstance(struct.get("args", []), list) or not all(isinstance(a, str) for a in struct.get("args", [])):
        raise SMError("BadRequest", "args must be an array of strings")
    return Request(struct)


def check_uuid(value, what="uuid"):
    import uuid as uuidlib

    try:
        if str(uuidlib.UUID(value)) == value:
            return value
    except (ValueError, TypeError, AttributeError):
        pass
    raise SMError("InvalidArg", "%s %r is not a lower-case uuid" % (what, value))


def new_uuid():
    import uuid as uuidlib

    return str(uuidlib.uuid4())


def to_bool(value):
    return str(value).lower() in ("true", "1", "yes", "on")


def _datetime(text):
    return smxml.DateTime(text)


def now_datetime():
    return _datetime(time.strftime("%Y%m%dT%H:%M:%SZ", time.gmtime()))


EPOCH = "19700101T00:00:00Z"  # sent as a dateTime.iso8601 (db_introduce below)


def db_introduce(req, uuid, location, virtual_size, physical_utilisation, name_label="", name_description="",
                 vdi_type="user", read_only=False, sm_config=None, is_a_snapshot=False, snapshot_of=NULL_REF,
                 snapshot_time=None, sharable=False):
    """VDI.db_introduce with its 19 parameters in Xapi's order; returns the new VDI ref."""
    return req.xapi.VDI.db_introduce(
        uuid, name_label, name_description, req.sr_ref, vdi_type, sharable, read_only, {}, location, {},
        sm_config or {}, True, str(virtual_size), str(physical_utilisation), NULL_REF, is_a_snapshot,
        snapshot_time if snapshot_time is not None else _datetime(EPOCH), snapshot_of, False)


def vdi_result(uuid, location):
    return {"uuid": uuid, "location": location}


# -- running a driver ---------------------------------------------------------------------------------


def _fault(e):
    # XML 1.0 cannot carry most control characters: a fault string never makes the response unparseable
    text = "".join(c if c in "\t\n\r" or ord(c) >= 0x20 else "?" for c in e.text)
    return smxml.dumps_fault(e.code, text)


def _print(text):
    sys.stdout.write(text)
    sys.stdout.flush()


def main(driver_info, commands, argv=None):
    """Parses argv, runs commands[request.command](request) and prints the response; always exits 0."""
    argv = sys.argv if argv is None else argv
    try:
        req = parse(argv)
        if req.command == "sr_get_driver_info":
            result = driver_info
        else:
            handler = commands.get(req.command)
            if handler is None:
                raise SMError("Unimplemented", "command %s" % req.command)
            result = handler(req)
        _print(smxml.dumps_response(result))
    except SMError as e:
        log("fault %d %s: %s" % (e.code, e.name, e.text))
        _print(_fault(e))
    except CommandFailed as e:
        log(str(e))
        e2 = SMError("SMGeneral", str(e))
        _print(_fault(e2))
    except BaseException as e:  # anything else: GenericException, the traceback on stderr only
        import traceback

        traceback.print_exc(file=sys.stderr)
        name = "APIFailure" if type(e).__name__ == "Failure" else "GenericException"
        e2 = SMError(name, "%s: %s" % (type(e).__name__, e))
        _print(_fault(e2))
    sys.exit(0)
