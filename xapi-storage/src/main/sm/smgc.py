#!/usr/bin/env python3
"""The coalescing garbage collector of a file SR: python3 smgc.py <sr-directory> <sr-uuid>.

Started detached by the plugins (after vdi_delete, deactivate, revert and scan). One runs per SR (the
flock <lock-dir>/<sr-uuid>/gc); each step holds the SR lock <lock-dir>/<sr-uuid>/sr, so it never runs
beside a plugin command. A step is one of:
  - remove a hidden node without children;
  - coalesce a hidden node H with its single child C into H (the "coalesce sequence" of
    docs/storage.md), skipped while any leaf under C is activated.
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


def step(path, sr_uuid):
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
            while os.path.exists(kick):
                os.unlink(kick)
                while os.path.isdir(path) and step(path, sr_uuid):
                    pass
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
