# SPDX-License-Identifier: Apache-2.0
"""The libvirt virt driver and the storage layer against a real libvirtd.

Drives build/tests/tools/virt-tool (src/virt, src/storage through their
C interfaces) on qemu:///system: the test image goes through the image
cache, gets a qcow2 overlay and a config drive, and its domain is
defined, started (GUEST-READY on the serial console log), paused and
unpaused, stopped through ACPI (the guest powers itself off), started,
reset, rebooted through ACPI, suspended to a managed save and resumed,
destroyed and undefined.  A second test boots the same disk under a bare
qemu-system-x86_64 to compare boot times, and one more boots under KVM
when the probe says KVM works here.

Domains are named gureum-<uuid> by contract (virt.h); these carry the
title gureum-test-* and a uuid the test made, and are destroyed and
undefined by that uuid whatever happens.  Disks, logs and the image cache
live in /tmp/gureum-test-*, removed at the end.  No NICs: the guests need
no network.

Run: scripts/start-libvirt && /usr/bin/python3 -m pytest -v -s
tests/integration/test_virt_libvirt.py (about a minute and a half).
"""

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("GUREUM_BUILD", REPO / "build"))
VIRT_TOOL = BUILD / "tests" / "tools" / "virt-tool"
IMAGE = REPO / "build" / "test-image.qcow2"

READY_TIMEOUT = 180   # seconds from start to GUEST-READY under TCG
STOP_TIMEOUT_MS = 60000


def tool(*args, check=True, timeout=300):
    p = subprocess.run([str(VIRT_TOOL), *map(str, args)], capture_output=True, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        pytest.fail(f"virt-tool {' '.join(map(str, args))} failed ({p.returncode}): {p.stderr}")
    return p


@pytest.fixture(scope="module")
def prerequisites():
    if not VIRT_TOOL.exists():
        pytest.fail(f"{VIRT_TOOL} is missing: run make")
    subprocess.run([str(REPO / "tools" / "build-test-image")], check=True)
    subprocess.run([str(REPO / "scripts" / "start-libvirt")], check=True)


class Guest:
    """One domain and its files in a /tmp/gureum-test-* directory."""

    def __init__(self, workdir, kvm=False):
        self.dir = workdir
        self.uuid = str(uuid.uuid4())
        self.title = "gureum-test-" + self.uuid[:8]
        self.console = self.dir / f"console-{self.uuid[:8]}.log"
        self.kvm = kvm

    def prepare(self):
        image_id = str(uuid.uuid4())
        sha512 = hashlib.sha512(IMAGE.read_bytes()).hexdigest()
        base = tool("cache", self.dir / "cache", image_id, IMAGE, sha512).stdout.strip()
        disk = self.dir / f"disk-{self.uuid[:8]}.qcow2"
        tool("overlay", base, "qcow2", disk, 64 * 1024 * 1024)
        meta = self.dir / "meta_data.json"
        meta.write_text(json.dumps({"uuid": self.uuid, "name": self.title,
                                    "hostname": "gtest-" + self.uuid[:8]}))
        iso = self.dir / f"config-{self.uuid[:8]}.iso"
        tool("configdrive", iso, f"openstack/latest/meta_data.json={meta}")
        spec = {
            "uuid": self.uuid, "name": self.title, "vcpus": 1, "memory_mib": 128,
            "kvm": self.kvm, "tcg_tb_cache_mib": 64, "console_log": str(self.console),
            "disks": [
                {"path": str(disk), "format": "qcow2", "device": "disk", "bus": "virtio",
                 "target": "vda"},
                {"path": str(iso), "format": "raw", "device": "cdrom", "bus": "ide",
                 "target": "hdd"},
            ],
        }
        self.spec = self.dir / f"spec-{self.uuid[:8]}.json"
        self.spec.write_text(json.dumps(spec))
        self.disk, self.iso = disk, iso

    def text(self):
        try:
            return self.console.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def mark(self):
        """A position in the console log; wait_for looks only past it."""
        return len(self.text())

    def wait_for(self, pattern, since, timeout=READY_TIMEOUT):
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.text(), since)
            if m:
                return m
            if time.monotonic() > deadline:
                pytest.fail(f"no {pattern!r} on the console after {timeout} s; state "
                            f"{self.state()}; console tail:\n{self.text()[-3000:]}")
            time.sleep(0.2)

    def state(self):
        p = tool("state", self.uuid, check=False)
        return p.stdout.strip() if p.returncode == 0 else f"error {p.returncode}"

    def cleanup(self):
        tool("destroy", self.uuid, check=False)
        tool("undefine", self.uuid, check=False)
        # Whatever our tool could not do, virsh tries once more (it knows the same uuid).
        if tool("state", self.uuid, check=False).returncode != 3:
            subprocess.run(["virsh", "-q", "destroy", self.uuid], capture_output=True)
            subprocess.run(["virsh", "-q", "undefine", "--managed-save", "--nvram", self.uuid],
                           capture_output=True)


@pytest.fixture
def workdir():
    d = Path(tempfile.mkdtemp(prefix="gureum-test-"))
    # QEMU runs as libvirt-qemu (see scripts/start-libvirt): it must reach the files.
    d.chmod(0o711)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def guest(prerequisites, workdir):
    g = Guest(workdir)
    try:
        yield g
    finally:
        g.cleanup()
    assert g.uuid not in tool("list").stdout


def timed(fn):
    t0 = time.monotonic()
    result = fn()
    return result, time.monotonic() - t0


def test_lifecycle_under_libvirt(guest):
    guest.prepare()
    tool("define", guest.spec)
    assert guest.state() == "shutdown"
    # Defining again is allowed and changes nothing.
    tool("define", guest.spec)
    assert f"{guest.uuid} shutdown" in tool("list").stdout

    # Boot: the config drive's metadata reaches the guest.
    mark = guest.mark()
    t0 = time.monotonic()
    tool("start", guest.uuid)
    tool("start", guest.uuid)  # idempotent
    ready = guest.wait_for(r"GUEST-READY hostname=(\S+)", mark)
    boot = time.monotonic() - t0
    print(f"\nlibvirt TCG: start to GUEST-READY {boot:.1f} s")
    assert ready.group(1) == "gtest-" + guest.uuid[:8]
    assert "GUEST-DATASOURCE source=configdrive" in guest.text()
    assert guest.state() == "running"
    assert f"{guest.uuid} running" in tool("list").stdout

    # Pause and unpause.
    tool("pause", guest.uuid)
    assert guest.state() == "paused"
    tool("pause", guest.uuid)
    tool("unpause", guest.uuid)
    assert guest.state() == "running"

    # A running domain cannot be undefined.
    p = tool("undefine", guest.uuid, check=False)
    assert p.returncode == 1 and "while it runs" in p.stderr

    # Stop: the guest takes the ACPI button and powers itself off (no destroy needed).
    mark = guest.mark()
    took = int(tool("stop", guest.uuid, STOP_TIMEOUT_MS).stdout)
    print(f"ACPI stop: {took} ms")
    assert guest.state() == "shutdown"
    assert took < STOP_TIMEOUT_MS
    assert "GUEST-SHUTDOWN" in guest.text()[mark:]

    # Start again: a second boot, appended to the same log.
    mark = guest.mark()
    tool("start", guest.uuid)
    _, t = timed(lambda: guest.wait_for(r"GUEST-READY", mark))
    print(f"second boot: {t:.1f} s")

    # Hard reboot: a reset, then a fresh boot.
    mark = guest.mark()
    tool("reboot", guest.uuid, "hard")
    _, t = timed(lambda: guest.wait_for(r"GUEST-READY", mark))
    print(f"hard reboot to GUEST-READY: {t:.1f} s")
    assert guest.state() == "running"

    # Soft reboot: ACPI; the guest powers off and libvirt starts it again.
    mark = guest.mark()
    tool("reboot", guest.uuid, "soft")
    _, t = timed(lambda: guest.wait_for(r"GUEST-READY", mark))
    print(f"soft reboot to GUEST-READY: {t:.1f} s")
    assert "GUEST-SHUTDOWN" in guest.text()[mark:]
    assert guest.state() == "running"

    # Suspend to a managed save; start resumes it (no new boot).
    _, t = timed(lambda: tool("suspend", guest.uuid))
    print(f"managed save: {t:.1f} s")
    assert guest.state() == "suspended"
    assert f"{guest.uuid} suspended" in tool("list").stdout
    tool("suspend", guest.uuid)  # idempotent
    mark = guest.mark()
    _, t = timed(lambda: tool("start", guest.uuid))
    print(f"resume from managed save: {t:.1f} s")
    assert guest.state() == "running"
    time.sleep(2)
    assert "Linux version" not in guest.text()[mark:], "start booted afresh instead of resuming"

    # Pause, then suspend: it comes back running.
    tool("pause", guest.uuid)
    tool("suspend", guest.uuid)
    tool("start", guest.uuid)
    assert guest.state() == "running"

    # Destroy, undefine; both idempotent.
    tool("destroy", guest.uuid)
    tool("destroy", guest.uuid)
    assert guest.state() == "shutdown"
    tool("undefine", guest.uuid)
    tool("undefine", guest.uuid)
    assert tool("state", guest.uuid, check=False).returncode == 3
    assert guest.uuid not in tool("list").stdout
    virsh = subprocess.run(["virsh", "list", "--all", "--uuid"], capture_output=True, text=True)
    assert guest.uuid not in virsh.stdout


def test_stop_destroys_a_guest_that_ignores_acpi(guest):
    """A guest still in its firmware and early boot ignores the button: stop
    must fall back to destroying it after the timeout."""
    guest.prepare()
    tool("define", guest.spec)
    tool("start", guest.uuid)
    tool("pause", guest.uuid)  # a paused guest cannot act on ACPI
    t0 = time.monotonic()
    tool("stop", guest.uuid, 1000)
    took = time.monotonic() - t0
    assert guest.state() == "shutdown"
    assert 1.0 <= took < 15


def test_bare_qemu_boot_time(prerequisites, workdir):
    """The same disk and config drive under a bare qemu-system-x86_64, for
    comparison with the libvirt boot above (printed with -s)."""
    g = Guest(workdir)
    g.prepare()
    console = workdir / "bare-console.log"
    cmd = ["qemu-system-x86_64", "-accel", "tcg,tb-size=64", "-M", "pc", "-m", "128",
           "-display", "none", "-nodefaults", "-no-user-config",
           "-serial", f"file:{console}",
           "-drive", f"file={g.disk},format=qcow2,if=virtio,cache=none",
           "-drive", f"file={g.iso},format=raw,media=cdrom,readonly=on"]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = t0 + READY_TIMEOUT
        while "GUEST-READY" not in (console.read_text(errors="replace")
                                    if console.exists() else ""):
            assert proc.poll() is None, "qemu exited early"
            assert time.monotonic() < deadline, "no GUEST-READY from bare qemu"
            time.sleep(0.2)
        print(f"\nbare qemu TCG: start to GUEST-READY {time.monotonic() - t0:.1f} s")
    finally:
        proc.kill()
        proc.wait()


def test_kvm_when_the_probe_says_so(prerequisites, workdir):
    probe, ms = tool("probe", "kvm", 5000).stdout.split()
    print(f"\nKVM probe: {probe} in {ms} ms")
    if probe != "1":
        pytest.skip("KVM does not work on this machine (the probe booted nothing); TCG is used")
    g = Guest(workdir, kvm=True)
    try:
        g.prepare()
        tool("define", g.spec)
        mark = g.mark()
        t0 = time.monotonic()
        tool("start", g.uuid)
        g.wait_for(r"GUEST-READY", mark)
        print(f"libvirt KVM: start to GUEST-READY {time.monotonic() - t0:.1f} s")
        took = int(tool("stop", g.uuid, STOP_TIMEOUT_MS).stdout)
        assert g.state() == "shutdown" and took < STOP_TIMEOUT_MS
    finally:
        g.cleanup()
