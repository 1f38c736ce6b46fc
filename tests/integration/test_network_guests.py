# SPDX-License-Identifier: Apache-2.0
"""Real guests on real tenant networks: the libvirt driver and the linux
data plane together, driven through the Compute and Networking APIs.

- Two servers of one project on one network: each gets its address by
  DHCP from the network's dnsmasq, and one reaches the other by address
  and by its DNS name (the server's hostname), through the default
  security group (which admits its own members).
- A server of another project, on its own network with the same
  addresses, cannot reach them.
- The metadata service at 169.254.169.254 answers a guest with its own
  metadata (no config drive here, so the guest takes its user data from
  there).

Safety: the data plane of this cloud names everything with a prefix of
this run (g<hex>-); the guests are gureum-<uuid> domains of this cloud
only.  Addresses live in the guests and the data plane's namespaces; the
root namespace gets none.  Everything is removed at the end, also when a
test fails: the guests (LibvirtCloud), then whatever carries the prefix
(net-tool teardown).  A few minutes under TCG.
"""
import base64
import os
import secrets
import subprocess
import uuid

import pytest
import requests

from compute_cloud import NANO, LibvirtCloud, Nova, upload_test_image
from gureum_cloud import BUILD

BOOT_TIMEOUT = 300   # TCG on 2 shared cores: generous
NET_TOOL = os.path.join(BUILD, "tests", "tools", "net-tool")


def user_data(script):
    return base64.b64encode(script.encode()).decode()


@pytest.fixture(scope="module")
def cloud():
    prefix = "g%s-" % secrets.token_hex(1)
    c = None
    try:
        c = LibvirtCloud(dataplane="linux", extra_config=(
            "\nforce_config_drive = false\n[network]\nname_prefix = %s\n" % prefix))
        c.prefix = prefix
        token, _ = c.token()
        c.image_id = upload_test_image(c, token, "gureum-test-net")
        yield c
    finally:
        state = c.state if c else None
        if c:
            c.close()
        if state:
            subprocess.run([NET_TOOL, "--prefix", prefix, "--state-dir", os.path.join(state, "net"), "teardown"],
                           check=False, capture_output=True)


class Tenant:
    """A project with a member, a network and a subnet of its own."""

    def __init__(self, cloud, name, cidr):
        self.cloud = cloud
        _, self.project, self.token = cloud.make_user("gureum-test-%s-%s" % (name, uuid.uuid4().hex[:4]))
        self.nova = Nova(cloud, self.token)
        self.net = self.neutron("POST", "/networks", {"network": {"name": "gureum-test-" + name}})["network"]
        self.neutron("POST", "/subnets", {"subnet": {"network_id": self.net["id"], "cidr": cidr, "ip_version": 4}})

    def neutron(self, method, path, body=None):
        r = requests.request(method, self.cloud.url + "/network/v2.0" + path, json=body,
                             headers={"X-Auth-Token": self.token})
        assert r.status_code in (200, 201), r.text
        return r.json()

    def boot(self, name, script=None):
        extra = {"user_data": user_data(script)} if script else {}
        server = self.nova.create(name, self.cloud.image_id, NANO, networks=[{"uuid": self.net["id"]}], **extra)
        return server["server"]["id"]

    def address(self, sid):
        (entry,) = self.nova.get(sid)["addresses"][self.net["name"]]
        return entry["addr"]


def probe_script(target_ip, target_name):
    """User data that reports whether the guest reaches target by address and by name."""
    return """#!/bin/sh
ok=no
for i in $(seq 1 60); do
    if ping -c 1 -W 2 %(ip)s >/dev/null 2>&1; then ok=yes; break; fi
    sleep 1
done
echo "PING-IP %(ip)s $ok"
ok=no
for i in $(seq 1 20); do
    if ping -c 1 -W 2 %(name)s >/dev/null 2>&1; then ok=yes; break; fi
    sleep 1
done
echo "PING-NAME %(name)s $ok"
echo "METADATA-UUID $(wget -q -O - http://169.254.169.254/openstack/latest/meta_data.json | sed -n 's/.*"uuid": *"\\([^"]*\\)".*/\\1/p')"
""" % {"ip": target_ip, "name": target_name}


def test_guests_reach_each_other_and_not_another_project(cloud):
    blue = Tenant(cloud, "blue", "10.78.0.0/24")
    red = Tenant(cloud, "red", "10.78.0.0/24")          # the same addresses, another project
    red.neutron("POST", "/ports", {"port": {"network_id": red.net["id"], "name": "gureum-test-spare"}})
    a = blue.boot("gureum-test-a")
    a_ip = blue.address(a)
    b = blue.boot("gureum-test-b", probe_script(a_ip, "gureum-test-a"))
    c = red.boot("gureum-test-c", probe_script(a_ip, "gureum-test-a"))
    for nova, sid in ((blue.nova, a), (blue.nova, b), (red.nova, c)):
        nova.wait(sid, "ACTIVE", timeout=BOOT_TIMEOUT)

    # The first guest got the address its port has, by DHCP.
    out = blue.nova.wait_console(a, r"GUEST-READY hostname=gureum-test-a ", timeout=BOOT_TIMEOUT)
    assert "ip=%s" % a_ip in out

    out = blue.nova.wait_console(b, r"USERDATA-EXIT", timeout=BOOT_TIMEOUT)
    assert "GUEST-DATASOURCE source=metadata-openstack" in out
    assert "USERDATA: PING-IP %s yes" % a_ip in out
    assert "USERDATA: PING-NAME gureum-test-a yes" in out
    assert "USERDATA: METADATA-UUID %s" % b in out          # its own metadata, not another guest's

    out = red.nova.wait_console(c, r"USERDATA-EXIT", timeout=BOOT_TIMEOUT)
    c_ip = red.address(c)
    assert c_ip.startswith("10.78.0.")
    assert c_ip != a_ip                                      # the spare port took a's address there
    assert "USERDATA: PING-IP %s no" % a_ip in out
    assert "USERDATA: PING-NAME gureum-test-a no" in out
    assert "USERDATA: METADATA-UUID %s" % c in out

    # The ports are ACTIVE once their guests are wired.
    for t in (blue, red):
        ports = t.neutron("GET", "/ports?device_owner=compute:nova")["ports"]
        assert ports and all(p["status"] == "ACTIVE" for p in ports), ports

    for nova, sid in ((blue.nova, a), (blue.nova, b), (red.nova, c)):
        nova.delete(sid)
    for nova, sid in ((blue.nova, a), (blue.nova, b), (red.nova, c)):
        nova.wait_gone(sid, timeout=120)
    assert blue.neutron("GET", "/ports?device_owner=compute:nova")["ports"] == []
