# SPDX-License-Identifier: Apache-2.0
"""Real guests through the Compute API: gureumd with the libvirt driver
boots the test image (build/test-image.qcow2, uploaded through the image
API) in m1.nano under qemu:///system.

- A server's whole life through openstacksdk: create with user data,
  ACTIVE, its console shows GUEST-READY with its hostname and the user
  data's output; stop, start, hard and soft reboot (each start or reboot
  shows a new GUEST-READY), pause and unpause, suspend and resume (no new
  boot), delete (no domain, no instance directory left).
- A guest that powers itself off (its user data runs `poweroff`) is
  SHUTOFF within a reconciler period, with no API call asking for it.
- What `make run` runs (scripts/run-cloud): it serves a new cloud in the
  foreground and registers the test guest as the public image
  gureum-test once; a user boots it by that name.
- The openstack CLI as README's user types it (`server create --image
  gureum-test --flavor m1.nano --wait`, `console log show`): it looks the
  flavor up by name, so it waits for the flavors API and is skipped
  until GET /flavors/42 answers.

Every domain and file is removed at the end, also when a test fails
(compute_cloud.LibvirtCloud).  About a minute and a half under TCG.
"""
import base64
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import types

import openstack
import pytest

from compute_cloud import (NANO, LibvirtCloud, Nova, domain_state, domains, purge_guests, server_ids,
                           upload_test_image)
from gureum_cloud import BUILD, ROOT, dataplane_tag, free_port, net_teardown, vni_range

pytestmark = pytest.mark.guest

BOOT_TIMEOUT = 300   # TCG on 2 shared cores: generous


@pytest.fixture(scope="module")
def lv():
    c = LibvirtCloud()
    try:
        token, _ = c.token()
        c.image_id = upload_test_image(c, token, "gureum-test")
        yield c
    finally:
        c.close()


def sdk(cloud):
    return openstack.connect(auth_url=cloud.identity, username="admin", password=cloud.password,
                             project_name="admin", user_domain_name="Default", project_domain_name="Default",
                             region_name="RegionOne")


def user_data(script):
    return base64.b64encode(script.encode()).decode()


def ready_count(text, hostname):
    return text.count("GUEST-READY hostname=%s " % hostname)


def test_server_lifecycle_with_a_real_guest(lv, name):
    conn = sdk(lv)
    nova = Nova(lv)
    server = conn.compute.create_server(name=name, image_id=lv.image_id, flavor_id=NANO, networks="none",
                                        user_data=user_data("#!/bin/sh\necho hello-from-user-data\n"))
    sid = server.id
    try:
        server = conn.compute.wait_for_server(server, status="ACTIVE", wait=BOOT_TIMEOUT, interval=0.5)
        assert domain_state(sid) == "running"
        hostname = name  # gureum-test-xxxxxxxx is a hostname already
        out = nova.wait_console(sid, "GUEST-READY hostname=%s " % hostname, timeout=BOOT_TIMEOUT)
        assert "GUEST-DATASOURCE source=configdrive" in out
        nova.wait_console(sid, "USERDATA: hello-from-user-data", timeout=60)
        # The SDK's console call too.
        assert "GUEST-READY" in conn.compute.get_server_console_output(sid)["output"]

        def boots():
            return ready_count(nova.console(sid), hostname)

        # Stop: the guest powers off through ACPI.
        n = boots()
        conn.compute.stop_server(sid)
        nova.wait(sid, "SHUTOFF", timeout=BOOT_TIMEOUT)
        assert domain_state(sid) == "shut off"
        assert "GUEST-SHUTDOWN" in nova.console(sid)

        # Start: a new boot.
        conn.compute.start_server(sid)
        nova.wait(sid, "ACTIVE", timeout=BOOT_TIMEOUT)
        nova.wait_console(sid, "GUEST-READY hostname=%s " % hostname, count=n + 1, timeout=BOOT_TIMEOUT)

        # Hard and soft reboots: each a new boot, the server ACTIVE again.
        for kind in ("HARD", "SOFT"):
            n = boots()
            conn.compute.reboot_server(sid, kind)
            nova.wait(sid, "ACTIVE", timeout=BOOT_TIMEOUT)
            nova.wait_console(sid, "GUEST-READY hostname=%s " % hostname, count=n + 1, timeout=BOOT_TIMEOUT)
            assert domain_state(sid) == "running"

        # Pause and unpause.
        conn.compute.pause_server(sid)
        nova.wait(sid, "PAUSED")
        assert domain_state(sid) == "paused"
        conn.compute.unpause_server(sid)
        nova.wait(sid, "ACTIVE")
        assert domain_state(sid) == "running"

        # Suspend (a managed save) and resume: the guest goes on where it was, no new boot.
        n = boots()
        conn.compute.suspend_server(sid)
        nova.wait(sid, "SUSPENDED", timeout=BOOT_TIMEOUT)
        assert domain_state(sid) == "shut off"
        conn.compute.resume_server(sid)
        nova.wait(sid, "ACTIVE", timeout=BOOT_TIMEOUT)
        assert domain_state(sid) == "running"
        time.sleep(3)
        assert boots() == n, "resume booted the guest afresh"

        # Delete: no domain, no files.
        conn.compute.delete_server(sid)
        nova.wait_gone(sid, timeout=BOOT_TIMEOUT)
        assert sid not in domains()
        assert not os.path.exists(os.path.join(lv.state, "instances", sid))
    finally:
        nova.delete(sid)


def test_a_guest_that_powers_itself_off_is_shutoff(lv, name):
    """No API call asks for it: the reconciler sees the guest off and records it."""
    nova = Nova(lv)
    script = "#!/bin/sh\n(sleep 2; poweroff) &\necho powering-off-soon\n"
    sid = nova.create(name, lv.image_id, user_data=user_data(script))["server"]["id"]
    try:
        nova.wait(sid, "ACTIVE", timeout=BOOT_TIMEOUT)
        nova.wait_console(sid, "USERDATA: powering-off-soon", timeout=BOOT_TIMEOUT)
        deadline = time.monotonic() + BOOT_TIMEOUT
        while domain_state(sid) != "shut off":
            assert time.monotonic() < deadline, "the guest did not power itself off"
            time.sleep(0.1)
        off_at = time.monotonic()
        nova.wait(sid, "SHUTOFF", timeout=60)
        print("\nguest off -> SHUTOFF in the API: %.1f s (reconciler period 5 s)" % (time.monotonic() - off_at))
        s = nova.get(sid)
        assert s["OS-EXT-STS:power_state"] == 4 and s["OS-EXT-STS:vm_state"] == "stopped"
        assert "GUEST-SHUTDOWN" in nova.console(sid)
        # And it starts again, through the API.
        nova.action(sid, {"os-start": None})
        nova.wait(sid, "ACTIVE", timeout=BOOT_TIMEOUT)
    finally:
        nova.delete(sid)
        nova.wait_gone(sid)
    assert sid not in domains()


def test_openstack_cli_as_the_readme_says(lv, name):
    """`openstack server create --image gureum-test --flavor m1.nano --wait`, then `console log show`."""
    nova = Nova(lv)
    if nova.call("GET", "/flavors/" + NANO).status_code != 200:
        pytest.skip("waits for the flavors API (the CLI looks m1.nano up by name)")
    env = lv.env()
    p = lv.openstack("server", "create", "--image", "gureum-test", "--flavor", "m1.nano", "--wait", name,
                     "-f", "json", env=env)
    sid = p["id"]
    try:
        deadline = time.monotonic() + BOOT_TIMEOUT
        while True:
            out = subprocess.run(["/usr/bin/openstack", "console", "log", "show", name], env=env,
                                 capture_output=True, text=True).stdout
            if "GUEST-READY hostname=%s " % name in out:
                break
            assert time.monotonic() < deadline, out[-3000:]
            time.sleep(1)
    finally:
        lv.openstack("server", "delete", "--wait", sid, env=env, check=False)
        nova.delete(sid)


def test_run_cloud_serves_and_registers_the_test_image(tmp_path):
    """What `make run` runs: scripts/run-cloud initialises, serves in the
    foreground (gureumd has the script's PID) and registers gureum-test
    once; a user boots it by the image's name and reads GUEST-READY."""
    state = tempfile.mkdtemp(prefix="gureum-test-")
    port = free_port()
    log = open(tmp_path / "run.log", "wb")
    # Our own names for the data plane and the outside world, not a real cloud's gr- and gureum-.
    tag = dataplane_tag()
    vni_min, vni_max = vni_range(tag)
    names = dict(os.environ, GUREUM_NAME_PREFIX="g%s-" % tag, GUREUM_OUTSIDE_PREFIX="h%s-" % tag,
                 GUREUM_VNI_MIN=str(vni_min), GUREUM_VNI_MAX=str(vni_max))
    proc = subprocess.Popen([os.path.join(ROOT, "scripts", "run-cloud"), BUILD, state, "127.0.0.1:%d" % port],
                            stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=names)
    cloud = types.SimpleNamespace(state=state, url="http://127.0.0.1:%d" % port)
    try:
        deadline = time.monotonic() + 120
        while "registered" not in (tmp_path / "run.log").read_text():
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "run.log").read_text()
            time.sleep(0.2)
        env = dict(os.environ)
        out = subprocess.run([os.path.join(BUILD, "gureum"), "openrc", "--state-dir", state], check=True,
                             capture_output=True, text=True).stdout
        for line in out.splitlines():
            key, _, value = line[len("export "):].partition("=")
            env[key] = value.strip("'")

        def gureum_test_images():
            return json.loads(subprocess.run(["/usr/bin/openstack", "image", "list", "--name", "gureum-test",
                                              "-f", "json"], env=env, check=True, capture_output=True,
                                             text=True).stdout)
        images = gureum_test_images()
        assert len(images) == 1
        # Again: nothing new.
        subprocess.run([os.path.join(ROOT, "scripts", "register-test-image"), BUILD, state], env=env, check=True)
        assert gureum_test_images() == images
        # The external network of the outside world and the default pool, made once too.
        deadline = time.monotonic() + 60
        while "made the default subnet pool" not in (tmp_path / "run.log").read_text():
            assert time.monotonic() < deadline, (tmp_path / "run.log").read_text()
            time.sleep(0.2)
        subprocess.run([os.path.join(ROOT, "scripts", "register-public-network"), BUILD, state], env=env, check=True)
        nets = json.loads(subprocess.run(["/usr/bin/openstack", "network", "list", "--external", "-f", "json"],
                                         env=env, check=True, capture_output=True, text=True).stdout)
        assert [n["Name"] for n in nets] == ["public"]
        pools = json.loads(subprocess.run(["/usr/bin/openstack", "subnet", "pool", "list", "--default", "-f", "json"],
                                          env=env, check=True, capture_output=True, text=True).stdout)
        assert [p["Name"] for p in pools] == ["auto-allocation"]
        # A user's first server, by the image's name, on a network made for it (get-me-a-network).
        token = subprocess.run(["/usr/bin/openstack", "token", "issue", "-f", "value", "-c", "id"], env=env,
                               check=True, capture_output=True, text=True).stdout.strip()
        nova = Nova(cloud, token, version="2.37")
        sid = nova.create("vm1", images[0]["ID"], networks="auto")["server"]["id"]
        server = nova.wait(sid, "ACTIVE", timeout=BOOT_TIMEOUT)
        (addr,) = server["addresses"]["auto_allocated_network"]
        assert addr["addr"].startswith("10.64.")
        console = subprocess.run(["/usr/bin/openstack", "console", "log", "show", "vm1"], env=env,
                                 capture_output=True, text=True)
        deadline = time.monotonic() + BOOT_TIMEOUT
        while "GUEST-READY hostname=vm1 " not in console.stdout:
            assert time.monotonic() < deadline, console.stdout[-3000:] + console.stderr
            time.sleep(1)
            console = subprocess.run(["/usr/bin/openstack", "console", "log", "show", "vm1"], env=env,
                                     capture_output=True, text=True)
        nova.delete(sid)
        nova.wait_gone(sid)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        ids = server_ids(cloud)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
        purge_guests(cloud, ids)
        net_teardown(names["GUREUM_NAME_PREFIX"], os.path.join(state, "net"))
        subprocess.run([os.path.join(ROOT, "scripts", "outside-world"), "--remove"], env=names, capture_output=True)
        shutil.rmtree(state, ignore_errors=True)
