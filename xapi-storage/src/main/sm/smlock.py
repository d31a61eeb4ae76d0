"""Activation tags: the pool-wide lock a driver keeps in VDI.sm_config so that a VDI is activated read-write on
at most one host (the scheme Xapi's drivers use, see docs/storage.md "Disk locking").

While activating, the driver holds the key "activating" (adding it twice fails with MAP_DUPLICATE_KEY, so it is
a mutex across hosts; the second activator retries). Once activated, "host_<host ref>" says "RO" or "RW";
deactivate removes it. A VDI tagged RW by another host, or tagged at all by another host when this activation
is read-write, is refused with VDIUnavailable, unless the other host's tag is stale (the host no longer exists
or is not live), in which case the tag is removed first. "paused" and "relinking" block activation. The file
ALLOW_MULTIPLE turns the exclusion off (as on XenServer)."""

import os
import time

import smcore
from smcore import SMError

# sm.conf keys (not in smcore.DEFAULTS: only this module reads them)
ALLOW_MULTIPLE = smcore.CONFIG.get("allow-multiple-vdi-attach", "/etc/xensource/allow_multiple_vdi_attach")
ACTIVATING = "activating"
HOST_PREFIX = "host_"
BLOCKING = ("paused", "relinking")
RETRY_SECONDS = float(smcore.CONFIG.get("activation-retry-seconds", "120"))
POLL_SECONDS = 0.25


def _failure_code(e):
    details = getattr(e, "details", None)
    return details[0] if details else None


class ActivationTags:
    """The tags of one request's VDI (req.vdi_ref) for this host (req.params["host_ref"])."""

    def __init__(self, req, retry_seconds=RETRY_SECONDS):
        self.req = req
        self.vdi = req.vdi_ref
        self.host = req.params.get("host_ref")
        self.retry_seconds = retry_seconds
        self.holding = False
        self.seen = None

    @property
    def enabled(self):
        return bool(self.vdi and self.host and self.req.session_ref)

    @property
    def key(self):
        return HOST_PREFIX + self.host

    def _stale(self, host_ref):
        """A tag naming a host that is gone or not live."""
        x = self.req.xapi
        try:
            metrics = x.host.get_metrics(host_ref)
            return not x.host_metrics.get_live(metrics)
        except Exception as e:  # HANDLE_INVALID: the host no longer exists
            if _failure_code(e) == "HANDLE_INVALID":
                return True
            raise

    def _conflict(self, sm_config, writable):
        """The other hosts' tags that forbid this activation, stale ones removed first."""
        if os.path.exists(ALLOW_MULTIPLE):
            return []
        x = self.req.xapi
        conflicts = []
        for k, mode in sm_config.items():
            if not k.startswith(HOST_PREFIX) or k == self.key:
                continue
            if mode == "RW" or writable:
                if self._stale(k[len(HOST_PREFIX):]):
                    smcore.log("removing the stale activation tag %s of VDI %s" % (k, self.vdi))
                    x.VDI.remove_from_sm_config(self.vdi, k)
                else:
                    conflicts.append("%s=%s" % (k, mode))
        return conflicts

    def begin(self, writable):
        """Takes the "activating" mutex after checking the other hosts' tags; VDIUnavailable when refused."""
        if not self.enabled:
            return
        x = self.req.xapi
        deadline = time.monotonic() + self.retry_seconds
        while True:
            sm_config = x.VDI.get_sm_config(self.vdi)
            conflicts = self._conflict(sm_config, writable)
            if conflicts:
                raise SMError("VDIUnavailable", "VDI %s is activated elsewhere: %s" % (self.vdi, ", ".join(conflicts)))
            blocked = [k for k in BLOCKING if k in sm_config]
            if not blocked:
                try:
                    x.VDI.add_to_sm_config(self.vdi, ACTIVATING, "True")
                except Exception as e:
                    if _failure_code(e) != "MAP_DUPLICATE_KEY":
                        raise
                    blocked = [ACTIVATING]
                else:
                    self.holding = True
                    # read again under the mutex: another host may have committed its tag since the first read
                    self.seen = x.VDI.get_sm_config(self.vdi)
                    conflicts = self._conflict(self.seen, writable)
                    blocked = [k for k in BLOCKING if k in self.seen]
                    if not conflicts and not blocked:
                        return
                    self.end()
                    if conflicts:
                        raise SMError("VDIUnavailable", "VDI %s is activated elsewhere: %s"
                                      % (self.vdi, ", ".join(conflicts)))
            if time.monotonic() >= deadline:
                raise SMError("VDIUnavailable", "VDI %s: %s still set after %ds"
                              % (self.vdi, ", ".join(blocked), self.retry_seconds))
            time.sleep(POLL_SECONDS)

    def held(self, writable):
        """Whether this host's tag says the VDI is activated here in this mode (always, without tags)."""
        if not self.enabled:
            return True
        return self.req.xapi.VDI.get_sm_config(self.vdi).get(self.key) == ("RW" if writable else "RO")

    def commit(self, writable):
        """Tags the VDI as activated on this host."""
        if not self.enabled:
            return
        x = self.req.xapi
        mode = "RW" if writable else "RO"
        sm_config = self.seen if self.seen is not None else x.VDI.get_sm_config(self.vdi)
        if sm_config.get(self.key) == mode:
            return
        if self.key in sm_config:
            x.VDI.remove_from_sm_config(self.vdi, self.key)
        x.VDI.add_to_sm_config(self.vdi, self.key, mode)

    def end(self):
        """Releases the "activating" mutex (after success or failure)."""
        if self.holding:
            self.holding = False
            try:
                self.req.xapi.VDI.remove_from_sm_config(self.vdi, ACTIVATING)
            except Exception as e:  # nothing to release any more is fine
                smcore.log("could not remove %s of VDI %s: %s" % (ACTIVATING, self.vdi, e))

    def release(self):
        """Removes this host's tag (deactivate); absent is fine."""
        if not self.enabled:
            return
        x = self.req.xapi
        if self.key in x.VDI.get_sm_config(self.vdi):
            x.VDI.remove_from_sm_config(self.vdi, self.key)


def reset_host_tags(req, vdi_records):
    """sr_attach on this host: its own activation tags on the SR's VDIs are stale (nothing is activated by an
    SR not yet attached), so they are removed."""
    host = req.params.get("host_ref")
    if not host or not req.session_ref:
        return
    key = HOST_PREFIX + host
    for ref, rec in vdi_records.items():
        if key in rec.get("sm_config", {}):
            smcore.log("removing this host's activation tag of VDI %s at SR attach" % ref)
            req.xapi.VDI.remove_from_sm_config(ref, key)
