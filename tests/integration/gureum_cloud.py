# SPDX-License-Identifier: Apache-2.0
#
# A real gureum cloud for tests: `gureum init` in a temporary state
# directory (prefix gureum-test-) on a free loopback port, gureumd started
# in the background, stopped by PID and removed on close.
import ctypes
import ctypes.util
import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

import requests

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("GUREUM_BUILD", os.path.join(ROOT, "build"))
GUREUM = os.path.join(BUILD, "gureum")
GUREUMD = os.path.join(BUILD, "gureumd")


class StateWatch:
    """Records, in the order they happen, writes to the cloud's database
    files and removals from its image store (inotify keeps one ordered
    queue for all the watches of an instance).  events() returns what
    happened since the watch began as ("db", name) and ("removed", name)
    pairs; tests use it to check in which order the daemon did things."""

    IN_MODIFY, IN_DELETE, IN_NONBLOCK, IN_CLOEXEC = 0x2, 0x200, 0o4000, 0o2000000

    def __init__(self, state):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self.fd = libc.inotify_init1(self.IN_NONBLOCK | self.IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.wd_state = libc.inotify_add_watch(self.fd, state.encode(), self.IN_MODIFY)
        self.wd_images = libc.inotify_add_watch(self.fd, os.path.join(state, "images").encode(), self.IN_DELETE)
        if self.wd_state < 0 or self.wd_images < 0:
            os.close(self.fd)
            raise OSError(ctypes.get_errno(), "inotify_add_watch")
        self.seen = []

    def events(self):
        while True:
            try:
                buf = os.read(self.fd, 65536)
            except BlockingIOError:
                return list(self.seen)
            at = 0
            while at < len(buf):
                wd, mask, _, n = struct.unpack_from("iIII", buf, at)
                name = buf[at + 16:at + 16 + n].rstrip(b"\0").decode()
                at += 16 + n
                if wd == self.wd_state and mask & self.IN_MODIFY and name.startswith("gureum.db"):
                    self.seen.append(("db", name))
                elif wd == self.wd_images and mask & self.IN_DELETE:
                    self.seen.append(("removed", name))

    def close(self):
        os.close(self.fd)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def wait_for(condition, timeout=30, what="a condition"):
    """Polls condition() until it returns something true, and returns that;
    fails after timeout seconds (generous: sanitizer builds on 2 cores are slow)."""
    deadline = time.time() + timeout
    while True:
        got = condition()
        if got:
            return got
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.02)


class RawUpload:
    """PUT /image/v2/images/ID/file over a plain socket, so that a test
    decides when each part of the body goes: chunked when length is None,
    else with that Content-Length.  send() writes part of the body;
    response() ends it (the last chunk, if chunked) and returns the status
    and body of the answer."""

    def __init__(self, cloud, token, image_id, length=None):
        self.sock = socket.create_connection(("127.0.0.1", cloud.port), timeout=120)
        self.chunked = length is None
        head = ("PUT /image/v2/images/%s/file HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Auth-Token: %s\r\n"
                "Content-Type: application/octet-stream\r\n" % (image_id, token))
        head += "Transfer-Encoding: chunked\r\n" if self.chunked else "Content-Length: %d\r\n" % length
        self.sock.sendall((head + "\r\n").encode())

    def send(self, data):
        try:
            if self.chunked:
                self.sock.sendall(b"%x\r\n" % len(data) + data + b"\r\n")
            else:
                self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early and closed; response() reads the answer

    def response(self):
        if self.chunked:
            self.send(b"")
        buf = b""
        while b"\r\n\r\n" not in buf:
            more = self.sock.recv(65536)
            if not more:
                raise AssertionError("connection closed without a response: %r" % buf)
            buf += more
        head, _, body = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        while len(body) < length:
            more = self.sock.recv(65536)
            if not more:
                break
            body += more
        self.close()
        return status, body

    def close(self):
        self.sock.close()


def eui64(cidr, mac):
    """The SLAAC address (modified EUI-64) a NIC with this MAC takes in an IPv6 /64."""
    m = [int(x, 16) for x in mac.split(":")]
    m[0] ^= 2
    iid = m[:3] + [0xff, 0xfe] + m[3:]
    return str(ipaddress.ip_network(cidr)[int.from_bytes(bytes(iid), "big")])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


NET_TOOL = os.path.join(BUILD, "tests", "tools", "net-tool")
_TAGS_TAKEN = set()


def dataplane_tag():
    """Two hex digits that no other cloud of this test run holds and no
    leftover on the host carries.  A linux data plane's names (g<tag>-),
    its outside world's (h<tag>-) and its VXLAN identifiers (vni_range)
    derive from it, so two clouds alive at once never share a device, a
    namespace or a VNI: the kernel lets one VXLAN device hold a VNI."""
    seen = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout + \
        subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    free = [t for t in ("%02x" % i for i in range(256))
            if t not in _TAGS_TAKEN and "g%s-" % t not in seen and "h%s-" % t not in seen]
    tag = secrets.choice(free)
    _TAGS_TAKEN.add(tag)
    return tag


def vni_range(tag):
    """The VXLAN identifiers of the cloud with this tag: 16 of its own, above those of a real cloud's first networks."""
    first = 4096 + int(tag, 16) * 16
    return first, first + 15


def net_teardown(prefix, state_dir=None):
    """Removes whatever carries the data plane's prefix, also when the cloud did not stop cleanly."""
    scratch = tempfile.mkdtemp(prefix="gureum-test-net-")
    try:
        subprocess.run([NET_TOOL, "--prefix", prefix, "--state-dir", state_dir or scratch, "teardown"],
                       check=False, capture_output=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


class Cloud:
    def __init__(self, password="test-admin-pw", extra_config=None, virt="fake", dataplane="fake", net_tag=None):
        """virt is the compute driver: "fake" (no guests, the default for API
        tests) or "libvirt" (real guests; scripts/start-libvirt must have run).
        dataplane is the network's: "fake" (records only) or "linux", whose
        names (net_prefix, g<net_tag>-) and VNIs are this cloud's own
        (dataplane_tag()) and whose leftovers close() removes."""
        self.net_prefix = None
        if dataplane == "linux":
            self.net_tag = net_tag or dataplane_tag()
            self.net_prefix = "g%s-" % self.net_tag
        self.state = tempfile.mkdtemp(prefix="gureum-test-")
        self.port = free_port()
        self.password = password
        self.url = "http://127.0.0.1:%d" % self.port
        self.identity = self.url + "/identity/v3"
        self.proc = None
        self.log = None
        try:
            subprocess.run([GUREUM, "init", "--state-dir", self.state, "--listen", "127.0.0.1:%d" % self.port,
                            "--admin-password", password], check=True, stdout=subprocess.DEVNULL)
            with open(os.path.join(self.state, "gureum.conf"), "a") as f:
                f.write("\n[network]\ndataplane = %s\nbridge_mappings = public:gt-ext\n" % dataplane)
                if self.net_prefix:
                    f.write("name_prefix = %s\nvni_min = %d\nvni_max = %d\n"
                            % ((self.net_prefix,) + vni_range(self.net_tag)))
                # Last, so extra_config without a section header continues [compute].
                f.write("\n[compute]\nvirt_driver = %s\n" % virt)
                if extra_config:
                    f.write(extra_config)
            self.start()
        except BaseException:
            self.close()  # a cloud that never served leaves no state directory behind either
            raise

    def start(self):
        self.log = open(os.path.join(self.state, "gureumd.log"), "ab")
        self.proc = subprocess.Popen([GUREUMD, "--state-dir", self.state], stdout=self.log, stderr=self.log)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("gureumd exited: " + self.read_log())
            try:
                if requests.get(self.identity, timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("gureumd did not answer in 30 s")

    def stop(self):
        """Stops gureumd with SIGTERM; a daemon that then fails to exit 0
        (a hang, a crash, or a sanitizer's report at exit) is an error."""
        status = 0
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                status = self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                status = "a hang after SIGTERM"
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()
            self.log = None
        if status != 0:
            raise RuntimeError("gureumd did not stop cleanly (%s): %s" % (status, self.read_log()[-4000:]))

    def restart(self):
        self.stop()
        self.start()

    def close(self):
        try:
            self.stop()
        finally:
            if self.net_prefix:
                net_teardown(self.net_prefix, os.path.join(self.state, "net"))
            shutil.rmtree(self.state, ignore_errors=True)

    def read_log(self):
        with open(os.path.join(self.state, "gureumd.log"), "rb") as f:
            return f.read().decode(errors="replace")

    def env(self):
        """The environment `gureum openrc` describes, for the openstack CLI."""
        out = subprocess.run([GUREUM, "openrc", "--state-dir", self.state], check=True, capture_output=True,
                             text=True).stdout
        env = dict(os.environ)
        for line in out.splitlines():
            key, _, value = line[len("export "):].partition("=")
            env[key] = value.strip("'")
        return env

    def token(self, user="admin", password=None, project="admin", domain="Default", scope=True):
        body = {"auth": {"identity": {"methods": ["password"], "password": {
            "user": {"name": user, "domain": {"name": domain}, "password": password or self.password}}}}}
        if scope and project:
            body["auth"]["scope"] = {"project": {"name": project, "domain": {"name": domain}}}
        r = requests.post(self.identity + "/auth/tokens", json=body)
        assert r.status_code == 201, r.text
        return r.headers["X-Subject-Token"], r.json()["token"]

    def api(self, method, path, token=None, **kw):
        headers = kw.pop("headers", {})
        if token:
            headers["X-Auth-Token"] = token
        return requests.request(method, self.identity + path, headers=headers, **kw)

    def image_api(self, method, path, token, **kw):
        headers = kw.pop("headers", {})
        headers["X-Auth-Token"] = token
        return requests.request(method, self.url + "/image/v2" + path, headers=headers, **kw)

    def make_user(self, name, role="member", project=None):
        """A user with `role` on a new project (or `project`); returns (user, project, token)."""
        admin, _ = self.token()
        if project is None:
            project = self.api("POST", "/projects", admin, json={"project": {"name": name + "-p"}}).json()["project"]
        user = self.api("POST", "/users", admin, json={"user": {"name": name, "password": "pw-" + name}}).json()["user"]
        role_id = self.api("GET", "/roles?name=" + role, admin).json()["roles"][0]["id"]
        r = self.api("PUT", "/projects/%s/users/%s/roles/%s" % (project["id"], user["id"], role_id), admin)
        assert r.status_code == 204, r.text
        token, _ = self.token(name, "pw-" + name, project["name"])
        return user, project, token

    def store_files(self, image_id=None):
        """The files in the image store, temporary ones included; with
        image_id, only that image's (its data and its uploads' temporary
        files), so a test is not disturbed by what other tests left."""
        d = os.path.join(self.state, "images")
        files = sorted(os.listdir(d)) if os.path.isdir(d) else []
        if image_id is not None:
            files = [f for f in files if f == image_id or f.startswith(".tmp-%s-" % image_id)]
        return files

    def watch(self):
        """An inotify watch (StateWatch) on the database files and the image store."""
        return StateWatch(self.state)

    def openstack(self, *args, env=None, check=True):
        """Runs Debian's openstack CLI; returns parsed JSON when -f json is given."""
        p = subprocess.run(["/usr/bin/openstack", *args], env=env or self.env(), capture_output=True, text=True)
        if check and p.returncode != 0:
            raise AssertionError("openstack %s failed: %s" % (" ".join(args), p.stderr))
        if "-f" in args and "json" in args and p.returncode == 0:
            return json.loads(p.stdout) if p.stdout.strip() else None
        return p
