#!/usr/bin/env python3
"""The coalescing garbage collector of a file SR: python3 smgc.py <sr-directory> <sr-uuid>.

Started detached by the plugins (after vdi_delete, deactivate, revert and scan). One runs per SR (the
flock <lock-dir>/<sr-uuid>/gc); each step holds the SR lock <lock-dir>/<sr-uuid>/sr, so it never runs
beside a plugin command. A step is one of:
  - remove a hidden node without children;
  - coalesce a hidden node H with its single child C into H (the "coalesce sequence" of
    docs/storage.md), skipped while any leaf under C is activated.
When C is a VDI's leaf (a leaf coalesce) the GC first waits leaf-coalesce-delay-seconds (sm.conf) and
then asks xapi, through a local login as sm's GC does, whether that VDI must keep its parent: a VDI with
on_boot=reset (its parent is the content every boot returns to) or allow_caching=true is left alone,
as sm's GC skips them; so is every leaf coalesce when xapi cannot be asked.
Every step can be killed at any point (kill -9 of the whole process group) and is finished or
harmlessly redone by the next run; the journal gc-journal records the coalesce in progress.

The environment variable SM_GC_FIST=<point> makes the GC kill its own process group at that point
(tests use it to prove the crash safety): journal, commit (during qemu-img commit), committed,
rebased-one, renamed.
"""

import json
import os
import signal
import subprocess
import sys
import time

import smcore
import smfile
from smcore import log, run
from smfile import HIDDEN_FILE, JOURNAL, VDI_FILE, fsync_dir


def fist(point):
    if os.environ.get("SM_GC_FIST") == point:
        log("fist point %s: killing the process group" % point)
        os.killpg(0, signal.SIGKILL)


class Graph:
    """The chain structure of the SR directory: node name -> backing name, and children."""

    def __init__(self, path):
        self.path = path
        self.backing = {}
        for name in os.listdir(path):
            if name.endswith(".tmp") or not (VDI_FILE.match(name) or HIDDEN_FILE.match(name)):
                continue
            if name.endswith(".raw"):
                self.backing[name] = None
                continue
            try:
                self.backing[name] = smfile.backing_of(os.path.join(path, name))
            except smcore.CommandFailed as e:  # unreadable now (being written?): leave its chain alone
                log("cannot read %s: %s" % (name, e))
                self.backing[name] = "?"
        self.children = {}
        for name, parent in self.backing.items():
            if parent:
                self.children.setdefault(parent, []).append(name)

    def subtree(self, name):
        out, todo = [], [name]
        while todo:
            n = todo.pop()
            out.append(n)
            todo.extend(self.children.get(n, []))
        return out


def active_leaves(sr_uuid):
    d = os.path.join(smcore.CONFIG["datapath-dir"], sr_uuid)
    if not os.path.isdir(d):
        return set()
    return {n[:-4] for n in os.listdir(d) if n.endswith(".pid") and smfile.Datapath(sr_uuid, n[:-4]).active()}


def busy(graph, name, active):
    """True when a leaf in name's subtree is activated (its daemon holds the chain open)."""
    return any(VDI_FILE.match(n) and VDI_FILE.match(n).group(1) in active for n in graph.subtree(name))


def write_journal(path, record):
    tmp = os.path.join(path, JOURNAL + ".tmp")
    with open(tmp, "w") as f:
        json.dump(record, f)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, os.path.join(path, JOURNAL))
    fsync_dir(path)


def commit(path, child):
    """qemu-img commit of child into its backing file; the child is kept as it is (-d)."""
    argv = [smcore.tool("qemu-img"), "commit", "-q", "-d", "-f", "qcow2", os.path.join(path, child)]
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if os.environ.get("SM_GC_FIST") == "commit":
        time.sleep(0.05)
        fist("commit")
    out, err = p.communicate()
    if p.returncode != 0:
        raise smcore.CommandFailed(argv, p.returncode, err + out)


def coalesce(path, sr_uuid, parent, child, phase="commit"):
    """Merges child C into its hidden parent H. Sequence (each line durable before the next):
      1. journal {parent, child, phase: commit}
      2. qemu-img commit C into H (H's only child is C, so every reader's view is unchanged)
      3. if C is a VDI leaf: rename H over C (atomic; H now carries C's content and H's own backing) - done
         if C is hidden:     journal phase committed; rebase (header only) every child of C onto H;
                             unlink C
      4. remove the journal
    """
    leaf = bool(VDI_FILE.match(child))
    if phase == "commit":
        write_journal(path, {"parent": parent, "child": child, "phase": "commit"})
        fist("journal")
        commit(path, child)
        fist("committed")
    if leaf:
        os.rename(os.path.join(path, parent), os.path.join(path, child))
        fsync_dir(path)
        fist("renamed")
    else:
        if phase == "commit":
            write_journal(path, {"parent": parent, "child": child, "phase": "committed"})
        for grandchild in sorted(smfile_children(path, child)):
            run(["qemu-img", "rebase", "-q", "-u", "-f", "qcow2", "-b", parent, "-F", "qcow2",
                 os.path.join(path, grandchild)], cwd=path)
            fist("rebased-one")
        try:
            os.unlink(os.path.join(path, child))
        except FileNotFoundError:
            pass
        fsync_dir(path)
    os.unlink(os.path.join(path, JOURNAL))
    fsync_dir(path)
    log("coalesced %s into %s" % (child, parent))


def smfile_children(path, name):
    return Graph(path).children.get(name, [])


def resume(path, sr_uuid):
    """Finishes or drops the coalesce a killed GC left; False when it must wait (a leaf is activated)."""
    with open(os.path.join(path, JOURNAL)) as f:
        record = json.load(f)
    parent, child, phase = record["parent"], record["child"], record["phase"]
    parent_path, child_path = os.path.join(path, parent), os.path.join(path, child)
    graph = Graph(path)
    if busy(graph, child, active_leaves(sr_uuid)):
        return False
    if phase == "commit":
        # Not committed yet (or only partly: harmless, H's only reader is C). Redo it only if C is still
        # H's child; a plugin may have changed the chain since (e.g. a snapshot of the leaf C).
        if os.path.exists(parent_path) and os.path.exists(child_path) and graph.backing.get(child) == parent:
            coalesce(path, sr_uuid, parent, child, "commit")
        else:
            os.unlink(os.path.join(path, JOURNAL))
        return True
    # committed (hidden child only): H holds C's whole view, C is never written; finish the rebases
    if os.path.exists(child_path) and os.path.exists(parent_path):
        coalesce(path, sr_uuid, parent, child, "committed")
    else:
        os.unlink(os.path.join(path, JOURNAL))
    return True


class LeafPolicy:
    """Decides the leaf coalesces: each candidate hidden node waits the delay after the GC first saw it (a
    VDI.set_on_boot reset runs clone and delete before xapi writes on_boot), then xapi's records decide."""

    def __init__(self, sr_uuid):
        self.sr_uuid = sr_uuid
        self.delay = float(smcore.CONFIG.get("leaf-coalesce-delay-seconds", "2"))
        self.first_seen = {}
        self.refused = set()  # decided for this run; the next kick asks again
        self.waiting = False  # a candidate is still inside its delay

    def allowed(self, hidden, leaf):
        if hidden in self.refused:
            return False
        seen = self.first_seen.setdefault(hidden, time.monotonic())
        if time.monotonic() - seen < self.delay:
            self.waiting = True
            return False
        keep = kept_leaves(self.sr_uuid)
        reason = "xapi cannot say whether the VDI must keep its parent" if keep is None else keep.get(
            VDI_FILE.match(leaf).group(1))
        if reason:
            log("leaf coalesce of %s skipped: %s" % (leaf, reason))
            self.refused.add(hidden)
            return False
        return True

    def pause(self):
        """Sleeps until the oldest waiting candidate's delay is over; False when none waits."""
        if not self.waiting:
            return False
        self.waiting = False
        now = time.monotonic()
        left = [seen + self.delay - now for seen in self.first_seen.values() if seen + self.delay > now]
        time.sleep(max(0.0, min(left)) if left else 0.0)
        return True


def kept_leaves(sr_uuid):
    """location -> reason of the SR's VDIs whose leaf must keep its parent (on_boot reset, allow_caching), read
    through a local login on xapi (XAPI_UNIX_SOCKET, else Xapi's socket); None when xapi cannot be asked."""
    try:
        import XenAPI

        session = XenAPI.xapi_local()
        session.xenapi.login_with_password("root", "", "", "SM")
        try:
            sr = session.xenapi.SR.get_by_uuid(sr_uuid)
            records = session.xenapi.VDI.get_all_records_where('field "SR" = "%s"' % sr)
        finally:
            session.xenapi.session.logout()
    except Exception as e:  # no xapi, no such SR, a refused login: nothing is known, nothing is kept
        log("cannot read the VDIs of SR %s from xapi: %s" % (sr_uuid, e))
        return None
    keep = {}
    for r in records.values():
        if r.get("on_boot") == "reset":
            keep[r.get("location", "")] = "reset-on-boot VDI"
        elif smcore.to_bool(r.get("allow_caching", False)):
            keep[r.get("location", "")] = "allow_caching=true VDI"
    return keep


def step(path, sr_uuid, policy):
    """One unit of work under the SR lock; False when nothing (more) can be done now."""
    with smcore.Lock(sr_uuid, "sr"):
        if os.path.exists(os.path.join(path, JOURNAL)):
            return resume(path, sr_uuid)
        for name in os.listdir(path):  # files a killed plugin or GC was writing
            if name.endswith(".tmp"):
                os.unlink(os.path.join(path, name))
        graph = Graph(path)
        if "?" in graph.backing.values():
            return False  # a chain could not be read: removing anything could be wrong
        active = active_leaves(sr_uuid)
        for name in sorted(graph.backing):
            if not HIDDEN_FILE.match(name):
                continue
            children = graph.children.get(name, [])
            if not children:
                os.unlink(os.path.join(path, name))
                fsync_dir(path)
                log("removed unreferenced %s" % name)
                return True
            if len(children) == 1 and not busy(graph, children[0], active):
                if VDI_FILE.match(children[0]) and not policy.allowed(name, children[0]):
                    continue
                coalesce(path, sr_uuid, name, children[0])
                return True
    return False


def main(path, sr_uuid):
    kick, pidfile, _ = smfile.gc_paths(sr_uuid)
    while True:
        lock = smcore.Lock(sr_uuid, "gc")
        if not lock.acquire(blocking=False):
            return 0  # another GC runs; it sees the kick file
        try:
            with open(pidfile, "w") as f:
                f.write(str(os.getpid()))
            policy = LeafPolicy(sr_uuid)
            while os.path.exists(kick):
                os.unlink(kick)
                while True:
                    while os.path.isdir(path) and step(path, sr_uuid, policy):
                        pass
                    if not policy.pause():  # outside the SR lock: the plugins run meanwhile
                        break
        finally:
            lock.release()
        if not os.path.exists(kick):  # a kick that came while the lock was being released
            return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.stderr.write("usage: smgc.py <sr-directory> <sr-uuid>\n")
        sys.exit(2)
    if os.getpgrp() != os.getpid():
        os.setsid()
    try:
        sys.exit(main(sys.argv[1], sys.argv[2]))
    except Exception as e:
        log("gc failed: %s" % e)
        sys.exit(1)
