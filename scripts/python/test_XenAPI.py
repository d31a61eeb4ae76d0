# Unit tests of XenAPI.py against a live host. The host is named by the environment:
#   XAPI_TEST_URL (http://127.0.0.1:PORT/), XAPI_TEST_HTTPS_URL (https://127.0.0.1:PORT/),
#   XAPI_TEST_PASSWORD (root's password), XAPI_TEST_SOCKET (the host's Unix socket).
# Run: python3 -m unittest discover -s scripts/python -p 'test_*.py'  (XenApiPyTest does this against an
# in-process host).
import os
import unittest
import xmlrpc.client

import XenAPI


def env(name):
    value = os.environ.get(name)
    if not value:
        raise unittest.SkipTest("%s is not set (run through XenApiPyTest)" % name)
    return value


class SessionTest(unittest.TestCase):
    def setUp(self):
        self.url = env("XAPI_TEST_URL")
        self.password = env("XAPI_TEST_PASSWORD")
        self.session = XenAPI.Session(self.url)
        self.session.login_with_password("root", self.password, "2.21", "test_XenAPI")

    def tearDown(self):
        if self.session.handle is not None:
            self.session.logout()
        self.session.close()

    def test_login_gives_a_session_reference(self):
        self.assertTrue(self.session.handle.startswith("OpaqueRef:"))
        self.assertEqual(self.session.handle, self.session._session)
        self.assertEqual("login_with_password", self.session.last_login_method)
        record = self.session.xenapi.session.get_record(self.session.handle)
        self.assertEqual("test_XenAPI", record["originator"])

    def test_calls_unwrap_values(self):
        pools = self.session.xenapi.pool.get_all()
        self.assertEqual(1, len(pools))
        host = self.session.xenapi.session.get_this_host(self.session.handle)
        self.assertEqual(self.session.xenapi.pool.get_master(pools[0]), host)
        templates = [r for r in self.session.xenapi.VM.get_all_records().values() if r["is_a_template"]]
        self.assertGreater(len(templates), 5)
        other = self.session.xenapi.VM.get_by_name_label("Other install media")
        self.assertEqual(1, len(other))

    def test_xenapi_request_takes_a_dotted_name(self):
        self.assertEqual(self.session.xenapi.pool.get_all(), self.session.xenapi_request("pool.get_all", ()))
        self.assertEqual(1, len(self.session.xenapi_request("VM.get_by_name_label", ("Other install media",))))

    def test_api_version_is_the_masters(self):
        pool = self.session.xenapi.pool.get_all()[0]
        master = self.session.xenapi.pool.get_master(pool)
        expected = "%s.%s" % (self.session.xenapi.host.get_API_version_major(master),
                              self.session.xenapi.host.get_API_version_minor(master))
        self.assertEqual(expected, self.session.API_version)

    def test_errors_raise_failure_with_details(self):
        with self.assertRaises(XenAPI.Failure) as caught:
            self.session.xenapi.VM.get_record("OpaqueRef:nope")
        self.assertEqual(["HANDLE_INVALID", "VM", "OpaqueRef:nope"], caught.exception.details)
        self.assertEqual({"0": "HANDLE_INVALID", "1": "VM", "2": "OpaqueRef:nope"}, caught.exception._details_map())
        self.assertIn("HANDLE_INVALID", str(caught.exception))
        with self.assertRaises(XenAPI.Failure) as caught:
            self.session.xenapi.VM.no_such_message()
        self.assertEqual("MESSAGE_METHOD_UNKNOWN", caught.exception.details[0])

    def test_async_calls_return_tasks(self):
        task = self.session.xenapi.Async.network.create(
            {"name_label": "xenapi-py-net", "name_description": "", "other_config": {}})
        self.assertTrue(task.startswith("OpaqueRef:"))
        token = ""
        while self.session.xenapi.task.get_status(task) == "pending":
            token = getattr(self.session.xenapi.event, "from")(["task"], token, 5.0)["token"]
        self.assertEqual("success", self.session.xenapi.task.get_status(task))
        result = self.session.xenapi.task.get_result(task)
        network = xmlrpc.client.loads("<params><param>%s</param></params>" % result)[0][0]
        self.assertEqual("xenapi-py-net", self.session.xenapi.network.get_name_label(network))
        self.session.xenapi.task.destroy(task)
        self.session.xenapi.network.destroy(network)

    def test_an_expired_session_is_renewed_with_the_last_login(self):
        old = self.session.handle
        self.session.session.logout(old)  # the raw method: the server forgets the session
        self.assertEqual(1, len(self.session.xenapi.pool.get_all()))
        self.assertNotEqual(old, self.session.handle)

    def test_logout_forgets_the_session(self):
        old = self.session.handle
        self.session.xenapi.session.logout()
        self.assertIsNone(self.session.handle)
        self.assertIsNone(self.session.last_login_method)
        with self.assertRaises(XenAPI.Failure):  # no session reference is sent: the server refuses the call
            self.session.xenapi.pool.get_all()
        probe = XenAPI.Session(self.url)
        self.addCleanup(probe.close)
        probe.login_with_password("root", self.password)
        try:
            with self.assertRaises(XenAPI.Failure) as gone:
                probe.xenapi.session.get_record(old)
            self.assertEqual("HANDLE_INVALID", gone.exception.details[0])
        finally:
            probe.logout()


class LoginTest(unittest.TestCase):
    def test_a_wrong_password_is_a_failure(self):
        session = XenAPI.Session(env("XAPI_TEST_URL"))
        self.addCleanup(session.close)
        with self.assertRaises(XenAPI.Failure) as caught:
            session.login_with_password("root", "not-the-password", "2.21", "test_XenAPI")
        self.assertEqual("SESSION_AUTHENTICATION_FAILED", caught.exception.details[0])
        self.assertIsNone(session.handle)

    def test_https_with_ignore_ssl(self):
        session = XenAPI.Session(env("XAPI_TEST_HTTPS_URL"), ignore_ssl=True)
        self.addCleanup(session.close)
        session.login_with_password("root", env("XAPI_TEST_PASSWORD"), "2.21", "test_XenAPI")
        try:
            self.assertEqual(1, len(session.xenapi.pool.get_all()))
        finally:
            session.xenapi.session.logout()

    def test_https_checks_the_certificate_unless_told(self):
        session = XenAPI.Session(env("XAPI_TEST_HTTPS_URL"))
        self.addCleanup(session.close)
        with self.assertRaises(OSError):  # ssl.SSLCertVerificationError: the host's certificate is self-signed
            session.login_with_password("root", env("XAPI_TEST_PASSWORD"))

    def test_xapi_local_on_the_unix_socket(self):
        session = XenAPI.xapi_local(env("XAPI_TEST_SOCKET"))
        self.addCleanup(session.close)
        session.login_with_password("", "", "2.21", "test_XenAPI")  # callers on the socket are root
        try:
            self.assertEqual(1, len(session.xenapi.pool.get_all()))
            self.assertTrue(session.xenapi.session.get_is_local_superuser(session.handle))
        finally:
            session.logout()

    def test_xapi_local_takes_the_socket_from_the_environment(self):
        os.environ["XAPI_UNIX_SOCKET"] = env("XAPI_TEST_SOCKET")
        try:
            session = XenAPI.xapi_local()
            self.addCleanup(session.close)
        finally:
            del os.environ["XAPI_UNIX_SOCKET"]
        self.assertEqual(env("XAPI_TEST_SOCKET"), session.transport.path)
        session.slave_local_login_with_password("root", env("XAPI_TEST_PASSWORD"))
        try:
            self.assertEqual("slave_local_login_with_password", session.last_login_method)
            self.assertEqual(1, len(session.xenapi.host.get_all()))
        finally:
            session.logout()
        self.assertIsNone(session.handle)


class DefaultsTest(unittest.TestCase):
    def test_xapi_local_defaults_to_xapis_socket(self):
        saved = os.environ.pop("XAPI_UNIX_SOCKET", None)
        try:
            self.assertEqual("/var/lib/xcp/xapi", XenAPI.xapi_local().transport.path)
        finally:
            if saved is not None:
                os.environ["XAPI_UNIX_SOCKET"] = saved

    def test_namespace_builds_dotted_names(self):
        calls = []
        XenAPI._Namespace(lambda name, params: calls.append((name, params)), None).Async.VM.start(
            "OpaqueRef:x", False, True)
        self.assertEqual([("Async.VM.start", ("OpaqueRef:x", False, True))], calls)

    def test_failure_details_are_a_list(self):
        self.assertEqual(["X", "1"], XenAPI.Failure(("X", "1")).details)


if __name__ == "__main__":
    unittest.main()
