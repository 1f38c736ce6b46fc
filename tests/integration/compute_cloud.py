# SPDX-License-Identifier: Apache-2.0
#
# Helpers for the compute tests that boot real guests or crash the daemon:
# a small Nova client over requests (exact statuses and bodies), the test
# image uploaded through the image API, a kill -9 of gureumd, and the
# cleanup of every libvirt domain and instance file a test cloud made,
# also when the test failed half-way.  Only domains named gureum-<uuid>
# whose uuid is a server of this cloud's database are touched: the machine
# is shared, and other clouds' guests are none of our business.
import os
import re
import sqlite3
import subprocess
import time

import requests

from gureum_cloud import ROOT, Cloud

TEST_IMAGE = os.path.join(ROOT, "build", "test-image.qcow2")
VIRSH = ["virsh", "-q", "-c", "qemu:///system"]
NANO, MICRO, TINY = "42", "84", "1"   # flavor ids of m1.nano, m1.micro, m1.tiny


class Nova:
    """Raw Compute API calls for one token (admin's by default)."""

    def __init__(self, cloud, token=None, version="2.1"):
        self.cloud = cloud
        self.token = token or cloud.token()[0]
        self.version = version
        self.base = cloud.url + "/compute/v2.1"

    def call(self, method, path, json=None, version=None, timeout=60):
        headers = {"X-Auth-Token": self.token,
                   "OpenStack-API-Version": "compute " + (version or self.version)}
        return requests.request(method, self.base + path, headers=headers, json=json, timeout=timeout)

    def create(self, name, image, flavor=NANO, expect=202, **extra):
        body = {"server": {"name": name, "imageRef": image, "flavorRef": flavor, **extra}}
        r = self.call("POST", "/servers", body)
        assert r.status_code == expect, r.text
        return r.json()

    def get(self, server_id):
        """The server, or None once it is gone (404)."""
        r = self.call("GET", "/servers/" + server_id)
        if r.status_code == 404:
            return None
        assert r.status_code == 200, r.text
        return r.json()["server"]

    def action(self, server_id, body, expect=202):
        r = self.call("POST", "/servers/%s/action" % server_id, body)
        assert r.status_code == expect, "%s: %s %s" % (body, r.status_code, r.text)
        return r

    def console(self, server_id):
        return self.action(server_id, {"os-getConsoleOutput": {}}, expect=200).json()["output"]

    def delete(self, server_id):
        r = self.call("DELETE", "/servers/" + server_id)
        assert r.status_code in (204, 404), r.text

    def wait(self, server_id, status, timeout=300, allow_error=False):
        """Waits until the server shows status with no task state; ERROR fails at once unless allowed."""
        deadline = time.monotonic() + timeout
        s = None
        while time.monotonic() < deadline:
            s = self.get(server_id)
            if s is None:
                if status is None:
                    return None
            else:
                if s["status"] == status and not s.get("OS-EXT-STS:task_state"):
                    return s
                if s["status"] == "ERROR" and not allow_error and status != "ERROR":
                    raise AssertionError("server %s went to ERROR: %s" % (server_id, s.get("fault")))
            time.sleep(0.2)
        raise AssertionError("server %s is not %s after %d s: %s" % (server_id, status, timeout, s))

    def wait_gone(self, server_id, timeout=300):
        return self.wait(server_id, None, timeout)

    def wait_console(self, server_id, pattern, count=1, timeout=300):
        """Waits until pattern occurs at least count times on the console; returns the output."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        out = ""
        while time.monotonic() < deadline:
            out = self.console(server_id)
            if len(rx.findall(out)) >= count:
                return out
            time.sleep(0.5)
        raise AssertionError("%r did not appear %d time(s) on the console of %s in %d s; it ends with:\n%s"
                             % (pattern, count, server_id, timeout, out[-3000:]))


def upload_test_image(cloud, token, name, visibility="public"):
    """The test guest (build/test-image.qcow2) as an active qcow2 image; returns its id."""
    if not os.path.exists(TEST_IMAGE):
        subprocess.run([os.path.join(ROOT, "tools", "build-test-image")], check=True)
    r = cloud.image_api("POST", "/images", token, json={
        "name": name, "disk_format": "qcow2", "container_format": "bare", "visibility": visibility})
    assert r.status_code == 201, r.text
    image_id = r.json()["id"]
    with open(TEST_IMAGE, "rb") as f:
        r = cloud.image_api("PUT", "/images/%s/file" % image_id, token, data=f,
                            headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 204, r.text
    return image_id


def start_libvirt():
    subprocess.run([os.path.join(ROOT, "scripts", "start-libvirt")], check=True)


def kill9(cloud):
    """kill -9 of the cloud's gureumd: no clean stop, as a crash or an OOM kill."""
    if cloud.proc and cloud.proc.poll() is None:
        cloud.proc.kill()
    if cloud.proc:
        cloud.proc.wait()
    cloud.proc = None
    if cloud.log:
        cloud.log.close()
        cloud.log = None


def server_ids(cloud):
    """Every server id this cloud's database knows, deleted ones too."""
    db = os.path.join(cloud.state, "gureum.db")
    if not os.path.exists(db):
        return []
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=30)
    try:
        return [row[0] for row in con.execute("SELECT id FROM servers")]
    except sqlite3.OperationalError:
        return []
    finally:
        con.close()


def db_rows(cloud, sql, *args):
    con = sqlite3.connect("file:%s?mode=ro" % os.path.join(cloud.state, "gureum.db"), uri=True, timeout=30)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def domains():
    """{uuid: state} of every gureum-<uuid> domain on qemu:///system (anyone's)."""
    p = subprocess.run(VIRSH + ["list", "--all", "--name"], capture_output=True, text=True, timeout=60)
    out = {}
    for name in p.stdout.split():
        if name.startswith("gureum-"):
            out[name[len("gureum-"):]] = None
    return out


def domain_state(server_id):
    """virsh's state of the server's domain ("running", "shut off", ...), None if there is none."""
    p = subprocess.run(VIRSH + ["domstate", "gureum-" + server_id], capture_output=True, text=True, timeout=60)
    if p.returncode == 0:
        return p.stdout.strip()
    if "failed to get domain" in p.stderr or "Domain not found" in p.stderr:
        return None
    return "error: " + p.stderr.strip()


def purge_guests(cloud, ids=None):
    """Destroys and undefines the domains of this cloud's servers (ids, or all the database knows)."""
    ids = set(ids if ids is not None else server_ids(cloud))
    present = domains()
    for sid in ids:
        if sid in present:
            subprocess.run(VIRSH + ["destroy", "gureum-" + sid], capture_output=True, timeout=60)
            subprocess.run(VIRSH + ["undefine", "--managed-save", "--nvram", "gureum-" + sid],
                           capture_output=True, timeout=60)


class LibvirtCloud(Cloud):
    """A Cloud with the libvirt driver whose close() also removes its guests, whatever state it is in."""

    def __init__(self, extra_config=None, **kw):
        start_libvirt()
        super().__init__(virt="libvirt", extra_config=extra_config, **kw)

    def close(self):
        ids = server_ids(self)
        try:
            self.stop()
        finally:
            kill9(self)  # a stop that hung (a task waiting on a guest) must not keep the guests alive
            purge_guests(self, ids)
            super().close()


def host_free_mib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    return -1
