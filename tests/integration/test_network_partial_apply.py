# SPDX-License-Identifier: Apache-2.0
"""A network the data plane cannot make fails alone.

The kernel lets one VXLAN device hold a VNI (per UDP port).  When another
device of the host holds the VNI of one of our networks, that network's
segment cannot be made; the daemon must say so plainly, and every other
network must still be served: its DHCP namespace made and the metadata
service listening at 169.254.169.254:80 in it (two clouds of one test
run sharing VNIs once left every guest of the second without metadata).
Once the other device is gone, the failed network converges too, with no
API call.

Real parts: gureumd with the linux data plane (and the fake compute
driver: no guests needed), ip, nft, dnsmasq.  Safety: the cloud's names
and VNIs are its own (gureum_cloud.dataplane_tag); the foreign device is
h<tag>-vx, made and removed by the test; HTTP goes only to the metadata
address inside the cloud's own DHCP namespace.
"""
import subprocess

import pytest
import requests

from gureum_cloud import Cloud, dataplane_tag, vni_range, wait_for

PROBE = """
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen("http://169.254.169.254/latest/meta-data/", timeout=3)
    print(200)
except urllib.error.HTTPError as e:
    print(e.code)
except OSError as e:
    print("unreachable", e)
"""


def metadata_answers(ns):
    """Does an HTTP server answer at 169.254.169.254:80 inside ns?  From there the
    caller is no port of the network, so the service's answer is 404."""
    p = subprocess.run(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", PROBE], capture_output=True,
                       text=True, timeout=30)
    return p.stdout.strip() == "404"


@pytest.fixture
def clash():
    """A cloud, and a foreign VXLAN device holding the first VNI of its range."""
    tag = dataplane_tag()
    device = "h%s-vx" % tag
    vni, _ = vni_range(tag)
    subprocess.run(["ip", "link", "del", device], capture_output=True)
    subprocess.run(["ip", "link", "add", device, "type", "vxlan", "id", str(vni), "dstport", "4789", "local",
                    "127.0.0.1", "nolearning"], check=True, capture_output=True)
    c = None
    try:
        c = Cloud(dataplane="linux", net_tag=tag)
        c.device, c.vni = device, vni
        yield c
    finally:
        try:
            if c:
                c.close()
        finally:
            subprocess.run(["ip", "link", "del", device], capture_output=True)


def test_a_network_whose_vni_is_taken_fails_alone(clash):
    cloud = clash
    admin, _ = cloud.token()
    h = {"X-Auth-Token": admin}

    def neutron(method, path, body=None):
        r = requests.request(method, cloud.url + "/network/v2.0" + path, json=body, headers=h)
        assert r.status_code in (200, 201), r.text
        return r.json()

    nets = {}
    for name, cidr in (("taken", "10.91.0.0/24"), ("free", "10.92.0.0/24")):
        nets[name] = neutron("POST", "/networks", {"network": {"name": "gureum-test-" + name}})["network"]
        neutron("POST", "/subnets", {"subnet": {"network_id": nets[name]["id"], "cidr": cidr, "ip_version": 4}})
    assert nets["taken"]["provider:segmentation_id"] == cloud.vni
    assert nets["free"]["provider:segmentation_id"] != cloud.vni
    ns = {k: "%sdhcp-%s" % (cloud.net_prefix, v["id"]) for k, v in nets.items()}

    # The other network is served in full, though every apply fails on the first one.
    wait_for(lambda: metadata_answers(ns["free"]), timeout=60, what="the metadata service in the free network")
    wait_for(lambda: "the device %s of this host holds it" % cloud.device in cloud.read_log(), timeout=30,
             what="the daemon to name the device that holds the VNI")
    vxlans = subprocess.run(["ip", "-d", "-o", "link", "show", "type", "vxlan"], capture_output=True,
                            text=True).stdout
    assert " id %d " % cloud.vni in vxlans  # the foreign device is left alone

    # Once the VNI is free, the failed network converges by itself.
    subprocess.run(["ip", "link", "del", cloud.device], check=True)
    wait_for(lambda: metadata_answers(ns["taken"]), timeout=60, what="the metadata service in the taken network")
    wait_for(lambda: "the data plane is applied again" in cloud.read_log(), timeout=30,
             what="the data plane to apply again")
