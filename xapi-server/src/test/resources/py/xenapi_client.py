# Drives a host the way XenAPI.py does: an xmlrpc.client.ServerProxy (allow_none) whose calls
# carry the session as first parameter, Status/Value unwrapped, Failure raised with the
# ErrorDescription. Usage: python3 xenapi_client.py URL USER PASSWORD  (prints one JSON line)
import json
import sys
import xmlrpc.client

url, user, password = sys.argv[1:4]
proxy = xmlrpc.client.ServerProxy(url, allow_none=True)


class Failure(Exception):
    def __init__(self, details):
        self.details = details


def call(name, *args):
    fn = proxy
    for part in name.split("."):
        fn = getattr(fn, part)
    r = fn(*args)
    if r["Status"] == "Success":
        return r["Value"]
    raise Failure(r["ErrorDescription"])


out = {}
session = call("session.login_with_password", user, password, "2.21", "XenAPI.py-test")
methods = proxy.system.listMethods()
classes = sorted({m.split(".")[0] for m in methods if m.endswith(".get_all_records") and not m.startswith("session.")})
counts = {}
removed = []
for cls in classes:
    try:
        counts[cls] = len(call(cls + ".get_all_records", session))
    except Failure as f:
        if f.details != ["MESSAGE_REMOVED"]:
            raise
        removed.append(cls)  # classes of removed features (e.g. VMPP), as on a real host
out["removed"] = removed
out["classes"] = len(classes)
out["vms"] = counts.get("VM", 0)
out["pools"] = counts.get("pool", 0)
host = call("session.get_this_host", session, session)
out["api"] = "%s.%s" % (call("host.get_API_version_major", session, host), call("host.get_API_version_minor", session, host))
batch = call("event.from", session, ["pool"], "", 1.0)
out["eventsFromEmptyToken"] = len(batch["events"])
out["tokenParts"] = len(batch["token"].split(","))
task = call("Async.network.create", session, {"name_label": "py-net", "name_description": "", "other_config": {}})
token = ""
status = "pending"
while status == "pending":
    batch = call("event.from", session, ["task"], token, 5.0)
    token = batch["token"]
    status = call("task.get_status", session, task)
out["taskStatus"] = status
out["taskResult"] = call("task.get_result", session, task)
try:
    call("VM.get_record", session, "OpaqueRef:nope")
except Failure as f:
    out["error"] = f.details
call("session.logout", session)
print(json.dumps(out))
