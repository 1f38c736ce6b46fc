# SPDX-License-Identifier: Apache-2.0
#
# Password hashing must not starve other requests (issue 7, F3): argon2id
# runs on a bounded pool of low-priority threads, never inside a database
# transaction, and an unknown user costs as much as a wrong password.  The
# floods run in processes of their own, so the measuring client here does
# not share Python's GIL with them.
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import requests

from gureum_cloud import Cloud

# Generous for a shared 2-core machine and sanitizer builds: with the
# hashing on the HTTP workers the p99 was several hundred ms; see the
# commit message of the test for the numbers measured.
P99_BOUND = 0.2

FLOODER = r"""
import json, os, sys, requests
url, bodies, stop, started = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4]
session, n, codes = requests.Session(), 0, {}
while not os.path.exists(stop):
    r = session.post(url, json=bodies[n % len(bodies)], timeout=120)
    codes[r.status_code] = codes.get(r.status_code, 0) + 1
    n += 1
    if n == 1:
        open(started, "w").close()
print(json.dumps(codes))
"""


class Flood:
    """n processes POSTing to url in a loop until the block ends, each
    cycling through bodies; urls may be one per process."""

    def __init__(self, urls, bodies, n):
        self.urls = urls if isinstance(urls, list) else [urls] * n
        self.bodies = [json.dumps(b) for b in (bodies if isinstance(bodies, list) else [[bodies]] * n)]
        self.n = n
        self.dir = tempfile.mkdtemp(prefix="gureum-test-")
        self.stop = os.path.join(self.dir, "stop")
        self.procs, self.codes = [], {}

    def __enter__(self):
        for i in range(self.n):
            self.procs.append(subprocess.Popen(
                [sys.executable, "-c", FLOODER, self.urls[i], self.bodies[i], self.stop,
                 os.path.join(self.dir, "started-%d" % i)],
                stdout=subprocess.PIPE, text=True))
        deadline = time.monotonic() + 120
        while sum(os.path.exists(os.path.join(self.dir, "started-%d" % i)) for i in range(self.n)) < self.n:
            assert time.monotonic() < deadline, "the flood did not start"
            assert all(p.poll() is None for p in self.procs), "a flooder died"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        open(self.stop, "w").close()
        for p in self.procs:
            try:
                out, _ = p.communicate(timeout=120)
                for code, count in json.loads(out or "{}").items():
                    self.codes[int(code)] = self.codes.get(int(code), 0) + count
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for name in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, name))
        os.rmdir(self.dir)


def auth_body(user, password, domain="Default", by_id=False):
    ref = {"id": user, "password": password} if by_id else \
        {"name": user, "domain": {"name": domain}, "password": password}
    return {"auth": {"identity": {"methods": ["password"], "password": {"user": ref}}}}


def latencies(fn, n, pace=0.0):
    """Sorted durations of n calls of fn, started at least pace seconds
    apart, so that they sample several seconds of the flood."""
    out = []
    for _ in range(n):
        started = time.monotonic()
        fn()
        out.append(time.monotonic() - started)
        time.sleep(max(0.0, pace - out[-1]))
    return sorted(out)


def p99(values):
    return values[max(0, int(len(values) * 0.99) - 1)]


def test_image_list_stays_fast_during_a_wrong_password_flood(fresh_cloud, name):
    """Eight clients send wrong passwords without pause while another
    tenant lists images: its p99 stays low, since the hashes run on their
    own low-priority threads while the HTTP workers serve the list."""
    cloud = fresh_cloud
    _, _, token = cloud.make_user(name)
    session = requests.Session()

    def list_images():
        r = session.get(cloud.url + "/image/v2/images", headers={"X-Auth-Token": token}, timeout=60)
        assert r.status_code == 200, r.text

    latencies(list_images, 20)  # warm the token cache and the connection
    with Flood(cloud.identity + "/auth/tokens", auth_body("admin", "wrong"), 8) as flood:
        measured = latencies(list_images, 200, pace=0.02)
    print("image list during the flood: median %.1f ms, p99 %.1f ms, max %.1f ms"
          % (1000 * statistics.median(measured), 1000 * p99(measured), 1000 * measured[-1]))
    assert flood.codes.get(401, 0) >= 8 and set(flood.codes) == {401}, flood.codes
    assert p99(measured) < P99_BOUND, "p99 %.3f s" % p99(measured)


def test_identity_writes_stay_fast_while_users_change_passwords(fresh_cloud, name):
    """Two users change their own passwords without pause while an admin
    updates a project: the new hash is computed before the update's
    transaction, so the database's write lock is never held for a hash."""
    cloud = fresh_cloud
    admin, _ = cloud.token()
    urls, bodies = [], []
    for i in range(2):
        user, project, _ = cloud.make_user("%s-%d" % (name, i))
        old, new = "pw-%s-%d" % (name, i), "pw2-%s-%d" % (name, i)
        urls.append(cloud.identity + "/users/%s/password" % user["id"])
        bodies.append([{"user": {"original_password": old, "password": new}},
                       {"user": {"original_password": new, "password": old}}])
    project_id = project["id"]
    session = requests.Session()

    def update_project():
        r = session.patch(cloud.identity + "/projects/" + project_id, headers={"X-Auth-Token": admin},
                          json={"project": {"description": "x" * (int(time.monotonic() * 1000) % 50)}}, timeout=60)
        assert r.status_code == 200, r.text

    latencies(update_project, 10)
    with Flood(urls, bodies, 2) as flood:
        measured = latencies(update_project, 150, pace=0.02)
    print("project update during password changes: median %.1f ms, p99 %.1f ms, max %.1f ms"
          % (1000 * statistics.median(measured), 1000 * p99(measured), 1000 * measured[-1]))
    assert flood.codes.get(204, 0) >= 2 and set(flood.codes) == {204}, flood.codes
    assert p99(measured) < P99_BOUND, "p99 %.3f s" % p99(measured)


def test_unknown_user_takes_as_long_as_a_wrong_password(cloud):
    """The response time must not tell real usernames from unknown ones:
    an unknown user is checked against a dummy hash of the same cost."""
    url = cloud.identity + "/auth/tokens"
    cases = {
        "wrong password": auth_body("admin", "wrong"),
        "unknown user": auth_body("gureum-test-nobody", "wrong"),
        "unknown user id": auth_body("0" * 32, "wrong", by_id=True),
        "unknown domain": auth_body("admin", "wrong", domain="gureum-test-nowhere"),
    }
    times = {case: [] for case in cases}
    for _ in range(2):  # warm up
        for body in cases.values():
            requests.post(url, json=body, timeout=60)
    for _ in range(9):  # interleaved, so noise hits every case alike
        for case, body in cases.items():
            started = time.monotonic()
            r = requests.post(url, json=body, timeout=60)
            times[case].append(time.monotonic() - started)
            assert r.status_code == 401, (case, r.text)
    medians = {case: statistics.median(t) for case, t in times.items()}
    print("median response times: " + ", ".join("%s %.1f ms" % (c, 1000 * m) for c, m in medians.items()))
    known = medians["wrong password"]
    for case, m in medians.items():
        assert known / 2 < m < known * 2, medians


def test_password_change_of_unknown_user_takes_as_long(cloud):
    """The same for POST /v3/users/{id}/password, whose authorization is
    the original password: an unknown user id costs a check too."""
    _, info = cloud.token()
    cases = {"known user": info["user"]["id"], "unknown user": "0" * 32}
    body = {"user": {"password": "new-password", "original_password": "wrong"}}
    times = {case: [] for case in cases}
    for _ in range(2):
        for user_id in cases.values():
            cloud.api("POST", "/users/%s/password" % user_id, json=body, timeout=60)
    for _ in range(9):
        for case, user_id in cases.items():
            started = time.monotonic()
            r = cloud.api("POST", "/users/%s/password" % user_id, json=body, timeout=60)
            times[case].append(time.monotonic() - started)
            assert r.status_code == 401, (case, r.text)
    known, unknown = (statistics.median(times[c]) for c in cases)
    print("median: known %.1f ms, unknown %.1f ms" % (1000 * known, 1000 * unknown))
    assert known / 2 < unknown < known * 2


def test_full_hash_queue_answers_503(name):
    """One hashing thread and room for one waiting request: of eight
    concurrent logins most are refused at once with 503 (Keystone's shape)
    instead of piling up; the server recovers as soon as they are done."""
    cloud = Cloud(extra_config="\n[identity]\npassword_hash_threads = 1\npassword_hash_queue = 1\n"
                               "password_hash_opslimit = 16\n")
    try:
        results = []
        lock = threading.Lock()

        def login():
            started = time.monotonic()
            r = requests.post(cloud.identity + "/auth/tokens", json=auth_body("gureum-test-nobody", "x"), timeout=120)
            with lock:
                results.append((r.status_code, r.json(), time.monotonic() - started))

        threads = [threading.Thread(target=login) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = sorted(code for code, _, _ in results)
        assert set(codes) <= {401, 503} and codes.count(503) >= 1 and codes.count(401) >= 1, codes
        for code, body, seconds in results:
            if code == 503:
                assert body["error"]["code"] == 503 and "retry" in body["error"]["message"], body
        cloud.token()  # the queue drained: logins work again
    finally:
        cloud.close()


def hash_thread_cpu_ticks(pid):
    """CPU ticks used so far by the daemon's password hashing threads."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                if f.read().strip() != "gureum-hash":
                    continue
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except FileNotFoundError:
            pass
    return total


def test_stop_while_requests_wait_for_a_hash():
    """libmicrohttpd aborts if stopped with a suspended connection: a
    daemon stopped while a hash runs and others wait must still exit 0 (the
    waiting requests get 503), under the sanitizers too."""
    cloud = Cloud(extra_config="\n[identity]\npassword_hash_threads = 1\npassword_hash_queue = 8\n"
                               "password_hash_opslimit = 16\n")
    results = []
    try:
        def login():
            try:
                r = requests.post(cloud.identity + "/auth/tokens", json=auth_body("gureum-test-nobody", "x"),
                                  timeout=120)
                results.append(r.status_code)
            except requests.ConnectionError:
                results.append("closed")

        threads = [threading.Thread(target=login) for _ in range(4)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while hash_thread_cpu_ticks(cloud.proc.pid) == 0:  # a hash is running
            assert time.monotonic() < deadline, "no hash started"
            time.sleep(0.01)
        cloud.stop()  # raises unless gureumd exits 0 within 10 s
        for t in threads:
            t.join()
        assert len(results) == 4 and set(results) <= {401, 503, "closed"}, results
    finally:
        cloud.close()
