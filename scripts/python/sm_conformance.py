#!/usr/bin/env python3
"""Drives a xapi-java host whose sm-dir holds real xapi-project/sm drivers through XenAPI and reports each
step PASS, FAIL, BLOCKED (needs an OS tool missing here) or SKIP; exit status 1 when a step failed. Run by
scripts/sm-conformance, which lays out the drivers and starts the host."""

import argparse
import os
import shutil
import subprocess
import sys
import traceback
import xmlrpc.client

import XenAPI

results = []


def step(name, fn, *args):
    """Runs one step; records PASS (fn's return, if any, as detail), FAIL (the exception) or SKIP."""
    try:
        detail = fn(*args)
        results.append(("PASS", name, detail or ""))
        print("PASS  %s%s" % (name, "  (%s)" % detail if detail else ""), flush=True)
        return True
    except Skip as e:
        results.append(("SKIP", name, str(e)))
        print("SKIP  %s  (%s)" % (name, e), flush=True)
    except Blocked as e:
        results.append(("BLOCKED", name, str(e)))
        print("BLOCKED  %s  (%s)" % (name, e), flush=True)
    except Exception as e:  # noqa: BLE001 - a step's failure is the report
        results.append(("FAIL", name, str(e)))
        print("FAIL  %s  (%s)" % (name, e), flush=True)
        if os.environ.get("SM_CONFORMANCE_TRACE"):
            traceback.print_exc()
    return False


class Skip(Exception):
    pass


class Blocked(Exception):
    """The step needs something this machine lacks (named in the message)."""


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def driver_info(path):
    """What the driver itself answers to sr_get_driver_info (run as xapi runs it)."""
    call = xmlrpc.client.dumps(
        ({"host_ref": "OpaqueRef:NULL", "command": "sr_get_driver_info", "args": [], "device_config": {}},),
        "sr_get_driver_info",
    )
    env = {"PATH": "/sbin:/usr/sbin:/bin:/usr/bin", "ORIGINATOR": "SM"}
    out = subprocess.run([path, call], env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    if out.returncode != 0:
        raise RuntimeError("exit %d: %s" % (out.returncode, out.stderr.strip().splitlines()[-1:] or ""))
    return xmlrpc.client.loads(out.stdout)[0][0]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--sm-dir", required=True)
    p.add_argument("--sm", required=True)
    p.add_argument("--work", required=True)
    a = p.parse_args()

    s = XenAPI.Session(a.url)
    s.login_with_password("root", a.password, "1.0", "sm-conformance")
    x = s.xenapi
    host = x.host.get_all()[0]
    ctx = {"x": x, "host": host, "a": a}

    sms = x.SM.get_all_records()
    by_type = {r["type"]: r for r in sms.values()}
    for t in sorted(os.listdir(a.sm_dir)):
        if not t.endswith("SR") or not os.access(os.path.join(a.sm_dir, t), os.X_OK):
            continue
        step("discovery %s" % t, discovery, x, by_type, os.path.join(a.sm_dir, t))

    step("dummy: SR.create", dummy_create, ctx)
    step("iso (legacy_mode, local directory): SR.create + SR.scan", iso_local, ctx)
    if "dummy_sr" in ctx:
        step("dummy: SR.scan", dummy_scan, ctx)
        step("dummy: SR.update", dummy_update, ctx)
        step("dummy: SR.probe", dummy_probe, ctx)
        step("dummy: VDI.create", dummy_vdi_create, ctx)
        if "dummy_vdi" in ctx:
            step("dummy: VDI.snapshot", dummy_copy, ctx, "snapshot")
            step("dummy: VDI.clone", dummy_copy, ctx, "clone")
            step("dummy: VDI.resize", dummy_resize, ctx)
            step("dummy (disk): VM.start, VM.hard_shutdown (vdi_attach/activate/deactivate/detach)",
                 vm_start, ctx, False)
            if "iso_sr" in ctx:
                step("iso (CD) + dummy: VM.start, VM.hard_shutdown", vm_start, ctx, True)
            step("dummy: VDI.introduce", dummy_introduce, ctx)
            step("dummy: VDI.destroy", dummy_destroy_vdis, ctx)
        step("dummy: SR.destroy", dummy_sr_destroy, ctx)
        step("dummy: SR.forget", dummy_sr_forget, ctx)
    if "iso_sr" in ctx:
        step("iso: SR.forget", iso_forget, ctx)

    step("file: SR.create", file_create, ctx)
    if "file_sr" in ctx:
        step("file: SR.scan", file_scan, ctx)
        step("file: VDI.create (vhd)", file_vdi_create, ctx, "vhd")
        step("file: VDI.create (raw)", file_vdi_create, ctx, "raw")
        step("file: VDI.destroy", file_vdi_destroy, ctx)
        step("file: SR.destroy", file_sr_destroy, ctx)
    step("ext: SR.create", ext_create, ctx)

    s.logout()
    failed = [r for r in results if r[0] == "FAIL"]
    print("\n%d passed, %d failed, %d blocked, %d skipped" % (
        sum(1 for r in results if r[0] == "PASS"), len(failed), sum(1 for r in results if r[0] == "BLOCKED"),
        sum(1 for r in results if r[0] == "SKIP")))
    return 1 if failed else 0


# ---- discovery ----

# Xapi's default sm-plugins, which the host keeps
XAPI_SM_PLUGINS = "ext nfs iscsi lvmoiscsi dummy file hba rawhba udev iso lvm lvmohba lvmofcoe shm smb".split()


def discovery(x, by_type, path):
    stem = os.path.basename(path)[:-2]
    try:
        info = driver_info(path)
    except Exception as e:  # the driver does not even answer: nothing xapi could do
        check(stem.lower() not in by_type, "the driver fails (%s) yet has an SM record" % e)
        raise Skip("the driver itself fails sr_get_driver_info here: %s" % e)
    sm = by_type.get(stem.lower())
    if sm is None and stem.lower() not in XAPI_SM_PLUGINS:
        raise Skip("type %s is not in sm-plugins (Xapi's default list); the driver answers" % stem.lower())
    check(sm is not None, "no SM record of type %s" % stem.lower())
    check(sm["name_label"] == info["name"], "name_label %r, driver says %r" % (sm["name_label"], info["name"]))
    check(sm["name_description"] == info["description"], "name_description %r" % sm["name_description"])
    check(sm["vendor"] == info["vendor"], "vendor %r" % sm["vendor"])
    check(sm["copyright"] == info["copyright"], "copyright %r" % sm["copyright"])
    check(sm["version"] == info["driver_version"], "version %r" % sm["version"])
    check(sm["required_api_version"] == info["required_api_version"],
          "required_api_version %r, driver says %r" % (sm["required_api_version"], info["required_api_version"]))
    check(sm["driver_filename"] == path, "driver_filename %r" % sm["driver_filename"])
    conf = {c["key"]: c["description"] for c in info["configuration"]}
    check(sm["configuration"] == conf, "configuration %r, driver says %r" % (sm["configuration"], conf))
    said = {}
    for c in info["capabilities"]:
        name, _, v = c.partition("/")
        said[name] = max(1, int(v)) if v else 1
    if "ATOMIC_PAUSE" in said:
        said.setdefault("VDI_ACTIVATE", 1)
        said.setdefault("VDI_DEACTIVATE", 1)
    features = {k: int(v) for k, v in sm["features"].items()}
    for k, v in features.items():
        check(said.get(k) == v, "feature %s=%s not what the driver says (%s)" % (k, v, said.get(k)))
    dropped = sorted(set(said) - set(features))
    check(sorted(sm["capabilities"]) == sorted(features), "capabilities %r vs features %r" % (sm["capabilities"], features))
    return "%d features%s" % (len(features), "; not Xapi capabilities, dropped: " + " ".join(dropped) if dropped else "")


# ---- dummy ----

def pbd_of(x, sr):
    return x.SR.get_PBDs(sr)


def dummy_create(ctx):
    x = ctx["x"]
    sr = x.SR.create(ctx["host"], {}, "0", "real DummySR", "sm-conformance", "dummy", "user", False, {})
    ctx["dummy_sr"] = sr
    pbds = pbd_of(x, sr)
    check(len(pbds) == 1 and x.PBD.get_currently_attached(pbds[0]), "PBD not plugged")
    return "sr %s" % x.SR.get_uuid(sr)


def dummy_scan(ctx):
    x = ctx["x"]
    sr = ctx["dummy_sr"]
    x.SR.scan(sr)
    rec = x.SR.get_record(sr)
    check(rec["physical_size"] == "2000000000000", "physical_size %r after scan" % rec["physical_size"])
    return "physical_size %s" % rec["physical_size"]


def dummy_update(ctx):
    ctx["x"].SR.update(ctx["dummy_sr"])


def dummy_probe(ctx):
    x = ctx["x"]
    try:
        out = x.SR.probe(ctx["host"], {}, "dummy", {})
    except XenAPI.Failure as e:
        # DummySR's probe asks SR.get_sm_config(None) (there is no sr_ref in a probe): XenAPI.py sends <nil/>,
        # which Xapi's unmarshaller (ocaml-rpc) refuses with this very INTERNAL_ERROR; the driver's fault is 202
        if e.details[0] == "SR_BACKEND_FAILURE_202" and "INTERNAL_ERROR" in e.details[2] \
                and "Expected string, got" in e.details[2] and "N" in e.details[2]:
            return "fails as on Xapi: the driver calls SR.get_sm_config(None), refused with Xapi's INTERNAL_ERROR"
        raise
    check("<SRlist>" in out and "<UUID>" in out, "probe answer %r" % out)
    return "%d bytes of SRlist XML" % len(out)


def dummy_introduce(ctx):
    x = ctx["x"]
    import uuid
    u = str(uuid.uuid4())
    try:
        v = x.VDI.introduce(u, "introduced", "", ctx["dummy_sr"], "user", False, False, {}, "loc-" + u, {}, {},
                            False, "0", "0", "OpaqueRef:NULL", False, "19700101T00:00:00Z", "OpaqueRef:NULL")
    except XenAPI.Failure as e:
        if e.details[0] == "NOT_IMPLEMENTED":
            raise Skip("VDI.introduce is NOT_IMPLEMENTED in this xapi-java")
        raise
    ctx.setdefault("dummy_copies", []).append(v)
    rec = x.VDI.get_record(v)
    check(rec["uuid"] == u and rec["location"] == "loc-" + u, "record %r/%r" % (rec["uuid"], rec["location"]))


def vm_start(ctx, with_cd):
    x = ctx["x"]
    tmpl = None
    for ref, r in x.VM.get_all_records().items():
        if r["is_a_template"] and not r["is_a_snapshot"] and not r["is_control_domain"]:
            tmpl = r
            break
    check(tmpl is not None, "no template")
    r = dict(tmpl)
    mib = 1 << 20
    r.update({
        "name_label": "sm-conformance vm", "is_a_template": False, "memory_static_min": str(128 * mib),
        "memory_static_max": str(256 * mib), "memory_dynamic_min": str(256 * mib),
        "memory_dynamic_max": str(256 * mib), "VCPUs_max": "1", "VCPUs_at_startup": "1",
        "HVM_boot_policy": "BIOS order", "HVM_boot_params": {"order": "dc"}, "domain_type": "hvm",
        "platform": {"acpi": "1", "apic": "true", "pae": "true", "viridian": "false"}, "other_config": {},
        "actions_after_shutdown": "destroy", "actions_after_reboot": "restart", "actions_after_crash": "restart"})
    vm = x.VM.create(r)
    ctx["vm"] = vm
    vbds = [x.VBD.create({
        "VM": vm, "VDI": ctx["dummy_vdi"], "userdevice": "0", "bootable": True, "mode": "RW", "type": "Disk",
        "empty": False, "other_config": {}, "qos_algorithm_type": "", "qos_algorithm_params": {}})]
    if with_cd:
        iso = x.SR.get_VDIs(ctx["iso_sr"])[0]
        vbds.append(x.VBD.create({
            "VM": vm, "VDI": iso, "userdevice": "3", "bootable": False, "mode": "RO", "type": "CD",
            "empty": False, "other_config": {}, "qos_algorithm_type": "", "qos_algorithm_params": {}}))
    try:
        x.VM.start(vm, False, False)
    except XenAPI.Failure as e:
        x.VM.destroy(vm)
        if with_cd and "tap-ctl" in str(e) and not os.path.exists("/usr/sbin/tap-ctl"):
            raise Blocked("ISOSR attaches through blktap2, whose tap-ctl (blktap, not in Debian) is missing: %s" % e)
        raise
    for vbd in vbds:
        check(x.VBD.get_currently_attached(vbd), "VBD %s not attached" % x.VBD.get_userdevice(vbd))
    x.VM.hard_shutdown(vm)
    for vbd in vbds:
        check(not x.VBD.get_currently_attached(vbd), "VBD %s still attached" % x.VBD.get_userdevice(vbd))
    x.VM.destroy(vm)
    return "%d VBDs" % len(vbds)


def dummy_vdi_create(ctx):
    x = ctx["x"]
    vdi = x.VDI.create({
        "SR": ctx["dummy_sr"], "virtual_size": str(1 << 30), "type": "user", "sharable": False, "read_only": False,
        "other_config": {}, "name_label": "real dummy vdi", "name_description": "", "sm_config": {"k": "v"},
        "tags": []})
    ctx["dummy_vdi"] = vdi
    rec = x.VDI.get_record(vdi)
    check(rec["virtual_size"] == str(1 << 30), "virtual_size %r" % rec["virtual_size"])
    check(rec["name_label"] == "real dummy vdi", "name_label %r" % rec["name_label"])
    check(rec["sm_config"].get("samplekey") == "This is a dummy SR VDI", "sm_config %r" % rec["sm_config"])
    check(rec["location"] == rec["uuid"], "location %r" % rec["location"])
    return "vdi %s" % rec["uuid"]


def dummy_copy(ctx, kind):
    x = ctx["x"]
    vdi = ctx["dummy_vdi"]
    new = getattr(x.VDI, kind)(vdi, {})
    ctx.setdefault("dummy_copies", []).append(new)
    rec = x.VDI.get_record(new)
    check(rec["SR"] == ctx["dummy_sr"], "SR %r" % rec["SR"])
    check(rec["is_a_snapshot"] == (kind == "snapshot"), "is_a_snapshot %r" % rec["is_a_snapshot"])
    if kind == "snapshot":
        check(rec["snapshot_of"] == vdi, "snapshot_of %r" % rec["snapshot_of"])
        check(rec["read_only"], "snapshot not read_only")
    check(rec["name_label"] == "real dummy vdi", "name_label %r" % rec["name_label"])
    return "vdi %s" % rec["uuid"]


def dummy_resize(ctx):
    x = ctx["x"]
    vdi = ctx["dummy_vdi"]
    x.VDI.resize(vdi, str(2 << 30))
    v = x.VDI.get_virtual_size(vdi)
    check(v == str(2 << 30), "virtual_size %r after resize" % v)
    return "virtual_size %s" % v


def dummy_destroy_vdis(ctx):
    x = ctx["x"]
    for v in ctx.get("dummy_copies", []) + [ctx["dummy_vdi"]]:
        x.VDI.destroy(v)
    left = x.SR.get_VDIs(ctx["dummy_sr"])
    check(left == [], "VDIs left: %r" % left)


def dummy_sr_destroy(ctx):
    x = ctx["x"]
    sr = ctx["dummy_sr"]
    for pbd in pbd_of(x, sr):
        x.PBD.unplug(pbd)
    x.SR.destroy(sr)
    check(sr not in x.SR.get_all(), "SR still there")


def dummy_sr_forget(ctx):
    x = ctx["x"]
    sr = x.SR.create(ctx["host"], {}, "0", "real DummySR 2", "", "dummy", "user", False, {})
    v = x.VDI.create({
        "SR": sr, "virtual_size": "4096", "type": "user", "sharable": False, "read_only": False,
        "other_config": {}, "name_label": "x", "name_description": "", "sm_config": {}, "tags": []})
    for pbd in pbd_of(x, sr):
        x.PBD.unplug(pbd)
    x.SR.forget(sr)
    check(sr not in x.SR.get_all(), "SR still there")
    check(v not in x.VDI.get_all(), "VDI still there")


# ---- iso ----

def iso_local(ctx):
    x = ctx["x"]
    d = os.path.join(ctx["a"].work, "isos")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "tools.iso"), "wb") as f:
        f.truncate(2 << 20)
    sr = x.SR.create(ctx["host"], {"location": d, "legacy_mode": "true"}, "0", "real ISOSR", "", "iso", "iso",
                     False, {})
    ctx["iso_sr"] = sr
    x.SR.scan(sr)
    vdis = [x.VDI.get_record(v) for v in x.SR.get_VDIs(sr)]
    names = sorted(v["location"] for v in vdis)
    check(names == ["tools.iso"], "VDIs %r" % names)
    check(vdis[0]["virtual_size"] == str(2 << 20), "virtual_size %r" % vdis[0]["virtual_size"])
    return "VDI tools.iso, %s bytes" % vdis[0]["virtual_size"]


def iso_forget(ctx):
    x = ctx["x"]
    sr = ctx["iso_sr"]
    for pbd in pbd_of(x, sr):
        x.PBD.unplug(pbd)
    x.SR.forget(sr)
    check(sr not in x.SR.get_all(), "SR still there")


# ---- file / ext ----

def no_vhd_util():
    return not shutil.which("vhd-util", path="/sbin:/usr/sbin:/bin:/usr/bin")


def blocked_without_vhd_util(fn):
    """A FileSR step: a failure while vhd-util (blktap, not packaged by Debian) is missing is BLOCKED."""
    def run(ctx, *args):
        try:
            return fn(ctx, *args)
        except Exception as e:
            if no_vhd_util():
                raise Blocked("vhd-util is missing (blktap, not in Debian): %s" % e)
            raise
    return run


@blocked_without_vhd_util
def file_create(ctx):
    x = ctx["x"]
    d = os.path.join(ctx["a"].work, "filesr")
    os.makedirs(d, exist_ok=True)
    sr = x.SR.create(ctx["host"], {"location": d}, "0", "real FileSR", "", "file", "user", False, {})
    ctx["file_sr"] = sr
    return "sr %s" % x.SR.get_uuid(sr)


@blocked_without_vhd_util
def file_scan(ctx):
    ctx["x"].SR.scan(ctx["file_sr"])


@blocked_without_vhd_util
def file_vdi_create(ctx, kind):
    x = ctx["x"]
    vdi = x.VDI.create({
        "SR": ctx["file_sr"], "virtual_size": str(1 << 20), "type": "user", "sharable": False, "read_only": False,
        "other_config": {}, "name_label": "real file vdi", "name_description": "",
        "sm_config": {"type": kind} if kind == "raw" else {}, "tags": []})
    ctx.setdefault("file_vdis", []).append(vdi)
    rec = x.VDI.get_record(vdi)
    check(int(rec["virtual_size"]) >= 1 << 20, "virtual_size %r" % rec["virtual_size"])
    return "vdi %s, sm_config %r" % (rec["uuid"], rec["sm_config"])


@blocked_without_vhd_util
def file_vdi_destroy(ctx):
    x = ctx["x"]
    for v in ctx.get("file_vdis", []):
        x.VDI.destroy(v)


@blocked_without_vhd_util
def file_sr_destroy(ctx):
    x = ctx["x"]
    sr = ctx["file_sr"]
    for pbd in x.SR.get_PBDs(sr):
        x.PBD.unplug(pbd)
    x.SR.destroy(sr)


def ext_create(ctx):
    raise Skip("EXTSR makes an LVM volume group on the device (lvcreate/vgcreate) and VHD files (vhd-util), "
               "neither available here")


if __name__ == "__main__":
    sys.exit(main())
