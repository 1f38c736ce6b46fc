# SPDX-License-Identifier: Apache-2.0
"""gureumd with the linux data plane, driven through the Networking API,
without guests (test_network_guests.py boots them; test_net_dataplane.py
drives the driver alone).

A network the data plane cannot make fails alone.  The kernel lets one VXLAN device hold a VNI (per UDP port).  When another
device of the host holds the VNI of one of our networks, that network's
segment cannot be made; the daemon must say so plainly, and every other
network must still be served: its DHCP namespace made and the metadata
service listening at 169.254.169.254:80 in it (two clouds of one test
run sharing VNIs once left every guest of the second without metadata).
Once the other device is gone, the failed network converges too, with no
API call.

A router with an interface on an IPv6 subnet whose ipv6_ra_mode is set
advertises it: a radvd in the router's namespace announces the prefix.

Real parts: gureumd with the linux data plane (and the fake compute
driver: no guests needed), ip, nft, dnsmasq, radvd.  Safety: the cloud's
names and VNIs are its own (gureum_cloud.dataplane_tag); the foreign
device is h<tag>-vx, made and removed by the test; HTTP goes only to the
metadata address inside the cloud's own DHCP namespace.
"""
import contextlib
import os
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


def neutron_of(cloud):
    admin, _ = cloud.token()

    def neutron(method, path, body=None):
        r = requests.request(method, cloud.url + "/network/v2.0" + path, json=body, headers={"X-Auth-Token": admin})
        assert r.status_code in (200, 201, 204), r.text
        return r.json() if r.content else None
    return neutron


@pytest.fixture
def clash():
    """A cloud, and a foreign VXLAN device holding the first VNI of its range."""
    tag = dataplane_tag()
    device = "h%s-vx" % tag
    vni, _ = vni_range(tag)
    with contextlib.ExitStack() as cleanup:  # undone in reverse, also when a step fails
        cleanup.callback(subprocess.run, ["ip", "link", "del", device], capture_output=True)
        subprocess.run(["ip", "link", "add", device, "type", "vxlan", "id", str(vni), "dstport", "4789", "local",
                        "127.0.0.1", "nolearning"], check=True, capture_output=True)
        c = Cloud(dataplane="linux", net_tag=tag)
        cleanup.callback(c.close)
        c.device, c.vni = device, vni
        yield c


def test_a_network_whose_vni_is_taken_fails_alone(clash):
    cloud = clash
    neutron = neutron_of(cloud)
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


@pytest.fixture
def linux_cloud():
    """A cloud whose physical network "public" is an empty bridge of the test's (h<tag>-ex)."""
    tag = dataplane_tag()
    bridge = "h%s-ex" % tag
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(subprocess.run, ["ip", "link", "del", bridge], capture_output=True)
        subprocess.run(["ip", "link", "add", bridge, "type", "bridge"], check=True, capture_output=True)
        with open("/proc/sys/net/ipv6/conf/%s/disable_ipv6" % bridge, "w") as f:
            f.write("1")
        subprocess.run(["ip", "link", "set", bridge, "up"], check=True, capture_output=True)
        c = Cloud(dataplane="linux", net_tag=tag, extra_config="\n[network]\nbridge_mappings = public:%s\n" % bridge)
        cleanup.callback(c.close)
        yield c


def test_router_advertises_its_ipv6_subnets(linux_cloud):
    """Its radvd announces the SLAAC subnet behind it, and its IPv6 default route goes to the external
    IPv6 subnet's gateway; without the interface its radvd stops."""
    cloud = linux_cloud
    neutron = neutron_of(cloud)
    public = neutron("POST", "/networks", {"network": {"name": "gureum-test-public", "router:external": True,
                                                       "provider:network_type": "flat",
                                                       "provider:physical_network": "public"}})["network"]
    neutron("POST", "/subnets", {"subnet": {"network_id": public["id"], "ip_version": 6, "cidr": "fd00:94::/64",
                                            "gateway_ip": "fd00:94::1", "enable_dhcp": False}})
    net = neutron("POST", "/networks", {"network": {"name": "gureum-test-v6"}})["network"]
    sub = neutron("POST", "/subnets", {"subnet": {"network_id": net["id"], "ip_version": 6, "cidr": "fd00:93::/64",
                                                  "ipv6_ra_mode": "slaac", "ipv6_address_mode": "slaac",
                                                  "dns_nameservers": ["fd00:93::53"]}})["subnet"]
    router = neutron("POST", "/routers", {"router": {"name": "gureum-test-r6", "external_gateway_info": {
        "network_id": public["id"]}}})["router"]
    neutron("PUT", "/routers/%s/add_router_interface" % router["id"], {"subnet_id": sub["id"]})
    router_ns = "%sr-%s" % (cloud.net_prefix, router["id"])
    conf = os.path.join(cloud.state, "net", router_ns, "radvd.conf")

    def announced():
        return os.path.exists(conf) and "prefix fd00:93::/64" in open(conf).read()
    wait_for(announced, timeout=60, what="the router's radvd to announce fd00:93::/64")
    assert "RDNSS fd00:93::53" in open(conf).read()
    pid_file = os.path.join(os.path.dirname(conf), "radvd.pid")
    wait_for(lambda: os.path.exists(pid_file), timeout=30, what="radvd to start")  # the file is written first
    pid = int(open(pid_file).read())
    ns = os.readlink("/proc/%d/ns/net" % pid)
    assert ns == subprocess.run(["ip", "netns", "exec", router_ns, "readlink", "/proc/self/ns/net"],
                                capture_output=True, text=True, check=True).stdout.strip()
    wait_for(lambda: "default via fd00:94::1 " in subprocess.run(
        ["ip", "-n", router_ns, "-6", "route", "show", "default"], capture_output=True, text=True).stdout,
        timeout=60, what="the router's IPv6 default route")

    # Without the interface the router has nothing to announce: its radvd stops.
    neutron("PUT", "/routers/%s/remove_router_interface" % router["id"], {"subnet_id": sub["id"]})
    wait_for(lambda: not os.path.exists(os.path.join(os.path.dirname(conf), "radvd.pid")), timeout=60,
             what="the router's radvd to stop")
    wait_for(lambda: not os.path.exists("/proc/%d" % pid) or
             open("/proc/%d/stat" % pid).read().split(") ")[1].startswith("Z"), timeout=30,
             what="the radvd process to end")
