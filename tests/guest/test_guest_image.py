# SPDX-License-Identifier: Apache-2.0
"""Boots the gureum test image (tools/build-test-image) under QEMU TCG.

Checks what gureum's end-to-end tests rely on: the image boots from its own
disk, takes its hostname, SSH key and user data from a config drive (and,
in a second boot, from a metadata service at 169.254.169.254), prints the
GUEST-READY / USERDATA lines on the serial console, accepts an SSH key login
as user gureum, and powers itself off on an ACPI power-button press.

QEMU uses user-mode networking with restrict=on: the guest can reach nothing
outside QEMU except the forwarded SSH port and the stub metadata service.

Run: /usr/bin/python3 -m pytest -v tests/guest/test_guest_image.py
(needs the packages from scripts/install-deps; about a minute).
"""

import json
import random
import re
import shutil
import socket
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO / "tools" / "build-test-image"
IMAGE = REPO / "build" / "test-image.qcow2"

READY_TIMEOUT = 120  # seconds from QEMU start to GUEST-READY
POWEROFF_TIMEOUT = 60  # seconds from system_powerdown to QEMU exiting
SSH_TIMEOUT = 60


def _random_hostname():
    return "gtest-" + "".join(random.choices(string.ascii_lowercase + string.digits, k=8))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# A stub metadata service: QEMU's guestfwd starts it once per guest TCP
# connection with the connection on stdin/stdout.  It answers GET <path>
# from a JSON file {path: body} and logs each path to <routes>.log.
METADATA_STUB = r'''
import json, os, sys
routes_file = sys.argv[1]
data = b""
while b"\r\n\r\n" not in data and b"\n\n" not in data:
    chunk = os.read(0, 4096)
    if not chunk:
        break
    data += chunk
words = data.split(b"\n", 1)[0].decode("latin-1").split()
path = words[1] if len(words) > 1 else ""
with open(routes_file) as f:
    routes = json.load(f)
with open(routes_file + ".log", "a") as f:
    f.write(path + "\n")
if path in routes:
    body = routes[path].encode()
    head = "HTTP/1.0 200 OK\r\n"
else:
    body = b"not found\n"
    head = "HTTP/1.0 404 Not Found\r\n"
head += "Content-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
os.write(1, head.encode() + body)
'''


class Guest:
    """One QEMU process running an overlay of the test image, in its own
    temporary directory.  close() kills QEMU (by PID) and removes the
    directory."""

    def __init__(self, image):
        self.dir = Path(tempfile.mkdtemp(prefix="gureum-test-"))
        self.image = image
        self.proc = None
        self.console = self.dir / "console.log"
        self.monitor = self.dir / "monitor.sock"
        self.ssh_port = None
        self.started = None

    def start(self, cdrom=None, nic_extra=""):
        disk = self.dir / "disk.qcow2"
        subprocess.run(
            ["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2",
             "-b", str(self.image), str(disk)],
            check=True)
        self.ssh_port = _free_port()
        nic = ("user,restrict=on,model=virtio-net-pci,"
               f"hostfwd=tcp:127.0.0.1:{self.ssh_port}-:22{nic_extra}")
        cmd = ["qemu-system-x86_64", "-accel", "tcg", "-m", "256", "-nographic",
               "-serial", f"file:{self.console}",
               "-monitor", f"unix:{self.monitor},server=on,wait=off",
               "-drive", f"file={disk},format=qcow2,if=virtio",
               "-nic", nic]
        if cdrom:
            cmd += ["-drive", f"file={cdrom},format=raw,media=cdrom,readonly=on"]
        self.qemu_log = open(self.dir / "qemu.log", "wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=self.qemu_log, stderr=subprocess.STDOUT)

    def console_text(self):
        try:
            return self.console.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def describe(self):
        tail = self.console_text()[-3000:]
        qlog = (self.dir / "qemu.log").read_text(errors="replace")[-1000:]
        return f"\n--- console (tail) ---\n{tail}\n--- qemu ---\n{qlog}"

    def wait_for(self, pattern, timeout):
        """Waits until the console matches pattern; returns the match."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.console_text())
            if m:
                return m
            if self.proc.poll() is not None:
                pytest.fail(f"qemu exited ({self.proc.returncode}) before "
                            f"{pattern!r} appeared{self.describe()}")
            if time.monotonic() > deadline:
                pytest.fail(f"no {pattern!r} on the console after {timeout} s"
                            f"{self.describe()}")
            time.sleep(0.25)

    def monitor_command(self, command):
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(str(self.monitor))
            s.recv(4096)  # banner and prompt
            s.sendall(command.encode() + b"\n")
            time.sleep(0.5)
            return s.recv(65536)

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc is not None:
            self.qemu_log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def image():
    """Builds the image (the script does nothing when it is up to date)."""
    for tool in ("qemu-system-x86_64", "qemu-img", "genisoimage", "ssh", "ssh-keygen"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not found: run scripts/install-deps")
    subprocess.run([str(BUILD_SCRIPT)], check=True, timeout=600)
    assert IMAGE.is_file()
    return IMAGE


@pytest.fixture(scope="module")
def guest(image):
    """A guest booted with a config drive; its tests run in file order and
    test_acpi_powerdown (last) turns it off."""
    g = Guest(image)
    try:
        g.hostname = _random_hostname()
        key = g.dir / "id_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "gureum-test",
                        "-f", str(key)], check=True)
        g.key = key
        pub = (g.dir / "id_ed25519.pub").read_text()
        cd = g.dir / "configdrive" / "openstack" / "latest"
        cd.mkdir(parents=True)
        meta = {
            "uuid": "6f1c1a52-3c39-4c3a-9a53-0b6d2a3c9e51",
            "name": "Gureum Test VM",
            "hostname": g.hostname,
            "launch_index": 0,
            "availability_zone": "nova",
            "public_keys": {"testkey": pub},
            "keys": [{"name": "testkey", "type": "ssh", "data": pub}],
            "meta": {},
        }
        (cd / "meta_data.json").write_text(json.dumps(meta, indent=2))
        (cd / "user_data").write_text("#!/bin/sh\necho hello-from-userdata\n")
        iso = g.dir / "configdrive.iso"
        subprocess.run(["genisoimage", "-quiet", "-V", "config-2", "-J", "-R",
                        "-o", str(iso), str(g.dir / "configdrive")], check=True)
        g.start(cdrom=iso)
        g.ready = g.wait_for(r"GUEST-READY hostname=(\S+) ip=(\S+)", READY_TIMEOUT)
        g.boot_seconds = time.monotonic() - g.started
        print(f"\nguest ready after {g.boot_seconds:.1f} s")
        yield g
    finally:
        g.close()


def test_json_flattener(tmp_path):
    """The guest's JSON parser (busybox awk) copes with real-world
    formatting; it runs here on the host's busybox."""
    subprocess.run([str(BUILD_SCRIPT), "--guest-files", str(tmp_path / "g")], check=True)
    awk = tmp_path / "g" / "usr" / "lib" / "gureum" / "json-flatten.awk"
    doc = ('\n{\t"hostname" :\n "h1.example" ,"n": -1.5e3,"ok" :true, "z": null,'
           '"e": {}, "a": [ ],\r\n "public_keys" : { "k/1" : "ssh-ed25519 AAAA x@y\\n",'
           '"k2":"ssh-rsa B\\r\\nssh-rsa C"},'
           ' "keys": [ {"data": "ssh-ed25519 AAAA x@y\\n", "type": "ssh"},'
           '{"type":"x509","data":"CERT"} ],'
           ' "s": "q\\"b\\\\s\\/u\\u00e9\\ttab", "deep": [[1, [2]], {"x": [{"y": "z"}]}] }\n')
    (tmp_path / "doc.json").write_text(doc)
    out = subprocess.run(["busybox", "awk", "-f", str(awk), str(tmp_path / "doc.json")],
                         check=True, capture_output=True, text=True).stdout
    assert out.splitlines() == [
        "hostname\th1.example",
        "n\t-1.5e3",
        "ok\ttrue",
        "public_keys/k/1\tssh-ed25519 AAAA x@y",
        "public_keys/k2\tssh-rsa B ",
        "public_keys/k2\tssh-rsa C",
        "keys/0/data\tssh-ed25519 AAAA x@y",
        "keys/0/type\tssh",
        "keys/1/type\tx509",
        "keys/1/data\tCERT",
        "s\tq\"b\\s/u\u00e9 tab",
        "deep/0/0\t1",
        "deep/0/1/0\t2",
        "deep/1/x/0/y\tz",
    ]
    for bad in ('{"a":', '{"a": 1} x', '{"a": "x', '{"a" 1}', '[1,]'):
        (tmp_path / "bad.json").write_text(bad)
        r = subprocess.run(["busybox", "awk", "-f", str(awk), str(tmp_path / "bad.json")],
                           capture_output=True)
        assert r.returncode != 0, bad


def test_ready_line(guest):
    assert guest.ready.group(1) == guest.hostname
    # QEMU's user-mode DHCP hands out 10.0.2.15.
    assert guest.ready.group(2) == "10.0.2.15"
    text = guest.console_text()
    assert "GUEST-DATASOURCE source=configdrive" in text
    assert "GUEST-SSH-KEYS count=1" in text
    assert re.search(r"GUEST-NET if=eth0 mac=52:54:00:\S+ ip=10\.0\.2\.15", text)
    assert guest.boot_seconds < READY_TIMEOUT


def test_userdata(guest):
    guest.wait_for(r"USERDATA-EXIT rc=\d+", 60)
    text = guest.console_text()
    assert "USERDATA: hello-from-userdata" in text
    assert "USERDATA-EXIT rc=0" in text
    assert text.index("GUEST-READY") < text.index("USERDATA: hello-from-userdata")


def test_ssh_key_login(guest):
    cmd = ["ssh", "-i", str(guest.key), "-p", str(guest.ssh_port),
           "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
           "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10",
           "-o", "LogLevel=ERROR", "gureum@127.0.0.1", "hostname; id -un"]
    deadline = time.monotonic() + SSH_TIMEOUT
    while True:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
        if r.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert r.returncode == 0, f"ssh failed: {r.stderr}{guest.describe()}"
    assert r.stdout.split() == [guest.hostname, "gureum"]


def test_acpi_powerdown(guest):
    """Must stay the last test using the guest fixture: it turns it off."""
    guest.wait_for(r"USERDATA-EXIT rc=\d+", 60)
    guest.monitor_command("system_powerdown")
    try:
        rc = guest.proc.wait(timeout=POWEROFF_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"guest still running {POWEROFF_TIMEOUT} s after system_powerdown"
                    f"{guest.describe()}")
    assert rc == 0
    text = guest.console_text()
    assert "GUEST-SHUTDOWN" in text
    assert "reboot: Power down" in text


@pytest.mark.parametrize("flavour", ["openstack", "ec2"])
def test_metadata_service(image, flavour):
    """Without a config drive the guest asks http://169.254.169.254: QEMU's
    user network is put on 169.254.169.0/24 and a guestfwd rule hands each
    connection to port 80 of .254 to a stub metadata service."""
    g = Guest(image)
    try:
        hostname = _random_hostname()
        key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOyN2fakekeyfortestingonlyxxxxxxxxxxxx md@test"
        script = "#!/bin/sh\necho hello-from-%s\nexit 7\n" % flavour
        if flavour == "openstack":
            routes = {
                "/openstack/latest/meta_data.json": json.dumps(
                    {"uuid": "u-1", "hostname": hostname + ".novalocal",
                     "public_keys": {"k": key + "\n"}}),
                "/openstack/latest/user_data": script,
            }
        else:
            routes = {
                "/latest/meta-data/instance-id": "i-00000001",
                "/latest/meta-data/local-hostname": hostname,
                "/latest/meta-data/public-keys/": "0=k",
                "/latest/meta-data/public-keys/0/openssh-key": key + "\n",
                "/latest/user-data": script,
            }
        routes_file = g.dir / "routes.json"
        routes_file.write_text(json.dumps(routes))
        stub = g.dir / "metadata_stub.py"
        stub.write_text(METADATA_STUB)
        assert "," not in str(g.dir)
        g.start(nic_extra=(",net=169.254.169.0/24"
                           f",guestfwd=tcp:169.254.169.254:80-cmd:{sys.executable} {stub} {routes_file}"))
        ready = g.wait_for(r"GUEST-READY hostname=(\S+) ip=(\S+)", READY_TIMEOUT)
        assert ready.groups() == (hostname, "169.254.169.15")
        g.wait_for(r"USERDATA-EXIT rc=\d+", 60)
        text = g.console_text()
        assert f"GUEST-DATASOURCE source=metadata-{flavour}" in text
        assert "GUEST-SSH-KEYS count=1" in text
        assert f"USERDATA: hello-from-{flavour}" in text
        assert "USERDATA-EXIT rc=7" in text
    finally:
        g.close()
