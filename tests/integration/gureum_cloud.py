# SPDX-License-Identifier: Apache-2.0
#
# A real gureum cloud for tests: `gureum init` in a temporary state
# directory (prefix gureum-test-) on a free loopback port, gureumd started
# in the background, stopped by PID and removed on close.
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import requests

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("GUREUM_BUILD", os.path.join(ROOT, "build"))
GUREUM = os.path.join(BUILD, "gureum")
GUREUMD = os.path.join(BUILD, "gureumd")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cloud:
    def __init__(self, password="test-admin-pw", extra_config=None):
        self.state = tempfile.mkdtemp(prefix="gureum-test-")
        self.port = free_port()
        self.password = password
        self.url = "http://127.0.0.1:%d" % self.port
        self.identity = self.url + "/identity/v3"
        self.proc = None
        subprocess.run([GUREUM, "init", "--state-dir", self.state, "--listen", "127.0.0.1:%d" % self.port,
                        "--admin-password", password], check=True, stdout=subprocess.DEVNULL)
        if extra_config:
            with open(os.path.join(self.state, "gureum.conf"), "a") as f:
                f.write(extra_config)
        try:
            self.start()
        except Exception:
            # No fixture will close a cloud that never started: remove its state dir now.
            try:
                self.close()
            except Exception:
                pass
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

    def store_files(self):
        """The files in the image store, temporary ones included."""
        d = os.path.join(self.state, "images")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def openstack(self, *args, env=None, check=True):
        """Runs Debian's openstack CLI; returns parsed JSON when -f json is given."""
        p = subprocess.run(["/usr/bin/openstack", *args], env=env or self.env(), capture_output=True, text=True)
        if check and p.returncode != 0:
            raise AssertionError("openstack %s failed: %s" % (" ".join(args), p.stderr))
        if "-f" in args and "json" in args and p.returncode == 0:
            return json.loads(p.stdout) if p.stdout.strip() else None
        return p
