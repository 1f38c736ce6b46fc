# SPDX-License-Identifier: Apache-2.0
"""gureumd killed with SIGKILL at random moments while servers are being
created, deleted, stopped, started and rebooted; restarted; and then,
within a deadline and with no help from the test:

- every server is ACTIVE, SHUTOFF, or ERROR with a fault, and none is
  left in a task state;
- every delete that was accepted finished: the server is gone;
- no task is left queued or running;
- allocations exist only for live servers, and every placed live server
  has its own;
- no instance directory is left without a live server, and every built
  server still has its disk;
- with libvirt: no gureum-<uuid> domain of this cloud without a live
  server, every ACTIVE server's guest runs, every SHUTOFF one's is off;
  and a guest that ran through all the crashes never noticed them (one
  GUEST-READY on its console, one kernel boot).

The fake driver keeps its guests in the daemon's memory, so a kill takes
them along: after the restart the reconciler finds ACTIVE servers without
a guest and makes them SHUTOFF, as Nova's power sync would.  The fake
test accepts that and, at the end, starts every SHUTOFF server to show
they all come back.  With libvirt the guests outlive the daemon, and an
ACTIVE server must still be ACTIVE with its guest running.

Rounds: GUREUM_CRASH_ROUNDS (fake, default 12) and
GUREUM_CRASH_ROUNDS_LIBVIRT (default 3).  The random seed is printed; set
GUREUM_CRASH_SEED to replay a run.
"""
import os
import random
import threading
import time

import pytest
import requests

from compute_cloud import (NANO, LibvirtCloud, Nova, db_rows, domain_state, domains, kill9, upload_test_image)
from gureum_cloud import Cloud

CONVERGE_TIMEOUT = 180
FAKE_ROUNDS = int(os.environ.get("GUREUM_CRASH_ROUNDS", "12"))
LIBVIRT_ROUNDS = int(os.environ.get("GUREUM_CRASH_ROUNDS_LIBVIRT", "3"))
CONFIG = "quota_instances = -1\nquota_cores = -1\nquota_ram = -1\nfake_hosts = 3\n"


def seed():
    s = int(os.environ.get("GUREUM_CRASH_SEED", str(random.randrange(1 << 30))))
    print("\nGUREUM_CRASH_SEED=%d" % s)
    return random.Random(s)


class Crasher:
    """Fires API calls from threads, kills the daemon at a random moment, and checks the aftermath."""

    def __init__(self, cloud, image_id, rng, prefix, exclude=(), max_count=3):
        self.cloud, self.image_id, self.rng, self.prefix = cloud, image_id, rng, prefix
        self.max_count = max_count  # servers one create asks for, at most
        self.exclude = set(exclude)  # servers no action may pick
        self.deleted = set()       # servers whose delete was accepted (204): they must end gone
        self.n = 0

    def nova(self):
        return Nova(self.cloud)

    def live(self):
        return {row[0]: row[1:] for row in db_rows(
            self.cloud, "SELECT id, vm_state, task_state, fault, host FROM servers WHERE vm_state <> 'deleted'")}

    def fire(self, nova, op, sid):
        """One call; a connection cut by the kill is an answer we never get, which is fine."""
        try:
            if op == "create":
                self.n += 1
                count = self.rng.randint(1, self.max_count)
                nova.call("POST", "/servers", {"server": {
                    "name": "%s-%d" % (self.prefix, self.n), "imageRef": self.image_id, "flavorRef": NANO,
                    "min_count": 1, "max_count": count}}, timeout=30)
            elif op == "delete":
                r = nova.call("DELETE", "/servers/" + sid, timeout=30)
                if r.status_code == 204:
                    self.deleted.add(sid)
            else:
                body = {"stop": {"os-stop": None}, "start": {"os-start": None},
                        "reboot": {"reboot": {"type": self.rng.choice(["HARD", "SOFT"])}}}[op]
                nova.call("POST", "/servers/%s/action" % sid, body, timeout=30)
        except requests.RequestException:
            pass

    def round(self, max_delay, ops=8):
        nova = self.nova()
        ids = sorted(set(self.live()) - self.exclude)
        plan = []
        for _ in range(ops):
            op = self.rng.choice(["create", "create", "delete", "stop", "start", "reboot"] if ids else ["create"])
            plan.append((op, self.rng.choice(ids) if ids else None))
        threads = [threading.Thread(target=self.fire, args=(nova, op, sid)) for op, sid in plan]
        for t in threads:
            t.start()
        time.sleep(self.rng.uniform(0, max_delay))
        kill9(self.cloud)
        for t in threads:
            t.join()
        self.cloud.start()
        return plan

    def converged(self):
        """None when everything has settled, else what has not (for the failure message)."""
        live = self.live()
        for sid, (vm, task, fault, host) in live.items():
            if task is not None or vm not in ("active", "stopped", "error"):
                return "server %s is %s/%s" % (sid, vm, task)
            if vm == "error" and not fault:
                return "server %s is in ERROR without a fault" % sid
        for sid in self.deleted:
            if sid in live:
                return "server %s was deleted but is still there" % sid
        busy = db_rows(self.cloud, "SELECT kind, resource_id, state FROM tasks WHERE state IN ('queued', 'running')")
        if busy:
            return "tasks left: %s" % busy
        return None

    def check(self):
        what = None
        deadline = time.monotonic() + CONVERGE_TIMEOUT
        while time.monotonic() < deadline:
            what = self.converged()
            if what is None:
                break
            time.sleep(0.2)
        assert what is None, "%s after %d s; log tail:\n%s" % (what, CONVERGE_TIMEOUT, self.cloud.read_log()[-4000:])
        live = self.live()
        # The API agrees with the database.
        r = self.nova().call("GET", "/servers/detail?all_tenants=1")
        assert r.status_code == 200, r.text
        shown = {s["id"]: s for s in r.json()["servers"]}
        assert set(shown) == set(live)
        for s in shown.values():
            assert s["status"] in ("ACTIVE", "SHUTOFF", "ERROR"), s
            assert s["OS-EXT-STS:task_state"] is None, s
            if s["status"] == "ERROR":
                assert s.get("fault", {}).get("message"), s
        # Allocations: only live servers', and every placed live server has one.
        allocs = {row[0] for row in db_rows(self.cloud, "SELECT server_id FROM allocations")}
        assert allocs <= set(live), "allocations of servers that are gone: %s" % (allocs - set(live))
        placed = {sid for sid, (vm, _, _, host) in live.items() if host}
        assert placed <= allocs, "placed servers without allocations: %s" % (placed - allocs)
        # Files: no directory without a live server; every built server has its disk.
        inst = os.path.join(self.cloud.state, "instances")
        dirs = {d for d in os.listdir(inst) if d != "_base"}
        assert dirs <= set(live), "instance directories of servers that are gone: %s" % (dirs - set(live))
        for sid, (vm, _, _, _) in live.items():
            if vm in ("active", "stopped"):
                assert os.path.exists(os.path.join(inst, sid, "disk")), "server %s has no disk" % sid
        return live


def test_crash_with_the_fake_driver():
    rng = seed()
    cloud = Cloud(extra_config=CONFIG)
    try:
        token, _ = cloud.token()
        image_id = upload_test_image(cloud, token, "gureum-test-crash")
        crash = Crasher(cloud, image_id, rng, "gureum-test-crash")
        t0 = time.monotonic()
        for i in range(FAKE_ROUNDS):
            crash.round(max_delay=0.4)
            crash.check()
        live = crash.check()
        print("%d rounds in %.0f s; %d live servers, %d deletes accepted" % (
            FAKE_ROUNDS, time.monotonic() - t0, len(live), len(crash.deleted)))
        # The fake's guests died with the daemon; every SHUTOFF server starts again.
        nova = crash.nova()
        for sid, (vm, *_) in live.items():
            if vm == "stopped":
                nova.action(sid, {"os-start": None})
        for sid, (vm, *_) in live.items():
            if vm == "stopped":
                nova.wait(sid, "ACTIVE", timeout=CONVERGE_TIMEOUT)
        # And every server can be deleted, leaving nothing behind.
        for sid in live:
            nova.delete(sid)
        for sid in live:
            nova.wait_gone(sid, timeout=CONVERGE_TIMEOUT)
        assert not db_rows(cloud, "SELECT server_id FROM allocations")
        assert os.listdir(os.path.join(cloud.state, "instances")) in ([], ["_base"])
    finally:
        cloud.close()


def guest_checks(cloud, live):
    """libvirt: this cloud's domains are exactly its placed live servers', in the right power state."""
    ours = set(db_rows_ids(cloud))
    present = {u for u in domains() if u in ours}
    for sid in present:
        assert sid in live, "domain gureum-%s outlived its server" % sid
    for sid, (vm, _, _, _) in live.items():
        state = domain_state(sid)
        if vm == "active":
            assert state == "running", "server %s is ACTIVE, its guest %s" % (sid, state)
        elif vm == "stopped":
            assert state in ("shut off", None), "server %s is SHUTOFF, its guest %s" % (sid, state)


def db_rows_ids(cloud):
    return [row[0] for row in db_rows(cloud, "SELECT id FROM servers")]


@pytest.mark.guest
def test_crash_with_libvirt_guests_never_notice():
    rng = seed()
    cloud = LibvirtCloud(extra_config=CONFIG.replace("fake_hosts = 3\n", ""))
    try:
        token, _ = cloud.token()
        image_id = upload_test_image(cloud, token, "gureum-test-crash")
        nova = Nova(cloud)
        # A guest no action touches: it lives through every crash and must not notice one.
        keeper = nova.create("gureum-test-keeper", image_id)["server"]["id"]
        nova.wait(keeper, "ACTIVE")
        nova.wait_console(keeper, "GUEST-READY hostname=gureum-test-keeper ")
        crash = Crasher(cloud, image_id, rng, "gureum-test-crash", exclude={keeper}, max_count=2)
        t0 = time.monotonic()
        for i in range(LIBVIRT_ROUNDS):
            plan = crash.round(max_delay=3.0, ops=4)
            print("round %d: %s" % (i, " ".join(op for op, _ in plan)))
            guest_checks(cloud, crash.check())
        # And a crash with nothing in flight at all.
        kill9(cloud)
        cloud.start()
        guest_checks(cloud, crash.check())
        time.sleep(6)  # more than a reconciler period after the restart
        live = crash.check()
        guest_checks(cloud, live)
        print("%d rounds in %.0f s; %d live servers" % (LIBVIRT_ROUNDS, time.monotonic() - t0, len(live)))
        nova = Nova(cloud)
        assert nova.get(keeper)["status"] == "ACTIVE"
        out = nova.console(keeper)
        assert out.count("GUEST-READY") == 1, "the guest booted again across a daemon crash:\n" + out[-3000:]
        assert out.count("Linux version") == 1
    finally:
        cloud.close()
