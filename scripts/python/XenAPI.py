# XenAPI: a small Python 3 client for the XenAPI (XML-RPC), written for xapi-java with the interface of
# the XenAPI.py module Xapi ships, so that tools written against that module (Ansible's xenserver modules,
# storage plugins, scripts) run unchanged:
#
#     import XenAPI
#     session = XenAPI.Session("https://host:8443/", ignore_ssl=True)
#     session.login_with_password("root", "secret", "2.21", "my-tool")
#     vms = session.xenapi.VM.get_all()
#     task = session.xenapi.Async.VM.start(vms[0], False, False)
#     session.xenapi.session.logout()
#
# or, as root on the host itself, XenAPI.xapi_local() over the host's Unix socket.
#
# Every call sends the session reference first and unwraps Xapi's {"Status", "Value"/"ErrorDescription"}
# answer: a value is returned, an error raises Failure with the error description list in .details. A call
# answered SESSION_INVALID (an expired session) logs in again with the last login and is retried.
#
# Part of xapi-java; LGPL 2.1 with the OCaml linking exception (see LICENSE).

import http.client
import os
import socket
import ssl
import xmlrpc.client

__all__ = ["Failure", "Session", "UDSTransport", "xapi_local", "API_VERSION_1_1", "API_VERSION_1_2"]

API_VERSION_1_1 = "1.1"
API_VERSION_1_2 = "1.2"

# Where xapi listens for local (root) clients on a XenServer/XCP-ng host; XAPI_UNIX_SOCKET overrides it
# (a development host of xapi-java listens on <data dir>/xapi.sock).
DEFAULT_UNIX_SOCKET = "/var/lib/xcp/xapi"

# How many times a call is sent again after SESSION_INVALID (each after a new login).
_SESSION_RETRIES = 3


class Failure(Exception):
    """A XenAPI error: details is the error description, the error code first, then its parameters."""

    def __init__(self, details):
        super().__init__(details)
        self.details = list(details) if isinstance(details, (list, tuple)) else [details]

    def __str__(self):
        return str(self.details)

    def _details_map(self):
        return {str(i): d for i, d in enumerate(self.details)}


class _SessionExpired(Exception):
    """Internal: the server answered SESSION_INVALID."""

    def __init__(self, details):
        super().__init__(details)
        self.details = details


def _unwrap(answer):
    """The value of one XenAPI answer, or raises Failure (or _SessionExpired)."""
    if not isinstance(answer, dict) or "Status" not in answer:
        raise xmlrpc.client.Fault(500, "Missing Status in response from server: %r" % (answer,))
    if answer["Status"] == "Success":
        if "Value" not in answer:
            raise xmlrpc.client.Fault(500, "Missing Value in response from server")
        return answer["Value"]
    description = answer.get("ErrorDescription")
    if not description:
        raise xmlrpc.client.Fault(500, "Missing ErrorDescription in response from server")
    if description[0] == "SESSION_INVALID":
        raise _SessionExpired(description)
    raise Failure(description)


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=None):
        super().__init__("localhost", timeout=timeout)
        self._socket_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            if self.timeout is not None:
                s.settimeout(self.timeout)
            s.connect(self._socket_path)
        except BaseException:
            s.close()
            raise
        self.sock = s


class UDSTransport(xmlrpc.client.Transport):
    """XML-RPC over HTTP on a Unix domain socket (the socket's path, not the URI's host, is connected to).

    The environment's ORIGINATOR, TRACEPARENT and BAGGAGE are sent as headers, as xapi's own local tools do.
    """

    def __init__(self, path=None, use_datetime=False):
        super().__init__(use_datetime=use_datetime)
        self.path = path or os.environ.get("XAPI_UNIX_SOCKET") or DEFAULT_UNIX_SOCKET
        self._extra_headers = []

    def add_extra_header(self, key, value):
        self._extra_headers.append((key, value))

    def make_connection(self, host):
        self._extra_headers = [
            (header, os.environ[variable])
            for variable, header in (("ORIGINATOR", "originator"), ("TRACEPARENT", "traceparent"), ("BAGGAGE", "baggage"))
            if os.environ.get(variable)
        ]
        if self._connection and self._connection[0] == host:
            return self._connection[1]
        connection = _UnixHTTPConnection(self.path)
        self._connection = (host, connection)
        return connection


class _Namespace:
    """session.xenapi and what hangs off it: each attribute extends the dotted message name."""

    def __init__(self, send, name):
        self._send = send
        self._name = name

    def __getattr__(self, part):
        if part.startswith("__") and part.endswith("__"):
            raise AttributeError(part)
        return _Namespace(self._send, part if self._name is None else self._name + "." + part)

    def __call__(self, *args):
        return self._send(self._name, args)

    def __repr__(self):
        return "<XenAPI namespace %s>" % (self._name or "xenapi")


class Session:
    """A connection to one xapi and the session logged in on it.

    uri is http://host[:port]/ or https://host[:port]/ (ignore_ssl=True accepts any certificate); transport,
    encoding, verbose and allow_none are those of xmlrpc.client.ServerProxy.
    """

    def __init__(self, uri, transport=None, encoding=None, verbose=False, allow_none=True, ignore_ssl=False):
        options = {}
        if ignore_ssl and transport is None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            options["context"] = context
        self._proxy = xmlrpc.client.ServerProxy(
            uri, transport, encoding, bool(verbose), bool(allow_none), **options)
        self.transport = transport
        self._session = None
        self.last_login_method = None
        self.last_login_params = None
        self._API_version = API_VERSION_1_1

    # -- the raw XML-RPC call ------------------------------------------------------------------------
    def _raw(self, name, params):
        method = self._proxy
        for part in name.split("."):
            method = getattr(method, part)
        return _unwrap(method(*params))

    # -- logging in and out --------------------------------------------------------------------------
    def _login(self, method, params):
        try:
            self._session = self._raw("session." + method, params)
        except _SessionExpired as e:
            raise xmlrpc.client.Fault(500, "Received SESSION_INVALID when logging in: %s" % (e.details,))
        except socket.timeout:
            raise xmlrpc.client.Fault(504, "The connection timed out")
        self.last_login_method = method
        self.last_login_params = tuple(params)
        self._API_version = None  # asked of the server when first needed

    def _logout(self):
        method = "session.local_logout" if (self.last_login_method or "").startswith("slave_local") else "session.logout"
        try:
            if self._session is not None:
                try:
                    self._raw(method, (self._session,))
                except _SessionExpired:
                    pass  # already gone
        finally:
            self._session = None
            self.last_login_method = None
            self.last_login_params = None
            self._API_version = API_VERSION_1_1

    def xenapi_request(self, methodname, params):
        """Calls methodname (e.g. "VM.get_all" or "Async.VM.start") with the session and params."""
        params = tuple(params)
        if methodname.startswith("login") or methodname.startswith("slave_local"):
            self._login(methodname, params)
            return None
        if methodname in ("logout", "session.logout", "session.local_logout"):
            self._logout()
            return None
        for _ in range(_SESSION_RETRIES):
            try:
                return self._raw(methodname, (self._session,) + params)
            except _SessionExpired:
                if not self.last_login_method:
                    raise xmlrpc.client.Fault(401, "You must log in")
                self._login(self.last_login_method, self.last_login_params)
        raise xmlrpc.client.Fault(500, "Tried %d times to get a valid session, but failed" % _SESSION_RETRIES)

    def login_with_password(self, username, password, version="1.0", originator="XenAPI.py"):
        self._login("login_with_password", (username, password, version, originator))

    def slave_local_login_with_password(self, username, password):
        self._login("slave_local_login_with_password", (username, password))

    def logout(self):
        self._logout()

    @property
    def handle(self):
        return self._session

    @property
    def xenapi(self):
        return _Namespace(self.xenapi_request, None)

    @property
    def API_version(self):
        if not self._API_version:
            pool = self.xenapi.pool.get_all()[0]
            master = self.xenapi.pool.get_master(pool)
            self._API_version = "%s.%s" % (
                self.xenapi.host.get_API_version_major(master),
                self.xenapi.host.get_API_version_minor(master))
        return self._API_version

    def __getattr__(self, name):
        # Other login forms (login_with_password variants, slave_local_*) as on Xapi's module; anything else
        # is a raw XML-RPC method of the server (session.get_record(...) without unwrapping).
        if name.startswith("_"):
            raise AttributeError(name)
        if name.startswith("login") or name.startswith("slave_local"):
            return lambda *params: self._login(name, params)
        return getattr(self._proxy, name)

    def close(self):
        self._proxy("close")()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            if self._session is not None:
                self._logout()
        finally:
            self.close()
        return False


def xapi_local(path=None):
    """A Session on this host's xapi over its Unix socket (path, else $XAPI_UNIX_SOCKET, else
    /var/lib/xcp/xapi); log in with login_with_password("", "") or slave_local_login_with_password."""
    return Session("http://localhost/", transport=UDSTransport(path))
