#!/usr/bin/env python3
"""Joins hosts to a pool through the XenAPI (used by scripts/pool).

usage: pool_join.py PORT MASTER_ADDRESS MASTER_PASSWORD MEMBER_ADDRESS:MEMBER_PASSWORD...

Calls pool.join on each member with the master's root credentials (a host that answers HOST_IS_SLAVE
naming this master joined at an earlier start and is left as it is), then waits until the master's
database holds every host, enabled and live. Exits non-zero with the XenAPI error otherwise.
"""
import sys
import time
import xmlrpc.client


def call(proxy, method, *args):
    r = getattr(proxy, method)(*args)
    if r.get("Status") != "Success":
        raise RuntimeError("%s: %s" % (method, r.get("ErrorDescription")))
    return r.get("Value")


def login(address, port, password):
    proxy = xmlrpc.client.ServerProxy("http://%s:%d/" % (address, port), allow_none=True)
    return proxy, call(proxy.session, "login_with_password", "root", password, "1.0", "scripts/pool")


def main(argv):
    port = int(argv[1])
    master, master_pw = argv[2], argv[3]
    members = [a.split(":", 1) for a in argv[4:]]
    for address, password in members:
        proxy = xmlrpc.client.ServerProxy("http://%s:%d/" % (address, port), allow_none=True)
        r = proxy.session.login_with_password("root", password, "1.0", "scripts/pool")
        error = r.get("ErrorDescription") or []
        if r.get("Status") != "Success" and error[:1] == ["HOST_IS_SLAVE"]:
            if error[1:2] == [master]:
                continue  # a member of this pool since an earlier start
            raise RuntimeError("%s is a member of the pool of %s" % (address, " ".join(error[1:])))
        if r.get("Status") != "Success":
            raise RuntimeError("login_with_password: %s" % error)
        call(proxy.pool, "join", r.get("Value"), master, "root", master_pw)
    proxy, s = login(master, port, master_pw)
    deadline = time.time() + 180
    while True:
        hosts = call(proxy.host, "get_all_records", s)
        ready = [h for h in hosts.values() if h["enabled"]]
        live = 0
        for h in hosts.values():
            if h["metrics"] != "OpaqueRef:NULL" and call(proxy.host_metrics, "get_live", s, h["metrics"]):
                live += 1
        if len(hosts) == len(members) + 1 and len(ready) == len(hosts) and live == len(hosts):
            return 0
        if time.time() > deadline:
            print("pool: %d of %d hosts joined, enabled and live after 180 s" % (len(ready), len(members) + 1),
                  file=sys.stderr)
            return 1
        time.sleep(0.5)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception as e:  # noqa: BLE001 - reported to the operator
        print("pool: %s" % e, file=sys.stderr)
        sys.exit(1)
